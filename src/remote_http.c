/*
 * remote_http.c - a read-only remote over HTTP(S) (http://, https://):
 * any web server exposing a remote's directory (the same files/ layout),
 * e.g. a directory or SSH remote published by nginx.  Fetch only.
 *
 * Objects are plain GETs of <url>/<relpath>, r->jobs of them in flight on
 * one curl multi handle, so connections are kept alive and reused across
 * objects.  A 404 means the remote does not have the object.  HTTP cannot
 * list a directory portably, so `list` is unsupported and callers fall
 * back to `exists` (a HEAD request).  Every body lands in a cache temp file
 * and is re-hashed (dv_transfer_adopt) before it enters the cache.
 *
 * A packed S3 remote published over HTTP (dv-remote(5)) names its packs in
 * packs/list, since HTTP cannot list them: the indexes it names are read
 * once (kept in .dv/packs), and packed objects are fetched with Range
 * requests, coalesced ranges on r->jobs threads, each object re-hashed.  A
 * server that ignores Range sends the whole pack, which works too.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/objects.h"
#include "dv/pack.h"
#include "dv/remote.h"
#include "remote_kinds.h"

#define HTTP_DEFAULT_JOBS 8

typedef struct {
	dv_remote base;
	char *base_url; /* no trailing '/' */
	dv_pack_set packs;
	bool packs_loaded;
} http_remote;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The settings every request shares. */
static CURL *new_handle(http_remote *hr, const char *relpath, char *errbuf)
{
	CURL *h = curl_easy_init();
	char *url;

	if (!h)
		return NULL;
	url = dv_asprintf("%s/%s", hr->base_url, relpath);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dv/" DV_VERSION);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled server: under 1 byte/s for a minute is an error. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
	return h;
}

/* One error message for a finished request; 0 for 200. */
static int request_status(http_remote *hr, CURL *h, CURLcode cc, const char *errbuf,
			  const char *relpath)
{
	long code = 0;

	if (cc != CURLE_OK)
		return dv_error(DV_ERROR, "cannot fetch '%s' from remote '%s' (%s): %s", relpath,
				hr->base.name, hr->base_url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200)
		return 0;
	if (code == 404 || code == 410)
		return dv_error(DV_ENOTFOUND, "object '%s' is not on remote '%s'", relpath, hr->base.name);
	if (code == 401 || code == 403)
		return dv_error(DV_ERROR, "remote '%s' (%s) refused access (HTTP %ld): check the URL's "
				"credentials and the server's permissions", hr->base.name, hr->base_url, code);
	return dv_error(DV_ERROR, "remote '%s' (%s) answered HTTP %ld for '%s'", hr->base.name,
			hr->base_url, code, relpath);
}

/* A connection-level failure: every further request would fail alike. */
static bool is_fatal(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	       cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_SSL_CONNECT_ERROR ||
	       cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_OPERATION_TIMEDOUT;
}

