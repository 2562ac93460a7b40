#!/bin/sh
# The S3 remote against a real S3 store: OpenStack Swift with its s3api
# middleware on 127.0.0.1, installed if needed and started by
# tests/servers/s3.sh.  Round trips through dv push / dv pull, a second push
# that moves nothing, a corrupt remote object, multipart uploads, credential
# sources, wrong credentials, region and endpoint, the server stopping in
# the middle of a push, a failed multipart upload aborted, gc -c deleting
# from the bucket, a push killed halfway then rerun, a corrupt cache object
# refused by push (single and multipart: nothing stored, no upload left),
# and push --verify-remote replacing a corrupt object in the bucket.  These
# run on a loose remote (pack_threshold 0), as dv wrote them before packs;
# t3410 and t3411 cover packs.
#
# The server must start: when it cannot, this script fails (it never
# skips), since CI installs it through contrib/install-deps.sh.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

. "$DV_SOURCE_DIR/tests/cli/lib-s3.sh"
s3_test_start t3400
PREFIX=t3400/store

# The URL of the object holding FILE's bytes.
object_url() {
	h=$(xxhsum -H2 "$1" | cut -d' ' -f1)
	echo "$S3_ENDPOINT/$S3_BUCKET/$PREFIX/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
}
# The bucket's listing under the prefix (one page: the tests store far fewer
# than 1000 objects).
listing() {
	s3curl "$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=$(echo "$PREFIX" | sed 's|/|%2F|g')%2F"
}
keys() { listing | grep -o '<Key>[^<]*' | cut -d'>' -f2; }
# Every object on the remote holds exactly the bytes its name says.
check_remote_objects() {
	n=0
	for k in $(keys); do
		name=$(echo "$k" | sed -e 's|.*/xxh128/||' -e 's|/||' -e 's|\.dir$||')
		s3curl -o "$TRASH/obj" "$S3_ENDPOINT/$S3_BUCKET/$k"
		got=$(xxhsum -H2 "$TRASH/obj" | cut -d' ' -f1)
		if [ "$got" != "$name" ]; then
			echo "remote object $k holds bytes hashing to $got" >&2
			return 1
		fi
		n=$((n + 1))
	done
	echo "$n"
}

# slow_push NAME JOBS SPEED: dv push -j JOBS in the background, each
# connection held to SPEED bytes/s (a test hook); NAME.err gets its stderr
# and NAME.rc its exit status.
slow_push() {
	(
		if DV_TEST_S3_MAX_SPEED=$3 "$DV" push -j "$2" >"$1.out" 2>"$1.err"; then
			echo 0 >"$1.rc"
		else
			echo $? >"$1.rc"
		fi
	) &
}

test_case 'setup: a repository with files and a directory, and an s3 remote' '
	new_repo repo && cd repo &&
	make_file data/a.bin 100000 a &&
	make_file data/b.bin 300000 b &&
	make_file imgs/1.png 5000 one &&
	make_file imgs/sub/2.png 7000 two &&
	make_file imgs/sub/3.png 0 &&
	dv add data/a.bin data/b.bin imgs &&
	dv remote add -d s3 "s3://$S3_BUCKET/$PREFIX" &&
	dv remote modify s3 endpoint "$S3_ENDPOINT" &&
	dv remote modify s3 pack_threshold 0 &&
	git add -A && git commit -q -m data
'

test_case 'push uploads every object, the directory manifest too' '
	cd repo &&
	dv push -j 4 &&
	keys >keys &&
	test $(wc -l <keys) -eq 6 &&
	for f in data/a.bin data/b.bin imgs/1.png imgs/sub/2.png imgs/sub/3.png; do
		assert_contains keys "$(object_url $f | sed "s|.*/$S3_BUCKET/||")" || exit 1
	done &&
	grep -q "\.dir\$" keys &&
	test "$(check_remote_objects)" = 6
'

test_case 'a second push moves nothing' '
	cd repo &&
	listing >before &&
	sleep 1 &&
	dv push &&
	listing >after &&
	test_cmp before after
'

test_case 'pull in a fresh clone brings back the files and the directory' '
	git clone -q repo clone && cd clone &&
	dv pull -j 3 &&
	for f in data/a.bin data/b.bin imgs/1.png imgs/sub/2.png imgs/sub/3.png; do
		cmp "$f" "../repo/$f" || exit 1
	done
'

test_case 'a corrupt remote object is refused on pull and never enters the cache' '
	url=$(object_url repo/data/b.bin) &&
	echo "not the data" | s3curl -T - "$url" -o /dev/null &&
	git clone -q repo clone2 && cd clone2 &&
	expect_error 1 "corrupt" dv pull &&
	grep "dv: error:" "$TEST_ROOT/stderr" | grep "corrupt" | grep -q "s3" &&
	h=$(xxhsum -H2 ../repo/data/b.bin | cut -d" " -f1) &&
	test ! -e .dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	test ! -e data/b.bin &&
	cmp data/a.bin ../repo/data/a.bin &&
	s3curl -T ../repo/data/b.bin "$url" -o /dev/null &&
	dv pull &&
	cmp data/b.bin ../repo/data/b.bin
