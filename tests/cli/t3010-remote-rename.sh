#!/bin/sh
# dv remote rename OLD NEW: the [remote "OLD"] sections of .dv/config and
# .dv/config.local and a core.remote naming OLD all follow; unknown, taken
# and invalid names are refused without touching either file.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo
GLOBAL=$XDG_CONFIG_HOME/dv/config

test_case 'rename moves the section in both files and core.remote with it' '
	cd repo &&
	dv remote add -d origin ../store &&
	dv remote modify origin jobs 3 &&
	dv remote modify --local origin secret_access_key s3cr3t &&
	dv remote add backup /mnt/backup &&
	git commit -q -m remotes &&
	dv remote rename origin storage &&
	! grep -q "remote \"origin\"" .dv/config &&
	! grep -q "remote \"origin\"" .dv/config.local &&
	grep -qx "\[remote \"storage\"\]" .dv/config &&
	grep -qx "\[remote \"storage\"\]" .dv/config.local &&
	test "$(dv config remote.storage.url)" = ../store &&
	test "$(dv config remote.storage.jobs)" = 3 &&
	test "$(dv config remote.storage.secret_access_key)" = s3cr3t &&
	test "$(dv remote default)" = storage &&
	test "$(dv config remote.backup.url)" = /mnt/backup &&
	dv remote list >out &&
	printf "backup\t/mnt/backup\nstorage\t../store\t(default)\n" >expect &&
	test_cmp expect out
'

test_case 'the renamed .dv/config is staged; config.local stays out of git' '
	cd repo &&
	git diff --cached --name-only >staged &&
	printf ".dv/config\n" >expect && test_cmp expect staged &&
	git commit -q -m rename
'

test_case 'a core.remote in .dv/config.local naming the remote follows too' '
	cd repo &&
	dv remote default --local backup &&
	dv remote rename backup nas &&
	grep -qx "remote = nas" .dv/config.local &&
	grep -qx "remote = storage" .dv/config &&
	test "$(dv remote default)" = nas &&
	dv remote default --local --unset
'

test_case 'push and pull use the new name' '
	cd repo &&
	echo hello >data.txt && dv add -q data.txt &&
	dv push -q -r storage &&
	test -d ../store/files &&
	rm -rf .dv/cache data.txt &&
	dv pull -q &&
	test "$(cat data.txt)" = hello
'

test_case 'an unknown OLD is an error; nothing changes' '
	cd repo &&
	cp .dv/config config.before && cp .dv/config.local local.before &&
	expect_error 1 "no remote named '"'"'origin'"'"'" dv remote rename origin other &&
	cmp .dv/config config.before && cmp .dv/config.local local.before
'

test_case 'a NEW that exists already is an error; nothing changes' '
	cd repo &&
	expect_error 1 "remote '"'"'nas'"'"' already exists" dv remote rename storage nas &&
	expect_error 1 "already has that name" dv remote rename storage storage &&
	dv config --global remote.mine.url /elsewhere &&
	expect_error 1 "remote '"'"'mine'"'"' already exists" dv remote rename storage mine &&
	cmp .dv/config config.before && cmp .dv/config.local local.before
'

test_case 'an invalid NEW is an error; nothing changes' '
	cd repo &&
	expect_error 1 "invalid remote name" dv remote rename storage "bad name" &&
	expect_error 1 "invalid remote name" dv remote rename storage -- -lead &&
	expect_error 1 "longer than 40 bytes" dv remote rename storage abcdefghijabcdefghijabcdefghijabcdefghijX &&
	cmp .dv/config config.before && cmp .dv/config.local local.before
'

test_case 'a remote of the user config is not renamed from a repository' '
	cd repo &&
	expect_error 1 "not defined in this repository" dv remote rename mine yours &&
	test "$(dv config --global remote.mine.url)" = /elsewhere
'

test_case 'a user-level core.remote naming the old name draws a warning' '
	cd repo &&
	dv config --unset core.remote &&
	dv config --global core.remote nas &&
	dv remote rename nas nas2 2>err &&
	assert_contains err "dv: warning: core.remote in '"'"'$GLOBAL'"'"' still names '"'"'nas'"'"'" &&
	dv config --global --unset core.remote &&
	dv remote rename nas2 nas 2>err && test ! -s err
'

test_case 'bad usage exits 2' '
	cd repo &&
	expect_code 2 dv remote rename &&
	expect_code 2 dv remote rename storage &&
	expect_code 2 dv remote rename a b c &&
	expect_code 2 dv remote rename --local storage s2 &&
	dv remote -h >out && assert_contains out "dv remote rename OLD NEW"
'

test_done