static int http_list(dv_remote *r, dv_strvec *out, const char *prefix)
{
	(void)out;
	(void)prefix;
	return dv_error(DV_ENOTFOUND, "remote '%s' is an HTTP remote, which cannot list its objects",
			r->name);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static size_t keep_body(char *p, size_t size, size_t n, void *ctx)
{
	dv_buf_add(ctx, p, size * n);
	return size * n;
}

/* GET relpath (bytes `range` only, when not NULL) into memory: 0 on 200 or
 * 206 (*status says which), DV_ENOTFOUND on 404. */
static int get_into(dv_buf *out, long *status, http_remote *hr, const char *relpath, const char *range)
{
	char errbuf[CURL_ERROR_SIZE];
	CURL *h;
	CURLcode cc;
	int rc;

	pthread_once(&curl_once, curl_init_once);
	if (!(h = new_handle(hr, relpath, errbuf)))
		return dv_error(DV_ERROR, "cannot start an HTTP request");
	dv_buf_reset(out);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	if (range)
		curl_easy_setopt(h, CURLOPT_RANGE, range);
	cc = curl_easy_perform(h);
	*status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	__atomic_fetch_add(&hr->base.requests, 1, __ATOMIC_RELAXED);
	rc = cc == CURLE_OK && *status == 206 ? 0 : request_status(hr, h, cc, errbuf, relpath);
	curl_easy_cleanup(h);
	return rc;
}

/* Read packs/list and the indexes it names (once per remote opened). */
static int load_packs(http_remote *hr)
{
	dv_strvec names = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT, rel = DV_BUF_INIT, origin = DV_BUF_INIT;
	long status;
	int rc;

	if (hr->packs_loaded)
		return 0;
	rc = get_into(&text, &status, hr, DV_PACK_DIR "list", NULL);
	if (rc == DV_ENOTFOUND) { /* a loose remote */
		dv_error_clear();
		rc = 0;
		goto done;
	}
	dv_buf_printf(&origin, "'%s/" DV_PACK_DIR "list'", hr->base_url);
	if (rc < 0 || (rc = dv_pack_list_parse(&names, text.ptr, text.len, origin.ptr)) < 0)
		goto done;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		if (dv_pack_cache_load(&hr->packs, hr->base.pack_dir, names.v[i]) == 0)
			continue;
		dv_pack_key(&rel, names.v[i], "idx");
		rc = get_into(&text, &status, hr, rel.ptr, NULL);
		if (rc == DV_ENOTFOUND) { /* retired since the list was written */
			dv_error_clear();
			rc = 0;
			continue;
		}
		dv_buf_reset(&origin);
		dv_buf_printf(&origin, "'%s/%s'", hr->base_url, rel.ptr);
		if (rc == 0 && (rc = dv_pack_set_add_index(&hr->packs, text.ptr, text.len, names.v[i], origin.ptr)) == 0)
			dv_pack_cache_keep(hr->base.pack_dir, names.v[i], &text);
	}
done:
	if (rc == 0) {
		dv_pack_set_sort(&hr->packs);
		hr->packs_loaded = true;
		dv_pack_cache_prune(hr->base.pack_dir, hr->base.url, &names);
	}
	dv_strvec_free(&names);
	dv_buf_free(&text);
	dv_buf_free(&rel);
	dv_buf_free(&origin);
	return rc;
}

/* The packed objects of one fetch: ranges handed to r->jobs threads, a
 * range at a time, so that their requests are in flight together. */
typedef struct {
	http_remote *hr;
	dv_cache *cache;
	dv_transfer *items;
	dv_progress *p;
	const dv_pack_want *wants;
	const dv_pack_range *ranges;
	size_t nranges;
	size_t next; /* the next range to take (atomic) */
} packed_fetch;

/* GET one coalesced range and store its objects, each re-hashed. */
static void fetch_range(packed_fetch *pf, const dv_pack_range *rg, dv_buf *body, dv_buf *rel, dv_buf *origin)
{
	http_remote *hr = pf->hr;
	char *range = dv_asprintf("%llu-%llu", (unsigned long long)rg->start, (unsigned long long)rg->end - 1);
	uint64_t base = rg->start;
	long status = 0;
	int rc = 0;

	dv_pack_key(rel, dv_pack_set_pack(&hr->packs, rg->pack)->name, "pack");
	dv_buf_reset(body);
	if (rg->end > rg->start)
		rc = get_into(body, &status, hr, rel->ptr, range);
	if (status == 200)
		base = 0; /* the server ignored the range */
	if (rc == 0 && body->len < rg->end - base)
		rc = dv_error(DV_ERROR, "remote '%s' sent %zu bytes for bytes %s of '%s': rerun the command",
			      hr->base.name, body->len, range, rel->ptr);
	for (size_t j = 0; j < rg->count; j++) {
		const dv_pack_want *w = &pf->wants[rg->first + j];
		dv_transfer *t = &pf->items[w->item];
		int orc = rc;
		if (orc == 0) {
			dv_buf_reset(origin);
			dv_buf_printf(origin, "'%s' (offset %llu) of remote '%s'", rel->ptr,
				      (unsigned long long)w->e.offset, hr->base.name);
			orc = dv_cache_store_verified(pf->cache, body->ptr + (w->e.offset - base), w->e.length,
						      &w->e.hash, w->e.is_dir, origin->ptr, &t->st);
		}
		if (orc < 0) {
			dv_transfer_fail(t, orc);
		} else {
			t->status = 0;
			dv_progress_add(pf->p, 1, w->e.length);
		}
	}
	free(range);
}

