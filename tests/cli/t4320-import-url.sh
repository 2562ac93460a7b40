#!/bin/sh
# dv import-url / get-url / update against the real servers the project
# starts: HTTP (python's http.server: Last-Modified, no ETag), S3 (Swift's
# s3api: ETag) and SSH (OpenSSH: size and mtime).  An update fetches again
# only when the source changed; bad URLs and hostile output paths are
# refused without writing anything.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

[ -x /usr/sbin/sshd ] || skip_all "no OpenSSH server (install openssh-server)"

SSHD_DIR=$TEST_ROOT/sshd HTTP_DIR=$TEST_ROOT/http
S3_DIR=${DV_TEST_TMP:-/tmp/dv-tests}/t4320-s3-server
export S3_DIR
sshd_ctl() { sh "$DV_SOURCE_DIR/tests/servers/sshd.sh" "$@"; }
http_ctl() { sh "$DV_SOURCE_DIR/tests/servers/http.sh" "$@"; }
s3srv() { bash "$DV_SOURCE_DIR/tests/servers/s3.sh" "$@"; }
[ -d "$S3_DIR" ] && s3srv purge >/dev/null 2>&1
test_on_exit 'sshd_ctl stop "$SSHD_DIR"; http_ctl stop "$HTTP_DIR"; s3srv purge >/dev/null 2>&1'
trap 'exit 1' HUP INT TERM
env=$(sshd_ctl start "$SSHD_DIR") || { echo "Bail out! sshd did not start"; exit 1; }
eval "$env"
env=$(http_ctl start "$HTTP_DIR" "$TRASH/www") || { echo "Bail out! the HTTP server did not start"; exit 1; }
eval "$env"
s3env=$(s3srv start) || { echo "Bail out! tests/servers/s3.sh could not start the S3 server"; exit 1; }
eval "$s3env"
unset AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
s3put() {
	curl -sf --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$1" "$S3_ENDPOINT/$S3_BUCKET/$2"
}

mkdir -p www/sub sshfiles
make_file www/sub/data.bin 200000 h1
make_file sshfiles/model.bin 100000 s1
make_file s3-v1.bin 150000 b1
s3put s3-v1.bin t4320/set/train.bin || { echo "Bail out! cannot upload to the S3 server"; exit 1; }
new_repo repo

test_case 'http: import-url tracks the file, records size and mtime' '
	cd repo && dv import-url "$DV_TEST_HTTP_URL/sub/data.bin" >out &&
	grep -F "imported $DV_TEST_HTTP_URL/sub/data.bin as data.bin (data.bin.stage)" out &&
	cmp data.bin ../www/sub/data.bin && grep -x "url = $DV_TEST_HTTP_URL/sub/data.bin" data.bin.stage &&
	grep -x "size = 200000" data.bin.stage && grep -x "mtime = $(stat -c %Y ../www/sub/data.bin)" data.bin.stage &&
	grep -x "hash = $(xxh128 data.bin)" data.bin.stage && grep -x "/data.bin" .gitignore &&
	git diff --cached --name-only | grep -x data.bin.stage && dv status >st && grep -x "Data and pipelines are up to date." st
'

test_case 'http: update fetches nothing while the source is unchanged, then the new bytes' '
	cd repo && dv update data.bin.stage >out && grep -F "data.bin is up to date with" out &&
	make_file ../www/sub/data.bin 210000 h2 && touch -d "2030-01-01 00:00:00" ../www/sub/data.bin &&
	dv update data.bin >out && grep -F "updated data.bin from" out && cmp data.bin ../www/sub/data.bin &&
	grep -x "size = 210000" data.bin.stage && dv update data.bin >out && grep -F "up to date" out
'

test_case 'ssh: import-url into a directory of the repository, update on a new mtime' '
	cd repo && mkdir -p models &&
	dv import-url "ssh://$DV_TEST_SSH_HOST$TRASH/sshfiles/model.bin" models/m.bin >out &&
	cmp models/m.bin ../sshfiles/model.bin && grep -x "size = 100000" models/m.bin.stage &&
	! grep -q "^etag" models/m.bin.stage &&
	dv update models/m.bin.stage >out && grep -F "up to date" out &&
	make_file ../sshfiles/model.bin 100000 s2 && touch -d "2031-01-01" ../sshfiles/model.bin &&
	dv update models/m.bin.stage >out && grep -F "updated models/m.bin" out && cmp models/m.bin ../sshfiles/model.bin
