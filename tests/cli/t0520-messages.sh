#!/bin/sh
# Messages that used to mislead: pull saying "Everything is up to date."
# and then failing; an unknown option printing two error lines and the
# wrong help; 'dv repro .' naming "..stage"; 'dv repro --pull' counting
# git-tracked code as objects on no remote; a missing dependency failing
# the whole run instead of its own stage.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# one_error FILE TEXT: FILE holds exactly one 'dv: error:' line, holding TEXT.
one_error() {
	cat "$1" >&2
	test "$(grep -c "^dv: error:" "$1")" = 1 &&
	grep "^dv: error:" "$1" | grep -qF -- "$2"
}

new_repo repo

test_case 'pull over a locally modified file does not claim everything is up to date' '
	cd repo &&
	echo a >a.txt && dv add -q a.txt && dv remote add -q -d s ../store && dv push -q &&
	git add -A && git commit -q -m a &&
	dv unprotect a.txt && echo b >a.txt &&
	expect_code 1 dv pull >out 2>err &&
	cat out err &&
	assert_not_contains out "up to date" &&
	assert_contains err "a.txt" &&
	dv checkout -q -f
'

test_case 'an unknown option prints one error line naming the subcommand help' '
	cd repo &&
	expect_code 2 dv metrics diff --bogus 2>err && one_error err "dv metrics diff -h" &&
	expect_code 2 dv metrics show -Z 2>err && one_error err "dv metrics show -h" &&
	expect_code 2 dv stage add --bogus 2>err && one_error err "dv stage add -h" &&
	expect_code 2 dv stage list --bogus 2>err && one_error err "dv stage list -h" &&
	expect_code 2 dv remote add --bogus x y 2>err && one_error err "dv remote add -h" &&
	expect_code 2 dv status --bogus 2>err && one_error err "dv status -h" &&
	expect_code 2 dv add --bogus 2>err && one_error err "dv add -h" &&
	expect_code 2 dv install --bogus 2>err && one_error err "dv install -h" &&
	expect_code 2 dv repro -Z 2>err && one_error err "dv repro -h"
'

test_case 'dv repro . runs the stages below the current directory' '
	cd repo &&
	mkdir -p sub empty && cd sub &&
	dv stage add -q -n inner -o inner.txt "echo in >inner.txt" &&
	dv repro . >out 2>err && cat out err &&
	test "$(cat inner.txt)" = in &&
	cd ../empty &&
	expect_code 1 dv repro . 2>err &&
	cat err &&
	assert_not_contains err "..stage" &&
	assert_contains err "no stage"
'

test_case 'dv repro --pull counts data objects only, not git-tracked code' '
	cd repo &&
	echo "int main(void) { return 0; }" >code.c && git add code.c &&
	dv stage add -q -n build -d code.c -d a.txt -o bin.out "wc -c code.c a.txt >bin.out" &&
	dv repro -q build && dv push -q && git add -A && git commit -q -m build &&
	cd .. && rm -rf clone && git clone -q repo clone && cd clone &&
	dv remote default s >/dev/null 2>&1 || true &&
	dv repro --pull build >out 2>err && cat out err &&
	assert_contains out "0 on no remote" &&
	assert_contains out "fetched 2 of 2 objects"
'

test_case 'a missing dep shows in dv status and does not stop unrelated stages' '
	cd repo &&
	dv stage add -q -n needs -d nowhere.txt -o needs.out "cat nowhere.txt >needs.out" &&
	dv stage add -q -n free -o free.out "echo free >free.out" &&
	dv status needs.stage >st && cat st &&
	grep -E "missing dep: +nowhere.txt" st &&
	expect_code 1 dv repro >out 2>err &&
	cat out err &&
	test "$(cat free.out)" = free &&
	assert_contains err "nowhere.txt" &&
	test ! -e needs.out
'

test_done
