#!/bin/sh
# The main job: install dependencies, build dv and the native ML programs,
# and run the example pipeline of contrib/example end to end in a fresh
# temporary git repository, narrating what dv reruns and why.
#
#   contrib/run-example.sh [--keep] [--rows N]
#
# --keep leaves the example repository in place (its path is printed).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
keep=0
rows=
while [ $# -gt 0 ]; do
    case $1 in
    --keep) keep=1 ;;
    --rows) rows=$2; shift ;;
    *) echo "usage: $0 [--keep] [--rows N]" >&2; exit 2 ;;
    esac
    shift
done

if [ -t 1 ]; then bold=$(printf '\033[1m'); off=$(printf '\033[0m'); else bold=; off=; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$off"; }
show() { printf '%s$ %s%s\n' "$bold" "$*" "$off"; "$@"; }

step "Installing dependencies (Debian packages) and building dv"
"$src/contrib/install-deps.sh"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$src/build" -j"$(nproc)" --target dv >/dev/null
PATH=$src/build:$PATH
export PATH
dv --version

repo=$(mktemp -d "${TMPDIR:-/tmp}/dv-example.XXXXXX")
[ "$keep" = 1 ] || trap 'rm -rf "$repo"' EXIT
step "A fresh git repository with the example pipeline: $repo"
cd "$repo"
git init -q
git config user.name >/dev/null 2>&1 || git config user.name "dv example"
git config user.email >/dev/null 2>&1 || git config user.email "example@dv.invalid"
dv init -q
mkdir ml
cp "$src"/contrib/ml/*.c "$src"/contrib/ml/*.h "$src"/contrib/ml/Makefile ml/
cp "$src"/contrib/example/params.ini "$src"/contrib/example/*.stage .
[ -z "$rows" ] || sed -i "s/^rows = .*/rows = $rows/" params.ini
git add -A
git commit -q -m "Example pipeline: build, data, prepare, train, evaluate"
echo "Five command stages (see the .stage files); the build stage compiles"
echo "ml/*.c with BLIS, so the training code is itself a dependency:"
show dv dag

step "1. dv repro runs everything, in dependency order"
show dv repro
show dv metrics show
git add -A && git commit -q -m "First run"

step "2. A second dv repro runs nothing"
show dv repro

step "3. A params edit (train.lambda 0.1 -> 1000) reruns only train and evaluate"
sed -i 's/^lambda = .*/lambda = 1000/' params.ini
show dv status
show dv repro
show dv params diff
show dv metrics diff
git add -A && git commit -q -m "Stronger ridge penalty"

step "4. An edit to the training code (ml/dv-train.c) reruns build, train and evaluate"
echo "(the edit scales the ridge penalty by 10 inside the program; prepare and"
echo " data are cut off early because their binaries came out byte-identical)"
sed -i 's/params.lambda) < 0/params.lambda * 10) < 0/' ml/dv-train.c
show dv status
show dv repro

step "5. dv metrics diff shows what the code change did"
show dv metrics diff
git add -A && git commit -q -m "Penalty scaled in code"
show dv repro
echo
echo "Done: every stage ran once, then only what its inputs required."
[ "$keep" = 1 ] && echo "The example repository is kept at $repo"
exit 0