'

test_case 'a large object goes up as a multipart upload and comes back whole' '
	cd repo &&
	dv remote modify s3 multipart_chunk 5M &&
	make_file big.bin 12000000 big &&
	dv add big.bin && git add -A && git commit -q -m big &&
	dv push &&
	s3curl -I "$(object_url big.bin)" | tr -d "\r" >head &&
	grep -i "^etag: \".*-3\"" head &&
	s3curl "$S3_ENDPOINT/$S3_BUCKET?uploads=" >uploads &&
	assert_not_contains uploads "<Upload>" &&
	cd ../clone && git pull -q &&
	dv pull &&
	cmp big.bin ../repo/big.bin
'

test_case 'wrong credentials: a clear error and exit 1' '
	cd repo &&
	make_file new.bin 1000 new && dv add new.bin &&
	AWS_SECRET_ACCESS_KEY=wrong expect_error 1 \
		"s3 remote '\''s3'\'' refused the credentials (SignatureDoesNotMatch)" dv push &&
	AWS_ACCESS_KEY_ID=NOSUCHKEY expect_error 1 "refused the credentials" dv push
'

test_case 'the wrong region: an error naming the bucket'\''s region' '
	cd repo &&
	AWS_REGION=eu-west-1 expect_error 1 "is in region '\''us-east-1'\'', not '\''eu-west-1'\''" dv push
'

test_case 'an unreachable endpoint: a clear error and exit 1' '
	cd repo &&
	dv remote add dead "s3://$S3_BUCKET/x" &&
	dv remote modify dead endpoint http://127.0.0.1:1 &&
	expect_error 1 "cannot reach s3 endpoint '\''http://127.0.0.1:1'\''" dv push -r dead
'

test_case 'credentials from .dv/config.local, then from ~/.aws/credentials' '
	cd repo &&
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY &&
		expect_error 1 "no credentials for s3 remote '\''s3'\''" dv push &&
		dv remote modify --local s3 access_key_id "$KEY" &&
		dv remote modify --local s3 secret_access_key "$SECRET" &&
		dv push &&
		dv config --local --unset remote.s3.access_key_id &&
		dv config --local --unset remote.s3.secret_access_key &&
		mkdir -p "$HOME/.aws" &&
		printf "[default]\naws_access_key_id = %s\naws_secret_access_key = wrong\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n" \
			"$KEY" "$KEY" "$SECRET" >"$HOME/.aws/credentials" &&
		expect_error 1 "profile [default]" dv push &&
		AWS_PROFILE=ci dv push &&
		dv remote modify s3 profile ci &&
		dv push &&
		AWS_PROFILE=nosuch dv push &&
		dv remote modify s3 profile nosuch &&
		expect_error 1 "[nosuch]" dv push &&
		dv config --unset remote.s3.profile
	) &&
	check_remote_objects >/dev/null &&
	keys | grep -q "$(object_url new.bin | sed "s|.*/$S3_BUCKET/||")"
'

test_case 'the server stopping mid-push: a clear error, nothing partial visible, a rerun finishes' '
	cd repo &&
	for i in 1 2 3 4 5 6; do make_file slow/s$i 2000000 slow$i || exit 1; done &&
	dv add slow && git add -A && git commit -q -m slow
	# Slow transfers (256 KiB/s per connection) so the push is surely
	# A server going down may answer 404 for the bucket first (Swift stops
	# its container server before the proxy): that error is right too.
	# under way when the server stops.
	slow_push push 2 256K
	sleep 2

	s3srv stop 2>/dev/null &&
	wait &&
	cat push.err &&
	test "$(cat push.rc)" = 1 &&
	grep "^dv: error: " push.err | grep -q -e "cannot reach s3 endpoint" -e "failed to upload" -e "does not exist at" &&
	eval "$(s3srv start)" &&
	before=$(check_remote_objects) &&
	test "$before" -lt 15 &&
	dv push &&
	test "$(check_remote_objects)" = 15 &&
	cd ../clone && git pull -q && dv pull &&
	for i in 1 2 3 4 5 6; do cmp slow/s$i ../repo/slow/s$i || exit 1; done
'

test_case 'gc -c deletes from the bucket what no kept stage references and is older than gc.remote_grace' '
	cd repo &&
	make_file junk.bin 3000 junk &&
	dv add junk.bin && dv push &&
	junk=$(object_url junk.bin | sed "s|.*/$S3_BUCKET/||") &&
	keys | grep -qx "$junk" &&
	dv remove junk.bin && git add -A && git commit -q -m "drop junk" &&
	dv gc -w -c -f >out &&
	assert_contains out "kept 1 unreferenced object on remote '"'"'s3'"'"' pushed less than 1d ago" &&
	keys | grep -qx "$junk" &&
	dv config gc.remote_grace 0 &&
	dv gc -w -c -f >out &&
	dv config --unset gc.remote_grace &&
	assert_not_contains out "kept" &&
	keys >left &&
	assert_not_contains left "$junk" &&
	test "$(check_remote_objects)" = 15
