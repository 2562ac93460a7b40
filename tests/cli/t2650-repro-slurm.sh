#!/bin/sh
# dv repro --executor slurm on a real one-node Slurm cluster (munged,
# slurmctld, slurmd started by tests/servers/slurm.sh, stopped by pid):
# the same results as a local run, independent stages at the same time,
# early cutoff on the node, a failure cancelling its dependents, Ctrl-C
# cancelling the queue, a killed submitter's jobs collected by the rerun,
# and per-stage resources reaching the job.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

SLURM_DIR=$TEST_ROOT/slurm
mkdir -p "$SLURM_DIR"
# Work trees under $HIDDEN exist here but not on the node.
HIDDEN=$TRASH/hidden
env_line=$(SLURMD_HIDE=$HIDDEN sh "$DV_SOURCE_DIR/tests/servers/slurm.sh" start "$SLURM_DIR" 2>"$TEST_ROOT/slurm-start.log")
rc=$?
if [ $rc -eq 77 ]; then
	skip_all "Slurm cannot run here: $(tail -1 "$TEST_ROOT/slurm-start.log")"
fi
if [ $rc -ne 0 ]; then
	cat "$TEST_ROOT/slurm-start.log"
	echo "not ok - the Slurm cluster did not start"
	exit 1
fi
eval "$env_line"
export SLURM_CONF
test_on_exit 'cd / && sh "$DV_SOURCE_DIR/tests/servers/slurm.sh" stop "$SLURM_DIR"'

# dv_jobs: dv's jobs Slurm still has pending or running (a cancelled job
# may linger as COMPLETING while its processes are killed)
dv_jobs() { squeue -h -t PD,R -o "%i %j %T" | grep " dv:" || true; }

# diamond DIR: a -> (b, c) -> d; b and c log when they start and end
diamond() {
	git init -q "$1" && (
		cd "$1" && "$DV" init -q && git commit -q -m init &&
		printf "alpha\nbeta\n" >input.txt && git add input.txt &&
		"$DV" stage add -q -n a -d input.txt -o a.txt "head -1 input.txt >a.txt" &&
		"$DV" stage add -q -n b -d a.txt -o b.txt "date +%s.%N >>../b.times; sleep 2; cat a.txt a.txt >b.txt; date +%s.%N >>../b.times" &&
		"$DV" stage add -q -n c -d a.txt -o c.txt "date +%s.%N >>../c.times; sleep 2; cat a.txt a.txt a.txt >c.txt; date +%s.%N >>../c.times" &&
		"$DV" stage add -q -n d -d b.txt -d c.txt -o d.txt "cat b.txt c.txt >d.txt; echo ran >>../d.runs" &&
		git commit -q -m pipeline
	)
}

test_case 'setup: a diamond pipeline, run locally in one copy' '
	diamond local && cd local && dv repro -q && git commit -q -m ran
'

test_case '-n prints the sbatch commands, chained with afterok, and submits nothing' '
	diamond onslurm && cd onslurm &&
	dv repro --executor slurm -n >out && cat out &&
	test "$(grep -c "^> sbatch" out)" = 4 &&
	grep "job-name=dv:d" out | grep -q "dependency=afterok:<b>:<c>" &&
	test -z "$(dv_jobs)" && ! test -e a.txt
'

test_case 'the pipeline as Slurm jobs gives byte-identical outs and .stage files, staged in git' '
	cd onslurm &&
	rm -f ../b.times ../c.times &&
	dv repro --executor slurm >out 2>err; cat out err &&
	assert_contains out "queued as Slurm job" &&
	assert_contains out "Stage '\''d'\'' done" &&
	for f in a b c d; do
		cmp $f.txt ../local/$f.txt && cmp $f.stage ../local/$f.stage || exit 1
	done &&
	git diff --cached --name-only >staged && assert_contains staged d.stage && assert_contains staged .gitignore &&
	dv status --exit-code && test -z "$(dv_jobs)"
'

test_case 'the independent stages ran at the same time' '
	b0=$(sed -n 1p b.times) && b1=$(sed -n 2p b.times) &&
	c0=$(sed -n 1p c.times) && c1=$(sed -n 2p c.times) &&
	echo "b $b0-$b1 c $c0-$c1" &&
	awk -v b0=$b0 -v b1=$b1 -v c0=$c0 -v c1=$c1 "BEGIN { exit !(b0 < c1 && c0 < b1) }"
'

test_case 'early cutoff: an upstream whose out comes out byte-identical stops the chain on the node' '
	cd onslurm &&
	printf "alpha\ngamma\n" >input.txt &&
	rm -f ../d.runs ../b.times ../c.times &&
	dv repro --executor slurm >out 2>err; cat out err &&
	assert_contains out "Stage '\''a'\'' done" &&
	assert_contains out "Stage '\''b'\'' didn'\''t change" &&
	! test -e ../d.runs && ! test -e ../b.times &&
	dv status --exit-code
'

