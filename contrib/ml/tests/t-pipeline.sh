#!/bin/sh
# t-pipeline.sh - the ML programs end to end, as a pipeline runs them:
# generate -> prepare -> train -> eval for both tasks on small data, plus
# the failure contract (bad input writes nothing, one-line errors, exit
# codes 1 and 2).
#
# Usage: sh t-pipeline.sh BINDIR   (the directory holding dv-mlgen etc.)
set -u

BIN=${1:?usage: t-pipeline.sh BINDIR}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dv-ml-pipeline.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

failed=0 count=0
ok() { count=$((count + 1)); echo "ok - $1"; }
not_ok() { count=$((count + 1)); failed=$((failed + 1)); echo "not ok - $1"; }
# check NAME COMMAND...: the case passes when the command succeeds.
check() { name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

# json_number FILE KEY: the number after "KEY": in dv-eval's JSON.
json_number() {
	sed -n "s/^ *\"$2\": *\([-0-9.eE+]*\),*$/\1/p" "$1"
}
# above A B: A > B as decimals.
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 > b + 0) }'; }

cat >params.ini <<'INI'
[prepare]
test_fraction = 0.2
seed = 42

[train]
model = ridge
lambda = 0.1
INI
cat >params-logreg.ini <<'INI'
[prepare]
test_fraction = 0.2
seed = 7
hash_dims = 64

[train]
model = logreg
lr = 0.5
epochs = 8
batch = 128
l2 = 1e-4
INI

rental_pipeline() {
	"$BIN/dv-mlgen" rental --rows 5000 --seed 42 -o raw.csv &&
	"$BIN/dv-prepare" --train train.mat --test test.mat raw.csv &&
	"$BIN/dv-train" -o model.bin train.mat &&
	"$BIN/dv-eval" -m model.bin --metrics metrics.json --plots plots.csv --plot-rows 500 test.mat
}
check "rental pipeline runs" rental_pipeline
r2=$(json_number metrics.json r2)
check "ridge explains most of the price variance (r2 $r2 > 0.5)" above "$r2" 0.5
check "rmse and mae are reported" above "$(json_number metrics.json rmse)" 0
check "plots.csv has a header and the first 500 rows" \
	sh -c '[ "$(head -1 plots.csv)" = actual,predicted ] && [ $(wc -l <plots.csv) -eq 501 ]'

topics_pipeline() {
	"$BIN/dv-mlgen" topics --rows 5000 --seed 3 -o topics.csv &&
	"$BIN/dv-prepare" -p params-logreg.ini --train ttrain.mat --test ttest.mat topics.csv &&
	"$BIN/dv-train" -p params-logreg.ini -o tmodel.bin ttrain.mat &&
	"$BIN/dv-eval" -m tmodel.bin --metrics tmetrics.json --plots tplots.csv ttest.mat
}
check "topics pipeline runs" topics_pipeline
acc=$(json_number tmetrics.json accuracy)
check "logreg beats chance by far (accuracy $acc > 0.6)" above "$acc" 0.6
check "macro-F1 and log-loss are reported" \
	above "$(json_number tmetrics.json macro_f1)" 0.5
check "metrics name six classes and a confusion matrix" \
	sh -c 'grep -q "\"sports\"" tmetrics.json && grep -q confusion_matrix tmetrics.json &&
	       [ $(wc -l <tplots.csv) -eq 7 ]'

check "same seed, same bytes" sh -c '
	"$1/dv-mlgen" rental --rows 300 --seed 9 -o a.csv &&
	"$1/dv-mlgen" rental --rows 300 --seed 9 >b.csv && cmp -s a.csv b.csv' - "$BIN"
check "more rows extend, another seed differs" sh -c '
	"$1/dv-mlgen" rental --rows 500 --seed 9 -o c.csv &&
	head -301 c.csv | cmp -s - a.csv &&
	"$1/dv-mlgen" rental --rows 300 --seed 10 -o d.csv && ! cmp -s a.csv d.csv' - "$BIN"

# A broken line 17 (field 3) must fail with one exact line and leave the
# previous outputs exactly as they were, with no temporary files behind.
awk -F, -v OFS=, 'NR == 17 { $3 = "abc" } { print }' raw.csv >bad.csv
sums_before=$(cksum train.mat test.mat)
"$BIN/dv-prepare" --train train.mat --test test.mat bad.csv 2>err.txt
rc=$?
check "bad csv exits 1" [ "$rc" -eq 1 ]
check "bad csv error names file, line and column" \
	[ "$(cat err.txt)" = "dv-prepare: error: bad.csv:17:3: non-numeric value 'abc' in column 'latitude'" ]
check "bad csv leaves previous outputs untouched" [ "$(cksum train.mat test.mat)" = "$sums_before" ]
"$BIN/dv-prepare" --train new-train.mat --test new-test.mat bad.csv 2>/dev/null
check "bad csv writes no new files" sh -c '! ls new-* *.tmp.* 2>/dev/null | grep -q .'

