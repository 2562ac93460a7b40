#!/bin/sh
# core.autostage = false: no dv command stages anything in git, and
# 'dv status' says which files to 'git add'; the undo of a dv add (the
# .stage staged by default) is documented.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'with core.autostage = false nothing is staged by add, stage add, repro, remote, install' '
	cd repo &&
	dv config core.autostage false && git add .dv/config && git commit -q -m off &&
	echo a >a.txt && dv add -q a.txt &&
	dv stage add -q -n s -d a.txt -o s.out "cat a.txt >s.out" && dv repro -q &&
	dv remote add -q -d store ../store &&
	dv install -q &&
	git diff --cached --name-only >staged &&
	test ! -s staged
'

test_case 'dv status names the files to git add' '
	cd repo &&
	dv status >out && cat out &&
	assert_contains out "git add" &&
	assert_contains out "a.txt.stage" &&
	assert_contains out "s.stage" &&
	assert_contains out ".gitignore" &&
	assert_contains out ".dv/config"
'

test_case 'once added, status no longer asks for it' '
	cd repo &&
	git add a.txt.stage s.stage .gitignore .dv/config .gitattributes &&
	git commit -q -m added &&
	dv status >out && cat out &&
	assert_not_contains out "git add"
'

test_case 'dv init with a global core.autostage = false stages nothing' '
	git init -q fresh && cd fresh &&
	dv config --global core.autostage false &&
	dv init -q &&
	git diff --cached --name-only >staged && test ! -s staged &&
	dv config --global --unset core.autostage
'

test_case 'the undo of dv add is documented (dv-config(5), README)' '
	grep -q "git restore \\\\-\\\\-staged \\\\-\\\\-worktree\|git restore --staged --worktree" "$DV_SOURCE_DIR/man/dv-config.5" &&
	grep -q "git restore --staged --worktree" "$DV_SOURCE_DIR/README.md"
'

test_done
