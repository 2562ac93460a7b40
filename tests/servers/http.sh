#!/bin/sh
# http.sh - a plain, read-only HTTP server on 127.0.0.1 for the HTTP remote
# tests: python3's http.server on a free port, serving ROOT.
#
#   eval "$(sh tests/servers/http.sh start DIR ROOT [PORT])"
#                                                        start (on PORT, or a
#                                                        free port); print exports
#   sh tests/servers/http.sh stop DIR                    stop it
#
# DIR holds the pid and the log.  The export line:
#   DV_TEST_HTTP_URL   http://127.0.0.1:PORT (ROOT is the document root)
set -eu

PYTHON=${PYTHON:-/usr/bin/python3}

die() { echo "http.sh: error: $*" >&2; exit 1; }

free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

answers() {
	"$PYTHON" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$1" 2>/dev/null
}

start() {
	dir=$1 root=$2 want_port=${3:-}
	[ -x "$PYTHON" ] || die "no python3 at '$PYTHON': install the Debian package 'python3'"
	mkdir -p "$dir" "$root"
	dir=$(cd "$dir" && pwd)
	root=$(cd "$root" && pwd)
	tries=0
	while :; do
		tries=$((tries + 1))
		port=${want_port:-$(free_port)}
		# python3 -m http.server, with a listen backlog deep enough for
		# dv's parallel requests (the default 5 drops connections, which
		# then wait a second for a TCP retransmit).
		"$PYTHON" -c 'import functools, http.server, sys
http.server.ThreadingHTTPServer.request_queue_size = 128
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()' \
			"$port" "$root" </dev/null >"$dir/http.log" 2>&1 &
		pid=$!
		echo "$pid" >"$dir/http.pid"
		up=
		for _ in $(seq 100); do
			if answers "$port"; then
				up=yes
				break
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		[ -n "$up" ] && break
		kill "$pid" 2>/dev/null || true
		[ "$tries" -lt 5 ] || die "the HTTP server did not start: $(tail -n 3 "$dir/http.log")"
	done
	echo "export DV_TEST_HTTP_URL=http://127.0.0.1:$port"
}

stop() {
	dir=$1
	[ -f "$dir/http.pid" ] || return 0
	pid=$(cat "$dir/http.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		case $(ps -o stat= -p "$pid" 2>/dev/null) in
		''|Z*) break ;;
		esac
		sleep 0.05
	done
	rm -f "$dir/http.pid"
}

case "${1:-}" in
start) [ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: http.sh start DIR ROOT [PORT]"; start "$2" "$3" "${4:-}" ;;
stop) [ $# -eq 2 ] || die "usage: http.sh stop DIR"; stop "$2" ;;
*) die "usage: http.sh start DIR ROOT [PORT] | stop DIR" ;;
esac
