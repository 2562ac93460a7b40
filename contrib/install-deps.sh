#!/bin/sh
# Install everything dv needs to build and test, from Debian packages only.
#   contrib/install-deps.sh          build + test dependencies
#   contrib/install-deps.sh --bench  also the peers the benchmarks compare with
# Runs apt-get through sudo when not root.  Safe to run again: apt skips what
# is already installed, and `apt-get update` runs only when a package is missing.
set -eu

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

BUILD="build-essential cmake pkg-config git ca-certificates
       libgit2-dev libxxhash-dev xxhash libarchive-dev libinih-dev
       libblis-dev libcurl4-openssl-dev libjansson-dev libyaml-dev nettle-dev man-db"
# Test servers: sshd for the SSH remote, OpenStack Swift (s3api) for S3,
# python3 for the plain HTTP remote; zsh to check the zsh completion parses;
# clang and its runtimes (libFuzzer, ASan, UBSan) for tests/fuzz/run.sh;
# Slurm (and munge) for a one-node cluster that `repro --executor slurm` uses;
# chromium (headless) to check that the plots page renders in a real browser.
TEST="openssh-server openssh-client python3 curl strace openssl chromium
      swift swift-proxy swift-account swift-container swift-object
      python3-swift memcached zsh clang libclang-rt-dev llvm
      slurmctld slurmd slurm-client munge"
BENCH="git-lfs git-annex python3-sklearn python3-numpy hyperfine time bc"

PKGS="$BUILD $TEST"
[ "${1:-}" = "--bench" ] && PKGS="$PKGS $BENCH"

missing=
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
# Swift's packages start their own services on install; the tests run their
# own private instances, so stop any the package left running.
if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl stop 'swift*' memcached >/dev/null 2>&1 || true
fi