'

test_case 's3: import-url with a remote'"'"'s settings records the ETag; update follows it' '
	cd repo && dv remote add store "s3://$S3_BUCKET/t4320" && dv remote modify store endpoint "$S3_ENDPOINT" &&
	dv import-url "s3://$S3_BUCKET/t4320/set/train.bin" >out && cmp train.bin ../s3-v1.bin &&
	grep "^etag = " train.bin.stage && grep -x "size = 150000" train.bin.stage &&
	dv update train.bin >out && grep -F "up to date" out &&
	make_file ../s3-v2.bin 150000 b2 && s3put ../s3-v2.bin t4320/set/train.bin &&
	dv update train.bin >out && grep -F "updated train.bin" out && cmp train.bin ../s3-v2.bin
'

test_case 'a deleted work-tree copy is restored by update without a change at the source' '
	cd repo && rm train.bin && dv update train.bin.stage >out && grep -F "updated train.bin" out &&
	cmp train.bin ../s3-v2.bin
'

test_case 'get-url downloads without tracking, inside or outside a repository' '
	mkdir -p plain && cd plain && dv get-url "$DV_TEST_HTTP_URL/sub/data.bin" >out && cmp data.bin ../www/sub/data.bin &&
	dv get-url "ssh://$DV_TEST_SSH_HOST$TRASH/sshfiles/model.bin" copy.bin >/dev/null && cmp copy.bin ../sshfiles/model.bin &&
	expect_error 1 "exists already" dv get-url "$DV_TEST_HTTP_URL/sub/data.bin" &&
	cd ../repo && dv get-url "$DV_TEST_HTTP_URL/sub/data.bin" loose.bin >/dev/null && test ! -e loose.bin.stage
'

test_case 'bad input: missing files, directory URLs, local paths, unknown schemes' '
	cd repo &&
	expect_error 1 "is not there" dv import-url "$DV_TEST_HTTP_URL/sub/nope.bin" &&
	expect_error 1 "is not there" dv import-url "s3://$S3_BUCKET/t4320/nope.bin" nope.bin &&
	expect_error 1 "is not there" dv get-url "ssh://$DV_TEST_SSH_HOST$TRASH/sshfiles/nope" &&
	expect_error 2 "names a directory, not a file" dv import-url "$DV_TEST_HTTP_URL/sub/" &&
	expect_error 2 "take s3://, http(s):// and ssh:// URLs" dv import-url ../www/sub/data.bin x.bin &&
	expect_error 2 "take s3://, http(s):// and ssh:// URLs" dv get-url ftp://host/x &&
	expect_error 1 "exists already" dv import-url "$DV_TEST_HTTP_URL/sub/data.bin" &&
	echo z >plain.txt && dv add -q plain.txt &&
	expect_error 2 "no source to follow" dv update plain.txt &&
	expect_error 2 "has no revisions" dv update --rev v1 data.bin &&
	expect_code 1 dv update nosuch.stage &&
	test ! -e nope.bin && test ! -e nope.bin.stage && test ! -e x.bin.stage
'

test_case 'hostile names: a URL ending in .. and outputs in .git or .dv or outside are refused' '
	cd repo &&
	expect_error 2 "names a directory, not a file" dv get-url "$DV_TEST_HTTP_URL/sub/.." &&
	expect_error 2 "names a directory, not a file" dv import-url "$DV_TEST_HTTP_URL/sub/%2e%2e/.." &&
	expect_error 2 "" dv import-url "$DV_TEST_HTTP_URL/sub/data.bin" .git/hooks/evil &&
	expect_error 2 "" dv import-url "$DV_TEST_HTTP_URL/sub/data.bin" ../outside.bin &&
	test ! -e .git/hooks/evil && test ! -e ../outside.bin &&
	expect_code 2 dv get-url "$DV_TEST_HTTP_URL/sub/data.bin" .dv/evil && test ! -e .dv/evil &&
	ln -s ../../elsewhere linkdir && expect_code 2 dv get-url "$DV_TEST_HTTP_URL/sub/data.bin" linkdir/x.bin &&
	test ! -e ../../elsewhere/x.bin
'

test_done
