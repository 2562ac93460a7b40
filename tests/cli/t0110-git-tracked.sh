#!/bin/sh
# A path git already tracks cannot also be tracked by dv: 'dv add' and
# 'dv repro' refuse it, naming 'git rm --cached PATH', and change nothing
# (no .stage file, no .gitignore entry, the stage's command not run).
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'dv add of a git-tracked file is refused, naming git rm --cached' '
	cd repo &&
	echo hi >notes.txt && git add notes.txt && git commit -q -m notes &&
	expect_error 1 "git rm --cached notes.txt" dv add notes.txt &&
	test ! -e notes.txt.stage &&
	! grep -q notes.txt .gitignore 2>/dev/null &&
	git ls-files --error-unmatch notes.txt
'

test_case 'dv add of a directory holding a git-tracked file is refused (git rm -r --cached)' '
	cd repo &&
	mkdir d && echo a >d/a && echo b >d/b && git add d/a && git commit -q -m d &&
	expect_error 1 "git rm -r --cached d" dv add d &&
	test ! -e d.stage
'

test_case 'a file staged (not yet committed) in git is refused too' '
	cd repo &&
	echo s >staged.txt && git add staged.txt &&
	expect_error 1 "git rm --cached staged.txt" dv add staged.txt &&
	git rm -q --cached staged.txt && dv add -q staged.txt && test -f staged.txt.stage
'

test_case 'after git rm --cached the file can be added' '
	cd repo &&
	git rm -q --cached notes.txt && dv add -q notes.txt &&
	test -f notes.txt.stage && assert_contains .gitignore /notes.txt
'

test_case 'dv repro refuses a stage whose out git tracks, and does not run it' '
	cd repo &&
	echo old >report.txt && git add report.txt && git commit -q -m report &&
	dv stage add -q -n report -o report.txt "echo new >report.txt" &&
	expect_error 1 "git rm --cached report.txt" dv repro report &&
	test "$(cat report.txt)" = old &&
	! grep -q report.txt .gitignore
'

test_done
