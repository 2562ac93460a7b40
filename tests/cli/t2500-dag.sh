#!/bin/sh
# dv dag: the text drawing, --dot, --mermaid, --json, targets, and the
# graph errors (cycle, duplicate outs) from .stage files edited by hand.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
echo raw >raw.csv && "$DV" add -q raw.csv
"$DV" stage add -q -n prepare -d raw.csv -o prepared "true"
"$DV" stage add -q -n featurize -d prepared/part -o features "true"
"$DV" stage add -q -n train -d features -o model.bin "true"
"$DV" stage add -q -n evaluate -d model.bin -d features -m metrics.json "true"
"$DV" stage add -q -n other -o other.txt "true"
cd ..

test_case 'the text drawing is a tree in pipeline order, repeats marked' '
	cd repo && dv dag >out &&
	cat >expect <<-\EOT &&
	other
	raw.csv.stage
	`-- prepare
	    `-- featurize
	        |-- train
	        |   `-- evaluate
	        `-- evaluate (*)
	(*) drawn above
	EOT
	test_cmp expect out
'

test_case 'a target draws it and what it needs' '
	cd repo && dv dag train >out &&
	cat >expect <<-\EOT &&
	raw.csv.stage
	`-- prepare
	    `-- featurize
	        `-- train
	EOT
	test_cmp expect out
'

test_case '--dot, --mermaid and --json list every edge' '
	cd repo &&
	dv dag --dot >dot &&
	assert_contains dot "strict digraph {" &&
	assert_contains dot "\"featurize\" -> \"evaluate\";" &&
	assert_contains dot "\"raw.csv.stage\" -> \"prepare\";" &&
	test "$(grep -c -- "->" dot)" = 5 &&
	dv dag --mermaid >mm &&
	assert_contains mm "flowchart TD" &&
	test "$(grep -c -- "-->" mm)" = 5 &&
	dv dag --json >j.json &&
	python3 -c "import json; d=json.load(open(\"j.json\")); assert len(d[\"nodes\"])==6 and len(d[\"edges\"])==5, d"
'

test_case 'a cycle made by editing a .stage is printed' '
	cd repo && cp prepare.stage prepare.bak &&
	printf "\n[dep]\npath = metrics.json\n" >>prepare.stage &&
	expect_error 1 "cycle in the stage graph: " dv dag &&
	grep -E "prepare.stage -> featurize.stage -> (train.stage -> )?evaluate.stage -> prepare.stage|evaluate.stage -> prepare.stage" "$TEST_ROOT/stderr" &&
	expect_error 1 "cycle in the stage graph" dv repro &&
	mv prepare.bak prepare.stage
'

test_case 'two stages with the same out are refused by dag and repro' '
	cd repo && cp other.stage other.bak &&
	sed -i "s/^path = other.txt/path = model.bin/" other.stage &&
	expect_error 1 "out '"'"'model.bin'"'"' is produced by two stages, '"'"'other.stage'"'"' and '"'"'train.stage'"'"'" dv dag &&
	expect_error 1 "produced by two stages" dv repro &&
	mv other.bak other.stage
'

test_case 'dag reads no data: it works with outs missing' '
	cd repo && rm -f raw.csv && dv dag >/dev/null
'

test_done
