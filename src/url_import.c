/*
 * url_import.c - fetching single files from s3://, http(s):// and ssh://
 * URLs through the remote kinds (their stat_file and download ops).
 *
 * A URL is split at its last '/' into the directory, opened as a remote,
 * and the file's name below it.  Downloads land in a temp file (in the
 * cache for an import, beside the output for get-url) and are renamed
 * into place only when complete.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/url_import.h"

struct dv_url_file {
	char *url;
	char *relpath; /* below the remote's root */
	dv_remote *remote;
};

void dv_url_file_free(dv_url_file *f)
{
	if (!f)
		return;
	dv_remote_free(f->remote);
	free(f->url);
	free(f->relpath);
	free(f);
}

/* The path part of a URL starts after "scheme://authority". */
static const char *path_part(const char *url)
{
	const char *p = strstr(url, "://");
	return p ? strchr(p + 3, '/') : NULL;
}

int dv_url_file_name(char **out, const char *url)
{
	const char *path = path_part(url), *end, *slash;
	char *name;

	*out = NULL;
	if (!path)
		return dv_error(DV_EUSAGE, "'%s' names no file: give the URL of one (s3://bucket/key, "
				"https://host/file, ssh://host/path/file)", url);
	end = path + strcspn(path, "?#");
	for (slash = end; slash > path && slash[-1] != '/'; slash--)
		;
	name = dv_strndup(slash, (size_t)(end - slash));
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
		free(name);
		return dv_error(DV_EUSAGE, "'%s' names a directory, not a file: import-url and get-url "
				"take one file", url);
	}
	*out = name;
	return 0;
}

/* The name of a configured remote whose URL this one starts with (at a
 * '/'), to borrow its settings; else a name no remote has. */
static char *settings_from(const dv_config *cfg, const char *url)
{
	dv_strvec names = DV_STRVEC_INIT;
	char *name = NULL;

	if (cfg)
		dv_config_remote_names(&names, cfg);
	for (size_t i = 0; i < names.n && !name; i++) {
		const char *ru = dv_remote_config(cfg, names.v[i], "url");
		size_t n = ru ? strlen(ru) : 0;
		while (n && ru[n - 1] == '/')
			n--;
		if (n && !strncmp(url, ru, n) && url[n] == '/')
			name = dv_strdup(names.v[i]);
	}
	dv_strvec_free(&names);
	return name ? name : dv_strdup("import-url");
}

int dv_url_file_open(dv_url_file **out, const dv_config *cfg, const char *url, const char *repo_root)
{
	const char *kind = dv_remote_url_kind(url), *path = path_part(url), *end, *slash;
	dv_url_file *f;
	char *name = NULL, *root, *settings;
	int rc;

	*out = NULL;
	if (!kind || !strcmp(kind, "local") || !strstr(url, "://"))
		return dv_error(DV_EUSAGE, "cannot fetch '%s': import-url and get-url take s3://, http(s):// "
				"and ssh:// URLs (for a file on this machine use 'dv add' or cp)", url);
	if ((rc = dv_url_file_name(&name, url)) < 0)
		return rc;
	end = path + strcspn(path, "?#");
	for (slash = end; slash[-1] != '/'; slash--)
		;
	/* The directory: everything before the last '/', or the root '/'
	 * itself for a file at the top of an ssh host. */
	root = dv_strndup(url, (size_t)(slash - 1 - url) + (slash - 1 == path && !strcmp(kind, "ssh")));
	f = dv_calloc(1, sizeof(*f));
	f->url = dv_strdup(url);
	f->relpath = dv_strdup(slash);
	settings = settings_from(cfg, url);
	rc = dv_remote_open_url(&f->remote, cfg, settings, root, repo_root);
	free(settings);
	if (rc == 0 && (!f->remote->ops->stat_file || !f->remote->ops->download))
		rc = dv_error(DV_EUSAGE, "cannot fetch single files from '%s'", url);
	free(root);
	free(name);
	if (rc < 0) {
		dv_url_file_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int dv_url_file_stat(dv_remote_file_info *out, dv_url_file *f)
{
	int rc = f->remote->ops->stat_file(f->remote, f->relpath, out);
	if (rc == DV_ENOTFOUND)
		return dv_error_wrap(rc, "'%s' is not there", f->url);
	if (rc < 0)
		return dv_error_wrap(rc, "cannot look at '%s'", f->url);
	return 0;
}

int dv_url_file_fetch(dv_hash *hash, uint64_t *size, dv_url_file *f, dv_cache *cache, dv_progress *p)
{
	dv_buf tmp = DV_BUF_INIT;
	int fd, rc;

	if ((rc = dv_cache_tmp_open(&fd, &tmp, cache)) < 0)
		return rc;
	rc = f->remote->ops->download(f->remote, f->relpath, fd, p);
	if (rc == 0 && close(fd) < 0)
		rc = dv_error_errno(DV_ERROR, "cannot write '%s'", tmp.ptr);
	else if (rc < 0)
		close(fd);
	if (rc == 0)
		rc = dv_hash_file(hash, size, tmp.ptr);
	/* Re-hashed on the way in, as everything fetched is. */
	if (rc == 0)
		rc = dv_cache_adopt_tmp(cache, tmp.ptr, hash, false, f->url, NULL);
	else
		dv_tmpfile_abort(-1, tmp.ptr);
	if (rc < 0)
		rc = dv_error_wrap(rc, "cannot fetch '%s'", f->url);
	dv_buf_free(&tmp);
	return rc;
}

int dv_url_file_download(dv_url_file *f, const char *dest, dv_progress *p)
{
	dv_buf tmp = DV_BUF_INIT;
	int fd, rc;

	if (dv_path_exists(dest))
		return dv_error(DV_EEXISTS, "'%s' exists already: remove it or name another output", dest);
	if ((rc = dv_mkdir_parent(dest)) < 0 || (rc = dv_tmpfile_open(&fd, &tmp, dest, 0644)) < 0)
		return rc;
	if ((rc = f->remote->ops->download(f->remote, f->relpath, fd, p)) < 0) {
		dv_tmpfile_abort(fd, tmp.ptr);
		rc = dv_error_wrap(rc, "cannot fetch '%s'", f->url);
	} else {
		rc = dv_tmpfile_commit(fd, tmp.ptr, dest);
	}
	dv_buf_free(&tmp);
	return rc;
}

bool dv_url_file_changed(const dv_stage_source *was, const dv_remote_file_info *now)
{
	if (was->etag && now->etag)
		return strcmp(was->etag, now->etag) != 0;
	if (was->has_size && was->size != now->size)
		return true;
	if (was->has_mtime && was->mtime != now->mtime)
		return true;
	/* Nothing recorded to compare with: fetch to be sure. */
	return !was->etag && !was->has_size && !was->has_mtime;
}

void dv_url_file_record(dv_stage *st, const char *url, const dv_remote_file_info *now)
{
	char *keep = dv_strdup(url); /* set_source frees the old strings */
	dv_stage_set_source(st, keep, NULL, NULL, NULL);
	free(keep);
	st->source->etag = now->etag ? dv_strdup(now->etag) : NULL;
	st->source->has_size = true;
	st->source->size = now->size;
	st->source->has_mtime = now->mtime != 0;
	st->source->mtime = now->mtime;
}
