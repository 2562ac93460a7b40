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

annex=0
bench_usage='[--annex]'
bench_option() { case $1 in --annex) annex=1; return 0 ;; esac; return 2; }
. "$(dirname "$0")/bench-lib.sh"
bench_init core 3 "$@"

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

# Every run writes into new places and nothing is deleted until the end:
# on this machine (ext4 mounted with discard, no journal) a write right
# after deleting a big file or many small ones runs several times slower,
# whoever does it.  dv and its floor alternate, so background load hits
# both alike.  After emptying the page cache a setup runs the timed program
# once (dv --version, cp --version): otherwise dv's 50 shared libraries are
# read from disk inside the timed run, ~0.1 s that is not warm-cache work.
big_repo() { # big_repo DIR TYPE: a repository holding a private copy of big.bin
    echo "git init -q $1 && cd $1 && $dv init -q && $dv config cache.type $2 && cp --reflink=never $work/big.bin big.bin && { $drop; } && cat big.bin >/dev/null && $dv --version >/dev/null"
}

# --- 1 GiB, hardlink ----------------------------------------------------------
hl_setup() { big_repo "$work/hl$1" hardlink; }
hl_cmd() { echo "cd $work/hl$1 && $dv add -q big.bin"; }
cat_setup() { echo "$drop; cat $work/big.bin >/dev/null"; }
cat_cmd() { echo "cat $work/big.bin >/dev/null"; }
rounds hl cat
t_hl=$m1 floor_cat=$m2
row "add 1 GiB (cache.type hardlink)" "$(fmt "$t_hl")" "cat: $(fmt "$floor_cat") s" "$(ratio "$t_hl" "$floor_cat")x" "<= 1.5x: $(check "$(ratio "$t_hl" "$floor_cat")" 1.5)"

# --- 1 GiB, copy ----------------------------------------------------------------
cpy_setup() { big_repo "$work/cpy$1" copy; }
cpy_cmd() { echo "cd $work/cpy$1 && $dv add -q big.bin"; }
cp_setup() { echo "$drop; cat $work/big.bin >/dev/null; cp --version >/dev/null"; }
cp_cmd() { echo "cp $work/big.bin $work/cp$1.bin"; }
rounds cpy cp
t_cp=$m1 floor_cp=$m2
row "add 1 GiB (cache.type copy)" "$(fmt "$t_cp")" "cp: $(fmt "$floor_cp") s" "$(ratio "$t_cp" "$floor_cp")x" "<= 1.1x: $(check "$(ratio "$t_cp" "$floor_cp")" 1.1)"

# --- 20,000 x 2 KiB ---------------------------------------------------------------
# Each run adds into a repository made for it and nothing is deleted until
# the end: on ext4 without a journal (this machine's) every new inode is
# checked against recently freed ones, so deleting 20,000 files just before
# a run makes each create after it several times slower, for cp -r and dv
# alike.  A user adding a dataset has not just deleted another one.
floor_hash=$(med "true" "find $work/small -type f -print0 | xargs -0 xxhsum -H2 >/dev/null")
dir_case() { # dir_case NAME [cache.type]: median seconds of dv add small
    i=0
    while [ $i -lt "$runs" ]; do
        r=$work/$1$i
        time_cmd "$drop; git init -q $r && cd $r && $dv init -q ${2:+&& $dv config cache.type $2} && cp -r $work/small small" \
                 "cd $r && $dv add -q small"
        i=$((i + 1))
    done | median
}
t_cpr=$(i=0; while [ $i -lt "$runs" ]; do time_cmd "$drop; cat $work/small/*/* >/dev/null" "cp -r $work/small $work/cpr$i"; i=$((i + 1)); done | median)
t_dir=$(dir_case dcopy)
row "add 20,000 x 2 KiB dir (default type)" "$(fmt "$t_dir")" "cp -r: $(fmt "$t_cpr") s" "$(ratio "$t_dir" "$t_cpr")x" "<= 1.0 s: $(check "$t_dir" 1.0)"
t_dirhl=$(dir_case dhl hardlink)
row "add 20,000 x 2 KiB dir (hardlink)" "$(fmt "$t_dirhl")" "cp -r: $(fmt "$t_cpr") s" "$(ratio "$t_dirhl" "$t_cpr")x" "(info)"
row "hash the 20,000 files (xxhsum -H2)" "" "$(fmt "$floor_hash") s" "" "(floor)"
t_st=$(med "cd $work/dcopy0" "cd $work/dcopy0 && $dv status")
row "status, 20,000 files unchanged" "$(fmt "$t_st")" "" "" "<= 0.1 s: $(check "$t_st" 0.1)"

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
fi
if command -v git-annex >/dev/null 2>&1; then
    t_annex_big=$(time_cmd "rm -rf $work/ax && git init -q $work/ax && cd $work/ax && git annex init -q bench && cp $work/big.bin big.bin" \
                           "cd $work/ax && git annex add -q big.bin")
    row "git-annex: annex add of the 1 GiB file" "$(fmt "$t_annex_big")" "dv: $(fmt "$t_hl") s" "$(ratio "$t_annex_big" "$t_hl")x" "dv faster"
    if [ "$annex" = 1 ]; then
        t_annex=$(time_cmd "git init -q $work/ax2 && cd $work/ax2 && git annex init -q bench && cp -r $work/small small" \
                           "cd $work/ax2 && git annex add -q small")
        row "git-annex: annex add of the 20,000 files" "$(fmt "$t_annex")" "dv: $(fmt "$t_dir") s" "$(ratio "$t_annex" "$t_dir")x" "dv faster"
    fi
fi

# --- memory -------------------------------------------------------------------------
sh -c "$(fresh_repo r-mem hardlink) && truncate -s 10G huge.bin"
rss=$(cd "$work/r-mem" && /usr/bin/time -f %M "$dv" add -q huge.bin 2>&1 >/dev/null | tail -1)
row "peak RSS adding a 10 GiB file (sparse)" "$((rss / 1024)) MiB" "" "" "<= 64 MiB: $(check $((rss / 1024)) 64)"

table "dv data core, median of $runs runs, $(nproc) cores, $(uname -r)" case "dv (s)" reference ratio target
rm -rf "$work"
[ "$missed" = 0 ]
