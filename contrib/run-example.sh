#!/bin/sh
# The main job: install dependencies, build dv and the native ML programs,
# and run the example pipeline of contrib/example end to end in a fresh
# temporary git repository, narrating what dv reruns and why.
#
#   contrib/run-example.sh [--keep] [--rows N]
#
# --keep leaves the example repository in place (its path is printed).  The
# plots page it ends with is written outside it, to build/example-plots/.
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
cp "$src"/contrib/example/params-topics.ini .
[ -z "$rows" ] || sed -i "s/^rows = .*/rows = $rows/" params.ini params-topics.ini
git add -A
git commit -q -m "Example pipeline: build, then regression (data .. evaluate) and classification (topics_*)"
echo "Nine command stages (see the .stage files): a regression of rental prices"
echo "(data, prepare, train, evaluate) and a topic classifier (topics_*); the build"
echo "stage compiles ml/*.c with BLIS, so the training code is itself a dependency:"
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
echo " data are cut off early because their binaries came out byte-identical;"
echo " topics_train reruns with the new dv-train, but its model comes out the"
echo " same, so topics_evaluate is cut off too)"
sed -i 's/params.lambda) < 0/params.lambda * 10) < 0/' ml/dv-train.c
show dv status
show dv repro

step "5. dv metrics diff shows what the code change did"
show dv metrics diff --md
git add -A && git commit -q -m "Penalty scaled in code"
show dv repro

step "6. Plots: training curves, predictions, confusion matrix, metric trends"
echo "(dv plots diff HEAD~2 draws the predictions of the first run beside this one's)"
plots=$src/build/example-plots
rm -rf "$plots"
dv plots diff HEAD~2 HEAD -o "$plots/diff" >/dev/null
dv plots metrics -o "$plots/metrics" >/dev/null
show dv plots show -o "$plots"
step "7. A sweep: train.lambda over four values, two experiments at a time"
echo "(each runs in its own git worktree under .dv/tmp/exps, sharing the cache:"
echo " prepare and data are up to date there, so only train and evaluate run;"
echo " the workspace and the branch stay as they are)"
show dv exp run -S train.lambda=0.01,0.1,1,10 -j 2
show dv exp show --sort-by r2 --sort-order desc -n 1 --only-changed
best=$(dv exp show --csv --sort-by r2 --sort-order desc -n 1 | awk -F, '$3 == "done" { print $1; exit }')
echo "The best experiment by r2 is '$best': bring its params, .stage files and data in"
show dv exp apply "$best"
show dv params diff
git add -A && git commit -q -m "lambda from experiment $best"

echo
echo "Done: every stage ran once, then only what its inputs required."
echo "The plots page (it opens offline in any browser): $plots/index.html"
echo "  predictions across commits: $plots/diff/index.html"
echo "  every metric across commits: $plots/metrics/index.html"
[ "$keep" = 1 ] && echo "The example repository is kept at $repo"
exit 0