static void *packed_worker(void *arg)
{
	packed_fetch *pf = arg;
	dv_buf body = DV_BUF_INIT, rel = DV_BUF_INIT, origin = DV_BUF_INIT;
	size_t k;

	while ((k = __atomic_fetch_add(&pf->next, 1, __ATOMIC_RELAXED)) < pf->nranges)
		fetch_range(pf, &pf->ranges[k], &body, &rel, &origin);
	dv_buf_free(&body);
	dv_buf_free(&rel);
	dv_buf_free(&origin);
	return NULL;
}

/* Fetch the packed ones among `items`: ranges closer than 256 KiB merged,
 * up to a share of the total per request (1 to 16 MiB) so that every
 * thread has work. */
static void fetch_packed(http_remote *hr, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	dv_pack_want *wants = dv_calloc(n ? n : 1, sizeof(*wants));
	dv_vec ranges = DV_VEC_INIT(dv_pack_range);
	size_t nwants = 0, started = 0, nthreads = (size_t)(hr->base.jobs > 0 ? hr->base.jobs : HTTP_DEFAULT_JOBS);
	uint64_t total = 0, share;
	pthread_t *threads;
	packed_fetch pf;

	for (size_t i = 0; i < n; i++) {
		const dv_pack_entry *e;
		if (items[i].status == 1 && dv_transfer_is_object(&items[i]) &&
		    (e = dv_pack_set_find(&hr->packs, &items[i].hash, items[i].is_dir))) {
			wants[nwants].e = *e;
			wants[nwants++].item = i;
			total += e->length;
		}
	}
	share = total / nthreads;
	share = share < (1u << 20) ? (1u << 20) : share > (16u << 20) ? (16u << 20) : share;
	dv_pack_plan_ranges(&ranges, wants, nwants, 256u << 10, share);
	pf = (packed_fetch){ hr, cache, items, p, wants, ranges.items, ranges.n, 0 };
	if (nthreads > ranges.n)
		nthreads = ranges.n;
	threads = dv_calloc(nthreads ? nthreads : 1, sizeof(*threads));
	/* This thread is one of the workers; a thread that cannot start
	 * leaves its share to the others. */
	for (size_t i = 1; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, packed_worker, &pf) == 0)
			started++;
	packed_worker(&pf);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	dv_vec_free(&ranges);
	free(wants);
}

static int http_exists(dv_remote *r, const char *relpath, bool *out)
{
	http_remote *hr = (http_remote *)r;
	char errbuf[CURL_ERROR_SIZE];
	CURL *h;
	dv_hash hash;
	bool is_dir;
	int rc;

	if ((rc = load_packs(hr)) < 0)
		return rc;
	if (dv_objects_parse_relpath(&hash, &is_dir, relpath) && dv_pack_set_find(&hr->packs, &hash, is_dir)) {
		*out = true;
		return 0;
	}
	pthread_once(&curl_once, curl_init_once);
	if (!(h = new_handle(hr, relpath, errbuf)))
		return dv_error(DV_ERROR, "cannot start an HTTP request");
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	rc = request_status(hr, h, curl_easy_perform(h), errbuf, relpath);
	*out = rc == 0;
	if (rc == DV_ENOTFOUND)
		rc = 0;
	curl_easy_cleanup(h);
	return rc;
}

static int http_read_only(dv_remote *r)
{
	return dv_error(DV_EUSAGE, "remote '%s' is an HTTP remote, which is read-only: push through a "
			"directory, SSH or S3 remote and publish that over HTTP", r->name);
}

static int http_push(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	int rc = http_read_only(r);
	(void)cache;
	(void)p;
	for (size_t i = 0; i < n; i++)
		dv_transfer_fail(&items[i], rc);
	return rc;
}

static int http_remove(dv_remote *r, const dv_strvec *relpaths)
{
	(void)relpaths;
	return http_read_only(r);
}

/* One download in flight. */
typedef struct {
	CURL *h;
	dv_transfer *t;
	int fd;
	dv_buf tmp;
	uint64_t bytes;
	int write_errno;
	char errbuf[CURL_ERROR_SIZE];
} download;

static size_t write_body(char *p, size_t size, size_t n, void *ctx)
{
	download *d = ctx;
	size_t len = size * n;
	long code = 0;

	/* Only a 200's body is the object; an error page is dropped. */
	curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		return len;
	if (dv_write_all(d->fd, p, len) < 0) {
		d->write_errno = errno;
		return 0; /* aborts this transfer */
	}
	d->bytes += len;
	return len;
}

