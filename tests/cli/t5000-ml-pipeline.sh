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
	cp "$DV_SOURCE_DIR"/contrib/example/*.ini "$DV_SOURCE_DIR"/contrib/example/*.stage . &&
	sed -i "s/^rows = .*/rows = 3000/" params.ini params-topics.ini &&
	git add -A && git commit -q -m example &&
	dv stage list >stages && test "$(wc -l <stages)" -ge 9
'

test_case 'the first repro runs every stage in dependency order' '
	cd ex && dv repro >log 2>&1 &&
	test "$(ran log)" = "build data prepare topics_data topics_prepare topics_train topics_evaluate train evaluate" &&
	test -x bin/dv-train && test -f model.bin &&
	python3 -c "import json; m=json.load(open(\"metrics.json\")); assert m[\"r2\"] > 0.5, m"
'

test_case 'the example draws its training curves, predictions and confusion matrix' '
	cd ex && dv plots show --json >plots.json &&
	python3 - <<-EOF
	import json
	plots = {p["source"]: p for p in json.load(open("plots.json"))["plots"]}
	assert sorted(plots) == ["plots.csv", "topics_classes.csv", "topics_confusion.csv",
	                         "topics_train_log.csv", "train_log.csv"], sorted(plots)
	curve = plots["topics_train_log.csv"]
	assert curve["template"] == "linear" and curve["x"] == "epoch", curve
	loss = curve["series"][0]["y"]
	assert len(loss) == 15 and loss[-1] < loss[0], loss   # it learns
	assert len(plots["train_log.csv"]["series"][0]["y"]) == 1  # ridge: one exact step
	scatter = plots["plots.csv"]
	rows = len(open("plots.csv").readlines()) - 1
	assert scatter["template"] == "scatter" and len(scatter["series"][0]["x"]) == rows > 100, rows
	cm = plots["topics_confusion.csv"]["matrices"][0]
	tested = json.load(open("topics_metrics.json"))["rows"]
	assert len(cm["rows"]) == 6 and sum(map(sum, cm["cells"])) == tested, (cm, tested)
	bars = plots["topics_classes.csv"]
	assert bars["template"] == "bar" and [s["label"] for s in bars["series"]] == ["precision", "recall", "f1"]
	EOF
	dv plots show -o page >out && assert_contains out "page/index.html" &&
	test -s page/index.html && test -s page/topics_confusion.svg && test -s page/train_log.svg
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

test_case 'an edit to the training code reruns build, both trainings, and the evaluation whose model changed' '
	cd ex && sed -i "s/params.lambda) < 0/params.lambda * 10) < 0/" ml/dv-train.c &&
	dv repro >log 2>&1 && test "$(ran log)" = "build topics_train train evaluate" &&
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
