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

# --- push checks what it sends (defect 4) -----------------------------------

new_repo p4

test_case 'push setup: three files and a directory remote' '
	cd p4 &&
	make_file a.bin 3000 a && make_file b.bin 300000 b && echo small >c.txt &&
	dv add -q a.bin b.bin c.txt &&
	dv remote add -d origin "$TRASH/store4" &&
	git add -A && git commit -q -m data
'

test_case 'push hashes what it sends: a corrupt cache object is refused, named with the fix, never on the remote' '
	cd p4 &&
	zero_object .dv/cache/$(object_of b.bin) &&
	expect_error 1 "'"'"'b.bin'"'"': the cache'"'"'s copy is corrupt" dv push >out &&
	assert_contains "$TEST_ROOT/stderr" "$PWD/.dv/cache/$(object_of b.bin)" &&
	assert_contains "$TEST_ROOT/stderr" "dv fetch -r NAME" &&
	assert_contains out "2 objects pushed" &&
	test -f ../store4/$(object_of a.bin) &&
	test ! -e ../store4/$(object_of b.bin) &&
	test -z "$(find ../store4 -name ".*")"
'

test_case 'once the object is re-added, push sends the good bytes' '
	cd p4 &&
	rm -f .dv/cache/$(object_of b.bin) && dv add -q b.bin &&
	dv push >out &&
	assert_contains out "1 object pushed" &&
	cmp b.bin ../store4/$(object_of b.bin)
'

test_case 'a corrupt remote object passes push and status -c, but push --verify-remote replaces it' '
	cd p4 &&
	zero_object ../store4/$(object_of a.bin) &&
	dv push >out && assert_contains out "Everything is up to date." &&
	dv status -c >out && assert_not_contains out "a.bin" &&
	dv push --verify-remote >out &&
	assert_contains out "verified 3 objects on remote '"'"'origin'"'"': 1 corrupt, 1 replaced" &&
	cmp a.bin ../store4/$(object_of a.bin) &&
	dv push --verify-remote >out &&
	assert_contains out "verified 3 objects on remote '"'"'origin'"'"': 0 corrupt, 0 replaced" &&
	dv push --verify-remote --json >out &&
	grep -q "\"replaced\": 0" out &&
	expect_code 2 dv fetch --verify-remote
'

test_case 'push --verify-remote: a corrupt remote copy with no good local one is an error naming it' '
	cd p4 &&
	zero_object ../store4/$(object_of c.txt) &&
	chmod u+w .dv/cache/$(object_of c.txt) && echo "not small" >.dv/cache/$(object_of c.txt) &&
	expect_error 1 "'"'"'c.txt'"'"': the cache'"'"'s copy is corrupt" dv push --verify-remote >out &&
	assert_contains out "1 corrupt, 0 replaced" &&
	rm -f .dv/cache/$(object_of c.txt) &&
	expect_error 1 "'"'"'c.txt'"'"': remote '"'"'origin'"'"' holds a corrupt copy and the cache has none" dv push --verify-remote &&
	dv add -q c.txt && dv push --verify-remote >out &&
	assert_contains out "1 corrupt, 1 replaced" &&
	cmp c.txt ../store4/$(object_of c.txt)
'

# --- gc -c keeps what another clone just pushed (defect 5) -------------------

test_case 'gc setup: a shared directory remote, two clones' '
	new_repo up && cd up &&
	echo base >base.txt && dv add -q base.txt &&
	dv remote add -d shared "$TRASH/shared" &&
	git add -A && git commit -q -m base && dv push -q &&
	cd .. && git clone -q up clone-a && git clone -q up clone-b &&
	cd clone-a && dv pull -q
'

test_case 'a stale clone'"'"'s gc -c keeps objects another clone has just pushed (gc.remote_grace, 24h)' '
	cd clone-b &&
	for i in 1 2 3 4 5; do echo "new $i" >n$i.txt; done &&
	dv add -q n1.txt n2.txt n3.txt n4.txt n5.txt && git add -A && git commit -q -m new &&
	dv push -q && git push -q origin HEAD:refs/heads/other &&
	test "$(find ../shared/files -type f | wc -l)" = 6 &&
	cd ../clone-a &&
	dv gc -w -c -n >out &&
	assert_contains out "0 of 6 objects from remote '"'"'shared'"'"'" &&
	assert_contains out "kept 5 unreferenced objects on remote '"'"'shared'"'"' pushed less than 1d ago (gc.remote_grace)" &&
	dv gc -w -c -f >out &&
	assert_contains out "kept 5 unreferenced objects" &&
	test "$(find ../shared/files -type f | wc -l)" = 6 &&
	cd ../clone-b && dv fetch -q && dv checkout -q && cmp n3.txt ../shared/$(object_of n3.txt)
