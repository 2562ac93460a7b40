#!/bin/sh
# The example ML pipeline (contrib/example + contrib/ml) under dv repro:
# the build is a stage, so code edits, params edits and nothing-changed
# each rerun exactly what they must.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# ran FILE: the names of the stages a repro log says it ran, one line.
ran() { sed -n "s/^Running stage '\(.*\)':$/\1/p" "$1" | tr '\n' ' ' | sed 's/ $//'; }

test_case 'set up the example in a fresh repository' '
	git init -q ex && cd ex && dv init -q &&
	mkdir ml &&
	cp "$DV_SOURCE_DIR"/contrib/ml/*.c "$DV_SOURCE_DIR"/contrib/ml/*.h "$DV_SOURCE_DIR"/contrib/ml/Makefile ml/ &&
	cp "$DV_SOURCE_DIR"/contrib/example/params.ini "$DV_SOURCE_DIR"/contrib/example/*.stage . &&
	sed -i "s/^rows = .*/rows = 3000/" params.ini &&
	git add -A && git commit -q -m example &&
	dv stage list >stages && test "$(wc -l <stages)" -ge 5
'

test_case 'the first repro runs every stage in dependency order' '
	cd ex && dv repro >log 2>&1 &&
	test "$(ran log)" = "build data prepare train evaluate" &&
	test -x bin/dv-train && test -f model.bin &&
	python3 -c "import json; m=json.load(open(\"metrics.json\")); assert m[\"r2\"] > 0.5, m"
'

test_case 'a second repro runs nothing' '
	cd ex && git add -A && git commit -q -m run &&
	dv repro >log 2>&1 && test -z "$(ran log)" &&
	dv status --exit-code
'

test_case 'a params edit reruns only train and evaluate' '
	cd ex && sed -i "s/^lambda = .*/lambda = 1000/" params.ini &&
	dv repro >log 2>&1 && test "$(ran log)" = "train evaluate" &&
	dv params diff >pd && assert_contains pd "train.lambda" &&
	dv metrics diff >md && assert_contains md "r2" &&
	git add -A && git commit -q -m lambda
'

test_case 'an edit to the training code reruns build, train and evaluate' '
	cd ex && sed -i "s/params.lambda) < 0/params.lambda * 10) < 0/" ml/dv-train.c &&
	dv repro >log 2>&1 && test "$(ran log)" = "build train evaluate" &&
	dv metrics diff >md && assert_contains md "rmse"
'

test_case 'checking out the older commit brings back the older model' '
	cd ex && git add -A && git commit -q -m code &&
	cp model.bin model.new &&
	git checkout -q HEAD~2 -- . && dv checkout -q &&
	! cmp -s model.bin model.new &&
	dv status --exit-code
'

test_done
