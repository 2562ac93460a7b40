#!/bin/sh
# The walked directories' hashes in .dv/trees: an unchanged tracked tree
# gets its hash from its walk's digest (no stat-cache lookup, no file
# read, even with .dv/state gone), and every change below it -- a
# same-size rewrite, a mode bit, an added, removed or renamed file, a
# damaged .dv/trees -- is still seen.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# The stat cache trusts a file hashed only once its mtime is older than
# the timestamp tick (statcache.c: a file hashed within the tick of its
# last write is hashed once more), and .dv/trees records a digest only
# when the stat cache knew every file.
settle() { sleep 0.12; }

# reads DIR CMD...: how many read calls CMD makes on files under DIR
# (strace -y names the path behind each descriptor).
reads() {
	dir=$1 && shift &&
	# LeakSanitizer cannot run under ptrace (the ASan suite).
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -y -e trace=read,pread64 -o ../strace.out "$@" >/dev/null 2>&1 &&
	grep -cE "read(64)?\([0-9]+<[^>]*$dir" ../strace.out || true
}
records() { echo $((($(wc -c <.dv/trees) - 8) / 40)); }

new_repo repo

test_case 'setup: a tree of 2 directories added (copy cache), its hash recorded' '
	cd repo &&
	mkdir -p data/a data/b && for i in 1 2 3 4 5; do echo "a$i" >data/a/f$i; echo "b$i" >data/b/f$i; done &&
	dv add -q data && git commit -q -m data && settle &&
	dv status --exit-code && dv status --exit-code && test "$(records)" -ge 1
'

test_case 'an unchanged tree is not read, even with the stat cache gone; without .dv/trees it is' '
	cd repo && settle && dv status --exit-code &&
	rm .dv/state && test "$(reads /data/ "$DV" status --exit-code)" = 0 &&
	rm -f .dv/state .dv/trees && test "$(reads /data/ "$DV" status --exit-code)" -gt 0 &&
	settle && dv status --exit-code && test -s .dv/trees
'

test_case 'a same-size rewrite is seen, with or without the stat cache' '
	cd repo && settle && dv status --exit-code && dv unprotect data &&
	echo A1 >data/a/f1 && dv status >out && grep -E "modified: +data/a/f1$" out &&
	rm .dv/state && dv status >out && grep -E "modified: +data/a/f1$" out &&
	settle && dv status >out && grep -E "modified: +data/a/f1$" out &&
	echo a1 >data/a/f1 && dv status --exit-code
'

test_case 'a digest is recorded only once the stat cache knew every file' '
	cd repo && settle && dv status --exit-code && n=$(records) &&
	echo a2 >data/a/f2 && dv status --exit-code && test "$(records)" = "$n" &&
	settle && dv status --exit-code && dv status --exit-code && test "$(records)" = $((n + 1))
'

test_case 'an added, removed or renamed file and a mode bit are seen' '
	cd repo && settle && dv status --exit-code &&
	echo new >data/b/new && dv status >out && grep -E "added: +data/b/new$" out &&
	rm data/b/new && dv status --exit-code &&
	mv data/b/f2 data/b/g2 && dv status >out &&
	grep -E "deleted: +data/b/f2$" out && grep -E "added: +data/b/g2$" out &&
	mv data/b/g2 data/b/f2 && dv status --exit-code &&
	chmod +x data/a/f3 && ! dv status --exit-code >out &&
	chmod -x data/a/f3 && dv status --exit-code
'

test_case 'a damaged, torn, unsorted or foreign .dv/trees is an empty cache' '
	cd repo && settle && dv status --exit-code && dv status --exit-code &&
	head -c 30 .dv/trees >cut && mv cut .dv/trees && dv status --exit-code &&
	{ printf DVTREES1; head -c 4000 /dev/urandom; } >.dv/trees && dv status --exit-code &&
	echo changed >data/a/f4 && dv status >out && grep -E "modified: +data/a/f4$" out &&
	echo garbage >.dv/trees && dv status >out && grep -E "modified: +data/a/f4$" out &&
	echo a4 >data/a/f4 && dv status --exit-code
'

test_case 'a recorded tree hash answers for the tree, not a stale one: the data at an older commit' '
	cd repo && settle && dv status --exit-code &&
	echo v2 >data/b/f5 && dv commit -q data.stage && git commit -qam v2 && settle && dv status --exit-code &&
	git checkout -q HEAD~1 -- data.stage && dv status >out && grep -E "modified: +data/b/f5$" out &&
	dv checkout -q -f data && dv status --exit-code && test "$(cat data/b/f5)" = b5
'

test_done
