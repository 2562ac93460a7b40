#!/bin/sh
# .dv/config.local may hold credentials: every write by dv leaves it mode
# 0600, whatever the umask and whatever mode it had; .dv/config keeps its
# ordinary mode.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

mode() { stat -c %a "$1"; }

test_case 'dv config --local creates .dv/config.local 0600, even under umask 000' '
	new_repo repo && cd repo &&
	umask 000 &&
	dv config --local cache.type copy &&
	test "$(mode .dv/config.local)" = 600 &&
	test "$(mode .dv/config)" = 644
'

test_case 'dv remote writes keep it 0600: add, modify, default, rename, remove' '
	cd repo &&
	dv remote add --local store ../store &&
	test "$(mode .dv/config.local)" = 600 &&
	dv remote modify --local store secret_access_key s3cr3t &&
	test "$(mode .dv/config.local)" = 600 &&
	dv remote default --local store &&
	test "$(mode .dv/config.local)" = 600 &&
	dv remote rename store vault &&
	test "$(mode .dv/config.local)" = 600 &&
	dv remote modify --local --unset vault secret_access_key &&
	test "$(mode .dv/config.local)" = 600 &&
	dv remote remove vault &&
	test "$(mode .dv/config.local)" = 600
'

test_case 'a config.local made readable by others is tightened by the next write' '
	cd repo &&
	chmod 644 .dv/config.local &&
	dv config --local core.autostage false &&
	test "$(mode .dv/config.local)" = 600 &&
	rm .dv/config.local &&
	printf "[core]\nautostage = true\n" >.dv/config.local && chmod 664 .dv/config.local &&
	dv config --local --unset core.autostage &&
	test "$(mode .dv/config.local)" = 600
'

test_case '.dv/config keeps its own mode across writes' '
	cd repo &&
	test "$(mode .dv/config)" = 644 &&
	dv remote add origin ../store &&
	test "$(mode .dv/config)" = 644 &&
	chmod 664 .dv/config &&
	dv remote rename origin shared &&
	test "$(mode .dv/config)" = 664 &&
	dv remote remove shared &&
	test "$(mode .dv/config)" = 664
'

test_done
