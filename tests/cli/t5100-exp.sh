#!/bin/sh
# Experiments: dv exp run in the workspace and as sweeps in temporary
# worktrees, recorded as commits on refs/exps/; show, apply, branch,
# remove; failures, interrupts, and worktrees sharing the cache.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# Every stage appends its name to $RUNS, outside the worktrees, so what
# ran anywhere can be counted.
RUNS=$TRASH/runs.log
new_repo repo
cd repo
printf '# ridge settings\n[data]\nseed = 42\nsource = long-unchanged-value\n[train]\nlambda = 1 ; the penalty\nepochs = 3\n' >params.ini
echo data >in.txt
"$DV" add -q in.txt
"$DV" stage add -q -n prep -d in.txt -o prep.txt "echo prep >>$RUNS; cat in.txt >prep.txt"
"$DV" stage add -q -n train -d prep.txt -p train.lambda,train.epochs -o model.bin -m metrics.json \
	"echo train >>$RUNS && test \${train.lambda} != 13 && echo \${train.lambda}-\${train.epochs} >model.bin && echo '{\"r2\": '\${train.lambda}', \"e\": '\${train.epochs}'}' >metrics.json"
"$DV" repro -q
git add -A && git commit -q -m pipeline
cd ..

runs() { cat "$RUNS" 2>/dev/null | grep -c "^$1\$"; }
nexps() { git for-each-ref refs/exps | wc -l; }
no_leftovers() { exp_no_leftovers repo; }

test_case 'exp run in the workspace records a commit on refs/exps/NAME whose parent is HEAD' '
	cd repo && head=$(git rev-parse HEAD) && rm -f $RUNS &&
	dv exp run -S train.lambda=2 -n first -m "try 2" >out &&
	assert_contains out "Experiment '"'"'first'"'"' done" &&
	test "$(git rev-parse refs/exps/first^)" = "$head" &&
	test "$(git rev-parse HEAD)" = "$head" &&
	test "$(git branch --list | wc -l)" = 1 &&
	git show refs/exps/first:params.ini >p && assert_contains p "lambda = 2 ; the penalty" &&
	assert_contains p "# ridge settings" &&
	git show refs/exps/first:metrics.json | grep -q "\"r2\": 2" &&
	git log -1 --format=%s refs/exps/first | grep -qx "try 2" &&
	test "$(runs train)" = 1 && test "$(runs prep)" = 0 &&
	assert_contains params.ini "lambda = 2"
'

test_case 'the data an experiment made is in the cache' '
	cd repo && git show refs/exps/first:train.stage >st &&
	h=$(sed -n "/path = model.bin/,/^\$/p" st | sed -n "s/^hash = xxh128://p") && test -n "$h" &&
	test -f .dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)
'

test_case 'an unknown param key fails before anything runs, naming file and key' '
	cd repo && git reset -q --hard && dv checkout -q -f && rm -f $RUNS &&
	expect_error 1 "unknown param '"'"'train.lamda'"'"' in '"'"'params.ini'"'"'" dv exp run -S train.lamda=3 &&
	expect_error 1 "train.lamda" dv exp run -S train.lambda=4,5 -S train.lamda=1,2 &&
	expect_error 1 "'"'"'nope.ini'"'"' does not exist" dv exp run --temp -S nope.ini:a.b=1 &&
	test "$(nexps)" = 1 && test ! -e $RUNS && git diff --quiet
'

test_case 'a sweep over a grid runs every point in its own worktree, the workspace untouched' '
	cd repo && rm -f $RUNS && before=$(cat params.ini) &&
	dv exp run -S train.lambda=5,6 -S "train.epochs=range(1,4)" -j 2 >../out &&
	test "$(nexps)" = 7 &&
	test "$(runs train)" = 6 && test "$(runs prep)" = 0 &&
	test "$(cat params.ini)" = "$before" && git diff --quiet HEAD &&
	for l in 5 6; do for e in 1 2 3; do
		git for-each-ref --format="%(refname)" refs/exps | while read r; do git show $r:metrics.json; done |
			grep -q "\"r2\": $l, \"e\": $e}" || exit 1
	done; done &&
	cd .. && no_leftovers
'

test_case '--random N --seed S samples N distinct points of the grid' '
	cd repo && rm -f $RUNS && n0=$(git for-each-ref refs/exps | wc -l) &&
	dv exp run -q -S "train.lambda=choice(21,22,23)" -S train.epochs=7,8 --random 3 --seed 7 &&
	test "$(git for-each-ref refs/exps | wc -l)" = $((n0 + 3)) &&
	test "$(runs train)" = 3 &&
	git for-each-ref --format="%(refname)" refs/exps | while read r; do git show $r:metrics.json; done |
		grep -E "\"r2\": 2[123], \"e\": [78]}" >pts && test $(wc -l <pts) = 3 && test $(sort -u pts | wc -l) = 3
'

