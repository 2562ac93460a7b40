#!/bin/sh
# bench-slurm.sh - what `dv repro --executor slurm` adds on top of Slurm.
#
#   contrib/bench/bench-slurm.sh [-n RUNS] [--dv PATH] [--workdir DIR]
#
# Starts a private one-node Slurm cluster (tests/servers/slurm.sh, as root)
# and times, with medians of RUNS (default 5), alternating dv and its
# baseline so load hits both alike:
#   one stage (`true`) through dv          vs  `sbatch --wait --wrap true`
#       target: dv's overhead per stage <= 50 ms
#   20 independent 2-second stages        vs  the same 20 jobs through
#       sbatch --wait, all submitted at once     target: <= 1.2x
# Exits 1 if a target is missed.
set -eu

. "$(dirname "$0")/bench-lib.sh"
bench_init slurm 5 "$@"

sl=$work/slurm
mkdir -p "$sl"
eval "$(sh "$src/tests/servers/slurm.sh" start "$sl")"
export SLURM_CONF
trap 'cd / && sh "$src/tests/servers/slurm.sh" stop "$sl"' EXIT

git init -q one
(
    cd one && "$dv" init -q && git commit -q -m init
    "$dv" stage add -q -n t --always-changed -o t.txt "true >t.txt"
    git commit -q -m stage
)
git init -q wide
(
    cd wide && "$dv" init -q && git commit -q -m init
    i=0
    while [ $i -lt 20 ]; do
        "$dv" stage add -q -n "s$i" --always-changed -o "s$i.txt" "sleep 2; echo $i >s$i.txt"
        i=$((i + 1))
    done
    git commit -q -m stages
)

# 20 plain jobs at once, each waited for by its own sbatch --wait.
cat >"$work/plain20.sh" <<'EOF'
i=0
while [ $i -lt 20 ]; do sbatch -Q --wait --wrap 'sleep 2' >/dev/null & i=$((i + 1)); done
wait
EOF

bare_setup() { echo true; }
bare_cmd() { echo "sbatch -Q --wait --wrap true"; }
one_setup() { echo true; }
one_cmd() { echo "cd '$work/one' && '$dv' repro -q --executor slurm"; }
plain_setup() { echo true; }
plain_cmd() { echo "sh '$work/plain20.sh'"; }
wide_setup() { echo true; }
wide_cmd() { echo "cd '$work/wide' && '$dv' repro -q --executor slurm"; }

echo "one stage ..." >&2
rounds bare one
bare=$m1 one=$m2
echo "20 independent stages ..." >&2
rounds plain wide
plain=$m1 wide=$m2

overhead=$(echo "$one - $bare" | bc -l)
row "one stage: dv repro --executor slurm" "$(fmt "$one") s" "sbatch --wait true: $(fmt "$bare") s" \
    "$(printf '%+.0f' "$(echo "$overhead * 1000" | bc -l)") ms" "<= 50 ms: $(check "$overhead" 0.05)"
row "20 x 2 s independent stages" "$(fmt "$wide") s" "20 x sbatch --wait: $(fmt "$plain") s" \
    "$(ratio "$wide" "$plain")x" "<= 1.2x: $(check "$(ratio "$wide" "$plain")" 1.2)"
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
table "dv on Slurm $(sinfo -V 2>/dev/null | cut -d' ' -f2), one node of $(nproc) cores ($cpu), median of $runs runs" \
    case dv baseline difference target
exit $missed
