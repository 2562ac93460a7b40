# bench-lib.sh - what the contrib/bench scripts share, sourced by them:
# the common options, a private HOME and git identity, timing with medians,
# and the result table.
#
#   bench_init NAME DEFAULT_RUNS "$@"
#       parses -n RUNS, --dv PATH and --workdir DIR (a script's own options
#       go to its bench_option function: `bench_option OPT VALUE` returns 0
#       when it took OPT alone, 1 when it took OPT VALUE, 2 when unknown);
#       builds dv unless --dv names one; makes an empty work directory,
#       cd's into it and gives git a private HOME and identity.
#   time_cmd SETUP CMD   seconds CMD takes, after SETUP and sync (untimed);
#                        its CPU seconds (user+sys, children included) go
#                        to $work/.cpu, since on a shared machine the wall
#                        time says as much about the neighbours as about dv
#   med SETUP CMD        median of $runs time_cmd runs (the CPU median then
#                        in $work/.med-cpu: `cpu=$(cat "$work/.med-cpu")`)
#   med_each N SETUP CMD the same for a command of a few milliseconds: each
#                        timed run runs CMD N times in one shell loop and
#                        counts a Nth of it, so the timing tools' own start
#                        (GNU time, sh, date: ~10 ms on a virtual machine)
#                        is not charged to it; each run of CMD still pays
#                        its own fork, exec and start-up
#   rounds CASE...       $runs rounds, each timing every CASE in turn (so
#                        background load hits all alike): CASE_setup N and
#                        CASE_cmd N print round N's setup and command;
#                        the medians land in $m1, $m2, ..., the CPU
#                        medians in $c1, $c2, ...
#   ratio A B, fmt SECONDS, check VALUE LIMIT (ok / MISSED)
#   row FIELD...         one table row (one saying MISSED sets missed=1);
#                        table TITLE HEADER... prints them
#                        aligned, as a markdown table.
#   $drop                a command for setups: empty the page cache (as root)
#                        before warming what a case reads.  A run that has
#                        written gigabytes leaves the cache full, and the
#                        next write then pays for reclaim, whoever does it.
# Variables after bench_init: $src (the source tree), $dv (absolute path),
# $work (absolute), $runs, $missed.

bench_usage=
bench_init() {
    bench_name=$1
    runs=$2
    shift 2
    dv=
    work=${TMPDIR:-/tmp}/dv-bench-$bench_name
    missed=0
    while [ $# -gt 0 ]; do
        case $1 in
        -n) runs=$2; shift ;;
        --dv) dv=$2; shift ;;
        --workdir) work=$2; shift ;;
        *)
            took=2
            if command -v bench_option >/dev/null 2>&1; then
                bench_option "$1" "${2:-}" && took=0 || took=$?
            fi
            case $took in
            0) ;;
            1) shift ;;
            *) echo "usage: $0 [-n RUNS] [--dv PATH] [--workdir DIR] $bench_usage" >&2; exit 2 ;;
            esac
            ;;
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
    export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 DV_PROGRESS=0
    mkdir -p "$HOME"
    git config --global init.defaultBranch main
    git config --global user.name bench
    git config --global user.email bench@dv.invalid
}

