#!/bin/sh
# bench-s3.sh - dv push / dv pull of one large object through an S3 store
# on 127.0.0.1 (OpenStack Swift with s3api, started by tests/servers/s3.sh)
# against curl 7.88 moving the same bytes with the same SigV4 signing
# (--aws-sigv4, x-amz-content-sha256: UNSIGNED-PAYLOAD).  Prints one table:
# seconds and MiB/s of each side and dv's share of curl's throughput.
#
#   contrib/bench/bench-s3.sh                 1 GiB, best of 3
#   SIZE_MIB=256 REPEAT=1 contrib/bench/bench-s3.sh
#
# Environment: DV (the dv binary; build/dv by default), SIZE_MIB (1024),
# SMALL (500 files of 4 KiB; 0 skips them), REPEAT (3: times are the best of
# REPEAT runs, as this machine is shared), JOBS (dv's -j and curl's
# parallelism, 8), KEEP=1 keeps the work directory.
#
# What is compared:
#   push   curl -T (one PUT) with dv push (a multipart upload in 64 MiB
#          parts, several in flight)
#   pull   curl GET of the object dv pushed with dv pull (download, re-hash,
#          adopt into the cache, check out into the workspace)
#   fetch  the same GET with dv fetch (download, re-hash, adopt)
# and, for reference, curl GET of curl's single-PUT object: Swift serves a
# multipart object (a static large object) more slowly than a plain one,
# whoever reads it.  Then SMALL small files: dv push / dv fetch of a
# directory against that many curl processes, JOBS at a time (xargs -P).
# Exits 1 when dv push or dv pull reaches less than 70% of curl's
# throughput.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DV=${DV:-$ROOT/build/dv}
SIZE_MIB=${SIZE_MIB:-1024}
SMALL=${SMALL:-500}
REPEAT=${REPEAT:-3}
JOBS=${JOBS:-8}

die() { echo "bench-s3.sh: error: $*" >&2; exit 1; }
[ -x "$DV" ] || die "no dv binary at '$DV': build it (cmake --build build) or set DV"
command -v curl >/dev/null || die "curl is missing"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-s3.XXXXXX")
S3_DIR=$WORK/s3
export S3_DIR
cleanup() {
	bash "$ROOT/tests/servers/s3.sh" stop >/dev/null 2>&1 || true
	if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
eval "$(bash "$ROOT/tests/servers/s3.sh" start)"
E=$S3_ENDPOINT/$S3_BUCKET

s3curl() {
	curl -sS --fail --aws-sigv4 "aws:amz:$S3_REGION:s3" \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}
now() { date +%s.%N; }
# best NAME SECONDS: keep the smallest time seen for NAME.
best() {
	old=$(cat "$WORK/t.$1" 2>/dev/null || echo 1e9)
	awk -v a="$2" -v b="$old" 'BEGIN { print (a < b) ? a : b }' >"$WORK/t.$1"
}
timed() { # timed NAME COMMAND...: run, time, keep the best
	name=$1
	shift
	t0=$(now)
	"$@"
	t1=$(now)
	best "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

echo "bench-s3: making a $SIZE_MIB MiB file and a repository in $WORK" >&2
git init -q "$WORK/repo"
cd "$WORK/repo"
head -c $((SIZE_MIB * 1048576)) /dev/zero |
	openssl enc -aes-128-ctr -nosalt -pass pass:bench-s3 -pbkdf2 2>/dev/null >big.bin
[ "$(stat -c %s big.bin)" = $((SIZE_MIB * 1048576)) ] || die "could not write $SIZE_MIB MiB (openssl)"
"$DV" init -q
"$DV" add -q big.bin
"$DV" remote add -d s3 "s3://$S3_BUCKET/bench"
"$DV" remote modify s3 endpoint "$S3_ENDPOINT"
h=$(xxhsum -H2 big.bin 2>/dev/null | cut -d' ' -f1)
KEY=bench/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)
OBJ=.dv/cache/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)

