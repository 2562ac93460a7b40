#!/bin/sh
# The experiment queue: dv exp run --queue stores, dv queue start runs in
# the background, and a runner killed with kill -9 loses no entry.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

RUNS=$TRASH/runs.log
new_repo repo
cd repo
printf '[train]\nlambda = 1\n' >params.ini
"$DV" stage add -q -n train -p train.lambda -m metrics.json \
	"echo \${train.lambda} >>$RUNS; test ! -e $TRASH/slow || sleep 1; echo '{\"r2\": '\${train.lambda}'}' >metrics.json"
"$DV" repro -q
git add -A && git commit -q -m pipeline
cd ..

nexps() { git -C repo for-each-ref refs/exps | wc -l; }
# wait_idle: until no runner runs (10 s at most)
wait_idle() {
	i=0
	while dv -C repo queue status | grep -q "runner: running" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	! dv -C repo queue status | grep -q "runner: running"
}

test_case '--queue stores experiments without running them' '
	cd repo && rm -f $RUNS && dv exp run --queue -S train.lambda=2,3,4 >out &&
	test "$(grep -c "^Queued experiment" out)" = 3 && test ! -e $RUNS &&
	dv queue status >st && test "$(grep -c "^queued" st)" = 3 &&
	assert_contains st "train.lambda=3" && assert_contains st "runner: not running" &&
	dv exp show --csv >show && test "$(grep -c ",queued," show)" = 3 &&
	test "$(git for-each-ref refs/exps | wc -l)" = 0
'

test_case 'queue remove takes an entry out' '
	cd repo && name=$(dv queue status | sed -n "s/^queued *\([^ ]*\).*lambda=4.*/\1/p") &&
	dv queue remove $name && test "$(dv queue status | grep -c "^queued")" = 2 &&
	expect_error 1 "no queued experiment" dv queue remove $name
'

test_case 'queue start runs the queue in the background, logs kept' '
	cd repo && dv queue start -j 2 >out && assert_contains out "Queue runner started" &&
	cd .. && wait_idle && cd repo &&
	test "$(git for-each-ref refs/exps | wc -l)" = 2 && test "$(sort $RUNS | tr "\n" " ")" = "2 3 " &&
	name=$(dv exp list --names-only | head -1) && dv queue logs $name >log &&
	assert_contains log "Experiment '"'"'$name'"'"'" &&
	dv queue status >st && test "$(grep -c "^done" st)" = 2 &&
	test -z "$(ls .dv/exps/queue)$(ls .dv/exps/running)"
'

test_case 'a runner killed with kill -9 loses no queued entry; a new runner finishes them' '
	cd repo && touch $TRASH/slow && rm -f $RUNS &&
	dv exp run -q --queue -S train.lambda=11,12,13 &&
	dv queue start -j 1 >/dev/null &&
	pid=$(dv queue status | sed -n "s/.*running (pid \([0-9]*\)).*/\1/p") && test -n "$pid" &&
	i=0; while [ ! -s $RUNS ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done &&
	kill -9 $pid &&
	i=0; while [ "$(ls .dv/exps/running)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done &&
	test "$(ls .dv/exps/queue | wc -l)" = 2 &&
	dv queue status >st && assert_contains st "runner: not running" &&
	dv queue start >/dev/null && cd .. && wait_idle && cd repo &&
	test "$(git for-each-ref refs/exps | wc -l)" = 5 &&
	test "$(sort $RUNS | tr "\n" " ")" = "11 12 13 " &&
	test -z "$(ls .dv/exps/queue)" && exp_no_leftovers . && rm $TRASH/slow
'

test_case 'an entry orphaned by a killed runner goes back to the queue' '
	cd repo && dv exp run -q --queue -S train.lambda=21 -n orphan &&
	mv .dv/exps/queue/orphan.json .dv/exps/running/ &&
	dv queue status >st && grep -q "^queued *orphan" st && test ! -e .dv/exps/running/orphan.json &&
	dv queue remove --all && test -z "$(ls .dv/exps/queue)"
'

test_case 'queue stop stops the runner after its running experiment' '
	cd repo && touch $TRASH/slow && rm -f $RUNS &&
	dv exp run -q --queue -S train.lambda=31,32,33 && dv queue start >/dev/null &&
	i=0; while [ ! -s $RUNS ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done &&
	dv queue stop >out && assert_contains out "stops once" && cd .. && wait_idle && cd repo &&
	test "$(wc -l <$RUNS)" = 1 && test "$(ls .dv/exps/queue | wc -l)" = 2 &&
	dv exp remove --queued && test -z "$(ls .dv/exps/queue)" && rm $TRASH/slow
'

test_done
