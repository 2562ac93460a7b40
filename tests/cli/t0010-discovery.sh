#!/bin/sh
# Finding the repository as git does: dv looks for .git upwards itself when
# the layout is plain (and opens git only when a command needs it), and
# leaves everything else to libgit2: subdirectories, nested repositories,
# git worktrees (.git is a file), GIT_CEILING_DIRECTORIES, the inside of
# .git.  Either way, the same repository is found.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'from a deep subdirectory: status, and add staging into git' '
	mkdir -p repo/a/b/c && cd repo/a/b/c &&
	echo data >f.txt &&
	dv add f.txt >/dev/null &&
	dv status --exit-code >/dev/null &&
	git -C "$TRASH/repo" diff --cached --name-only >staged &&
	assert_contains staged "a/b/c/f.txt.stage" &&
	git -C "$TRASH/repo" commit -q -m f
'

test_case 'a nested git repository without .dv is not the outer dv repository' '
	git init -q repo/inner && cd repo/inner &&
	expect_error 1 "is not a dv repository" dv status
'

test_case 'in a git worktree (.git is a file), add stages into that worktree' '
	cd repo &&
	git worktree add -q ../wt &&
	cd ../wt &&
	test -f .git &&
	echo more >g.txt && dv add g.txt >/dev/null &&
	git diff --cached --name-only >staged &&
	assert_contains staged "g.txt.stage" &&
	git -C "$TRASH/repo" diff --cached --name-only >main-staged &&
	assert_not_contains main-staged "g.txt.stage"
'

test_case 'GIT_CEILING_DIRECTORIES stops the search below it' '
	cd repo/a/b &&
	GIT_CEILING_DIRECTORIES="$TRASH/repo/a" expect_error 1 "not a git repository" dv status &&
	GIT_CEILING_DIRECTORIES="$TRASH/repo/a/b/c" dv status --exit-code >/dev/null
'

test_case 'inside .git, libgit2 decides: the work tree it belongs to' '
	cd repo/.git/refs &&
	dv status --exit-code >/dev/null &&
	echo x >"$TRASH/repo/h.txt" && dv add "$TRASH/repo/h.txt" >/dev/null &&
	test -f "$TRASH/repo/h.txt.stage"
'

test_done
