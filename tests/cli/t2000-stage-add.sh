#!/bin/sh
# dv stage add: the .stage file it writes, every option, and the bad
# input it refuses before writing anything; dv stage list.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
printf '[prepare]\nseed = 42\n[train]\nlambda = 0.1\nepochs = 5\n' >repo/params.ini

test_case 'stage add writes NAME.stage with cmd, deps, params and outs, staged in git' '
	cd repo &&
	echo raw >raw.csv &&
	dv stage add -n prepare -d raw.csv -p prepare.seed -o data/prepared.csv \
		"cp raw.csv data/prepared.csv" &&
	test -f prepare.stage &&
	assert_contains prepare.stage "[stage]" &&
	assert_contains prepare.stage "cmd = cp raw.csv data/prepared.csv" &&
	assert_contains prepare.stage "path = raw.csv" &&
	assert_contains prepare.stage "file = params.ini" &&
	assert_contains prepare.stage "key = prepare.seed" &&
	assert_contains prepare.stage "path = data/prepared.csv" &&
	assert_not_contains prepare.stage "hash =" &&
	assert_not_contains prepare.stage "value =" &&
	git diff --cached --name-only >staged &&
	assert_contains staged prepare.stage
'

test_case 'options after the command belong to the command' '
	cd repo &&
	dv stage add -n lister ls -l -h raw.csv &&
	assert_contains lister.stage "cmd = ls -l -h raw.csv"
'

test_case '-O, -m, --plot, --persist and --always-changed set out flags' '
	cd repo &&
	dv stage add -n flags -d raw.csv -o model.bin -O report.txt -m metrics.json \
		--plot roc.csv --persist --always-changed --desc "all the flags" "true" &&
	assert_contains flags.stage "always_changed = true" &&
	assert_contains flags.stage "desc = all the flags" &&
	test "$(grep -c "^persist = true" flags.stage)" = 4 &&
	test "$(grep -c "^cache = false" flags.stage)" = 3 &&
	assert_contains flags.stage "metric = true" &&
	assert_contains flags.stage "plot = true"
'

test_case 'a cmd with a semicolon and quotes survives the round trip' '
	cd repo &&
	dv stage add -n semi -o semi.txt "echo \"a b\" >semi.txt ; echo c >>semi.txt" &&
	dv stage list --json >list.json &&
	python3 -c "import json; s=[x for x in json.load(open(\"list.json\")) if x[\"name\"]==\"semi\"][0]; \
		assert s[\"cmd\"] == \"echo \\\"a b\\\" >semi.txt ; echo c >>semi.txt\", s[\"cmd\"]"
'

test_case 'a stage in a subdirectory keeps paths relative to it' '
	cd repo && mkdir -p sub && cd sub &&
	dv stage add -n subst -d ../raw.csv -o out.txt "cat ../raw.csv >out.txt" &&
	test -f subst.stage &&
	assert_contains subst.stage "path = ../raw.csv" &&
	assert_contains subst.stage "path = out.txt" &&
	cd .. && dv stage list >list && grep -E "^subst +sub/subst.stage" list
'

test_case 'params from another file and ${...} in cmd' '
	cd repo &&
	printf "[a]\nb = 7\n" >other.ini &&
	dv stage add -n templ -p other.ini:a.b -o t.txt "echo \${train.lambda} \${a.b} \${HOME} >t.txt" &&
	assert_contains templ.stage "file = other.ini" &&
	assert_contains templ.stage "key = a.b" &&
	assert_contains templ.stage "key = train.lambda" &&
	assert_not_contains templ.stage "key = HOME"
'

test_case 'usage errors exit 2' '
	cd repo &&
	expect_error 2 "needs a stage name" dv stage add -o x true &&
	expect_error 2 "unknown option" dv stage add -n x --bogus true &&
	expect_error 2 "needs the command" dv stage add -n x -o x &&
	expect_error 2 "bad stage name" dv stage add -n "a/b" true &&
	expect_error 2 "subcommand" dv stage frob &&
	test ! -f x.stage
