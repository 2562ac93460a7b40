#!/bin/sh
# dv ls: git files and dv-tracked data of this repository, another local
# one or a git URL, at a revision, with sizes, without fetching data;
# -R, --dv-only, --json; a tracked directory's listing from its manifest
# (from the source's cache, or just that object from its remote).
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

printf 'leak:libpcre2-8.so\n' >"$TEST_ROOT/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TEST_ROOT/lsan.supp"

new_repo src
cd src
make_file model.bin 3000 m1
mkdir -p data/sub
printf 'aaaa' >data/a.csv
printf 'bb' >data/sub/b.csv
echo readme >README
dv add -q model.bin data
git add README
dv remote add -q -d store ../store
git add .dv/config
git commit -q -m v1
git tag v1
dv push -q
make_file model.bin 5000 m2
dv add -q model.bin
git commit -q -m v2
cd ..

test_case 'the top of this repository: git files and tracked data with sizes' '
	cd src && dv ls >out &&
	grep -P "^dv +4\.9 KiB  model\.bin$" out && grep -P "^dv +6 B  data/$" out &&
	grep -P "^git +7 B  README$" out && grep -P "^git +\d+ B  model\.bin\.stage$" out &&
	grep -P "^git +\d+ B  \.dv/$" out
'

test_case 'a tracked directory lists from its manifest; -R lists every file' '
	cd src && dv ls . data >out &&
	printf "%-3s %10s  %s\n" dv "4 B" a.csv dv "2 B" sub/ >want && test_cmp want out &&
	dv ls . data/sub/b.csv >out && grep -P "^dv +2 B  b\.csv$" out &&
	dv ls -R --dv-only >out &&
	printf "%-3s %10s  %s\n" dv "4 B" data/a.csv dv "2 B" data/sub/b.csv dv "4.9 KiB" model.bin >want &&
	test_cmp want out
'

test_case '--rev reads an older commit; --json has exact sizes and hashes' '
	cd src && dv ls --rev v1 --json . model.bin >out &&
	jq -e ".[0].size == 3000 and .[0].tracked_by == \"dv\" and .[0].type == \"file\"" out &&
	jq -e ".[0].hash == \"$(git show v1:model.bin.stage | sed -n "s/^hash = //p")\"" out &&
	dv ls --json . data >out && jq -e "length == 2 and .[1].type == \"dir\" and .[1].files == 1" out
'

test_case 'another repository by path, from inside a third one' '
	new_repo third && cd third && dv ls ../src data/sub >out && grep -P "^dv +2 B  b\.csv$" out
'

test_case 'a git URL: cloned bare, the manifest alone fetched from its remote' '
	chmod -R u+w src/.dv/cache && mv src/.dv/cache src/cache-away &&
	dv ls "file://$TRASH/src" data >out && grep -P "^dv +4 B  a\.csv$" out &&
	dv ls -R "file://$TRASH/src" >out && grep -P "^dv +2 B  data/sub/b\.csv$" out &&
	mv src/cache-away src/.dv/cache
'

test_case 'bad input: a path not there, an unknown revision, no repository' '
	cd src &&
	expect_error 1 "'"'"'nope'"'"' is not in the repository" dv ls . nope &&
	expect_error 1 "has no revision '"'"'v9'"'"'" dv ls --rev v9 &&
	expect_error 1 "no such directory" dv ls ../missing &&
	expect_error 2 "is not a path inside the repository" dv ls . ../x &&
	expect_code 2 dv ls a b c
'

test_done
