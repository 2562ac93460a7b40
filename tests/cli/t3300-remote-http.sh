#!/bin/sh
# HTTP remotes, read-only, against python3's http.server on 127.0.0.1
# (started here by tests/servers/http.sh) serving a directory remote:
# fetch and pull of files and directories, push refused, a corrupt or
# missing object, the server stopped and restarted, a fetch killed halfway.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3 for the HTTP server"

HTTP_DIR=$TEST_ROOT/http
http_ctl() { sh "$DV_SOURCE_DIR/tests/servers/http.sh" "$@"; }
test_on_exit 'http_ctl stop "$HTTP_DIR"'
trap 'exit 1' HUP INT TERM
# Restarts reuse the first port, so the remotes configured keep working.
start_server() {
	env=$(http_ctl start "$HTTP_DIR" "$TRASH/served" ${DV_TEST_HTTP_URL:+${DV_TEST_HTTP_URL##*:}}) ||
		{ echo "Bail out! the HTTP server did not start"; exit 1; }
	eval "$env"
}
mkdir -p "$TRASH/served"
start_server

object_of() {
	h=$(xxhsum -H2 "$1" | cut -d" " -f1)
	echo "files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
}

new_repo repo

test_case 'setup: data pushed to a directory the web server publishes' '
	cd repo &&
	make_file data/big.bin 500000 big &&
	mkdir -p data/dir/sub &&
	for i in 1 2 3 4 5 6; do make_file data/dir/f$i $((i * 900)) f$i; done &&
	make_file data/dir/sub/deep 100 deep &&
	printf "#!/bin/sh\n" >data/dir/tool.sh && chmod 755 data/dir/tool.sh &&
	dv add -q data/big.bin data/dir &&
	dv remote add store ../served/store &&
	dv push -r store -q &&
	dv remote add -d web "$DV_TEST_HTTP_URL/store" &&
	git commit -q -m data
'

test_case 'pull over HTTP in a fresh clone restores files and directories' '
	git clone -q repo clone && cd clone &&
	dv pull >out &&
	assert_contains out "10 objects fetched" &&
	cmp data/big.bin ../repo/data/big.bin &&
	diff -r data/dir ../repo/data/dir &&
	test -x data/dir/tool.sh &&
	dv pull >out && assert_contains out "Everything is up to date."
'

test_case 'fetch -j 1 and a trailing slash in the URL work alike' '
	git clone -q repo clone2 && cd clone2 &&
	dv remote add slash "$DV_TEST_HTTP_URL/store/" &&
	dv fetch -r slash -j 1 >out &&
	assert_contains out "10 objects fetched" &&
	dv checkout -q && cmp data/big.bin ../repo/data/big.bin
'

test_case 'push to an HTTP remote is refused as read-only' '
	cd repo &&
	expect_error 2 "HTTP remotes are read-only" dv push -r web
'

test_case 'a corrupt object is refused, named, and kept out of cache and workspace' '
	cp -r served/store served/bad &&
	obj=served/bad/$(object_of repo/data/dir/f4) &&
	chmod u+w "$obj" && echo garbage >>"$obj" &&
	git clone -q repo clone3 && cd clone3 &&
	dv remote add bad "$DV_TEST_HTTP_URL/bad" &&
	expect_error 1 "from remote '"'"'bad'"'"' is corrupt" dv pull -r bad &&
	assert_contains "$TEST_ROOT/stderr" "$(xxh128 ../repo/data/dir/f4)" &&
	test ! -e .dv/cache/$(object_of ../repo/data/dir/f4) &&
	test ! -e data/dir/f4 &&
	cmp data/big.bin ../repo/data/big.bin &&
	! find .dv -name "*.tmp-*" | grep .
'

test_case 'an object the server does not have (404) is named; the rest arrives' '
	cp -r served/store served/partial &&
	rm -f served/partial/$(object_of repo/data/big.bin) &&
	git clone -q repo clone4 && cd clone4 &&
	dv remote add partial "$DV_TEST_HTTP_URL/partial" &&
	expect_error 1 "'"'"'data/big.bin'"'"' is not on remote '"'"'partial'"'"'" dv pull -r partial &&
	diff -r data/dir ../repo/data/dir &&
	test ! -e data/big.bin
'

test_case 'the server stopped: a clear error; restarted: a rerun finishes' '
	git clone -q repo clone5 && cd clone5 &&
	http_ctl stop "$HTTP_DIR" &&
	expect_error 1 "cannot fetch" dv pull &&
	assert_contains "$TEST_ROOT/stderr" "remote '"'"'web'"'"'" &&
	assert_contains "$TEST_ROOT/stderr" "onnect" &&
	test ! -e data/big.bin &&
	start_server &&
	dv pull >out &&
	assert_contains out "10 objects fetched" &&
	cmp data/big.bin ../repo/data/big.bin
'

test_case 'a fetch killed halfway keeps what arrived; a rerun fetches the rest' '
	cd repo &&
	mkdir many && for i in $(seq 1 120); do echo "object $i" >many/f$i; done &&
	dv add -q many && dv push -r store -q &&
	git add -A && git commit -q -m many && cd .. &&
	git clone -q repo clone6 && cd clone6 &&
	expect_code 137 env DV_TEST_KILL_AFTER=40 "$DV" fetch -j 2 many &&
	n=$(find .dv/cache/files -type f | wc -l) && test "$n" -ge 40 &&
	dv pull many >out &&
	assert_contains out "objects fetched" &&
	diff -r many ../repo/many
'

test_done
