/*
 * remote.c - opening a remote by name: the remote.NAME.* lookup, the
 * dispatch on the URL's kind, and the helpers every backend shares (item
 * bookkeeping, adopting a downloaded file into the cache, credentials).
 *
 * Credentials are read through dv_remote_config_secret only, which refuses
 * a secret found in the committed .dv/config instead of silently using it:
 * a key that reached git history must be rotated, and saying so is the
 * only safe answer.
 *
 * The network kinds (SSH, HTTP, S3) live in a loadable module,
 * dv-remote.so, opened on first use: libcurl and libarchive pull in some
 * forty shared libraries, whose loading cost ~10 ms on every dv command
 * (more than a `dv status` of 20,000 files) while only push, fetch and
 * pull need them.  The module sits next to the dv binary in a build tree
 * and in DV_REMOTE_MODULE_RELDIR from it once installed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/buf.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/remote.h"
#include "remote_kinds.h"

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

typedef int (*net_open_fn)(dv_remote **out, const dv_config *cfg, const char *name, const char *url);

static struct {
	pthread_once_t once;
	void *handle;
	char *error;
} net_module = { PTHREAD_ONCE_INIT, NULL, NULL };

static void *try_module(const char *dir, const char *rel, dv_buf *tried)
{
	dv_buf path = DV_BUF_INIT;
	void *h;

	dv_buf_printf(&path, "%s/%s%sdv-remote.so", dir, rel, *rel ? "/" : "");
	h = dlopen(path.ptr, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		/* A missing file is expected in one of the two places; any
		 * other failure (missing libcurl, bad symbol) is the news. */
		if (access(path.ptr, F_OK) == 0 || !tried->len) {
			dv_buf_set(tried, why ? why : path.ptr);
		}
	}
	dv_buf_free(&path);
	return h;
}

static void load_net_module(void)
{
	char exe[PATH_MAX];
	dv_buf tried = DV_BUF_INIT;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0) {
		net_module.error = dv_strdup("cannot find the dv binary (/proc/self/exe)");
		return;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	net_module.handle = try_module(exe, "", &tried);
	if (!net_module.handle)
		net_module.handle = try_module(exe, DV_REMOTE_MODULE_RELDIR, &tried);
	if (!net_module.handle)
		net_module.error = dv_buf_detach(&tried);
	dv_buf_free(&tried);
}

static int net_open(const char *symbol, dv_remote **out, const dv_config *cfg, const char *name,
		    const char *url)
{
	net_open_fn fn;

	pthread_once(&net_module.once, load_net_module);
	if (!net_module.handle)
		return dv_error(DV_ERROR, "cannot load dv's network remotes (dv-remote.so): %s; "
				"reinstall dv with 'cmake --install'", net_module.error);
	*(void **)&fn = dlsym(net_module.handle, symbol);
	if (!fn)
		return dv_error(DV_ERROR, "dv-remote.so lacks %s: it belongs to another dv version; "
				"reinstall dv with 'cmake --install'", symbol);
	return fn(out, cfg, name, url);
}

void dv_remote_file_info_free(dv_remote_file_info *fi)
{
	free(fi->etag);
	fi->etag = NULL;
}

int dv_remote_module_versions(dv_strvec *out)
{
	int (*fn)(dv_strvec *);

	pthread_once(&net_module.once, load_net_module);
	if (!net_module.handle)
		return dv_error(DV_ERROR, "cannot load dv's network remotes (dv-remote.so): %s; "
				"reinstall dv with 'cmake --install'", net_module.error);
	*(void **)&fn = dlsym(net_module.handle, "dv_net_library_versions");
	if (!fn)
		return dv_error(DV_ERROR, "dv-remote.so lacks dv_net_library_versions: it belongs to another "
				"dv version; reinstall dv with 'cmake --install'");
	return fn(out);
}

int dv_parse_jobs(int *out, const char *text, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 1024)
		return dv_error(DV_EUSAGE, "invalid %s '%s': expected a number of jobs from 1 to 1024", what, text);
	*out = (int)v;
	return 0;
}

