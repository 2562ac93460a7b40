#!/bin/sh
# Packs of small objects on the S3 remote (dv-remote(5)), against the real
# S3 store of tests/servers/s3.sh: a round trip of 20,000 small files and
# large ones; a partial pull fetching only its byte ranges; a corrupt cache
# object left out of its pack; corrupt bytes inside a pack detected and
# reported, then replaced by push --verify-remote (and a corrupt loose copy
# on a packed remote too); a damaged index refused;
# the packed remote published over HTTP and read from there.  t3411 covers
# interrupted pushes, gc and loose remotes.  The two 20,000-file trees live
# in memory (lib-s3.sh in_memory): on CI's disks deleting them took minutes.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

. "$DV_SOURCE_DIR/tests/cli/lib-s3.sh"
s3_test_start t3410

test_case 'setup: 20,000 small files, two large ones and ten on their own' '
	in_memory repo && new_s3_repo repo t3410/big && cd repo &&
	dv remote modify s3 pack_size 1M &&
	small_files d 20000 first &&
	make_file large/a.bin 3000000 a &&
	make_file large/b.bin 1500000 b &&
	mkdir few && for i in 0 1 2 3 4 5 6 7 8 9; do echo "few $i" >few/f$i; done &&
	: >d/empty &&
	dv add -q d large/a.bin large/b.bin few/f* &&
	git add -A && git commit -q -m data
'

test_case 'push packs the small objects and stores the large ones loose' '
	cd repo &&
	dv push -q &&
	keys t3410/big >keys &&
	test $(grep -c "/files/" keys) -eq 2 &&
	npacks=$(grep -c "\.pack\$" keys) &&
	test "$npacks" -ge 4 &&
	test $(grep -c "\.idx\$" keys) -eq "$npacks" &&
	test "$(packed_once t3410/big)" -eq 20012 &&
	dv status -c >status &&
	assert_contains status "in sync"
'

test_case 'a second push moves nothing and writes nothing' '
	cd repo &&
	keys t3410/big >before &&
	dv push >out &&
	assert_contains out "up to date" &&
	keys t3410/big >after &&
	test_cmp before after
'

