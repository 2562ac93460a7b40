#!/bin/sh
# The run-cache: restoring the outs of a run with the same cmd, deps and
# params instead of running again.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
printf '[train]\nlambda = 1\n' >params.ini
echo data >in.txt
"$DV" stage add -q -n train -d in.txt -p train.lambda -o model -m metrics.json \
	"echo train >>runs.log; mkdir model; echo \${train.lambda} >model/w; cat in.txt >model/x; echo '{\"l\": \${train.lambda}}' >metrics.json"
cd ..

runs() { cat runs.log 2>/dev/null | tr '\n' ' '; }

test_case 'a first run saves a run-cache entry' '
	cd repo && dv repro -q && test "$(runs)" = "train " &&
	test -n "$(find .dv/cache/runs -type f | head -1)"
'

test_case 'going back to inputs that ran before restores the outs instead of running' '
	cd repo &&
	sed -i "s/lambda = 1/lambda = 2/" params.ini && dv repro -q &&
	test "$(cat model/w)" = 2 && rm runs.log &&
	sed -i "s/lambda = 2/lambda = 1/" params.ini &&
	dv repro >out &&
	assert_contains out "Stage '"'"'train'"'"' restored from the run-cache" &&
	test "$(runs)" = "" &&
	test "$(cat model/w)" = 1 && test "$(cat model/x)" = data &&
	assert_contains metrics.json "\"l\": 1" &&
	assert_contains train.stage "value = 1" &&
	dv status --exit-code
'

test_case 'a restored uncached out is a private writable file' '
	cd repo && test ! -L metrics.json && test -w metrics.json &&
	echo "{}" >metrics.json && dv status >st && assert_contains st "metrics.json"
'

test_case '--no-run-cache and -f run the command' '
	cd repo && rm -f runs.log &&
	dv repro --no-run-cache -q && test "$(runs)" = "train " &&
	dv repro -f -q && test "$(runs)" = "train train "
'

test_case 'an entry whose objects left the cache is not used' '
	cd repo && rm -f runs.log &&
	h=$(xxh128 metrics.json); hex=${h#xxh128:} &&
	sed -i "s/lambda = 1/lambda = 2/" params.ini &&
	dv repro -q && test "$(runs)" = "" &&
	rm -f .dv/cache/files/xxh128/$(echo $hex | cut -c1-2)/$(echo $hex | cut -c3-) &&
	sed -i "s/lambda = 2/lambda = 1/" params.ini &&
	dv repro -q && test "$(runs)" = "train "
'

test_case 'stages with persistent outs or always_changed are never run-cached' '
	cd repo && rm -f runs.log &&
	dv stage add -q -n pers --persist -d in.txt -o p.txt "echo pers >>runs.log; cat in.txt >>p.txt" &&
	dv repro -q pers && echo more >in.txt && dv repro -q pers && echo data >in.txt &&
	dv repro -q pers && test "$(runs)" = "pers pers pers " &&
	test "$(wc -l <p.txt)" = 3
'

test_case 'repro --pull fetches missing outs so nothing needs to run' '
	cd repo && rm -f runs.log &&
	dv repro -q train && dv remote add -d store "$TRASH/store" && dv push -q &&
	rm -rf .dv/cache model &&
	dv repro --pull train >out &&
	assert_contains out "Pull: fetched" &&
	test "$(runs)" = "" && test "$(cat model/w)" = 1 &&
	dv status --exit-code train
'

test_case 'repro --pull without a remote fails clearly' '
	cd repo && dv remote remove store &&
	expect_error 1 "remote" dv repro --pull train &&
	expect_error 2 "-r names the remote for --pull" dv repro -r store
'

test_done