const char *dv_remote_config(const dv_config *cfg, const char *name, const char *key)
{
	char *full;
	const char *v;
	if (!cfg)
		return NULL;
	full = dv_asprintf("remote.%s.%s", name, key);
	v = dv_config_get(cfg, full);
	free(full);
	return v;
}

int dv_remote_config_secret(const char **out, const dv_config *cfg, const char *name,
			    const char *key)
{
	char *full = dv_asprintf("remote.%s.%s", name, key);
	const char *found = NULL;
	bool committed = false;
	int rc = 0;

	for (size_t i = 0; i < dv_config_count(cfg); i++) {
		const dv_config_entry *e = dv_config_entry_at(cfg, i);
		if (strcmp(e->key, full))
			continue;
		if (e->level == DV_CONFIG_REPO)
			committed = true;
		else
			found = e->value; /* later levels win */
	}
	if (committed) {
		rc = dv_error(DV_EUSAGE,
			      "remote '%s': '%s' is set in the committed .dv/config; secrets belong in "
			      ".dv/config.local: remove it ('dv config --unset %s'), rotate the key, and set it "
			      "with 'dv remote modify --local %s %s VALUE'",
			      name, key, full, name, key);
		found = NULL;
	}
	*out = found;
	free(full);
	return rc;
}

void dv_remote_init_base(dv_remote *r, const dv_remote_ops *ops, const char *name,
			 const char *url, int jobs)
{
	r->ops = ops;
	r->name = dv_strdup(name);
	r->url = dv_strdup(url);
	r->jobs = jobs;
}

void dv_remote_release_base(dv_remote *r)
{
	free(r->name);
	free(r->url);
	free(r->pack_dir);
	r->name = r->url = r->pack_dir = NULL;
}

int dv_remote_open(dv_remote **out, const dv_config *cfg, const char *name, const char *repo_root)
{
	const char *url, *jobs;
	dv_remote *r = NULL;
	int rc;

	*out = NULL;
	if (!name) {
		name = dv_config_get(cfg, "core.remote");
		if (!name || !*name)
			return dv_error(DV_ENOTFOUND, "no default remote: name one with '-r NAME', or set one with "
					"'dv remote default NAME' (see 'dv remote list')");
		if (!dv_remote_config(cfg, name, "url"))
			return dv_error(DV_ENOTFOUND, "the default remote '%s' (core.remote) is not configured: "
					"add it with 'dv remote add %s URL' or change it with 'dv remote default NAME'",
					name, name);
	}
	url = dv_remote_config(cfg, name, "url");
	if (!url)
		return dv_error(DV_ENOTFOUND, "no remote named '%s': see 'dv remote list'", name);
	if ((rc = dv_remote_open_url(&r, cfg, name, url, repo_root)) < 0)
		return rc;
	jobs = dv_remote_config(cfg, name, "jobs");
	if (jobs) {
		char *what = dv_asprintf("remote.%s.jobs", name);
		rc = dv_parse_jobs(&r->jobs, jobs, what);
		free(what);
		if (rc < 0) {
			dv_remote_free(r);
			return rc;
		}
	}
	*out = r;
	return 0;
}

int dv_remote_open_url(dv_remote **out, const dv_config *cfg, const char *name, const char *url,
		       const char *repo_root)
{
	const char *kind = dv_remote_url_kind(url);
	dv_remote *r = NULL;
	char *path = NULL;
	int rc;

	*out = NULL;
	if (!kind)
		return dv_error(DV_EUSAGE, "remote '%s': cannot use URL '%s': expected a directory, "
				"ssh://, [user@]host:path, s3:// or http(s)://", name, url);
	if (!strcmp(kind, "local")) {
		if ((rc = dv_remote_local_path(&path, url, repo_root)) < 0)
			return rc;
		rc = dv_remote_local_open(&r, cfg, name, url, path);
		free(path);
	} else if (!strcmp(kind, "ssh")) {
		rc = net_open("dv_remote_ssh_open", &r, cfg, name, url);
	} else if (!strcmp(kind, "http")) {
		rc = net_open("dv_remote_http_open", &r, cfg, name, url);
	} else {
		rc = net_open("dv_remote_s3_open", &r, cfg, name, url);
	}
	if (rc < 0)
		return rc;
	if (repo_root) {
		/* Pack indexes are named by content, so one directory serves
		 * every remote (and survives a remote's rename). */
		dv_buf dir = DV_BUF_INIT;
		dv_path_join(&dir, repo_root, ".dv/packs");
		r->pack_dir = dv_buf_detach(&dir);
	}
	*out = r;
	return 0;
}