test_case 'a combination that ran before comes back from the run-cache' '
	cd repo && rm -f $RUNS &&
	dv exp run --temp -S train.lambda=5 -S train.epochs=2 -n again >out &&
	assert_contains out "restored from the run-cache" && test "$(runs train)" = 0 &&
	git show refs/exps/again:metrics.json | grep -q "\"r2\": 5, \"e\": 2}"
'

test_case 'a failing experiment is recorded as failed with its log, the sweep goes on' '
	cd repo && rm -f $RUNS &&
	expect_code 1 dv exp run -S train.lambda=12,13,14 -n bad >out 2>err &&
	assert_contains err "Experiment '"'"'bad-2'"'"' failed" &&
	git log -1 --format=%B refs/exps/bad-2 | grep -q "dv-exp-state: failed" &&
	git show refs/exps/bad-3:metrics.json | grep -q "\"r2\": 14" && test "$(runs train)" = 3 &&
	dv queue logs bad-2 >log && assert_contains log "failed" &&
	dv exp show --csv >show && grep -q "^bad-2,.*,failed," show && grep -q "^bad-3,.*,done," show &&
	cd .. && no_leftovers
'

test_case 'exp show: a row per commit and experiment, csv, json, sorting' '
	cd repo &&
	dv exp show --csv >csv && head -1 csv | grep -q "^Experiment,Created,State,.*train.lambda.*r2" &&
	grep -q "^workspace," csv && grep -q "^master,\|^main," csv && grep -q "^first,.*,done," csv &&
	dv exp show --json >j && jq -e "map(select(.name == \"first\"))[0].metrics[\"metrics.json\"].r2 == 2" j &&
	jq -e "map(select(.name == \"first\"))[0].params[\"params.ini\"][\"train.lambda\"] == 2" j &&
	dv exp show --csv --sort-by r2 --sort-order desc >s &&
	grep -E "^(bad|first|again|[a-z]+-[a-z]+)" s | head -1 | grep -q ",23\$\|,22\$\|,21\$" &&
	dv exp show --csv --sort-by r2 >a && grep -A1 "^main,\|^master," a | tail -1 | grep -q "^first," &&
	expect_error 1 "no param or metric" dv exp show --sort-by nosuch
'

test_case 'exp show fits the width by dropping unchanged columns first; --only-changed, --keep, --drop' '
	cd repo && dv exp show >wide && head -1 wide | grep -q "data.seed.*data.source.*train.lambda.*r2" &&
	COLUMNS=75 dv exp show >narrow 2>err && head -1 narrow >h &&
	assert_contains h train.lambda && assert_contains h r2 && assert_contains h train.epochs &&
	assert_not_contains h data.seed && assert_not_contains h data.source &&
	assert_contains err "2 columns hidden to fit" &&
	awk "length > 75 { exit 1 }" narrow &&
	dv exp show --csv --drop "r2" >d && assert_not_contains d ",r2" &&
	dv exp show --csv --only-changed >oc && assert_not_contains oc data.seed &&
	dv exp show --csv --only-changed --keep "seed" >k && assert_contains k data.seed
'

test_case 'exp show --md, --precision; -A adds the experiments of other branches' '
	cd repo && dv exp show --md >md && head -1 md | grep -q "^| Experiment *| Created" &&
	sed -n 2p md | grep -q "^|[-|: ]*|\$" && grep -q "^| first " md &&
	echo "{\"r2\": 0.123456, \"e\": 3}" >metrics.json && dv exp save -q -n prec && git checkout -q -- metrics.json &&
	dv exp show --csv --precision 2 >p2 && grep "^prec," p2 | grep -q ",0.12\$" &&
	dv exp show --csv >p5 && grep "^prec," p5 | grep -q ",0.12346\$" &&
	git checkout -q -b other && git commit -q --allow-empty -m other && dv exp save -q -n onother &&
	git checkout -q - && dv exp show --csv >cur && ! grep -q "^onother," cur &&
	dv exp show -A --csv >all && grep -q "^onother," all && grep -q "^first," all &&
	dv exp remove -q prec onother && git branch -q -D other
'

if command -v script >/dev/null; then
test_case 'on a terminal, exp show highlights the cells an experiment changed and fits 80 columns' '
	cd repo && COLUMNS= script -qec "\"$DV\" exp show -n 1" /dev/null | tr -d "\r" >tty &&
	grep "^  first " tty | grep -q "$(printf "\033")\[1;33m2$(printf "\033")\[0m" &&
	grep "^  first " tty | grep -v -q "$(printf "\033")\[1;33m3" &&
	sed "s/$(printf "\033")\[[0-9;]*m//g" tty | grep -v "^(" | awk "length > 80 { exit 1 }"
'
fi

