#!/bin/sh
# The .stage merge driver, driven by real branches and a real 'git merge':
# 'dv install' registers it (.git/config and .gitattributes) and
# 'dv uninstall' takes both out again; two branches that changed different
# files of one tracked directory merge cleanly into a new manifest (written
# to the cache); the same file changed on both sides stays a conflict, and
# every command then names the conflicted .stage and the way out.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# obj_path HASH: the cache file of "xxh128:<hex>[.dir]"
obj_path() {
	h=${1#xxh128:}
	echo ".dv/cache/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
}
stage_hash() {
	sed -n 's/^hash = //p' "$1" | head -1
}

new_repo repo

test_case 'install registers the merge driver in .git/config and .gitattributes' '
	cd repo &&
	echo "*.bin binary" >.gitattributes && git add .gitattributes && git commit -q -m attrs &&
	dv install >out &&
	assert_contains out "merge driver" &&
	git config merge.dv.driver >driver &&
	assert_contains driver "merge-driver %O %A %B %P" &&
	assert_contains .gitattributes "*.bin binary" &&
	assert_contains .gitattributes "*.stage merge=dv" &&
	git check-attr merge -- x.stage >attr && assert_contains attr "merge: dv" &&
	git diff --cached --name-only >staged && assert_contains staged .gitattributes &&
	dv install >out2 && test "$(grep -c "merge=dv" .gitattributes)" = 1 &&
	git commit -q -m "dv install"
'

test_case 'uninstall takes the driver out of .git/config and .gitattributes, install puts it back' '
	cd repo &&
	dv uninstall >out &&
	assert_contains out "merge driver" &&
	expect_code 1 git config merge.dv.driver &&
	assert_not_contains .gitattributes "merge=dv" &&
	assert_contains .gitattributes "*.bin binary" &&
	dv install >/dev/null && git config merge.dv.driver >/dev/null &&
	git add .gitattributes && git commit -q --allow-empty -m reinstall
'

test_case 'a file added on one branch and another changed on the other merge cleanly' '
	cd repo &&
	mkdir d && echo a >d/a && echo b >d/b && echo one >data.txt &&
	dv add -q d data.txt && git commit -q -m base &&
	git checkout -q -b other &&
	echo c >d/c && dv add -q d && git commit -q -m "add d/c" &&
	git checkout -q main &&
	dv unprotect d && echo A >d/a && dv add -q d && git commit -q -m "change d/a" &&
	git merge -q -m merged other 2>err &&
	cat err &&
	! grep -q "<<<<<<<" d.stage &&
	dv status >st && cat st &&
	dv checkout -q &&
	test "$(cat d/a)" = A && test "$(cat d/b)" = b && test "$(cat d/c)" = c &&
	dv status --exit-code &&
	grep -q "files = 3" d.stage &&
	test -f "$(obj_path $(stage_hash d.stage))" &&
	dv fsck -q
'

test_case 'a file deleted on one side and another added on the other merge too' '
	cd repo &&
	git checkout -q -b del &&
	dv unprotect d && rm d/b && dv add -q d && git commit -q -m "rm d/b" &&
	git checkout -q main &&
	dv unprotect d && echo e >d/e && dv add -q d && git commit -q -m "add d/e" &&
	git merge -q -m merged2 del &&
	dv checkout -q &&
	test ! -e d/b && test "$(cat d/e)" = e && test "$(cat d/c)" = c &&
	dv status --exit-code
'

test_case 'the same file changed differently on both sides is a conflict' '
	cd repo &&
	git checkout -q -b mine && dv unprotect d && echo mine >d/a && dv add -q d &&
	git commit -q -m mine &&
	git checkout -q main && dv unprotect d && echo theirs >d/a && dv add -q d &&
	git commit -q -m theirs &&
	git checkout -q mine &&
	expect_code 1 git merge -q -m conflict main 2>err >out &&
	cat out err &&
	grep -q "^<<<<<<<" d.stage &&
	grep -q "^>>>>>>>" d.stage
'

test_case 'every command names the conflicted .stage and the way out' '
	cd repo &&
	for cmd in status checkout repro commit "stage list" dag diff; do
		expect_error 1 "d.stage" dv $cmd 2>/dev/null || { echo "dv $cmd"; exit 1; }
		grep "^dv: error:" "$TEST_ROOT/stderr" >line &&
		assert_contains line "merge conflict" &&
		assert_contains line "git checkout --ours d.stage" &&
		assert_contains line "--theirs" &&
		assert_contains line "dv add d"
	done
'

test_case 'taking one side with git checkout --theirs resolves it' '
	cd repo &&
	git checkout --theirs d.stage &&
	dv checkout -q && test "$(cat d/a)" = theirs &&
	git add d.stage && git commit -q -m resolved &&
	dv status --exit-code
'

test_case 'a data file changed on both branches is a real conflict; dv add resolves it' '
	cd repo &&
	git checkout -q -b f1 && dv unprotect data.txt && echo f1 >data.txt && dv add -q data.txt &&
	git commit -q -m f1 &&
	git checkout -q mine && dv unprotect data.txt && echo f2 >data.txt && dv add -q data.txt &&
	git commit -q -m f2 &&
	expect_code 1 git merge -q -m conflict f1 2>err >out &&
	grep -q "^<<<<<<<" data.txt.stage &&
	expect_error 1 "data.txt.stage" dv status &&
	rm -f data.txt && echo both >data.txt && dv add -q data.txt &&
	! grep -q "<<<<<<<" data.txt.stage &&
	git commit -q -m resolved2 && dv status --exit-code
'

test_case 'merge-driver is a documented dv command' '
	dv merge-driver -h >out &&
	assert_contains out "dv merge-driver" &&
	grep -q "merge-driver" "$DV_SOURCE_DIR/man/dv-install.1" &&
	test -f "$DV_SOURCE_DIR/man/dv-merge-driver.1"
'

test_done