test_case 'a failing stage fails the run, names its log, and its dependents are cancelled' '
	cd onslurm &&
	dv stage add -q -n bad -d a.txt -o bad.txt "echo about to fail >&2; exit 3" &&
	dv stage add -q -n after -d bad.txt -o after.txt "touch after.txt" &&
	expect_code 1 dv repro --executor slurm -k >out 2>err; cat out err &&
	assert_contains err "bad" && assert_contains err "exited with status 3" &&
	assert_contains err ".dv/tmp/slurm/bad." &&
	grep -q "about to fail" .dv/tmp/slurm/bad.*.log &&
	assert_contains err "Stage '\''after'\'' not run" &&
	! test -e after.txt && test -z "$(dv_jobs)" &&
	dv remove -q bad.stage after.stage
'

test_case 'Ctrl-C cancels every job dv submitted' '
	cd onslurm &&
	dv stage add -q -n slow -d a.txt -o slow.txt "sleep 60; touch slow.txt" &&
	dv stage add -q -n later -d slow.txt -o later.txt "touch later.txt" || exit 1
	"$DV" repro --executor slurm >out 2>err &
	pid=$!
	i=0; until grep -q "Stage '\''slow'\'' running" out; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.2; done &&
	kill -INT $pid && set +e && wait $pid; code=$?; set -e &&
	cat out err && test $code = 130 &&
	i=0; while test -n "$(dv_jobs)"; do i=$((i+1)); [ $i -lt 50 ] || { dv_jobs; exit 1; }; sleep 0.2; done &&
	! test -e slow.txt
'

test_case 'a submitter killed with SIGKILL: the rerun waits for its jobs and runs no stage twice' '
	cd onslurm &&
	dv remove -q slow.stage later.stage &&
	dv stage add -q -n once -d a.txt -o once.txt "echo run >>../once.runs; sleep 3; touch once.txt" &&
	rm -f ../once.runs slow.txt || exit 1
	echo submitting
	"$DV" repro --executor slurm >out 2>err &
	pid=$!
	i=0; until grep -q "Stage '\''once'\'' running" out; do i=$((i+1)); [ $i -lt 100 ] || { cat out err; squeue; exit 1; }; sleep 0.2; done &&
	kill -9 $pid; wait $pid 2>/dev/null || true
	test -n "$(dv_jobs)" &&
	dv repro --executor slurm >out2 2>err2; cat out2 err2 &&
	test "$(wc -l <../once.runs)" = 1 &&
	test -e once.txt && dv status --exit-code &&
	git diff --cached --name-only | grep -q once.stage
'

test_case 'per-stage [slurm] resources and exec.slurm.* defaults reach the job' '
	cd onslurm &&
	dv stage add -q -n res -d a.txt -o res.txt "scontrol show job \$SLURM_JOB_ID >res.txt" &&
	printf "\n[slurm]\ntime = 7\nmem = 100M\nargs = --comment=dv-test-comment\n" >>res.stage &&
	dv config exec.slurm.cpus 2 &&
	dv repro --executor slurm res >out 2>err; cat out err res.txt &&
	grep -q "TimeLimit=00:07:00" res.txt &&
	grep -q "MinMemoryNode=100M" res.txt &&
	grep -q "Comment=dv-test-comment" res.txt &&
	grep -q "NumCPUs=2" res.txt &&
	grep -q "^time = 7" res.stage
'

test_case 'a node that cannot see the work tree: the stage fails saying so' '
	diamond hidden/repo && cd hidden/repo &&
	expect_code 1 dv repro --executor slurm a >out 2>err; cat out err &&
	assert_contains err "cannot see the work tree" &&
	assert_contains err "storage the nodes share" &&
	! test -e a.txt
'

test_case 'exec.executor = slurm in config is the default; --executor local overrides it' '
	cd onslurm &&
	dv config exec.executor slurm &&
	dv repro -f d >out && assert_contains out "queued as Slurm job" &&
	dv repro -f --executor local d >out && assert_not_contains out "Slurm" &&
	expect_error 2 "unknown executor" dv repro --executor pbs
'

test_case 'dv exp run --executor slurm: every experiment runs its stages as Slurm jobs' '
	git init -q exps && cd exps && dv init -q && printf "[p]\nx = 1\n" >params.ini &&
	printf "printf \"{\\\"v\\\": %%d}\\\\n\" \$((\$1 * \$1)) >m.json\n" >sq.sh && sh sq.sh 2 && grep -q "\"v\": 4" m.json &&
	dv stage add -q -n sq -p p.x -m m.json "sh sq.sh \${p.x}" &&
	git add -A && git commit -q -m sq &&
	dv exp run --executor slurm -S p.x=3,4 -j 2 >out 2>err; cat out err &&
	assert_contains out "queued as Slurm job" &&
	for n in $(dv exp list --names-only); do git show refs/exps/$n:m.json; done >all &&
	grep -q "\"v\": 9" all && grep -q "\"v\": 16" all && test -z "$(dv_jobs)"
'

test_done
