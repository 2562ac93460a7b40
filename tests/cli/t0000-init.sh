#!/bin/sh
# dv init, --version, help, usage errors.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

test_case 'dv --version names the version' '
	dv --version >out &&
	grep -q "^dv version [0-9]" out
'

test_case 'dv with no command prints usage and exits 2' '
	expect_code 2 dv
'

test_case 'an unknown command is a usage error' '
	expect_error 2 "is not a dv command" dv frobnicate
'

test_case 'dv help lists the commands' '
	dv help >out &&
	assert_contains out "add" && assert_contains out "checkout"
'

test_case 'dv help CMD and dv CMD --help show the man page' '
	MANPAGER=cat PAGER=cat dv help add >out 2>&1 &&
	assert_contains out "track files or directories" &&
	MANPAGER=cat PAGER=cat dv status --help >out2 2>&1 &&
	assert_contains out2 "--exit-code"
'

test_case 'command -h prints usage and exits 0, also outside a repository' '
	dv add -h >out &&
	assert_contains out "usage: dv add"
'

test_case 'init outside a git repository fails clearly' '
	mkdir plain && cd plain &&
	expect_error 1 "not a git repository" dv init &&
	test ! -e .dv
'

test_case 'init creates .dv and stages config and .gitignore' '
	git init -q repo && cd repo &&
	dv init >out &&
	test -d .dv && test -f .dv/config && test -f .dv/.gitignore &&
	git diff --cached --name-only >staged &&
	assert_contains staged ".dv/config" &&
	assert_contains staged ".dv/.gitignore"
'

test_case '.dv/.gitignore keeps the cache out of git' '
	cd repo &&
	mkdir -p .dv/cache/files && echo x >.dv/cache/files/obj && printf "[core]\n\tremote = r\n" >.dv/config.local &&
	git status --porcelain --ignored >st &&
	! grep -q "cache/files/obj" st.unignored 2>/dev/null &&
	git add -A .dv && git diff --cached --name-only >staged &&
	assert_not_contains staged "cache" && assert_not_contains staged "config.local"
'

test_case 'init twice is refused, -f re-initialises' '
	cd repo &&
	expect_error 1 "already exists" dv init &&
	dv init -f -q
'

test_case 'init works from a subdirectory of the work tree' '
	git init -q deep && mkdir -p deep/a/b && cd deep/a/b &&
	dv init -q && test -d ../../.dv
'

test_case 'commands other than init need an initialised repository' '
	git init -q bare-git && cd bare-git &&
	expect_error 1 "run '"'"'dv init'"'"'" dv status
'

test_done
