#!/bin/sh
# dv repro -j N: independent stages at once, prefixed output, -k, and
# Ctrl-C (signals reach the commands; every .stage stays old or new).
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

# now: a timestamp in nanoseconds
now() { date +%s%N; }

test_case '-j 2 runs two independent stages at the same time' '
	cd repo &&
	dv stage add -q -n left -o left.txt "date +%s%N >left.start; sleep 1; date +%s%N >left.end; echo L >left.txt" &&
	dv stage add -q -n right -o right.txt "date +%s%N >right.start; sleep 1; date +%s%N >right.end; echo R >right.txt" &&
	dv stage add -q -n join -d left.txt -d right.txt -o join.txt "cat left.txt right.txt >join.txt" &&
	dv repro -q -j 2 &&
	test "$(cat join.txt | tr -d "\n")" = LR &&
	# each started before the other ended: they overlapped
	test "$(cat left.start)" -lt "$(cat right.end)" &&
	test "$(cat right.start)" -lt "$(cat left.end)" &&
	dv status --exit-code
'

test_case 'with -j 1 they run one after the other' '
	cd repo &&
	dv repro -q -f -j 1 left right &&
	{ test "$(cat left.end)" -le "$(cat right.start)" || test "$(cat right.end)" -le "$(cat left.start)"; }
'

test_case 'with -j 2 every output line carries its stage name' '
	cd repo &&
	dv stage add -q -n talk --always-changed -o talk.txt "echo out-line; echo err-line >&2; printf partial; touch talk.txt" &&
	dv repro -j 2 talk >out 2>err &&
	grep -qx "\[talk\] out-line" out &&
	grep -qx "\[talk\] partial" out &&
	grep -qx "\[talk\] err-line" err
'

test_case 'without -k a failure stops the run and exits 1' '
	cd repo && rm -f ran.* &&
	dv stage add -q -n fails -o f.txt "exit 1" &&
	dv stage add -q -n fdown -d f.txt -o fd.txt "touch ran.fdown fd.txt" &&
	dv stage add -q -n zindep -o z.txt "sleep 0.3; touch ran.zindep z.txt" &&
	expect_error 1 "stage '"'"'fails'"'"' failed" dv repro -j 1 fails fdown zindep &&
	test ! -f ran.fdown && test ! -f ran.zindep
'

test_case '-k keeps running what does not depend on the failure' '
	cd repo && rm -f ran.* &&
	expect_error 1 "stage '"'"'fails'"'"' failed" dv repro -k -j 2 fails fdown zindep &&
	test ! -f ran.fdown && test -f ran.zindep &&
	grep -q "Stage '"'"'fdown'"'"' not run: an upstream stage failed" "$TEST_ROOT/stderr" &&
	grep -q "^hash" zindep.stage && ! grep -q "^hash" fails.stage &&
	rm fails.stage fdown.stage
'

test_case 'SIGINT stops the children, exits 130, and leaves every .stage old or new' '
	cd repo &&
	dv stage add -q -n quick -o quick.txt "echo q >quick.txt" &&
	dv stage add -q -n slow -o slow.txt "echo \$\$ >slow.pid; exec sleep 30" &&
	cp slow.stage slow.before &&
	{ "$DV" repro -j 2 quick slow >out 2>err & pid=$!; } &&
	i=0; while [ ! -s slow.pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	sleep 0.3 &&
	kill -INT $pid &&
	set +e; wait $pid; rc=$?; set -e &&
	test $rc -eq 130 &&
	! kill -0 "$(cat slow.pid)" 2>/dev/null &&
	cmp slow.stage slow.before &&
	grep -q "^hash" quick.stage &&
	grep -q "interrupted" err &&
	test -z "$(find . -name ".*.tmp-*" | head -1)"
'

test_case 'SIGTERM is forwarded the same way' '
	cd repo && rm -f slow.pid &&
	{ "$DV" repro slow >out 2>err & pid=$!; } &&
	i=0; while [ ! -s slow.pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	kill -TERM $pid &&
	set +e; wait $pid; rc=$?; set -e &&
	test $rc -eq 143 &&
	! kill -0 "$(cat slow.pid)" 2>/dev/null &&
	cmp slow.stage slow.before &&
	rm slow.stage
'

test_done
