#!/bin/sh
# dv freeze / unfreeze (plain stages, instances by glob, data stages
# refused), dv root, dv destroy, and "did you mean" for mistyped commands.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
cd repo
echo in >in.txt
dv add -q in.txt
dv stage add -q -n copy -d in.txt -o out.txt "cat in.txt in.txt >out.txt"
printf '[stage]\nforeach = a, b\ncmd = echo ${item} >t-${item}.txt\n[out]\npath = t-${item}.txt\n' >t.stage
dv repro -q
git add -A && git commit -q -m pipeline
cd ..

test_case 'a frozen stage never runs, unfreezing lets it run' '
	cd repo && dv freeze copy >out && grep -x "frozen copy.stage" out &&
	grep -x "frozen = true" copy.stage && git diff --cached --name-only | grep -x copy.stage &&
	echo more >>in.txt && dv commit -q in.txt &&
	dv repro >rp && grep -F "Stage '"'"'copy'"'"' is frozen, not running it" rp && ! grep -F Running rp &&
	dv unfreeze copy && grep -x "frozen = false" copy.stage &&
	dv repro >rp2 && grep -F "Running stage '"'"'copy'"'"'" rp2
'

test_case 'template instances freeze one by one, by glob' '
	cd repo && dv freeze "t@*" >out && grep -x "frozen t@a.stage" out && grep -x "frozen t@b.stage" out &&
	dv unfreeze t@b && sed -i "s/echo /echo x /" t.stage &&
	dv repro >rp && grep -F "Stage '"'"'t@a'"'"' is frozen" rp && grep -F "Running stage '"'"'t@b'"'"'" rp
'

test_case 'bad input: data stages, unknown stages, no stage' '
	cd repo &&
	expect_error 1 "'"'"'in.txt.stage'"'"' tracks data; only pipeline stages can be frozen" dv freeze in.txt &&
	expect_error 1 "did you mean '"'"'copy'"'"'?" dv freeze cpy &&
	expect_code 2 dv unfreeze
'

test_case 'dv root prints the top directory relative to here' '
	cd repo && test "$(dv root)" = . && mkdir -p a/b && cd a/b && test "$(dv root)" = ../.. &&
	cd "$(dv root)" && test -d .dv && expect_code 2 dv root extra
'

test_case 'a mistyped command offers the closest one' '
	expect_error 2 "'"'"'stauts'"'"' is not a dv command; did you mean '"'"'dv status'"'"'?" dv stauts &&
	expect_error 2 "'"'"'migarte'"'"' is not a dv command; did you mean '"'"'dv migrate'"'"'?" dv migarte &&
	expect_error 2 "'"'"'frobnicate'"'"' is not a dv command; see '"'"'dv help'"'"'" dv frobnicate
'

test_case 'dv destroy needs -f, then untracks everything and keeps the data' '
	cd repo && git add -A && git commit -q -m frozen &&
	expect_error 2 "run '"'"'dv destroy -f'"'"'" dv destroy && test -d .dv &&
	cp in.txt ../in.expected && cp out.txt ../out.expected &&
	dv destroy -f >out &&
	test ! -e .dv && test ! -e in.txt.stage && test ! -e copy.stage && test ! -e t.stage &&
	test ! -e "t@a.stage" && test_cmp ../in.expected in.txt && test_cmp ../out.expected out.txt &&
	test -w in.txt && echo edit >>in.txt && ! grep -qx "/in.txt" .gitignore 2>/dev/null &&
	git diff --cached --name-status >st && grep -P "^D\t.dv/config$" st && grep -P "^D\tcopy.stage$" st &&
	! git ls-files --error-unmatch .dv/config 2>/dev/null
'

test_done
