#!/bin/sh
# Params in YAML, JSON and INI by extension, compared by value; metrics in
# JSON or YAML; unsupported formats and malformed YAML named in the error.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
cat >params.yaml <<'YAML'
# training settings
train:
  lr: 0.010   # learning rate
  layers: [64, 32]
  opt:
    name: adam
seed: 42
YAML
printf '{\n  "prep": {"split": 0.2, "cols": ["a", "b"]}\n}\n' >params.json
cd ..

test_case 'params default to params.yaml when it exists' '
	cd repo &&
	dv stage add -q -n train -p train.lr,train.layers,train.opt -o model.txt -m metrics.yaml \
		"echo \${train.lr} \${train.layers} >model.txt; printf \"acc: 0.9\\nloss:\\n  val: 0.125\\n\" >metrics.yaml" &&
	grep -x "file = params.yaml" train.stage &&
	dv repro -q && grep -x "0.01 \[64, 32\]" model.txt &&
	grep -x "value = \[64, 32\]" train.stage &&
	dv status >out && assert_contains out "up to date"
'

test_case 'a JSON params file by FILE:KEY' '
	cd repo &&
	dv stage add -q -n prep -p params.json:prep.split,params.json:prep.cols -o split.txt \
		"echo \${prep.split} >split.txt" &&
	dv repro -q prep && grep -x 0.2 split.txt &&
	grep -xF "value = [\"a\", \"b\"]" prep.stage
'

test_case 'reformatting YAML and JSON without changing values keeps stages up to date' '
	cd repo &&
	cat >params.yaml <<YAML &&
seed: 42   # moved up
train:
  opt: {name: adam}
  layers:
    - 64
    - 32.0
  lr: 1.0e-2
YAML
	printf "{\"prep\": {\"cols\": [\"a\", \"b\"], \"split\": 0.20}}\n" >params.json &&
	dv status >out && assert_contains out "up to date" && ! grep -q changed out
'

test_case 'a changed value, list item or nested mapping makes the stage stale' '
	cd repo &&
	sed -i "s/lr: 1.0e-2/lr: 0.02/" params.yaml &&
	dv status >out && assert_contains out "params.yaml:train.lr" &&
	sed -i "s/lr: 0.02/lr: 0.01/; s/- 32.0/- 16/" params.yaml &&
	dv status >out && assert_contains out "params.yaml:train.layers" &&
	sed -i "s/- 16/- 32/; s/name: adam/name: sgd/" params.yaml &&
	dv status >out && assert_contains out "params.yaml:train.opt" &&
	! grep -q "train.lr" out
'

test_case 'params diff and metrics show read YAML' '
	cd repo && git add -A && git commit -q -m yaml &&
	sed -i "s/name: sgd/name: adam/" params.yaml && dv repro -q &&
	dv metrics show >out &&
	grep -E "^metrics.yaml +acc +0.9$" out && grep -E "^metrics.yaml +loss.val +0.125$" out &&
	sed -i "s/seed: 42/seed: 7/" params.yaml &&
	dv params diff >d && grep -E "^params.yaml +seed +42 +7$" d &&
	dv params diff --all >a && grep -E "^params.yaml +train.layers +\[64, 32\] +\[64, 32\]$" a &&
	grep -E "^params.json +prep.split +0.2 +0.2$" a && ! grep -E "train.opt " a
'

test_case 'an unsupported params format is named, never "not in file"' '
	cd repo && printf "[a]\nb = 1\n" >params.toml &&
	expect_error 2 "TOML params files are not supported" dv stage add -n t -p params.toml:a.b -o t.txt "true" &&
	! grep -q "not in" "$TEST_ROOT/stderr" && test ! -e t.stage
'

test_case 'an unsupported metrics format is named' '
	cd repo && printf "a,b\n1,2\n" >m.csv &&
	dv stage add -q -n csv -m m.csv "true" && dv commit -q csv &&
	dv metrics show >out 2>err &&
	grep -F "dv: warning: metrics file '"'"'m.csv'"'"': CSV metrics are not supported" err &&
	rm csv.stage
'

test_case 'malformed YAML: the error names the file and the line' '
	cd repo && cp params.yaml good.yaml &&
	printf "train:\n  lr: 0.01\n  layers: [64, 32\nseed: 1\n" >params.yaml &&
	expect_error 1 "params.yaml'"'"' line 4" dv status &&
	mv good.yaml params.yaml
'

test_case 'without params.yaml the default is params.ini' '
	new_repo ini && cd ini && printf "[train]\nlr = 0.5\n" >params.ini &&
	dv stage add -q -n t -p train.lr -o o.txt "echo \${train.lr} >o.txt" &&
	grep -x "file = params.ini" t.stage &&
	dv repro -q && grep -x 0.5 o.txt && git add -A && git commit -q -m ini &&
	sed -i "s/0.5/0.50/" params.ini && dv status >out && assert_contains out "up to date" &&
	dv params diff >d && test ! -s d
'

test_done
