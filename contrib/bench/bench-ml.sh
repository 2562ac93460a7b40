#!/bin/sh
# bench-ml.sh - dv's native ML stages (contrib/ml) against scikit-learn on
# the very same prepared matrices.  Prints one table: ridge R^2 and logreg
# accuracy side by side, training time and speed-up, the BLIS rate of the
# ridge Gram-matrix step against this machine's measured dgemm peak, and
# peak memory of dv-train on a ~1,000,000 x 64 training set.
#
#   contrib/bench/bench-ml.sh            default sizes, a few minutes on 2 cores
#   RENTAL_ROWS=100000 TOPICS_ROWS=125000 REPEAT=1 contrib/bench/bench-ml.sh
#
# Environment: RENTAL_ROWS (1000000), TOPICS_ROWS (1255000: ~1,000,000
# training rows after cleaning and the 20% test split), REPEAT (3; times are
# the best of REPEAT runs, since this machine is shared), THREADS (1, for
# BLIS on both sides: numpy here uses BLIS too, so the comparison is of
# what is done, not of the BLAS), KEEP=1 keeps the work directory,
# DV_ML_KERNEL (unset: dv-train's own choice) forces the path that runs the
# products (contrib/ml/kernels.h): `DV_ML_KERNEL=blis` times BLIS whatever
# its configuration, `DV_ML_KERNEL=c` the C kernels, `sse2` the baseline
# ones.  The header names BLIS's configuration for this CPU (`generic`
# means its unoptimised reference kernels, for numpy too) and each ours-row
# the path that ran.  Besides wall time (the targets), each fit's CPU time
# is shown: on a machine shared with other work it is the steadier figure.
# Needs python3-sklearn and /usr/bin/time (contrib/install-deps.sh --bench).
# Exits 1 if a target is missed: |R^2 diff| <= 1e-6, accuracy within 0.5
# points, ours >= 2x faster, dv-train RSS <= 2x its training matrix.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RENTAL_ROWS=${RENTAL_ROWS:-1000000}
TOPICS_ROWS=${TOPICS_ROWS:-1255000}
REPEAT=${REPEAT:-3}
THREADS=${THREADS:-1}
PY=/usr/bin/python3   # Debian's, with python3-sklearn; not a pyenv one on PATH
LAMBDA=0.1
L2=0.0001
export BLIS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS

die() { echo "bench-ml.sh: error: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package time)"
$PY -c 'import sklearn' 2>/dev/null || die "$PY cannot import sklearn (Debian package python3-sklearn)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-ml.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi
BIN=$WORK/bin
cd "$WORK"

make -s -C "$ROOT/contrib/ml" OUT="$BIN" CFLAGS="-O2" >/dev/null
cc -std=c11 -O2 -o "$BIN/ml-dgemm-peak" "$ROOT/contrib/bench/ml-dgemm-peak.c" -lblis -lm

cat >params-ridge.ini <<INI
[prepare]
test_fraction = 0.2
seed = 42
[train]
model = ridge
lambda = $LAMBDA
INI
cat >params-logreg.ini <<INI
[prepare]
test_fraction = 0.2
seed = 42
hash_dims = 64
[train]
model = logreg
lr = 0.5
epochs = 5
batch = 256
l2 = $L2
INI

load_start=$(cut -d' ' -f1 /proc/loadavg)
echo "bench-ml.sh: generating and preparing data" >&2
"$BIN/dv-mlgen" rental --rows "$RENTAL_ROWS" --seed 42 -o rental.csv
"$BIN/dv-prepare" -p params-ridge.ini --train rtrain.mat --test rtest.mat rental.csv
"$BIN/dv-mlgen" topics --rows "$TOPICS_ROWS" --seed 42 -o topics.csv
"$BIN/dv-prepare" -p params-logreg.ini --train ttrain.mat --test ttest.mat topics.csv
rm -f rental.csv topics.csv

# field KEY FILE: the value of KEY=value in FILE
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" "$2" | head -1; }
# json KEY FILE: a number from a JSON object on one line or dv-eval's output
json() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" "$2" | head -1; }
rss_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }
# shape FILE: "rows cols" from a DVMLMAT1 header
shape() { od -An -tu8 -j8 -N16 "$1" | awk '{ print $1, $2 }'; }

