#!/bin/sh
# Directory remotes (absolute, relative, file://): push, fetch and pull of
# files and directories, the remote's layout, what a second push moves,
# targets, --all-commits, --run-cache, a corrupt or missing remote object,
# and a push or fetch killed halfway then rerun.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# Every object under a store holds the bytes its name says, and nothing but
# complete objects is there (no temp names).
check_store() {
	find "$1/files" -type f >"$TRASH/objects"
	while read -r obj; do
		name=$(echo "$obj" | sed -e 's|.*/xxh128/||' -e 's|/||' -e 's|\.dir$||')
		got=$(xxhsum -H2 "$obj" | cut -d" " -f1)
		[ "$got" = "$name" ] || { echo "corrupt object $obj" >&2; return 1; }
	done <"$TRASH/objects"
	! find "$1" -name ".*" | grep .
}
object_of() {
	h=$(xxhsum -H2 "$1" | cut -d" " -f1)
	echo "files/xxh128/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
}

new_repo repo

test_case 'setup: a file and a directory tree, committed' '
	cd repo &&
	make_file data/train.csv 300000 train &&
	mkdir -p data/images/sub &&
	for i in 1 2 3 4 5; do make_file data/images/img$i.bin $((i * 1000)) img$i; done &&
	make_file data/images/sub/deep.bin 777 deep &&
	: >data/images/empty &&
	printf "#!/bin/sh\necho run\n" >data/images/run.sh && chmod 755 data/images/run.sh &&
	dv add -q data/train.csv data/images &&
	dv remote add -d origin ../store &&
	git commit -q -m data
'

