/*
 * remote_s3.c - the S3 remote kind: any S3-compatible store (AWS S3, MinIO,
 * Ceph radosgw, OpenStack Swift's s3api) through libcurl, signed with
 * libcurl's own SigV4 (CURLOPT_AWS_SIGV4).
 *
 * What is there is learnt from one paginated ListObjectsV2 listing, never a
 * HEAD per object.  Transfers run on a small pool of threads, one curl easy
 * handle each (kept between requests, so connections are reused); a batch
 * of small objects is spread over the pool one object per task, and a
 * large object is uploaded as a multipart upload whose parts are spread
 * over the pool.  S3 makes an object visible only when its PUT or its
 * CompleteMultipartUpload succeeds, so nothing partial is ever seen under
 * a final name; a failed multipart upload is aborted.  What push sends is
 * hashed as it is read (s3_verify for a single PUT, parts read in order
 * for a multipart one): a corrupt cache object's PUT is cut off before
 * its last byte, its multipart upload aborted, so it never appears.  Downloads land in a
 * cache temp file and enter the cache through dv_cache_adopt_tmp, which
 * re-hashes them.
 *
 * Objects below remote.NAME.pack_threshold travel in packs (pack.h,
 * dv-remote(5)): built in .dv/packs from the cache (each object hashed as
 * it is read), uploaded pack first and index last, read back with
 * coalesced Range GETs; gc retires and repacks them under the grace rule,
 * and a push after --verify-remote found corrupt packed copies rewrites
 * their packs without them.
 *
 * Failures are retried (5 tries, exponential backoff with jitter) when
 * they may pass: 5xx, 429, connection errors.  A failure that will not
 * pass for any object (refused credentials, wrong region, missing bucket,
 * unreachable endpoint) stops the whole batch at once instead of being
 * repeated for each object.
 *
 * libcurl 7.88 facts this file relies on: it signs the query string as
 * written, so every query is built canonical (s3_proto.c); it neither adds
 * nor computes x-amz-content-sha256, so UNSIGNED-PAYLOAD is sent (dv
 * re-hashes what it fetches anyway); uploads need a Content-Length
 * (CURLOPT_INFILESIZE_LARGE), as chunked bodies are refused.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/objects.h"
#include "dv/pack.h"
#include "remote_kinds.h"
#include "s3_proto.h"

#define S3_TRIES 5
#define S3_BACKOFF_MS 250
#define S3_DEFAULT_JOBS 8
#define S3_MAX_JOBS 64
#define S3_DEFAULT_REGION "us-east-1"

typedef struct s3_remote s3_remote;

/* One connection: a curl easy handle used by one thread at a time. */
typedef struct {
	CURL *easy;
	s3_remote *r;
	unsigned seed;
	char errbuf[CURL_ERROR_SIZE];
} s3_conn;

struct s3_remote {
	dv_remote base;
	char *bucket;
	char *prefix;      /* "" or "a/b": keys are "<prefix>/<relpath>" */
	char *endpoint;    /* for messages: "http://127.0.0.1:9000" */
	char *bucket_url;  /* the bucket's own URL (listing) */
	char *object_base; /* object URL = object_base + "/" + key */
	char *region;
	char *sigv4;       /* "aws:amz:REGION:s3" */
	dv_s3_credentials creds;
	char *cred_source; /* where the credentials came from, for messages */
	/* Request headers: plain, and for POSTs (which curl would otherwise
	 * label as a form, a label Swift keeps on the object). */
	struct curl_slist *headers, *xml_headers, *post_headers;
	uint64_t part_size;
	curl_off_t max_speed; /* test hook DV_TEST_S3_MAX_SPEED: bytes/s per connection */
	s3_conn *conns;
	size_t nconns;
	/* The first error of the current operation that dooms every request
	 * (refused credentials, unreachable endpoint...); set once. */
	pthread_mutex_t mu;
	int fatal_rc;
	char *fatal_msg;
	/* Packs (pack.h): remote.NAME.pack_threshold and pack_size,
	 * gc.remote_grace (seconds), and the indexes read so far. */
	uint64_t pack_threshold, pack_size;
	int64_t grace;
	dv_pack_set packs;
	bool packs_loaded;
	/* Packed copies a fetch found corrupt (pack_copy, under mu): a push
	 * that replaced them (push --verify-remote) rewrites their packs
	 * without them. */
	dv_vec bad_copies;
	dv_strvec bad_loose; /* loose objects a fetch found corrupt (under mu) */
};

/* One object's copy inside a pack, by the pack's name and its offset. */
typedef struct {
	char pack[DV_HASH_HEXLEN + 1];
	uint64_t offset;
} pack_copy;

/* --- one request, with retries ------------------------------------------- */

/* Hashing a PUT body from a file as curl reads it (push checks what it
 * sends at no extra read).  Retries re-read the body from its start;
 * only the first pass, which reads every byte in order, is hashed. */
typedef struct {
	dv_hasher *hs;
	uint64_t hashed;  /* bytes hashed so far, from offset 0 */
	int verdict;      /* 0 unknown, 1 the bytes match, -1 they do not */
	dv_hash expected, got;
} s3_verify;

typedef struct {
	const char *method; /* GET PUT POST DELETE HEAD */
	const char *key;    /* full object key; NULL for the bucket itself */
	const char *query;  /* canonical (dv_s3_query_format), or NULL */
	int in_fd;          /* PUT body: [in_off, in_off + in_len) of in_fd ... */
	uint64_t in_off, in_len;
	const char *in_mem; /* ... or in_len bytes of memory (also POST) */
	int out_fd;         /* a 2xx GET body goes here; -1: into resp.body */
	dv_progress *progress;
	const char *what;   /* for messages: "upload 'files/...'" */
	s3_verify *verify;  /* PUT from in_fd: hash the body; a mismatch
			     * aborts before its last byte is sent */
	const char *range;  /* GET: "FIRST-LAST" bytes only (packs), or NULL */
	/* GET into resp.body: called as 2xx bytes arrive, so that a prefix
	 * can be used while the rest is on its way (a retry starts the body
	 * again from empty). */
	void (*on_body)(void *ud, long status, const dv_buf *body);
	void *on_body_ud;
} s3_req;

typedef struct {
	long status;
	dv_buf body;
	dv_buf etag;
	dv_buf bucket_region; /* x-amz-bucket-region, on redirects */
	int64_t last_modified; /* HEAD: Last-Modified, Unix seconds (-1: none) */
} s3_resp;

#define S3_RESP_INIT { 0, DV_BUF_INIT, DV_BUF_INIT, DV_BUF_INIT, -1 }

static void s3_resp_free(s3_resp *resp)
{
	dv_buf_free(&resp->body);
	dv_buf_free(&resp->etag);
	dv_buf_free(&resp->bucket_region);
}

/* The state of one attempt, shared with curl's callbacks. */
typedef struct {
	s3_conn *c;
	const s3_req *req;
	s3_resp *resp;
	uint64_t sent, got;
	uint64_t *reported; /* bytes counted in progress, across attempts */
	int io_errno;       /* a local read or write failed */
	bool io_write;
} s3_xfer;

static void count_progress(s3_xfer *x, uint64_t upto)
{
	if (x->req->progress && upto > *x->reported) {
		dv_progress_add(x->req->progress, 0, upto - *x->reported);
		*x->reported = upto;
	}
}

/* Feed `n` bytes read at `off` to the verifier; false when these are the
 * body's last bytes and the whole does not match (they must not go). */
static bool verify_body(s3_verify *v, uint64_t off, const char *buf, size_t n, uint64_t len)
{
	if (v->verdict == 0 && off == v->hashed) {
		dv_hasher_update(v->hs, buf, n);
		v->hashed += n;
		if (v->hashed == len) {
			dv_hasher_final(&v->got, v->hs);
			v->verdict = dv_hash_equal(&v->got, &v->expected) ? 1 : -1;
		}
	}
	return off + n < len || v->verdict == 1;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
	s3_xfer *x = ud;
	const s3_req *req = x->req;
	size_t want = size * nitems;
	uint64_t left = req->in_len - x->sent;
	ssize_t n;

	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	if (req->in_fd < 0) {
		memcpy(buf, req->in_mem + x->sent, want);
		n = (ssize_t)want;
	} else {
		do
			n = pread(req->in_fd, buf, want, (off_t)(req->in_off + x->sent));
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			x->io_errno = n < 0 ? errno : ENODATA; /* the file shrank */
			x->io_write = false;
			return CURL_READFUNC_ABORT;
		}
	}
	if (req->verify && !verify_body(req->verify, x->sent, buf, (size_t)n, req->in_len)) {
		/* The server never gets the whole body, so it stores nothing. */
		x->io_errno = EBADMSG;
		return CURL_READFUNC_ABORT;
	}
	x->sent += (uint64_t)n;
	count_progress(x, x->sent);
	return (size_t)n;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
	s3_xfer *x = ud;
	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->req->in_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	s3_xfer *x = ud;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(x->c->easy, CURLINFO_RESPONSE_CODE, &status);
	if (x->req->out_fd < 0 || status < 200 || status > 299) {
		dv_buf_add(&x->resp->body, data, n);
		if (x->req->on_body && status >= 200 && status <= 299)
			x->req->on_body(x->req->on_body_ud, status, &x->resp->body);
		return n;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(x->req->out_fd, data + done, n - done, (off_t)(x->got + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			x->io_errno = errno;
			x->io_write = true;
			return 0; /* curl stops with CURLE_WRITE_ERROR */
		}
		done += (size_t)w;
	}
	x->got += n;
	count_progress(x, x->got);
	return n;
}

/* Keep the header value of `name` (case-insensitive) in `out`. */
static void keep_header(dv_buf *out, const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	dv_buf_reset(out);
	dv_buf_add(out, line, len);
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
	s3_xfer *x = ud;
	size_t n = size * nitems;
	keep_header(&x->resp->etag, line, n, "ETag");
	keep_header(&x->resp->bucket_region, line, n, "x-amz-bucket-region");
	return n;
}

static bool is_fatal_set(s3_remote *r)
{
	bool set;
	pthread_mutex_lock(&r->mu);
	set = r->fatal_msg != NULL;
	pthread_mutex_unlock(&r->mu);
	return set;
}

