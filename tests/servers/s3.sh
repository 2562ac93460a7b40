#!/usr/bin/env bash
# s3.sh - a real S3-compatible object store on 127.0.0.1 for dv's tests and
# benchmarks: OpenStack Swift (Debian's packages) as a single node, with its
# s3api middleware (the S3 REST API, SigV4 checked) in front of tempauth and
# memcached as the proxy's cache.  Config, rings, data, logs and pids all
# live in one directory; nothing listens beyond 127.0.0.1.
#
#   eval "$(tests/servers/s3.sh start)"   install if missing, start (or reuse),
#                                         create the bucket, print export lines
#   tests/servers/s3.sh stop              stop it; data and port are kept, so
#                                         a later start serves the same objects
#   tests/servers/s3.sh purge             stop and delete S3_DIR
#   tests/servers/s3.sh status            exit 0 when it answers
#   tests/servers/s3.sh env               print the export lines
#
# Environment:
#   S3_DIR      the directory holding everything (start: a new mktemp -d
#               when unset; the other commands need it)
#   S3_PORT     endpoint port (start: a free one is chosen when unset; the
#               backends use S3_PORT+10..+13); remembered in S3_DIR
#   S3_BUCKET   bucket made at start (dv-test)
#
# A failure to install or start is an error (exit 1, the reason on stderr),
# never a skip: the tests that need this server must fail loudly.
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail

HOST=127.0.0.1
BUCKET=${S3_BUCKET:-dv-test}
REGION=us-east-1
# tempauth names a user "account:user"; a colon cannot pass through
# CURLOPT_USERPWD (or curl --user), so a small filter (below) lets this
# colon-free access key stand for that user.  The signature is still checked.
ACCESS=DVTESTACCESSKEY00001
SECRET=dvtestsecret0123456789abcdefghijklmnopqr
SWIFT_USER=dv:tester
SERVICES="memcached account-server container-server object-server object-updater proxy-server"
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)

say() { echo "s3.sh: $*" >&2; }
die() { echo "s3.sh: error: $*" >&2; exit 1; }

cmd=${1:-start}
case $cmd in start|stop|purge|status|env) ;; *) die "usage: s3.sh [start|stop|purge|status|env]";; esac

if [[ -z ${S3_DIR:-} ]]; then
	[[ $cmd == start ]] || die "S3_DIR is not set (the directory 's3.sh start' printed)"
	S3_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dv-s3.XXXXXX")
fi
mkdir -p "$S3_DIR"
DIR=$(cd "$S3_DIR" && pwd)   # Swift chdirs to /: every path must be absolute

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
ports_free() { # ports_free BASE: the endpoint and the four backend ports
	local p
	for p in "$1" $(($1 + 10)) $(($1 + 11)) $(($1 + 12)) $(($1 + 13)); do
		port_busy "$p" && return 1
	done
	return 0
}

if [[ -s $DIR/port ]]; then
	PORT=$(cat "$DIR/port")
elif [[ -n ${S3_PORT:-} ]]; then
	PORT=$S3_PORT
elif [[ $cmd == start ]]; then
	PORT=
	# Below the kernel's ephemeral range: an outgoing connection (Swift's
	# own, or a test's) or a bind(0) server of another test could
	# otherwise take the port between this check and Swift's bind.
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	span=$((low - 20000 - 20))
	(( span > 100 )) || span=12000
	for _ in $(seq 1 50); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % span))
		if ports_free "$p"; then PORT=$p; break; fi
	done
	[[ -n $PORT ]] || die "no free ports found on $HOST"
else
	die "no server was started in '$DIR'"
fi
case $PORT in ''|*[!0-9]*) die "S3_PORT must be a number, not '$PORT'";; esac
OPORT=$((PORT + 10)) CPORT=$((PORT + 11)) APORT=$((PORT + 12)) MPORT=$((PORT + 13))
ENDPOINT=http://$HOST:$PORT

print_env() {
	cat <<EOF
export S3_DIR='$DIR'
export S3_ENDPOINT=$ENDPOINT
export S3_REGION=$REGION
export S3_BUCKET=$BUCKET
export AWS_ACCESS_KEY_ID=$ACCESS
export AWS_SECRET_ACCESS_KEY=$SECRET
EOF
}

# --- processes ---------------------------------------------------------------
# Every server runs in a session of its own (setsid), so its pid is also the
# process group of the workers it forks; "pid starttime" in run/NAME.pid lets
# stop tell our process from a later one that got the same pid.
field() { # field PID N: field N of /proc/PID/stat (1 = state, after the name)
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	awk -v n="$2" '{print $n}' <<<"$s"
}
alive() { local st; st=$(field "$1" 1); [[ -n $st && $st != Z ]]; }
ours() { # ours NAME: the saved pid still names the process we started
	local pid st
	read -r pid st 2>/dev/null <"$DIR/run/$1.pid" || return 1
	[[ -n $pid && -n $st ]] && alive "$pid" && [[ $(field "$pid" 20) == "$st" ]]
}

