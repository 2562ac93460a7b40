#!/bin/sh
# bench-pipeline.sh - speed of dv's pipelines (issue "pipelines").
#
#   contrib/bench/bench-pipeline.sh [-n RUNS] [--dv PATH] [--workdir DIR]
#
# Every case runs RUNS times (default 5) on warm page cache; the table
# shows medians.  Targets:
#   dv repro, 200 up-to-date stages in a chain      <= 0.1 s
#   build the graph of 2,000 stages (dv dag --dot)  <= 0.3 s
#   -j 2 on two independent CPU-bound stages        <= 0.6x the time of -j 1
# The peer column quotes DVC 3.64.0 as measured on this machine
# (/work/shared/notes/baselines.md): DVC is not installed here, so its
# figures are quoted, not re-measured.
# Exits 1 if a target is missed.
set -eu

. "$(dirname "$0")/bench-lib.sh"
bench_init pipeline 5 "$@"

new_repo() {
    git init -q "$1"
    (cd "$1" && "$dv" init -q && git commit -q -m init)
}

# --- 200 stages in a chain -------------------------------------------------
echo "200-stage chain ..." >&2
new_repo chain
(
    cd chain
    echo 0 >s000.txt
    "$dv" add -q s000.txt
    i=1
    while [ $i -le 200 ]; do
        prev=$(printf 's%03d.txt' $((i - 1))); cur=$(printf 's%03d.txt' $i)
        "$dv" stage add -q -n "$(printf 's%03d' $i)" -d "$prev" -o "$cur" "cp $prev $cur && echo $i >>$cur"
        i=$((i + 1))
    done
)
first=$(time_cmd true "cd chain && '$dv' repro -q")
per_stage=$(echo "$first / 200" | bc -l)
chain=$(med true "cd chain && '$dv' repro -q")
(cd chain && "$dv" repro -q && "$dv" status --exit-code >/dev/null) ||
    { echo "bench: chain not up to date after repro" >&2; exit 1; }

# --- graph of 2,000 stages --------------------------------------------------
echo "2,000-stage graph ..." >&2
new_repo wide
(
    cd wide
    # 20 pipelines of 100 stages, one directory each; .stage files
    # written directly (running dv stage add 2,000 times only costs time).
    p=0
    while [ $p -lt 20 ]; do
        mkdir -p "p$p"
        i=0
        while [ $i -lt 100 ]; do
            {
                echo "[stage]"
                echo "cmd = cp in$((i - 1)).txt in$i.txt"
                echo "always_changed = false"
                echo "frozen = false"
                if [ $i -gt 0 ]; then printf '\n[dep]\npath = in%d.txt\n' $((i - 1)); fi
                printf '\n[out]\npath = in%d.txt\n' $i
            } >"p$p/st$p-$i.stage"
            i=$((i + 1))
        done
        p=$((p + 1))
    done
)
graph=$(med true "cd wide && '$dv' dag --dot")
nedges=$(cd wide && "$dv" dag --dot | grep -c -- '->')
[ "$nedges" = 1980 ] || { echo "bench: expected 1980 edges, got $nedges" >&2; exit 1; }

# --- -j 2 against -j 1 -------------------------------------------------------
echo "-j 2 vs -j 1 ..." >&2
new_repo par
(
    cd par
    for s in a b; do
        "$dv" stage add -q -n "burn_$s" -o "$s.txt" \
            "awk 'BEGIN { for (i = 0; i < 30000000; i++) s += i; print s }' >$s.txt"
    done
    "$dv" repro -q
)
j1=$(med true "cd par && '$dv' repro -q -f -j 1")
j2=$(med true "cd par && '$dv' repro -q -f -j 2")

row "repro, 200-stage chain up to date" "$(fmt "$chain") s" "<= 0.1 s" "$(check "$chain" 0.1)" "3.0 s" "$(ratio 3.0 "$chain")x"
row "repro, 200-stage chain first run, per stage" "$(fmt "$per_stage") s" "-" "-" "0.43 s" "$(ratio 0.43 "$per_stage")x"
row "graph of 2,000 stages (dv dag --dot)" "$(fmt "$graph") s" "<= 0.3 s" "$(check "$graph" 0.3)" "not measured" "-"
row "2 CPU-bound stages, -j 1" "$(fmt "$j1") s" "-" "-" "no -j in dvc repro" "-"
row "2 CPU-bound stages, -j 2 (ratio to -j 1)" "$(fmt "$j2") s" "<= 0.6x" "$(check "$(ratio "$j2" "$j1")" 0.6)" "-" "$(ratio "$j2" "$j1")x of -j1"
table "dv pipelines, medians of $runs runs, $(nproc) cores" case dv target met "DVC 3.64 (quoted)" "DVC/dv"
rm -rf "$work"
[ "$missed" = 0 ]
