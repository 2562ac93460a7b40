#!/bin/sh
# dv exp push/pull: experiments' refs through a bare git repository (a
# path and a file:// URL), their data through the default dv remote.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# libgit2 1.5 leaks pcre2 match data whenever git_remote_create applies
# url.*.insteadOf (every remote it opens), and over ssh its known_hosts
# list (libssh2) and a buffer when a host key is refused: not dv's leaks,
# so an ASan build is told to ignore them (the ssh ones only in the ssh
# case).
printf 'leak:libpcre2-8.so\n' >"$TEST_ROOT/lsan.supp"
printf 'leak:libpcre2-8.so\nleak:libgit2.so\nleak:libssh2.so\n' >"$TEST_ROOT/lsan-ssh.supp"
LSAN_BASE=${LSAN_OPTIONS:+$LSAN_OPTIONS:}
export LSAN_OPTIONS="${LSAN_BASE}suppressions=$TEST_ROOT/lsan.supp"

git init -q --bare origin.git
mkdir store
new_repo repo
cd repo
printf '[train]\nlambda = 1\n' >params.ini
"$DV" stage add -q -n train -p train.lambda -o model -m metrics.json \
	"mkdir -p model && echo w\${train.lambda} >model/w && echo '{\"r2\": '\${train.lambda}'}' >metrics.json"
"$DV" repro -q
"$DV" remote add -d store "$TRASH/store"
git add -A && git commit -q -m pipeline
git remote add origin "$TRASH/origin.git"
git push -q origin main
"$DV" push -q
"$DV" exp run -q --temp -S train.lambda=7 -n seven
"$DV" exp run -q --temp -S train.lambda=8 -n eight
cd ..

test_case 'exp push sends the ref to the git remote and the data to the dv remote' '
	cd repo && dv exp push origin seven >out && assert_contains out "Pushed experiment '"'"'seven'"'"'" &&
	test "$(git -C ../origin.git rev-parse refs/exps/seven)" = "$(git rev-parse refs/exps/seven)" &&
	! git -C ../origin.git rev-parse -q --verify refs/exps/eight &&
	test "$(git -C ../origin.git branch --list | wc -l)" = 1 &&
	grep -rl "^w7\$" ../store/files >/dev/null
'

test_case 'exp push to a file:// URL pushes every experiment' '
	cd repo && dv exp push "file://$TRASH/origin.git" &&
	git -C ../origin.git rev-parse -q --verify refs/exps/eight
'

test_case 'exp pull into a fresh clone brings the ref and the data' '
	git clone -q origin.git clone && cd clone && dv pull -q &&
	dv exp pull origin seven >out && assert_contains out "Pulled experiment '"'"'seven'"'"'" &&
	test "$(git rev-parse refs/exps/seven)" = "$(git -C ../repo rev-parse refs/exps/seven)" &&
	! git rev-parse -q --verify refs/exps/eight &&
	mv ../store ../store.away && dv exp apply seven && mv ../store.away ../store &&
	test "$(cat model/w)" = w7 && dv exp show --csv | grep -q "^seven,.*,7,7\$"
'

test_case 'exp pull of an experiment the remote lacks fails naming it' '
	cd clone && expect_error 1 "no experiment '"'"'nine'"'"'" dv exp pull origin nine
'

test_case 'exp push refuses a different experiment of the same name unless -f' '
	cd clone && dv exp run -q --temp -S train.lambda=9 -n eight &&
	expect_error 1 "refused" dv exp push origin eight &&
	dv exp push -f origin eight &&
	test "$(git -C ../origin.git rev-parse refs/exps/eight)" = "$(git rev-parse refs/exps/eight)"
'

if ! command -v ssh >/dev/null || ! test -x /usr/sbin/sshd; then
	test_skip 'exp push/pull over ssh:// with libgit2' 'no OpenSSH'
else
SSHD_DIR=$TEST_ROOT/sshd
test_on_exit 'sh "$DV_SOURCE_DIR/tests/servers/sshd.sh" stop "$SSHD_DIR"'
env=$(sh "$DV_SOURCE_DIR/tests/servers/sshd.sh" start "$SSHD_DIR") || { echo "Bail out! sshd did not start"; exit 1; }
eval "$env"
git init -q --bare "$TRASH/ssh-origin.git"
url="ssh://$DV_TEST_SSH_USER@127.0.0.1:$DV_TEST_SSH_PORT$TRASH/ssh-origin.git"
export DV_GIT_SSH_KEY=$SSHD_DIR/user_key
export LSAN_OPTIONS="${LSAN_BASE}suppressions=$TEST_ROOT/lsan-ssh.supp"

test_case 'exp push/pull over ssh:// (libgit2) with the host key pinned in known_hosts' '
	cd repo && expect_error 1 "hostkey" dv exp push --no-data "$url" seven &&
	mkdir -p "$HOME/.ssh" && cp "$SSHD_DIR/known_hosts" "$HOME/.ssh/known_hosts" &&
	dv exp push --no-data "$url" seven &&
	test "$(git -C ../ssh-origin.git rev-parse refs/exps/seven)" = "$(git rev-parse refs/exps/seven)" &&
	cd ../clone && dv exp remove seven && dv exp pull "$url" seven &&
	test "$(git rev-parse refs/exps/seven)" = "$(git -C ../repo rev-parse refs/exps/seven)"
'
fi

test_done