'

test_case 'a multipart upload that fails is aborted: no object and no upload left' '
	cd repo &&
	make_file shrink.bin 12000000 shrink &&
	dv add shrink.bin &&
	h=$(xxhsum -H2 shrink.bin | cut -d" " -f1) &&
	obj=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)
	slow_push shrink 1 1M
	sleep 1.5
	chmod u+w "$obj" && truncate -s 1000000 "$obj" &&
	wait &&
	cat shrink.err &&
	test "$(cat shrink.rc)" = 1 &&
	grep "^dv: error: " shrink.err | grep -q "shrank while it was read" &&
	s3curl "$S3_ENDPOINT/$S3_BUCKET?uploads=" >uploads &&
	assert_not_contains uploads "<Upload>" &&
	test "$(s3curl -o /dev/null -w "%{http_code}" -I "$(object_url shrink.bin)")" = 404 &&
	test "$(check_remote_objects)" = 15
'

test_case 'a push killed halfway leaves only complete objects; a rerun finishes it' '
	cd repo &&
	rm -f shrink.bin.stage shrink.bin &&
	for i in 1 2 3 4 5 6; do make_file killed/k$i 1500000 killed$i || exit 1; done &&
	dv add -q killed && git add -A && git commit -q -m killed || exit 1
	# Slow connections (256 KiB/s each), so the push is surely under way.
	DV_TEST_S3_MAX_SPEED=256K "$DV" push -j 2 >kill.out 2>kill.err &
	pid=$!
	sleep 2
	kill -9 $pid
	rc=0; wait $pid || rc=$?
	test $rc = 137 &&
	n=$(check_remote_objects) &&
	test "$n" -ge 15 && test "$n" -lt 22 &&
	dv push >out &&
	assert_contains out "pushed" &&
	test "$(check_remote_objects)" = 22 &&
	dv push >out2 && assert_contains out2 "Everything is up to date" &&
	cd ../clone && git pull -q && dv pull &&
	for i in 1 2 3 4 5 6; do cmp killed/k$i ../repo/killed/k$i || exit 1; done
'

test_case 'push hashes what it sends: a corrupt object is neither stored nor left as an upload' '
	PREFIX=t3400/verify &&
	cd repo &&
	dv remote add s3v "s3://$S3_BUCKET/$PREFIX" &&
	dv remote modify s3v endpoint "$S3_ENDPOINT" &&
	dv remote modify s3v multipart_chunk 5M &&
	dv remote modify s3v pack_threshold 0 &&
	zero_cached data/a.bin && zero_cached big.bin &&
	expect_error 1 "the cache'"'"'s copy is corrupt" dv push -r s3v >out &&
	test "$(grep "^dv: error: " "$TEST_ROOT/stderr" | grep -c "the cache'"'"'s copy is corrupt")" = 2 &&
	assert_contains "$TEST_ROOT/stderr" "'"'"'big.bin'"'"': the cache" &&
	assert_contains "$TEST_ROOT/stderr" "'"'"'data/a.bin'"'"': the cache" &&
	test "$(s3curl -o /dev/null -w "%{http_code}" -I "$(object_url data/a.bin)")" = 404 &&
	test "$(s3curl -o /dev/null -w "%{http_code}" -I "$(object_url big.bin)")" = 404 &&
	s3curl "$S3_ENDPOINT/$S3_BUCKET?uploads=" >uploads &&
	assert_not_contains uploads "<Upload>" &&
	n=$(check_remote_objects) && test "$n" = "$(sed -n "s/ objects pushed\$//p" out)" &&
	restore_cached data/a.bin && restore_cached big.bin &&
	dv push -r s3v >out && assert_contains out "2 objects pushed" &&
	test "$(check_remote_objects)" = $((n + 2))
'

test_case 'push --verify-remote re-hashes the bucket'"'"'s copies and replaces a corrupt one' '
	PREFIX=t3400/verify &&
	cd repo &&
	echo "not the data" | s3curl -T - "$(object_url data/b.bin)" -o /dev/null &&
	dv push -r s3v >out && assert_contains out "Everything is up to date." &&
	dv push -r s3v --verify-remote >out &&
	assert_contains out "1 corrupt, 1 replaced" &&
	s3curl -o got.bin "$(object_url data/b.bin)" && cmp got.bin data/b.bin &&
	n=$(check_remote_objects) &&
	dv push -r s3v --verify-remote >out &&
	assert_contains out "verified $n objects on remote '"'"'s3v'"'"': 0 corrupt, 0 replaced"
'

test_done
