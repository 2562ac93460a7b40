#!/bin/sh
# bench-packs.sh - many small files through a packed S3 remote
# (dv-remote(5)) on 127.0.0.1 (OpenStack Swift with s3api, started by
# tests/servers/s3.sh): dv push of 20,000 files of 2 KiB, dv pull of them in
# a fresh clone, and dv pull of 10 of them in another fresh clone (the pack
# indexes not read yet, so that time includes reading them).  Prints one
# table with the host's CPU and issue 17's targets: push <= 10 s, pull
# <= 10 s, pull of 10 files <= 1 s; exits 1 when one is missed.
#
#   contrib/bench/bench-packs.sh [-n RUNS] [--dv PATH] [--workdir DIR] [--files N]
#
# Beside each wall time, dv's own CPU time (user + sys, median): on a
# shared machine the wall time also counts other work's share of the cores
# (the S3 server is Python on the same cores).
#
# The files: N-10 in one tracked directory plus 10 tracked on their own
# (the ones the partial pull names).  Loose S3 objects for comparison:
# contrib/bench/results-s3.txt (~136 small objects a second).
. "$(dirname "$0")/bench-lib.sh"

nfiles=20000
bench_usage='[--files N]'
bench_option() {
    case $1 in
    --files) nfiles=$2; return 1 ;;
    *) return 2 ;;
    esac
}
bench_init packs 3 "$@"

S3_DIR=$work/s3
export S3_DIR
trap 'bash "$src/tests/servers/s3.sh" stop >/dev/null 2>&1' EXIT
trap 'exit 1' HUP INT TERM
eval "$(bash "$src/tests/servers/s3.sh" start)"

git init -q repo
cd repo
"$dv" init -q
# Distinct pseudo-random contents, quickly: one stream cut into files.
head -c $((nfiles * 2048)) /dev/zero |
    openssl enc -aes-128-ctr -nosalt -pass pass:bench-packs -pbkdf2 2>/dev/null >all.bin
mkdir d few
split -a 5 -d -b 2048 all.bin d/f
rm all.bin
for f in $(ls d | tail -n 10); do mv "d/$f" few/; done
[ "$(ls d | wc -l)" -eq $((nfiles - 10)) ] || { echo "bench-packs: could not make $nfiles files" >&2; exit 1; }
"$dv" add -q d few/*
"$dv" remote add -d s3 "s3://$S3_BUCKET/bench" >/dev/null
"$dv" remote modify s3 endpoint "$S3_ENDPOINT"
git add -A >/dev/null
git commit -q -m data
cd "$work"

# Round N pushes to its own prefix (so every push packs everything) and
# pulls from it.
push_setup() { echo "cd $work/repo && $dv remote modify s3 url s3://$S3_BUCKET/bench$1 && git commit -qam 'round $1'"; }
# dv under time(1), its user + sys seconds appended to .cpu-CASE.
timed() { echo "/usr/bin/time -a -o $work/.cpu-$1 -f '%U %S' $dv"; }
push_cmd() { echo "cd $work/repo && $(timed push) push -q"; }
pull_setup() { echo "rm -rf $work/clone && git clone -q $work/repo $work/clone"; }
pull_cmd() { echo "cd $work/clone && $(timed pull) pull -q && test \$(ls d | wc -l) -eq $((nfiles - 10))"; }
pull10_setup() { echo "rm -rf $work/part && git clone -q $work/repo $work/part"; }
pull10_cmd() { echo "cd $work/part && $(timed pull10) pull -q few/*"; }
rm -f "$work"/.cpu-*
rounds push pull pull10
dv_cpu() { awk '{ print $1 + $2 }' "$work/.cpu-$1" | median; }

# How many requests the partial pull sends (untimed).
sh -c "$(pull10_setup 0)"
requests=$(cd part && "$dv" -v pull -q few/* 2>&1 | sed -n 's/^\([0-9]*\) requests* to the remote.*/\1/p')
cmp part/few/"$(ls repo/few | head -n 1)" repo/few/"$(ls repo/few | head -n 1)"

row "push $nfiles files" "$(fmt "$m1")" "$(fmt "$(dv_cpu push)")" "10" "$(check "$m1" 10)"
row "pull $nfiles files (fresh clone)" "$(fmt "$m2")" "$(fmt "$(dv_cpu pull)")" "10" "$(check "$m2" 10)"
row "pull 10 files ($requests requests)" "$(fmt "$m3")" "$(fmt "$(dv_cpu pull10)")" "1" "$(check "$m3" 1)"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
# The machine is shared: say how busy it was (the server competes for the
# same cores).
load=$(cut -d' ' -f1-3 /proc/loadavg)
table "packed S3 remote (Swift s3api on 127.0.0.1), $nfiles files of 2 KiB, median of $runs runs (seconds); $cpu, $(nproc) cores, load average $load" case "dv (wall)" "dv (CPU)" target result
exit $missed