'

test_case 'outs outside the repository or absolute are refused' '
	cd repo &&
	expect_error 2 "is an absolute path" dv stage add -n abs -o "$PWD/x" true &&
	expect_error 2 "outside the repository" dv stage add -n out -o ../x true &&
	expect_error 2 "outside the repository" dv stage add -n dep -d ../../etc/passwd true &&
	test ! -f abs.stage && test ! -f out.stage && test ! -f dep.stage
'

test_case 'a missing param key or params file is refused' '
	cd repo &&
	expect_error 1 "param '"'"'train.nope'"'"' is not in '"'"'params.ini'"'"'" dv stage add -n p1 -p train.nope true &&
	expect_error 1 "params file '"'"'missing.ini'"'"' does not exist" dv stage add -n p2 -p missing.ini:a.b true &&
	expect_error 1 "cmd uses '"'"'\${x.y}'"'"'" dv stage add -n p3 "echo \${x.y}" &&
	test ! -f p1.stage && test ! -f p2.stage && test ! -f p3.stage
'

test_case 'names are unique in the repository; -f overwrites the same file' '
	cd repo &&
	expect_error 1 "stage name '"'"'subst'"'"' is already used by '"'"'sub/subst.stage'"'"'" \
		dv stage add -n subst -o other.txt true &&
	expect_error 1 "already exists; use -f" dv stage add -n lister true &&
	dv stage add -f -n lister ls -a &&
	assert_contains lister.stage "cmd = ls -a"
'

test_case 'two stages writing one out, or nested outs, are refused' '
	cd repo &&
	expect_error 1 "out '"'"'model.bin'"'"' is produced by two stages" dv stage add -n dup -o model.bin true &&
	expect_error 1 "is inside out '"'"'data/prepared.csv'"'"'" dv stage add -n nest -o data/prepared.csv/x true &&
	echo d >tracked.csv && dv add -q tracked.csv &&
	expect_error 1 "tracked.csv.stage" dv stage add -n clash -o tracked.csv true &&
	test ! -f dup.stage && test ! -f nest.stage && test ! -f clash.stage
'

test_case 'a cycle is refused and printed' '
	cd repo &&
	dv stage add -n c1 -d c3.out -o c1.out true &&
	dv stage add -n c2 -d c1.out -o c2.out true &&
	expect_error 1 "cycle in the stage graph" dv stage add -n c3 -d c2.out -o c3.out true &&
	grep -F "c1.stage -> c2.stage -> c3.stage" "$TEST_ROOT/stderr" ||
	grep -F "c3.stage -> c1.stage -> c2.stage" "$TEST_ROOT/stderr" ||
	grep -F "c2.stage -> c3.stage -> c1.stage" "$TEST_ROOT/stderr"
'

test_case 'a dep on a data-stage out is fine' '
	cd repo && dv stage add -n usetracked -d tracked.csv -o used.txt "cp tracked.csv used.txt"
'

test_case 'stage list shows command stages; --all adds data stages; --json' '
	cd repo &&
	dv stage list >list &&
	grep -E "^prepare +prepare.stage +Outputs data/prepared.csv$" list &&
	grep -E "^flags +flags.stage +all the flags$" list &&
	! grep -q tracked.csv.stage list &&
	dv stage list --all >all && grep -q "tracked.csv.stage" all &&
	dv stage list --json >list.json &&
	python3 -c "import json; d=json.load(open(\"list.json\")); p=[s for s in d if s[\"name\"]==\"prepare\"][0]; \
		assert p[\"deps\"]==[\"raw.csv\"] and p[\"outs\"]==[\"data/prepared.csv\"] and p[\"params\"]==[\"params.ini:prepare.seed\"], p"
'

test_case 'a malformed .stage names the file and line' '
	cd repo &&
	printf "[stage]\ncmd = true\nthis is not ini\n" >broken.stage &&
	expect_error 1 "broken.stage'"'"' line 3" dv stage list &&
	rm broken.stage
'

test_done
