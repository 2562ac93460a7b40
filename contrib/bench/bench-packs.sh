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
#                                [--before PATH] [--skip-s3]
#
# --before PATH adds a second table: push and pull of the same files over a
# directory remote and over SSH (tests/servers/sshd.sh on 127.0.0.1), with
# this dv and with the dv at PATH, built from the commit before packs
# (2f49f94, the issue's "not slower than today"):
#   git -C "$src" archive 2f49f94 | tar -x -C /tmp/prepacks &&
#   cmake -S /tmp/prepacks -B /tmp/prepacks/build -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
#   cmake --build /tmp/prepacks/build --target dv
# Its target: dv's CPU time (user + sys) at most 10% above the old one's
# (wall times on a shared machine move more than that from run to run).
# --skip-s3 leaves out the S3 table (for that comparison alone).
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
before=
skip_s3=
bench_usage='[--files N] [--before PATH] [--skip-s3]'
bench_option() {
    case $1 in
    --files) nfiles=$2; return 1 ;;
    --before) before=$2; return 1 ;;
    --skip-s3) skip_s3=1; return 0 ;;
    *) return 2 ;;
    esac
}
bench_init packs 3 "$@"

[ -z "$before" ] || before=$(cd "$(dirname "$before")" && pwd)/$(basename "$before")
S3_DIR=$work/s3
export S3_DIR
trap 'bash "$src/tests/servers/s3.sh" stop >/dev/null 2>&1; sh "$src/tests/servers/sshd.sh" stop "$work/sshd" >/dev/null 2>&1' EXIT
trap 'exit 1' HUP INT TERM
[ -n "$skip_s3" ] || eval "$(bash "$src/tests/servers/s3.sh" start)"

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
"$dv" remote add -d s3 "s3://${S3_BUCKET:-none}/bench" >/dev/null
"$dv" remote modify s3 endpoint "${S3_ENDPOINT:-http://127.0.0.1:1}"
git add -A >/dev/null
git commit -q -m data
cd "$work"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
# dv under time(1), its user + sys seconds appended to .cpu-CASE.
timed() { echo "/usr/bin/time -a -o $work/.cpu-$1 -f '%U %S' ${2:-$dv}"; }
dv_cpu() { awk '{ print $1 + $2 }' "$work/.cpu-$1" | median; }
rm -f "$work"/.cpu-*
if [ -z "$skip_s3" ]; then

# Round N pushes to its own prefix (so every push packs everything) and
# pulls from it.  Every pull goes into a clone of its own and nothing is
# deleted until the end (as in bench-remote.sh): on ext4 each new inode is
# checked against recently freed ones, so deleting the last round's 40,000
# files right before a pull made its file creation several times dearer
# (kernel profile: recently_deleted under ext4_create).
push_setup() { echo "cd $work/repo && $dv remote modify s3 url s3://$S3_BUCKET/bench$1 && git commit -qam 'round $1'"; }
push_cmd() { echo "cd $work/repo && $(timed push) push -q"; }
pull_setup() { echo "git clone -q $work/repo $work/clone$1"; }
pull_cmd() { echo "cd $work/clone$1 && $(timed pull) pull -q && test \$(ls d | wc -l) -eq $((nfiles - 10))"; }
pull10_setup() { echo "git clone -q $work/repo $work/part$1"; }
pull10_cmd() { echo "cd $work/part$1 && $(timed pull10) pull -q few/*"; }
rounds push pull pull10

# How many requests the partial pull sends (untimed).
sh -c "$(pull10_setup x)"
requests=$(cd partx && "$dv" -v pull -q few/* 2>&1 | sed -n 's/^\([0-9]*\) requests* to the remote.*/\1/p')
cmp partx/few/"$(ls repo/few | head -n 1)" repo/few/"$(ls repo/few | head -n 1)"

row "push $nfiles files" "$(fmt "$m1")" "$(fmt "$(dv_cpu push)")" "10" "$(check "$m1" 10)"
row "pull $nfiles files (fresh clone)" "$(fmt "$m2")" "$(fmt "$(dv_cpu pull)")" "10" "$(check "$m2" 10)"
row "pull 10 files ($requests requests)" "$(fmt "$m3")" "$(fmt "$(dv_cpu pull10)")" "1" "$(check "$m3" 1)"
# The machine is shared: say how busy it was (the server competes for the
# same cores).
load=$(cut -d' ' -f1-3 /proc/loadavg)
table "packed S3 remote (Swift s3api on 127.0.0.1), $nfiles files of 2 KiB, median of $runs runs (seconds); $cpu, $(nproc) cores, load average $load" case "dv (wall)" "dv (CPU)" target result
fi

[ -n "$before" ] || exit $missed
# Directory and SSH remotes, this dv against the one before packs: each
# pushes to stores of its own and pulls into clones of its own, the two
# alternating so background load hits both alike.
eval "$(sh "$src/tests/servers/sshd.sh" start "$work/sshd")"
(cd repo && "$dv" remote add dir "$work/none" && "$dv" remote add ssh "ssh://$DV_TEST_SSH_HOST$work/none" && git commit -q -m remotes)
for kind in dir ssh; do
    for who in now old; do
        bin=$dv
        [ $who = now ] || bin=$before
        if [ $kind = dir ]; then url="$work/store-$who"; else url="ssh://$DV_TEST_SSH_HOST$work/sshstore-$who"; fi
        eval "${kind}push${who}_setup() { echo \"cd $work/repo && $dv remote modify $kind url $url\$1\"; }"
        eval "${kind}push${who}_cmd() { echo \"cd $work/repo && \$(timed ${kind}push$who $bin) push -q -r $kind\"; }"
        eval "${kind}pull${who}_setup() { echo \"git clone -q $work/repo $work/$kind-$who\$1 && cd $work/$kind-$who\$1 && $dv remote modify $kind url $url\$1\"; }"
        eval "${kind}pull${who}_cmd() { echo \"cd $work/$kind-$who\$1 && \$(timed ${kind}pull$who $bin) pull -q -r $kind && test \\\$(ls d | wc -l) -eq $((nfiles - 10))\"; }"
    done
done
bench_rows=
compare() { # compare LABEL CASE (after rounds CASEnow CASEold: m1, m2)
    cn=$(dv_cpu "${2}now")
    co=$(dv_cpu "${2}old")
    r=$(ratio "$cn" "$co")
    row "$1" "$(fmt "$m1")" "$(fmt "$m2")" "$(fmt "$cn")" "$(fmt "$co")" "$r" "1.10" "$(check "$r" 1.10)"
}
echo "directory and SSH remotes, now and before packs ..." >&2
rounds dirpushnow dirpushold; compare "dir: push $nfiles files" dirpush
rounds dirpullnow dirpullold; compare "dir: pull $nfiles files (fresh clone)" dirpull
rounds sshpushnow sshpushold; compare "ssh: push $nfiles files" sshpush
rounds sshpullnow sshpullold; compare "ssh: pull $nfiles files (fresh clone)" sshpull
load=$(cut -d' ' -f1-3 /proc/loadavg)
table "directory and SSH remotes (127.0.0.1), $nfiles files of 2 KiB, this dv against $before (before packs), median of $runs runs (seconds); $cpu, $(nproc) cores, load average $load" case "wall now" "wall before" "CPU now" "CPU before" "CPU ratio" target result
exit $missed
