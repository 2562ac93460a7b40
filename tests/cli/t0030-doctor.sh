#!/bin/sh
# dv doctor: version, platform and libraries anywhere; in a repository the
# cache's file system, the link types that really work here and the one
# cache.type picks, and each remote's reachability (a directory, a real
# sshd on 127.0.0.1, and dead ones), exit 1 when one is unreachable.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

test_case 'outside a repository: version, platform, libraries' '
	mkdir -p plain && cd plain && dv doctor >out &&
	grep -x "dv version [0-9.]*" out && grep "^platform: Linux .* CPUs$" out &&
	grep "^libraries: libgit2 [0-9]" out && grep -F "libcurl " out && grep -F "libarchive " out &&
	grep "^repository: none here" out &&
	expect_code 2 dv doctor extra
'

new_repo repo
test_case 'in a repository: link types tried here, the one dv uses' '
	cd repo && dv doctor >out &&
	grep -x "link types between cache and work tree: reflink \(yes\|no\), hardlink yes, symlink yes, copy yes" out &&
	grep -x "remotes: none" out && grep "^cache: $TRASH/repo/.dv/cache (" out &&
	dv config cache.type hardlink,copy && dv doctor >out &&
	grep -x "cache.type: hardlink,copy (dv uses hardlink here)" out &&
	dv config cache.type symlink && dv doctor >out && grep -x "cache.type: symlink (dv uses symlink here)" out
'

test_case 'a directory remote: reachable when it exists' '
	cd repo && dv remote add -q store ../store && expect_code 1 dv doctor >out &&
	grep -F "remote '"'"'store'"'"' (../store): NOT reachable: the directory" out &&
	mkdir ../store && dv doctor >out && grep -x "remote '"'"'store'"'"' (../store): reachable" out
'

if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null; then
	SSHD_DIR=$TEST_ROOT/sshd
	sshd_ctl() { sh "$DV_SOURCE_DIR/tests/servers/sshd.sh" "$@"; }
	trap 'sshd_ctl stop "$SSHD_DIR"' EXIT
	trap 'exit 1' HUP INT TERM
	env=$(sshd_ctl start "$SSHD_DIR") || { echo "Bail out! sshd did not start"; exit 1; }
	eval "$env"
	test_case 'an ssh remote answers; a stopped one does not' '
		cd repo && mkdir -p ../sshstore &&
		dv remote add -q ssh "ssh://$DV_TEST_SSH_HOST$TRASH/sshstore" && dv doctor >out &&
		grep -F "remote '"'"'ssh'"'"' (ssh://" out | grep -F ": reachable" &&
		sshd_ctl stop "$SSHD_DIR" && expect_code 1 dv doctor >out &&
		grep -F "remote '"'"'ssh'"'"' (ssh://" out | grep -F "NOT reachable" &&
		dv remote remove ssh
	'
else
	test_skip 'an ssh remote answers; a stopped one does not' 'no OpenSSH server'
fi

test_done
