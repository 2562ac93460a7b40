#!/bin/sh
# Git over https through libgit2: the CA bundle dv reads only when a TLS
# connection is made (src/cli/mbedtls_lazy.c), yet every certificate is
# checked against it.  A real TLS server on 127.0.0.1 (python3's ssl)
# with a certificate signed by a CA made here; the system bundle
# (/etc/ssl/certs/ca-certificates.crt) is replaced by that CA's in a
# private mount namespace (unshare -m: root only) to show the deferred
# bundle really is the one verification uses.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

BUNDLE=/etc/ssl/certs/ca-certificates.crt
# The shared libgit2 of sanitizer builds leaks PCRE2 match data on its
# error path (not dv's; t4310 has the same suppression).
printf 'leak:libpcre2-8.so\n' >"$TEST_ROOT/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TEST_ROOT/lsan.supp"
new_repo repo

# Only a dv linked with libgit2.a defers it (sanitizer builds link the
# shared library, which parses the bundle at init).
if ldd "$DV" | grep -q libgit2; then
	test_skip 'a command that opens the git repository does not read the CA bundle' 'dv links the shared libgit2'
else
	test_case 'a command that opens the git repository does not read the CA bundle' '
		cd repo && [ -f "$BUNDLE" ] &&
		strace -f -e trace=open,openat -o ../trace "$DV" exp list >/dev/null &&
		grep -F "/.git/config" ../trace >/dev/null && assert_not_contains ../trace "$BUNDLE"
	'
fi

# ca.pem signs srv.pem, made out to 127.0.0.1 (IP and DNS names, as
# mbedTLS matches the host as a string).
mkdir -p tls
(cd tls && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
	-subj "/CN=dv test CA" 2>/dev/null &&
 openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" 2>/dev/null &&
 printf 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext &&
 openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
	-extfile ext 2>/dev/null) || { echo "Bail out! openssl could not make the test certificates"; exit 1; }
# Every request is answered 404: reaching that answer means the
# handshake, and with it the certificate check, passed.
cat >tls/srv.py <<'EOF'
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
python3 tls/srv.py tls/srv.pem tls/srv.key >tls/port 2>tls/log &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
trap 'exit 1' HUP INT TERM
n=0
while [ ! -s tls/port ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
[ -s tls/port ] || { echo "Bail out! the TLS server did not start"; cat tls/log; exit 1; }
URL=https://127.0.0.1:$(cat tls/port)/data.git

test_case 'a server whose CA is not in the bundle is refused' '
	cd repo && expect_code 1 dv ls "$URL" 2>err &&
	grep -F "certificate" err && assert_not_contains err "404"
'

if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	test_case 'the bundle, read at the handshake, verifies a server its CA signed' '
		cd repo && expect_code 1 unshare -m sh -c "mount --bind \"$TRASH/tls/ca.pem\" $BUNDLE && exec \"$DV\" ls \"$URL\"" 2>err &&
		grep -F "unexpected http status code: 404" err && assert_not_contains err "certificate"
	'
else
	test_skip 'the bundle, read at the handshake, verifies a server its CA signed' 'needs root and unshare -m'
fi

test_done
