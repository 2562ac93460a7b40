#!/bin/sh
# The worktrees experiments run in: kept in a pool and reset for the next
# experiment (nothing one experiment made reaches the next), made anew
# when half made; Ctrl-C (SIGINT to the process group, as a terminal
# sends it) and kill -9 leave no ref, entry or worktree half made.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

RUNS=$TRASH/runs.log
new_repo repo
cd repo
printf '[p]\nx = 1\nslow = 0\n' >params.ini
echo old >in.txt
"$DV" add -q in.txt
# junk.txt is git-ignored, stray.txt untracked: a worktree that still held
# either from an earlier experiment would fail the stage.
echo junk.txt >>.gitignore
"$DV" stage add -q -n use -d in.txt -p p.x,p.slow -o out.txt \
	"echo \${p.x} >>$RUNS; { test ! -e junk.txt && test ! -e stray.txt; } || exit 1; echo j >junk.txt; echo s >stray.txt; sleep \${p.slow}; cat in.txt >out.txt; echo \${p.x} >>out.txt"
"$DV" repro -q
rm -f junk.txt stray.txt "$RUNS"
git add -A && git commit -q -m pipeline
cd ..

nexps() { git for-each-ref refs/exps | wc -l; }
# descendants PID: every process below PID
descendants() { for c in $(ps -o pid= --ppid "$1"); do echo "$c"; descendants "$c"; done; }
# in_group CMD...: run CMD as the leader of a process group of its own, as
# a terminal's shell runs a foreground command; its pgid goes to $TRASH/pg
# (setsid forks when the caller leads a group already; -w waits for it).
in_group() { rm -f "$TRASH/pg"; setsid -w sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$TRASH/pg" "$@"; }
pgid() { i=0; while [ ! -s "$TRASH/pg" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; cat "$TRASH/pg"; }
# wait_runs N: until N stages have started (30 s at most: a loaded
# machine makes worktrees slowly; a passing run waits no longer for it)
wait_runs() {
	i=0
	while [ "$(cat "$RUNS" 2>/dev/null | wc -l)" -lt "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	test "$(cat "$RUNS" 2>/dev/null | wc -l)" -ge "$1"
}
# why MSG: a failed assertion of a Ctrl-C case says what it expected and
# shows what dv printed (in ./out), the stages started and the processes
# left; then the sweep's processes go, so nothing leaks into the next case
why() {
	echo "$*" >&2
	echo "--- dv exp run printed:" >&2 && cat "$TRASH/repo/out" >&2 2>/dev/null
	echo "--- stages started (p.x of each):" >&2 && cat "$RUNS" >&2 2>/dev/null
	echo "--- processes still there:" >&2 && pgrep -af "^sleep 4[0-9]$" >&2
	if [ -s "$TRASH/pg" ]; then
		g=$(cat "$TRASH/pg") && kill -9 $g $(descendants $g) 2>/dev/null
	fi
	return 1
}

test_case 'a kept worktree is reset for the next experiment: no ignored or untracked file of the last one' '
	cd repo && dv exp run -q -S p.x=2,3 -j 1 -n two && test "$(nexps)" = 2 &&
	! dv exp list | grep -q failed &&
	test -e .dv/tmp/exps/pool/0.ready && test ! -e .dv/tmp/exps/pool/1 &&
	grep -q "	in.txt\$" .dv/tmp/exps/pool/0.outs &&
	git show refs/exps/two-2:stray.txt >/dev/null && ! git show refs/exps/two-2:junk.txt 2>/dev/null &&
	test "$(git rev-parse HEAD)" = "$(git rev-parse refs/exps/two-1^)" && git diff --quiet HEAD &&
	cd .. && exp_no_leftovers repo
'

test_case 'a kept worktree follows a new base: its data is the new commit'"'"'s' '
	cd repo && echo new >in.txt && dv add -q in.txt && dv repro -q && rm -f junk.txt stray.txt &&
	git add -A && git commit -q -m "new data" &&
	dv exp run -q --temp -S p.x=4 -n after &&
	git show refs/exps/after:in.txt.stage | grep -q "$(sed -n "s/^hash = //p" in.txt.stage)" &&
	dv exp apply after >/dev/null && test "$(cat out.txt)" = "$(printf "new\n4")" &&
	git reset -q --hard && rm -f stray.txt && dv checkout -q -f
'

test_case 'a half-made or broken kept worktree is made anew' '
	cd repo && rm .dv/tmp/exps/pool/0.ready && echo leftover >.dv/tmp/exps/pool/0/junk.txt &&
	dv exp run -q --temp -S p.x=5 -n remade && ! dv exp list | grep -q failed &&
	test -e .dv/tmp/exps/pool/0.ready &&
	touch .git/worktrees/dv-exp-pool-0/index.lock &&
	dv exp run -q --temp -S p.x=6 -n relocked && ! dv exp list | grep -q failed &&
	test ! -e .git/worktrees/dv-exp-pool-0/index.lock &&
	cd .. && exp_no_leftovers repo
'

test_case 'the worktree is scratch: its files skip fsync, the shared run records do not; torn ones are reset' '
	cd repo &&
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -y -e trace=fsync,fdatasync -o ../fsyncs \
		"$DV" exp run -q --temp -S p.x=7 -n synced &&
	! dv exp list | grep -q failed &&
	! grep "exps/pool/0/" ../fsyncs && grep -q "/cache/runs/" ../fsyncs &&
	: a power cut leaves files of the kept worktree empty or cut: &&
	: >.dv/tmp/exps/pool/0/params.ini && head -c 10 use.stage >.dv/tmp/exps/pool/0/use.stage &&
	dv exp run -q --temp -S p.x=8 -n after-cut && ! dv exp list | grep -q failed &&
	git show refs/exps/after-cut:params.ini | grep -qx "x = 8" &&
	git show refs/exps/after-cut:use.stage | grep -q "^cmd" &&
	cd .. && exp_no_leftovers repo
'

test_case 'Ctrl-C of an experiment in the workspace: exit 130, no ref, the stage stopped, the lock free' '
	cd repo && rm -f $RUNS junk.txt stray.txt && n0=$(nexps)
	in_group "$DV" exp run -S p.x=7 -S p.slow=41 -n ws >out 2>&1 &
	pid=$!
	wait_runs 1 && sleep 0.2 && env kill -s INT -- -$(pgid) && expect_code 130 wait $pid &&
	assert_contains out "not recorded" && test "$(nexps)" = $n0 &&
	! git rev-parse -q --verify refs/exps/ws && ! pgrep -f "^sleep 41$" >/dev/null &&
	dv status >/dev/null && test -z "$(ls .dv/exps/running 2>/dev/null)" &&
	git reset -q --hard && rm -f junk.txt stray.txt && dv checkout -q -f
'

test_case 'Ctrl-C of a -j 2 sweep stops both experiments and leaves nothing half made' '
	cd repo && rm -f $RUNS && n0=$(nexps)
	in_group "$DV" exp run -S p.x=8,9,10 -S p.slow=42 -j 2 >out 2>&1 &
	pid=$!
	wait_runs 2 || why "the first two experiments did not start their stages within 30 s"
	sleep 0.2
	env kill -s INT -- -$(pgid)
	expect_code 130 wait $pid || why "dv exp run did not exit 130 after SIGINT"
	test "$(cat $RUNS | wc -l)" = 2 || why "a third experiment started after the two running ones were stopped"
	! pgrep -f "^sleep 42$" >/dev/null || why "a stage outlived dv: every stage must be stopped and reaped before it exits"
	test "$(nexps)" = $n0 || why "an interrupted experiment was recorded: $(git for-each-ref refs/exps)"
	test -z "$(ls .dv/exps/queue)" || why "entries left in the queue: $(ls .dv/exps/queue)"
	git diff --quiet HEAD || why "the workspace changed: $(git diff --stat HEAD)"
	cd .. && exp_no_leftovers repo || why "a half-made entry or worktree was left: $(ls -R repo/.dv/exps repo/.dv/tmp/exps)"
'

test_case 'kill -9 of a sweep and all its processes: the next run cleans up and runs' '
	cd repo && rm -f $RUNS && n0=$(nexps)
	in_group "$DV" exp run -q -S p.x=11,12 -S p.slow=43 -j 2 >out 2>&1 &
	pid=$!
	wait_runs 2 && sleep 0.2 && dvpid=$(pgid) && all="$dvpid $(descendants $dvpid)" && kill -9 $all &&
	expect_code 137 wait $pid &&
	test "$(ls .dv/exps/running | wc -l)" = 2 && test -z "$(ls .dv/tmp/exps/pool/*.outs 2>/dev/null)" &&
	rm -f $RUNS && dv exp run -q -S p.x=13,14 -j 2 &&
	test "$(nexps)" = $((n0 + 2)) && test "$(sort $RUNS | tr "\n" " ")" = "13 14 " &&
	! dv exp list | grep -q failed && test -z "$(ls .dv/exps/queue)" &&
	cd .. && exp_no_leftovers repo
'

test_done
