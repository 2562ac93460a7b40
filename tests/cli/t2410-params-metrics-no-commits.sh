#!/bin/sh
# dv params diff and dv metrics diff before the first commit: HEAD reads
# as empty, so everything in the work tree is new (as DVC shows it); a
# revision that does not exist is one error line naming it.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

git init -q repo
cd repo
"$DV" init -q
printf '[train]\nlambda = 0.1\n' >params.ini
echo '{"acc": 0.5}' >metrics.json
"$DV" stage add -q -n train -p train.lambda -m metrics.json "true"
cd ..

test_case 'params diff with no commits shows every param as new' '
	cd repo && dv params diff >out &&
	grep -E "^Path +Param +HEAD +workspace$" out &&
	grep -E "^params.ini +train.lambda +- +0.1$" out &&
	test "$(wc -l <out)" = 2
'

test_case 'metrics diff with no commits shows every metric as new' '
	cd repo && dv metrics diff >out &&
	grep -E "^Path +Metric +HEAD +workspace +Change$" out &&
	grep -E "^metrics.json +acc +- +0.5 +-$" out &&
	dv metrics diff HEAD workspace >explicit && test_cmp out explicit
'

test_case '--json with no commits: the old side is null' '
	cd repo &&
	dv params diff --json >p.json && dv metrics diff --json >m.json &&
	python3 -c "
import json
p = json.load(open(\"p.json\"))[\"params.ini\"][\"train.lambda\"]
assert p == {\"old\": None, \"new\": 0.1}, p
m = json.load(open(\"m.json\"))[\"metrics.json\"][\"acc\"]
assert m == {\"old\": None, \"new\": 0.5, \"diff\": None}, m
"
'

test_case 'HEAD against HEAD with no commits is no difference' '
	cd repo && dv params diff HEAD HEAD >out && test ! -s out &&
	dv metrics diff HEAD HEAD >out && test ! -s out
'

test_case 'a revision that does not exist is one error line naming it' '
	cd repo &&
	expect_error 1 "unknown git revision '"'"'nope'"'"'" dv params diff nope &&
	test "$(wc -l <"$TEST_ROOT/stderr")" = 1 &&
	expect_error 1 "unknown git revision '"'"'HEAD~1'"'"'" dv metrics diff HEAD~1 &&
	expect_error 1 "no commits yet" dv metrics diff HEAD nope &&
	test "$(wc -l <"$TEST_ROOT/stderr")" = 1
'

test_case 'after the first commit a missing revision is still named' '
	cd repo && git add -A && git commit -q -m first &&
	dv params diff >out && test ! -s out &&
	expect_error 1 "unknown git revision '"'"'nope'"'"'" dv params diff HEAD nope &&
	! grep -q "no commits" "$TEST_ROOT/stderr" &&
	expect_error 1 "unknown git revision '"'"'nope'"'"'" dv metrics diff nope workspace
'

test_done
