#!/bin/sh
# dv repro: every staleness rule, early cutoff, failures, -s, --downstream,
# -f, --dry, frozen, persist, and status/commit/checkout on command stages.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
# Each cmd logs its name to runs.log (not an out), so tests can count runs.
cd repo
printf '[train]\nlambda = 0.1\nepochs = 3\n' >params.ini
echo hello >raw.txt
"$DV" stage add -q -n prep -d raw.txt -o prep.txt \
	"echo prep >>runs.log && tr a-z A-Z <raw.txt >prep.txt"
"$DV" stage add -q -n train -d prep.txt -p train.lambda -o model.txt \
	"echo train >>runs.log && cat prep.txt >model.txt && echo \${train.lambda} >>model.txt"
"$DV" stage add -q -n evaluate -d model.txt -m metrics.json \
	"echo evaluate >>runs.log && echo '{\"lines\": '\$(wc -l <model.txt)'}' >metrics.json"
cd ..

runs() { cat runs.log 2>/dev/null | tr '\n' ' '; }

test_case 'a stage never run runs, in dependency order' '
	cd repo &&
	dv repro >out &&
	test "$(runs)" = "prep train evaluate " &&
	test "$(cat prep.txt)" = HELLO &&
	test "$(tail -1 model.txt)" = 0.1 &&
	assert_contains metrics.json "\"lines\": 2" &&
	assert_contains out "Running stage '"'"'prep'"'"'"
'

