#!/bin/sh
# sshd.sh - a private OpenSSH server on 127.0.0.1 for the SSH remote tests
# and benchmarks: a free port, a generated host key and user key, no
# passwords, everything (config, keys, pid, log) inside DIR.
#
#   eval "$(sh tests/servers/sshd.sh start DIR)"   start; print export lines
#   sh tests/servers/sshd.sh stop DIR              stop the server and every
#                                                  session it is serving
#
# The export lines tell the tests how to reach it:
#   DV_SSH_COMMAND         "ssh -F DIR/ssh_config": dv runs this instead of
#                          plain ssh (see dv-remote(1)); the generated config
#                          pins the host key (StrictHostKeyChecking yes) and
#                          the user key, so nothing reads ~/.ssh or stdin
#   DV_TEST_SSH_HOST       "dvtest", a Host alias for 127.0.0.1:PORT
#   DV_TEST_SSH_BADHOST    "dvtest-wrongkey": the same server, a key it does
#                          not accept (wrong-credentials tests)
#   DV_TEST_SSH_PORT, DV_TEST_SSH_USER
#
# Running as root (CI), sshd insists on its privilege-separation directory
# /run/sshd.  When it is missing the server is started in a private mount
# namespace whose /run is a directory inside DIR, so nothing is created
# outside DIR; where namespaces are not allowed, /run/sshd is created as the
# openssh-server package itself would.
set -eu

SSHD=${SSHD:-/usr/sbin/sshd}
PYTHON=${PYTHON:-/usr/bin/python3}

die() { echo "sshd.sh: error: $*" >&2; exit 1; }

free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Every descendant of pid $1 (children first), then $1 itself.
process_tree() {
	ps -e -o pid= -o ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END {
			for (p in parent) {
				q = p
				while (q != "" && q != root && q != 1 && q != 0) q = parent[q]
				if (q == root && p != root) print p
			}
			print root
		}'
}

start() {
	dir=$1
	[ -x "$SSHD" ] || die "no OpenSSH server at '$SSHD': install the Debian package 'openssh-server'"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	user=$(id -un)
	rm -f "$dir/host_key" "$dir/host_key.pub" "$dir/user_key" "$dir/user_key.pub" \
	      "$dir/wrong_key" "$dir/wrong_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C dv-test-host -f "$dir/host_key" </dev/null
	ssh-keygen -q -t ed25519 -N '' -C dv-test-user -f "$dir/user_key" </dev/null
	ssh-keygen -q -t ed25519 -N '' -C dv-test-wrong -f "$dir/wrong_key" </dev/null
	cp "$dir/user_key.pub" "$dir/authorized_keys"

	namespace=
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -p "$dir/run/sshd"
		chmod 755 "$dir/run/sshd"
		if unshare -m true 2>/dev/null; then
			namespace=yes
		else
			mkdir -p /run/sshd && chmod 755 /run/sshd
		fi
	fi

	tries=0
	while :; do
		tries=$((tries + 1))
		port=$(free_port)
		cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PrintMotd no
MaxSessions 50
MaxStartups 50
LogLevel VERBOSE
CONF
		: >"$dir/sshd.log"
		if [ -n "$namespace" ]; then
			unshare -m sh -c 'mount --bind "$1/run" /run && exec "$2" -D -f "$1/sshd_config" -E "$1/sshd.log"' \
				sshd-ns "$dir" "$SSHD" </dev/null >/dev/null 2>&1 &
		else
			"$SSHD" -D -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >/dev/null 2>&1 &
		fi
		pid=$!
		echo "$pid" >"$dir/server.pid"
		up=
		for _ in $(seq 100); do
			if grep -q 'Server listening' "$dir/sshd.log" 2>/dev/null; then
				up=yes
				break
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		[ -n "$up" ] && break
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		[ "$tries" -lt 5 ] || die "sshd did not start: $(tail -n 3 "$dir/sshd.log")"
	done

	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_key.pub")" >"$dir/known_hosts"
	cat >"$dir/ssh_config" <<CONF
Host dvtest 127.0.0.1
  HostName 127.0.0.1
  Port $port
  User $user
  IdentityFile $dir/user_key
Host dvtest-wrongkey
  HostName 127.0.0.1
  Port $port
  User $user
  IdentityFile $dir/wrong_key
Host *
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  PasswordAuthentication no
  ConnectTimeout 10
  LogLevel ERROR
CONF
	cat <<ENV
export DV_SSH_COMMAND='ssh -F $dir/ssh_config'
export DV_TEST_SSH_HOST=dvtest
export DV_TEST_SSH_BADHOST=dvtest-wrongkey
export DV_TEST_SSH_PORT=$port
export DV_TEST_SSH_USER=$user
ENV
}

stop() {
	dir=$1
	[ -f "$dir/server.pid" ] || return 0
	pid=$(cat "$dir/server.pid")
	# The listener and every per-connection sshd and session under it: a
	# stopped server drops the transfers it was serving, as a crash would.
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 $(process_tree "$pid") 2>/dev/null || true
	fi
	for _ in $(seq 50); do
		case $(ps -o stat= -p "$pid" 2>/dev/null) in
		''|Z*) break ;;
		esac
		sleep 0.05
	done
	rm -f "$dir/server.pid"
}

case "${1:-}" in
start) [ $# -eq 2 ] || die "usage: sshd.sh start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: sshd.sh stop DIR"; stop "$2" ;;
*) die "usage: sshd.sh start|stop DIR" ;;
esac