'

test_case 'objects older than the grace period go; with gc.remote_grace 0 young ones go too' '
	cd clone-a &&
	touch -d "2 days ago" ../shared/$(object_of ../clone-b/n1.txt) &&
	dv gc -w -c -f >out &&
	assert_contains out "and 1 from remote '"'"'shared'"'"'" &&
	assert_contains out "kept 4 unreferenced" &&
	test ! -e ../shared/$(object_of ../clone-b/n1.txt) &&
	dv config gc.remote_grace 30m &&
	dv gc -w -c -n >out && assert_contains out "pushed less than 30m ago" &&
	dv config gc.remote_grace 0 &&
	dv gc -w -c -f >out &&
	assert_contains out "and 4 from remote '"'"'shared'"'"'" &&
	assert_not_contains out "kept" &&
	test "$(find ../shared/files -type f | wc -l)" = 1
'

test_case 'gc.remote_grace takes a duration, checked when set and when read' '
	cd clone-a &&
	for v in 24h 30m 90s 2d 1w 1h30m 0; do dv config gc.remote_grace $v || exit 1; done &&
	expect_error 1 "must be a duration such as" dv config gc.remote_grace 24 &&
	expect_error 1 "must be a duration such as" dv config gc.remote_grace 1y &&
	expect_error 1 "must be a duration such as" dv config gc.remote_grace "" &&
	dv config --unset gc.remote_grace
'

# --- temp files killed pushes left on a directory remote (defect 6b) ------------

test_case 'push and gc -c remove temp files killed pushes left on the remote (older than an hour), gc -n lists them' '
	cd clone-a &&
	prefix=$(dirname ../shared/$(object_of base.txt)) &&
	echo partial >$prefix/.0123.tmp-1a2b-0 && touch -d "2 hours ago" $prefix/.0123.tmp-1a2b-0 &&
	echo fresh >$prefix/.4567.tmp-1a2b-1 &&
	mkdir -p ../shared/tmp && echo x >../shared/tmp/.obj.tmp-99-0 && touch -d "3 hours ago" ../shared/tmp/.obj.tmp-99-0 &&
	dv gc -w -c -n >out &&
	assert_contains out "would remove files/xxh128/$(basename $prefix)/.0123.tmp-1a2b-0 from remote '"'"'shared'"'"' (left by an interrupted push)" &&
	assert_contains out "would remove tmp/.obj.tmp-99-0 from remote" &&
	assert_contains out "2 leftover temp files from remote" &&
	assert_not_contains out ".4567.tmp" &&
	test -e $prefix/.0123.tmp-1a2b-0 &&
	dv gc -w -c -f >out &&
	assert_contains out "removed 2 leftover temp files from remote '"'"'shared'"'"'" &&
	test ! -e $prefix/.0123.tmp-1a2b-0 && test ! -e ../shared/tmp/.obj.tmp-99-0 &&
	test -e $prefix/.4567.tmp-1a2b-1 &&
	touch -d "2 hours ago" $prefix/.4567.tmp-1a2b-1 &&
	dv push >out &&
	assert_contains out "removed 1 leftover temp file of interrupted pushes from remote '"'"'shared'"'"'" &&
	test ! -e $prefix/.4567.tmp-1a2b-1
'

# --- a killed add's .stage temp file (defect 6c) ---------------------------------

test_case 'the next .stage write in a directory removes the temp files killed writers left there' '
	cd repo && mkdir -p sub &&
	dead=$(sh -c "echo \$\$") &&
	old=.a.stage.tmp-$(printf %x $(( (dead << 32) | 4660 )))-0 &&
	echo half >sub/$old && touch -d "2 hours ago" sub/$old &&
	deadtag=.b.stage.tmp-$(printf %x $(( (dead << 32) | 22136 )))-3 &&
	echo half >sub/$deadtag &&
	live=.c.stage.tmp-$(printf %x $(( ($$ << 32) | 1 )))-0 &&
	echo writing >sub/$live &&
	other=.data.csv.tmp-$(printf %x $(( (dead << 32) | 1 )))-0 &&
	echo data >sub/$other && touch -d "2 hours ago" sub/$other &&
	echo x >sub/x.txt && dv add -q sub/x.txt &&
	test ! -e sub/$old && test ! -e sub/$deadtag &&
	test -e sub/$live && test -e sub/$other &&
	test -f sub/x.txt.stage &&
	rm sub/$live sub/$other
'

test_done
