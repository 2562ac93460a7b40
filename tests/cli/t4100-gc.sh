#!/bin/sh
# dv gc: each scope keeps exactly what the revisions it names reference
# (directory manifests and the files they list included) across a history
# of several commits, branches and a tag; it refuses without a scope,
# without confirmation, and when a kept manifest is unknown; -c cleans a
# remote too.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# objects: the objects in the cache, one "xxh128:<hex>[.dir]" a line, sorted
objects() {
	(cd .dv/cache/files/xxh128 && find . -type f | sed 's|^\./\(..\)/|xxh128:\1|') | sort
}
# stage_hash REV FILE.stage: the hash recorded there
stage_hash() {
	git show "$1:$2" | sed -n 's/^hash = //p'
}
# keep HASH...: the expected object list
keep() {
	printf '%s\n' "$@" | sort -u
}
reset_cache() {
	rm -rf .dv/cache && cp -a ../cache.full .dv/cache
}

new_repo repo

test_case 'a history with branches, a tag, a directory, garbage and uncommitted data' '
	cd repo &&
	echo v1 >a && dv add -q a && git commit -q -m c1 && git tag t1 &&
	dv unprotect a && echo v2 >a && dv add -q a && git commit -q -m c2 &&
	git checkout -q -b feat && dv unprotect a && echo v3 >a && dv add -q a &&
	echo b1 >b && dv add -q b && git commit -q -m feat &&
	git checkout -q main && dv checkout -q &&
	mkdir d && echo x1 >d/x && echo y1 >d/y && dv add -q d && git commit -q -m c4 &&
	dv unprotect d && echo x2 >d/x && dv add -q d && git commit -q -m c5 &&
	dv unprotect a && echo scratch >a && dv add -q a &&
	git checkout -q HEAD -- a.stage && dv checkout -q -f a && test "$(cat a)" = v2 &&
	echo w >w.bin && dv add -q w.bin &&
	objects >all && test $(wc -l <all) = 11 &&
	cp -a .dv/cache ../cache.full
'

A1=xxh128:$(printf 'v1\n' | xxhsum -H2 - | cut -d" " -f1)
A2=xxh128:$(printf 'v2\n' | xxhsum -H2 - | cut -d" " -f1)
A3=xxh128:$(printf 'v3\n' | xxhsum -H2 - | cut -d" " -f1)
B1=xxh128:$(printf 'b1\n' | xxhsum -H2 - | cut -d" " -f1)
X1=xxh128:$(printf 'x1\n' | xxhsum -H2 - | cut -d" " -f1)
X2=xxh128:$(printf 'x2\n' | xxhsum -H2 - | cut -d" " -f1)
Y1=xxh128:$(printf 'y1\n' | xxhsum -H2 - | cut -d" " -f1)
W=xxh128:$(printf 'w\n' | xxhsum -H2 - | cut -d" " -f1)
SCRATCH=xxh128:$(printf 'scratch\n' | xxhsum -H2 - | cut -d" " -f1)

test_case 'without a scope gc refuses (exit 2) and deletes nothing' '
	cd repo &&
	expect_error 2 "gc needs a scope" dv gc -f &&
	objects >now && test_cmp all now
'

test_case '-n lists what would go with the bytes freed, and deletes nothing' '
	cd repo &&
	dv gc -w -n >out &&
	assert_contains out "would remove $SCRATCH (8 bytes)" &&
	assert_contains out "would remove $A1 (3 bytes)" &&
	assert_not_contains out "$A2" &&
	assert_contains out "would remove 6 of 11 objects from the cache, freeing" &&
	objects >now && test_cmp all now
'

test_case 'without a terminal and without -f gc refuses' '
	cd repo &&
	expect_error 1 "rerun with -f" dv gc -w </dev/null &&
	objects >now && test_cmp all now
'

test_case '-w keeps exactly the workspace data (manifest and files)' '
	cd repo &&
	dv gc -w -f >out && assert_contains out "removed 6 objects" &&
	keep $A2 $(stage_hash HEAD d.stage) $X2 $Y1 $W >want &&
	objects >now && test_cmp want now &&
	dv status --exit-code && reset_cache
'

test_case '--all-branches also keeps every branch tip' '
	cd repo &&
	dv gc --all-branches -f >/dev/null &&
	keep $A2 $(stage_hash HEAD d.stage) $X2 $Y1 $W $A3 $B1 >want &&
	objects >now && test_cmp want now && reset_cache
'

test_case '--all-tags also keeps every tag (and HEAD)' '
	cd repo &&
	dv gc -T -f >/dev/null &&
	keep $A2 $(stage_hash HEAD d.stage) $X2 $Y1 $W $A1 >want &&
	objects >now && test_cmp want now && reset_cache
'

