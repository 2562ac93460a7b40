#!/bin/sh
# dv config: get, set, list, unset at each level; secrets; unknown keys;
# usage errors; edits that keep the rest of a file; malformed files.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

GLOBAL=$XDG_CONFIG_HOME/dv/config

test_case 'set writes .dv/config and get prints the value' '
	new_repo r && cd r &&
	dv config core.remote origin &&
	assert_contains .dv/config "[core]" &&
	assert_contains .dv/config "remote = origin" &&
	dv config core.remote >out &&
	echo origin >want && test_cmp want out
'

test_case 'an unset key prints nothing and exits 1' '
	cd r &&
	expect_code 1 dv config cache.dir >out &&
	test ! -s out
'

test_case 'later levels win: system < global < repo < local' '
	cd r &&
	printf "[cache]\ntype = copy\n[core]\nautostage = false\n" >"$DV_CONFIG_SYSTEM" &&
	dv config --global cache.type hardlink,copy &&
	test -f "$GLOBAL" &&
	dv config cache.type >out && echo hardlink,copy >want && test_cmp want out &&
	dv config --local core.remote mine &&
	dv config core.remote >out && echo mine >want && test_cmp want out &&
	dv config --project core.remote >out && echo origin >want && test_cmp want out &&
	dv config --system core.autostage >out && echo false >want && test_cmp want out &&
	dv config core.autostage >out && echo false >want && test_cmp want out
'

test_case '--list shows every entry in order, --show-origin names the files' '
	cd r &&
	dv config --list >out &&
	cat >want <<-EOF &&
	cache.type=copy
	core.autostage=false
	cache.type=hardlink,copy
	core.remote=origin
	core.remote=mine
	EOF
	test_cmp want out &&
	dv config --list --show-origin >out &&
	assert_contains out "file:$DV_CONFIG_SYSTEM	cache.type=copy" &&
	assert_contains out "file:$GLOBAL	cache.type=hardlink,copy" &&
	assert_contains out "/.dv/config	core.remote=origin" &&
	assert_contains out "/.dv/config.local	core.remote=mine" &&
	dv config --local --list >out &&
	echo core.remote=mine >want && test_cmp want out
'

test_case '--list --json is data' '
	cd r &&
	dv config --list --json >out &&
	jq -r ".[] | select(.level == \"local\") | .key + \"=\" + .value" out >got &&
	echo core.remote=mine >want && test_cmp want got &&
	test "$(jq length out)" = 5
'

test_case 'secrets are refused in the committed config, accepted with --local' '
	cd r &&
	expect_error 1 "--local" dv config remote.s3.secret_access_key s3cr3t &&
	assert_not_contains .dv/config s3cr3t &&
	expect_error 1 "secret" dv config --project remote.s3.session_token tok &&
	dv config --local remote.s3.secret_access_key s3cr3t &&
	assert_contains .dv/config.local "secret_access_key = s3cr3t" &&
	dv config remote.s3.secret_access_key >out && echo s3cr3t >want && test_cmp want out &&
	dv config remote.s3.access_key_id AKIAEXAMPLE &&
	assert_contains .dv/config "access_key_id = AKIAEXAMPLE" &&
	git check-ignore -q .dv/config.local
'

test_case 'a secret hand-written into .dv/config is an error naming the line' '
	cd r &&
	cp .dv/config config.saved &&
	printf "[remote \"x\"]\nsecret_access_key = leaked\n" >>.dv/config &&
	n=$(wc -l <.dv/config) &&
	expect_error 1 ".dv/config'"'"' line $n: '"'"'remote.x.secret_access_key'"'"' is a secret" dv config --list &&
	cp config.saved .dv/config
'

test_case 'unknown keys and bad values exit 1 with a message' '
	cd r &&
	expect_error 1 "unknown config key '"'"'core.foo'"'"'" dv config core.foo &&
	expect_error 1 "unknown config key '"'"'core.foo'"'"'" dv config core.foo bar &&
	expect_error 1 "unknown config key" dv config remote.origin.colour red &&
	expect_error 1 "true or false" dv config core.autostage maybe &&
	expect_error 1 "cache.type" dv config cache.type teleport &&
	expect_error 1 "invalid remote name" dv config "remote.a b.url" /x &&
	expect_error 1 "longer than 40 bytes" dv config remote.abcdefghijabcdefghijabcdefghijabcdefghijX.url /x &&
	assert_not_contains .dv/config foo
'

