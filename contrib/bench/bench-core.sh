#!/bin/sh
# bench-core.sh - speed and memory of dv's data core against the floor
# (reading the bytes) and against git-lfs and git-annex where installed.
#
#   contrib/bench/bench-core.sh [-n RUNS] [--dv PATH] [--annex] [--workdir DIR]
#
# Every case runs RUNS times (default 3) on warm page cache and reports the
# median.  Targets (issue "data core"):
#   add 1 GiB, cache.type=hardlink   <= 1.5x  cat FILE >/dev/null
#   add 1 GiB, cache.type=copy       <= 1.1x  cp FILE
#   add 20,000 x 2 KiB directory     <= 1.0 s
#   status, those 20,000 unchanged   <= 0.1 s
#   peak RSS adding a 10 GiB file    <= 64 MiB
# git-annex takes minutes on the 20,000-file case: it runs only with --annex.
set -eu

runs=3
dv=
annex=0
work=${TMPDIR:-/tmp}/dv-bench-core
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift ;;
    --dv) dv=$2; shift ;;
    --annex) annex=1 ;;
    --workdir) work=$2; shift ;;
    *) echo "usage: $0 [-n RUNS] [--dv PATH] [--annex] [--workdir DIR]" >&2; exit 2 ;;
    esac
    shift
done
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "$dv" ]; then
    cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$src/build" -j"$(nproc)" --target dv >/dev/null
    dv=$src/build/dv
fi
dv=$(cd "$(dirname "$dv")" && pwd)/$(basename "$dv")

rm -rf "$work"
mkdir -p "$work"
cd "$work"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@dv.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@dv.invalid
export HOME=$work/home
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global user.name bench
git config --global user.email bench@dv.invalid

# now_s: seconds with ns precision
now_s() { date +%s.%N; }
# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# time_cmd SETUP CMD: run SETUP (untimed) then CMD, print seconds
time_cmd() {
    sh -c "$1" >/dev/null 2>&1
    t0=$(now_s)
    sh -c "$2" >/dev/null 2>&1 || { echo "bench: '$2' failed" >&2; exit 1; }
    t1=$(now_s)
    echo "$t1 - $t0" | bc -l
}
# med SETUP CMD: median over $runs runs
med() {
    i=0
    while [ $i -lt "$runs" ]; do time_cmd "$1" "$2"; i=$((i + 1)); done | median
}
ratio() { echo "scale=2; $1 / $2" | bc -l; }
fmt() { printf '%.3f' "$1"; }