launch() { # launch NAME COMMAND...
	local name=$1 pid st=
	shift
	PYTHONPATH="$DIR/lib${PYTHONPATH:+:$PYTHONPATH}" setsid "$@" </dev/null >>"$DIR/log/$name.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 20); do
		st=$(field "$pid" 20)
		[[ -n $st ]] && break
		sleep 0.05
	done
	echo "$pid $st" >"$DIR/run/$name.pid"
}

stop_all() {
	local s pid st left
	for s in $SERVICES; do
		[[ -f $DIR/run/$s.pid ]] || continue
		if ours "$s"; then
			read -r pid st <"$DIR/run/$s.pid"
			kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do
				left=$(ps -eo pid=,pgid= | awk -v g="$pid" '$2 == g {print $1}' | while read -r p; do if alive "$p"; then echo "$p"; fi; done)
				[[ -z $left ]] && break
				sleep 0.1
			done
			[[ -z $left ]] || kill -KILL -- "-$pid" 2>/dev/null || true
			say "stopped $s"
		fi
		rm -f "$DIR/run/$s.pid"
	done
}

healthy() {
	local s
	for s in $SERVICES; do ours "$s" || return 1; done
	[[ $(curl -s -m 3 "$ENDPOINT/healthcheck" 2>/dev/null) == OK ]]
}

# --- installation --------------------------------------------------------------
installed() {
	command -v swift-proxy-server && command -v swift-object-server &&
		command -v swift-container-server && command -v swift-account-server &&
		command -v swift-object-updater && command -v memcached && command -v curl &&
		/usr/bin/python3 -c 'import swift.common.middleware.s3api.s3api'
}

install_server() {
	installed >/dev/null 2>&1 && return 0
	say "Swift or memcached is missing: installing through contrib/install-deps.sh"
	# Keep the packages from starting system-wide daemons while installing.
	local policy=/usr/sbin/policy-rc.d made=
	if [[ $(id -u) == 0 && ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made=1
	fi
	local rc=0
	sh "$SRC_DIR/contrib/install-deps.sh" </dev/null >&2 || rc=$?
	[[ -n $made ]] && rm -f "$policy"
	[[ $rc == 0 ]] || die "contrib/install-deps.sh failed (exit $rc): install swift swift-proxy swift-account swift-container swift-object python3-swift memcached"
	installed >/dev/null 2>&1 || die "Swift is still not usable after installing (swift-proxy-server, python3-swift s3api, memcached)"
}

# --- configuration -------------------------------------------------------------
write_config() {
	local user
	user=$(id -un)
	mkdir -p "$DIR"/{etc,lib,srv/d1,run,log,cache}
	# Swift reads the hash path prefix/suffix and storage policies from
	# /etc/swift/swift.conf (the package's), whatever swift_dir says.
	grep -q '^\[swift-hash\]' /etc/swift/swift.conf 2>/dev/null ||
		die "/etc/swift/swift.conf is missing; reinstall it: apt-get install --reinstall -o Dpkg::Options::=--force-confmiss swift"

	cat >"$DIR/lib/dv_s3_test.py" <<'EOF'
"""Hooks for the test Swift that dv's tests/servers/s3.sh runs.

alias_filter sits between s3api and tempauth: it renames the colon-free test
access key to the tempauth user ("account:user") it stands for; tempauth still
verifies the request's signature with that user's key.

console_only drops Swift's syslog handler so the servers log to stderr only,
which s3.sh sends to files under the server directory.
"""
import logging.handlers


def alias_filter(global_conf, **local_conf):
    alias, user = local_conf['access_key'], local_conf['swift_user']

    def wrap(app):
        def call(env, start_response):
            auth = env.get('s3api.auth_details')
            if auth and auth.get('access_key') == alias:
                auth['access_key'] = user
                env['PATH_INFO'] = env.get('PATH_INFO', '').replace(
                    '/' + alias, '/' + user, 1)
            return app(env, start_response)
        return call
    return wrap


def console_only(conf, name, log_to_console, log_route, fmt, logger,
                 adapted_logger):
    for handler in list(logger.handlers):
        if isinstance(handler, logging.handlers.SysLogHandler):
            logger.removeHandler(handler)
EOF

	local common="user = $user
swift_dir = $DIR/etc
devices = $DIR/srv
mount_check = false
log_custom_handlers = dv_s3_test.console_only
recon_cache_path = $DIR/cache
workers = 1
bind_ip = $HOST
log_level = WARNING"
	local kind port
	for kind in account container object; do
		case $kind in account) port=$APORT;; container) port=$CPORT;; object) port=$OPORT;; esac
		cat >"$DIR/etc/$kind-server.conf" <<EOF
[DEFAULT]
bind_port = $port
log_name = $kind-server
$common

[pipeline:main]
pipeline = healthcheck $kind-server