test_case 'outs are hashed and cached, the .stage recorded and staged in git' '
	cd repo &&
	grep -q "^hash = xxh128:" train.stage &&
	assert_contains train.stage "value = 0.1" &&
	h=$(xxh128 model.txt) && assert_contains train.stage "hash = $h" &&
	test -f .dv/cache/files/xxh128/$(echo ${h#xxh128:} | cut -c1-2)/$(echo ${h#xxh128:} | cut -c3-) &&
	git check-ignore -q model.txt &&
	! git check-ignore -q metrics.json &&
	git diff --cached --name-only >staged &&
	assert_contains staged train.stage && assert_contains staged .gitignore &&
	dv status --exit-code
'

test_case 'an up-to-date pipeline runs nothing' '
	cd repo && rm runs.log &&
	dv repro >out && test "$(runs)" = "" &&
	assert_contains out "up to date"
'

test_case 'a modified dep reruns the stage and what depends on it' '
	cd repo && rm -f runs.log &&
	echo world >raw.txt &&
	dv status >st && assert_contains st "prep.stage:" && assert_contains st "raw.txt" &&
	dv repro && test "$(runs)" = "prep train evaluate "
'

test_case 'early cutoff: an upstream rerun with identical outs leaves downstream alone' '
	cd repo && rm -f runs.log &&
	echo WORLD >raw.txt &&
	dv repro >out && test "$(runs)" = "prep " &&
	assert_contains out "Stage '"'"'train'"'"' didn'"'"'t change"
'

test_case 'a changed param reruns; status names it' '
	cd repo && rm -f runs.log &&
	sed -i "s/^lambda = 0.1/lambda = 0.5/" params.ini &&
	dv status >st && assert_contains st "params.ini:train.lambda" &&
	dv repro && test "$(runs)" = "train evaluate " &&
	test "$(tail -1 model.txt)" = 0.5
'

test_case 'a param of another key changing does not make the stage stale' '
	cd repo && rm -f runs.log &&
	sed -i "s/^epochs = 3/epochs = 4/" params.ini &&
	dv repro && test "$(runs)" = ""
'

test_case 'a deleted param makes the stage stale and the run fails naming it' '
	cd repo && cp params.ini params.bak &&
	printf "[train]\nepochs = 4\n" >params.ini &&
	dv status >st && assert_contains st "deleted param" &&
	expect_error 1 "param '"'"'train.lambda'"'"' of '"'"'train.stage'"'"' is missing from '"'"'params.ini'"'"'" dv repro &&
	mv params.bak params.ini
'

test_case 'a changed cmd reruns the stage' '
	cd repo && rm -f runs.log &&
	dv stage add -q -f -n evaluate -d model.txt -m metrics.json \
		"echo evaluate >>runs.log && echo {\\\"lines\\\": 2, \\\"v\\\": 2} >metrics.json" &&
	dv status >st && assert_contains st "changed cmd" &&
	dv repro && test "$(runs)" = "evaluate " && assert_contains metrics.json "\"v\": 2"
'

test_case 'a modified out reruns the stage' '
	cd repo && rm -f runs.log &&
	rm -f model.txt && echo tampered >model.txt &&
	dv status >st && assert_contains st "modified out" &&
	dv repro --no-run-cache && test "$(runs)" = "train " &&
	test "$(tail -1 model.txt)" = 0.5
'

test_case 'a deleted out reruns with --no-run-cache' '
	cd repo && rm -f runs.log && rm prep.txt &&
	dv status >st && assert_contains st "deleted out" &&
	dv repro --no-run-cache && test "$(runs)" = "prep " && test -f prep.txt
'

test_case 'dv checkout restores a command stage out; dv commit records a hand edit' '
	cd repo && rm -f runs.log && rm model.txt &&
	dv checkout -q && test "$(tail -1 model.txt)" = 0.5 &&
	dv status --exit-code &&
	dv unprotect model.txt && echo 0.9 >>model.txt &&
	dv commit -q train.stage &&
	dv status train.stage >st && assert_contains st "up to date" &&
	dv repro && test "$(runs)" = "evaluate "
'

test_case 'always_changed runs every time' '
	cd repo && rm -f runs.log &&
	dv stage add -q -n stamp --always-changed -o stamp.txt "echo stamp >>runs.log; date +%N >stamp.txt" &&
	dv repro stamp && dv repro stamp && test "$(runs)" = "stamp stamp "
'

test_case 'a frozen stage never runs' '
	cd repo && rm -f runs.log &&
	sed -i "s/^frozen = false/frozen = true/" stamp.stage &&
	dv repro stamp >out && test "$(runs)" = "" && assert_contains out "frozen" &&
	dv status >st && assert_contains st "stamp.stage: (frozen)" &&
	sed -i "s/^frozen = true/frozen = false/" stamp.stage
'

test_case '-s runs only the target; a target runs what it needs' '
	cd repo && rm -f runs.log &&
	echo again >raw.txt &&
	dv repro -s train >out && test "$(runs)" = "" &&
	dv repro -s prep && test "$(runs)" = "prep " &&
	echo more >raw.txt && rm runs.log &&
	dv repro train && test "$(runs)" = "prep train "
'

test_case '--downstream runs the target and what depends on it' '
	cd repo && rm -f runs.log &&
	dv repro --downstream evaluate && test "$(runs)" = "evaluate " &&
	rm runs.log && dv repro -f --downstream train && test "$(runs)" = "train evaluate "
'

test_case '-f reruns up-to-date stages; --dry says what would run without running' '
	cd repo && dv repro -q stamp && rm -f runs.log &&
	dv repro -f prep && test "$(runs)" = "prep " &&
	rm runs.log && echo dry >raw.txt &&
	dv repro --dry >out && test "$(runs)" = "" &&
	assert_contains out "Would run stage '"'"'prep'"'"'" &&
	assert_contains out "dep modified: raw.txt" &&
	assert_contains out "Would run stage '"'"'train'"'"': upstream stage '"'"'prep'"'"' would run" &&
	git diff --quiet -- prep.stage 2>/dev/null || true &&
	dv status >st && assert_contains st "raw.txt"
'

test_case 'a failing command stops the run, names the stage, keeps its .stage' '
	cd repo && dv repro -q && rm -f runs.log &&
	dv stage add -q -n bad -d prep.txt -o bad.txt "echo bad >>runs.log; exit 3" &&
	dv stage add -q -n after -d bad.txt -o after.txt "echo after >>runs.log; touch after.txt" &&
	cp bad.stage bad.before &&
	expect_error 1 "stage '"'"'bad'"'"' failed: command exited with status 3" dv repro &&
	test "$(runs)" = "bad " && cmp bad.stage bad.before
'

test_case 'a command that cannot start fails with status 127' '
	cd repo &&
	dv stage add -q -f -n bad -d prep.txt -o bad.txt "./no-such-program" &&
	expect_error 1 "command exited with status 127 (command not found" dv repro bad
'

test_case 'an out the command did not write fails the stage' '
	cd repo &&
	dv stage add -q -f -n bad -d prep.txt -o bad.txt "true" &&
	expect_error 1 "out '"'"'bad.txt'"'"' of '"'"'bad.stage'"'"' does not exist" dv repro bad &&
	rm bad.stage after.stage bad.before
'

test_case 'a dep that does not exist and that no stage produces fails its stage only' '
	cd repo && rm -f runs.log &&
	dv stage add -q -n orphan -d nowhere.csv -o o.txt "echo orphan >>runs.log; touch o.txt" &&
	expect_error 1 "stage '"'"'orphan'"'"' cannot run: missing dep: '"'"'nowhere.csv'"'"' does not exist and no stage produces it" dv repro &&
	! grep -q orphan runs.log && rm orphan.stage
'

test_case 'persistent outs are not deleted before the run' '
	cd repo &&
	dv stage add -q -n grow --persist --always-changed -o grow.txt "echo x >>grow.txt" &&
	dv repro -q grow && dv repro -q grow &&
	test "$(wc -l <grow.txt)" = 2
'

test_case 'commands run in the stage directory; a dep inside a directory out orders stages' '
	cd repo && mkdir -p sub &&
	(cd sub && dv stage add -q -n mkdir -o parts "mkdir parts && echo a >parts/a && echo b >parts/b" &&
	 dv stage add -q -n usepart -d parts/b -o got.txt "cp parts/b got.txt && pwd >where.txt") &&
	dv repro usepart &&
	test "$(cat sub/got.txt)" = b &&
	test "$(cat sub/where.txt)" = "$PWD/sub" &&
	grep -q "^files = 2" sub/mkdir.stage
'

test_case 'a malformed .stage stops repro naming the file and line' '
	cd repo &&
	printf "[stage]\ncmd = true\n[out]\nhash = xxh128:00\n" >broken.stage &&
	expect_error 1 "broken.stage'"'"' line" dv repro &&
	rm broken.stage
'

test_case 'a command that changes its own dep leaves its stage stale; the stages after it see the change' '
	cd repo && mkdir -p selfdep && echo a >selfdep/a &&
	dv stage add -q -n selfmod -d selfdep -o selfout.txt "cat selfdep/* >selfout.txt; echo b >selfdep/b" &&
	dv stage add -q -n selfafter -d selfdep -d selfout.txt -o selfafter.txt "ls selfdep >selfafter.txt" &&
	dv repro -q selfafter &&
	test "$(cat selfout.txt)" = a &&
	test "$(cat selfafter.txt | tr "\n" " ")" = "a b " &&
	dv status >st.out &&
	assert_contains st.out "modified dep:    selfdep" &&
	assert_not_contains st.out selfafter.stage &&
	dv repro -q selfmod &&
	test "$(cat selfout.txt | tr "\n" " ")" = "a b " &&
	rm -rf selfdep selfmod.stage selfafter.stage selfout.txt selfafter.txt st.out
'

test_done
