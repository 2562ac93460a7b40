#!/bin/sh
# Build dv and run the whole test suite (what .ci/run and the README's
# second command do).  On a fresh Debian machine this installs the
# dependencies first.
#   contrib/run-tests.sh              everything CI runs: the ASan+UBSan
#                                     suite (build-asan/), then the release
#                                     suite (build/), whose ctest summary
#                                     closes the output
#   contrib/run-tests.sh --quick      the release suite only
#   contrib/run-tests.sh --sanitize   the ASan+UBSan suite only
#   contrib/run-tests.sh --fuzz       the fuzz step only
# The fuzz step (tests/fuzz/run.sh: every libFuzzer target for 60 s under
# ASan+UBSan, two at a time, about 3 minutes in all plus its build) runs in
# the full run between the two suites when CI=true (.ci/run sets it), and
# alone with --fuzz; DV_FUZZ_SECONDS changes its 60 s per target.
set -eu
cd "$(dirname "$0")/.."

mode=${1:-all}
case $mode in
all | --all) mode=all ;;
--quick) mode=quick ;;
--sanitize) mode=sanitize ;;
--fuzz) mode=fuzz ;;
*) echo "usage: contrib/run-tests.sh [--quick|--sanitize|--fuzz]" >&2; exit 2 ;;
esac

contrib/install-deps.sh

# suite BUILD_DIR CMAKE_FLAGS...: configure, build, run ctest there.
suite() {
    build=$1
    shift
    cmake -S . -B "$build" "$@" -DDV_WERROR=ON >/dev/null
    cmake --build "$build" -j"$(nproc)"
    (cd "$build" && ctest -j"$(nproc)" --output-on-failure --timeout 900)
}

sanitized() (
    echo "== ASan+UBSan suite (build-asan/)"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    suite build-asan -DCMAKE_BUILD_TYPE=Debug -DDV_SANITIZE=ON
)

# --- fuzz step -------------------------------------------------------------
# libFuzzer targets (tests/fuzz/README), built with clang in build-fuzz/;
# fails on any crash, leak, UB report or broken round trip.
fuzz() {
    echo "== fuzz step (tests/fuzz/run.sh ${DV_FUZZ_SECONDS:-60}, build-fuzz/)"
    tests/fuzz/run.sh "${DV_FUZZ_SECONDS:-60}"
}
# ----------------------------------------------------------------------------

release() {
    echo "== release suite (build/)"
    suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
}

case $mode in
sanitize) sanitized ;;
quick) release ;;
fuzz) fuzz ;;
all)
    sanitized
    if [ "${CI:-}" = true ]; then
        fuzz
    fi
    release
    ;;
esac
