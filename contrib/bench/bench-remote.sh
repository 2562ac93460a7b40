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
# beside pull, which also checks the 20,000 files out into the work tree.
# The SSH server is tests/servers/sshd.sh (a private sshd, generated keys).
# The S3 case is in bench-s3.sh.
set -eu

runs=5
nfiles=20000
dv=
work=${TMPDIR:-/tmp}/dv-bench-remote
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift ;;
    -N) nfiles=$2; shift ;;
    --dv) dv=$2; shift ;;
    --workdir) work=$2; shift ;;
    *) echo "usage: $0 [-n RUNS] [-N FILES] [--dv PATH] [--workdir DIR]" >&2; exit 2 ;;
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
work=$(cd "$work" && pwd)
cd "$work"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@dv.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@dv.invalid
export HOME=$work/home DV_PROGRESS=0
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global user.name bench
git config --global user.email bench@dv.invalid

sshd_ctl() { sh "$src/tests/servers/sshd.sh" "$@"; }
trap 'sshd_ctl stop "$work/sshd" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

now_s() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# time_cmd SETUP CMD: run SETUP and sync (untimed), then CMD; print seconds.
time_cmd() {
    sh -c "$1" >/dev/null 2>&1
    sync
    t0=$(now_s)
    sh -c "$2" >/dev/null 2>"$work/err" || { echo "bench: '$2' failed:" >&2; cat "$work/err" >&2; exit 1; }
    t1=$(now_s)
    echo "$t1 - $t0" | bc -l
}
# pair NAME SETUP CMD BASE_SETUP BASE_CMD: alternate, keep both medians.
pair() {
    : >"$work/a"
    : >"$work/b"
    i=0
    while [ $i -lt "$runs" ]; do
        time_cmd "$2" "$3" >>"$work/a"
        time_cmd "$4" "$5" >>"$work/b"
        i=$((i + 1))
    done
    a=$(median <"$work/a")
    b=$(median <"$work/b")
}
ratio() { echo "scale=2; $1 / $2" | bc -l; }
fmt() { printf '%.3f' "$1"; }
rows=
row() { rows="$rows$(printf '| %-34s | %8s | %-38s | %8s | %6s | %-6s |' "$1" "$2" "$3" "$4" "$5" "$6")
"; }
# check RATIO LIMIT -> ok / MISSED
check() { [ "$(echo "$1 <= $2" | bc -l)" = 1 ] && echo ok || echo MISSED; }

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
git clone -q repo clone
nobj=$((nfiles + 1))

echo "directory remote ..." >&2
pair "dir push" "rm -rf '$work/store'" "cd '$work/repo' && '$dv' push -r dir" \
     "rm -rf '$work/cp'" "cp -r '$work/repo/.dv/cache/files' '$work/cp'"
r=$(ratio "$a" "$b"); row "dir: push $nobj objects" "$(fmt "$a")" "cp -r cache/files $(fmt "$b")" "$r" "1.5" "$(check "$r" 1.5)"
pair "dir fetch" "rm -rf '$work/clone/.dv/cache/files'" "cd '$work/clone' && '$dv' fetch -r dir" \
     "rm -rf '$work/cp'" "cp -r '$work/store/files' '$work/cp'"
r=$(ratio "$a" "$b"); row "dir: fetch (cache only)" "$(fmt "$a")" "cp -r store/files $(fmt "$b")" "$r" "" "info"
pair "dir pull" "rm -rf '$work/clone/.dv/cache/files' '$work/clone/data'" "cd '$work/clone' && '$dv' pull -r dir" \
     "rm -rf '$work/cp'" "cp -r '$work/store/files' '$work/cp'"
r=$(ratio "$a" "$b"); row "dir: pull (fetch + checkout)" "$(fmt "$a")" "cp -r store/files $(fmt "$b")" "$r" "1.5" "$(check "$r" 1.5)"

echo "SSH remote (127.0.0.1) ..." >&2
pair "ssh push" "rm -rf '$work/sshstore'" "cd '$work/repo' && '$dv' push -r ssh" \
     "rm -rf '$work/tarstore'" \
     "tar cf - -C '$work/repo/.dv/cache' files | $ssh_cmd $DV_TEST_SSH_HOST 'mkdir -p $work/tarstore && tar xf - -C $work/tarstore'"
r=$(ratio "$a" "$b"); row "ssh: push $nobj objects" "$(fmt "$a")" "tar c | ssh tar x $(fmt "$b")" "$r" "2" "$(check "$r" 2)"
pair "ssh fetch" "rm -rf '$work/clone/.dv/cache/files'" "cd '$work/clone' && '$dv' fetch -r ssh" \
     "rm -rf '$work/tarback' && mkdir '$work/tarback'" \
     "$ssh_cmd $DV_TEST_SSH_HOST 'tar cf - -C $work/sshstore files' | tar xf - -C '$work/tarback'"
r=$(ratio "$a" "$b"); row "ssh: fetch (cache only)" "$(fmt "$a")" "ssh tar c | tar x $(fmt "$b")" "$r" "" "info"
pair "ssh pull" "rm -rf '$work/clone/.dv/cache/files' '$work/clone/data'" "cd '$work/clone' && '$dv' pull -r ssh" \
     "rm -rf '$work/tarback' && mkdir '$work/tarback'" \
     "$ssh_cmd $DV_TEST_SSH_HOST 'tar cf - -C $work/sshstore files' | tar xf - -C '$work/tarback'"
r=$(ratio "$a" "$b"); row "ssh: pull (fetch + checkout)" "$(fmt "$a")" "ssh tar c | tar x $(fmt "$b")" "$r" "2" "$(check "$r" 2)"

echo
echo "dv remotes, $nfiles files of 2 KiB, median of $runs runs (seconds), $(nproc) cores"
printf '| %-34s | %8s | %-38s | %8s | %6s | %-6s |\n' case dv baseline ratio target result
printf '|%s|%s|%s|%s|%s|%s|\n' ------------------------------------ ---------- ---------------------------------------- ---------- -------- --------
printf '%s' "$rows"
