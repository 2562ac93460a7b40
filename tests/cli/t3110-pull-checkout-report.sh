#!/bin/sh
# dv pull reports its checkout as dv checkout does (one helper prints both):
# "M <path>" for each file written, a kept workspace change named with the
# -f of the command that was run, a missing object named once; with --json
# stdout holds nothing but the JSON document.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'setup: two files and a directory pushed to a remote' '
	cd repo &&
	echo one >a.txt && echo two >b.txt &&
	mkdir d && echo three >d/c.txt &&
	dv add -q a.txt b.txt d &&
	dv remote add -d origin ../store &&
	dv push -q &&
	git commit -q -m data
'

test_case 'pull and checkout list the same "M" lines' '
	git clone -q repo c1 && cd c1 &&
	dv pull >out &&
	grep "^M	" out >pulled &&
	printf "M\ta.txt\nM\tb.txt\nM\td/c.txt\n" >expect &&
	sort pulled | test_cmp expect - &&
	rm -f a.txt b.txt d/c.txt &&
	dv checkout >out &&
	sort out | test_cmp expect -
'

test_case 'a kept change is named with the -f of the command that was run' '
	cd c1 &&
	echo local edit >a.txt &&
	rm b.txt &&
	expect_error 1 "'"'"'a.txt'"'"' has changes that are not in the cache: kept it; '"'"'dv commit'"'"' records them, '"'"'dv checkout -f'"'"' discards them" \
		dv checkout &&
	test "$(cat b.txt)" = two &&
	rm b.txt &&
	expect_error 1 "'"'"'a.txt'"'"' has changes that are not in the cache: kept it; '"'"'dv commit'"'"' records them, '"'"'dv pull -f'"'"' discards them" \
		dv pull &&
	test "$(cat b.txt)" = two &&
	test "$(cat a.txt)" = "local edit" &&
	dv pull -q -f && test "$(cat a.txt)" = one
'

test_case 'pull --json prints only JSON on stdout, errors still on stderr' '
	cd c1 &&
	rm a.txt && echo edited >b.txt &&
	expect_code 1 dv pull --json >out.json 2>err &&
	python3 -c "import json; d=json.load(open(\"out.json\")); assert d[\"remote\"] == \"origin\", d" &&
	assert_not_contains out.json "a.txt" &&
	test "$(cat a.txt)" = one &&
	assert_contains err "'"'"'b.txt'"'"' has changes that are not in the cache" &&
	dv pull -q -f
'

test_case 'an object missing on the remote is named once by pull' '
	git clone -q repo c2 && cd c2 &&
	h=$(printf "one\n" | xxhsum -H2 | cut -d" " -f1) &&
	mv ../store/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) ../a.obj &&
	expect_error 1 "'"'"'a.txt'"'"' is not on remote '"'"'origin'"'"'" dv pull &&
	test "$(grep -c "a.txt" "$TEST_ROOT/stderr")" = 1 &&
	test ! -e a.txt && test "$(cat b.txt)" = two &&
	mv ../a.obj ../store/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)
'

test_case 'checkout names an object missing from the cache' '
	cd c2 &&
	expect_error 1 "a.txt" dv checkout a.txt &&
	dv pull -q && test "$(cat a.txt)" = one
'

test_done
