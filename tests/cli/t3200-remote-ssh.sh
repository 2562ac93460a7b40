#!/bin/sh
# SSH remotes against a real OpenSSH server on 127.0.0.1 (started here by
# tests/servers/sshd.sh with generated keys): round trips of files and
# directories through ssh:// and host:path URLs, one connection per command,
# a second push that moves nothing, a corrupt cache object refused by push
# (never stored by the remote), push --verify-remote replacing a corrupt
# remote object, a corrupt remote object on fetch, a push killed
# halfway, the server stopped mid-transfer, wrong credentials.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

[ -x /usr/sbin/sshd ] || skip_all "no OpenSSH server (install openssh-server)"
command -v ssh >/dev/null || skip_all "no OpenSSH client (install openssh-client)"

SSHD_DIR=$TEST_ROOT/sshd
sshd_ctl() { sh "$DV_SOURCE_DIR/tests/servers/sshd.sh" "$@"; }
test_on_exit 'sshd_ctl stop "$SSHD_DIR"'
trap 'exit 1' HUP INT TERM
start_server() {
	env=$(sshd_ctl start "$SSHD_DIR") || { echo "Bail out! sshd did not start"; exit 1; }
	eval "$env"
}
start_server
connections() { grep -c "^Connection from" "$SSHD_DIR/sshd.log" || true; }

check_store() {
	find "$1/files" -type f >"$TRASH/objects"
	while read -r obj; do
		name=$(echo "$obj" | sed -e 's|.*/xxh128/||' -e 's|/||' -e 's|\.dir$||')
		got=$(xxhsum -H2 "$obj" | cut -d" " -f1)
		[ "$got" = "$name" ] || { echo "corrupt object $obj" >&2; return 1; }
	done <"$TRASH/objects"
}
object_of() {
	h=$(xxhsum -H2 "$1" | cut -d" " -f1)
	echo "files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
}
# Wait (up to 5 s) for the remote side of a cut-off upload to clean up.
wait_no_tmp() {
	for _ in $(seq 100); do
		ls "$1"/tmp/dv-put-* >/dev/null 2>&1 || return 0
		sleep 0.05
	done
	echo "left behind: $(ls "$1"/tmp)" >&2
	return 1
}

new_repo repo

test_case 'setup: files and a directory, an ssh:// remote' '
	cd repo &&
	make_file data/big.bin 400000 big &&
	mkdir -p data/dir/sub &&
	for i in 1 2 3 4; do make_file data/dir/f$i $((i * 700)) f$i; done &&
	make_file data/dir/sub/deep 333 deep &&
	: >data/dir/empty &&
	printf "#!/bin/sh\n" >data/dir/tool.sh && chmod 755 data/dir/tool.sh &&
	dv add -q data/big.bin data/dir &&
	dv remote add -d origin "ssh://$DV_TEST_SSH_HOST$TRASH/store" &&
	git commit -q -m data
'

test_case 'push over ssh: every object, one connection' '
	cd repo &&
	before=$(connections) &&
	dv push >out &&
	assert_contains out "9 objects pushed" &&
	test "$(connections)" = $((before + 1)) &&
	test -f ../store/$(object_of data/big.bin) &&
	test "$(find ../store/files -type f | wc -l)" = 9 &&
	check_store ../store &&
	test -z "$(ls ../store/tmp)"
'

test_case 'a second push moves nothing (one listing)' '
	cd repo &&
	touch stamp && before=$(connections) &&
	dv push >out &&
	assert_contains out "Everything is up to date." &&
	test "$(connections)" = $((before + 1)) &&
	test -z "$(find ../store/files -newer stamp)"
'

test_case 'pull in a fresh clone over host:path, with its port from the config' '
	git clone -q repo clone && cd clone &&
	dv remote add hostpath "$DV_TEST_SSH_HOST:$TRASH/store" &&
	before=$(connections) &&
	dv pull -r hostpath >out &&
	assert_contains out "9 objects fetched" &&
	test "$(connections)" = $((before + 1)) &&
	cmp data/big.bin ../repo/data/big.bin &&
	diff -r data/dir ../repo/data/dir &&
	test -x data/dir/tool.sh &&
	dv pull -r hostpath >out && assert_contains out "Everything is up to date."
'

test_case 'ssh://user@127.0.0.1:PORT/path with the port in the URL' '
	git clone -q repo clone2 && cd clone2 &&
	dv remote add byport "ssh://$DV_TEST_SSH_USER@127.0.0.1:$DV_TEST_SSH_PORT$TRASH/store" &&
	dv pull -r byport >out &&
	assert_contains out "9 objects fetched" &&
	cmp data/big.bin ../repo/data/big.bin
'

