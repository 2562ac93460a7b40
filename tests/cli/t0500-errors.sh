#!/bin/sh
# Bad input: one clear "dv: error:" line, exit 1 (2 for usage), nothing
# half-written.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'add of a missing path' '
	cd repo &&
	expect_error 1 "no such file" dv add missing.csv &&
	test ! -e missing.csv.stage
'

test_case 'add of a path outside the repository' '
	cd repo && echo x >../outside &&
	expect_error 2 "outside the repository" dv add ../outside &&
	expect_error 2 "outside the repository" dv add /etc/hostname
'

test_case 'add of a symlink pointing outside the repository' '
	cd repo && ln -s /etc/hostname escape &&
	expect_error 2 "outside the repository" dv add escape &&
	test ! -e escape.stage
'

test_case 'add of a path inside a tracked directory' '
	cd repo && mkdir d && echo 1 >d/f && dv add -q d &&
	expect_error 1 "inside" dv add d/f &&
	grep -q "dv add d" "$TEST_ROOT/stderr" &&
	test ! -e d/f.stage
'

test_case 'add of a directory holding tracked data' '
	cd repo && mkdir -p outer && echo 2 >outer/x && dv add -q outer/x &&
	expect_error 1 "already tracks" dv add outer && test ! -e outer.stage
'

test_case 'add inside .git or .dv is refused' '
	cd repo &&
	expect_error 2 "own directory" dv add .git/config &&
	expect_error 2 "own directory" dv add .dv/config
'

test_case 'unknown option is a usage error' '
	cd repo && expect_error 2 "unknown option" dv add --bogus x
'

test_case 'add without paths is a usage error' '
	cd repo && expect_error 2 "nothing to add" dv add
'

test_case 'an unknown config key is refused' '
	cd repo && expect_error 1 "unknown" dv config core.nonsense 1
'

test_case 'a second writer waits, then fails naming the holder pid' '
	cd repo
	( exec 9>.dv/lock; flock 9; echo 4242 >&9; sleep 6 ) &
	sleep 0.5 &&
	echo z >z && expect_error 1 "locked" dv add z &&
	grep -q "pid 4242" "$TEST_ROOT/stderr" &&
	wait
'

test_case 'an interrupted add leaves no temp files or half-written stage' '
	cd repo && make_file big.bin 300000000 big &&
	( "$DV" add big.bin & pid=$!; sleep 0.3; kill -INT $pid; wait $pid ) || true
	find . -name ".*.tmp-*" >leftovers &&
	test ! -s leftovers &&
	if [ -e big.bin.stage ]; then grep -q "^hash = " big.bin.stage; fi
'

test_case 'a locked git index (git running): the data is tracked, the error says how to stage it' '
	cd repo &&
	echo locked >locked.txt &&
	: a running git holds its lock open, which tells it from one the Ctrl-C above may have left &&
	touch .git/index.lock && { sleep 60 <.git/index.lock >/dev/null 2>&1 & } && git_pid=$! &&
	expect_error 1 "git add .gitignore locked.txt.stage" dv add locked.txt &&
	assert_contains "$TEST_ROOT/stderr" "index.lock" &&
	kill $git_pid && rm .git/index.lock &&
	grep -q "^hash = $(xxh128 locked.txt)" locked.txt.stage &&
	git add locked.txt.stage &&
	git diff --cached --name-only >staged && assert_contains staged locked.txt.stage
'

test_done
