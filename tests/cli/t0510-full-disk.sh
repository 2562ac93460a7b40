#!/bin/sh
# A full disk: the repository lives on a small tmpfs, and every write dv
# makes there fails part-way.  Each command must say so on one line, exit
# 1, and leave nothing half-written: no temp file, no torn .stage, config
# or cache object, the user's data untouched; freeing space and rerunning
# finishes the job.  Needs root (mount); skipped otherwise.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

MNT=$TRASH/small-fs
mkdir -p "$MNT"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=16m dv-test-full "$MNT" 2>/dev/null; then
	skip_all 'needs root and a tmpfs mount'
fi
trap 'umount "$MNT" 2>/dev/null' EXIT
trap 'exit 1' HUP INT TERM

# fill: take every free byte of the small file system.
fill() { dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null || true; }
unfill() { rm -f "$MNT/filler"; }
# no_leftovers: no temp file anywhere in the repository.
no_leftovers() {
	find "$MNT/repo" -name ".*.tmp-*" >"$TRASH/leftovers"
	if [ -s "$TRASH/leftovers" ]; then
		echo "temp files left behind:" >&2
		cat "$TRASH/leftovers" >&2
		return 1
	fi
}

test_case 'setup: a repository on a 16 MiB file system' '
	git init -q "$MNT/repo" && cd "$MNT/repo" &&
	dv init -q && git commit -q -m init &&
	make_file small.bin 3000 small && dv add -q small.bin && git add -A && git commit -q -m small
'

test_case 'add of a file the cache has no room for: clear error, no stage, data intact' '
	cd "$MNT/repo" &&
	make_file big.bin 9000000 big && cp big.bin "$TRASH/big.orig" &&
	expect_error 1 "big.bin" dv add big.bin &&
	grep -q "No space left on device (free some space there and run it again)" "$TEST_ROOT/stderr" &&
	test ! -e big.bin.stage &&
	cmp big.bin "$TRASH/big.orig" &&
	no_leftovers &&
	test -z "$(find .dv/cache -type f -size +1000k)"
'

test_case 'after freeing space, the same add succeeds' '
	cd "$MNT/repo" &&
	rm -f "$TRASH/big.orig" && make_file big.bin 1500000 big2 &&
	dv add -q big.bin &&
	grep -q "^hash = $(xxh128 big.bin)" big.bin.stage &&
	git add -A && git commit -q -m big && rm -f big.bin &&
	dv checkout big.bin >/dev/null &&
	test -f big.bin
'

test_case 'config set on a full disk: error, the old config intact' '
	cd "$MNT/repo" &&
	cp .dv/config "$TRASH/config.before" &&
	fill &&
	expect_error 1 ".dv/config" dv config cache.type copy &&
	unfill &&
	cmp .dv/config "$TRASH/config.before" &&
	no_leftovers &&
	dv config cache.type copy && test "$(dv config cache.type)" = copy
'

test_case 'add of a small file on a full disk: error, no torn stage or object' '
	cd "$MNT/repo" &&
	make_file tiny.bin 20000 tiny &&
	fill &&
	expect_code 1 dv add tiny.bin 2>"$TRASH/err" &&
	unfill &&
	grep -q "^dv: error: " "$TRASH/err" &&
	no_leftovers &&
	if [ -e tiny.bin.stage ]; then grep -q "^hash = $(xxh128 tiny.bin)" tiny.bin.stage; fi &&
	dv add -q tiny.bin &&
	grep -q "^hash = $(xxh128 tiny.bin)" tiny.bin.stage &&
	dv status --exit-code >/dev/null
'

test_case 'checkout on a full disk: error naming the file, then a rerun restores it' '
	cd "$MNT/repo" &&
	git add -A && git commit -q -m tiny &&
	rm -f big.bin &&
	fill &&
	expect_error 1 "big.bin" dv checkout big.bin &&
	unfill &&
	no_leftovers &&
	test ! -e big.bin || { echo "a half-written big.bin was left" >&2; false; } &&
	dv checkout big.bin >/dev/null &&
	dv status --exit-code >/dev/null
'

test_case 'pull into a full disk: error, and a rerun after freeing space finishes' '
	cd "$MNT/repo" &&
	dv remote add -d store "$TRASH/store" >/dev/null && dv push >/dev/null &&
	git add .dv/config && git commit -q -m remote &&
	git clone -q "$MNT/repo" "$MNT/clone" && cd "$MNT/clone" &&
	fill &&
	expect_code 1 dv pull 2>"$TRASH/err" &&
	unfill &&
	grep -q "^dv: error: " "$TRASH/err" &&
	test -z "$(find . -name ".*.tmp-*")" &&
	{ dv fsck >"$TRASH/fsck" 2>&1 || true; } &&
	grep -q " 0 corrupt" "$TRASH/fsck" &&
	dv pull >/dev/null &&
	cmp big.bin ../repo/big.bin && cmp tiny.bin ../repo/tiny.bin &&
	dv status --exit-code >/dev/null
'

test_done