test_case 'push sends every object, in the cache layout, nothing partial' '
	cd repo &&
	dv push >out &&
	assert_contains out "10 objects pushed" &&
	test -f ../store/$(object_of data/train.csv) &&
	test -f ../store/$(object_of data/images/sub/deep.bin) &&
	ls ../store/files/xxh128/*/*.dir >/dev/null &&
	test "$(find ../store/files -type f | wc -l)" = 10 &&
	check_store ../store
'

test_case 'a second push moves nothing' '
	cd repo &&
	find ../store -type f -newer .dv/config | sort >before &&
	sleep 0.01 && touch stamp &&
	dv push >out &&
	assert_contains out "Everything is up to date." &&
	test -z "$(find ../store -newer stamp)"
'

test_case 'pull in a fresh clone restores files and directories byte for byte' '
	git clone -q repo clone && cd clone &&
	dv pull >out &&
	assert_contains out "10 objects fetched" &&
	cmp data/train.csv ../repo/data/train.csv &&
	diff -r data/images ../repo/data/images &&
	test -x data/images/run.sh &&
	test -f data/images/empty &&
	dv status >st && ! grep -E "modified|deleted|missing" st
'

test_case 'a second pull moves nothing' '
	cd clone &&
	dv pull >out &&
	assert_contains out "Everything is up to date."
'

test_case 'fetch fills the cache only; checkout then restores' '
	git clone -q repo clone2 && cd clone2 &&
	dv fetch >out &&
	assert_contains out "10 objects fetched" &&
	test ! -e data/train.csv &&
	dv checkout -q &&
	cmp data/train.csv ../repo/data/train.csv
'

test_case 'targets limit what moves' '
	git clone -q repo clone3 && cd clone3 &&
	dv pull data/train.csv >out &&
	assert_contains out "1 object fetched" &&
	test -f data/train.csv && test ! -e data/images &&
	dv pull data/images.stage >out &&
	assert_contains out "9 objects fetched" &&
	diff -r data/images ../repo/data/images
'

test_case 'push of one target sends only its objects' '
	cd repo &&
	make_file new.bin 5000 new && make_file other.bin 6000 other &&
	dv add -q new.bin other.bin &&
	dv push new.bin >out &&
	assert_contains out "1 object pushed" &&
	test -f ../store/$(object_of new.bin) &&
	test ! -f ../store/$(object_of other.bin) &&
	dv push -q
'

test_case 'absolute paths, file:// URLs and -j all reach the same store' '
	cd repo &&
	dv remote add abs "$TRASH/store-abs" &&
	dv remote add url "file://$TRASH/store-url" &&
	dv push -r abs -j 1 >out && assert_contains out "12 objects pushed" &&
	dv push -r url -j 16 >out && assert_contains out "12 objects pushed" &&
	diff -r "$TRASH/store-abs/files" "$TRASH/store-url/files"
'

test_case 'a corrupt remote object is refused, named, and kept out of cache and workspace' '
	cp -r store store-bad &&
	obj=store-bad/$(object_of repo/data/images/img3.bin) &&
	chmod u+w "$obj" && echo garbage >>"$obj" &&
	git clone -q repo clone4 && cd clone4 &&
	dv remote add -f origin ../store-bad &&
	expect_error 1 "from remote '"'"'origin'"'"' is corrupt" dv pull &&
	assert_contains "$TEST_ROOT/stderr" "$(xxh128 ../repo/data/images/img3.bin)" &&
	test ! -e .dv/cache/$(object_of ../repo/data/images/img3.bin) &&
	test ! -e data/images/img3.bin &&
	cmp data/train.csv ../repo/data/train.csv &&
	! find .dv -name "*.tmp-*" | grep .
'

test_case 'an object missing on the remote is named; the rest is pulled' '
	cp -r store store-missing &&
	rm -f store-missing/$(object_of repo/data/images/img4.bin) &&
	git clone -q repo clone5 && cd clone5 &&
	dv remote add -f origin ../store-missing &&
	expect_error 1 "'"'"'data/images/img4.bin'"'"' is not on remote '"'"'origin'"'"'" dv pull &&
	cmp data/train.csv ../repo/data/train.csv &&
	test ! -e data/images/img4.bin
'

test_case 'an object missing from the cache is named; push sends the rest' '
	cd repo &&
	make_file lost.bin 3000 lost && make_file kept.bin 3000 kept &&
	dv add -q lost.bin kept.bin &&
	rm -f .dv/cache/$(object_of lost.bin) &&
	expect_error 1 "'"'"'lost.bin'"'"' is not in the cache" dv push &&
	test -f ../store/$(object_of kept.bin) &&
	dv remove -q lost.bin && rm -f lost.bin
'

test_case 'a push killed halfway leaves only complete objects; a rerun finishes it' '
	cd repo &&
	mkdir many && for i in $(seq 1 200); do echo "object $i" >many/f$i; done &&
	dv add -q many &&
	dv remote add killed ../store-killed &&
	expect_code 137 env DV_TEST_KILL_AFTER=80 "$DV" push -r killed -j 1 &&
	n=$(find ../store-killed/files -type f | wc -l) &&
	test "$n" -ge 80 && test "$n" -lt 201 &&
	find ../store-killed -name ".*" | wc -l >leftovers &&
	dv push -r killed >out &&
	assert_contains out "objects pushed" &&
	test "$(find ../store-killed/files -type f ! -name ".*" | wc -l)" = $(( $(dv push -r killed --json | python3 -c "import json,sys; print(json.load(sys.stdin)[\"objects\"])") )) &&
	find ../store-killed -name ".*" -delete &&
	check_store ../store-killed
'

test_case 'a fetch killed halfway keeps what arrived; a rerun fetches the rest' '
	cd repo && dv push -q && cd .. &&
	git clone -q repo clone6 && cd clone6 &&
	git -C ../repo add -A && git -C ../repo commit -q -m many && git pull -q &&
	expect_code 137 env DV_TEST_KILL_AFTER=50 "$DV" fetch -j 1 &&
	n=$(find .dv/cache/files -type f | wc -l) && test "$n" -ge 50 &&
	dv fetch >out &&
	assert_contains out "objects fetched" &&
	dv checkout -q && diff -r many ../repo/many
'

test_case '--all-commits pushes and fetches the objects of every commit' '
	cd repo &&
	make_file model.bin 4000 v1 && dv add -q model.bin && git add -A && git commit -q -m v1 &&
	old=$(object_of model.bin) &&
	make_file model.bin 4000 v2 && dv add -q model.bin && git add -A && git commit -q -m v2 &&
	dv remote add hist ../store-hist && git commit -q -m "remote hist" &&
	dv push -r hist -q &&
	test ! -f ../store-hist/$old &&
	dv push -r hist --all-commits >out &&
	assert_contains out "1 object pushed" &&
	test -f ../store-hist/$old &&
	cd .. && git clone -q repo clone7 && cd clone7 &&
	dv fetch -r hist >out && test ! -f .dv/cache/$old &&
	dv fetch -r hist --all-commits >out && assert_contains out "1 object fetched" &&
	test -f .dv/cache/$old &&
	expect_error 2 "--all-commits takes no targets" dv fetch -r hist --all-commits model.bin
'

test_case '--run-cache moves run-cache entries and the objects they name' '
	git init -q rc && cd rc && dv init -q &&
	echo input >in.txt && dv add -q in.txt &&
	dv stage add -n double -d in.txt -o out.txt "cat in.txt in.txt >out.txt" >/dev/null &&
	dv repro -q && entry=$(cd .dv/cache && find runs -type f) && test -n "$entry" &&
	dv remote add -d origin ../store-rc && git add -A && git commit -q -m rc &&
	dv push >out && assert_contains out "2 objects pushed" && test ! -e ../store-rc/$entry &&
	dv push --run-cache >out && assert_contains out "1 object pushed" &&
	test -f ../store-rc/$entry &&
	cd .. && git clone -q rc rc-clone && cd rc-clone &&
	dv fetch --run-cache >out && assert_contains out "3 objects fetched" &&
	test -f .dv/cache/$entry &&
	test -f .dv/cache/$(object_of ../rc/out.txt)
'

test_case 'a progress line shows objects, bytes and rate when asked for' '
	cd repo &&
	dv remote add prog ../store-prog &&
	DV_PROGRESS=1 dv push -r prog 2>err >out &&
	tr "\r" "\n" <err >lines &&
	grep -E "^Pushing to .prog.: 100% [0-9]+/[0-9]+ objects, .*B/.*B, .*B/s" lines &&
	dv push -r prog -q 2>err2 && test ! -s err2
'

test_done