# ours TASK TRAIN TEST PARAMS: best fit time over REPEAT runs, the Gram
# step's rate and the path that ran in that run, peak RSS, least CPU time.
ours() {
	best= gflops= rss= path= cpu=
	i=0
	while [ $i -lt "$REPEAT" ]; do
		/usr/bin/time -v "$BIN/dv-train" -v -p "$4" -o "$1.model" "$2" 2>"$1.log" >/dev/null ||
			{ cat "$1.log" >&2; die "dv-train failed"; }
		fit=$(field fit_s "$1.log")
		if [ -z "$best" ] || awk -v a="$fit" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$fit gflops=$(field gram_gflops "$1.log") path=$(field path "$1.log")
		fi
		rss=$(max "$rss" "$(rss_kb "$1.log")")
		cpu=$(min "$cpu" "$(field fit_cpu_s "$1.log")")
		i=$((i + 1))
	done
	"$BIN/dv-eval" -m "$1.model" --metrics "$1.json" "$3"
	echo "$best ${gflops:-0} $rss $path $cpu"
}
# theirs MODEL TRAIN TEST PENALTY: best sklearn fit time, RSS, least CPU time
theirs() {
	best= rss= cpu=
	i=0
	while [ $i -lt "$REPEAT" ]; do
		/usr/bin/time -v $PY "$ROOT/contrib/bench/ml_sklearn.py" "$1" "$2" "$3" "$4" \
			>"sk-$1.json" 2>"sk-$1.log" || { cat "sk-$1.log" >&2; die "ml_sklearn.py failed"; }
		best=$(min "$best" "$(json fit_s "sk-$1.json")")
		rss=$(max "$rss" "$(rss_kb "sk-$1.log")")
		cpu=$(min "$cpu" "$(json fit_cpu_s "sk-$1.json")")
		i=$((i + 1))
	done
	echo "$best $rss $cpu"
}

echo "bench-ml.sh: ridge (ours, then scikit-learn)" >&2
set -- $(ours ridge rtrain.mat rtest.mat params-ridge.ini)
r_fit=$1 r_gflops=$2 r_rss=$3 r_path=$4 r_cpu=$5
r_r2=$(json r2 ridge.json)
set -- $(theirs ridge rtrain.mat rtest.mat $LAMBDA)
sr_fit=$1 sr_rss=$2 sr_cpu=$3
sr_r2=$(json r2 sk-ridge.json)

echo "bench-ml.sh: logreg (ours, then scikit-learn)" >&2
set -- $(ours logreg ttrain.mat ttest.mat params-logreg.ini)
l_fit=$1 l_rss=$3 l_path=$4 l_cpu=$5
l_acc=$(json accuracy logreg.json)
set -- $(theirs logreg ttrain.mat ttest.mat $L2)
sl_fit=$1 sl_rss=$2 sl_cpu=$3
sl_acc=$(json accuracy sk-logreg.json)
sl_iter=$(json iterations sk-logreg.json)

peak=$(field peak_gflops "$("$BIN/ml-dgemm-peak" 1536 5 | sed 's/^/ /' >peak.txt; echo peak.txt)")
set -- $(shape rtrain.mat); r_rows=$1 r_cols=$2
set -- $(shape ttrain.mat); t_rows=$1 t_cols=$2
sk_version=$($PY -c 'import sklearn; print(sklearn.__version__)')
cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)
"$BIN/dv-train" --version >version.txt 2>/dev/null
blis=$(sed -n 's/^blis: //p' version.txt)
blis_config=$(sed -n 's/^blis configuration: \([^ ]*\).*/\1/p' version.txt)
avx2=$(sed -n 's/^cpu avx2+fma: //p' version.txt)
load_end=$(cut -d' ' -f1 /proc/loadavg)

awk -v r_r2="$r_r2" -v sr_r2="$sr_r2" -v l_acc="$l_acc" -v sl_acc="$sl_acc" \
    -v r_fit="$r_fit" -v sr_fit="$sr_fit" -v l_fit="$l_fit" -v sl_fit="$sl_fit" \
    -v gflops="$r_gflops" -v peak="$peak" -v r_rss="$r_rss" -v sr_rss="$sr_rss" \
    -v l_rss="$l_rss" -v sl_rss="$sl_rss" -v r_rows="$r_rows" -v r_cols="$r_cols" \
    -v t_rows="$t_rows" -v t_cols="$t_cols" -v sl_iter="$sl_iter" -v sk="$sk_version" \
    -v cpu="$cpu" -v blis="$blis" -v blis_config="$blis_config" -v avx2="$avx2" \
    -v r_path="$r_path" -v l_path="$l_path" -v forced="${DV_ML_KERNEL:-auto}" \
    -v load_start="$load_start" -v load_end="$load_end" -v r_cpu="$r_cpu" -v sr_cpu="$sr_cpu" \
    -v l_cpu="$l_cpu" -v sl_cpu="$sl_cpu" -v cores="$(getconf _NPROCESSORS_ONLN)" -v threads="$THREADS" -v repeat="$REPEAT" '
