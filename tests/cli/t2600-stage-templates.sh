#!/bin/sh
# foreach and [matrix] stage templates: expansion to NAME@ITEM instances,
# ${item} substitution, state in NAME@ITEM.stage, glob / template /
# directory targets, repro -P, and the errors of bad templates.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
mkdir -p data pipe
echo us >data/us.txt
echo eu >data/eu.txt
printf 'train:\n  epochs: 3\n' >params.yaml
cat >prep.stage <<'STAGE'
[stage]
; one stage per region
foreach = us, eu
cmd = cat data/${item}.txt data/${item}.txt >out-${item}.txt

[dep]
path = data/${item}.txt

[out]
path = out-${item}.txt
STAGE
cat >pipe/train.stage <<'STAGE'
[matrix]
model = cnn, xgb
lr = [0.1, "0.01"]

[stage]
cmd = echo ${item.model} ${item.lr} ${train.epochs} >m-${item.model}-${item.lr}.txt

[dep]
path = ../out-us.txt

[param]
file = ../params.yaml
key = train.epochs

[out]
path = m-${item.model}-${item.lr}.txt
STAGE
git add -A && git commit -q -m templates
cd ..

test_case 'stage list, status and dag show one stage per item' '
	cd repo && dv stage list >out &&
	for s in prep@us prep@eu train@cnn-0.1 train@cnn-0.01 train@xgb-0.1 train@xgb-0.01; do
		grep -E "^$s " out || return 1
	done &&
	! grep -E "^(prep|train) " out &&
	grep -F "pipe/train@xgb-0.01.stage" out &&
	dv status >st && grep -c "never run" st | grep -x 6 &&
	dv dag >dag && grep -E "^train@cnn-0.1 +<- prep@us$" dag
'

test_case 'repro of one instance runs it and what it needs, and records its state' '
	cd repo && dv repro "train@xgb-0.1" >out &&
	grep -F "Running stage '"'"'prep@us'"'"'" out &&
	grep -F "Running stage '"'"'train@xgb-0.1'"'"'" out &&
	! grep -F "train@cnn" out && ! grep -F "prep@eu" out &&
	grep -x "xgb 0.1 3" pipe/m-xgb-0.1.txt &&
	grep -x "cmd = echo xgb 0.1 \${train.epochs} >m-xgb-0.1.txt" "pipe/train@xgb-0.1.stage" &&
	grep -x "path = out-us.txt" "prep@us.stage" &&
	dv status "train@xgb-0.1" >s && assert_contains s "up to date"
'

test_case 'a glob target runs the instances it matches' '
	cd repo && dv repro "train@cnn-*" >out &&
	grep -F "Running stage '"'"'train@cnn-0.1'"'"'" out &&
	grep -F "Running stage '"'"'train@cnn-0.01'"'"'" out &&
	! grep -F "Running stage '"'"'train@xgb-0.01'"'"'" out &&
	test -e pipe/m-cnn-0.01.txt && test ! -e pipe/m-xgb-0.01.txt
'

test_case 'a template name and a directory target name all their stages' '
	cd repo && dv repro -n prep >out &&
	grep -F "Would run stage '"'"'prep@eu'"'"'" out && ! grep -F train out &&
	dv status pipe >st && grep -F "train@xgb-0.01" st && ! grep -F "prep@" st &&
	dv repro pipe/train.stage >out2 && grep -F "Running stage '"'"'train@xgb-0.01'"'"'" out2
'

test_case 'repro -P runs every pipeline; then nothing is stale' '
	cd repo && dv repro -P >out && grep -F "Running stage '"'"'prep@eu'"'"'" out &&
	dv status >st && assert_contains st "up to date" &&
	dv repro >again && ! grep -F Running again &&
	expect_code 2 dv repro -P prep
'

test_case 'editing the template makes every instance stale; a param too' '
	cd repo && git add -A && git commit -q -m ran &&
	sed -i "s/^cmd = cat /cmd = cat -u /" prep.stage &&
	dv status >st && grep -A1 "prep@us.stage" st | grep -F "changed cmd" &&
	grep -A1 "prep@eu.stage" st | grep -F "changed cmd" &&
	git checkout -q prep.stage &&
	sed -i "s/epochs: 3/epochs: 4/" params.yaml &&
	dv status >st2 && test "$(grep -c "changed param" st2)" = 4 &&
	dv repro -q && grep -x "cnn 0.01 4" pipe/m-cnn-0.01.txt
'

test_case 'an item removed from the list leaves its instance file ignored' '
	cd repo && sed -i "s/foreach = us, eu/foreach = us/" prep.stage &&
	dv stage list >out && ! grep -F "prep@eu" out && test -e "prep@eu.stage" &&
	dv status >st && ! grep -F "prep@eu" st &&
	git checkout -q prep.stage
'

test_case 'frozen = true in an instance file freezes that instance alone' '
	cd repo && sed -i "s/frozen = false/frozen = true/" "prep@us.stage" &&
	sed -i "s/^cmd = cat /cmd = cat -u /" prep.stage &&
	dv repro prep >out &&
	grep -F "Stage '"'"'prep@us'"'"' is frozen" out &&
	grep -F "Running stage '"'"'prep@eu'"'"'" out &&
	git checkout -q prep.stage "prep@us.stage"
'

test_case 'unknown stages and globs fail, offering the closest name' '
	cd repo &&
	expect_error 1 "did you mean '"'"'prep@us'"'"'?" dv repro prep@uss &&
	expect_error 1 "no stage matches '"'"'nope@*'"'"'" dv repro "nope@*" &&
	expect_error 1 "did you mean '"'"'prep@eu'"'"'?" dv status prep@ue
'

test_case 'bad templates name the file, line or item' '
	new_repo bad && cd bad &&
	printf "[stage]\nforeach = a, b/c\ncmd = echo \${item}\n" >x.stage &&
	expect_error 1 "foreach item '"'"'b/c'"'"' holds '"'"'/'"'"'" dv stage list &&
	printf "[stage]\nforeach = a\ncmd = echo \${item.k}\n" >x.stage &&
	expect_error 1 "uses '"'"'\${item.k}'"'"', which its foreach" dv status &&
	printf "[matrix]\n[stage]\ncmd = echo\n" >x.stage &&
	expect_error 1 "'"'"'x.stage'"'"' line 1: [matrix] is empty" dv status &&
	printf "[matrix]\na = 1\n[stage]\nforeach = b\ncmd = echo\n" >x.stage &&
	expect_error 1 "line 4: a stage has either" dv status &&
	printf "[stage]\nforeach = a\ncmd = echo\nbogus = 1\n" >x.stage &&
	expect_error 1 "'"'"'x.stage'"'"' line 4: unknown key '"'"'bogus'"'"'" dv status
'

test_done
