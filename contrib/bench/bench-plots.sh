#!/bin/sh
# bench-plots.sh - speed and size of dv plots (issue "plots and reports").
#
#   contrib/bench/bench-plots.sh [-n RUNS] [--dv PATH] [--workdir DIR]
#
# Every case runs RUNS times (default 5) on warm page cache; the table
# shows medians.  Targets:
#   dv plots show, 10 plots x 100,000 points (CSV)   <= 0.3 s
#   dv plots show, one 1,000,000-point series        <= 0.5 s, output <= 2 MB
# (the page plus its SVG: the renderer keeps each pixel column's first,
# lowest, highest and last point).  A 1,000,000-point scatter plot is
# measured too, without a target.  Exits 1 if a target is missed.
set -eu

. "$(dirname "$0")/bench-lib.sh"
bench_init plots 5 "$@"

git init -q repo
cd repo
"$dv" init -q
echo "writing 10 x 100,000 and 1,000,000-point CSV files ..." >&2
i=0
plots=
while [ $i -lt 10 ]; do
    awk -v k=$i 'BEGIN { print "step,loss,acc"; for (s = 0; s < 100000; s++) printf "%d,%.6f,%.5f\n", s, (1 + k) / (1 + s / 1000) + (s % 13) / 1000, 1 - 1 / (2 + s / 500) }' >curve$i.csv
    plots="$plots --plot curve$i.csv -y loss"
    i=$((i + 1))
done
awk 'BEGIN { srand(7); print "step,value"; for (s = 0; s < 1000000; s++) printf "%d,%.5f\n", s, sin(s / 30000) + rand() / 5 }' >big.csv
awk 'BEGIN { srand(8); print "actual,predicted"; for (s = 0; s < 1000000; s++) { a = rand() * 500; printf "%.3f,%.3f\n", a, a + (rand() - 0.5) * a / 3 } }' >scatter.csv
# shellcheck disable=SC2086
"$dv" stage add -q -n curves $plots --plot big.csv --plot scatter.csv -t scatter -x actual -y predicted true
cd ..

ten=$(med "rm -rf repo/ten" "cd repo && '$dv' plots show -o ten curve0.csv curve1.csv curve2.csv curve3.csv curve4.csv curve5.csv curve6.csv curve7.csv curve8.csv curve9.csv")
one=$(med "rm -rf repo/one" "cd repo && '$dv' plots show -o one big.csv")
sc=$(med "rm -rf repo/sc" "cd repo && '$dv' plots show -o sc scatter.csv")
# CPU seconds (user + sys), median of $runs: what the command costs when
# other work shares the cores (wall time then counts their share too)
cpu() {
    i=0
    while [ $i -lt "$runs" ]; do
        sh -c "$1" >/dev/null 2>&1
        ( cd repo && /usr/bin/time -f "%U %S" sh -c "$2" 2>&1 >/dev/null | tail -1 | awk '{ print $1 + $2 }' )
        i=$((i + 1))
    done | median
}
ten_cpu=$(cpu "rm -rf repo/ten" "'$dv' plots show -o ten curve0.csv curve1.csv curve2.csv curve3.csv curve4.csv curve5.csv curve6.csv curve7.csv curve8.csv curve9.csv")
one_cpu=$(cpu "rm -rf repo/one" "'$dv' plots show -o one big.csv")
sc_cpu=$(cpu "rm -rf repo/sc" "'$dv' plots show -o sc scatter.csv")
ten_n=$(grep -c '<g class="series"' repo/ten/index.html)
[ "$ten_n" = 10 ] || { echo "bench: expected 10 series, got $ten_n" >&2; exit 1; }
one_bytes=$(cat repo/one/index.html repo/one/big.svg | wc -c)
sc_bytes=$(cat repo/sc/index.html repo/sc/scatter.svg | wc -c)
ten_bytes=$(cat repo/ten/index.html | wc -c)

row "plots show, 10 plots x 100,000 points" "$(fmt "$ten") s" "$(fmt "$ten_cpu") s" "<= 0.3 s" "$(check "$ten" 0.3)" "$ten_bytes B page"
row "plots show, 1 series of 1,000,000 points" "$(fmt "$one") s" "$(fmt "$one_cpu") s" "<= 0.5 s" "$(check "$one" 0.5)" "-"
row "  its output (index.html + big.svg)" "$one_bytes B" "-" "<= 2 MB" "$(check "$one_bytes" 2000000)" "-"
row "plots show, scatter of 1,000,000 points" "$(fmt "$sc") s" "$(fmt "$sc_cpu") s" "-" "-" "$sc_bytes B (page + svg)"
host="$(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), load average $(cut -d' ' -f1 /proc/loadavg)"
table "dv plots, medians of $runs runs; host: $host" case "dv (wall)" "dv (CPU)" target met notes
rm -rf "$work"
[ "$missed" = 0 ]