test_case 'a fresh clone pulls every file back' '
	in_memory clone && git clone -q repo clone && cd clone &&
	dv pull -q &&
	diff -r d ../repo/d && cmp large/a.bin ../repo/large/a.bin &&
	cmp large/b.bin ../repo/large/b.bin && diff -r few ../repo/few &&
	ls .dv/packs/*.idx >/dev/null
'

test_case 'pulling 10 files reads the indexes once and only their byte ranges' '
	git clone -q repo part && cd part &&
	npacks=$(keys t3410/big | grep -c "\.idx\$") &&
	dv -v pull few/f0 few/f1 few/f2 few/f3 few/f4 few/f5 few/f6 few/f7 few/f8 few/f9 2>err &&
	diff -r few ../repo/few &&
	test $(find .dv/cache/files -type f | wc -l) -eq 10 &&
	n=$(sed -n "s/^\([0-9]*\) requests* to the remote/\1/p" err) &&
	echo "requests: $n, packs: $npacks" &&
	test "$n" -le $((1 + npacks + 10)) &&
	rm -rf few/f[0-9] .dv/cache &&
	dv -v pull few/f0 few/f1 few/f2 few/f3 few/f4 few/f5 few/f6 few/f7 few/f8 few/f9 2>err &&
	n=$(sed -n "s/^\([0-9]*\) requests* to the remote/\1/p" err) &&
	echo "with the indexes cached: $n" &&
	test "$n" -le 11 &&
	diff -r few ../repo/few
'

test_case 'a corrupt cache object is left out of its pack and named as a loose push names it' '
	cd repo &&
	echo "spoilt in the cache" >spoilt && dv add -q spoilt && git add -A && git commit -q -m spoilt &&
	h=$(xxhsum -H2 spoilt | cut -d" " -f1) &&
	zero_cached spoilt &&
	expect_error 1 "'"'"'spoilt'"'"': the cache'"'"'s copy is corrupt" dv push &&
	assert_contains "$TEST_ROOT/stderr" "so it was not pushed" &&
	for k in $(keys t3410/big | grep "\.idx\$"); do s3curl "$S3_ENDPOINT/$S3_BUCKET/$k"; done >idx &&
	assert_not_contains idx "$h" &&
	restore_cached spoilt &&
	dv push >out && assert_contains out "1 object pushed" &&
	test "$(packed_once t3410/big)" -eq 20013
'

test_case 'corrupt bytes inside a pack: reported, naming the pack, and kept out of the cache' '
	cd repo &&
	echo "corrupt me" >victim && echo "keep me" >victim2 && dv add -q victim victim2 &&
	git add -A && git commit -q -m victim &&
	dv push -q &&
	h=$(xxhsum -H2 victim | cut -d" " -f1) &&
	idx=$(for k in $(keys t3410/big | grep "\.idx\$"); do
		s3curl "$S3_ENDPOINT/$S3_BUCKET/$k" | grep -q "^$h " && echo "$k"; done; true) &&
	test -n "$idx" &&
	off=$(s3curl "$S3_ENDPOINT/$S3_BUCKET/$idx" | grep "^$h " | cut -d" " -f2) &&
	pack=${idx%.idx}.pack &&
	s3curl -o "$TRASH/pack" "$S3_ENDPOINT/$S3_BUCKET/$pack" &&
	cp "$TRASH/pack" "$TRASH/pack.good" &&
	printf X | dd of="$TRASH/pack" bs=1 seek="$off" conv=notrunc 2>/dev/null &&
	s3curl -T "$TRASH/pack" "$S3_ENDPOINT/$S3_BUCKET/$pack" -o /dev/null &&
	cd .. && git clone -q repo corrupt && cd corrupt &&
	expect_error 1 "corrupt" dv pull victim &&
	grep "dv: error:" "$TEST_ROOT/stderr" | grep "corrupt" | grep -q "$(basename "$pack")" &&
	test ! -e .dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	echo "$pack" >"$TRASH/damaged-pack"
'

test_case 'push --verify-remote replaces the corrupt packed copy and retires the damaged pack' '
	cd repo &&
	pack=$(cat "$TRASH/damaged-pack") &&
	dv push >out && assert_contains out "Everything is up to date." &&
	dv push --verify-remote victim >out &&
	assert_contains out "verified 1 object on remote '"'"'s3'"'"': 1 corrupt, 1 replaced" &&
	keys t3410/big >after &&
	assert_not_contains after "${pack%.pack}.idx" &&
	assert_contains after "${pack%.pack}.dead" &&
	test "$(packed_once t3410/big)" -eq 20015 &&
	dv push --verify-remote victim victim2 >out &&
	assert_contains out "verified 2 objects on remote '"'"'s3'"'"': 0 corrupt, 0 replaced" &&
	cd ../corrupt && dv pull victim victim2 && cmp victim ../repo/victim && cmp victim2 ../repo/victim2
'

test_case 'a corrupt loose copy on a packed remote: push --verify-remote packs a good one and deletes it' '
	cd repo &&
	echo "loose and corrupt" >loosey && dv add -q loosey && git add -A && git commit -q -m loosey &&
	dv remote modify s3 pack_threshold 0 && dv push -q && dv config --unset remote.s3.pack_threshold &&
	h=$(xxhsum -H2 loosey | cut -d" " -f1) &&
	url="$S3_ENDPOINT/$S3_BUCKET/t3410/big/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)" &&
	echo "not the data" | s3curl -T - "$url" -o /dev/null &&
	dv push --verify-remote loosey >out &&
	assert_contains out "1 corrupt, 1 replaced" &&
	test "$(s3curl -o /dev/null -w "%{http_code}" -I "$url")" = 404 &&
	test "$(packed_once t3410/big)" -eq 20016 &&
	dv push --verify-remote loosey >out && assert_contains out "0 corrupt, 0 replaced"
'

test_case 'a damaged index is refused with a message naming it' '
	cd repo &&
	idx=$(keys t3410/big | grep "\.idx\$" | head -1) &&
	s3curl -o "$TRASH/idx.good" "$S3_ENDPOINT/$S3_BUCKET/$idx" &&
	sed "3s/ [0-9]* / 9 /" "$TRASH/idx.good" >"$TRASH/idx.bad" &&
	s3curl -T "$TRASH/idx.bad" "$S3_ENDPOINT/$S3_BUCKET/$idx" -o /dev/null &&
	cd .. && git clone -q repo damaged && cd damaged &&
	expect_error 1 "$(basename "$idx")" dv pull few/f0 &&
	assert_contains "$TEST_ROOT/stderr" "damaged" &&
	s3curl -T "$TRASH/idx.good" "$S3_ENDPOINT/$S3_BUCKET/$idx" -o /dev/null &&
	dv pull few/f0
'

test_case 'a packed remote published over HTTP is read through packs/list and ranges' '
	trap "sh \"$DV_SOURCE_DIR/tests/servers/http.sh\" stop \"$TRASH/httpd\" >/dev/null 2>&1" EXIT &&
	for k in $(keys t3410/big); do
		f="$TRASH/www/${k#t3410/big/}" && mkdir -p "$(dirname "$f")" &&
		s3curl -o "$f" "$S3_ENDPOINT/$S3_BUCKET/$k" || exit 1
	done &&
	test $(sed 1d "$TRASH/www/packs/list" | wc -l) -eq $(ls "$TRASH/www/packs" | grep -c "\.idx\$") &&
	eval "$(sh "$DV_SOURCE_DIR/tests/servers/http.sh" start "$TRASH/httpd" "$TRASH/www")" &&
	git clone -q repo web && cd web &&
	dv remote add web "$DV_TEST_HTTP_URL" >/dev/null &&
	dv -v pull -r web few/f0 few/f1 2>err && diff few/f0 ../repo/few/f0 && diff few/f1 ../repo/few/f1 &&
	dv pull -q -r web few large victim && diff -r few ../repo/few && cmp large/a.bin ../repo/large/a.bin &&
	cmp victim ../repo/victim &&
	dv status -c -r web >status && cat status &&
	grep -q "deleted: *d/\$" status &&
	assert_not_contains status "missing:" && assert_not_contains status "new:"
'

test_done
