#!/bin/sh
# dv params diff and dv metrics show/diff across git revisions and the
# work tree, text and --json.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
printf '[train]\nlambda = 0.1\nmodel = ridge\n[prepare]\nseed = 1\n' >params.ini
"$DV" stage add -q -n train -p train.lambda -o model.txt -m metrics.json \
	"echo \${train.lambda} >model.txt; echo '{\"rmse\": 0.5, \"train\": {\"loss\": 2, \"epochs\": 10}, \"name\": \"a\"}' >metrics.json"
"$DV" repro -q
git add params.ini metrics.json && git commit -q -m first
cd ..

test_case 'params diff shows nothing when nothing changed' '
	cd repo && dv params diff >out && test ! -s out
'

test_case 'params diff against HEAD shows a changed value' '
	cd repo &&
	sed -i "s/lambda = 0.1/lambda = 0.3/" params.ini &&
	dv params diff >out &&
	grep -E "^Path +Param +HEAD +workspace$" out &&
	grep -E "^params.ini +train.lambda +0.1 +0.3$" out &&
	! grep -q seed out &&
	dv params diff --all >all && grep -E "^params.ini +prepare.seed +1 +1$" all
'

test_case 'metrics show prints flattened keys of the work tree' '
	cd repo &&
	dv metrics show >out &&
	grep -E "^metrics.json +rmse +0.5$" out &&
	grep -E "^metrics.json +train.loss +2$" out &&
	grep -E "^metrics.json +name +a$" out
'

test_case 'second commit; diffs between two revisions with numeric deltas' '
	cd repo &&
	dv stage add -q -f -n train -p train.lambda -o model.txt -m metrics.json \
		"echo \${train.lambda} >model.txt; echo '"'"'{\"rmse\": 0.25, \"train\": {\"loss\": 1.5, \"epochs\": 10}, \"name\": \"b\", \"new\": 1}'"'"' >metrics.json" &&
	dv repro -q && git add -A && git commit -q -m second &&
	dv metrics diff HEAD~1 HEAD >out &&
	grep -E "^Path +Metric +HEAD~1 +HEAD +Change$" out &&
	grep -E "^metrics.json +rmse +0.5 +0.25 +-0.25$" out &&
	grep -E "^metrics.json +train.loss +2 +1.5 +-0.5$" out &&
	grep -E "^metrics.json +name +a +b +-$" out &&
	grep -E "^metrics.json +new +- +1 +-$" out &&
	! grep -q epochs out &&
	dv params diff HEAD~1 HEAD >p && grep -E "^params.ini +train.lambda +0.1 +0.3$" p
'

test_case '--json outputs for show and both diffs' '
	cd repo &&
	dv metrics diff HEAD~1 --json >d.json &&
	dv params diff HEAD~1 --json >p.json &&
	dv metrics show --json >s.json &&
	python3 -c "
import json
d = json.load(open(\"d.json\"))[\"metrics.json\"]
assert d[\"rmse\"] == {\"old\": 0.5, \"new\": 0.25, \"diff\": -0.25}, d
assert d[\"name\"][\"diff\"] is None and d[\"new\"][\"old\"] is None, d
p = json.load(open(\"p.json\"))[\"params.ini\"]
assert p[\"train.lambda\"][\"old\"] == 0.1 and p[\"train.lambda\"][\"new\"] == 0.3, p
s = json.load(open(\"s.json\"))[\"metrics.json\"]
assert s[\"train.epochs\"] == 10 and s[\"name\"] == \"b\", s
"
'

test_case 'metrics show --all-commits lists each commit' '
	cd repo &&
	dv metrics show --all-commits >out &&
	grep -E "rmse +0.25$" out && grep -E "rmse +0.5$" out &&
	dv metrics show -A --json >a.json &&
	python3 -c "import json; d=json.load(open(\"a.json\")); assert len(d) >= 2, d"
'

test_case 'a cached metrics out is read from the cache at old revisions' '
	cd repo &&
	dv stage add -q -n cached -o cm.json "echo {\\\"x\\\": 1} >cm.json" &&
	sed -i "s/^path = cm.json/path = cm.json\nmetric = true/" cached.stage &&
	dv repro -q cached && git add -A && git commit -q -m third &&
	rm -f cm.json &&
	dv metrics diff HEAD HEAD --all >out && grep -E "^cm.json +x +1 +1 +0$" out
'

test_case 'a broken metrics file is a warning naming it; the rest still shows' '
	cd repo && dv checkout -q &&
	echo "{ not json" >metrics.json &&
	dv metrics show >out 2>err &&
	grep -q "warning: cannot read metrics '"'"'metrics.json'"'"' line 1" err &&
	grep -E "^cm.json +x +1$" out
'

test_case 'usage errors' '
	cd repo &&
	expect_error 2 "subcommand" dv params &&
	expect_error 2 "subcommand" dv metrics frob &&
	expect_error 2 "at most two" dv metrics diff a b c &&
	expect_error 1 "unknown git revision" dv metrics diff no-such-rev
'

test_case 'params diff and metrics diff read their arguments alike' '
	cd repo &&
	for cmd in params metrics; do
		expect_error 2 "'"'"'dv $cmd diff'"'"' compares at most two revisions" dv $cmd diff a b c &&
		expect_error 2 "--all-commits is for '"'"'dv metrics show'"'"'" dv $cmd diff --all-commits &&
		expect_error 1 "unknown git revision '"'"'no-such-rev'"'"'" dv $cmd diff HEAD no-such-rev &&
		dv $cmd diff -h | grep -q "^usage: dv $cmd" &&
		dv $cmd diff --all --json HEAD~1 HEAD >$cmd.json &&
		python3 -c "import json; assert json.load(open(\"$cmd.json\"))" || exit 1
	done &&
	expect_error 2 "--all is for '"'"'dv metrics diff'"'"'" dv metrics show --all &&
	expect_error 2 "takes no revisions" dv metrics show HEAD
'

test_done
