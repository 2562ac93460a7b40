#!/bin/sh
# dv status for data stages: modified, deleted, not in cache, files inside
# tracked directories, --json and --exit-code.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'status of an empty project says so' '
	cd repo && dv status >out &&
	assert_contains out "no data or pipelines"
'

test_case 'status is clean right after add' '
	cd repo &&
	make_file data.csv 5000 a && dv add -q data.csv &&
	mkdir -p dir/sub && echo 1 >dir/a && echo 2 >dir/b && echo 3 >dir/sub/c &&
	dv add -q dir &&
	dv status >out && assert_contains out "up to date" &&
	dv status --exit-code
'

test_case 'a modified file is reported and --exit-code gives 1' '
	cd repo &&
	dv unprotect data.csv && echo more >>data.csv &&
	dv status >out &&
	assert_contains out "data.csv.stage:" &&
	assert_contains out "modified" &&
	assert_contains out "data.csv" &&
	expect_code 1 dv status --exit-code
'

test_case 'files changed inside a tracked directory are named' '
	cd repo &&
	dv unprotect dir &&
	echo changed >dir/a && rm dir/b && echo new >dir/sub/new &&
	dv status >out &&
	grep -E "modified: +dir/a$" out &&
	grep -E "deleted: +dir/b$" out &&
	grep -E "added: +dir/sub/new$" out &&
	! grep -q "dir/sub/c" out
'

test_case 'status --json is machine-readable' '
	cd repo &&
	dv status --json >out.json &&
	python3 -c "import json,sys; d=json.load(open(\"out.json\")); \
		assert any(c[\"path\"]==\"data.csv\" and c[\"change\"]==\"modified\" for c in d[\"data.csv.stage\"]), d; \
		assert any(c[\"path\"]==\"dir/a\" for c in d[\"dir.stage\"]), d"
'

test_case 'a deleted file is reported as deleted' '
	cd repo && rm data.csv &&
	dv status >out && grep -E "deleted: +data.csv$" out
'

test_case 'an object missing from the cache is reported' '
	cd repo && dv checkout -q -f &&
	dv status --exit-code &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)$/\1/p" data.csv.stage) &&
	chmod u+w .dv/cache/files/xxh128/$(echo $h | cut -c1-2) &&
	rm -f .dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	dv status >out && grep -E "not in cache: +data.csv$" out
'

test_case 'status takes targets: a path, a .stage file' '
	cd repo && dv unprotect dir && echo again >dir/a &&
	dv status dir >out &&
	assert_contains out "dir.stage" && assert_not_contains out "data.csv.stage" &&
	dv status dir.stage >out2 && test_cmp out out2
'

test_case 'status of an untracked target is an error naming it' '
	cd repo &&
	expect_error 1 "nothing-here" dv status nothing-here
'

test_case 'status from a subdirectory shows paths relative to it' '
	cd repo/dir && dv status . >out 2>err || true
	dv status ../dir >out &&
	assert_contains out "a"
'

test_case 'a malformed .stage file is an error naming file and line' '
	cd repo &&
	printf "[out]\npath = x\nhash = xxh128:zz\n" >bad.stage &&
	expect_error 1 "bad.stage" dv status &&
	grep -q "line 3" "$TEST_ROOT/stderr" &&
	printf "[out\n" >bad.stage &&
	expect_error 1 "bad.stage" dv status &&
	rm bad.stage
'

test_case 'a directory two stages name (added data, a stage reading it) is walked once' '
	new_repo shared && cd shared && mkdir data &&
	i=0 && while [ $i -lt 300 ]; do echo $i >data/f$i; i=$((i + 1)); done &&
	dv add -q data && dv stage add -q -n count -d data -o n.txt "ls data | wc -l >n.txt" &&
	dv repro -q && dv status >out && grep -x "Data and pipelines are up to date." out &&
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -c -e trace=newfstatat,stat,lstat,statx -o trace "$DV" status >/dev/null &&
	stats=$(awk "\$NF ~ /stat/ && \$4 ~ /^[0-9]+\$/ { n += \$4 } END { print n + 0 }" trace) &&
	{ [ "$stats" -ge 300 ] && [ "$stats" -lt 400 ] || { echo "dv status made $stats stat calls for 300 files" >&2; cat trace >&2; false; }; } &&
	echo changed >>data/f7 && dv status >out &&
	grep -F "modified" out && grep -F "data" out
'

test_case 'a flat directory of 2,100 files (its stats shared among the cores): changes and a bad link found' '
	new_repo flat && cd flat && mkdir data &&
	awk "BEGIN { for (i = 0; i < 2100; i++) { f = sprintf(\"data/f%05d\", i); print i > f; close(f) } }" &&
	dv add -q data && dv status --exit-code &&
	echo changed >data/f01234 && rm data/f00007 && ! dv status --exit-code >out &&
	grep -F "modified" out && grep -F "data/f01234" out && grep -F "data/f00007" out &&
	dv add -q data && dv status --exit-code &&
	ln -s /etc/hostname data/zz-outside && expect_error 1 "zz-outside" dv status
'

test_done
