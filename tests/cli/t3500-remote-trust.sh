#!/bin/sh
# Trusting what a remote holds (issue 11, defects 4-6) with a directory
# remote: push re-hashes what it sends and never publishes a corrupt cache
# object, push --verify-remote finds and replaces bad remote objects, gc -c
# keeps objects younger than gc.remote_grace, push and gc -c sweep temp
# files killed pushes left, fsck reports objects that are symlinks or
# directories, a killed add's .stage temp file is removed by the next
# write, and remote URLs that can never work are refused when written.
# The SSH and S3 sides of the same behaviours are in t3200 and t3400.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

object_of() {
	h=$(xxhsum -H2 "$1" | cut -d" " -f1)
	echo "files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
}
# Overwrite a read-only cache or remote object with zeros of its size.
zero_object() {
	size=$(stat -c %s "$1")
	chmod u+w "$1"
	head -c "$size" /dev/zero >"$1"
	chmod 0444 "$1"
}

new_repo repo

test_case 'remote add refuses URLs that can never work, naming the problem and a valid form' '
	cd repo &&
	expect_error 1 "names no host" dv remote add a "ssh://" &&
	assert_contains "$TEST_ROOT/stderr" "e.g. ssh://" &&
	expect_error 1 "names no host" dv remote add a "ssh:///path" &&
	expect_error 1 "invalid port" dv remote add a "ssh://host:0/x" &&
	expect_error 1 "names no bucket" dv remote add a "s3://" &&
	assert_contains "$TEST_ROOT/stderr" "e.g. s3://" &&
	expect_error 1 "absolute path" dv remote add a "file://relative" &&
	assert_contains "$TEST_ROOT/stderr" "e.g. file:///" &&
	expect_error 1 "names no host" dv remote add a "http://" &&
	expect_error 1 "names no host" dv remote add a "https:///x" &&
	test "$(wc -l <"$TEST_ROOT/stderr")" = 1 &&
	! dv config remote.a.url
'

test_case 'remote modify url refuses them too; good URLs still pass' '
	cd repo &&
	dv remote add a ssh://host.example/srv/dv &&
	expect_error 1 "invalid port" dv remote modify a url "ssh://host:0/x" &&
	expect_error 1 "names no bucket" dv remote modify a url "s3:///p" &&
	test "$(dv config remote.a.url)" = ssh://host.example/srv/dv &&
	dv remote modify a url http://example.com:8080/dv &&
	dv remote modify a url s3://bucket &&
	dv remote modify a url "ssh://u@[::1]:2222/~/x" &&
	dv remote modify a url host:relative &&
	dv remote remove a
'

test_case 'fsck reports a cache object that is a symlink or a directory, and leaves it' '
	cd repo &&
	echo one >one.txt && echo two >two.txt &&
	dv add -q one.txt two.txt && git commit -q -m two &&
	dv fsck -q &&
	one=.dv/cache/$(object_of one.txt) && two=.dv/cache/$(object_of two.txt) &&
	cp $one ../one.saved && rm -f $one && ln -s "$PWD/../one.saved" $one &&
	rm -f $two && mkdir $two &&
	expect_code 1 dv fsck >out &&
	assert_contains out "corrupt: cache object '"'"'$PWD/$one'"'"' is a symbolic link" &&
	assert_contains out "corrupt: cache object '"'"'$PWD/$two'"'"' is a directory" &&
	assert_contains out "2 corrupt" &&
	test -L $one && test -d $two &&
	rm $one && rmdir $two &&
	cp ../one.saved $one && cp two.txt $two && chmod 0444 $one $two &&
	dv fsck -q
'

test_done
