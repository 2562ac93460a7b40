#!/bin/sh
# dv remove, dv move, dv unprotect, dv commit.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'unprotect makes a hardlinked file a writable file of its own' '
	cd repo && dv config cache.type hardlink &&
	make_file a.bin 3000 a && dv add -q a.bin &&
	test "$(stat -c %h a.bin)" = 2 &&
	dv unprotect a.bin &&
	test "$(stat -c %h a.bin)" = 1 && test -w a.bin &&
	echo edit >>a.bin && expect_code 1 dv status --exit-code &&
	dv checkout -f a.bin
'

test_case 'editing after unprotect never touches the cache object' '
	cd repo &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)$/\1/p" a.bin.stage) &&
	obj=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	dv unprotect a.bin && echo more >>a.bin &&
	test "$(xxhsum -H2 $obj | cut -c1-32)" = "$h"
'

test_case 'commit records the workspace hash without re-adding' '
	cd repo &&
	dv commit a.bin >out &&
	grep -q "hash = $(xxh128 a.bin)" a.bin.stage &&
	dv status --exit-code
'

test_case 'commit with no targets commits every stage' '
	cd repo && make_file b.bin 100 b && dv add -q b.bin &&
	dv unprotect b.bin && echo x >>b.bin && dv unprotect a.bin && echo y >>a.bin &&
	dv commit -q && dv status --exit-code
'

test_case 'move renames data, .stage and .gitignore entry' '
	cd repo && mkdir -p sub &&
	dv move a.bin sub/renamed.bin &&
	test -f sub/renamed.bin && test ! -e a.bin &&
	test -f sub/renamed.bin.stage && test ! -e a.bin.stage &&
	grep -q "^path = renamed.bin$" sub/renamed.bin.stage &&
	grep -qx /renamed.bin sub/.gitignore && ! grep -qx /a.bin .gitignore &&
	git diff --cached --name-only >staged && assert_contains staged sub/renamed.bin.stage &&
	dv status --exit-code
'

test_case 'move into an existing directory keeps the name' '
	cd repo && mkdir -p into &&
	dv move b.bin into && test -f into/b.bin && test -f into/b.bin.stage
'

test_case 'move of an untracked path is an error' '
	cd repo && echo z >loose &&
	expect_error 1 "not data tracked by dv" dv move loose elsewhere && test -f loose
'

test_case 'move onto an existing path is refused' '
	cd repo && echo q >exists &&
	expect_error 1 "already exists" dv move into/b.bin exists
'

test_case 'remove untracks but keeps the data, writable' '
	cd repo &&
	dv remove sub/renamed.bin.stage &&
	test ! -e sub/renamed.bin.stage && test -f sub/renamed.bin &&
	test "$(stat -c %h sub/renamed.bin)" = 1 &&
	! grep -qx /renamed.bin sub/.gitignore 2>/dev/null &&
	git diff --cached --name-only >staged && ! grep -q "renamed.bin.stage" staged
'

test_case 'remove --outs deletes the data too' '
	cd repo && dv remove --outs into/b.bin && test ! -e into/b.bin && test ! -e into/b.bin.stage
'

test_done