/* Record the current error message as the one dooming the operation. */
static int set_fatal(s3_remote *r, int rc)
{
	pthread_mutex_lock(&r->mu);
	if (!r->fatal_msg) {
		r->fatal_rc = rc;
		r->fatal_msg = dv_strdup(dv_error_last());
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

/* Turn a final non-2xx answer into a message that says what to do. */
static int http_error(s3_conn *c, const s3_req *req, const s3_resp *resp, int tries)
{
	s3_remote *r = c->r;
	dv_buf code = DV_BUF_INIT, msg = DV_BUF_INIT, region = DV_BUF_INIT;
	const char *name = r->base.name;
	int rc;

	dv_s3_xml_get(&code, resp->body.ptr, resp->body.len, "Code");
	dv_s3_xml_get(&msg, resp->body.ptr, resp->body.len, "Message");
	if (!dv_s3_xml_get(&region, resp->body.ptr, resp->body.len, "Region"))
		dv_buf_set(&region, resp->bucket_region.ptr);

	if (resp->status == 403 && strcmp(code.ptr, "AccessDenied") != 0) {
		rc = set_fatal(r, dv_error(DV_ERROR, "s3 remote '%s' refused the credentials (%s): check the access key and secret from %s",
					   name, code.len ? code.ptr : "HTTP 403", r->cred_source));
	} else if (resp->status == 403) {
		rc = set_fatal(r, dv_error(DV_ERROR, "s3 remote '%s' denied access to 's3://%s' (AccessDenied): the credentials from %s lack the permission to %s",
					   name, r->bucket, r->cred_source, req->what));
	} else if (!strcmp(code.ptr, "AuthorizationHeaderMalformed") || !strcmp(code.ptr, "PermanentRedirect") ||
		   (resp->status == 301 && region.len)) {
		if (region.len)
			rc = dv_error(DV_ERROR, "bucket '%s' of s3 remote '%s' is in region '%s', not '%s': run 'dv remote modify %s region %s'",
				      r->bucket, name, region.ptr, r->region, name, region.ptr);
		else
			rc = dv_error(DV_ERROR, "s3 remote '%s' rejected region '%s' (%s%s%s): set the bucket's region with 'dv remote modify %s region REGION'",
				      name, r->region, code.len ? code.ptr : "HTTP 301", msg.len ? ": " : "", msg.ptr, name);
		rc = set_fatal(r, rc);
	} else if (!strcmp(code.ptr, "NoSuchBucket")) {
		rc = set_fatal(r, dv_error(DV_ENOTFOUND, "bucket '%s' of s3 remote '%s' does not exist at %s: create it or fix the remote's URL",
					   r->bucket, name, r->endpoint));
	} else if (resp->status == 404) {
		rc = dv_error(DV_ENOTFOUND, "'s3://%s/%s' does not exist (s3 remote '%s')", r->bucket, req->key ? req->key : "", name);
	} else {
		rc = dv_error(DV_ERROR, "s3 remote '%s' failed to %s: HTTP %ld%s%s%s%s%s", name, req->what, resp->status,
			      code.len ? " " : "", code.ptr, msg.len ? ": " : "", msg.ptr,
			      tries > 1 ? " (after retries)" : "");
	}
	dv_buf_free(&code);
	dv_buf_free(&msg);
	dv_buf_free(&region);
	return rc;
}

static bool retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static bool retryable_status(long status)
{
	return status >= 500 || status == 429 || status == 408;
}

static void backoff(s3_conn *c, int attempt)
{
	unsigned ms = S3_BACKOFF_MS << (attempt - 1);
	struct timespec ts;
	ms += (unsigned)rand_r(&c->seed) % (ms / 2 + 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void build_url(dv_buf *out, const s3_remote *r, const s3_req *req)
{
	dv_buf_reset(out);
	if (req->key) {
		dv_buf_printf(out, "%s/", r->object_base);
		dv_s3_uri_encode(out, req->key, true);
	} else {
		dv_buf_puts(out, r->bucket_url);
	}
	if (req->query && *req->query)
		dv_buf_printf(out, "?%s", req->query);
}

static void setup_easy(s3_conn *c, const s3_req *req, s3_xfer *x, const char *url)
{
	s3_remote *r = c->r;
	CURL *e = c->easy;

	curl_easy_reset(e);
	c->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dv/" DV_VERSION);
	curl_easy_setopt(e, CURLOPT_AWS_SIGV4, r->sigv4);
	/* USERNAME/PASSWORD rather than USERPWD: a key may hold a ':'. */
	curl_easy_setopt(e, CURLOPT_USERNAME, r->creds.access_key_id);
	curl_easy_setopt(e, CURLOPT_PASSWORD, r->creds.secret_access_key);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, strcmp(req->method, "POST") ? r->headers
					       : req->in_mem ? r->xml_headers : r->post_headers);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 15L);
	/* A stalled transfer counts as a connection error (and is retried). */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024);
	if (r->max_speed) {
		curl_easy_setopt(e, CURLOPT_MAX_SEND_SPEED_LARGE, r->max_speed);
		curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE, r->max_speed);
	}
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	if (req->range)
		curl_easy_setopt(e, CURLOPT_RANGE, req->range);
	if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(e, CURLOPT_FILETIME, 1L); /* Last-Modified, for import-url */
	} else if (!strcmp(req->method, "PUT")) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->in_len);
	} else if (!strcmp(req->method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->in_mem ? req->in_mem : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->in_mem ? req->in_len : 0));
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

/* Perform `req`, retrying what may pass.  0 on a 2xx answer; otherwise a
 * negative code with the message set, and resp->status for callers that
 * expect some failures (404). */
static int s3_perform(s3_conn *c, const s3_req *req, s3_resp *resp)
{
	s3_remote *r = c->r;
	dv_buf url = DV_BUF_INIT;
	uint64_t reported = 0;
	int rc = 0, attempt;

	if (!c->easy)
		c->easy = curl_easy_init();
	if (!c->easy)
		return dv_error(DV_ERROR, "cannot start a curl session");
	build_url(&url, r, req);
	for (attempt = 1;; attempt++) {
		s3_xfer x = { c, req, resp, 0, 0, &reported, 0, false };
		CURLcode cc;

		resp->status = 0;
		dv_buf_reset(&resp->body);
		dv_buf_reset(&resp->etag);
		dv_buf_reset(&resp->bucket_region);
		if (req->out_fd >= 0 && ftruncate(req->out_fd, 0) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot truncate a temporary file");
			break;
		}
		setup_easy(c, req, &x, url.ptr);
		__atomic_fetch_add(&r->base.requests, 1, __ATOMIC_RELAXED);
		cc = curl_easy_perform(c->easy);
		if (x.io_errno == EBADMSG) {
			/* The caller names the corrupt object (verify->got). */
			rc = DV_ECORRUPT;
			break;
		}
		if (x.io_errno == ENODATA) {
			rc = dv_error(DV_ERROR, "cannot %s: the file shrank while it was read; check the cache with 'dv fsck'",
				      req->what);
			break;
		}
		if (x.io_errno) {
			errno = x.io_errno;
			rc = dv_error_errno(DV_ERROR, "cannot %s: %s failed", req->what, x.io_write ? "writing" : "reading");
			break;
		}
		if (cc == CURLE_OK)
			curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &resp->status);
		if (cc == CURLE_OK && resp->status >= 200 && resp->status <= 299) {
			curl_off_t when = -1;
			if (!strcmp(req->method, "HEAD") &&
			    curl_easy_getinfo(c->easy, CURLINFO_FILETIME_T, &when) == CURLE_OK)
				resp->last_modified = (int64_t)when;
			break;
		}
		if (attempt < S3_TRIES && !is_fatal_set(r) &&
		    (cc != CURLE_OK ? retryable_curl(cc) : retryable_status(resp->status))) {
			backoff(c, attempt);
			continue;
		}
		if (cc == CURLE_OK) {
			rc = http_error(c, req, resp, attempt);
		} else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
			   cc == CURLE_COULDNT_RESOLVE_PROXY) {
			rc = set_fatal(r, dv_error(DV_ERROR, "cannot reach s3 endpoint '%s' of remote '%s': %s",
						   r->endpoint, r->base.name, c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc)));
		} else {
			rc = dv_error(DV_ERROR, "s3 remote '%s' failed to %s: %s%s", r->base.name, req->what,
				      c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc),
				      attempt > 1 ? " (after retries)" : "");
			if (retryable_curl(cc) || cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_PEER_FAILED_VERIFICATION)
				set_fatal(r, rc);
		}
		break;
	}
	dv_buf_free(&url);
	return rc;
}

/* --- the thread pool ----------------------------------------------------- */

/* A task records its own outcome: an item through dv_transfer_fail (in the
 * worker thread, whose last-error message it copies), other tasks in an
 * s3_outcome.  Tasks not run because of a fatal error stay pending. */
typedef int (*s3_task_fn)(s3_conn *c, size_t i, void *ctx);

typedef struct {
	s3_remote *r;
	s3_task_fn fn;
	void *ctx;
	size_t n, next;
} s3_pool;

static void run_tasks(s3_pool *pool, s3_conn *c)
{
	for (;;) {
		size_t i;
		pthread_mutex_lock(&pool->r->mu);
		if (pool->next >= pool->n || pool->r->fatal_msg) {
			pthread_mutex_unlock(&pool->r->mu);
			return;
		}
		i = pool->next++;
		pthread_mutex_unlock(&pool->r->mu);
		dv_error_clear();
		pool->fn(c, i, pool->ctx);
	}
}

typedef struct {
	s3_pool *pool;
	s3_conn *conn;
} s3_worker;

static void *worker_main(void *arg)
{
	s3_worker *w = arg;
	run_tasks(w->pool, w->conn);
	return NULL;
}

/* Make sure `n` connections exist (only between operations: no thread
 * holds one then). */
static void ensure_conns(s3_remote *r, size_t n)
{
	if (n <= r->nconns)
		return;
	r->conns = dv_realloc(r->conns, n * sizeof(*r->conns));
	for (size_t i = r->nconns; i < n; i++) {
		memset(&r->conns[i], 0, sizeof(r->conns[i]));
		r->conns[i].r = r;
		r->conns[i].seed = (unsigned)(time(NULL) ^ (i * 2654435761u) ^ (unsigned)getpid());
	}
	r->nconns = n;
}

/* Run fn(conn, i, ctx) for i in [0, n) on up to r->jobs threads, and at
 * most `max` (the calling thread is one of them); tasks start in order. */
static void run_pool_max(s3_remote *r, size_t n, s3_task_fn fn, void *ctx, size_t max)
{
	s3_pool pool = { r, fn, ctx, n, 0 };
	size_t threads = r->base.jobs > 0 ? (size_t)r->base.jobs : 1, started = 0;
	pthread_t *tids;
	s3_worker *workers;

	if (threads > S3_MAX_JOBS)
		threads = S3_MAX_JOBS;
	if (threads > max)
		threads = max ? max : 1;
	if (threads > n)
		threads = n;
	ensure_conns(r, threads ? threads : 1);
	if (threads <= 1) {
		run_tasks(&pool, &r->conns[0]);
		return;
	}
	tids = dv_calloc(threads, sizeof(*tids));
	workers = dv_calloc(threads, sizeof(*workers));
	for (size_t t = 1; t < threads; t++) {
		workers[t].pool = &pool;
		workers[t].conn = &r->conns[t];
		if (pthread_create(&tids[t], NULL, worker_main, &workers[t]) != 0)
			break;
		started = t;
	}
	run_tasks(&pool, &r->conns[0]);
	for (size_t t = 1; t <= started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	free(workers);
}

static void run_pool(s3_remote *r, size_t n, s3_task_fn fn, void *ctx)
{
	run_pool_max(r, n, fn, ctx, S3_MAX_JOBS);
}

/* Outcomes of tasks that are not items (multipart parts, deletions). */
typedef struct {
	int *rcs;    /* 1 pending, 0 done, <0 failed */
	char **errs; /* the failures' messages */
	size_t n;
} s3_outcome;

static void outcome_init(s3_outcome *o, size_t n)
{
	o->n = n;
	o->rcs = dv_calloc(n ? n : 1, sizeof(*o->rcs));
	o->errs = dv_calloc(n ? n : 1, sizeof(*o->errs));
	for (size_t i = 0; i < n; i++)
		o->rcs[i] = 1;
}

static void outcome_set(s3_outcome *o, size_t i, int rc)
{
	o->rcs[i] = rc < 0 ? rc : 0;
	if (rc < 0)
		o->errs[i] = dv_strdup(dv_error_last());
}

static void outcome_free(s3_outcome *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->errs[i]);
	free(o->rcs);
	free(o->errs);
}

/* --- operations ---------------------------------------------------------- */

static void begin_op(s3_remote *r)
{
	pthread_mutex_lock(&r->mu);
	free(r->fatal_msg);
	r->fatal_msg = NULL;
	r->fatal_rc = 0;
	pthread_mutex_unlock(&r->mu);
	ensure_conns(r, 1);
}

static char *object_key(const s3_remote *r, const char *relpath)
{
	return *r->prefix ? dv_asprintf("%s/%s", r->prefix, relpath) : dv_strdup(relpath);
}

/* The batch's result: items never run fail with the fatal error, which is
 * then the one reported (it is the cause); otherwise the first failure. */
static int finish_batch(s3_remote *r, dv_transfer *items, size_t n)
{
	if (!r->fatal_msg)
		return dv_transfer_first_failure(items, n);
	for (size_t i = 0; i < n; i++) {
		if (items[i].status > 0) {
			dv_error(r->fatal_rc, "%s", r->fatal_msg);
			dv_transfer_fail(&items[i], r->fatal_rc);
		}
	}
	return dv_error(r->fatal_rc, "%s", r->fatal_msg);
}

/* Every key under <prefix>/<relprefix>, appended to `out` as relpaths:
 * all, or (since) those modified at or after *since. */
