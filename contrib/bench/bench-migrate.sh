#!/bin/sh
# bench-migrate.sh - `dv migrate` of a DVC 3.x repository holding 20,000
# files / 2 GiB (one directory tracked by data.dvc, its objects and .dir
# listing in .dvc/cache/files/md5), against the floor: reading the bytes of
# the cache once, and checking their md5.
#
#   contrib/bench/bench-migrate.sh [-n RUNS] [--dv PATH] [--workdir DIR] [--files N] [--mib M]
#
# Target (issue 15): dv migrate <= 1.5x its floor, warm page cache: reading
# the bytes of the cache once (the cheaper of `cat` and `xxhsum -H2` of
# every object) or checking their md5 on every core, whichever is longer;
# each object read once (md5 checked, XXH3-128 computed in the same pass,
# then hard-linked into dv's cache).  Between runs the repository is reset
# (git reset --hard, .dv removed), which DVC's cache does not notice.
set -eu

nfiles=20000 mib=2048
bench_usage='[--files N] [--mib M]'
bench_option() {
    case $1 in
    --files) nfiles=$2; return 1 ;;
    --mib) mib=$2; return 1 ;;
    esac
    return 2
}
. "$(dirname "$0")/bench-lib.sh"
bench_init migrate 3 "$@"

echo "generating a DVC repository of $nfiles files / $mib MiB in $work ..." >&2
git init -q repo
python3 - "$nfiles" "$mib" <<'PY'
import hashlib, json, os, sys
n, mib = int(sys.argv[1]), int(sys.argv[2])
size = mib * 1024 * 1024 // n
os.chdir("repo")
files = []
for i in range(n):
    rel = "%03d/f%05d.bin" % (i % 100, i)
    data = os.urandom(size)
    md5 = hashlib.md5(data).hexdigest()
    os.makedirs(os.path.dirname("data/" + rel), exist_ok=True)
    with open("data/" + rel, "wb") as f:
        f.write(data)
    obj = ".dvc/cache/files/md5/%s/%s" % (md5[:2], md5[2:])
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    with open(obj, "wb") as f:
        f.write(data)
    os.chmod(obj, 0o444)
    files.append({"md5": md5, "relpath": rel})
files.sort(key=lambda e: e["relpath"])
listing = json.dumps(files, sort_keys=True).encode()
md5 = hashlib.md5(listing).hexdigest()
obj = ".dvc/cache/files/md5/%s/%s.dir" % (md5[:2], md5[2:])
with open(obj, "wb") as f:
    f.write(listing)
with open("data.dvc", "w") as f:
    f.write("outs:\n- md5: %s.dir\n  size: %d\n  nfiles: %d\n  hash: md5\n  path: data\n" % (md5, size * n, n))
with open(".gitignore", "w") as f:
    f.write("/data\n")
os.makedirs(".dvc", exist_ok=True)
with open(".dvc/config", "w") as f:
    f.write("")
with open(".dvc/.gitignore", "w") as f:
    f.write("/config.local\n/tmp\n/cache\n")
PY
(cd repo && git add -A && git commit -q -m "DVC project")
orig=$(cd repo && git rev-parse HEAD)
warm="find $work/repo/.dvc/cache -type f -print0 | xargs -0 cat >/dev/null"

objs="find $work/repo/.dvc/cache -type f -print0 | xargs -0"
mig_setup() { echo "cd $work/repo && rm -rf .dv && git reset -q --hard $orig && $warm && $dv --version >/dev/null"; }
mig_cmd() { echo "cd $work/repo && $dv migrate -q"; }
cat_setup() { echo "$warm"; }
cat_cmd() { echo "$warm"; }
xxh_setup() { echo "$warm"; }
xxh_cmd() { echo "$objs xxhsum -H2 >/dev/null"; }
md5_setup() { echo "$warm"; }
md5_cmd() { echo "$objs -P$(nproc) -n 500 md5sum >/dev/null"; }
rounds mig cat xxh md5
t_mig=$m1 floor_cat=$m2 floor_xxh=$m3 floor_md5=$m4
# The floor is what migrate cannot avoid: read every byte once (the
# cheaper of cat and xxhsum: on some hosts cat's in-kernel copy to
# /dev/null is several times slower than reading into a small buffer,
# seen: 13.6 s against 1.8 s) and check every md5 (md5sum on all cores),
# whichever takes longer.
read_floor=$floor_cat read_name=cat
if [ "$(echo "$floor_xxh < $floor_cat" | bc -l)" = 1 ]; then read_floor=$floor_xxh read_name="xxhsum -H2"; fi
floor=$read_floor floor_name="read ($read_name)"
if [ "$(echo "$floor_md5 > $floor" | bc -l)" = 1 ]; then floor=$floor_md5 floor_name="md5sum -P$(nproc)"; fi
row "dv migrate: $nfiles files, $mib MiB" "$(fmtc "$t_mig" "$c1")" "$floor_name: $(fmt "$floor") s" \
    "$(ratio "$t_mig" "$floor")x" "<= 1.5x: $(check "$(ratio "$t_mig" "$floor")" 1.5)"
row "  cat of .dvc/cache (the issue's floor)" "$(fmtc "$floor_cat" "$c2")" "-" "$(ratio "$t_mig" "$floor_cat")x" "-"
row "  xxhsum -H2 of .dvc/cache (one core)" "$(fmtc "$floor_xxh" "$c3")" "-" "$(ratio "$t_mig" "$floor_xxh")x" "-"
row "  md5sum of .dvc/cache ($(nproc) processes)" "$(fmtc "$floor_md5" "$c4")" "-" "$(ratio "$t_mig" "$floor_md5")x" "-"
(cd repo && $dv status >/dev/null && $dv status | grep -q "up to date") ||
    { echo "bench: dv status is not clean after the migration" >&2; exit 1; }

cpu=$(grep -m1 "model name" /proc/cpuinfo | sed 's/.*: //')
table "dv migrate, median of $runs runs, $cpu, $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)" case "wall (CPU) s" floor ratio target
rm -rf "$work"
[ "$missed" = 0 ]
