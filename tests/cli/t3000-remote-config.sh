#!/bin/sh
# dv remote add/list/modify/remove/default: the [remote "NAME"] sections of
# .dv/config and .dv/config.local, core.remote, credentials kept out of the
# committed config, and how push/fetch/pull choose their remote.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'remote add writes [remote "NAME"] to .dv/config and stages it' '
	cd repo &&
	dv remote add origin /srv/dv-store &&
	grep -qx "\[remote \"origin\"\]" .dv/config &&
	grep -qx "url = /srv/dv-store" .dv/config &&
	test "$(dv config remote.origin.url)" = /srv/dv-store &&
	git diff --cached --name-only >staged &&
	assert_contains staged .dv/config
'

test_case 'remote list shows name and URL; no default yet' '
	cd repo &&
	dv remote list >out &&
	printf "origin\t/srv/dv-store\n" >expect &&
	test_cmp expect out &&
	expect_error 1 "no default remote" dv remote default
'

test_case 'remote add -d also sets core.remote' '
	cd repo &&
	dv remote add -d backup ssh://user@example.com:2222/data/store &&
	test "$(dv config core.remote)" = backup &&
	test "$(dv remote default)" = backup &&
	dv remote list >out &&
	assert_contains out "$(printf "backup\tssh://user@example.com:2222/data/store\t(default)")"
'

test_case 'remote list --json' '
	cd repo &&
	dv remote list --json >out.json &&
	python3 -c "import json,sys; d=json.load(open(\"out.json\")); \
assert [(r[\"name\"], r[\"default\"]) for r in d] == [(\"backup\", True), (\"origin\", False)], d"
'

test_case 'adding an existing name fails without -f, and -f replaces the URL' '
	cd repo &&
	expect_error 1 "remote '"'"'origin'"'"' already exists" dv remote add origin /elsewhere &&
	test "$(dv config remote.origin.url)" = /srv/dv-store &&
	dv remote add -f origin /elsewhere &&
	test "$(dv config remote.origin.url)" = /elsewhere
'

test_case 'every URL form is accepted; an unknown scheme is refused' '
	cd repo &&
	dv remote add r1 file:///tmp/store &&
	dv remote add r2 host.example:relative/dir &&
	dv remote add r3 s3://bucket/prefix &&
	dv remote add r4 https://example.com/dv &&
	dv remote add r5 ../sibling &&
	expect_error 1 "cannot use '"'"'ftp://x/y'"'"' as a remote" dv remote add r6 ftp://x/y &&
	! dv config remote.r6.url
'

test_case 'a relative directory typed in a subdirectory is stored relative to the root' '
	cd repo && mkdir -p sub/deeper && cd sub/deeper &&
	dv remote add rel ../../store-here &&
	test "$(dv config remote.rel.url)" = store-here &&
	dv remote add rel2 ../../../outside &&
	test "$(dv config remote.rel2.url)" = ../outside
'

test_case 'invalid and overlong remote names are refused' '
	cd repo &&
	expect_error 1 "invalid remote name" dv remote add "bad name" /x &&
	expect_error 1 "invalid remote name" dv remote add -- -lead /x &&
	long=abcdefghijabcdefghijabcdefghijabcdefghijX &&
	expect_error 1 "longer than 40 bytes" dv remote add $long /x
'

test_case 'remote modify sets, checks and unsets remote keys' '
	cd repo &&
	dv remote modify backup port 2200 &&
	dv remote modify backup user alice &&
	dv remote modify backup jobs 3 &&
	test "$(dv config remote.backup.port)" = 2200 &&
	test "$(dv config remote.backup.jobs)" = 3 &&
	expect_error 1 "unknown config key" dv remote modify backup colour blue &&
	expect_error 1 "remote.backup.port" dv remote modify backup port notanumber &&
	expect_error 1 "no remote named '"'"'nosuch'"'"'" dv remote modify nosuch port 22 &&
	dv remote modify --unset backup user &&
	! dv config remote.backup.user &&
	expect_error 1 "is not set" dv remote modify --unset backup user
'

test_case 'remote modify --local writes .dv/config.local, which is not staged' '
	cd repo &&
	git commit -q -m remotes &&
	dv remote modify --local backup keyfile /keys/id_dv &&
	grep -q "keyfile = /keys/id_dv" .dv/config.local &&
	! grep -q keyfile .dv/config &&
	test -z "$(git status --porcelain .dv)"
'

test_case 'credentials are refused in the committed config and kept in config.local' '
	cd repo &&
	expect_error 1 "dv remote modify --local r3 secret_access_key" \
		dv remote modify r3 secret_access_key s3cr3t &&
	! grep -q s3cr3t .dv/config &&
	dv remote modify --local r3 secret_access_key s3cr3t &&
	grep -q "secret_access_key = s3cr3t" .dv/config.local &&
	! grep -q s3cr3t .dv/config
'

test_case 'a credential written into .dv/config by hand is an error, not used' '
	cd repo &&
	cp .dv/config config.saved &&
	printf "[remote \"r3\"]\nsecret_access_key = leaked\n" >>.dv/config &&
	expect_error 1 "secret" dv push -r r3 &&
	cp config.saved .dv/config
'

test_case 'remote default NAME sets core.remote, --unset clears it' '
	cd repo &&
	dv remote default origin &&
	test "$(dv remote default)" = origin &&
	expect_error 1 "no remote named '"'"'nosuch'"'"'" dv remote default nosuch &&
	dv remote default --unset &&
	expect_error 1 "no default remote" dv remote default &&
	dv remote default --local backup &&
	grep -q "remote = backup" .dv/config.local &&
	test "$(dv remote default)" = backup &&
	dv remote default --local --unset
'

test_case 'remote remove drops the section from both files and a core.remote naming it' '
	cd repo &&
	dv remote default backup &&
	dv remote remove backup &&
	! grep -q "remote \"backup\"" .dv/config &&
	! grep -q "remote \"backup\"" .dv/config.local &&
	! dv config core.remote &&
	expect_error 1 "no remote named '"'"'backup'"'"'" dv remote remove backup &&
	dv remote list >out &&
	! grep -q backup out
'

test_case 'push, fetch and pull need a remote: none named, an unknown one' '
	cd repo &&
	expect_error 1 "no default remote" dv push &&
	expect_error 1 "no default remote" dv fetch &&
	expect_error 1 "no default remote" dv pull &&
	expect_error 1 "no remote named '"'"'nosuch'"'"'" dv push -r nosuch &&
	dv config core.remote ghost &&
	expect_error 1 "default remote '"'"'ghost'"'"' (core.remote) is not configured" dv fetch &&
	dv config --unset core.remote
'

test_case 'bad usage exits 2' '
	cd repo &&
	expect_code 2 dv remote &&
	expect_code 2 dv remote frobnicate &&
	expect_code 2 dv remote add onlyname &&
	expect_code 2 dv remote modify origin port &&
	expect_code 2 dv push -j 0 &&
	expect_code 2 dv fetch --jobs many &&
	expect_code 2 dv push --no-such-option &&
	dv remote -h >out && assert_contains out "dv remote add" &&
	dv push -h >out && assert_contains out "dv push"
'

test_done