static int start_download(download *d, http_remote *hr, dv_cache *cache, CURLM *multi,
			  dv_transfer *t)
{
	int rc;

	memset(d, 0, sizeof(*d));
	dv_buf_init(&d->tmp);
	d->t = t;
	if ((rc = dv_transfer_tmp_open(&d->fd, &d->tmp, cache, t)) < 0)
		return rc;
	if (!(d->h = new_handle(hr, t->relpath, d->errbuf))) {
		dv_tmpfile_abort(d->fd, d->tmp.ptr);
		dv_buf_free(&d->tmp);
		return dv_error(DV_ERROR, "cannot start an HTTP request");
	}
	curl_easy_setopt(d->h, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(d->h, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(d->h, CURLOPT_PRIVATE, d);
	curl_multi_add_handle(multi, d->h);
	return 0;
}

/* A finished download: check, adopt (re-hash) or drop; the slot is freed. */
static int finish_download(download *d, http_remote *hr, dv_cache *cache, CURLM *multi,
			   CURLcode cc, dv_progress *p)
{
	int rc;

	curl_multi_remove_handle(multi, d->h);
	if (d->write_errno) {
		errno = d->write_errno;
		rc = dv_error_errno(DV_ERROR, "cannot write into the cache '%s'", cache->dir);
	} else {
		rc = request_status(hr, d->h, cc, d->errbuf, d->t->relpath);
	}
	if (rc == 0 && close(d->fd) < 0)
		rc = dv_error_errno(DV_ERROR, "cannot write into the cache '%s'", cache->dir);
	else if (rc < 0)
		close(d->fd);
	if (rc == 0)
		rc = dv_transfer_adopt(cache, d->tmp.ptr, d->t, &hr->base);
	else
		dv_tmpfile_abort(-1, d->tmp.ptr);
	if (rc < 0) {
		dv_transfer_fail(d->t, rc);
	} else {
		d->t->status = 0;
		dv_progress_add(p, 1, d->bytes);
	}
	curl_easy_cleanup(d->h);
	dv_buf_free(&d->tmp);
	d->h = NULL;
	return rc;
}

static int http_fetch(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	http_remote *hr = (http_remote *)r;
	int jobs = r->jobs < 1 ? 1 : r->jobs;
	download *slots = dv_calloc((size_t)jobs, sizeof(*slots));
	size_t next = 0;
	int running = 0, fatal = 0;
	CURLM *multi;

	pthread_once(&curl_once, curl_init_once);
	if ((fatal = load_packs(hr)) < 0) {
		for (size_t i = 0; i < n; i++)
			dv_transfer_fail(&items[i], fatal);
		free(slots);
		return fatal;
	}
	fetch_packed(hr, cache, items, n, p);
	/* At most `jobs` requests are ever added, so at most `jobs`
	 * connections; capping connections in curl as well would make a
	 * request queue behind one the server is closing. */
	multi = curl_multi_init();
	for (;;) {
		CURLMsg *msg;
		int left;

		/* Keep every slot busy until the list runs out (or the server is
		 * known to be unreachable). */
		for (int i = 0; i < jobs && next < n && !fatal; i++) {
			if (slots[i].h)
				continue;
			while (next < n && items[next].status != 1)
				next++; /* fetched from a pack */
			if (next >= n)
				break;
			int rc = start_download(&slots[i], hr, cache, multi, &items[next]);
			if (rc < 0)
				dv_transfer_fail(&items[next], rc);
			next++;
		}
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		bool freed = false;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			download *d = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			freed = true;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
			CURLcode cc = msg->data.result;
			if (finish_download(d, hr, cache, multi, cc, p) < 0 && is_fatal(cc) && !fatal)
				fatal = dv_error(DV_ERROR, "%s", d->t->error);
		}
		if (running == 0 && (next >= n || fatal)) {
			bool busy = false;
			for (int i = 0; i < jobs; i++)
				busy |= slots[i].h != NULL;
			if (!busy)
				break;
		}
		if (freed)
			continue; /* refill the free slots before waiting */
		long wait_ms = 1000;
		curl_multi_timeout(multi, &wait_ms);
		if (wait_ms < 0 || wait_ms > 1000)
			wait_ms = 1000;
		curl_multi_poll(multi, NULL, 0, (int)wait_ms, NULL);
	}
	for (int i = 0; i < jobs; i++)
		if (slots[i].h)
			finish_download(&slots[i], hr, cache, multi, CURLE_ABORTED_BY_CALLBACK, p);
	curl_multi_cleanup(multi);
	free(slots);
	if (fatal) {
		/* Say it once for everything not tried. */
		const char *why = items[0].error;
		for (size_t i = 0; i < n; i++)
			if (items[i].status != 0 && items[i].error)
				why = items[i].error;
		dv_error(DV_ERROR, "%s", why ? why : "cannot reach the remote");
		for (size_t i = 0; i < n; i++)
			if (items[i].status == 1)
				dv_transfer_fail(&items[i], DV_ERROR);
	}
	return dv_transfer_first_failure(items, n);
}

static void http_free(dv_remote *r)
{
	http_remote *hr = (http_remote *)r;
	dv_remote_release_base(r);
	dv_pack_set_free(&hr->packs);
	free(hr->base_url);
	free(hr);
}

/* --- single files (dv import-url) ---------------------------------------- */

static size_t keep_etag(char *line, size_t size, size_t n, void *ctx)
{
	dv_buf *etag = ctx;
	size_t len = size * n;
	if (len > 5 && !strncasecmp(line, "ETag:", 5)) {
		const char *v = line + 5;
		size_t vl = len - 5;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		dv_buf_reset(etag);
		dv_buf_add(etag, v, vl);
	}
	return len;
}

static int http_stat_file(dv_remote *r, const char *relpath, dv_remote_file_info *out)
{
	http_remote *hr = (http_remote *)r;
	char errbuf[CURL_ERROR_SIZE];
	dv_buf etag = DV_BUF_INIT;
	curl_off_t len = -1, mtime = -1;
	CURL *h;
	int rc;

	memset(out, 0, sizeof(*out));
	pthread_once(&curl_once, curl_init_once);
	if (!(h = new_handle(hr, relpath, errbuf)))
		return dv_error(DV_ERROR, "cannot start an HTTP request");
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, keep_etag);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &etag);
	if ((rc = request_status(hr, h, curl_easy_perform(h), errbuf, relpath)) == 0) {
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
		curl_easy_getinfo(h, CURLINFO_FILETIME_T, &mtime);
		out->size = len > 0 ? (uint64_t)len : 0;
		out->mtime = mtime > 0 ? (int64_t)mtime : 0;
		out->etag = etag.len ? dv_buf_detach(&etag) : NULL;
	}
	curl_easy_cleanup(h);
	dv_buf_free(&etag);
	return rc;
}