function verdict(ok) { if (!ok) failed++; return ok ? "PASS" : "FAIL" }
function mib(kb) { return kb / 1024 }
BEGIN {
	printf "dv ML stages vs scikit-learn %s, on the same prepared matrices\n", sk
	printf "%s, %d cores, AVX2+FMA %s; BLIS %s, configuration %s, %d thread(s) on both sides; times: best of %d\n", \
		cpu, cores, avx2, blis, blis_config, threads, repeat
	printf "dv products: ridge %s, logreg %s (DV_ML_KERNEL=%s); load average %s at the start, %s at the end\n\n", \
		r_path, l_path, forced, load_start, load_end
	printf "%-30s %-14s %-14s %s\n", "", "dv", "scikit-learn", "target"
	d = r_r2 - sr_r2; if (d < 0) d = -d
	printf "%-30s %-14.10f %-14.10f |diff| %.1e <= 1e-6  %s\n", "ridge R^2 (test)", r_r2, sr_r2, d, verdict(d <= 1e-6)
	d = 100 * (l_acc - sl_acc); a = d < 0 ? -d : d
	printf "%-30s %-14s %-14s diff %+.2f points (<= 0.5)  %s\n", "logreg accuracy (test)", \
		sprintf("%.2f%%", 100 * l_acc), sprintf("%.2f%%", 100 * sl_acc), d, verdict(a <= 0.5)
	printf "%-30s %-14s %-14s %.1fx faster (>= 2x)  %s\n", "ridge training time (fit)", \
		sprintf("%.3f s", r_fit), sprintf("%.3f s", sr_fit), sr_fit / r_fit, verdict(sr_fit / r_fit >= 2)
	printf "%-30s %-14s %-14s %.1fx faster (>= 2x)  %s\n", "logreg training time (fit)", \
		sprintf("%.3f s", l_fit), sprintf("%.3f s", sl_fit), sl_fit / l_fit, verdict(sl_fit / l_fit >= 2)
	printf "%-30s %-14s %-14s %.1fx less (information)\n", "ridge fit, CPU time", \
		sprintf("%.3f s", r_cpu), sprintf("%.3f s", sr_cpu), sr_cpu / r_cpu
	printf "%-30s %-14s %-14s %.1fx less (information)\n", "logreg fit, CPU time", \
		sprintf("%.3f s", l_cpu), sprintf("%.3f s", sl_cpu), sl_cpu / l_cpu
	printf "%-30s %-14s %-14s %.0f%% of measured dgemm peak\n", "ridge Gram step (" r_path ")", \
		sprintf("%.2f GFLOP/s", gflops), sprintf("peak %.2f", peak), 100 * gflops / peak
	size = r_rows * r_cols * 8 / 1024
	printf "%-30s %-14s %-14s %.2fx its %.0f MiB matrix (<= 2x)  %s\n", "peak RSS, ridge train", \
		sprintf("%.0f MiB", mib(r_rss)), sprintf("%.0f MiB", mib(sr_rss)), r_rss / size, mib(size), verdict(r_rss / size <= 2)
	size = t_rows * t_cols * 8 / 1024
	printf "%-30s %-14s %-14s %.2fx its %.0f MiB matrix (<= 2x)  %s\n", "peak RSS, logreg train", \
		sprintf("%.0f MiB", mib(l_rss)), sprintf("%.0f MiB", mib(sl_rss)), l_rss / size, mib(size), verdict(l_rss / size <= 2)
	printf "\nridge: %d x %d training rows x features (rental, lambda 0.1); ", r_rows, r_cols
	printf "logreg: %d x %d (topics, 6 classes;\n", t_rows, t_cols
	printf "dv: 5 epochs of mini-batch GD, batch 256, lr 0.5, l2 1e-4; scikit-learn: lbfgs, C = 1/(l2 n), %d iterations).\n", sl_iter
	printf "Fit times exclude reading the matrix; RSS is the whole process (/usr/bin/time -v).\n"
	printf "CPU time: of the fit, all threads, least of %d: other processes on a shared machine stretch\n", repeat
	printf "the wall times the targets are checked on, not it.\n"
	exit failed ? 1 : 0
}'