static int list_keys(s3_remote *r, dv_strvec *out, const char *prefix, const int64_t *since)
{
	dv_buf query = DV_BUF_INIT, token = DV_BUF_INIT;
	dv_strvec keys = DV_STRVEC_INIT;
	char *want = object_key(r, prefix);
	size_t strip = *r->prefix ? strlen(r->prefix) + 1 : 0;
	s3_resp resp = S3_RESP_INIT;
	bool truncated = true;
	int rc = 0;

	while (truncated) {
		dv_s3_param params[4] = { { "list-type", "2" }, { "max-keys", "1000" }, { "prefix", want } };
		size_t np = 3;
		s3_req req = { "GET", NULL, NULL, -1, 0, 0, NULL, -1, NULL, "list the bucket", NULL, NULL, NULL, NULL };
		if (token.len)
			params[np++] = (dv_s3_param){ "continuation-token", token.ptr };
		dv_s3_query_format(&query, params, np);
		req.query = query.ptr;
		if ((rc = s3_perform(&r->conns[0], &req, &resp)) < 0)
			goto done;
		rc = since ? dv_s3_parse_list_page_since(&keys, &truncated, &token, resp.body.ptr,
							 resp.body.len, *since)
			   : dv_s3_parse_list_page(&keys, &truncated, &token, resp.body.ptr, resp.body.len);
		if (rc < 0) {
			rc = dv_error_wrap(rc, "s3 remote '%s'", r->base.name);
			goto done;
		}
	}
	for (size_t i = 0; i < keys.n; i++)
		if (strlen(keys.v[i]) > strip && !strncmp(keys.v[i], want, strlen(want)))
			dv_strvec_push(out, keys.v[i] + strip);
done:
	dv_strvec_free(&keys);
	dv_buf_free(&query);
	dv_buf_free(&token);
	s3_resp_free(&resp);
	free(want);
	return rc;
}

static int s3_exists(dv_remote *base, const char *relpath, bool *out)
{
	s3_remote *r = (s3_remote *)base;
	char *key = object_key(r, relpath);
	s3_resp resp = S3_RESP_INIT;
	s3_req req = { "HEAD", key, NULL, -1, 0, 0, NULL, -1, NULL, "look up an object", NULL, NULL, NULL, NULL };
	int rc;

	begin_op(r);
	rc = s3_perform(&r->conns[0], &req, &resp);
	*out = rc == 0;
	if (rc < 0 && resp.status == 404)
		rc = 0;
	s3_resp_free(&resp);
	free(key);
	return rc;
}

/* --- single files (dv import-url) ---------------------------------------- */

