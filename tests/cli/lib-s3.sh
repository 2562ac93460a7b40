# lib-s3.sh - what the S3 remote tests share, sourced after test-lib.sh:
# the real S3 store of tests/servers/s3.sh started for the script (it must
# start: a failure bails out, never skips, since CI installs it through
# contrib/install-deps.sh), curl with its own SigV4 signing to look at the
# bucket behind dv's back, and helpers for packed remotes (dv-remote(5)).
#
#   s3_test_start NAME   start (or reuse) the server in $DV_TEST_TMP/NAME-s3-server,
#                        purged when the script exits; sets KEY and SECRET
#   s3curl ARGS...       curl signed for the bucket
#   keys PREFIX          every key under PREFIX/ (all pages)
#   packed_once PREFIX   every packed object is listed by exactly one index;
#                        prints how many there are
#   new_s3_repo DIR PREFIX   a repository whose default remote is PREFIX
#   small_files DIR N SEED   N files of about 200 bytes
#   in_memory NAME       $TRASH/NAME becomes a link to a fresh directory in
#                        /dev/shm (when there is one), removed at exit
#   zero_cached FILE / restore_cached FILE   spoil FILE's cache object with
#                        zeros of its size (good bytes kept in FILE.saved) / undo

s3srv() { bash "$DV_SOURCE_DIR/tests/servers/s3.sh" "$@"; }

s3_test_start() {
	S3_DIR=${DV_TEST_TMP:-/tmp/dv-tests}/$1-s3-server
	export S3_DIR
	[ -d "$S3_DIR" ] && s3srv purge >/dev/null 2>&1
	S3_SHM=
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		S3_SHM=$(mktemp -d "/dev/shm/dv-$TEST_NAME.XXXXXX") || S3_SHM=
	fi
	trap 's3srv purge >/dev/null 2>&1; [ -z "$S3_SHM" ] || rm -rf "$S3_SHM"' EXIT
	trap 'exit 1' HUP INT TERM
	if ! s3env=$(s3srv start); then
		echo "Bail out! tests/servers/s3.sh could not start the S3 server (messages above)"
		exit 1
	fi
	eval "$s3env"
	KEY=$AWS_ACCESS_KEY_ID SECRET=$AWS_SECRET_ACCESS_KEY
	unset AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
}

# Trees of thousands of files go to memory: the VM disks CI runs on free a
# file's blocks slowly (about 3 ms a file under load), so deleting the
# trees of a 20,000-file round trip took longer than the test itself.
in_memory() {
	if [ -n "$S3_SHM" ]; then
		mkdir "$S3_SHM/$1" && ln -s "$S3_SHM/$1" "$TRASH/$1"
	else
		mkdir "$TRASH/$1"
	fi
}

zero_cached() {
	h=$(xxhsum -H2 "$1" | cut -d" " -f1)
	obj=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)
	cp "$obj" "$1.saved" && chmod u+w "$obj" &&
	head -c "$(stat -c %s "$obj")" /dev/zero >"$obj"
}

restore_cached() {
	h=$(xxhsum -H2 "$1" | cut -d" " -f1)
	obj=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)
	cp "$1.saved" "$obj" && chmod 0444 "$obj" && rm "$1.saved"
}

s3curl() {
	curl -s --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$KEY:$SECRET" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"
}

keys() {
	token=
	while :; do
		page=$(s3curl "$S3_ENDPOINT/$S3_BUCKET?${token:+continuation-token=$token&}list-type=2&prefix=$(echo "$1" | sed 's|/|%2F|g')%2F")
		echo "$page" | grep -o '<Key>[^<]*' | cut -d'>' -f2
		echo "$page" | grep -q '<IsTruncated>true' || break
		token=$(echo "$page" | grep -o '<NextContinuationToken>[^<]*' | cut -d'>' -f2 |
			sed -e 's|/|%2F|g' -e 's|+|%2B|g' -e 's|=|%3D|g')
	done
}

packed_once() {
	for k in $(keys "$1" | grep '\.idx$'); do
		s3curl "$S3_ENDPOINT/$S3_BUCKET/$k" | sed -e '1,2d' -e '$d' | cut -d' ' -f1
	done >"$TRASH/entries"
	sort "$TRASH/entries" | uniq -d >"$TRASH/dups"
	test ! -s "$TRASH/dups" || { echo "objects in two indexes:" >&2; cat "$TRASH/dups" >&2; return 1; }
	wc -l <"$TRASH/entries"
}

new_s3_repo() {
	new_repo "$1" &&
	(cd "$1" && "$DV" remote add -d s3 "s3://$S3_BUCKET/$2" >/dev/null &&
	 "$DV" remote modify s3 endpoint "$S3_ENDPOINT" &&
	 git add -A && git commit -q -m remote)
}

small_files() {
	mkdir -p "$1" &&
	awk -v d="$1" -v n="$2" -v s="$3" 'BEGIN { for (i = 0; i < n; i++) {
		f = sprintf("%s/%05d", d, i); for (j = 0; j < 6; j++) printf "%s line %d of file %d\n", s, j, i > f; close(f) } }'
}