void dv_remote_free(dv_remote *r)
{
	if (r)
		r->ops->free(r);
}

void dv_transfers_free(dv_transfer *items, size_t n)
{
	if (!items)
		return;
	for (size_t i = 0; i < n; i++) {
		free(items[i].relpath);
		free(items[i].error);
	}
	free(items);
}

void dv_transfer_fail(dv_transfer *t, int rc)
{
	const char *msg = dv_error_last();
	free(t->error);
	t->error = dv_strdup(msg && *msg ? msg : "unknown failure");
	t->status = rc < 0 ? rc : DV_ERROR;
}

int dv_transfer_first_failure(const dv_transfer *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].status != 0)
			return dv_error(items[i].status < 0 ? items[i].status : DV_ERROR, "%s",
					items[i].error ? items[i].error : "the transfer did not finish");
	return 0;
}

void dv_transfer_local_path(dv_buf *out, const dv_cache *c, const dv_transfer *t)
{
	dv_path_join(out, c->dir, t->relpath);
}

bool dv_transfer_is_object(const dv_transfer *t)
{
	return has_prefix(t->relpath, "files/");
}

int dv_transfer_tmp_open(int *fd_out, dv_buf *path_out, dv_cache *c, const dv_transfer *t)
{
	dv_buf final = DV_BUF_INIT;
	int rc;

	dv_transfer_local_path(&final, c, t);
	rc = dv_tmpfile_open(fd_out, path_out, final.ptr, 0444);
	if (rc < 0 && dv_mkdir_parent(final.ptr) == 0)
		rc = dv_tmpfile_open(fd_out, path_out, final.ptr, 0444);
	dv_buf_free(&final);
	return rc;
}

int dv_transfer_adopt(dv_cache *c, const char *tmp_path, dv_transfer *t,
		      const dv_remote *r)
{
	dv_buf dest = DV_BUF_INIT;
	char *origin;
	int rc;

	if (dv_transfer_is_object(t)) {
		origin = dv_asprintf("remote '%s'", r->name);
		rc = dv_cache_adopt_tmp(c, tmp_path, &t->hash, t->is_dir, origin, &t->st);
		free(origin);
		return rc;
	}
	/* A run-cache entry: not content-addressed, renamed into place. */
	dv_transfer_local_path(&dest, c, t);
	if ((rc = dv_mkdir_parent(dest.ptr)) < 0) {
		unlink(tmp_path);
	} else if (rename(tmp_path, dest.ptr) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot rename into '%s'", dest.ptr);
		unlink(tmp_path);
	}
	dv_tmpfile_unregister(tmp_path);
	dv_buf_free(&dest);
	return rc;
}

int dv_remote_sweep_tmp(size_t *removed, dv_remote *r)
{
	dv_strvec stale = DV_STRVEC_INIT;
	int rc = 0;

	*removed = 0;
	if (r->ops->stale_tmp && (rc = r->ops->stale_tmp(r, &stale, dv_now_ns() - DV_STALE_TMP_NS)) == 0 &&
	    stale.n && (rc = r->ops->remove_tmp(r, &stale)) == 0)
		*removed = stale.n;
	dv_strvec_free(&stale);
	return rc;
}

int dv_transfer_check_sent(const dv_cache *c, const dv_transfer *t, const dv_hash *got)
{
	dv_buf path = DV_BUF_INIT;
	char have[64];

	if (!dv_transfer_is_object(t) || dv_hash_equal(got, &t->hash))
		return 0;
	dv_transfer_local_path(&path, c, t);
	dv_hash_format(have, sizeof(have), got, false);
	dv_error(DV_ECORRUPT, "the cache's copy is corrupt (its bytes hash to %s), so it was not pushed: "
		 "move '%s' out of the cache, then fetch it from another remote ('dv fetch -r NAME') or "
		 "re-add the data ('dv add')", have, path.ptr);
	dv_buf_free(&path);
	return DV_ECORRUPT;
}
