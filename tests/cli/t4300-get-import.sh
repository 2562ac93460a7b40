#!/bin/sh
# dv get / import / update: data from a second local dv repository whose
# default remote is a directory (relative to the SOURCE's root), from its
# cache or from that remote, at a revision; imports recorded in [source]
# and followed by dv update.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# libgit2 1.5 leaks pcre2 match data whenever git_remote_create applies
# url.*.insteadOf (every git_clone does): not dv's leak, so an ASan build
# is told to ignore that one library.
printf 'leak:libpcre2-8.so\n' >"$TEST_ROOT/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TEST_ROOT/lsan.supp"

new_repo src
new_repo dst

# wipe_cache REPO: empty a repository's cache, so only its remote has data
wipe_cache() {
	chmod -R u+w "$1/.dv/cache" && rm -rf "$1/.dv/cache/files"
}

test_case 'a source repository with data pushed to a relative directory remote' '
	cd src &&
	make_file model.bin 30000 m1 &&
	mkdir -p data/sub && echo a >data/a.csv && echo b >data/sub/b.csv && echo c >data/sub/c.csv &&
	echo "plain git" >README &&
	dv add -q model.bin data && git add README &&
	dv remote add -d store ../store &&
	git add .dv/config && git commit -q -m v1 && git tag v1 &&
	dv push -q && test -d ../store/files
'

test_case 'get copies a tracked file into the cwd' '
	mkdir out1 && cd out1 &&
	dv get ../src model.bin >log &&
	cmp model.bin ../src/model.bin &&
	assert_contains log "got model.bin" &&
	test ! -e model.bin.stage
'

test_case 'get of a tracked directory, of a file in it, of a folder of it' '
	cd out1 &&
	dv get ../src data >/dev/null && test "$(cat data/sub/c.csv)" = c && test "$(cat data/a.csv)" = a &&
	dv get ../src data/sub/b.csv >/dev/null && test "$(cat b.csv)" = b &&
	dv get ../src data/sub -o part >/dev/null && test "$(cat part/c.csv)" = c &&
	test ! -e part/a.csv && ls -A part >list && test "$(wc -l <list)" = 2
'

test_case 'get of a plain git file, -o into a directory, an existing output refused' '
	cd out1 &&
	dv get ../src README >/dev/null && test "$(cat README)" = "plain git" &&
	mkdir into && dv get ../src model.bin -o into >/dev/null && cmp into/model.bin model.bin &&
	expect_error 1 "exists already" dv get ../src model.bin &&
	expect_error 1 "neither tracked by dv nor a file in git" dv get ../src nosuch.bin
'

test_case 'get outside any repository leaves no scratch behind' '
	ls -A out1 >before &&
	(cd out1 && dv get ../src data/a.csv -o a-copy.csv >/dev/null) &&
	test "$(cat out1/a-copy.csv)" = a &&
	ls -A out1 | grep -v "^a-copy.csv$" >after && test_cmp before after
'

test_case 'with the source cache empty, data comes from its remote (relative to the source root)' '
	wipe_cache src &&
	mkdir out2 && cd out2 &&
	dv get ../src data -o d >log && cat log &&
	test "$(cat d/sub/b.csv)" = b &&
	assert_contains log "4 objects, 4 fetched"
'

test_case '--rev takes an older revision' '
	cd src && dv pull -q && dv unprotect model.bin && make_file model.bin 20000 m2 &&
	dv add -q model.bin && git commit -q -m v2 && dv push -q && cd .. &&
	mkdir out3 && cd out3 &&
	dv get ../src model.bin -o new.bin >/dev/null && cmp new.bin ../src/model.bin &&
	dv get ../src model.bin -o old.bin --rev v1 >/dev/null &&
	! cmp -s old.bin new.bin && cmp old.bin ../out1/model.bin &&
	expect_error 1 "no revision" dv get ../src model.bin -o x --rev nosuch
'

test_case 'a file:// URL is cloned, and its relative remote resolved against that path' '
	wipe_cache src &&
	mkdir out4 && cd out4 &&
	dv get "file://$TRASH/src" data/sub -o sub >/dev/null &&
	test "$(cat sub/b.csv)" = b && test "$(cat sub/c.csv)" = c
'

test_case 'a source remote that lacks the data: an error naming the remote' '
	wipe_cache src && mv store store.away &&
	mkdir out5 && cd out5 &&
	expect_error 1 "store" dv get ../src model.bin &&
	test ! -e model.bin &&
	mv ../store.away ../store
'

test_case 'import tracks the data with a [source] section and stages it in git' '
	cd dst &&
	mkdir -p in && cd in &&
	dv import ../../src data/sub -o sub >log && cat log &&
	cd .. &&
	test "$(cat in/sub/b.csv)" = b &&
	assert_contains in/sub.stage "[source]" &&
	assert_contains in/sub.stage "url = ../src" &&
	assert_contains in/sub.stage "path = data/sub" &&
	assert_contains in/sub.stage "rev_lock = $(git -C ../src rev-parse HEAD)" &&
	assert_not_contains in/sub.stage "rev = " &&
	assert_contains in/.gitignore "/sub" &&
	git diff --cached --name-only >staged && assert_contains staged in/sub.stage &&
	dv status --exit-code && dv fsck -q &&
	git commit -q -m "import sub"
'

test_case 'import --rev records the revision; an existing import is refused' '
	cd dst &&
	dv import ../src model.bin --rev v1 >/dev/null &&
	assert_contains model.bin.stage "rev = v1" &&
	cmp model.bin ../out1/model.bin &&
	expect_error 1 "dv update model.bin.stage" dv import ../src model.bin &&
	git commit -q -m "import model"
'

test_case 'update follows the source: a new commit there brings new data here' '
	cd src && dv unprotect data && echo B >data/sub/b.csv && dv add -q data &&
	git commit -q -m v3 && dv push -q && cd ../dst &&
	old=$(sed -n "s/^rev_lock = //p" in/sub.stage) &&
	dv update in/sub.stage >log && cat log &&
	test "$(cat in/sub/b.csv)" = B &&
	new=$(sed -n "s/^rev_lock = //p" in/sub.stage) &&
	test "$old" != "$new" && test "$new" = "$(git -C ../src rev-parse HEAD)" &&
	dv status --exit-code &&
	dv update in/sub >log && assert_contains log "up to date"
'

test_case 'update of a pinned import stays on its revision unless --rev moves it' '
	cd dst &&
	dv update model.bin.stage >log && assert_contains log "up to date" &&
	cmp model.bin ../out1/model.bin &&
	dv update --rev main model.bin >/dev/null &&
	cmp model.bin ../src/model.bin && assert_contains model.bin.stage "rev = main"
'

test_case 'update refuses stages that were not imported' '
	cd dst &&
	echo mine >mine.txt && dv add -q mine.txt &&
	expect_error 2 "not written by '"'"'dv import'"'"'" dv update mine.txt
'

test_case 'an imported file edited here is kept by update (no data loss)' '
	cd dst &&
	dv unprotect model.bin && echo local-edit >model.bin &&
	git -C ../src tag v-old v1 &&
	expect_error 1 "kept it" dv update --rev v1 model.bin &&
	test "$(cat model.bin)" = local-edit
'

test_done