printf '[train]\nmodel = ridge\n' >missing.ini
"$BIN/dv-train" -p missing.ini -o nomodel.bin train.mat 2>err.txt
rc=$?
check "params missing a key exits 1 naming file and key" sh -c '
	[ "$1" -eq 1 ] && [ "$(grep -v ": warning: BLIS" err.txt)" = "dv-train: error: missing.ini: missing key '"'"'lambda'"'"' in section [train] (required for model=ridge)" ] &&
	[ ! -e nomodel.bin ]' - "$rc"

"$BIN/dv-eval" -m tmodel.bin --metrics x.json test.mat 2>err.txt
rc=$?
check "a model cannot be scored on another task's data" sh -c '
	[ "$1" -eq 1 ] && grep -q "^dv-eval: error: model .tmodel.bin. expects 64 features" err.txt &&
	[ ! -e x.json ]' - "$rc"

"$BIN/dv-train" train.mat 2>/dev/null
check "usage errors exit 2" [ $? -eq 2 ]
"$BIN/dv-mlgen" rental --rows -5 2>err.txt
check "a bad flag value exits 2 with one line" sh -c '[ $1 -eq 2 ] && [ $(wc -l <err.txt) -eq 1 ]' - $?

# The BLIS configuration: --version names it, a run under `generic` warns,
# and DV_ML_KERNEL forces the path that runs the products (kernels.h).
config=$("$BIN/dv-train" --version 2>/dev/null | sed -n 's/^blis configuration: \([^ ]*\).*/\1/p')
check "--version names the BLIS configuration ('$config')" sh -c '
	[ -n "$2" ] && for p in dv-train dv-eval dv-prepare; do
		"$1/$p" --version >v.txt 2>/dev/null && grep -q "^blis: [0-9]" v.txt &&
		grep -q "^blis configuration: $2" v.txt && grep -q "^kernels: .*(DV_ML_KERNEL=auto)$" v.txt ||
		exit 1
	done' - "$BIN" "$config"
"$BIN/dv-train" -v -o k.bin train.mat 2>err.txt
if [ "$config" = generic ]; then
	check "under generic, dv-train warns and says what it runs instead" sh -c '
		grep -q "^dv-train: warning: BLIS .* unoptimised .generic. configuration.*fastest path" err.txt &&
		grep -q " path=\(syrk\|gemm\|c-avx2\|c-sse2\) " err.txt'
else
	check "with an optimised BLIS ($config), dv-train runs syrk and does not warn" sh -c '
		! grep -q warning err.txt && grep -q " path=syrk " err.txt'
fi
check "DV_ML_KERNEL forces each path" sh -c '
	for m in blis:syrk gemm:gemm sse2:c-sse2; do
		DV_ML_KERNEL=${m%%:*} "$1/dv-train" -v -o k-${m%%:*}.bin train.mat 2>err.txt &&
		grep -q " path=${m#*:} " err.txt || exit 1
	done
	DV_ML_KERNEL=sse2 "$1/dv-train" -v -p params-logreg.ini -o t.bin ttrain.mat 2>err.txt &&
	grep -q " path=c-sse2 " err.txt' - "$BIN"
# same_weights A B: the weights of two model files (after the 32-byte
# header) differ by at most 1e-9 of the largest one.  The paths' products
# agree to 1e-12 relative (test_kernels.c); the solve multiplies that by the
# condition number of the rental features' Gram matrix (4e-11 measured).
same_weights() {
	od -An -tf8 -v -j32 "$1" | tr -s ' ' '\n' | grep . >a.txt &&
	od -An -tf8 -v -j32 "$2" | tr -s ' ' '\n' | grep . >b.txt &&
	[ "$(wc -l <a.txt)" -eq "$(wc -l <b.txt)" ] &&
	paste a.txt b.txt | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > dmax) dmax = d
		a = $1 < 0 ? -$1 : $1; if (a > amax) amax = a }
		END { exit !(NR > 0 && dmax <= 1e-9 * amax) }'
}
check "forced paths give the same ridge model (1e-9 of the largest weight)" \
	eval 'same_weights k-blis.bin k-gemm.bin && same_weights k-blis.bin k-sse2.bin'
DV_ML_KERNEL=avx9 "$BIN/dv-train" -o k.bin train.mat 2>err.txt
check "an unknown DV_ML_KERNEL exits 1 naming the valid values" sh -c '[ $1 -eq 1 ] &&
	[ "$(cat err.txt)" = "dv-train: error: invalid DV_ML_KERNEL '"'"'avx9'"'"' (expected auto, measure, blis, gemm, c or sse2)" ]' - $?

echo "$failed of $count tests failed"
[ "$failed" -eq 0 ]
