/*
 * mbedtls_lazy.c - libgit2.a's CA certificates, parsed at the first TLS
 * handshake instead of at git_libgit2_init.
 *
 * libgit2 (built by Debian on mbedTLS) parses the whole system CA bundle,
 * about 140 PEM certificates, when it is initialised: ~4.7 ms of CPU at
 * every start of every dv command that opens a git repository, a tenth of
 * an experiment's whole overhead (two dv processes), paid again by every
 * git hook that runs dv.  Only a clone, fetch or push over https ever
 * looks at those certificates.  The linker's --wrap (CMakeLists.txt)
 * sends libgit2's two parse calls here: they note the chain and the
 * file or directory, and answer success.  The first handshake, read or
 * write on a TLS session parses what was noted into that same chain,
 * which libgit2 has meanwhile handed to its TLS configuration, so the
 * verification sees exactly the certificates it would have.
 *
 * Each set of locations libgit2 is given (at init, or later through
 * GIT_OPT_SET_SSL_CERT_LOCATIONS) is parsed into a new chain that
 * replaces, and frees, the one before: only the newest chain's noted
 * locations are kept.  A bundle that fails to parse then leaves the chain
 * short, and the server's certificate fails verification, as it would
 * have (libgit2's fallback to /etc/ssl/certs applies only when the first
 * location is not a file or directory at all, which it checks itself).
 *
 * Built only into a dv that links libgit2.a; a shared libgit2 keeps its
 * own behaviour.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Opaque here: only pointers pass through. */
struct mbedtls_x509_crt;
struct mbedtls_ssl_context;

int __real_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path);
int __real_mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path);
int __real_mbedtls_ssl_handshake(struct mbedtls_ssl_context *ssl);
int __real_mbedtls_ssl_read(struct mbedtls_ssl_context *ssl, unsigned char *buf, size_t len);
int __real_mbedtls_ssl_write(struct mbedtls_ssl_context *ssl, const unsigned char *buf, size_t len);

#define DV_TLS_LOCAL __attribute__((visibility("hidden")))

DV_TLS_LOCAL int __wrap_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path);
DV_TLS_LOCAL int __wrap_mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path);
DV_TLS_LOCAL int __wrap_mbedtls_ssl_handshake(struct mbedtls_ssl_context *ssl);
DV_TLS_LOCAL int __wrap_mbedtls_ssl_read(struct mbedtls_ssl_context *ssl, unsigned char *buf, size_t len);
DV_TLS_LOCAL int __wrap_mbedtls_ssl_write(struct mbedtls_ssl_context *ssl, const unsigned char *buf,
					  size_t len);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct mbedtls_x509_crt *pending_chain;
static char *pending_file, *pending_dir;

static void forget(void)
{
	free(pending_file);
	free(pending_dir);
	pending_file = pending_dir = NULL;
	pending_chain = NULL;
}

static int note(struct mbedtls_x509_crt *chain, const char *path, char **slot,
		int (*now)(struct mbedtls_x509_crt *, const char *))
{
	char *copy = strdup(path);
	if (!copy)
		return now(chain, path); /* no memory to defer: parse as libgit2 asked */
	pthread_mutex_lock(&lock);
	if (pending_chain != chain)
		forget();
	pending_chain = chain;
	free(*slot);
	*slot = copy;
	pthread_mutex_unlock(&lock);
	return 0;
}

int __wrap_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	return note(chain, path, &pending_file, __real_mbedtls_x509_crt_parse_file);
}

int __wrap_mbedtls_x509_crt_parse_path(struct mbedtls_x509_crt *chain, const char *path)
{
	return note(chain, path, &pending_dir, __real_mbedtls_x509_crt_parse_path);
}

/* In the order libgit2 parses them: the file, then the directory. */
static void load_pending(void)
{
	pthread_mutex_lock(&lock);
	if (pending_chain) {
		int rc = 0;
		if (pending_file)
			rc = __real_mbedtls_x509_crt_parse_file(pending_chain, pending_file);
		if (rc >= 0 && pending_dir)
			__real_mbedtls_x509_crt_parse_path(pending_chain, pending_dir);
		forget();
	}
	pthread_mutex_unlock(&lock);
}

int __wrap_mbedtls_ssl_handshake(struct mbedtls_ssl_context *ssl)
{
	load_pending();
	return __real_mbedtls_ssl_handshake(ssl);
}

/* A read or write on a session not yet shaken hands does the handshake. */
int __wrap_mbedtls_ssl_read(struct mbedtls_ssl_context *ssl, unsigned char *buf, size_t len)
{
	load_pending();
	return __real_mbedtls_ssl_read(ssl, buf, len);
}

int __wrap_mbedtls_ssl_write(struct mbedtls_ssl_context *ssl, const unsigned char *buf, size_t len)
{
	load_pending();
	return __real_mbedtls_ssl_write(ssl, buf, len);
}