rows=
row() { rows="$rows$(printf '| %-40s | %9s | %-22s | %7s | %-10s |' "$1" "$2" "$3" "$4" "$5")
"; }

echo "generating data in $work ..." >&2
head -c 1073741824 /dev/urandom >big.bin
mkdir -p small
python3 - <<'PY'
import os
for i in range(20000):
    d = 'small/%03d' % (i % 100)
    os.makedirs(d, exist_ok=True)
    with open('%s/f%05d.bin' % (d, i), 'wb') as f:
        f.write(os.urandom(2048))
PY
cat big.bin >/dev/null; cat big.bin >/dev/null
sync

fresh_repo() { # fresh_repo DIR [cache.type]
    echo "rm -rf $1 && git init -q $1 && cd $1 && $dv init -q ${2:+&& $dv config cache.type $2}"
}

# --- 1 GiB, hardlink ----------------------------------------------------------
floor_cat=$(med "true" "cat $work/big.bin >/dev/null")
t_hl=$(med "$(fresh_repo r-hl hardlink) && cp --reflink=never $work/big.bin big.bin && cat big.bin >/dev/null" \
           "cd $work/r-hl && $dv add -q big.bin")
row "add 1 GiB (cache.type hardlink)" "$(fmt "$t_hl")" "cat: $(fmt "$floor_cat") s" "$(ratio "$t_hl" "$floor_cat")x" "<= 1.5x"

# --- 1 GiB, copy ----------------------------------------------------------------
floor_cp=$(med "rm -f $work/cp.bin" "cp $work/big.bin $work/cp.bin")
t_cp=$(med "$(fresh_repo r-cp copy) && cp $work/big.bin big.bin && cat big.bin >/dev/null" \
           "cd $work/r-cp && $dv add -q big.bin")
row "add 1 GiB (cache.type copy)" "$(fmt "$t_cp")" "cp: $(fmt "$floor_cp") s" "$(ratio "$t_cp" "$floor_cp")x" "<= 1.1x"
rm -f "$work/cp.bin"

# --- 20,000 x 2 KiB ---------------------------------------------------------------
floor_hash=$(med "true" "find $work/small -type f -print0 | xargs -0 xxhsum -H2 >/dev/null")
t_dir=$(med "$(fresh_repo r-dir) && cp -r $work/small small && sleep 0.2" "cd $work/r-dir && $dv add -q small")
row "add 20,000 x 2 KiB dir (default type)" "$(fmt "$t_dir")" "xxhsum: $(fmt "$floor_hash") s" "$(ratio "$t_dir" "$floor_hash")x" "<= 1.0 s"
t_dirhl=$(med "$(fresh_repo r-dirhl hardlink) && cp -r $work/small small && sleep 0.2" "cd $work/r-dirhl && $dv add -q small")
row "add 20,000 x 2 KiB dir (hardlink)" "$(fmt "$t_dirhl")" "xxhsum: $(fmt "$floor_hash") s" "$(ratio "$t_dirhl" "$floor_hash")x" "(info)"
t_st=$(med "cd $work/r-dir" "cd $work/r-dir && $dv status")
row "status, 20,000 files unchanged" "$(fmt "$t_st")" "" "" "<= 0.1 s"

# --- peers ------------------------------------------------------------------------
if command -v git-lfs >/dev/null 2>&1; then
    t_lfs=$(time_cmd "rm -rf $work/lfs && git init -q $work/lfs && cd $work/lfs && git lfs install --local >/dev/null && git lfs track '*.bin' && cp -r $work/small small" \
                     "cd $work/lfs && git add small")
    row "git-lfs: git add of the 20,000 files" "$(fmt "$t_lfs")" "dv: $(fmt "$t_dir") s" "$(ratio "$t_lfs" "$t_dir")x" "dv faster"
    t_lfs_st=$(med "cd $work/lfs" "cd $work/lfs && git status")
    row "git-lfs: git status of them" "$(fmt "$t_lfs_st")" "dv: $(fmt "$t_st") s" "$(ratio "$t_lfs_st" "$t_st")x" "(info)"
    t_lfs_big=$(time_cmd "rm -rf $work/lfsb && git init -q $work/lfsb && cd $work/lfsb && git lfs install --local >/dev/null && git lfs track '*.bin' && cp $work/big.bin big.bin" \
                         "cd $work/lfsb && git add big.bin")
    row "git-lfs: git add of the 1 GiB file" "$(fmt "$t_lfs_big")" "dv: $(fmt "$t_cp") s" "$(ratio "$t_lfs_big" "$t_cp")x" "dv faster"
    rm -rf "$work/lfs" "$work/lfsb"
fi
if command -v git-annex >/dev/null 2>&1; then
    t_annex_big=$(time_cmd "rm -rf $work/ax && git init -q $work/ax && cd $work/ax && git annex init -q bench && cp $work/big.bin big.bin" \
                           "cd $work/ax && git annex add -q big.bin")
    row "git-annex: annex add of the 1 GiB file" "$(fmt "$t_annex_big")" "dv: $(fmt "$t_hl") s" "$(ratio "$t_annex_big" "$t_hl")x" "dv faster"
    if [ "$annex" = 1 ]; then
        t_annex=$(time_cmd "rm -rf $work/ax && git init -q $work/ax && cd $work/ax && git annex init -q bench && cp -r $work/small small" \
                           "cd $work/ax && git annex add -q small")
        row "git-annex: annex add of the 20,000 files" "$(fmt "$t_annex")" "dv: $(fmt "$t_dir") s" "$(ratio "$t_annex" "$t_dir")x" "dv faster"
    fi
    rm -rf "$work/ax"
fi

# --- memory -------------------------------------------------------------------------
rm -rf "$work/r-hl" "$work/r-cp" "$work/r-dirhl"
sh -c "$(fresh_repo r-mem hardlink) && truncate -s 10G huge.bin"
rss=$(cd "$work/r-mem" && /usr/bin/time -f %M "$dv" add -q huge.bin 2>&1 >/dev/null | tail -1)
row "peak RSS adding a 10 GiB file (sparse)" "$((rss / 1024)) MiB" "" "" "<= 64 MiB"

echo
echo "dv data core, median of $runs runs, $(nproc) cores, $(uname -r)"
echo
printf '| %-40s | %9s | %-22s | %7s | %-10s |\n' "case" "dv (s)" "reference" "ratio" "target"
printf '|%s|%s|%s|%s|%s|\n' "------------------------------------------" "-----------" "------------------------" "---------" "------------"
printf '%s' "$rows"
rm -rf "$work"
