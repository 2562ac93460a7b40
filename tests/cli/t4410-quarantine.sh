#!/bin/sh
# A cache object whose bytes no longer match its name is moved aside under
# .dv/quarantine when checkout or fsck finds it, and listed by 'dv fsck', so
# the next 'dv fetch' / 'dv pull' brings a good copy from the remote with no
# hand work.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

obj_path() {
	h=$(xxhsum -H2 "$1" | cut -d" " -f1)
	echo ".dv/cache/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
}

new_repo repo

test_case 'setup: data pushed to a remote' '
	cd repo &&
	echo alpha >a.txt && echo beta >b.txt &&
	dv add -q a.txt b.txt && dv remote add -q -d store ../store && dv push -q &&
	git add -A && git commit -q -m data
'

test_case 'checkout quarantines a corrupt object and says so' '
	cd repo &&
	p=$(obj_path a.txt) && chmod u+w $p && echo garbage >$p &&
	rm -f a.txt &&
	expect_error 1 "corrupt" dv checkout a.txt &&
	assert_contains "$TEST_ROOT/stderr" "quarantine" &&
	test ! -e $p && test ! -e a.txt &&
	find .dv/quarantine -type f >q && test "$(wc -l <q)" = 1 &&
	test "$(cat $(cat q))" = garbage
'

test_case 'dv fsck lists the quarantined object' '
	cd repo &&
	dv fsck >out 2>&1 || true &&
	cat out &&
	assert_contains out "quarantine" &&
	assert_contains out "$(find .dv/quarantine -type f)"
'

test_case 'the next pull brings a good copy and checks it out' '
	cd repo &&
	dv pull >out 2>&1 && cat out &&
	test "$(cat a.txt)" = alpha &&
	test -f $(obj_path a.txt)
'

test_case 'fsck quarantines a corrupt object it finds; fetch restores it' '
	cd repo &&
	p=$(obj_path b.txt) && chmod u+w $p && echo bad >$p &&
	expect_code 1 dv fsck >out &&
	cat out &&
	assert_contains out "corrupt" &&
	assert_contains out "quarantine" &&
	test ! -e $p &&
	dv fetch >fout && cat fout &&
	test "$(cat $p)" = beta &&
	dv fsck -q
'

test_case 'a corrupt directory manifest is quarantined by checkout too; pull restores the directory' '
	cd repo &&
	mkdir d && echo one >d/1 && echo two >d/2 &&
	dv add -q d && dv push -q && git commit -q -m dir &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)\.dir$/\1/p" d.stage) &&
	m=.dv/cache/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-).dir &&
	test -f $m && chmod u+w $m && echo garbage >$m &&
	rm -rf d &&
	expect_error 1 "quarantine" dv checkout d &&
	test ! -e $m && test -f .dv/quarantine/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-).dir &&
	dv pull -q && test "$(cat d/1)" = one && test "$(cat d/2)" = two && test -f $m
'

test_done
