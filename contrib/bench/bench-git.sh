#!/bin/sh
# bench-git.sh - speed of dv's history-aware commands against their targets
# (issue "git integration"):
#   dv gc --all-commits -n, 1,000 commits touching 100 .stage files   <= 1 s
#   dv diff of two revisions of a 100,000-file directory                <= 0.5 s
#
#   contrib/bench/bench-git.sh [-n RUNS] [--dv PATH] [--workdir DIR]
#
# The repositories are generated directly (objects written into the cache,
# history through git fast-import), so only the commands under test are
# timed.  Each case runs RUNS times (default 5) on a warm page cache; the
# table shows the median and its ratio to the target.
set -eu

. "$(dirname "$0")/bench-lib.sh"
bench_init git 5 "$@"
for tool in python3 xxhsum git; do
    command -v $tool >/dev/null || { echo "bench-git: needs $tool" >&2; exit 1; }
done

# warm_med CMD: one untimed warm-up run, then the median of $runs
warm_med() { time_cmd true "$1" >/dev/null; med true "$1"; }

# put_objects DIR CACHE: copy every file of DIR into CACHE under its hash
# (".dir" for names ending in .dir); prints "name hash" lines
put_objects() {
    (cd "$1" && xxhsum -H2 -- *) | while read -r h name; do
        case $name in *.dir) suffix=.dir ;; *) suffix= ;; esac
        mkdir -p "$2/files/xxh128/$(echo "$h" | cut -c1-2)"
        cp "$1/$name" "$2/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)$suffix"
        echo "$name $h"
    done
}

# --- gc: 1,000 commits, 100 .stage files -------------------------------------
echo "generating 1,000 commits over 100 .stage files ..." >&2
git init -q "$work/hist"
(cd "$work/hist" && "$dv" init -q && git commit -q -m init)
mkdir -p "$work/versions"
python3 - "$work/versions" <<'PY'
import os, sys
out = sys.argv[1]
# stage s, version v: 100 first versions, then commit c (1..999) changes
# stage c % 100 to its next version: 1,000 commits, 1,099 distinct blobs.
ver = [0] * 100
for s in range(100):
    open(os.path.join(out, 's%03d_v%03d' % (s, 0)), 'wb').write(b'stage %d version 0\n' % s + os.urandom(512))
for c in range(1, 1000):
    s = c % 100
    ver[s] += 1
    open(os.path.join(out, 's%03d_v%03d' % (s, ver[s])), 'wb').write(b'stage %d version %d\n' % (s, ver[s]) + os.urandom(512))
PY
put_objects "$work/versions" "$work/hist/.dv/cache" >"$work/hashes"
python3 - "$work/hashes" >"$work/stream" <<'PY'
import sys
h = dict(line.split() for line in open(sys.argv[1]))
def stage(s, v):
    return ('[out]\npath = f%03d.bin\nhash = xxh128:%s\nsize = %d\n'
            % (s, h['s%03d_v%03d' % (s, v)], 512 + len('stage %d version %d\n' % (s, v)))).encode()
def commit(n, files):
    w = sys.stdout.buffer
    w.write(b'commit refs/heads/main\ncommitter bench <bench@dv.invalid> %d +0000\n' % (1600000000 + n))
    msg = b'commit %d' % n
    w.write(b'data %d\n%s\n' % (len(msg), msg))
    if n == 0:
        w.write(b'from refs/heads/main^0\n')
    for path, data in files:
        w.write(b'M 100644 inline %s\ndata %d\n%s\n' % (path.encode(), len(data), data))
ver = [0] * 100
commit(0, [('data/d%02d/f%03d.bin.stage' % (s // 10, s), stage(s, 0)) for s in range(100)])
for c in range(1, 1000):
    s = c % 100
    ver[s] += 1
    commit(c, [('data/d%02d/f%03d.bin.stage' % (s // 10, s), stage(s, ver[s]))])
PY
(cd "$work/hist" && git fast-import --quiet <"$work/stream" && git reset -q --hard main)
commits=$(cd "$work/hist" && git rev-list --count main)
t_gc=$(warm_med "cd $work/hist && $dv gc --all-commits -n")
(cd "$work/hist" && "$dv" gc --all-commits -n | tail -1) >&2

# --- diff: a 100,000-file directory in two revisions -------------------------------
echo "generating two revisions of a 100,000-file directory ..." >&2
git init -q "$work/big"
(cd "$work/big" && "$dv" init -q && git commit -q -m init)
mkdir -p "$work/manifests"
python3 - "$work/manifests" <<'PY'
import os, sys, random
random.seed(7)
out = sys.argv[1]
entries = {}
for i in range(100000):
    entries['part%03d/file%06d.bin' % (i % 1000, i)] = (os.urandom(16).hex(), random.randint(1, 1 << 20))
def write(name, ents):
    with open(os.path.join(out, name), 'w') as f:
        for p in sorted(ents, key=lambda s: s.encode()):
            f.write('%s %d 644 %s\n' % (ents[p][0], ents[p][1], p))
write('v1.dir', entries)
keys = sorted(entries)
for p in random.sample(keys, 1000):            # 1% modified
    entries[p] = (os.urandom(16).hex(), entries[p][1])
for p in random.sample(keys, 100):             # 100 deleted
    entries.pop(p, None)
for i in range(100):                           # 100 added
    entries['new/file%03d.bin' % i] = (os.urandom(16).hex(), 10)
write('v2.dir', entries)
PY
put_objects "$work/manifests" "$work/big/.dv/cache" >"$work/mhashes"
for v in v1 v2; do
    h=$(sed -n "s/^$v.dir //p" "$work/mhashes")
    n=$(wc -l <"$work/manifests/$v.dir")
    printf '[out]\npath = data\nhash = xxh128:%s.dir\nsize = 1\nfiles = %s\n' "$h" "$n" >"$work/big/data.stage"
    (cd "$work/big" && git add data.stage && git commit -q -m "$v")
done
t_diff=$(warm_med "cd $work/big && $dv diff HEAD~1 HEAD")
(cd "$work/big" && "$dv" diff HEAD~1 HEAD | awk '{ print $1 }' | sort | uniq -c | tr '\n' ' ') >&2
echo >&2

row "gc --all-commits -n: $commits commits, 100 .stage files" "$(fmt "$t_gc")" "1.0" "$(ratio "$t_gc" 1.0)" "$(check "$t_gc" 1.0)"
row "diff HEAD~1 HEAD: 100,000-file directory, 1,200 changes" "$(fmt "$t_diff")" "0.5" "$(ratio "$t_diff" 0.5)" "$(check "$t_diff" 0.5)"
table "dv git integration, median of $runs runs, $(nproc) cores, $(uname -r)" case "dv (s)" target ratio result
rm -rf "$work"
[ "$missed" = 0 ]
