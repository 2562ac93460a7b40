#!/bin/sh
# .dvignore: patterns (comments, negation, anchored, directory-only, **,
# nested files) honoured by add, status, checkout and the search for
# .stage files; dv check-ignore and its bad input.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
mkdir -p data/sub data/tmp data/deep/a/b
echo a >data/a.csv
echo b >data/b.log
echo c >data/sub/c.log
echo k >data/sub/keep.log
echo t >data/tmp/t
echo n >data/deep/a/b/n.bin
echo s >data/sub/secret.txt
printf '# logs are noise\n*.log\n!keep.log\ndata/tmp/\n**/b/*.bin\n' >.dvignore
printf 'secret.txt\n' >data/sub/.dvignore
cd ..

test_case 'dv add of a directory leaves out what .dvignore names' '
	cd repo && dv add -q data && grep -x "files = 3" data.stage &&
	dv add -q data && grep -x "files = 3" data.stage
'

test_case 'changes to ignored files are not changes; others are' '
	cd repo && dv status >st && grep -x "Data and pipelines are up to date." st &&
	echo more >>data/b.log && echo more >>data/tmp/t && echo more >>data/sub/secret.txt &&
	dv status >st && grep -x "Data and pipelines are up to date." st &&
	echo more >>data/a.csv && dv status >st && grep -F "data/a.csv" st && ! grep -F "b.log" st &&
	dv add -q data
'

test_case 'checkout leaves ignored files alone' '
	cd repo && rm data/a.csv && dv checkout -q && test -f data/a.csv &&
	test -f data/b.log && test -f data/tmp/t && test -f data/sub/secret.txt
'

test_case 'dv add refuses an ignored path, naming the rule' '
	cd repo &&
	expect_error 1 "cannot add '"'"'data/b.log'"'"': it is ignored by '"'"'.dvignore'"'"' line 2 ('"'"'*.log'"'"')" dv add data/b.log &&
	expect_error 1 "ignored by '"'"'data/sub/.dvignore'"'"' line 1" dv add data/sub/secret.txt &&
	test ! -e data/b.log.stage
'

test_case 'dv check-ignore prints the ignored paths, -d the rule' '
	cd repo && dv check-ignore data/b.log data/a.csv data/tmp/t data/deep/a/b/n.bin data/sub/keep.log >out &&
	printf "data/b.log\ndata/tmp/t\ndata/deep/a/b/n.bin\n" >want && test_cmp want out &&
	dv check-ignore -d -n data/sub/keep.log data/a.csv data/sub/secret.txt data/tmp >out &&
	printf ".dvignore:3:!keep.log\tdata/sub/keep.log\n::\tdata/a.csv\ndata/sub/.dvignore:1:secret.txt\tdata/sub/secret.txt\n.dvignore:4:data/tmp/\tdata/tmp\n" >want &&
	test_cmp want out &&
	cd data && dv check-ignore b.log >out && echo b.log >want && test_cmp want out
'

test_case 'check-ignore: nothing ignored exits 1; bad input' '
	cd repo && expect_code 1 dv check-ignore data/a.csv &&
	expect_code 2 dv check-ignore &&
	expect_code 2 dv check-ignore -n data/a.csv &&
	expect_error 2 "outside" dv check-ignore ../elsewhere
'

test_case 'a .dvignore hides .stage files, as in DVC' '
	cd repo && mkdir -p vendored && printf "[out]\npath = x\n" >vendored/x.stage &&
	dv status >st && grep -F "vendored/x.stage" st &&
	echo vendored/ >>.dvignore && dv status >st && ! grep -F "vendored" st
'

test_done