test_case 'many objects go in one tar stream each way' '
	cd repo &&
	mkdir many && for i in $(seq 1 300); do echo "object $i" >many/f$i; done &&
	dv add -q many && git add -A && git commit -q -m many &&
	before=$(connections) &&
	dv push >out && assert_contains out "301 objects pushed" &&
	cd .. && git clone -q repo clone3 && cd clone3 &&
	dv pull many >out && assert_contains out "301 objects fetched" &&
	test "$(connections)" = $((before + 2)) &&
	diff -r many ../repo/many &&
	check_store ../store
'

test_case 'a remote path with spaces' '
	cd repo &&
	dv remote add spaced "ssh://$DV_TEST_SSH_HOST$TRASH/with space/store" &&
	dv push -r spaced -q &&
	test -f "../with space/store/$(object_of data/big.bin)" &&
	cd ../clone && rm -rf .dv/cache/files data/big.bin &&
	dv remote add spaced "ssh://$DV_TEST_SSH_HOST$TRASH/with space/store" &&
	dv pull -r spaced data/big.bin -q && cmp data/big.bin ../repo/data/big.bin
'

test_case 'push hashes what it sends: a corrupt cache object is rejected by the remote, the rest lands' '
	cd repo &&
	dv remote add vstore "ssh://$DV_TEST_SSH_HOST$TRASH/store-verify" &&
	f3obj=.dv/cache/$(object_of data/dir/f3) && cp "$f3obj" ../f3.saved &&
	chmod u+w "$f3obj" && head -c 2100 /dev/zero >"$f3obj" &&
	expect_error 1 "'"'"'data/dir/f3'"'"': the cache'"'"'s copy is corrupt" dv push -r vstore >out &&
	assert_contains "$TEST_ROOT/stderr" "$PWD/$f3obj" &&
	assert_contains out "309 objects pushed" &&
	test ! -e ../store-verify/$(object_of data/dir/f3) &&
	wait_no_tmp ../store-verify &&
	test -z "$(find ../store-verify -name ".*")" &&
	test "$(find ../store-verify/files -type f | wc -l)" = 309 &&
	check_store ../store-verify &&
	cp ../f3.saved "$f3obj" && chmod 0444 "$f3obj" &&
	dv push -r vstore >out && assert_contains out "1 object pushed" &&
	check_store ../store-verify
'

test_case 'push --verify-remote re-hashes the remote copies over ssh and replaces a corrupt one' '
	cd repo &&
	remote_obj=../store-verify/$(object_of data/big.bin) &&
	chmod u+w $remote_obj && head -c 400000 /dev/zero >$remote_obj &&
	dv push -r vstore >out && assert_contains out "Everything is up to date." &&
	dv push -r vstore --verify-remote >out &&
	assert_contains out "verified 310 objects on remote '"'"'vstore'"'"': 1 corrupt, 1 replaced" &&
	cmp data/big.bin $remote_obj &&
	check_store ../store-verify &&
	dv push -r vstore --verify-remote >out &&
	assert_contains out "0 corrupt, 0 replaced" &&
	! find .dv -name "verify-*" | grep .
'

test_case 'gc -c over ssh keeps what was pushed within gc.remote_grace and removes killed pushes'"'"' leftovers' '
	cd repo &&
	echo junk >junk.txt && dv add -q junk.txt && dv push -q -r vstore &&
	junk=../store-verify/$(object_of junk.txt) && test -f $junk &&
	dv remove junk.txt &&
	dead=../store-verify/tmp/dv-put-0123456789abcdef &&
	mkdir -p $dead/files/xxh128/ab && echo part >$dead/files/xxh128/ab/cd &&
	find $dead -exec touch -d "2 hours ago" {} + &&
	live=../store-verify/tmp/dv-put-fedcba9876543210 && mkdir -p $live && echo now >$live/x &&
	tmpobj=$(dirname $junk)/.cdef.tmp-1-0 && echo half >$tmpobj && touch -d "3 hours ago" $tmpobj &&
	dv gc -w -c -r vstore -n >out &&
	assert_contains out "kept 1 unreferenced object on remote '"'"'vstore'"'"' pushed less than 1d ago" &&
	assert_contains out "would remove tmp/dv-put-0123456789abcdef from remote '"'"'vstore'"'"'" &&
	assert_contains out "would remove files/xxh128/$(basename $(dirname $junk))/.cdef.tmp-1-0 from remote" &&
	assert_not_contains out fedcba &&
	dv gc -w -c -r vstore -f >out &&
	test -f $junk && test ! -e $dead && test ! -e $tmpobj && test -e $live/x &&
	touch -d "2 days ago" $junk &&
	dv gc -w -c -r vstore -f >out &&
	assert_contains out "and 1 from remote '"'"'vstore'"'"'" &&
	test ! -e $junk &&
	find $live -exec touch -d "2 hours ago" {} + &&
	dv push -r vstore >out &&
	assert_contains out "removed 1 leftover temp file of interrupted pushes from remote '"'"'vstore'"'"'" &&
	test ! -e $live &&
	check_store ../store-verify