test_case '--all-commits keeps everything ever committed, and only drops garbage' '
	cd repo &&
	dv gc --all-commits -f >/dev/null &&
	keep $A1 $A2 $A3 $B1 $(stage_hash HEAD~1 d.stage) $(stage_hash HEAD d.stage) \
		$X1 $X2 $Y1 $W >want &&
	objects >now && test_cmp want now && reset_cache
'

test_case 'scopes combine' '
	cd repo &&
	dv gc -a -T -f >/dev/null &&
	keep $A2 $(stage_hash HEAD d.stage) $X2 $Y1 $W $A3 $B1 $A1 >want &&
	objects >now && test_cmp want now && reset_cache
'

test_case 'a kept manifest missing from the cache makes gc refuse, naming it' '
	cd repo &&
	old=$(stage_hash HEAD~1 d.stage | sed "s/xxh128://") &&
	rm -f .dv/cache/files/xxh128/$(echo $old | cut -c1-2)/$(echo $old | cut -c3-) &&
	objects >before &&
	expect_error 1 "refusing to collect garbage" dv gc --all-commits -f &&
	assert_contains "$TEST_ROOT/stderr" "$old" &&
	assert_contains "$TEST_ROOT/stderr" "d at" &&
	objects >now && test_cmp before now &&
	dv gc -w -f >/dev/null && reset_cache
'

test_case 'a .stage in history that does not parse: its hashes are kept, with a warning' '
	cd repo &&
	git checkout -q -b broken &&
	printf "[out]\npath = a\nhash = %s\nbogus = 1\n" $SCRATCH >bad.stage &&
	git add bad.stage && git commit -q -m broken -- bad.stage && rm bad.stage &&
	git checkout -q main &&
	dv gc --all-branches -f 2>err >/dev/null &&
	assert_contains err "warning: bad.stage" &&
	objects >now && grep -qx "$SCRATCH" now &&
	git branch -q -D broken && reset_cache
'

test_case '-c cleans the remote too; -r without -c is bad usage' '
	cd repo &&
	dv remote add -d store ../store &&
	mkdir ../store && cp -a ../cache.full/files ../store/ &&
	# Pushed long ago: younger objects are kept (gc.remote_grace, t3500).
	find ../store/files -type f -exec touch -d "2 days ago" {} + &&
	(cd ../store/files/xxh128 && find . -type f | wc -l) >n && test $(cat n) = 11 &&
	expect_error 2 "needs -c" dv gc -w -r store -f &&
	dv gc -w -c -n >out &&
	assert_contains out "of 11 objects from remote '"'"'store'"'"'" &&
	dv gc -w -c -r store -f >/dev/null &&
	(cd ../store/files/xxh128 && find . -type f | sed "s|^\./\(..\)/|xxh128:\1|" | sort) >remote &&
	keep $A2 $(stage_hash HEAD d.stage) $X2 $Y1 $W >want &&
	test_cmp want remote &&
	objects >now && test_cmp want now
'

test_case 'gc -c fetches a kept manifest it lacks from the remote instead of refusing' '
	cd repo &&
	reset_cache && rm -rf ../store/files && cp -a ../cache.full/files ../store/ &&
	cur=$(stage_hash HEAD d.stage | sed "s/xxh128://") &&
	rm -f .dv/cache/files/xxh128/$(echo $cur | cut -c1-2)/$(echo $cur | cut -c3-) &&
	dv gc -w -c -f >/dev/null &&
	test -f .dv/cache/files/xxh128/$(echo $cur | cut -c1-2)/$(echo $cur | cut -c3-) &&
	dv status --exit-code
'

test_case 'temp files left by killed writers go once an hour old; fresh ones stay' '
	cd repo &&
	objects >before &&
	pre=$(ls .dv/cache/files/xxh128 | head -1) &&
	mkdir -p .dv/cache/tmp &&
	old1=.dv/cache/files/xxh128/$pre/.0123.tmp-dead-1 &&
	old2=.dv/cache/tmp/.obj.tmp-dead-2 &&
	new1=.dv/cache/files/xxh128/$pre/.4567.tmp-live-3 &&
	echo partial >$old1 && echo partial >$old2 && echo writing >$new1 &&
	touch -d "2 hours ago" $old1 $old2 &&
	dv gc -w -n >out &&
	assert_contains out "would remove $PWD/$old1 (left by an interrupted write)" &&
	assert_contains out "2 leftover temp files" &&
	assert_not_contains out ".4567.tmp-live" &&
	test -f $old1 &&
	dv gc -w -f >out &&
	assert_contains out "removed 2 leftover temp files" &&
	test ! -e $old1 && test ! -e $old2 && test -f $new1 &&
	rm -f $new1 &&
	objects >after && test_cmp before after
'

test_done