static int http_download(dv_remote *r, const char *relpath, int fd, dv_progress *p)
{
	http_remote *hr = (http_remote *)r;
	download d;
	CURLcode cc;
	int rc;

	pthread_once(&curl_once, curl_init_once);
	memset(&d, 0, sizeof(d));
	d.fd = fd;
	if (!(d.h = new_handle(hr, relpath, d.errbuf)))
		return dv_error(DV_ERROR, "cannot start an HTTP request");
	curl_easy_setopt(d.h, CURLOPT_WRITEFUNCTION, write_body);
	curl_easy_setopt(d.h, CURLOPT_WRITEDATA, &d);
	cc = curl_easy_perform(d.h);
	if (d.write_errno) {
		errno = d.write_errno;
		rc = dv_error_errno(DV_ERROR, "cannot write the download of '%s'", relpath);
	} else {
		rc = request_status(hr, d.h, cc, d.errbuf, relpath);
	}
	if (rc == 0)
		dv_progress_add(p, 1, d.bytes);
	curl_easy_cleanup(d.h);
	return rc;
}

static const dv_remote_ops http_ops = {
	.kind = "http",
	.list = http_list,
	.exists = http_exists,
	.push = http_push,
	.fetch = http_fetch,
	.stat_file = http_stat_file,
	.download = http_download,
	.remove = http_remove,
	.free = http_free,
};

int dv_remote_http_open(dv_remote **out, const dv_config *cfg, const char *name, const char *url)
{
	http_remote *hr = dv_calloc(1, sizeof(*hr));
	size_t len = strlen(url);
	(void)cfg;
	while (len > 0 && url[len - 1] == '/')
		len--;
	dv_remote_init_base(&hr->base, &http_ops, name, url, HTTP_DEFAULT_JOBS);
	hr->base_url = dv_strndup(url, len);
	dv_pack_set_init(&hr->packs);
	*out = &hr->base;
	return 0;
}
