#!/bin/sh
# How dv metrics and dv params print numbers: the shortest text that reads
# back as the same double, and changes rounded to the decimal places of
# their two values, so subtraction noise never shows.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
printf '[train]\nlambda = 0.10\nsteps = 1000.1\n' >params.ini
echo '{"acc": 100.70929661, "loss": 12.5, "big": 1000.1, "exact": 0.1, "n": 7}' >metrics.json
"$DV" stage add -q -n train -p train.lambda,train.steps -m metrics.json "true"
git add -A && git commit -q -m first
echo '{"acc": 100.85, "loss": 12.3, "big": 1000.2, "exact": 0.30000000000000004, "n": 7}' >metrics.json
cd ..

test_case 'a change is printed without binary noise' '
	cd repo && dv metrics diff >out &&
	grep -E "^metrics.json +acc +100.70929661 +100.85 +\+0.14070339$" out &&
	grep -E "^metrics.json +loss +12.5 +12.3 +-0.2$" out &&
	grep -E "^metrics.json +big +1000.1 +1000.2 +\+0.1$" out &&
	! grep -v exact out | grep -E "[0-9]{12}"
'

test_case 'a value is printed as the shortest text that reads back' '
	cd repo && dv metrics show >out &&
	grep -E "^metrics.json +exact +0.30000000000000004$" out &&
	grep -E "^metrics.json +acc +100.85$" out &&
	dv metrics diff >d && grep -E "^metrics.json +exact +0.1 +0.30000000000000004 +\+0.20000000000000004$" d
'

test_case '--json carries the same rounded change' '
	cd repo && dv metrics diff --json >d.json &&
	python3 -c "
import json
d = json.load(open(\"d.json\"))[\"metrics.json\"]
assert d[\"acc\"][\"diff\"] == 0.14070339, d
assert d[\"loss\"][\"diff\"] == -0.2, d
assert d[\"big\"][\"diff\"] == 0.1, d
"
'

test_case 'params diff prints values as the params file writes them' '
	cd repo &&
	printf "[train]\nlambda = 0.3\nsteps = 1000.2\n" >params.ini &&
	dv params diff >out &&
	grep -E "^params.ini +train.lambda +0.10 +0.3$" out &&
	grep -E "^params.ini +train.steps +1000.1 +1000.2$" out &&
	dv params diff --json >p.json &&
	python3 -c "
import json
p = json.load(open(\"p.json\"))[\"params.ini\"]
assert p[\"train.lambda\"] == {\"old\": 0.1, \"new\": 0.3}, p
assert p[\"train.steps\"] == {\"old\": 1000.1, \"new\": 1000.2}, p
"
'

test_done