for run in $(seq 1 "$REPEAT"); do
	echo "bench-s3: run $run of $REPEAT" >&2
	timed curl_put s3curl -o /dev/null -T big.bin "$E/curl-big.bin"
	s3curl -o /dev/null -X DELETE "$E/$KEY" 2>/dev/null || true
	timed dv_push "$DV" push -q -j "$JOBS"
	s3curl -o /dev/null -I "$E/$KEY" || die "dv push did not store $KEY"

	timed curl_get_dv s3curl -o "$WORK/get" "$E/$KEY"
	cmp -s "$WORK/get" big.bin || die "curl read back other bytes"
	timed curl_get_plain s3curl -o "$WORK/get" "$E/curl-big.bin"
	rm -f "$WORK/get"

	rm -f big.bin "$OBJ"
	timed dv_fetch "$DV" fetch -q -j "$JOBS"
	[ -f "$OBJ" ] || die "dv fetch did not bring the object back"
	rm -f "$OBJ"
	timed dv_pull "$DV" pull -q -j "$JOBS"
	[ "$(xxhsum -H2 big.bin 2>/dev/null | cut -d' ' -f1)" = "$h" ] || die "dv pull brought other bytes"
done

if [ "$SMALL" -gt 0 ]; then
	echo "bench-s3: $SMALL small files" >&2
	git init -q "$WORK/small"
	cd "$WORK/small"
	mkdir files
	i=0
	while [ $i -lt "$SMALL" ]; do
		head -c 4096 /dev/urandom >files/f$i
		i=$((i + 1))
	done
	"$DV" init -q
	"$DV" add -q files
	mkdir -p "$WORK/small-get"
	"$DV" remote add -d s3 "s3://$S3_BUCKET/small-0"
	"$DV" remote modify s3 endpoint "$S3_ENDPOINT"
	for run in $(seq 1 "$REPEAT"); do
		echo "bench-s3: small files, run $run of $REPEAT" >&2
		(cd files && timed curl_put_small sh -c 'ls | xargs -P "$0" -I{} curl -sS --fail \
			--aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
			-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o /dev/null -T {} "$1/{}"' \
			"$JOBS" "$E/curl-small-$run")
		"$DV" remote modify s3 url "s3://$S3_BUCKET/small-$run"
		timed dv_push_small "$DV" push -q -j "$JOBS"
		(cd files && timed curl_get_small sh -c 'ls | xargs -P "$0" -I{} curl -sS --fail \
			--aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
			-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o "$2/{}" "$1/{}"' \
			"$JOBS" "$E/curl-small-$run" "$WORK/small-get")
		rm -rf .dv/cache/files
		timed dv_fetch_small "$DV" fetch -q -j "$JOBS"
	done
fi

row() { # row LABEL CURL_NAME DV_NAME TARGET
	awk -v label="$1" -v c="$(cat "$WORK/t.$2")" -v d="$(cat "$WORK/t.$3")" \
	    -v mib="$SIZE_MIB" -v target="$4" 'BEGIN {
		ratio = c / d
		printf "%-38s %8.2f %9.1f %8.2f %9.1f %8.2f  %s\n", label, c, mib / c, d, mib / d, ratio,
		       target == "" ? "" : (ratio >= target ? "ok (>= " target ")" : "MISSED (< " target ")")
		exit(target != "" && ratio < target)
	}'
}
echo
echo "One $SIZE_MIB MiB object, Swift s3api on 127.0.0.1, $(nproc) cores, best of $REPEAT; dv -j $JOBS"
printf "%-38s %8s %9s %8s %9s %8s  %s\n" "curl vs dv" "curl s" "MiB/s" "dv s" "MiB/s" "dv/curl" "target"
status=0
row "PUT -T vs dv push" curl_put dv_push 0.70 || status=1
row "GET (same object) vs dv pull" curl_get_dv dv_pull 0.70 || status=1
row "GET (same object) vs dv fetch" curl_get_dv dv_fetch "" || true
row "GET (curl's plain object) vs dv pull" curl_get_plain dv_pull "" || true
if [ "$SMALL" -gt 0 ]; then
	echo
	echo "$SMALL files of 4 KiB, $JOBS at a time (curl: one process per file, xargs -P $JOBS)"
	printf "%-38s %8s %9s %8s %9s %8s\n" "curl vs dv" "curl s" "files/s" "dv s" "files/s" "dv/curl"
	SIZE_MIB=$SMALL
	row "PUT vs dv push" curl_put_small dv_push_small ""
	row "GET vs dv fetch" curl_get_small dv_fetch_small ""
fi
exit $status