static int s3_stat_file(dv_remote *base, const char *relpath, dv_remote_file_info *out)
{
	s3_remote *r = (s3_remote *)base;
	char *key = object_key(r, relpath);
	s3_resp resp = S3_RESP_INIT;
	s3_req req = { "HEAD", key, NULL, -1, 0, 0, NULL, -1, NULL, "look up a file", NULL, NULL, NULL, NULL };
	curl_off_t len = -1, mtime = -1;
	int rc;

	memset(out, 0, sizeof(*out));
	begin_op(r);
	rc = s3_perform(&r->conns[0], &req, &resp);
	if (rc < 0 && resp.status == 404) {
		rc = dv_error(DV_ENOTFOUND, "there is no object '%s' in bucket '%s'", key, r->bucket);
	} else if (rc == 0) {
		/* The handle keeps what the answer said until its next request. */
		curl_easy_getinfo(r->conns[0].easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		curl_easy_getinfo(r->conns[0].easy, CURLINFO_FILETIME_T, &mtime);
		out->size = len > 0 ? (uint64_t)len : 0;
		out->mtime = mtime > 0 ? (int64_t)mtime : 0;
		out->etag = resp.etag.len ? dv_strdup(resp.etag.ptr) : NULL;
	}
	s3_resp_free(&resp);
	free(key);
	return rc;
}

static int s3_download(dv_remote *base, const char *relpath, int fd, dv_progress *p)
{
	s3_remote *r = (s3_remote *)base;
	char *key = object_key(r, relpath), *what = dv_asprintf("download '%s'", relpath);
	s3_resp resp = S3_RESP_INIT;
	s3_req req = { "GET", key, NULL, -1, 0, 0, NULL, fd, p, what, NULL, NULL, NULL, NULL };
	int rc;

	begin_op(r);
	rc = s3_perform(&r->conns[0], &req, &resp);
	if (rc < 0 && resp.status == 404)
		rc = dv_error(DV_ENOTFOUND, "there is no object '%s' in bucket '%s'", key, r->bucket);
	s3_resp_free(&resp);
	free(what);
	free(key);
	return rc;
}

typedef struct {
	s3_remote *r;
	dv_cache *cache;
	dv_transfer *items;
	size_t *index; /* task -> item */
	dv_progress *p;
} batch_ctx;

static void item_done(dv_transfer *t, int rc, dv_progress *p)
{
	if (rc < 0) {
		dv_transfer_fail(t, rc);
	} else {
		t->status = 0;
		dv_progress_add(p, 1, 0);
	}
}

static int open_cached(int *fd, uint64_t *size, const dv_cache *cache, const dv_transfer *t)
{
	dv_buf path = DV_BUF_INIT;
	struct stat st;
	int rc = 0;

	dv_transfer_local_path(&path, cache, t);
	*fd = open(path.ptr, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		rc = dv_error_errno(errno == ENOENT ? DV_ENOTFOUND : DV_ERROR, "cannot open '%s' to upload it", path.ptr);
	else if (fstat(*fd, &st) < 0)
		rc = dv_error_errno(DV_ERROR, "cannot stat '%s'", path.ptr);
	else
		*size = (uint64_t)st.st_size;
	if (rc < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	dv_buf_free(&path);
	return rc;
}

static int put_small(s3_conn *c, size_t i, void *arg)
{
	batch_ctx *ctx = arg;
	dv_transfer *t = &ctx->items[ctx->index[i]];
	char *key = object_key(ctx->r, t->relpath), *what = dv_asprintf("upload '%s'", t->relpath);
	s3_resp resp = S3_RESP_INIT;
	s3_verify v = { dv_hasher_new(), 0, 0, t->hash, { { 0 } } };
	uint64_t size = 0;
	int fd = -1, rc;

	if ((rc = open_cached(&fd, &size, ctx->cache, t)) == 0) {
		s3_req req = { "PUT", key, NULL, fd, 0, size, NULL, -1, ctx->p, what,
			       dv_transfer_is_object(t) ? &v : NULL, NULL, NULL, NULL };
		if (size == 0 && req.verify) {
			/* No read callback runs for an empty body. */
			dv_hasher_final(&v.got, v.hs);
			rc = dv_transfer_check_sent(ctx->cache, t, &v.got);
		}
		if (rc == 0)
			rc = s3_perform(c, &req, &resp);
		if (rc == DV_ECORRUPT)
			rc = dv_transfer_check_sent(ctx->cache, t, &v.got);
		close(fd);
	}
	dv_hasher_free(v.hs);
	item_done(t, rc, ctx->p);
	s3_resp_free(&resp);
	free(what);
	free(key);
	return rc;
}

/* Parts are read in file order, each whole into memory, and hashed as
 * they are read; then they upload in parallel from memory.  So the whole
 * object is hashed at no extra read, and the verdict is known before
 * CompleteMultipartUpload: a corrupt object's upload is aborted, never
 * completed.  Memory: at most MULTIPART_MEMORY of parts in flight. */
#define MULTIPART_MEMORY (512ull << 20)

typedef struct {
	s3_remote *r;
	int fd;
	const char *key, *relpath, *upload_id;
	uint64_t size, part;
	char **etags;
	s3_outcome parts;
	dv_progress *p;
	dv_cache *cache;
	const dv_transfer *t;
	/* Reading in order: part `next_read`'s turn. */
	pthread_mutex_t mu;
	pthread_cond_t turn;
	size_t next_read, nparts;
	dv_hasher *hs;
	int corrupt;      /* the last part read, and the whole does not match */
	dv_hash got;
} multipart_ctx;

/* Read part i (in its turn) into `buf`, hashing it; the last part
 * settles the verdict. */
static int read_part(multipart_ctx *m, size_t i, char *buf, uint64_t off, uint64_t len)
{
	uint64_t got = 0;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	while (m->next_read != i)
		pthread_cond_wait(&m->turn, &m->mu);
	while (got < len) {
		ssize_t n = pread(m->fd, buf + got, (size_t)(len - got), (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			rc = dv_error(DV_ERROR, "cannot upload part %zu of '%s': the file shrank while it was "
				      "read; check the cache with 'dv fsck'", i + 1, m->relpath);
			break;
		}
		if (n < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot read part %zu of '%s' from the cache", i + 1,
					    m->relpath);
			break;
		}
		got += (uint64_t)n;
	}
	if (m->hs && rc == 0) {
		dv_hasher_update(m->hs, buf, (size_t)len);
		if (i + 1 == m->nparts) {
			dv_hasher_final(&m->got, m->hs);
			if (dv_transfer_check_sent(m->cache, m->t, &m->got) < 0) {
				m->corrupt = 1;
				rc = DV_ECORRUPT;
			}
		}
	} else if (m->hs) {
		/* The hash cannot be finished: nothing may complete. */
		dv_hasher_free(m->hs);
		m->hs = NULL;
	}
	m->next_read++;
	pthread_cond_broadcast(&m->turn);
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static int put_part(s3_conn *c, size_t i, void *arg)
{
	multipart_ctx *m = arg;
	uint64_t off = (uint64_t)i * m->part;
	uint64_t len = m->size - off < m->part ? m->size - off : m->part;
	char number[16], *what = dv_asprintf("upload part %zu of '%s'", i + 1, m->relpath);
	dv_s3_param params[2] = { { "partNumber", number }, { "uploadId", m->upload_id } };
	dv_buf query = DV_BUF_INIT;
	s3_resp resp = S3_RESP_INIT;
	char *buf = dv_malloc(len ? (size_t)len : 1);
	int rc;

	snprintf(number, sizeof(number), "%zu", i + 1);
	dv_s3_query_format(&query, params, 2);
	if ((rc = read_part(m, i, buf, off, len)) == 0) {
		s3_req req = { "PUT", m->key, query.ptr, -1, 0, len, buf, -1, m->p, what, NULL, NULL, NULL, NULL };
		rc = s3_perform(c, &req, &resp);
	}
	free(buf);
	if (rc == 0 && !resp.etag.len)
		rc = dv_error(DV_ERROR, "s3 remote '%s' gave no ETag for part %zu of '%s'", m->r->base.name, i + 1,
			      m->relpath);
	if (rc == 0)
		m->etags[i] = dv_buf_detach(&resp.etag);
	outcome_set(&m->parts, i, rc);
	dv_buf_free(&query);
	s3_resp_free(&resp);
	free(what);
	return rc;
}

/* A multipart request on the object (initiate, complete, abort). */
static int multipart_request(s3_remote *r, s3_resp *resp, const char *method, const char *key,
			     const char *param, const char *value, const dv_buf *body, const char *what)
{
	dv_s3_param params[1] = { { param, value } };
	dv_buf query = DV_BUF_INIT;
	s3_req req = { method, key, NULL, -1, 0, body ? body->len : 0, body ? body->ptr : NULL, -1, NULL, what, NULL, NULL, NULL, NULL };
	int rc;

	dv_s3_query_format(&query, params, 1);
	req.query = query.ptr;
	rc = s3_perform(&r->conns[0], &req, resp);
	dv_buf_free(&query);
	return rc;
}

/* Upload one large object as a multipart upload, its parts in parallel;
 * on any failure (a corrupt object included) the upload is aborted so
 * that no parts linger. */
static int put_multipart(s3_remote *r, dv_cache *cache, dv_transfer *t, dv_progress *p)
{
	char *key = object_key(r, t->relpath), *what = dv_asprintf("upload '%s'", t->relpath);
	multipart_ctx m = { .r = r, .fd = -1, .key = key, .relpath = t->relpath, .p = p,
			    .cache = cache, .t = t };
	dv_buf upload_id = DV_BUF_INIT, xml = DV_BUF_INIT, err = DV_BUF_INIT;
	s3_resp resp = S3_RESP_INIT;
	size_t nparts = 0;
	int rc;

	if ((rc = open_cached(&m.fd, &m.size, cache, t)) < 0 ||
	    (rc = dv_s3_part_size(&m.part, m.size, r->part_size)) < 0 ||
	    (rc = multipart_request(r, &resp, "POST", key, "uploads", "", NULL, what)) < 0)
		goto done;
	if (!dv_s3_xml_get(&upload_id, resp.body.ptr, resp.body.len, "UploadId") || !upload_id.len) {
		rc = dv_error(DV_ERROR, "s3 remote '%s' gave no UploadId to %s", r->base.name, what);
		goto done;
	}
	m.upload_id = upload_id.ptr;
	nparts = (size_t)((m.size + m.part - 1) / m.part);
	m.nparts = nparts;
	m.etags = dv_calloc(nparts, sizeof(*m.etags));
	outcome_init(&m.parts, nparts);
	pthread_mutex_init(&m.mu, NULL);
	pthread_cond_init(&m.turn, NULL);
	m.hs = dv_transfer_is_object(t) ? dv_hasher_new() : NULL;
	run_pool_max(r, nparts, put_part, &m, (size_t)(MULTIPART_MEMORY / m.part));
	pthread_mutex_destroy(&m.mu);
	pthread_cond_destroy(&m.turn);
	if (m.corrupt)
		rc = dv_transfer_check_sent(cache, t, &m.got);
	for (size_t i = 0; i < nparts && rc == 0; i++) {
		if (m.parts.rcs[i] < 0)
			rc = dv_error(m.parts.rcs[i], "%s", m.parts.errs[i]);
		else if (m.parts.rcs[i] > 0)
			rc = dv_error(r->fatal_rc, "%s", r->fatal_msg);
	}
	if (rc == 0 && dv_transfer_is_object(t) && !m.hs)
		rc = dv_error(DV_ERROR, "cannot upload '%s': it could not be read whole to check it",
			      t->relpath);
	if (rc < 0)
		goto abort;

	dv_buf_puts(&xml, "<CompleteMultipartUpload>");
	for (size_t i = 0; i < nparts; i++) {
		dv_buf_printf(&xml, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
		dv_s3_xml_escape(&xml, m.etags[i]);
		dv_buf_puts(&xml, "</ETag></Part>");
	}
	dv_buf_puts(&xml, "</CompleteMultipartUpload>");
	rc = multipart_request(r, &resp, "POST", key, "uploadId", m.upload_id, &xml, what);
	/* CompleteMultipartUpload may answer 200 and still fail in its body. */
	if (rc == 0 && dv_s3_xml_get(&err, resp.body.ptr, resp.body.len, "Error")) {
		dv_buf code = DV_BUF_INIT;
		dv_s3_xml_get(&code, err.ptr, err.len, "Code");
		rc = dv_error(DV_ERROR, "s3 remote '%s' failed to complete the %s: %s", r->base.name, what, code.ptr);
		dv_buf_free(&code);
	}
	if (rc == 0)
		goto done;
abort:
	{
		/* Best effort (the server may be why we failed), keeping the
		 * first error's message. */
		char *saved = dv_strdup(dv_error_last());
		s3_resp aresp = S3_RESP_INIT;
		multipart_request(r, &aresp, "DELETE", key, "uploadId", m.upload_id, NULL, what);
		s3_resp_free(&aresp);
		dv_error(rc, "%s", saved);
		free(saved);
	}
done:
	dv_hasher_free(m.hs);
	if (m.fd >= 0)
		close(m.fd);
	for (size_t i = 0; m.etags && i < nparts; i++)
		free(m.etags[i]);
	free(m.etags);
	if (m.parts.rcs)
		outcome_free(&m.parts);
	dv_buf_free(&upload_id);
	dv_buf_free(&xml);
	dv_buf_free(&err);
	s3_resp_free(&resp);
	free(what);
	free(key);
	return rc;
}

/* Start a push or a fetch: every item pending, every item a task. */
static void batch_start(batch_ctx *ctx, s3_remote *r, dv_cache *cache, dv_transfer *items, size_t n,
			dv_progress *p)
{
	begin_op(r);
	ctx->r = r;
	ctx->cache = cache;
	ctx->items = items;
	ctx->index = dv_calloc(n ? n : 1, sizeof(*ctx->index));
	ctx->p = p;
	for (size_t i = 0; i < n; i++) {
		items[i].status = 1;
		ctx->index[i] = i;
	}
}

static int get_one(s3_conn *c, size_t i, void *arg)
{
	batch_ctx *ctx = arg;
	dv_transfer *t = &ctx->items[ctx->index[i]];
	char *key = object_key(ctx->r, t->relpath), *what = dv_asprintf("download '%s'", t->relpath);
	dv_buf tmp = DV_BUF_INIT;
	s3_resp resp = S3_RESP_INIT;
	int fd = -1, rc;

	if ((rc = dv_cache_tmp_open(&fd, &tmp, ctx->cache)) == 0) {
		s3_req req = { "GET", key, NULL, -1, 0, 0, NULL, fd, ctx->p, what, NULL, NULL, NULL, NULL };
		rc = s3_perform(c, &req, &resp);
		if (rc < 0) {
			dv_tmpfile_abort(fd, tmp.ptr);
		} else if (close(fd) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot write '%s'", tmp.ptr);
			unlink(tmp.ptr);
			dv_tmpfile_unregister(tmp.ptr);
		} else {
			rc = dv_transfer_adopt(ctx->cache, tmp.ptr, t, &ctx->r->base);
		}
	}
	if (rc == DV_ECORRUPT) {
		pthread_mutex_lock(&ctx->r->mu);
		dv_strvec_push(&ctx->r->bad_loose, t->relpath);
		pthread_mutex_unlock(&ctx->r->mu);
	}
	item_done(t, rc, ctx->p);
	dv_buf_free(&tmp);
	s3_resp_free(&resp);
	free(what);
	free(key);
	return rc;
}

/* --- packs (pack.h, dv-remote(5)) ---------------------------------------- */

/* Test hook DV_TEST_PACK_KILL=build|pack|index: SIGKILL right after the
 * first pack is built (nothing sent), after its PUT (no index yet), or
 * after its index landed, to prove a rerun finishes an interrupted push. */
static void pack_kill_point(const char *point)
{
	const char *want = getenv("DV_TEST_PACK_KILL");
	if (want && !strcmp(want, point))
		raise(SIGKILL);
}

/* Test hook DV_TEST_PACK_PAUSE=PATH: a fetch that has read the indexes
 * creates PATH.ready and waits for PATH.go, so a test can run gc between a
 * reader's reading of an index and its reading of the pack. */
static void pack_pause_point(void)
{
	const char *base = getenv("DV_TEST_PACK_PAUSE");
	dv_buf path = DV_BUF_INIT;

	if (!base || !*base)
		return;
	dv_buf_printf(&path, "%s.ready", base);
	if (dv_write_file_atomic_nosync(path.ptr, "", 0, 0644) < 0)
		dv_error_clear();
	dv_buf_reset(&path);
	dv_buf_printf(&path, "%s.go", base);
	for (int i = 0; i < 600 && !dv_path_exists(path.ptr); i++)
		usleep(100000);
	dv_buf_free(&path);
}

static char *pack_object_key(const s3_remote *r, const char *name, const char *ext)
{
	dv_buf rel = DV_BUF_INIT;
	char *key;
	dv_pack_key(&rel, name, ext);
	key = object_key(r, rel.ptr);
	dv_buf_free(&rel);
	return key;
}

/* Where pack temp files and cached indexes live. */
static const char *pack_dir(const s3_remote *r)
{
	const char *tmp = getenv("TMPDIR");
	return r->base.pack_dir ? r->base.pack_dir : tmp && *tmp ? tmp : "/tmp";
}

/* The names of the packs/ listing: which packs have an index, a pack
 * file, a tombstone. */
typedef struct {
	char name[DV_HASH_HEXLEN + 1];
	bool idx, pack, dead;
} pack_state;

static int cmp_pack_state(const void *a, const void *b)
{
	return strcmp(((const pack_state *)a)->name, ((const pack_state *)b)->name);
}

static int list_packs(s3_remote *r, dv_vec *out /* pack_state */)
{
	dv_strvec keys = DV_STRVEC_INIT;
	int rc = list_keys(r, &keys, DV_PACK_DIR, NULL);

	dv_strvec_sort(&keys);
	for (size_t i = 0; rc == 0 && i < keys.n; i++) {
		char name[DV_HASH_HEXLEN + 1];
		const char *ext;
		pack_state *ps;
		if (!dv_pack_parse_key(name, &ext, keys.v[i]))
			continue; /* not ours to judge */
		ps = out->n ? dv_vec_at(out, pack_state, out->n - 1) : NULL;
		if (!ps || strcmp(ps->name, name)) {
			ps = dv_vec_push(out);
			memcpy(ps->name, name, sizeof(name));
		}
		if (!strcmp(ext, "idx"))
			ps->idx = true;
		else if (!strcmp(ext, "pack"))
			ps->pack = true;
		else
			ps->dead = true;
	}
	if (out->n)
		qsort(out->items, out->n, sizeof(pack_state), cmp_pack_state);
	dv_strvec_free(&keys);
	return rc;
}

typedef struct {
	s3_remote *r;
	char **names;  /* indexes to download */
	dv_buf *texts;
	s3_outcome done;
} index_fetch_ctx;

static int get_index(s3_conn *c, size_t i, void *arg)
{
	index_fetch_ctx *ctx = arg;
	char *key = pack_object_key(ctx->r, ctx->names[i], "idx");
	char *what = dv_asprintf("download the pack index '%s'", key);
	s3_resp resp = S3_RESP_INIT;
	s3_req req = { "GET", key, NULL, -1, 0, 0, NULL, -1, NULL, what, NULL, NULL, NULL, NULL };
	int rc = s3_perform(c, &req, &resp);

	if (rc == 0) {
		ctx->texts[i] = resp.body;
		resp.body = (dv_buf)DV_BUF_INIT;
	}
	outcome_set(&ctx->done, i, rc);
	s3_resp_free(&resp);
	free(what);
	free(key);
	return rc;
}

/* The listing just read names every index this remote has: the kept
 * copies of indexes no remote lists any more go. */
static void prune_kept_indexes(s3_remote *r, const dv_vec *states /* pack_state */)
{
	dv_strvec listed = DV_STRVEC_INIT;
	for (size_t i = 0; i < states->n; i++) {
		const pack_state *ps = dv_vec_at(states, pack_state, i);
		if (ps->idx)
			dv_strvec_push(&listed, ps->name);
	}
	dv_pack_cache_prune(r->base.pack_dir, r->base.url, &listed);
	dv_strvec_free(&listed);
}

/* Read every index the remote lists: from <pack_dir>/<name>.idx when it is
 * there already (indexes are named by their pack and never change), else
 * downloaded and kept there.  One LIST request when nothing changed. */
static int load_packs(s3_remote *r, bool force)
{
	dv_vec states = DV_VEC_INIT(pack_state);
	index_fetch_ctx ctx = { r, NULL, NULL, { NULL, NULL, 0 } };
	dv_buf origin = DV_BUF_INIT;
	size_t nfetch = 0;
	int rc;

	if (r->packs_loaded && !force)
		return 0;
	if ((rc = list_packs(r, &states)) < 0)
		goto done;
	dv_pack_set_free(&r->packs);
	dv_pack_set_init(&r->packs);
	ctx.names = dv_calloc(states.n + 1, sizeof(*ctx.names));
	for (size_t i = 0; i < states.n; i++) {
		pack_state *ps = dv_vec_at(&states, pack_state, i);
		if (ps->idx && dv_pack_cache_load(&r->packs, r->base.pack_dir, ps->name) < 0)
			ctx.names[nfetch++] = ps->name;
	}
	ctx.texts = dv_calloc(nfetch + 1, sizeof(*ctx.texts));
	outcome_init(&ctx.done, nfetch);
	run_pool(r, nfetch, get_index, &ctx);
	if (r->fatal_msg) {
		rc = dv_error(r->fatal_rc, "%s", r->fatal_msg);
		goto done;
	}
	for (size_t i = 0; i < nfetch; i++) {
		if (ctx.done.rcs[i] < 0 && ctx.done.rcs[i] != DV_ENOTFOUND) {
			rc = dv_error(ctx.done.rcs[i], "%s", ctx.done.errs[i]);
			goto done;
		}
		if (ctx.done.rcs[i] < 0)
			continue; /* retired since the listing: its pack is gone for new readers */
		dv_buf_reset(&origin);
		dv_buf_printf(&origin, "'" DV_PACK_DIR "%s.idx' of remote '%s'", ctx.names[i], r->base.name);
		if ((rc = dv_pack_set_add_index(&r->packs, ctx.texts[i].ptr, ctx.texts[i].len, ctx.names[i],
						origin.ptr)) < 0)
			goto done;
		dv_pack_cache_keep(r->base.pack_dir, ctx.names[i], &ctx.texts[i]);
	}
	dv_pack_set_sort(&r->packs);
	r->packs_loaded = true;
	prune_kept_indexes(r, &states);
done:
	for (size_t i = 0; ctx.texts && i < nfetch; i++)
		dv_buf_free(&ctx.texts[i]);
	free(ctx.texts);
	free(ctx.names);
	if (ctx.done.rcs)
		outcome_free(&ctx.done);
	dv_vec_free(&states);
	dv_buf_free(&origin);
	return rc;
}

static int put_key(s3_conn *c, const char *key, int fd, const void *mem, uint64_t len,
		   dv_progress *p, const char *what);
static int delete_key(s3_conn *c, const char *key, const char *what);

/* Rewrite packs/list from a fresh listing, for readers that cannot list
 * (HTTP).  Every push, repack and gc that changes the packs rewrites it
 * whole, so a list two concurrent writers raced on is repaired by the
 * next one. */
static int write_pack_list(s3_remote *r)
{
	dv_vec states = DV_VEC_INIT(pack_state);
	dv_strvec names = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT;
	char *key = object_key(r, DV_PACK_DIR "list");
	int rc;

	if ((rc = list_packs(r, &states)) == 0 && states.n == 0) {
		/* A loose remote: no list to keep (nor to leave behind). */
		rc = delete_key(&r->conns[0], key, "delete the pack list");
	} else if (rc == 0) {
		for (size_t i = 0; i < states.n; i++)
			if (dv_vec_at(&states, pack_state, i)->idx)
				dv_strvec_push(&names, dv_vec_at(&states, pack_state, i)->name);
		dv_pack_list_format(&text, &names);
		rc = put_key(&r->conns[0], key, -1, text.ptr, text.len, NULL, "upload the pack list");
	}
	dv_vec_free(&states);
	dv_strvec_free(&names);
	dv_buf_free(&text);
	free(key);
	return rc;
}

static int cmp_relpath(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort `out` and drop repeated names (an object loose and packed, or in
 * two packs, is one object of the remote). */
static void sort_unique(dv_strvec *out)
{
	size_t kept = 0;

	dv_strvec_sort(out);
	for (size_t i = 0; i < out->n; i++) {
		if (kept && !strcmp(out->v[kept - 1], out->v[i]))
			free(out->v[i]);
		else
			out->v[kept++] = out->v[i];
	}
	out->n = kept;
}

static int s3_list(dv_remote *base, dv_strvec *out, const char *prefix)
{
	s3_remote *r = (s3_remote *)base;
	dv_buf rel = DV_BUF_INIT;
	int rc;

	begin_op(r);
	if ((rc = list_keys(r, out, prefix, NULL)) < 0 || strcmp(prefix, "files/") != 0)
		return rc;
	/* Packed objects are objects of the remote like loose ones: status -c,
	 * push and gc see one set. */
	if ((rc = load_packs(r, true)) < 0)
		return rc;
	for (size_t i = 0; i < r->packs.entries.n; i++) {
		const dv_pack_entry *e = dv_vec_at(&r->packs.entries, dv_pack_entry, i);
		dv_cache_object_relpath(&rel, &e->hash, e->is_dir);
		dv_strvec_push(out, rel.ptr);
	}
	dv_buf_free(&rel);
	sort_unique(out);
	return 0;
}

/* By the LastModified of the listing: the store's clock, not ours.  An
 * object inside a pack is as young as its pack's index (when the pack
 * became visible; a repack makes its objects young again, which only
 * keeps them longer). */
static int s3_list_since(dv_remote *base, dv_strvec *out, const char *prefix, int64_t since_ns)
{
	s3_remote *r = (s3_remote *)base;
	dv_strvec young = DV_STRVEC_INIT;
	dv_buf rel = DV_BUF_INIT;
	bool *is_young = NULL;
	int rc;

	begin_op(r);
	if ((rc = list_keys(r, out, prefix, &since_ns)) < 0 || strcmp(prefix, "files/") != 0)
		return rc;
	if ((rc = list_keys(r, &young, DV_PACK_DIR, &since_ns)) < 0 || (rc = load_packs(r, false)) < 0)
		goto done;
	is_young = dv_calloc(r->packs.packs.n + 1, sizeof(*is_young));
	dv_strvec_sort(&young);
	for (size_t k = 0; k < r->packs.packs.n; k++) {
		dv_pack_key(&rel, dv_pack_set_pack(&r->packs, (uint32_t)k)->name, "idx");
		is_young[k] = dv_strvec_sorted_has(&young, rel.ptr);
	}
	for (size_t i = 0; i < r->packs.entries.n; i++) {
		const dv_pack_entry *e = dv_vec_at(&r->packs.entries, dv_pack_entry, i);
		if (!is_young[e->pack])
			continue;
		dv_cache_object_relpath(&rel, &e->hash, e->is_dir);
		dv_strvec_push(out, rel.ptr);
	}
	sort_unique(out);
done:
	free(is_young);
	dv_strvec_free(&young);
	dv_buf_free(&rel);
	return rc;
}

/* --- writing packs --------------------------------------------------------- */

typedef struct {
	size_t first, count; /* into pack_push_ctx.order */
} pack_group;

typedef struct {
	s3_remote *r;
	dv_cache *cache;
	dv_transfer *items;
	dv_progress *p;
	size_t *order;      /* item indexes, in pack order */
	pack_group *groups;
	bool delete_loose;  /* --repack: the loose copies go once packed */
	size_t packed;      /* objects whose pack became visible */
} pack_push_ctx;

static int put_key(s3_conn *c, const char *key, int fd, const void *mem, uint64_t len,
		   dv_progress *p, const char *what)
{
	s3_resp resp = S3_RESP_INIT;
	s3_req req = { "PUT", key, NULL, fd, 0, len, mem, -1, p, what, NULL, NULL, NULL, NULL };
	int rc;

	if (!mem && fd < 0)
		req.in_mem = ""; /* an empty body */
	rc = s3_perform(c, &req, &resp);
	s3_resp_free(&resp);
	return rc;
}

static int delete_key(s3_conn *c, const char *key, const char *what)
{
	s3_resp resp = S3_RESP_INIT;
	s3_req req = { "DELETE", key, NULL, -1, 0, 0, NULL, -1, NULL, what, NULL, NULL, NULL, NULL };
	int rc = s3_perform(c, &req, &resp);

	if (rc < 0 && resp.status == 404) { /* already gone */
		dv_error_clear();
		rc = 0;
	}
	s3_resp_free(&resp);
	return rc;
}

/* Upload a finished pack: the pack, then its index (which is what makes it
 * visible), then keep the index locally so our own next read skips it. */
static int publish_pack(s3_conn *c, s3_remote *r, dv_pack_writer *w, dv_progress *p)
{
	char *pack_key = pack_object_key(r, w->name, "pack"), *idx_key = pack_object_key(r, w->name, "idx");
	char *what = dv_asprintf("upload the pack '%s'", pack_key);
	int rc;

	if ((rc = put_key(c, pack_key, w->fd, NULL, w->size, p, what)) < 0)
		goto done;
	pack_kill_point("pack");
	free(what);
	what = dv_asprintf("upload the pack index '%s'", idx_key);
	if ((rc = put_key(c, idx_key, -1, w->index.ptr, w->index.len, NULL, what)) < 0)
		goto done;
	pack_kill_point("index");
	dv_pack_cache_keep(r->base.pack_dir, w->name, &w->index);
done:
	free(what);
	free(pack_key);
	free(idx_key);
	return rc;
}

static int push_pack(s3_conn *c, size_t g, void *arg)
{
	pack_push_ctx *ctx = arg;
	const pack_group *grp = &ctx->groups[g];
	dv_pack_writer w;
	dv_buf path = DV_BUF_INIT;
	size_t added = 0;
	int rc;

	if ((rc = dv_pack_writer_open(&w, pack_dir(ctx->r))) < 0)
		goto fail_all;
	for (size_t k = 0; k < grp->count; k++) {
		dv_transfer *t = &ctx->items[ctx->order[grp->first + k]];
		dv_hash got;
		dv_transfer_local_path(&path, ctx->cache, t);
		if ((rc = dv_pack_writer_add_file(&w, &got, &t->hash, t->is_dir, path.ptr)) < 0) {
			if (rc != DV_ENOTFOUND && rc != DV_ECORRUPT)
				goto fail_all; /* the pack file itself failed */
			if (rc == DV_ECORRUPT) /* the same words as a loose push */
				dv_transfer_check_sent(ctx->cache, t, &got);
			dv_transfer_fail(t, rc); /* this object only */
			continue;
		}
		added++;
	}
	rc = 0;
	if (!added)
		goto done;
	if ((rc = dv_pack_writer_finish(&w)) < 0)
		goto fail_all;
	pack_kill_point("build");
	if ((rc = publish_pack(c, ctx->r, &w, ctx->p)) < 0)
		goto fail_all;
	for (size_t k = 0; k < grp->count; k++) {
		dv_transfer *t = &ctx->items[ctx->order[grp->first + k]];
		if (t->status != 1)
			continue;
		if (ctx->delete_loose) {
			char *key = object_key(ctx->r, t->relpath), *what = dv_asprintf("delete '%s'", t->relpath);
			rc = delete_key(c, key, what);
			free(key);
			free(what);
		}
		item_done(t, rc, ctx->p);
		if (rc == 0)
			__atomic_fetch_add(&ctx->packed, 1, __ATOMIC_RELAXED);
	}
	goto done;
fail_all:
	for (size_t k = 0; k < grp->count; k++) {
		dv_transfer *t = &ctx->items[ctx->order[grp->first + k]];
		if (t->status == 1)
			dv_transfer_fail(t, rc);
	}
done:
	dv_pack_writer_free(&w);
	dv_buf_free(&path);
	return rc;
}

/* Pack order: files before manifests (so a manifest's pack never lands
 * before its files' packs), then by name, so the same objects always make
 * the same packs (and a rerun writes the same keys). */
static int cmp_pack_order(const void *a, const void *b, void *arg)
{
	const dv_transfer *items = arg;
	const dv_transfer *x = &items[*(const size_t *)a], *y = &items[*(const size_t *)b];
	if (x->is_dir != y->is_dir)
		return x->is_dir ? 1 : -1;
	return memcmp(x->hash.bytes, y->hash.bytes, sizeof(x->hash.bytes));
}

static size_t push_packs(s3_remote *r, dv_cache *cache, dv_transfer *items, size_t *which, size_t n,
			 dv_progress *p, bool delete_loose)
{
	pack_push_ctx ctx = { r, cache, items, p, which, NULL, delete_loose, 0 };
	size_t ngroups = 0, nfiles;

	if (!n)
		return 0;
	qsort_r(which, n, sizeof(*which), cmp_pack_order, items);
	ctx.groups = dv_calloc(n, sizeof(*ctx.groups));
	for (size_t i = 0, bytes = 0; i < n; i++) {
		const dv_transfer *t = &items[which[i]];
		pack_group *g = ngroups ? &ctx.groups[ngroups - 1] : NULL;
		if (!g || bytes + t->size > r->pack_size || items[which[g->first]].is_dir != t->is_dir) {
			g = &ctx.groups[ngroups++];
			g->first = i;
			bytes = 0;
		}
		g->count++;
		bytes += t->size;
	}
	/* File packs in parallel, then the manifests' packs. */
	for (nfiles = 0; nfiles < ngroups && !items[which[ctx.groups[nfiles].first]].is_dir; nfiles++)
		;
	run_pool(r, nfiles, push_pack, &ctx);
	if (!is_fatal_set(r)) {
		pack_push_ctx dirs = ctx;
		dirs.groups = ctx.groups + nfiles;
		dirs.packed = 0;
		run_pool(r, ngroups - nfiles, push_pack, &dirs);
		ctx.packed += dirs.packed;
	}
	free(ctx.groups);
	return ctx.packed;
}

static int repair_packs(s3_remote *r, const dv_transfer *items, size_t n, size_t *repaired);

static int s3_push(dv_remote *base, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	s3_remote *r = (s3_remote *)base;
	batch_ctx ctx;
	dv_buf path = DV_BUF_INIT;
	size_t *packed = dv_calloc(n ? n : 1, sizeof(*packed)), *runs = dv_calloc(n ? n : 1, sizeof(*runs));
	size_t nsmall = 0, npacked = 0, nruns = 0, repaired = 0;
	int rc;

	/* Objects below pack_threshold go into packs; the others are stored
	 * loose: small ones one per task, then each large one, its parts
	 * spread over the pool.  Run-cache entries go last, after the objects
	 * they name. */
	batch_start(&ctx, r, cache, items, n, p);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		bool known;
		dv_transfer_local_path(&path, cache, &items[i]);
		known = stat(path.ptr, &st) == 0;
		if (known)
			items[i].size = (uint64_t)st.st_size;
		if (!dv_transfer_is_object(&items[i]))
			runs[nruns++] = i;
		else if (known && items[i].size < r->pack_threshold)
			packed[npacked++] = i;
		else if (!known || items[i].size <= r->part_size)
			ctx.index[nsmall++] = i;
	}
	run_pool(r, nsmall, put_small, &ctx);
	for (size_t i = 0; i < n && !is_fatal_set(r); i++)
		if (items[i].status == 1 && dv_transfer_is_object(&items[i]) &&
		    !(items[i].size < r->pack_threshold))
			item_done(&items[i], put_multipart(r, cache, &items[i], p), p);
	if (!is_fatal_set(r) && push_packs(r, cache, items, packed, npacked, p, false) && !is_fatal_set(r) &&
	    write_pack_list(r) < 0)
		set_fatal(r, dv_error_wrap(DV_ERROR, "the packs are pushed, but not their list for HTTP readers; rerun 'dv push'"));
	memcpy(ctx.index, runs, nruns * sizeof(*runs));
	if (!is_fatal_set(r))
		run_pool(r, nruns, put_small, &ctx);
	rc = finish_batch(r, items, n);
	/* Only once every replacement is there: a damaged pack's other
	 * objects move to a new pack, its corrupt copies go. */
	if (rc == 0 && (rc = repair_packs(r, items, n, &repaired)) == 0 && repaired)
		rc = write_pack_list(r);
	free(ctx.index);
	free(packed);
	free(runs);
	dv_buf_free(&path);
	return rc;
}

/* --- reading packs --------------------------------------------------------- */

typedef struct {
	s3_remote *r;
	dv_cache *cache;         /* fetch: objects go here... */
	dv_pack_writer *writer;  /* ... or, repacking, into a new pack */
	dv_transfer *items;      /* fetch: wants[].item indexes these */
	dv_pack_want *wants;
	dv_pack_range *ranges;
	dv_progress *p;
	s3_outcome done;         /* per range */
} range_ctx;

static void note_bad_copy(s3_remote *r, const char *pack, uint64_t offset)
{
	pack_copy *bc;
	pthread_mutex_lock(&r->mu);
	bc = dv_vec_push(&r->bad_copies);
	memcpy(bc->pack, pack, sizeof(bc->pack));
	bc->offset = offset;
	pthread_mutex_unlock(&r->mu);
}

static bool is_bad_copy(const s3_remote *r, const char *pack, uint64_t offset)
{
	for (size_t i = 0; i < r->bad_copies.n; i++) {
		const pack_copy *bc = dv_vec_at(&r->bad_copies, pack_copy, i);
		if (bc->offset == offset && !strcmp(bc->pack, pack))
			return true;
	}
	return false;
}

/* One range's objects handed out in offset order as their bytes arrive,
 * so that storing them overlaps the download of the rest. */
typedef struct {
	range_ctx *ctx;
	const dv_pack_range *rg;
	const char *pack; /* its name */
	const char *key;
	size_t done;      /* objects of the range handed out */
	int rc;           /* the first object's failure */
	dv_buf origin;
} range_stream;

/* Hand out object `k` of the range, `rc` its transfer's outcome so far,
 * each re-hashed (dv_cache_store_verified / dv_pack_writer_add) before it
 * is used. */
static void hand_out(range_stream *st, const char *bytes, int rc)
{
	range_ctx *ctx = st->ctx;
	const dv_pack_want *w = &ctx->wants[st->rg->first + st->done];

	if (rc == 0) {
		dv_buf_reset(&st->origin);
		dv_buf_printf(&st->origin, "'%s' (offset %llu) of remote '%s'", st->key,
			      (unsigned long long)w->e.offset, ctx->r->base.name);
		if (ctx->writer)
			rc = dv_pack_writer_add(ctx->writer, &w->e.hash, w->e.is_dir, bytes, w->e.length);
		else
			rc = dv_cache_store_verified(ctx->cache, bytes, w->e.length, &w->e.hash, w->e.is_dir,
						     st->origin.ptr, &ctx->items[w->item].st);
		if (rc == DV_ECORRUPT && !ctx->writer)
			note_bad_copy(ctx->r, st->pack, w->e.offset);
		if (rc < 0 && ctx->writer)
			dv_error_wrap(rc, "%s", st->origin.ptr);
	}
	if (ctx->items) {
		item_done(&ctx->items[w->item], rc, ctx->p);
		if (rc == 0)
			dv_progress_add(ctx->p, 0, w->e.length);
	}
	if (rc < 0 && st->rc == 0)
		st->rc = rc;
	st->done++;
}

/* The objects whose bytes are all in `body` now (status 200: the server
 * sent the whole pack, so offsets count from its start). */
static void on_range_body(void *ud, long status, const dv_buf *body)
{
	range_stream *st = ud;
	uint64_t base = status == 200 ? 0 : st->rg->start;

	while (st->done < st->rg->count) {
		const dv_pack_want *w = &st->ctx->wants[st->rg->first + st->done];
		if (w->e.offset < base || body->len < w->e.offset - base + w->e.length)
			break;
		hand_out(st, body->ptr + (w->e.offset - base), 0);
	}
}

/* GET one coalesced range of a pack, its objects handed out as they
 * arrive; those the response did not bring fail with it. */
static int get_range(s3_conn *c, size_t i, void *arg)
{
	range_ctx *ctx = arg;
	const dv_pack_range *rg = &ctx->ranges[i];
	const dv_pack_info *pi = dv_pack_set_pack(&ctx->r->packs, rg->pack);
	char *key = pack_object_key(ctx->r, pi->name, "pack");
	char *what = dv_asprintf("download bytes %llu-%llu of '%s'", (unsigned long long)rg->start,
				 (unsigned long long)rg->end - 1, key);
	char *range = dv_asprintf("%llu-%llu", (unsigned long long)rg->start, (unsigned long long)rg->end - 1);
	range_stream st = { ctx, rg, pi->name, key, 0, 0, DV_BUF_INIT };
	s3_resp resp = S3_RESP_INIT;
	s3_req req = { "GET", key, NULL, -1, 0, 0, NULL, -1, NULL, what, NULL, range, on_range_body, &st };
	int rc = 0;

	if (rg->end > rg->start) {
		dv_buf_grow(&resp.body, rg->end - rg->start); /* one allocation, not a doubling series */
		rc = s3_perform(c, &req, &resp);
	}
	if (rc == 0) /* empty objects need no bytes; the rest must be there by now */
		on_range_body(&st, resp.status ? resp.status : 206, &resp.body);
	if (rc == 0 && st.done < rg->count)
		rc = dv_error(DV_ERROR, "s3 remote '%s' sent %zu bytes for %s: rerun the command",
			      ctx->r->base.name, resp.body.len, what);
	while (st.done < rg->count)
		hand_out(&st, NULL, rc);
	if (rc == 0)
		rc = st.rc;
	outcome_set(&ctx->done, i, rc);
	dv_buf_free(&st.origin);
	s3_resp_free(&resp);
	free(range);
	free(what);
	free(key);
	return rc;
}

/* Fetch `wants` with as few requests as will keep the pool busy: ranges
 * closer than 256 KiB are merged, up to a share of the total per request
 * (1 to 16 MiB).  One range per request: AWS S3 refuses multi-range GETs. */
static int read_wants(range_ctx *ctx, dv_pack_want *wants, size_t n)
{
	dv_vec ranges = DV_VEC_INIT(dv_pack_range);
	uint64_t total = 0, share;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		total += wants[i].e.length;
	share = total / (uint64_t)(ctx->r->base.jobs > 0 ? ctx->r->base.jobs : 1);
	share = share < (1u << 20) ? (1u << 20) : share > (16u << 20) ? (16u << 20) : share;
	dv_pack_plan_ranges(&ranges, wants, n, 256u << 10, share);
	ctx->wants = wants;
	ctx->ranges = ranges.items;
	outcome_init(&ctx->done, ranges.n);
	/* A writer is filled in order, by one thread. */
	if (ctx->writer) {
		for (size_t i = 0; i < ranges.n && rc == 0; i++)
			rc = get_range(&ctx->r->conns[0], i, ctx);
	} else {
		run_pool(ctx->r, ranges.n, get_range, ctx);
	}
	if (ctx->r->fatal_msg)
		rc = dv_error(ctx->r->fatal_rc, "%s", ctx->r->fatal_msg);
	for (size_t i = 0; i < ranges.n && rc == 0; i++)
		if (ctx->done.rcs[i] < 0)
			rc = dv_error(ctx->done.rcs[i], "%s", ctx->done.errs[i]);
	outcome_free(&ctx->done);
	dv_vec_free(&ranges);
	return rc;
}

static int s3_fetch(dv_remote *base, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	s3_remote *r = (s3_remote *)base;
	dv_pack_want *wants = dv_calloc(n ? n : 1, sizeof(*wants));
	batch_ctx ctx;
	int rc = 0;

	batch_start(&ctx, r, cache, items, n, p);
	if ((rc = load_packs(r, false)) < 0) {
		set_fatal(r, rc);
		goto done;
	}
	pack_pause_point();
	/* A second round for what was not found: a concurrent repack or gc
	 * may have moved objects since the indexes were read, so they are
	 * read again (one LIST, and only the new indexes). */
	for (int round = 0; round < 2 && !is_fatal_set(r); round++) {
		size_t nloose = 0, nwants = 0, again = 0;
		range_ctx rctx = { r, cache, NULL, items, NULL, NULL, p, { NULL, NULL, 0 } };
		for (size_t i = 0; i < n; i++) {
			const dv_pack_entry *e;
			if (items[i].status != 1)
				continue;
			if (dv_transfer_is_object(&items[i]) &&
			    (e = dv_pack_set_find(&r->packs, &items[i].hash, items[i].is_dir))) {
				wants[nwants].e = *e;
				wants[nwants++].item = i;
			} else {
				ctx.index[nloose++] = i;
			}
		}
		run_pool(r, nloose, get_one, &ctx);
		if (nwants)
			read_wants(&rctx, wants, nwants);
		for (size_t i = 0; round == 0 && i < n; i++) {
			if (items[i].status == DV_ENOTFOUND) {
				items[i].status = 1;
				again++;
			}
		}
		if (!again || (rc = load_packs(r, true)) < 0)
			break;
	}
	if (rc < 0)
		set_fatal(r, rc);
done:
	rc = finish_batch(r, items, n);
	free(ctx.index);
	free(wants);
	return rc;
}

/* --- gc: retiring and repacking packs ---------------------------------------- */

/* Retire a pack: its index goes first (no new reader sees the pack), then
 * a tombstone starts the grace period after which a later gc deletes the
 * pack file itself.  A reader that read the index before keeps finding
 * the pack's bytes for at least gc.remote_grace. */
static int retire_pack(s3_conn *c, s3_remote *r, const char *name)
{
	char *idx = pack_object_key(r, name, "idx"), *dead = pack_object_key(r, name, "dead");
	char *what = dv_asprintf("retire the pack '%s'", idx);
	int rc;

	if ((rc = delete_key(c, idx, what)) == 0)
		rc = put_key(c, dead, -1, NULL, 0, NULL, what);
	free(what);
	free(idx);
	free(dead);
	return rc;
}

/* Write the live objects of pack `pack` into a new pack (read back with
 * coalesced ranges, each object re-hashed), publish it, then retire the
 * old one.  The new index lands before the old one goes, so every object
 * stays visible throughout. */
static int repack_one(s3_remote *r, uint32_t pack, const bool *garbage)
{
	dv_pack_want *wants = NULL;
	dv_pack_writer w;
	size_t n = 0;
	int rc;

	if ((rc = dv_pack_writer_open(&w, pack_dir(r))) < 0)
		return rc;
	wants = dv_calloc(r->packs.entries.n, sizeof(*wants));
	for (size_t i = 0; i < r->packs.entries.n; i++) {
		const dv_pack_entry *e = dv_vec_at(&r->packs.entries, dv_pack_entry, i);
		if (e->pack == pack && !garbage[i])
			wants[n++].e = *e;
	}
	{
		range_ctx rctx = { r, NULL, &w, NULL, NULL, NULL, NULL, { NULL, NULL, 0 } };
		rc = read_wants(&rctx, wants, n);
	}
	if (rc == 0)
		rc = dv_pack_writer_finish(&w);
	if (rc == 0)
		rc = publish_pack(&r->conns[0], r, &w, NULL);
	if (rc == 0)
		rc = retire_pack(&r->conns[0], r, dv_pack_set_pack(&r->packs, pack)->name);
	dv_pack_writer_free(&w);
	free(wants);
	return rc;
}

/* Was `e`'s object pushed by this push (items[0..n) done)? */
static bool replaced(const dv_transfer *items, size_t n, const dv_pack_entry *e)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].status == 0 && items[i].is_dir == e->is_dir && dv_transfer_is_object(&items[i]) &&
		    dv_hash_equal(&items[i].hash, &e->hash))
			return true;
	return false;
}

/* A corrupt loose copy whose replacement this push put in a pack is
 * deleted (a replacement stored loose overwrote it already). */
static int drop_replaced_loose(s3_remote *r, const dv_transfer *items, size_t n)
{
	int rc = 0;

	for (size_t k = 0; k < r->bad_loose.n && rc == 0; k++) {
		for (size_t i = 0; i < n && rc == 0; i++) {
			const dv_transfer *t = &items[i];
			if (t->status == 0 && dv_transfer_is_object(t) && t->size < r->pack_threshold &&
			    !strcmp(t->relpath, r->bad_loose.v[k])) {
				char *key = object_key(r, t->relpath);
				rc = delete_key(&r->conns[0], key, "delete a corrupt loose copy");
				free(key);
			}
		}
	}
	if (rc == 0)
		dv_strvec_free(&r->bad_loose);
	return rc;
}

/* After a push that replaced objects whose packed copies a fetch of this
 * remote found corrupt (push --verify-remote), rewrite each pack holding
 * such a copy without it and retire the damaged pack: readers are no
 * longer offered the corrupt copy, and the next check is clean.  A copy
 * with no replacement stays (the error names it).  *repaired counts the
 * packs rewritten or retired. */
static int repair_packs(s3_remote *r, const dv_transfer *items, size_t n, size_t *repaired)
{
	bool *garbage;
	size_t *bad;
	int rc;

	*repaired = 0;
	if ((rc = drop_replaced_loose(r, items, n)) < 0 || !r->bad_copies.n)
		return rc;
	if ((rc = load_packs(r, true)) < 0)
		return rc;
	garbage = dv_calloc(r->packs.entries.n + 1, sizeof(*garbage));
	bad = dv_calloc(r->packs.packs.n + 1, sizeof(*bad));
	for (size_t i = 0; i < r->packs.entries.n; i++) {
		const dv_pack_entry *e = dv_vec_at(&r->packs.entries, dv_pack_entry, i);
		garbage[i] = is_bad_copy(r, dv_pack_set_pack(&r->packs, e->pack)->name, e->offset) &&
			     replaced(items, n, e);
		bad[e->pack] += garbage[i];
	}
	for (uint32_t k = 0; k < r->packs.packs.n && rc == 0; k++) {
		const dv_pack_info *pi = dv_pack_set_pack(&r->packs, k);
		if (!bad[k])
			continue;
		rc = bad[k] == pi->count ? retire_pack(&r->conns[0], r, pi->name) : repack_one(r, k, garbage);
		(*repaired)++;
	}
	if (rc == 0)
		dv_vec_free(&r->bad_copies);
	r->packs_loaded = false;
	free(garbage);
	free(bad);
	return rc;
}

/* The tombstones' rule (dv-remote(5)): a pack with an index is live (a
 * tombstone beside it is dropped: a push indexed it again); a pack with
 * neither is an interrupted push's, and gets a tombstone now; a tombstone
 * older than the grace lets its pack go, unless the pack was uploaded
 * again after it. */
static int sweep_packs(s3_remote *r)
{
	dv_vec states = DV_VEC_INIT(pack_state);
	s3_conn *c = &r->conns[0];
	int64_t now = (int64_t)time(NULL);
	int rc;

	if ((rc = list_packs(r, &states)) < 0)
		goto done;
	for (size_t i = 0; i < states.n && rc == 0; i++) {
		pack_state *ps = dv_vec_at(&states, pack_state, i);
		char *pack = pack_object_key(r, ps->name, "pack"), *dead = pack_object_key(r, ps->name, "dead");
		s3_resp dr = S3_RESP_INIT, pr = S3_RESP_INIT;
		s3_req dreq = { "HEAD", dead, NULL, -1, 0, 0, NULL, -1, NULL, "look up a tombstone", NULL, NULL, NULL, NULL };
		s3_req preq = { "HEAD", pack, NULL, -1, 0, 0, NULL, -1, NULL, "look up a pack", NULL, NULL, NULL, NULL };
		if (ps->idx && ps->dead) {
			rc = delete_key(c, dead, "delete a tombstone");
		} else if (!ps->idx && ps->pack && !ps->dead) {
			rc = put_key(c, dead, -1, NULL, 0, NULL, "mark an unindexed pack");
		} else if (!ps->idx && ps->dead) {
			rc = s3_perform(c, &dreq, &dr);
			if (rc == 0 && dr.last_modified >= 0 && now - dr.last_modified >= r->grace) {
				bool again = false; /* uploaded again after it was retired */
				if (ps->pack && (rc = s3_perform(c, &preq, &pr)) == 0)
					again = pr.last_modified > dr.last_modified;
				if (rc == 0 && ps->pack && !again)
					rc = delete_key(c, pack, "delete a retired pack");
				if (rc == 0 || pr.status == 404)
					rc = delete_key(c, dead, "delete a tombstone");
			}
			if (rc < 0 && dr.status == 404) {
				dv_error_clear();
				rc = 0;
			}
		}
		s3_resp_free(&dr);
		s3_resp_free(&pr);
		free(pack);
		free(dead);
	}
done:
	dv_vec_free(&states);
	return rc;
}

typedef struct {
	s3_remote *r;
	const dv_strvec *relpaths;
	s3_outcome done;
} remove_ctx;

static int delete_one(s3_conn *c, size_t i, void *arg)
{
	remove_ctx *ctx = arg;
	char *key = object_key(ctx->r, ctx->relpaths->v[i]);
	char *what = dv_asprintf("delete '%s'", ctx->relpaths->v[i]);
	int rc = delete_key(c, key, what);

	outcome_set(&ctx->done, i, rc);
	free(what);
	free(key);
	return rc;
}

/* One DELETE per object, on the pool (DeleteObjects would need a
 * Content-MD5, and libcurl brings no MD5 of its own). */
static int delete_loose(s3_remote *r, const dv_strvec *relpaths)
{
	remove_ctx ctx = { r, relpaths, { NULL, NULL, 0 } };
	int rc = 0;

	outcome_init(&ctx.done, relpaths->n);
	run_pool(r, relpaths->n, delete_one, &ctx);
	if (r->fatal_msg)
		rc = dv_error(r->fatal_rc, "%s", r->fatal_msg);
	for (size_t i = 0; i < relpaths->n && rc == 0; i++)
		if (ctx.done.rcs[i] < 0)
			rc = dv_error(ctx.done.rcs[i], "%s", ctx.done.errs[i]);
	outcome_free(&ctx.done);
	return rc;
}

/* gc -c: loose objects are deleted; a pack whose objects are all garbage
 * is retired, one whose garbage is at least half its bytes is repacked,
 * and the others keep their garbage (r->left_in_packs) until it is. */
static int s3_remove(dv_remote *base, const dv_strvec *relpaths)
{
	s3_remote *r = (s3_remote *)base;
	dv_strvec loose = DV_STRVEC_INIT, doomed = DV_STRVEC_INIT;
	bool *garbage = NULL;
	uint64_t *gbytes = NULL;
	size_t *gcount = NULL, npacks;
	int rc;

	begin_op(r);
	r->base.left_in_packs = 0;
	/* The sweep comes first, so a pack this gc retires keeps its bytes
	 * until a later gc, whatever the grace (even 0). */
	if ((rc = list_keys(r, &loose, "files/", NULL)) < 0 || (rc = load_packs(r, true)) < 0 ||
	    (rc = sweep_packs(r)) < 0)
		goto done;
	dv_strvec_sort(&loose);
	npacks = r->packs.packs.n;
	garbage = dv_calloc(r->packs.entries.n + 1, sizeof(*garbage));
	gbytes = dv_calloc(npacks + 1, sizeof(*gbytes));
	gcount = dv_calloc(npacks + 1, sizeof(*gcount));
	for (size_t i = 0; i < relpaths->n; i++) {
		const char *key = relpaths->v[i];
		const dv_pack_entry *e;
		dv_hash h;
		bool is_dir;
		if (loose.n && bsearch(&key, loose.v, loose.n, sizeof(*loose.v), cmp_relpath))
			dv_strvec_push(&doomed, key);
		if (!dv_objects_parse_relpath(&h, &is_dir, key) || !(e = dv_pack_set_find(&r->packs, &h, is_dir)))
			continue;
		/* Every copy: entries of one object are neighbours. */
		for (size_t k = (size_t)(e - (const dv_pack_entry *)r->packs.entries.items);
		     k < r->packs.entries.n; k++) {
			const dv_pack_entry *x = dv_vec_at(&r->packs.entries, dv_pack_entry, k);
			if (!dv_hash_equal(&x->hash, &h) || x->is_dir != is_dir)
				break;
			garbage[k] = true;
			gbytes[x->pack] += x->length;
			gcount[x->pack]++;
		}
	}
	if ((rc = delete_loose(r, &doomed)) < 0)
		goto done;
	for (uint32_t k = 0; k < npacks && rc == 0; k++) {
		const dv_pack_info *pi = dv_pack_set_pack(&r->packs, k);
		if (!gcount[k])
			continue;
		if (gcount[k] == pi->count)
			rc = retire_pack(&r->conns[0], r, pi->name);
		else if (gbytes[k] * 2 >= pi->payload)
			rc = repack_one(r, k, garbage);
		else
			r->base.left_in_packs += gcount[k];
	}
	if (rc == 0)
		rc = write_pack_list(r);
	r->packs_loaded = false; /* what it holds changed */
done:
	free(garbage);
	free(gbytes);
	free(gcount);
	dv_strvec_free(&loose);
	dv_strvec_free(&doomed);
	return rc;
}

/* dv push --repack: the loose small objects among `items` go into packs;
 * each loose copy is deleted once its pack's index has landed.  A reader
 * that listed the loose copy and then misses it looks in the packs again
 * (s3_fetch's second round). */
static int s3_repack(dv_remote *base, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p,
		     size_t *npacked)
{
	s3_remote *r = (s3_remote *)base;
	dv_strvec loose = DV_STRVEC_INIT;
	dv_buf path = DV_BUF_INIT;
	size_t *which = dv_calloc(n ? n : 1, sizeof(*which)), nwhich = 0;
	int rc;

	*npacked = 0;
	begin_op(r);
	for (size_t i = 0; i < n; i++)
		items[i].status = 0;
	if ((rc = list_keys(r, &loose, "files/", NULL)) < 0 || (rc = load_packs(r, true)) < 0)
		goto done;
	dv_strvec_sort(&loose);
	for (size_t i = 0; i < n; i++) {
		dv_transfer *t = &items[i];
		const char *key = t->relpath;
		struct stat st;
		if (!dv_transfer_is_object(t) || dv_pack_set_find(&r->packs, &t->hash, t->is_dir) ||
		    !loose.n || !bsearch(&key, loose.v, loose.n, sizeof(*loose.v), cmp_relpath))
			continue;
		dv_transfer_local_path(&path, cache, t);
		if (stat(path.ptr, &st) < 0 || (uint64_t)st.st_size >= r->pack_threshold)
			continue;
		t->size = (uint64_t)st.st_size;
		t->status = 1;
		which[nwhich++] = i;
	}
	*npacked = push_packs(r, cache, items, which, nwhich, p, true);
	rc = finish_batch(r, items, n);
	if (rc == 0)
		rc = write_pack_list(r);
	r->packs_loaded = false;
done:
	dv_strvec_free(&loose);
	dv_buf_free(&path);
	free(which);
	return rc;
}

static void s3_free(dv_remote *base)
{
	s3_remote *r = (s3_remote *)base;
	if (!r)
		return;
	for (size_t i = 0; i < r->nconns; i++)
		if (r->conns[i].easy)
			curl_easy_cleanup(r->conns[i].easy);
	free(r->conns);
	dv_pack_set_free(&r->packs);
	dv_vec_free(&r->bad_copies);
	dv_strvec_free(&r->bad_loose);
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->xml_headers);
	curl_slist_free_all(r->post_headers);
	dv_s3_credentials_free(&r->creds);
	pthread_mutex_destroy(&r->mu);
	free(r->fatal_msg);
	free(r->cred_source);
	free(r->bucket);
	free(r->prefix);
	free(r->endpoint);
	free(r->bucket_url);
	free(r->object_base);
	free(r->region);
	free(r->sigv4);
	dv_remote_release_base(&r->base);
	free(r);
}

static const dv_remote_ops s3_ops = {
	.kind = "s3",
	.list = s3_list,
	.list_since = s3_list_since,
	.exists = s3_exists,
	.push = s3_push,
	.fetch = s3_fetch,
	.stat_file = s3_stat_file,
	.download = s3_download,
	.remove = s3_remove,
	.repack = s3_repack,
	.free = s3_free,
};

/* --- configuration ------------------------------------------------------- */

/* remote.NAME.KEY when set and not empty. */
static const char *remote_get(const dv_config *cfg, const char *name, const char *key)
{
	const char *v = dv_remote_config(cfg, name, key);
	return v && *v ? v : NULL;
}

static const char *env_get(const char *var)
{
	const char *v = getenv(var);
	return v && *v ? v : NULL;
}

static char *credentials_file_path(void)
{
	const char *env = env_get("AWS_SHARED_CREDENTIALS_FILE"), *home = env_get("HOME");
	if (env)
		return dv_strdup(env);
	if (!home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/";
	}
	return dv_asprintf("%s/.aws/credentials", home);
}

static void take_credentials(s3_remote *r, const char *id, const char *secret, const char *token)
{
	r->creds.access_key_id = dv_strdup(id);
	r->creds.secret_access_key = dv_strdup(secret);
	r->creds.session_token = token && *token ? dv_strdup(token) : NULL;
}

/* The most specific setting wins: remote.NAME.access_key_id and
 * secret_access_key (.dv/config.local or the user's config, never the
 * committed .dv/config); then the profile remote.NAME.profile names; then
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; then the AWS_PROFILE (or
 * default) profile of the shared credentials file. */
static int resolve_credentials(s3_remote *r, const dv_config *cfg, const char *name)
{
	const char *id, *secret, *token, *profile;
	char *file = NULL;
	int rc;

	if ((rc = dv_remote_config_secret(&id, cfg, name, "access_key_id")) < 0 ||
	    (rc = dv_remote_config_secret(&secret, cfg, name, "secret_access_key")) < 0 ||
	    (rc = dv_remote_config_secret(&token, cfg, name, "session_token")) < 0)
		return rc;
	if (id || secret) {
		if (!id || !secret)
			return dv_error(DV_EUSAGE, "remote '%s' has %s but not %s: set both with 'dv remote modify --local %s KEY VALUE'",
					name, id ? "access_key_id" : "secret_access_key",
					id ? "secret_access_key" : "access_key_id", name);
		take_credentials(r, id, secret, token);
		r->cred_source = dv_asprintf("remote.%s.access_key_id and secret_access_key (dv config)", name);
		return 0;
	}

	file = credentials_file_path();
	if ((profile = remote_get(cfg, name, "profile"))) {
		if ((rc = dv_s3_read_credentials_file(&r->creds, file, profile)) < 0)
			rc = dv_error_wrap(rc, "remote.%s.profile", name);
		else
			r->cred_source = dv_asprintf("profile [%s] of '%s'", profile, file);
		goto done;
	}
	if ((id = env_get("AWS_ACCESS_KEY_ID")) && (secret = env_get("AWS_SECRET_ACCESS_KEY"))) {
		take_credentials(r, id, secret, getenv("AWS_SESSION_TOKEN"));
		r->cred_source = dv_strdup("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
		goto done;
	}
	profile = env_get("AWS_PROFILE");
	rc = dv_s3_read_credentials_file(&r->creds, file, profile ? profile : "default");
	if (rc == 0)
		r->cred_source = dv_asprintf("profile [%s] of '%s'", profile ? profile : "default", file);
	else if (profile)
		rc = dv_error_wrap(rc, "AWS_PROFILE");
	else if (rc == DV_ENOTFOUND)
		rc = dv_error(DV_ERROR, "no credentials for s3 remote '%s': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, add a [default] profile to '%s', or set access_key_id and secret_access_key with 'dv remote modify --local %s KEY VALUE'",
			      name, file, name);
done:
	free(file);
	return rc;
}

/* Lower-case letters, digits and '-': a region (it goes into the SigV4
 * scope, where a ':' would break it), or a bucket usable as a DNS label
 * in AWS's virtual-hosted style (with https, a '.' would break the
 * certificate match). */
static bool dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static int configure_addressing(s3_remote *r, const dv_config *cfg, const char *name)
{
	const char *ep = remote_get(cfg, name, "endpoint");
	dv_buf b = DV_BUF_INIT;

	if (!ep)
		ep = env_get("AWS_ENDPOINT_URL_S3");
	if (!ep)
		ep = env_get("AWS_ENDPOINT_URL");
	if (ep) {
		/* A custom endpoint: always path-style, which every
		 * S3-compatible store understands. */
		if (!strstr(ep, "://"))
			dv_buf_printf(&b, "https://%s", ep);
		else if (!strncmp(ep, "http://", 7) || !strncmp(ep, "https://", 8))
			dv_buf_puts(&b, ep);
		else
			return dv_error(DV_EUSAGE, "endpoint '%s' of s3 remote '%s' is not an http:// or https:// URL",
					ep, name);
		while (b.len > 0 && b.ptr[b.len - 1] == '/')
			dv_buf_truncate(&b, b.len - 1);
		r->endpoint = dv_strdup(b.ptr);
		dv_buf_putc(&b, '/');
		dv_s3_uri_encode(&b, r->bucket, false);
		r->bucket_url = dv_strdup(b.ptr);
		r->object_base = dv_strdup(b.ptr);
	} else if (dns_label(r->bucket, 63)) {
		r->endpoint = dv_asprintf("https://s3.%s.amazonaws.com", r->region);
		r->object_base = dv_asprintf("https://%s.s3.%s.amazonaws.com", r->bucket, r->region);
		r->bucket_url = dv_asprintf("%s/", r->object_base);
	} else {
		r->endpoint = dv_asprintf("https://s3.%s.amazonaws.com", r->region);
		dv_buf_printf(&b, "%s/", r->endpoint);
		dv_s3_uri_encode(&b, r->bucket, false);
		r->bucket_url = dv_strdup(b.ptr);
		r->object_base = dv_strdup(b.ptr);
	}
	dv_buf_free(&b);
	return 0;
}

/* remote.NAME.pack_threshold (0: never pack), remote.NAME.pack_size and
 * gc.remote_grace (dv-remote(5)). */
static int configure_packs(s3_remote *r, const dv_config *cfg, const char *name)
{
	const char *v;
	int64_t grace_ns;
	int rc;

	r->pack_threshold = DV_PACK_DEFAULT_THRESHOLD;
	r->pack_size = DV_PACK_DEFAULT_SIZE;
	if ((v = remote_get(cfg, name, "pack_threshold")) &&
	    (dv_s3_parse_size(&r->pack_threshold, v) < 0 || r->pack_threshold > DV_S3_MAX_PART))
		return dv_error(DV_EUSAGE, "remote.%s.pack_threshold '%s' is not a size up to 5G (0 turns packing off)",
				name, v);
	if ((v = remote_get(cfg, name, "pack_size")) &&
	    (dv_s3_parse_size(&r->pack_size, v) < 0 || r->pack_size < 1024 || r->pack_size > (1ull << 30)))
		return dv_error(DV_EUSAGE, "remote.%s.pack_size '%s' is not a size from 1K to 1G", name, v);
	if ((rc = dv_config_remote_grace(&grace_ns, cfg)) < 0)
		return rc;
	r->grace = grace_ns / 1000000000LL;
	return 0;
}

static struct curl_slist *headers_with(const char *first, const struct curl_slist *rest)
{
	struct curl_slist *h = first ? curl_slist_append(NULL, first) : NULL;
	for (; rest; rest = rest->next)
		h = curl_slist_append(h, rest->data);
	return h;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void init_curl(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int dv_remote_s3_open(dv_remote **out, const dv_config *cfg, const char *name, const char *url)
{
	s3_remote *r = dv_calloc(1, sizeof(*r));
	const char *v;
	int rc;

	*out = NULL;
	pthread_mutex_init(&r->mu, NULL);
	dv_remote_init_base(&r->base, &s3_ops, name, url, S3_DEFAULT_JOBS);
	r->part_size = DV_S3_DEFAULT_PART;
	dv_pack_set_init(&r->packs);
	r->bad_copies = (dv_vec)DV_VEC_INIT(pack_copy);

	pthread_once(&curl_once, init_curl);
	if (curl_init_rc != CURLE_OK) {
		rc = dv_error(DV_ERROR, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_rc));
		goto fail;
	}
	if ((rc = dv_s3_parse_url(&r->bucket, &r->prefix, url)) < 0)
		goto fail;

	if (!(v = remote_get(cfg, name, "region")) && !(v = env_get("AWS_REGION")))
		v = env_get("AWS_DEFAULT_REGION");
	r->region = dv_strdup(v ? v : S3_DEFAULT_REGION);
	if (!dns_label(r->region, 64)) {
		rc = dv_error(DV_EUSAGE, "'%s' is not an S3 region name (like us-east-1): fix remote.%s.region",
			      r->region, name);
		goto fail;
	}
	r->sigv4 = dv_asprintf("aws:amz:%s:s3", r->region);
	if ((rc = configure_addressing(r, cfg, name)) < 0)
		goto fail;

	/* The part size, which is also the size above which an upload is
	 * multipart; DV_S3_MULTIPART_CHUNK sets it for tests. */
	if ((v = remote_get(cfg, name, "multipart_chunk")) || (v = env_get("DV_S3_MULTIPART_CHUNK"))) {
		if (dv_s3_parse_size(&r->part_size, v) < 0 ||
		    r->part_size < DV_S3_MIN_PART || r->part_size > DV_S3_MAX_PART) {
			rc = dv_error(DV_EUSAGE, "multipart chunk '%s' of s3 remote '%s' is not a size from 5M to 5G",
				      v, name);
			goto fail;
		}
	}
	if ((rc = configure_packs(r, cfg, name)) < 0)
		goto fail;
	if ((v = env_get("DV_TEST_S3_MAX_SPEED"))) {
		uint64_t speed;
		if (dv_s3_parse_size(&speed, v) == 0)
			r->max_speed = (curl_off_t)speed;
	}

	if ((rc = resolve_credentials(r, cfg, name)) < 0)
		goto fail;
	r->headers = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
	if (r->headers && r->creds.session_token) {
		char *token = dv_asprintf("x-amz-security-token: %s", r->creds.session_token);
		r->headers = curl_slist_append(r->headers, token);
		free(token);
	}
	r->xml_headers = headers_with("Content-Type: application/xml", r->headers);
	r->post_headers = headers_with("Content-Type: application/octet-stream", r->headers);
	if (!r->headers || !r->xml_headers || !r->post_headers) {
		rc = dv_error(DV_ERROR, "out of memory building request headers");
		goto fail;
	}
	*out = &r->base;
	return 0;
fail:
	s3_free(&r->base);
	return rc;
}
