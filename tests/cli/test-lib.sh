# test-lib.sh - the shared library of dv's command tests.
#
# A test script is tNNNN-topic.sh: it sources this file, then runs named
# cases with test_case 'what it proves' 'shell body', then test_done.
# Cases of one script run in order in one scratch directory ($TRASH), so
# later cases may build on earlier ones (as git's t/ scripts do).  Bodies
# run with `set -e` in a subshell: any failing command fails the case.
#
# Everything happens below $DV_TEST_TMP/<script>: HOME, git config and dv's
# global config are private to the test, so nothing on the machine leaks in.

set -u
: "${DV:?DV must name the dv binary (ctest sets it)}"
: "${DV_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
TEST_NAME=$(basename "$0" .sh)
TEST_ROOT=${DV_TEST_TMP:-/tmp/dv-tests}/$TEST_NAME
rm -rf "$TEST_ROOT"
mkdir -p "$TEST_ROOT/home" "$TEST_ROOT/trash"
TRASH=$TEST_ROOT/trash
export HOME=$TEST_ROOT/home
export XDG_CONFIG_HOME=$HOME/.config
export GIT_CONFIG_NOSYSTEM=1
# The build directory usually lies inside dv's own clone: neither git nor
# dv may find that repository from a test's scratch directory.
export GIT_CEILING_DIRECTORIES=$TRASH
export DV_CONFIG_SYSTEM=$TEST_ROOT/etc-dv-config
export GIT_AUTHOR_NAME='dv test' GIT_AUTHOR_EMAIL='test@dv.invalid'
export GIT_COMMITTER_NAME='dv test' GIT_COMMITTER_EMAIL='test@dv.invalid'
export LC_ALL=C TZ=UTC
unset DV_DIR CDPATH
git config --global init.defaultBranch main
git config --global user.name 'dv test'
git config --global user.email 'test@dv.invalid'
git config --global advice.detachedHead false

dv() { "$DV" "$@"; }
cd "$TRASH" || exit 1

test_count=0
test_failed=0
test_skipped=0

# test_case 'description' 'body'
test_case() {
	test_count=$((test_count + 1))
	log=$TEST_ROOT/case-$test_count.log
	(
		cd "$TRASH" || exit 1
		set -e
		eval "$2"
	) >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$log"
	fi
	# Cases that change directory do so inside the subshell only; state on
	# disk is what carries over.
}

# exp_no_leftovers REPO: no experiment is running in REPO and none left
# anything half made: no entry under .dv/exps/running, nothing under
# .dv/tmp/exps but the worktree pool, every pool worktree unlocked and
# whole (its ready mark there, also for a list of the outs it holds), no
# other git worktree of dv's.
exp_no_leftovers() {
	test -z "$(ls "$1/.dv/exps/running" 2>/dev/null)" || return 1
	for d in $(ls "$1/.dv/tmp/exps" 2>/dev/null); do test "$d" = pool || return 1; done
	for f in "$1"/.dv/tmp/exps/pool/*; do
		case $f in
		*'*') ;;
		*.lock) flock -n "$f" true || return 1 ;;
		*.ready) test -d "${f%.ready}" || return 1 ;;
		*.outs) test -e "${f%.outs}.ready" || return 1 ;;
		*) test -e "$f.ready" || return 1 ;;
		esac
	done
	for w in $(ls "$1/.git/worktrees" 2>/dev/null); do
		case $w in
		dv-exp-pool-*) test -e "$1/.dv/tmp/exps/pool/${w#dv-exp-pool-}.ready" || return 1 ;;
		esac
	done
}

# test_skip 'description' 'reason'
test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

test_done() {
	echo "# $((test_count - test_failed)) passed, $test_failed failed${test_skipped:+, $test_skipped skipped}"
	if [ $test_failed -ne 0 ]; then
		exit 1
	fi
	# The script's servers are stopped through pid files under $TEST_ROOT:
	# stop them before it goes (test_on_exit), or they outlive the test.
	if [ -n "${test_exit_cmd:-}" ]; then
		eval "$test_exit_cmd"
	fi
	rm -rf "$TEST_ROOT"
	exit 0
}

# test_on_exit CMD: run CMD when the script ends, however it ends (an EXIT
# trap), and on success before test_done removes $TEST_ROOT.
test_on_exit() {
	test_exit_cmd=$1
	trap "$1" EXIT
}

# Skip the whole script (ctest reports it as skipped).
skip_all() {
	echo "1..0 # SKIP $1"
	exit 77
}

# expect_code N cmd args... : the command exits with status N.
expect_code() {
	want=$1
	shift
	set +e
	"$@"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "expected exit $want, got $got from: $*" >&2
		return 1
	fi
}

# expect_error N 'text' cmd args... : exits N and stderr holds 'text' (fixed
# string) on a single 'dv: error:' line.
expect_error() {
	want=$1 text=$2
	shift 2
	set +e
	"$@" 2>"$TEST_ROOT/stderr"
	got=$?
	set -e
	cat "$TEST_ROOT/stderr" >&2
	if [ "$got" -ne "$want" ]; then
		echo "expected exit $want, got $got from: $*" >&2
		return 1
	fi
	if ! grep -F -- "$text" "$TEST_ROOT/stderr" | grep -q '^dv: error: '; then
		echo "expected a 'dv: error:' line containing '$text'" >&2
		return 1
	fi
}

# test_cmp expected actual
test_cmp() {
	diff -u "$1" "$2"
}

# assert_contains FILE 'fixed text'
assert_contains() {
	if ! grep -qF -- "$2" "$1"; then
		echo "'$1' does not contain '$2':" >&2
		cat "$1" >&2
		return 1
	fi
}

assert_not_contains() {
	if grep -qF -- "$2" "$1"; then
		echo "'$1' unexpectedly contains '$2':" >&2
		cat "$1" >&2
		return 1
	fi
}

# new_repo DIR: a fresh git repository with dv initialised, one commit.
new_repo() {
	git init -q "$1"
	(cd "$1" && "$DV" init -q && git commit -q -m init)
}

# xxh128 FILE: the hash as dv writes it.
xxh128() {
	echo "xxh128:$(xxhsum -H2 "$1" | cut -d' ' -f1)"
}

# make_file PATH SIZE [SEED]: deterministic pseudo-random bytes.
make_file() {
	mkdir -p "$(dirname "$1")"
	head -c "$2" /dev/zero | openssl enc -aes-128-ctr -nosalt \
		-pass "pass:${3:-seed}" -pbkdf2 2>/dev/null >"$1" ||
	{ yes "${3:-seed}" | head -c "$2" >"$1"; }
}