test_case 'exp apply brings params, .stage files and data; refuses over changes unless -f' '
	cd repo && echo "# note" >>params.ini &&
	expect_error 1 "uncommitted changes" dv exp apply first &&
	dv exp apply -f first && assert_contains params.ini "lambda = 2" &&
	test "$(cat model.bin)" = 2-3 && grep -q "\"r2\": 2" metrics.json &&
	dv status --exit-code >/dev/null
'

test_case 'dv gc keeps the data of every experiment' '
	cd repo && git show refs/exps/again:train.stage >st &&
	h=$(sed -n "/path = model.bin/,/^\$/p" st | sed -n "s/^hash = xxh128://p") && test -n "$h" &&
	dv gc -w -f >/dev/null &&
	test -f .dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)
'

test_case 'exp branch makes a branch at the experiment; exp remove deletes refs' '
	cd repo && dv exp branch first from-first &&
	test "$(git rev-parse from-first)" = "$(git rev-parse refs/exps/first)" &&
	dv exp remove first bad-1 && ! git rev-parse -q --verify refs/exps/first &&
	expect_error 1 "no experiment '"'"'first'"'"'" dv exp remove first &&
	dv exp list --names-only >l && ! grep -qx first l
'

test_case 'exp save records the workspace; exp diff compares with the base' '
	cd repo && git checkout -q -- . && dv checkout -q -f &&
	sed -i "s/epochs = 3/epochs = 4/" params.ini && dv exp save -n saved &&
	git show refs/exps/saved:params.ini | grep -q "epochs = 4" &&
	dv exp diff saved >diff && assert_contains diff train.epochs && assert_contains diff 4 &&
	git checkout -q -- params.ini
'

test_case 'plots: metrics across the experiments of HEAD, diff of an experiment against its base' '
	cd repo && dv plots metrics --exp --json >pm &&
	jq -e ".plots[] | select(.title == \"r2\") | .x_categories | index(\"exps/saved\") != null" pm &&
	jq -e ".plots[] | select(.title == \"r2\") | .series[0].y | length > 3" pm &&
	dv exp run -q --temp -S train.lambda=3 -n forplot &&
	dv plots diff --exp forplot -o ../pd >/dev/null 2>&1 || true &&
	grep -q "exps/forplot" ../pd/index.html &&
	expect_error 1 "no experiment" dv plots diff --exp nosuch
'

test_case 'Ctrl-C stops a sweep and leaves no ref, worktree or entry behind' '
	cd repo && rm -f $RUNS && n0=$(git for-each-ref refs/exps | wc -l) &&
	dv stage add -q -f -n train -d prep.txt -p train.lambda,train.epochs -o model.bin -m metrics.json \
		"echo train >>$RUNS; sleep 31; echo x >model.bin; echo {} >metrics.json" &&
	git commit -q -am slow
	"$DV" exp run -S train.lambda=31,32,33 -j 2 >out 2>&1 &
	pid=$!
	i=0; while [ "$(runs train)" != 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
	test "$(runs train)" = 2 && kill -INT $pid && expect_code 130 wait $pid &&
	test "$(git for-each-ref refs/exps | wc -l)" = $n0 &&
	cd .. && no_leftovers && test -z "$(ls repo/.dv/exps/queue)" &&
	! pgrep -f "sleep 31" >/dev/null
'

test_case 'two sweeps started at once never collide' '
	cd repo && git reset -q --hard HEAD~1 && dv checkout -q -f && rm -f $RUNS &&
	n0=$(git for-each-ref refs/exps | wc -l)
	"$DV" exp run -q -S train.lambda=41,42,43 -j 2 >o1 2>&1 &
	p1=$!
	"$DV" exp run -q -S train.lambda=44,45,46 -j 2 >o2 2>&1 &
	p2=$!
	wait $p1 && wait $p2 &&
	test "$(git for-each-ref refs/exps | wc -l)" = $((n0 + 6)) && test "$(runs train)" = 6 &&
	cd .. && no_leftovers
'

test_case '-j 2 runs two experiments at once' '
	mkdir -p par && cd par && git init -q && dv init -q &&
	printf "[p]\nx = 1\n" >params.ini &&
	dv stage add -q -n meet -p p.x -O seen "touch $TRASH/started.\${p.x}; i=0; while [ \$(ls $TRASH/started.* | wc -l) -lt 2 ] && [ \$i -lt 100 ]; do sleep 0.05; i=\$((i+1)); done; ls $TRASH/started.* | wc -l >seen" &&
	git add -A && git commit -q -m meet &&
	dv exp run -q -S p.x=1,2 -j 2 &&
	for r in $(git for-each-ref --format="%(refname)" refs/exps); do test "$(git show $r:seen)" = 2 || exit 1; done
'

test_case 'a linked git worktree uses the main work tree cache' '
	cd repo && git worktree add -q ../linked HEAD && cd ../linked &&
	dv status >st && dv checkout -q && test "$(cat in.txt)" = data &&
	test ! -d .dv/cache && dv add -q -f in.txt &&
	cd ../repo && git worktree remove --force ../linked
'

test_done