'

test_case 'a corrupt remote object is refused and named; nothing corrupt is stored' '
	cp -r store store-bad &&
	obj=store-bad/$(object_of repo/data/dir/f2) &&
	chmod u+w "$obj" && echo garbage >>"$obj" &&
	git clone -q repo clone4 && cd clone4 &&
	dv remote add bad "ssh://$DV_TEST_SSH_HOST$TRASH/store-bad" &&
	expect_error 1 "from remote '"'"'bad'"'"' is corrupt" dv pull -r bad data/dir &&
	assert_contains "$TEST_ROOT/stderr" "$(xxh128 ../repo/data/dir/f2)" &&
	test ! -e .dv/cache/$(object_of ../repo/data/dir/f2) &&
	test ! -e data/dir/f2 &&
	! find .dv -name "*.tmp-*" | grep .
'

test_case 'a push killed halfway leaves nothing partial; a rerun completes' '
	cd repo &&
	dv remote add killed "ssh://$DV_TEST_SSH_HOST$TRASH/store-killed" &&
	expect_code 137 env DV_TEST_KILL_AFTER=150 "$DV" push -r killed &&
	wait_no_tmp ../store-killed &&
	if [ -d ../store-killed/files ]; then check_store ../store-killed; fi &&
	dv push -r killed >out &&
	assert_contains out "objects pushed" &&
	dv push -r killed >out && assert_contains out "Everything is up to date." &&
	test "$(find ../store-killed/files -type f | wc -l)" = 310 &&
	check_store ../store-killed
'

test_case 'the server stopped mid-push: a clear error, and a rerun finishes' '
	cd repo &&
	make_file data/large.bin 3000000 large && dv add -q data/large.bin &&
	dv remote add cut "ssh://$DV_TEST_SSH_HOST$TRASH/store-cut" &&
	cat >../cut-push.sh <<-EOT &&
	# Let 500 kB of the upload through, then stop the server (stdbuf:
	# head would hold its output in a stdio buffer).
	{ stdbuf -o0 head -c 500000; sh "$DV_SOURCE_DIR/tests/servers/sshd.sh" stop "$SSHD_DIR"; } |
		ssh -F "$SSHD_DIR/ssh_config" "\$@"
	EOT
	expect_error 1 "cannot push to remote '"'"'cut'"'"' over ssh" \
		timeout 60 env DV_SSH_COMMAND="sh $TRASH/cut-push.sh" "$DV" push -r cut &&
	test "$(grep -c "^dv: error: " "$TEST_ROOT/stderr")" = 2 &&
	test ! -e ../store-cut/$(object_of data/large.bin) &&
	start_server &&
	dv push -r cut >out &&
	assert_contains out "objects pushed" &&
	test -f ../store-cut/$(object_of data/large.bin) &&
	check_store ../store-cut
'

test_case 'the server stopped mid-fetch: a clear error, and a rerun finishes' '
	cd repo && git add -A && git commit -q -m large && dv push -q && cd .. &&
	git clone -q repo clone5 && cd clone5 &&
	cat >../cut-fetch.sh <<-EOT &&
	# Let 500 kB of the download through, then stop the server.
	ssh -F "$SSHD_DIR/ssh_config" "\$@" |
		{ stdbuf -o0 head -c 500000; sh "$DV_SOURCE_DIR/tests/servers/sshd.sh" stop "$SSHD_DIR"; }
	EOT
	expect_error 1 "broke off" \
		timeout 60 env DV_SSH_COMMAND="sh $TRASH/cut-fetch.sh" "$DV" pull data/large.bin &&
	test ! -e data/large.bin &&
	! find .dv -name "*.tmp-*" | grep . &&
	start_server &&
	dv pull data/large.bin >out &&
	assert_contains out "1 object fetched" &&
	cmp data/large.bin ../repo/data/large.bin
'

test_case 'wrong credentials: a clear error naming the remote' '
	cd repo &&
	dv remote add wrongkey "$DV_TEST_SSH_BADHOST:$TRASH/store" &&
	expect_error 1 "remote '"'"'wrongkey'"'"' over ssh" dv push -r wrongkey &&
	assert_contains "$TEST_ROOT/stderr" "Permission denied" &&
	cd .. && git clone -q repo clone6 && cd clone6 &&
	dv remote add wrongkey "$DV_TEST_SSH_BADHOST:$TRASH/store" &&
	expect_error 1 "Permission denied" dv fetch -r wrongkey
'

test_case 'an unreachable host and a missing ssh program are clear errors' '
	cd repo &&
	dv remote add down "ssh://127.0.0.1:1$TRASH/store" &&
	expect_error 1 "Connection refused" dv push -r down &&
	expect_error 1 "cannot run '"'"'ssh'"'"'" env -u DV_SSH_COMMAND PATH=/nonexistent "$DV" push -r down
'

test_done
