#!/bin/sh
# dv fsck: every object re-hashed, every .stage checked against the cache;
# corrupt objects, malformed manifests, missing objects and unreadable
# .stage files are each named, with exit 1; a sound repository passes.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

# obj_path HASH: the cache file of "xxh128:<hex>[.dir]"
obj_path() {
	h=${1#xxh128:}
	echo ".dv/cache/files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
}

test_case 'a sound repository passes, and the counts are right' '
	cd repo &&
	make_file big.bin 300000 big && mkdir d && echo a >d/a && echo b >d/b &&
	dv add -q big.bin d && git commit -q -m data &&
	dv fsck >out &&
	assert_contains out "checked 4 objects" &&
	assert_contains out "2 .stage files: 0 corrupt, 0 missing, 0 unreadable" &&
	dv fsck -j 1 -q
'

test_case 'a corrupt object is found by re-hashing, whatever its size' '
	cd repo &&
	p=$(obj_path $(xxh128 big.bin)) && chmod u+w $p &&
	printf X | dd of=$p bs=1 seek=150000 conv=notrunc 2>/dev/null &&
	expect_code 1 dv fsck >out &&
	assert_contains out "corrupt: cache object" &&
	assert_contains out "$p" &&
	assert_contains out "1 corrupt" &&
	cp big.bin $p
'

test_case 'a malformed manifest is reported even when its bytes match its name' '
	cd repo &&
	bad=$(printf "not a manifest\n" | xxhsum -H2 - | cut -d" " -f1) &&
	mkdir -p .dv/cache/files/xxh128/$(echo $bad | cut -c1-2) &&
	printf "not a manifest\n" >.dv/cache/files/xxh128/$(echo $bad | cut -c1-2)/$(echo $bad | cut -c3-).dir &&
	expect_code 1 dv fsck >out &&
	assert_contains out "cannot read manifest" &&
	rm .dv/cache/files/xxh128/$(echo $bad | cut -c1-2)/$(echo $bad | cut -c3-).dir &&
	dv fsck -q
'

test_case 'objects a .stage needs but the cache lacks are named with the fix' '
	cd repo &&
	mv $(obj_path $(xxh128 big.bin)) big.saved &&
	mv $(obj_path $(xxh128 d/b)) b.saved &&
	expect_code 1 dv fsck >out &&
	cat out &&
	assert_contains out "missing: '"'"'big.bin'"'"' (big.bin.stage): object $(xxh128 big.bin) is not in the cache" &&
	assert_contains out "missing: '"'"'d'"'"' (d.stage): 1 of 2 files are not in the cache (the first: '"'"'b'"'"')" &&
	assert_contains out "dv fetch" &&
	mv big.saved $(obj_path $(xxh128 big.bin)) && mv b.saved $(obj_path $(xxh128 d/b))
'

test_case 'a missing manifest is named' '
	cd repo &&
	m=$(sed -n "s/^hash = //p" d.stage) &&
	mv $(obj_path $m) m.saved &&
	expect_code 1 dv fsck >out &&
	assert_contains out "manifest $m is not in the cache" &&
	mv m.saved $(obj_path $m)
'

test_case 'an unreadable .stage file is named with its line' '
	cd repo &&
	printf "[out]\npath = x\nbogus = 1\n" >broken.stage &&
	expect_code 1 dv fsck >out &&
	assert_contains out "unreadable: cannot read '"'"'broken.stage'"'"' line 3" &&
	rm broken.stage && dv fsck -q
'

test_case '--json reports the same findings as data' '
	cd repo &&
	mv $(obj_path $(xxh128 big.bin)) big.saved &&
	expect_code 1 dv fsck --json >out &&
	assert_contains out "\"objects\": 3" &&
	assert_contains out "\"missing\": [" &&
	assert_contains out "big.bin.stage" &&
	mv big.saved $(obj_path $(xxh128 big.bin)) &&
	dv fsck --json >out && assert_contains out "\"corrupt\": []"
'

test_case 'bad usage' '
	cd repo &&
	expect_code 2 dv fsck -j 0 &&
	expect_code 2 dv fsck extra
'

test_done
