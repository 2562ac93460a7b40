#!/bin/sh
# bench-remote.sh - dv push / fetch / pull of 20,000 objects of 2 KiB to a
# directory remote and to an SSH remote on 127.0.0.1, against the plain
# tools that move the same bytes.
#
#   contrib/bench/bench-remote.sh [-n RUNS] [-N FILES] [--dv PATH] [--workdir DIR]
#
# Targets (issue "remotes"):
#   directory: push, pull          <= 1.5x  cp -r of the objects
#   SSH:       push, pull          <= 2x    tar c | ssh host tar x  (and back)
# Every case runs RUNS times (default 5), dv and its baseline alternating so
# background load hits both alike, each after `sync` on a warm page cache;
# the table shows medians.  fetch (objects into the cache only) is shown
# beside pull, which also checks the 20,000 files out into the work tree,
# and the first status after it.
# The SSH server is tests/servers/sshd.sh (a private sshd, generated keys).
# The S3 case is in bench-s3.sh.
set -eu

nfiles=20000
bench_usage='[-N FILES]'
bench_option() { case $1 in -N) nfiles=$2; return 1 ;; esac; return 2; }
. "$(dirname "$0")/bench-lib.sh"
bench_init remote 5 "$@"

sshd_ctl() { sh "$src/tests/servers/sshd.sh" "$@"; }
trap 'sshd_ctl stop "$work/sshd" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

echo "generating $nfiles files of 2 KiB in $work ..." >&2
git init -q repo
python3 - "$nfiles" <<'PY'
import os, sys
os.makedirs("repo/data", exist_ok=True)
for i in range(int(sys.argv[1])):
    with open("repo/data/f%05d" % i, "wb") as f:
        f.write(os.urandom(2048))
PY
(cd repo && "$dv" init -q && "$dv" add -q data && git add -A && git commit -q -m data)
env=$(sshd_ctl start "$work/sshd")
eval "$env"
ssh_cmd=$DV_SSH_COMMAND
(cd repo &&
 "$dv" remote add dir "$work/store" &&
 "$dv" remote add ssh "ssh://$DV_TEST_SSH_HOST$work/sshstore" &&
 git commit -q -m remotes)
nobj=$((nfiles + 1))

# Every run writes into places made for it (a new store, a new clone, a
# new copy) and nothing is deleted until the end: on ext4 without a journal
# each new inode is checked against recently freed ones, so deleting 20,000
# files right before a run slows whatever creates files next.  dv and its
# baseline alternate, so that background load hits both alike.
clone_setup() { # clone_setup N NAME: clone-NAME, its remotes at store N, sshstore N
    echo "git clone -q '$work/repo' '$work/clone-$2' && cd '$work/clone-$2' && '$dv' remote modify dir url '$work/store$1' && '$dv' remote modify ssh url 'ssh://$DV_TEST_SSH_HOST$work/sshstore$1'"
}

echo "directory remote ..." >&2
dpush_setup() { echo "cd '$work/repo' && '$dv' remote modify dir url '$work/store$1'"; }
dpush_cmd() { echo "cd '$work/repo' && '$dv' push -r dir"; }
cpush_setup() { echo true; }
cpush_cmd() { echo "cp -r '$work/repo/.dv/cache/files' '$work/cp$1'"; }
rounds dpush cpush
r=$(ratio "$m1" "$m2"); row "dir: push $nobj objects" "$(fmt "$m1")" "cp -r cache/files $(fmt "$m2")" "$r" "1.5" "$(check "$r" 1.5)"

dfetch_setup() { clone_setup "$1" "f$1"; }
dfetch_cmd() { echo "cd '$work/clone-f$1' && '$dv' fetch -r dir"; }
dpull_setup() { clone_setup "$1" "p$1"; }
dpull_cmd() { echo "cd '$work/clone-p$1' && '$dv' pull -r dir"; }
cback_setup() { echo true; }
cback_cmd() { echo "cp -r '$work/store$1/files' '$work/cpback$1'"; }
rounds dfetch dpull cback
r=$(ratio "$m1" "$m3"); row "dir: fetch (cache only)" "$(fmt "$m1")" "cp -r store/files $(fmt "$m3")" "$r" "" "info"
r=$(ratio "$m2" "$m3"); row "dir: pull (fetch + checkout)" "$(fmt "$m2")" "cp -r store/files $(fmt "$m3")" "$r" "1.5" "$(check "$r" 1.5)"
# The first status in each freshly pulled clone: checkout's stat cache
# entries spare it reading the 20,000 files again.
t_st=$(i=0; while [ $i -lt "$runs" ]; do time_cmd true "cd '$work/clone-p$i' && '$dv' status --exit-code"; i=$((i + 1)); done | median)
row "dir: first status after pull" "$(fmt "$t_st")" "" "" "" "info"

echo "SSH remote (127.0.0.1) ..." >&2
spush_setup() { echo "cd '$work/repo' && '$dv' remote modify ssh url 'ssh://$DV_TEST_SSH_HOST$work/sshstore$1'"; }
spush_cmd() { echo "cd '$work/repo' && '$dv' push -r ssh"; }
tpush_setup() { echo true; }
tpush_cmd() { echo "tar cf - -C '$work/repo/.dv/cache' files | $ssh_cmd $DV_TEST_SSH_HOST 'mkdir -p $work/tarstore$1 && tar xf - -C $work/tarstore$1'"; }
rounds spush tpush
r=$(ratio "$m1" "$m2"); row "ssh: push $nobj objects" "$(fmt "$m1")" "tar c, ssh, tar x $(fmt "$m2")" "$r" "2" "$(check "$r" 2)"

sfetch_setup() { clone_setup "$1" "sf$1"; }
sfetch_cmd() { echo "cd '$work/clone-sf$1' && '$dv' fetch -r ssh"; }
spull_setup() { clone_setup "$1" "sp$1"; }
spull_cmd() { echo "cd '$work/clone-sp$1' && '$dv' pull -r ssh"; }
tback_setup() { echo "mkdir '$work/tarback$1'"; }
tback_cmd() { echo "$ssh_cmd $DV_TEST_SSH_HOST 'tar cf - -C $work/sshstore$1 files' | tar xf - -C '$work/tarback$1'"; }
rounds sfetch spull tback
r=$(ratio "$m1" "$m3"); row "ssh: fetch (cache only)" "$(fmt "$m1")" "ssh, tar c, tar x $(fmt "$m3")" "$r" "" "info"
r=$(ratio "$m2" "$m3"); row "ssh: pull (fetch + checkout)" "$(fmt "$m2")" "ssh, tar c, tar x $(fmt "$m3")" "$r" "2" "$(check "$r" 2)"

table "dv remotes, $nfiles files of 2 KiB, median of $runs runs (seconds), $(nproc) cores" case dv baseline ratio target result
[ "$missed" = 0 ]
