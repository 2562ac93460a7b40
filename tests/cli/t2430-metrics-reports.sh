#!/bin/sh
# What reports need from dv metrics and dv params: --md (a Markdown
# table), --precision N (decimal places), files as targets of metrics
# show, and --json keeping every digit the file holds.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
printf '[train]\nlambda = 0.10\nrate = 0.123456\n' >params.ini
echo '{"acc": 0.7243270189431705, "loss": 1.50, "n": 12, "tiny": 1e-7, "name": "a|b"}' >metrics.json
"$DV" stage add -q -n train -p train.lambda,train.rate -m metrics.json "true"
git add -A && git commit -q -m first
echo '{"acc": 0.7311, "loss": 1.25, "n": 12, "tiny": 2e-7, "name": "a|b"}' >metrics.json
printf '[train]\nlambda = 0.30\nrate = 0.5\n' >params.ini
cd ..

test_case '--json keeps every digit of the input' '
	cd repo && git show HEAD:metrics.json >first.json && dv metrics show --json first.json >j &&
	grep -qx "    \"acc\": 0.7243270189431705," j &&
	grep -qx "    \"loss\": 1.50," j && grep -qx "    \"tiny\": 1e-7" j &&
	python3 -c "import json; assert json.load(open(\"j\"))[\"first.json\"][\"n\"] == 12" &&
	dv params diff --json >p && grep -q "\"old\": 0.10," p
'

test_case '--md prints a Markdown table, | escaped' '
	cd repo && dv metrics show --md >md &&
	head -2 md >head && printf "| Path | Key | Value |\n|---|---|---|\n" >expect && test_cmp expect head &&
	grep -qxF "| metrics.json | name | a\\|b |" md &&
	dv metrics diff --md >d && grep -qxF "| Path | Metric | HEAD | workspace | Change |" d &&
	grep -qF "| metrics.json | acc | 0.7243270189431705 | 0.7311 | +0.00677298105682" d &&
	dv params diff --md >p && grep -qxF "| params.ini | train.lambda | 0.10 | 0.30 |" p
'

test_case '--precision N rounds tables to N decimal places' '
	cd repo && dv metrics diff --precision 3 >d &&
	grep -E "^metrics.json +acc +0.724 +0.731 +\+0.007$" d &&
	grep -E "^metrics.json +loss +1.5 +1.25 +-0.25$" d &&
	dv metrics show --precision 2 --md >s && grep -qxF "| metrics.json | acc | 0.73 |" s &&
	grep -qxF "| metrics.json | tiny | 0 |" s &&
	dv params diff --precision 2 >p && grep -E "^params.ini +train.rate +0.12 +0.5$" p &&
	expect_error 2 "--json keeps every digit" dv metrics show --json --precision 2 &&
	expect_error 2 "--precision takes" dv metrics show --precision x
'

test_case 'metrics show FILE: declared metrics and any other JSON file' '
	cd repo && echo "{\"auc\": 0.91}" >extra.json && mkdir -p sub &&
	(cd sub && dv metrics show ../extra.json ../metrics.json) >out &&
	grep -E "^extra.json +auc +0.91$" out && grep -E "^metrics.json +acc +0.7311$" out &&
	dv metrics show extra.json >out && ! grep -q "^metrics.json" out &&
	git add extra.json && git commit -q -m extra && echo "{\"auc\": 0.95}" >extra.json &&
	dv metrics show -A extra.json >all && grep -E "^extra.json +auc +0.91$" all &&
	expect_error 1 "cannot open" dv metrics show missing.json &&
	expect_error 2 "takes no revisions" dv metrics show HEAD
'

test_done