[app:$kind-server]
use = egg:swift#$kind
log_requests = false

[filter:healthcheck]
use = egg:swift#healthcheck
EOF
	done
	# Answer a PUT or DELETE only once the container listing knows it, so a
	# listing right after sees the change (the updater retries stragglers).
	cat >>"$DIR/etc/object-server.conf" <<EOF
container_update_timeout = 10

[object-updater]
interval = 5
concurrency = 1
EOF

	cat >"$DIR/etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = $HOST
bind_port = $PORT
workers = 1
user = $user
swift_dir = $DIR/etc
log_custom_handlers = dv_s3_test.console_only
log_name = proxy-server
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api alias tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:s3api]
use = egg:swift#s3api
location = $REGION

[filter:alias]
paste.filter_factory = dv_s3_test:alias_filter
access_key = $ACCESS
swift_user = $SWIFT_USER

[filter:tempauth]
use = egg:swift#tempauth
user_${SWIFT_USER/:/_} = $SECRET .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = $HOST:$MPORT

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOF

	# One device, one replica, 64 partitions; built once per port set, in
	# one python run (swift-ring-builder three times over is much slower).
	local stamp="$OPORT $CPORT $APORT"
	if [[ $(cat "$DIR/etc/rings.stamp" 2>/dev/null) != "$stamp" || ! -s $DIR/etc/object.ring.gz ]]; then
		/usr/bin/python3 - "$DIR/etc" "$HOST" "$OPORT" "$CPORT" "$APORT" <<'EOF' || die "cannot build the Swift rings"
import os, sys
from swift.common.ring import RingBuilder
etc, host = sys.argv[1], sys.argv[2]
for kind, port in zip(('object', 'container', 'account'), sys.argv[3:]):
    rb = RingBuilder(6, 1, 1)
    rb.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': host, 'port': int(port),
                'device': 'd1', 'weight': 100, 'meta': ''})
    rb.rebalance()
    rb.save(os.path.join(etc, kind + '.builder'))
    rb.get_ring().save(os.path.join(etc, kind + '.ring.gz'))
EOF
		echo "$stamp" >"$DIR/etc/rings.stamp"
	fi
}

start_all() {
	local p s
	for p in $PORT $OPORT $CPORT $APORT $MPORT; do
		port_busy "$p" && die "port $p on $HOST is in use (choose another S3_PORT; the backends use +10..+13)"
	done
	launch memcached memcached -l "$HOST" -p "$MPORT" -U 0 -m 64 -c 1024 -u "$(id -un)"
	for s in account-server container-server object-server; do
		launch "$s" "swift-$s" "$DIR/etc/$s.conf" -v
	done
	launch object-updater swift-object-updater "$DIR/etc/object-server.conf" -v
	launch proxy-server swift-proxy-server "$DIR/etc/proxy-server.conf" -v
	for _ in $(seq 1 160); do
		local up=1
		for p in $PORT $OPORT $CPORT $APORT; do
			[[ $(curl -s -m 2 "http://$HOST:$p/healthcheck" 2>/dev/null) == OK ]] || { up=; break; }
		done
		[[ -n $up ]] && return 0
		for s in $SERVICES; do
			ours "$s" && continue
			tail -n 20 "$DIR/log/$s.log" >&2 || true
			stop_all
			die "$s exited while starting (log: $DIR/log/$s.log)"
		done
		sleep 0.25
	done
	stop_all
	die "Swift does not answer on $ENDPOINT after 40 s (logs in $DIR/log)"
}

# curl's own SigV4 signing; the payload hash header is required by s3api.
s3_status() { # s3_status METHOD PATH
	curl -s -o /dev/null -w '%{http_code}' -m 30 -X "$1" --aws-sigv4 "aws:amz:$REGION:s3" \
		--user "$ACCESS:$SECRET" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$ENDPOINT$2"
}

make_bucket() {
	local code=
	for _ in $(seq 1 60); do
		code=$(s3_status HEAD "/$BUCKET" || true)
		[[ $code == 200 ]] && return 0
		[[ $code == 404 ]] && s3_status PUT "/$BUCKET" >/dev/null || sleep 0.5
	done
	die "bucket '$BUCKET' is not ready (last HTTP status $code; logs in $DIR/log)"
}

case $cmd in
start)
	if healthy; then
		say "already running at $ENDPOINT ($DIR)"
	else
		install_server
		[[ -d $DIR/run ]] && stop_all
		write_config
		echo "$PORT" >"$DIR/port"
		start_all
		say "started at $ENDPOINT ($DIR)"
	fi
	make_bucket
	print_env
	;;
stop) [[ -d $DIR/run ]] && stop_all; true ;;
purge) [[ -d $DIR/run ]] && stop_all; rm -rf -- "$DIR"; say "removed $DIR" ;;
status) healthy || { say "not running ($DIR)"; exit 1; }; say "running at $ENDPOINT" ;;
env) print_env ;;
esac
