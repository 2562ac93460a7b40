#!/bin/sh
# Build dv and run the whole test suite (what .ci/run and the README's
# second command do).  On a fresh Debian machine this installs the
# dependencies first.
#   contrib/run-tests.sh              release build in build/, all tests
#   contrib/run-tests.sh --sanitize   ASan+UBSan build in build-asan/
set -eu
cd "$(dirname "$0")/.."

build=build
flags="-DCMAKE_BUILD_TYPE=RelWithDebInfo"
if [ "${1:-}" = "--sanitize" ]; then
    build=build-asan
    flags="-DCMAKE_BUILD_TYPE=Debug -DDV_SANITIZE=ON"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

contrib/install-deps.sh
# shellcheck disable=SC2086
cmake -S . -B "$build" $flags -DDV_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest -j"$(nproc)" --output-on-failure --timeout 900
