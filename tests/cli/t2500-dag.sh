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

test_case 'the text drawing lists each stage once with what it takes from' '
	cd repo && dv dag >out &&
	cat >expect <<-\EOT &&
	other
	raw.csv.stage
	prepare    <- raw.csv.stage
	featurize  <- prepare
	train      <- featurize
	evaluate   <- featurize, train
	EOT
	test_cmp expect out
'

test_case 'a diamond draws every stage exactly once, every edge shown' '
	git init -q diamond && cd diamond && dv init -q &&
	dv stage add -q -n a -o a.out "true" &&
	dv stage add -q -n b -d a.out -o b.out "true" &&
	dv stage add -q -n c -d a.out -o c.out "true" &&
	dv stage add -q -n d -d b.out -d c.out -o d.out "true" &&
	dv stage add -q -n e -d d.out -o e.out "true" &&
	dv stage add -q -n f -d e.out -o f.out "true" &&
	dv dag >out && cat out &&
	for st in a b c d e f; do
		test "$(grep -c "^$st\>" out)" = 1 || exit 1
	done &&
	test "$(wc -l <out)" = 6 &&
	grep -Eq "^a$" out && grep -Eq "^b +<- a$" out && grep -Eq "^c +<- a$" out &&
	grep -Eq "^d +<- b, c$" out && grep -Eq "^e +<- d$" out && grep -Eq "^f +<- e$" out &&
	test "$(grep -n "^d" out | cut -d: -f1)" -gt "$(grep -n "^c" out | cut -d: -f1)" &&
	dv dag f >all && test_cmp out all &&
	dv dag b >up && printf "a\nb  <- a\n" >expect && test_cmp expect up &&
	dv dag --dot >dot && test "$(grep -c -- "->" dot)" = 6
'

test_case 'a target draws it and what it needs' '
	cd repo && dv dag train >out &&
	cat >expect <<-\EOT &&
	raw.csv.stage
	prepare    <- raw.csv.stage
	featurize  <- prepare
	train      <- featurize
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