drop='sync; if [ -w /proc/sys/vm/drop_caches ]; then echo 1 >/proc/sys/vm/drop_caches; fi'
now_s() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# Wall and CPU time (user + sys) of `sh -c CMD`, both to the microsecond:
# the kernel's rusage is that precise, GNU time prints it in 10 ms ticks,
# too coarse for a target of 50 ms.  Prints "WALL CPU" in seconds.
precise_time='
import os, sys, time
out = [(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
       (os.POSIX_SPAWN_OPEN, 2, sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
t = time.perf_counter()
pid = os.posix_spawnp("sh", ["sh", "-c", sys.argv[1]], os.environ, file_actions=out)
_, status, ru = os.wait4(pid, 0)
print("%.6f %.6f" % (time.perf_counter() - t, ru.ru_utime + ru.ru_stime))
sys.exit(0 if os.waitstatus_to_exitcode(status) == 0 else 1)
'
# (posix_spawn and wait4, for the rusage of that one child: the rusage of
# all children after subprocess.run charged a `sh -c true` 60 ms.)

# time_cmd SETUP CMD: prints CMD's wall time; its CPU time goes to .cpu.
# Without python3, GNU time (Debian's package `time`) in 10 ms ticks;
# without either, .cpu says 0.
time_cmd() {
    sh -c "$1" >/dev/null 2>&1 || { echo "bench: setup '$1' failed" >&2; exit 1; }
    sync
    if command -v python3 >/dev/null 2>&1; then
        python3 -c "$precise_time" "$2" "$work/.err" >"$work/.rusage" ||
            { echo "bench: '$2' failed:" >&2; cat "$work/.err" >&2; exit 1; }
        awk '{ print $2 }' "$work/.rusage" >"$work/.cpu"
        awk '{ print $1 }' "$work/.rusage"
        return
    fi
    t0=$(now_s)
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%U %S' -o "$work/.rusage" sh -c "$2" >/dev/null 2>"$work/.err"
    else
        echo '0 0' >"$work/.rusage" && sh -c "$2" >/dev/null 2>"$work/.err"
    fi || { echo "bench: '$2' failed:" >&2; cat "$work/.err" >&2; exit 1; }
    t1=$(now_s)
    awk 'NF == 2 && $1 ~ /^[0-9.]+$/ { c = $1 + $2 } END { print c + 0 }' "$work/.rusage" >"$work/.cpu"
    echo "$t1 - $t0" | bc -l
}

med() {
    : >"$work/.med-cpus"
    i=0
    while [ $i -lt "$runs" ]; do
        time_cmd "$1" "$2"
        cat "$work/.cpu" >>"$work/.med-cpus"
        i=$((i + 1))
    done | median
    median <"$work/.med-cpus" >"$work/.med-cpu"
}

med_each() {
    each_n=$1
    med "$2" "i=0; while [ \$i -lt $each_n ]; do $3 >/dev/null || exit 1; i=\$((i + 1)); done" |
        awk -v n="$each_n" '{ printf "%.6f\n", $1 / n }'
    awk -v n="$each_n" '{ printf "%.6f\n", $1 / n }' "$work/.med-cpu" >"$work/.med-cpu.each" &&
        mv "$work/.med-cpu.each" "$work/.med-cpu"
}

rounds() {
    for c in "$@"; do : >"$work/.t-$c"; : >"$work/.c-$c"; done
    i=0
    while [ $i -lt "$runs" ]; do
        for c in "$@"; do
            time_cmd "$("${c}_setup" $i)" "$("${c}_cmd" $i)" >>"$work/.t-$c"
            cat "$work/.cpu" >>"$work/.c-$c"
        done
        i=$((i + 1))
    done
    k=0
    for c in "$@"; do
        k=$((k + 1))
        eval "m$k=\$(median <\"\$work/.t-\$c\")"
        eval "c$k=\$(median <\"\$work/.c-\$c\")"
    done
}

# ratio A B: A/B, or "-" when B is 0 (a CPU time below the clock's tick)
ratio() {
    if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then printf '%.2f' "$(echo "$1 / $2" | bc -l)"; else echo -; fi
}
fmt() { printf '%.3f' "$1"; }
# fmtc WALL CPU: "0.123 (cpu 0.101)"
fmtc() { printf '%.3f (cpu %.3f)' "$1" "$2"; }
check() {
    if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo ok; else echo MISSED; fi
}

bench_rows=
row() {
    line=
    for f in "$@"; do line="$line$f	"; done
    case $line in *MISSED*) missed=1 ;; esac
    bench_rows="$bench_rows$line
"
}

table() {
    title=$1
    shift
    echo
    echo "$title"
    hdr=
    for f in "$@"; do hdr="$hdr$f	"; done
    printf '%s\n%s' "$hdr" "$bench_rows" | awk -F'\t' '
        { n = NF - 1; for (i = 1; i <= n; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } rows = NR; if (n > cols) cols = n }
        END {
            for (r = 1; r <= rows; r++) {
                line = "|"
                for (i = 1; i <= cols; i++) line = line sprintf(" %-" w[i] "s |", cell[r, i])
                print line
                if (r == 1) {
                    line = "|"
                    for (i = 1; i <= cols; i++) { d = ""; for (k = 0; k < w[i] + 2; k++) d = d "-"; line = line d "|" }
                    print line
                }
            }
        }'
}
