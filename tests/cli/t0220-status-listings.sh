#!/bin/sh
# The directory listings in .dv/dirs: an unchanged directory of a tracked
# tree is not read again (nor its symlinks), and whatever changes a
# directory's entries -- a new, removed or re-pointed file or link, a
# .dvignore rule, a damaged .dv/dirs -- is still seen.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# A listing is trusted only once the directory's last change is older
# than the timestamp tick (dircache.h): status after this is read from it.
settle() { sleep 0.12; }

# calls NAMES DIR CMD...: how many times CMD calls any of NAMES (a comma
# list) on DIR or below (strace -y names the path behind each descriptor;
# readlink names its own).
calls() {
	names=$1 dir=$2 && shift 2 &&
	# LeakSanitizer cannot run under ptrace (the ASan suite).
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -y -e trace="$names" -o ../strace.out "$@" >/dev/null 2>&1 &&
	grep -cE "($(echo "$names" | tr , '|'))\(.*$dir" ../strace.out || true
}

new_repo repo

test_case 'setup: a tree of 3 directories added (copy cache)' '
	cd repo &&
	mkdir -p data/a data/b && for i in 1 2 3 4 5; do echo "a$i" >data/a/f$i; echo "b$i" >data/b/f$i; done &&
	echo top >data/top && dv add -q data && git commit -q -m data
'

test_case 'an unchanged tree is not read again: no getdents on the second status' '
	cd repo && settle &&
	dv status --exit-code && test -s .dv/dirs &&
	test "$(calls getdents64 /data "$DV" status --exit-code)" = 0 &&
	dv status --exit-code
'

test_case 'a file added to, removed from or renamed in a listed directory is seen' '
	cd repo && settle && dv status --exit-code &&
	dv unprotect data &&
	echo new >data/a/new && dv status >out && grep -E "added: +data/a/new$" out &&
	rm data/a/new && dv status --exit-code && settle && dv status --exit-code &&
	mv data/b/f2 data/b/g2 && dv status >out &&
	grep -E "deleted: +data/b/f2$" out && grep -E "added: +data/b/g2$" out &&
	mv data/b/g2 data/b/f2 && dv status --exit-code
'

test_case 'a .dvignore rule that changes is applied to a listed directory' '
	cd repo && echo x >data/a/junk.tmp && printf "*.tmp\n" >data/.dvignore &&
	dv commit -q data.stage && settle && dv status --exit-code && dv status --exit-code &&
	rm data/.dvignore && dv status >out && grep -E "added: +data/a/junk.tmp$" out &&
	printf "*.tmp\n" >data/.dvignore && dv status --exit-code
'

test_case 'a damaged or foreign .dv/dirs is an empty cache, never a wrong answer' '
	cd repo && settle && dv status --exit-code &&
	head -c 100 .dv/dirs >cut && mv cut .dv/dirs && dv status --exit-code &&
	{ printf DVDIRS01; head -c 4000 /dev/urandom; } >.dv/dirs && dv status --exit-code &&
	echo change >data/a/f1 && dv status >out && grep -E "modified: +data/a/f1$" out &&
	echo garbage >.dv/dirs && dv status >out && grep -E "modified: +data/a/f1$" out &&
	echo a1 >data/a/f1 && dv status --exit-code
'

new_repo sym

test_case 'symlink cache: an unchanged tree costs no readlink and no getdents' '
	cd sym && dv config cache.type symlink &&
	mkdir -p d/x && for i in 1 2 3 4 5 6; do echo "s$i" >d/x/f$i; done && echo one >d/one &&
	dv add -q d && git add -A && git commit -q -m d && test -L d/x/f1 &&
	settle && rm -f .dv/dirs &&
	test "$(calls readlink,readlinkat /d/ "$DV" status --exit-code)" -gt 0 &&
	settle && dv status --exit-code &&
	test "$(calls readlink,readlinkat /d/ "$DV" status --exit-code)" = 0 &&
	test "$(calls getdents64 /d "$DV" status --exit-code)" = 0
'

test_case 'symlink cache: a link pointed at another object is seen as modified' '
	cd sym && settle && dv status --exit-code &&
	target=$(readlink d/x/f2) && rm d/x/f1 && ln -s "$target" d/x/f1 &&
	dv status >out && grep -E "modified: +d/x/f1$" out &&
	dv checkout -q -f d && dv status --exit-code
'

test_case 'symlink cache: an object gone from the cache is not reported up to date' '
	cd sym && settle && dv status --exit-code && dv status --exit-code &&
	obj=$(readlink -f d/x/f3) && chmod u+w "$(dirname "$obj")" && mv "$obj" ../saved &&
	! dv status --exit-code >out &&
	mv ../saved "$obj" && dv status --exit-code
'

test_case 'symlink cache: the whole work tree moved keeps its listings valid' '
	settle && (cd sym && dv status --exit-code) && mv sym sym2 &&
	(cd sym2 && dv status --exit-code && test "$(cat d/x/f4)" = s4) && mv sym2 sym
'

test_done
