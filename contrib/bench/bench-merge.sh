#!/bin/sh
# bench-merge.sh - speed of the .stage merge driver (issue 12 sets no
# target; the reference is dv diff's 0.5 s for a directory of this size):
#   dv merge-driver on a 100,000-file directory out, 1,000 files changed on
#   one branch and 100 added + 100 deleted on the other (a clean merge that
#   reads three manifests and writes the merged one to the cache)
#
#   contrib/bench/bench-merge.sh [-n RUNS] [--dv PATH] [--workdir DIR]
#
# The manifests are generated directly into the cache, so only the driver
# is timed.  Median of RUNS (default 5) on a warm page cache.
set -eu

. "$(dirname "$0")/bench-lib.sh"
bench_init merge 5 "$@"
for tool in python3 xxhsum git; do
    command -v $tool >/dev/null || { echo "bench-merge: needs $tool" >&2; exit 1; }
done

git init -q "$work/repo"
(cd "$work/repo" && "$dv" init -q && git commit -q -m init)
mkdir -p "$work/manifests"
python3 - "$work/manifests" <<'PY'
import os, random, sys
out = sys.argv[1]
random.seed(12)
base = {'d%03d/f%06d.bin' % (i % 500, i): (os.urandom(16).hex(), 1000 + i) for i in range(100000)}
def write(name, ents):
    with open(os.path.join(out, name), 'w') as f:
        for p in sorted(ents, key=lambda s: s.encode()):
            f.write('%s %d 644 %s\n' % (ents[p][0], ents[p][1], p))
write('base.dir', base)
keys = sorted(base)
ours = dict(base)
for p in random.sample(keys[:50000], 1000):    # ours: 1,000 modified
    ours[p] = (os.urandom(16).hex(), ours[p][1])
theirs = dict(base)
for p in random.sample(keys[50000:], 100):     # theirs: 100 deleted, 100 added
    theirs.pop(p)
for i in range(100):
    theirs['new/file%03d.bin' % i] = (os.urandom(16).hex(), 10)
write('ours.dir', ours)
write('theirs.dir', theirs)
PY
cache=$work/repo/.dv/cache
for v in base ours theirs; do
    h=$(xxhsum -H2 "$work/manifests/$v.dir" | cut -d' ' -f1)
    mkdir -p "$cache/files/xxh128/$(echo "$h" | cut -c1-2)"
    cp "$work/manifests/$v.dir" "$cache/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-).dir"
    printf '[out]\npath = data\nhash = xxh128:%s.dir\nsize = 1\nfiles = %s\n' \
        "$h" "$(wc -l <"$work/manifests/$v.dir")" >"$work/$v.stage"
done
setup="cp $work/ours.stage $work/result.stage"
cmd="cd $work/repo && $dv merge-driver $work/base.stage $work/result.stage $work/theirs.stage data.stage"
time_cmd "$setup" "$cmd" >/dev/null
t=$(med "$setup" "$cmd")
grep -q '^files = 100000$' "$work/result.stage" || { echo "bench-merge: unexpected result" >&2; cat "$work/result.stage" >&2; exit 1; }

row "merge-driver: 100,000-file directory, 1,000 vs 200 changes" "$(fmt "$t")" "0.5" "$(ratio "$t" 0.5)" "$(check "$t" 0.5)"
table "dv .stage merge driver, median of $runs runs, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)" case "dv (s)" "reference" ratio result
[ -n "${BENCH_KEEP:-}" ] || rm -rf "$work"
[ "$missed" = 0 ]
