#!/bin/sh
# dv status -c: the cache against a remote (new, deleted, missing).
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'objects not yet pushed are "new", directories included' '
	cd repo && echo a >a && mkdir d && echo b >d/b && dv add -q a d &&
	dv remote add -d store "$TRASH/remote" &&
	dv status -c >out &&
	grep -E "new: +a$" out && grep -E "new: +d/$" out &&
	expect_code 1 dv status -c --exit-code
'

test_case 'after push the cache and remote are in sync' '
	cd repo && dv push -q &&
	dv status -c --exit-code >out && assert_contains out "in sync" &&
	dv status -c --json >j && test "$(cat j)" = "{}"
'

test_case 'a directory missing one file on the remote is not in sync' '
	cd repo &&
	f=$(find "$TRASH/remote/files" -type f ! -name "*.dir" | head -1) &&
	chmod -R u+w "$TRASH/remote" && rm -f "$f" &&
	expect_code 1 dv status -c --exit-code
'

test_case 'objects only on the remote are "deleted" from the cache' '
	cd repo && dv push -q && rm -rf .dv/cache/files &&
	dv status -c >out && grep -E "deleted: +a$" out
'

test_case 'objects in neither place are "missing"; -r names the remote' '
	cd repo && dv remote add other "$TRASH/empty" &&
	dv status -c -r other >out && grep -E "missing: +a$" out
'

test_case '-r without -c is a usage error' '
	cd repo && expect_error 2 "go with -c" dv status -r store
'

test_done
