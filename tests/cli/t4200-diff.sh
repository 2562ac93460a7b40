#!/bin/sh
# dv diff: data files added, deleted, modified and renamed between two
# commits, and between a commit and the work tree, inside tracked
# directories too; --json; a manifest missing from the cache.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'a history: files and a directory change, appear, vanish and move' '
	cd repo &&
	echo one >keep.txt && echo old >mod.txt && echo gone >del.txt && echo moving >from.txt &&
	mkdir d && echo a >d/a && echo b >d/b && echo c >d/c &&
	dv add -q keep.txt mod.txt del.txt from.txt d && git commit -q -m v1 && git tag v1 &&
	dv unprotect mod.txt d && echo new >mod.txt && echo B >d/b && rm d/c && echo e >d/e &&
	dv add -q mod.txt d &&
	dv remove -q del.txt.stage && rm del.txt &&
	echo fresh >new.txt && dv add -q new.txt &&
	dv move from.txt to.txt &&
	git add -A && git commit -q -m v2 && git tag v2
'

test_case 'diff A B names each kind of change, directory files included' '
	cd repo &&
	dv diff v1 v2 >out &&
	cat out &&
	cat >want <<-EOF &&
	added:     d/e
	added:     new.txt
	deleted:   d/c
	deleted:   del.txt
	modified:  d/b
	modified:  mod.txt
	renamed:   from.txt -> to.txt
	EOF
	test_cmp want out
'

test_case 'diff B A is the mirror image' '
	cd repo &&
	dv diff v2 v1 >out &&
	assert_contains out "added:     del.txt" &&
	assert_contains out "deleted:   new.txt" &&
	assert_contains out "renamed:   to.txt -> from.txt" &&
	assert_contains out "modified:  d/b"
'

test_case 'no difference prints nothing' '
	cd repo &&
	dv diff v2 v2 >out && test ! -s out &&
	dv diff >out && test ! -s out
'

test_case 'with no revision: HEAD against the work tree, as it is on disk' '
	cd repo &&
	dv unprotect mod.txt d && echo newer >mod.txt && echo f >d/f &&
	dv diff >out &&
	cat >want <<-EOF &&
	added:     d/f
	modified:  mod.txt
	EOF
	test_cmp want out
'

test_case 'with one revision: that revision against the work tree' '
	cd repo &&
	dv diff v1 >out &&
	assert_contains out "added:     d/f" &&
	assert_contains out "modified:  mod.txt" &&
	assert_contains out "renamed:   from.txt -> to.txt" &&
	dv checkout -q -f && dv diff >out && test ! -s out
'

test_case '--json gives each kind with paths, hashes and sizes' '
	cd repo &&
	dv diff --json v1 v2 >out &&
	cat out &&
	assert_contains out "\"added\": [" &&
	assert_contains out "\"path\": \"new.txt\"" &&
	assert_contains out "\"hash\": \"$(xxh128 new.txt)\"" &&
	assert_contains out "\"old\": \"from.txt\"" &&
	assert_contains out "\"new\": \"to.txt\"" &&
	assert_contains out "\"new\": \"$(xxh128 mod.txt)\"" &&
	python3 -c "import json,sys; d=json.load(open(\"out\")); assert sorted(d)==[\"added\",\"deleted\",\"modified\",\"renamed\"]; assert len(d[\"added\"])==2 and len(d[\"renamed\"])==1" 2>/dev/null ||
		! command -v python3 >/dev/null
'

test_case 'a directory whose manifest is not in the cache is compared whole, with a warning' '
	cd repo &&
	old=$(git show v1:d.stage | sed -n "s/^hash = xxh128://p" | sed "s/\.dir$//") &&
	mv .dv/cache/files/xxh128/$(echo $old | cut -c1-2)/$(echo $old | cut -c3-).dir saved &&
	dv diff v1 v2 >out 2>err &&
	assert_contains err "manifest of '"'"'d'"'"'" &&
	assert_contains out "modified:  d/" &&
	assert_not_contains out "d/e" &&
	mv saved .dv/cache/files/xxh128/$(echo $old | cut -c1-2)/$(echo $old | cut -c3-).dir
'

test_case 'before the first commit everything tracked is added' '
	git init -q fresh && cd fresh && dv init -q &&
	echo hi >a.txt && mkdir d && echo x >d/x && dv add -q a.txt d &&
	dv diff >out && cat out &&
	printf "added:     a.txt\nadded:     d/x\n" >want && test_cmp want out &&
	expect_error 1 "no commits yet" dv diff HEAD~1
'

test_case 'bad usage and unknown revisions' '
	cd repo &&
	expect_error 1 "unknown git revision" dv diff nosuchrev &&
	expect_error 2 "at most two" dv diff v1 v2 v1
'

test_case 'diff from a subdirectory shows paths relative to it' '
	cd repo/d &&
	dv diff v1 v2 >out &&
	assert_contains out "modified:  b" &&
	assert_contains out "added:     ../new.txt"
'

test_done
