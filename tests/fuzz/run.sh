#!/bin/sh
# Build dv's libFuzzer targets and run each for a while.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]     default 60
#   DV_FUZZ_JOBS=N        targets run N at a time (default 2)
#   DV_FUZZ_TARGETS="stage config"             only these targets
#   DV_FUZZ_NICE=N        run the fuzzers at this niceness (default 10)
#   DV_FUZZ_BUILD_DIR=D   build and keep the corpus in D (default build-fuzz)
#
# The targets (tests/fuzz/fuzz_<target>.c; README there says what each
# checks) are built with clang, libFuzzer, ASan and UBSan in build-fuzz/,
# apart from the normal gcc build in build/.  Each starts from the seed
# corpus in tests/fuzz/corpus/<target>/ plus what earlier runs on this
# machine found (build-fuzz/fuzz-out/<target>/corpus/), so a longer
# campaign is the same command with a bigger number and goes on where the
# last one stopped.
#
# Prints one line per target: executions, executions per second, corpus
# size, and the crash it found (libFuzzer stops a target at its first
# crash, leak, UB report or timeout and saves the input as
# build-fuzz/fuzz-out/<target>/crashes/<kind>-<sha1>; replay it with
# `build-fuzz/tests/fuzz/fuzz_<target> FILE`).  Exits 1 when any target
# crashed, 2 when the build failed.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)

secs=${1:-60}
case $secs in
    ''|*[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac
jobs=${DV_FUZZ_JOBS:-2}
niceness=${DV_FUZZ_NICE:-10}
targets=${DV_FUZZ_TARGETS:-"stage manifest config s3_list dircache cli"}
build=${DV_FUZZ_BUILD_DIR:-$root/build-fuzz}
out=$build/fuzz-out

command -v clang >/dev/null 2>&1 || {
    echo "tests/fuzz/run.sh: needs clang with libFuzzer (contrib/install-deps.sh installs it)" >&2
    exit 2
}
echo "== building the fuzz targets in $build (clang, libFuzzer, ASan+UBSan)"
mkdir -p "$build"
blog=$build/fuzz-build.log
if ! { cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DDV_FUZZ=ON -DDV_WITH_ML=OFF \
           -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDV_WERROR=ON >"$blog" 2>&1 &&
       cmake --build "$build" -j"$(nproc)" --target fuzzers >>"$blog" 2>&1; }; then
    tail -30 "$blog" >&2
    echo "tests/fuzz/run.sh: the fuzz build failed (log: $blog)" >&2
    exit 2
fi

# dv's temp directories, on tmpfs when there is one (dv fsyncs its writes).
tmp_parent=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp_parent=/dev/shm
DV_FUZZ_TMPDIR=$(mktemp -d "$tmp_parent/dv-fuzz-run-XXXXXX")
export DV_FUZZ_TMPDIR
trap 'rm -rf "$DV_FUZZ_TMPDIR"' EXIT INT TERM

# A smaller quarantine and shorter allocation stacks than ASan's defaults:
# the targets allocate a lot per input, and 256 MB of quarantine per target
# is most of their memory and page faults.
export ASAN_OPTIONS=detect_leaks=1:handle_abort=1:quarantine_size_mb=64:malloc_context_size=10
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0

# Run one target in the background; its log is $out/<target>/log.
start_target() {
    t=$1
    dir=$out/$t
    mkdir -p "$dir/corpus" "$dir/crashes"
    cp "$root/tests/fuzz/corpus/$t/"* "$dir/corpus/" 2>/dev/null || true
    dict=
    [ -f "$root/tests/fuzz/$t.dict" ] && dict=-dict=$root/tests/fuzz/$t.dict
    # The fuzzer writes new inputs and crashes below $dir, and starts
    # there: fuzz_cli lets dv write nowhere else but its temp directory.
    # shellcheck disable=SC2086
    (cd "$dir" && nice -n "$niceness" "$build/tests/fuzz/fuzz_$t" \
        -max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 -max_len=4096 \
        -print_final_stats=1 -close_fd_mask=3 -artifact_prefix="$dir/crashes/" \
        $dict "$dir/corpus" >"$dir/log" 2>&1; echo $? >"$dir/status") &
}

echo "== fuzzing $targets: ${secs}s each, $jobs at a time"
rm -f "$out"/*/status "$out"/*/log
running=0
for t in $targets; do
    [ -x "$build/tests/fuzz/fuzz_$t" ] || { echo "no fuzz target '$t'" >&2; exit 2; }
    # Crashes of earlier runs stay where they are, under crashes/old/.
    if ls "$out/$t/crashes/"*-* >/dev/null 2>&1; then
        mkdir -p "$out/$t/crashes/old"
        mv "$out/$t/crashes/"*-* "$out/$t/crashes/old/"
    fi
    start_target "$t"
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

failed=0
total=0
printf '\n%-10s %8s %14s %10s %8s  %s\n' target seconds executions exec/s corpus result
for t in $targets; do
    dir=$out/$t
    log=$dir/log
    status=$(cat "$dir/status" 2>/dev/null || echo '?')
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
    [ -n "$runs" ] || runs=0
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(ls "$dir/corpus" | wc -l)
    # slow-unit-*: an input over 10 s, saved but no failure (the machine
    # may just be busy); every other file is a crash, leak or timeout.
    crash=$(ls "$dir/crashes" | grep -v -e '^old$' -e '^slow-unit-' | head -1 || true)
    if [ "$status" = 78 ]; then
        result="SKIPPED: $(grep -m1 'fuzz_cli:' "$log" || echo 'no sandbox')"
    elif [ "$status" = 0 ] && [ -z "$crash" ]; then
        result="ok, 0 crashes"
    else
        kind=$(grep -m1 -oE 'ERROR: [A-Za-z]+Sanitizer: [a-z-]+|runtime error: .*|property broken: .*|ERROR: libFuzzer: [a-z -]+' "$log" || true)
        result="CRASH (exit $status) ${kind:-see $log}: crashes/${crash:-?}"
        failed=1
    fi
    total=$((total + runs))
    printf '%-10s %8s %14s %10s %8s  %s\n' "$t" "$secs" "$runs" "${rate:-?}" "$corpus" "$result"
done
printf '%-10s %8s %14s\n' total "" "$total"
echo "host: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; logs in $out/<target>/log"
exit $failed