test_case 'bad usage exits 2' '
	cd r &&
	expect_code 2 dv config &&
	expect_code 2 dv config a.b c d &&
	expect_code 2 dv config --list core.remote &&
	expect_code 2 dv config --unset core.remote value &&
	expect_code 2 dv config --global --local core.remote &&
	expect_code 2 dv config --show-origin core.remote &&
	expect_code 2 dv config --frobnicate &&
	dv config -h >out && assert_contains out "usage: dv config"
'

test_case 'writes keep other sections, keys and comments intact' '
	cd r &&
	printf "# team settings\n[core]\n\tremote = origin ; the shared one\n\n" >.dv/config &&
	printf "; where the data lives\n[remote \"origin\"]\n\turl = /srv/data\n\tjobs = 4\n" >>.dv/config &&
	cp .dv/config before &&
	dv config remote.origin.jobs 8 &&
	sed "s/jobs = 4/jobs = 8/" before >want && test_cmp want .dv/config &&
	dv config remote.origin.region eu-1 &&
	grep -n "region" .dv/config >got && printf "9:\tregion = eu-1\n" >want && test_cmp want got &&
	dv config --unset remote.origin.region &&
	dv config remote.origin.jobs 4 &&
	test_cmp before .dv/config &&
	dv config cache.protected true &&
	tail -n 3 .dv/config >got && printf "\n[cache]\nprotected = true\n" >want && test_cmp want got &&
	dv config --unset cache.protected &&
	test_cmp before .dv/config &&
	dv config remote.origin.url >out && echo /srv/data >want && test_cmp want out
'

test_case 'values inih would mangle are quoted and read back' '
	cd r &&
	dv config remote.origin.region "eu ; west " &&
	assert_contains .dv/config "region = \"eu \\x3b west \"" &&
	dv config remote.origin.region >out && printf "eu ; west \n" >want && test_cmp want out &&
	dv config --unset remote.origin.region
'

test_case 'unset of a missing key exits 1 and says where it is set' '
	cd r &&
	expect_error 1 "is not set in" dv config --unset cache.dir &&
	expect_error 1 "add --local" dv config --unset remote.s3.secret_access_key &&
	dv config --local --unset remote.s3.secret_access_key &&
	assert_not_contains .dv/config.local secret
'

test_case 'a malformed config names the file and line' '
	cd r &&
	cp .dv/config config.saved &&
	printf "[core\n" >>.dv/config &&
	n=$(wc -l <.dv/config) &&
	expect_error 1 ".dv/config'"'"' line $n: missing '"'"']'"'"'" dv config --list &&
	cp config.saved .dv/config &&
	printf "[cache]\ntyep = copy\n" >>"$GLOBAL" &&
	n=$(wc -l <"$GLOBAL") &&
	expect_error 1 "$GLOBAL'"'"' line $n: unknown config key '"'"'cache.tyep'"'"'" dv config core.remote &&
	dv config --global --unset cache.tyep &&
	dv config core.remote
'

test_case 'a key name with a dot is refused, not read as another remote'"'"'s key' '
	cd r &&
	cp .dv/config config.saved &&
	printf "[remote \"origin\"]\n.url = /elsewhere\n" >>.dv/config &&
	n=$(wc -l <.dv/config) &&
	expect_error 1 ".dv/config'"'"' line $n: '"'"'.url'"'"' is not a key name" dv config --list &&
	cp config.saved .dv/config && dv config --list >/dev/null
'

test_case 'set and unset edit the lines the reader reads, form feeds and CRs too' '
	git init -q blanks && cd blanks && dv init -q &&
	printf "[core]\nremote = a\n\fremote = c\n" >.dv/config &&
	dv config core.remote b &&
	dv config core.remote >out && echo b >want && test_cmp want out &&
	printf "[core]\r\nremote = a\r\n\vremote = c\r\n" >.dv/config &&
	dv config --unset core.remote &&
	expect_code 1 dv config core.remote &&
	printf "[core]\nremote = a\nnot a key\n" >.dv/config &&
	cp .dv/config before &&
	expect_error 1 ".dv/config'"'"' line 3" dv config core.remote b &&
	test_cmp before .dv/config
'

test_case 'works from a subdirectory of the repository' '
	cd r && mkdir -p sub/dir && cd sub/dir &&
	dv config core.remote >out && echo mine >want && test_cmp want out
'

test_case 'outside a repository only --global and --system can be written' '
	mkdir -p outside && cd outside &&
	dv config --global core.autostage true &&
	dv config core.autostage >out && echo true >want && test_cmp want out &&
	expect_error 1 "--global" dv config core.remote origin &&
	expect_error 1 "--global" dv config --local core.remote origin &&
	dv config --list >out &&
	assert_contains out "core.autostage=true"
'

test_done
