#!/bin/sh
# The symlink add moves each file into the cache and links it back, its
# path journaled first (addjournal.h): a SIGKILL or Ctrl-C between the
# two leaves the file's bytes in the cache and its path in the journal,
# and the next command that takes the lock links it back; a journal that
# names a path outside the work tree is not followed.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

command -v strace >/dev/null || skip_all "strace is needed"

# stop_at SIG N CMD...: run CMD, which gets SIG on entering its Nth
# symlink call (the alias .dv/o is the first).
stop_at() {
	sig=$1 n=$2 && shift 2 &&
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -o /dev/null -e trace=symlink \
		-e inject=symlink:signal=$sig:when=$n "$@" >/dev/null 2>&1 || true
}
sums() { (cd data && find . -type f -o -type l | sort | while read -r f; do echo "$f $(cat "$f")"; done); }

new_repo repo

test_case 'setup: 40 files to add with cache.type symlink' '
	cd repo && dv config cache.type symlink && git add -A && git commit -q -m config &&
	mkdir -p data/a data/b && for i in $(seq 10 29); do echo "a$i" >data/a/f$i; echo "b$i" >data/b/f$i; done &&
	sums >../want
'

test_case 'kill -9 between a move and its link: the next add links the file back, nothing lost' '
	cd repo && stop_at KILL 6 "$DV" add -q data &&
	test "$(ls -A .dv/journal | wc -l)" = 1 &&
	test "$(find data -type f -o -type l | wc -l)" = 39 &&
	dv add data >/dev/null 2>err && grep -q "linked back 1 file" err && test -z "$(ls -A .dv/journal)" &&
	sums >../got && cmp ../want ../got && dv status --exit-code &&
	test -L data/a/f10 && test -L data/b/f29
'

test_case 'Ctrl-C (SIGINT) there: the same, and dv checkout finishes it as well' '
	cd repo && mkdir -p more && for i in $(seq 10 39); do echo "m$i" >more/g$i; done &&
	stop_at INT 20 "$DV" add -q more &&
	test "$(ls more | wc -l)" = 29 && test "$(ls -A .dv/journal | wc -l)" = 1 &&
	dv checkout >/dev/null 2>err; grep -q "linked back 1 file" err &&
	test "$(ls more | wc -l)" = 30 && for i in $(seq 10 39); do test "$(cat more/g$i)" = "m$i" || return 1; done &&
	dv add -q more && dv status --exit-code
'

# deny CMD...: run CMD with every symlink call failing as on a full disk.
deny() {
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -o /dev/null -e trace=symlink \
		-e inject=symlink:error=ENOSPC "$@" >/dev/null 2>&1
}

test_case 'a disk that denies the symlink: the file stays as it was, writable, and is no object' '
	cd repo && echo "single bytes" >one.bin && mkdir -p full && echo "dir bytes" >full/f &&
	chmod 640 one.bin full/f &&
	! deny "$DV" add one.bin && ! deny "$DV" add full &&
	for f in one.bin full/f; do
		test -f "$f" && test ! -L "$f" && test "$(stat -c %a "$f")" = 640 &&
		test "$(stat -c %h "$f")" = 1 || { ls -l "$f"; return 1; }
	done &&
	test "$(cat one.bin)" = "single bytes" && test "$(cat full/f)" = "dir bytes" &&
	test -z "$(ls -A .dv/journal)" &&
	dv add -q one.bin full && test -L one.bin && test -L full/f && dv status --exit-code
'

test_case 'a journal naming paths outside the work tree or in .git is not followed' '
	cd repo && obj=$(readlink data/a/f11 | sed "s|.*/o/||") &&
	pid=$(sh -c "echo \$\$") && : a writer that is gone &&
	tag=$(printf "%x" $((pid * 4294967296 + 7))) &&
	printf "%s\t../outside\n%s\t.git/hooks/pre-commit\n%s\t.dv/config\n%s\tdata/a/restored\n" \
		"$obj" "$obj" "$obj" "$obj" >".dv/journal/.add.tmp-$tag-0" &&
	dv add -q data &&
	test ! -e ../outside && test ! -L ../outside && test ! -L .git/hooks/pre-commit &&
	test ! -L .dv/config && test -L data/a/restored && test "$(cat data/a/restored)" = a11 &&
	test -z "$(ls -A .dv/journal)" && rm data/a/restored
'

test_done
