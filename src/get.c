/*
 * get.c - opening another dv repository, finding a path in it at a
 * revision, and bringing that path's objects into our cache.
 *
 * A local source is opened as the dv repository it is, so its own cache
 * serves first (opened as a directory remote: the same batched, re-hashing
 * fetch as any remote) and its work-tree config names its default remote.
 * A remote source is cloned bare: only git objects travel, .stage and
 * .dv/config are read from blobs, and the data comes from the remote that
 * config names.  Either way the objects are checked on the way into our
 * cache, so a source can never put wrong bytes there.
 */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/config.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/get.h"
#include "dv/git.h"
#include "dv/manifest.h"
#include "dv/objects.h"
#include "dv/remote.h"
#include "dv/repo.h"
#include "dv/stage.h"
#include "remote_kinds.h"

struct dv_source {
	char *url;
	dv_repo *local;       /* a local work tree with .dv */
	dv_repo bare;         /* otherwise: a git-only view (root and git set) */
	dv_config *config;    /* the source's settings (owned unless local) */
	char *tmpdir;         /* scratch: a clone, the source's config */
	char *remote_base;    /* what a relative directory remote is relative to */
	char commit[41];
	dv_remote *cache_remote; /* a local source's cache */
	dv_remote *remote;       /* its default remote, opened on first need */
	dv_cache *scratch;       /* manifests fetched for a listing (dv ls) */
};

static dv_repo *source_repo(dv_source *s)
{
	return s->local ? s->local : &s->bare;
}

bool dv_source_url_is_local(const char *url)
{
	/* file:// goes through git's transport and is cloned, as git does. */
	if (strstr(url, "://"))
		return false;
	/* git's scp-like syntax: a colon before any slash */
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');
	return !(colon && colon != url && (!slash || colon < slash));
}

const char *dv_source_commit(const dv_source *s)
{
	return s->commit;
}

void dv_source_free(dv_source *s)
{
	if (!s)
		return;
	dv_remote_free(s->remote);
	dv_remote_free(s->cache_remote);
	dv_cache_free(s->scratch);
	if (s->local) {
		dv_repo_free(s->local);
	} else {
		dv_config_free(s->config);
		git_repository_free(s->bare.git);
		free(s->bare.root);
	}
	if (s->tmpdir)
		dv_remove_tree(s->tmpdir);
	free(s->tmpdir);
	free(s->remote_base);
	free(s->url);
	free(s);
}

static int make_tmpdir(char **out, const char *parent)
{
	const char *base = parent;
	char *tmpl;

	if (!base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if (dv_mkdir_p(base, 0755) < 0)
		return DV_ERROR;
	tmpl = dv_asprintf("%s/dv-source-XXXXXX", base);
	if (!mkdtemp(tmpl)) {
		int rc = dv_error_errno(DV_ERROR, "cannot create a temporary directory in '%s'", base);
		free(tmpl);
		return rc;
	}
	*out = tmpl;
	return 0;
}

/* ssh needs a key: try the agent, once, as git would. */
static int credentials_cb(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	int *tries = payload;
	(void)url;
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && (*tries)++ == 0)
		return git_credential_ssh_key_from_agent(out, user_from_url ? user_from_url : "git");
	return GIT_PASSTHROUGH;
}

static int open_remote_source(dv_source *s, const char *tmp_parent)
{
	git_clone_options opts;
	dv_buf dir = DV_BUF_INIT;
	int tries = 0, rc;

	if ((rc = make_tmpdir(&s->tmpdir, tmp_parent)) < 0)
		return rc;
	dv_path_join(&dir, s->tmpdir, "repo.git");
	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.bare = 1;
	opts.fetch_opts.callbacks.credentials = credentials_cb;
	opts.fetch_opts.callbacks.payload = &tries;
	if (git_clone(&s->bare.git, s->url, dir.ptr, &opts) < 0)
		rc = dv_git_error(s->url);
	s->bare.root = dv_buf_detach(&dir);
	if (rc < 0)
		return dv_error_wrap(rc, "cannot clone the source repository");
	/* A file:// source still has a place on this disk for relative
	 * directory remotes to be relative to. */
	if (!strncmp(s->url, "file://", 7))
		dv_remote_local_path(&s->remote_base, s->url, NULL);
	dv_error_clear();
	return 0;
}

/* A bare local repository is read like a clone, without cloning it. */
static int open_bare_source(dv_source *s, const char *path, const char *tmp_parent)
{
	int rc;
	if (git_repository_open_bare(&s->bare.git, path) < 0)
		return dv_git_error(path);
	s->bare.root = dv_strdup(path);
	s->remote_base = dv_strdup(path);
	if ((rc = make_tmpdir(&s->tmpdir, tmp_parent)) < 0)
		return rc;
	return 0;
}

/* The source's settings at its commit, from the .dv/config blob. */
static int load_blob_config(dv_source *s)
{
	dv_buf text = DV_BUF_INIT, dvdir = DV_BUF_INIT, path = DV_BUF_INIT;
	int rc;

	if ((rc = dv_git_read_blob(&text, &s->bare, s->commit, ".dv/config")) < 0) {
		if (rc == DV_ENOTFOUND)
			rc = dv_error(DV_ENOTFOUND, "'%s' is not a dv repository at commit %.7s (no "
				      ".dv/config)", s->url, s->commit);
		goto done;
	}
	dv_path_join(&dvdir, s->tmpdir, ".dv");
	dv_path_join(&path, dvdir.ptr, "config");
	if ((rc = dv_mkdir_p(dvdir.ptr, 0755)) < 0 ||
	    (rc = dv_write_file_atomic(path.ptr, text.ptr, text.len, 0644)) < 0)
		goto done;
	if ((rc = dv_config_load(&s->config, dvdir.ptr)) < 0)
		rc = dv_error_wrap(rc, "the source repository '%s'", s->url);
done:
	dv_buf_free(&text);
	dv_buf_free(&dvdir);
	dv_buf_free(&path);
	return rc;
}

static int resolve_rev(dv_source *s, const char *rev)
{
	char *tracking;
	int rc;

	if (dv_git_resolve(s->commit, source_repo(s), rev ? rev : "HEAD") == 0)
		return 0;
	/* A clone keeps the source's branches as origin/<branch>. */
	tracking = dv_asprintf("refs/remotes/origin/%s", rev ? rev : "HEAD");
	rc = dv_git_resolve(s->commit, source_repo(s), tracking);
	free(tracking);
	if (rc < 0)
		rc = dv_error(DV_ENOTFOUND, "the source repository '%s' has no revision '%s'", s->url,
			      rev ? rev : "HEAD");
	return rc;
}

int dv_source_open(dv_source **out, const char *url, const char *rev, const char *base_dir,
		   const char *tmp_parent)
{
	dv_source *s = dv_calloc(1, sizeof(*s));
	char *path = NULL;
	int rc;

	*out = NULL;
	dv_git_global_init();
	s->url = dv_strdup(url);
	if (dv_source_url_is_local(url)) {
		char cwd[4096];
		if (!base_dir)
			base_dir = getcwd(cwd, sizeof(cwd));
		if ((rc = dv_remote_local_path(&path, url, base_dir)) < 0)
			goto done;
		if (!dv_is_dir(path)) {
			rc = dv_error(DV_ENOTFOUND, "cannot open the source repository '%s': no such directory", url);
			goto done;
		}
		git_repository *probe = NULL;
		bool bare = git_repository_open_ext(&probe, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0 &&
			    git_repository_is_bare(probe);
		git_repository_free(probe);
		git_error_clear();
		if (bare)
			rc = open_bare_source(s, path, tmp_parent);
		else if ((rc = dv_repo_open(&s->local, path)) < 0)
			rc = dv_error_wrap(rc, "cannot open the source repository '%s'", url);
	} else {
		rc = open_remote_source(s, tmp_parent);
	}
	if (rc < 0 || (rc = resolve_rev(s, rev)) < 0)
		goto done;
	if (s->local) {
		s->remote_base = dv_strdup(s->local->root);
		s->config = s->local->config;
		rc = dv_remote_local_open(&s->cache_remote, s->config, "source-cache",
					  s->local->cache->dir, s->local->cache->dir);
	} else {
		rc = load_blob_config(s);
	}
done:
	free(path);
	if (rc < 0)
		dv_source_free(s);
	else
		*out = s;
	return rc;
}

/* --- finding PATH ---------------------------------------------------------- */

typedef struct {
	bool found;
	dv_stage_file out;  /* copy of the matching out (path not owned) */
	char *out_path;     /* its path in the source (repo-relative) */
} located;

static int find_out(located *loc, dv_source *s, const char *path)
{
	dv_strvec stages = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT;
	dv_repo *repo = source_repo(s);
	int rc;

	if ((rc = dv_git_list_tree(&stages, repo, s->commit, DV_STAGE_SUFFIX)) < 0)
		goto done;
	for (size_t i = 0; i < stages.n && !loc->found; i++) {
		dv_stage *st = NULL;
		if ((rc = dv_git_read_blob(&text, repo, s->commit, stages.v[i])) < 0)
			goto done;
		if ((rc = dv_stage_parse(&st, stages.v[i], text.ptr, text.len)) < 0) {
			rc = dv_error_wrap(rc, "in the source repository '%s'", s->url);
			goto done;
		}
		for (size_t j = 0; j < st->outs.n && !loc->found; j++) {
			dv_stage_file *o = dv_stage_out(st, j);
			char *rel = dv_stage_entry_relpath(st, o->path);
			if (o->cache && o->has_hash &&
			    (!strcmp(rel, path) || (o->is_dir && dv_path_is_within(path, rel)))) {
				loc->found = true;
				loc->out = *o;
				loc->out.path = NULL;
				loc->out_path = rel;
				rel = NULL;
			}
			free(rel);
		}
		dv_stage_free(st);
	}
done:
	dv_strvec_free(&stages);
	dv_buf_free(&text);
	return rc;
}

/* Bring what `cache` lacks of refs: the source's cache first, then its
 * default remote. */
static int bring(dv_source_stats *stats, dv_source *s, dv_cache *cache, const dv_objref *refs,
		 size_t n, int jobs)
{
	dv_strvec failures = DV_STRVEC_INIT;
	dv_progress *p;
	size_t missing = 0, got = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		missing += !dv_cache_has(cache, &refs[i].hash, refs[i].is_dir);
	if (missing && s->cache_remote) {
		/* What the source's cache lacks is looked for on its remote. */
		dv_objects_fetch(&got, NULL, s->cache_remote, cache, refs, n, NULL);
		dv_error_clear();
		stats->fetched += got;
		missing -= got;
	}
	if (!missing)
		return 0;
	if (!s->remote) {
		if ((rc = dv_remote_open(&s->remote, s->config, NULL, s->remote_base)) < 0) {
			rc = dv_error_wrap(rc, "%zu object%s of the source repository '%s' %s not in "
					   "its cache, and its default remote cannot be used", missing,
					   missing == 1 ? "" : "s", s->url, missing == 1 ? "is" : "are");
			goto done;
		}
	}
	if (jobs > 0)
		s->remote->jobs = jobs;
	p = dv_progress_new("fetching", missing, 0);
	rc = dv_objects_fetch(&got, &failures, s->remote, cache, refs, n, p);
	dv_progress_done(p);
	stats->fetched += got;
	if (rc < 0 && failures.n)
		rc = dv_error(rc, "cannot fetch %zu of %zu objects from remote '%s' (%s) of the source "
			      "repository: %s", failures.n, missing, s->remote->name, s->remote->url,
			      failures.v[0]);
	else if (rc < 0)
		rc = dv_error_wrap(rc, "cannot fetch from remote '%s' (%s) of the source repository",
				   s->remote->name, s->remote->url);
done:
	dv_strvec_free(&failures);
	return rc;
}

static int bring_one(dv_source_stats *stats, dv_source *s, dv_cache *cache, const dv_hash *h,
		     bool is_dir, int jobs)
{
	dv_objref r;
	memset(&r, 0, sizeof(r));
	r.hash = *h;
	r.is_dir = is_dir;
	stats->objects++;
	return bring(stats, s, cache, &r, 1, jobs);
}

static int read_manifest(dv_manifest *m, dv_cache *cache, const dv_hash *h)
{
	dv_buf text = DV_BUF_INIT;
	char name[64];
	int rc;

	dv_hash_format(name, sizeof(name), h, true);
	if ((rc = dv_cache_read(&text, cache, h, true)) == 0)
		rc = dv_manifest_parse(m, text.ptr, text.len, name);
	dv_buf_free(&text);
	return rc;
}

/* The part of manifest `m` below `sub`, as a manifest of its own. */
static void sub_manifest(dv_manifest *out, const dv_manifest *m, const char *sub)
{
	size_t n = strlen(sub);
	for (size_t i = 0; i < m->entries.n; i++) {
		const dv_manifest_entry *e = dv_vec_at(&m->entries, dv_manifest_entry, i);
		if (!strncmp(e->path, sub, n) && e->path[n] == '/')
			dv_manifest_add(out, e->path + n + 1, &e->hash, e->size, e->mode);
	}
}

static int fetch_dir_files(dv_source_stats *stats, dv_source *s, dv_cache *cache,
			   const dv_manifest *m, int jobs)
{
	dv_vec refs = DV_VEC_INIT(dv_objref);
	int rc;

	for (size_t i = 0; i < m->entries.n; i++) {
		dv_objref *r = dv_vec_push(&refs);
		r->hash = dv_vec_at(&m->entries, dv_manifest_entry, i)->hash;
	}
	stats->objects += refs.n;
	rc = bring(stats, s, cache, refs.items, refs.n, jobs);
	dv_vec_free(&refs);
	return rc;
}

static void set_dir_item(dv_source_item *out, const dv_hash *h, const dv_manifest *m)
{
	out->hash = *h;
	out->is_dir = true;
	out->size = dv_manifest_total_size(m);
	out->files = m->entries.n;
}

/* PATH is a plain git file: its bytes become an object of our own. */
static int from_git_blob(dv_source_item *out, dv_source *s, const char *path, dv_cache *cache)
{
	dv_buf text = DV_BUF_INIT;
	int rc;

	rc = dv_git_read_blob(&text, source_repo(s), s->commit, path);
	if (rc == DV_ENOTFOUND)
		rc = dv_error(DV_ENOTFOUND, "'%s' is neither tracked by dv nor a file in git in the "
			      "source repository '%s' at commit %.7s", path, s->url, s->commit);
	if (rc == 0 && (rc = dv_cache_add_buffer(&out->hash, cache, text.ptr, text.len, false)) == 0) {
		out->size = text.len;
		out->mode = 0644;
	}
	dv_buf_free(&text);
	return rc;
}

int dv_source_fetch(dv_source_item *out, dv_source_stats *stats, dv_source *s, const char *path,
		    dv_cache *cache, int jobs)
{
	located loc;
	dv_manifest m = DV_MANIFEST_INIT, part = DV_MANIFEST_INIT;
	dv_buf bytes = DV_BUF_INIT;
	char *norm = dv_path_normalize(path);
	int rc;

	memset(out, 0, sizeof(*out));
	memset(stats, 0, sizeof(*stats));
	memset(&loc, 0, sizeof(loc));
	if (!*norm || norm[0] == '/' || !strcmp(norm, ".") || !strcmp(norm, "..") ||
	    !strncmp(norm, "../", 3)) {
		rc = dv_error(DV_EUSAGE, "'%s' is not a path inside the source repository", path);
		goto done;
	}
	if ((rc = find_out(&loc, s, norm)) < 0)
		goto done;
	if (!loc.found) {
		rc = from_git_blob(out, s, norm, cache);
		goto done;
	}
	if ((rc = bring_one(stats, s, cache, &loc.out.hash, loc.out.is_dir, jobs)) < 0)
		goto done;
	if (!loc.out.is_dir) {
		out->hash = loc.out.hash;
		out->size = loc.out.size;
		out->mode = 0644;
		goto done;
	}
	if ((rc = read_manifest(&m, cache, &loc.out.hash)) < 0)
		goto done;
	if (!strcmp(norm, loc.out_path)) {
		set_dir_item(out, &loc.out.hash, &m);
		rc = fetch_dir_files(stats, s, cache, &m, jobs);
		goto done;
	}
	/* Inside a tracked directory: one file, or a folder of it. */
	const char *sub = norm + strlen(loc.out_path) + 1;
	dv_manifest_entry *e = dv_manifest_find(&m, sub);
	if (e) {
		out->hash = e->hash;
		out->size = e->size;
		out->mode = e->mode;
		rc = bring_one(stats, s, cache, &e->hash, false, jobs);
		goto done;
	}
	sub_manifest(&part, &m, sub);
	if (!part.entries.n) {
		rc = dv_error(DV_ENOTFOUND, "'%s' is not in the directory '%s' that '%s' tracks at commit %.7s",
			      sub, loc.out_path, s->url, s->commit);
		goto done;
	}
	dv_manifest_serialize(&bytes, &part);
	if ((rc = dv_cache_add_buffer(&out->hash, cache, bytes.ptr, bytes.len, true)) < 0)
		goto done;
	set_dir_item(out, &out->hash, &part);
	rc = fetch_dir_files(stats, s, cache, &part, jobs);
done:
	free(loc.out_path);
	free(norm);
	dv_manifest_free(&m);
	dv_manifest_free(&part);
	dv_buf_free(&bytes);
	return rc;
}

dv_repo *dv_source_repo(dv_source *s)
{
	return source_repo(s);
}

const char *dv_source_url(const dv_source *s)
{
	return s->url;
}

int dv_source_manifest(dv_manifest *out, dv_source *s, const dv_hash *h)
{
	dv_source_stats stats;
	dv_buf dir = DV_BUF_INIT;
	int rc;

	if (s->local && dv_cache_has(s->local->cache, h, true))
		return read_manifest(out, s->local->cache, h);
	if (!s->scratch) {
		if (!s->tmpdir && (rc = make_tmpdir(&s->tmpdir, NULL)) < 0)
			return rc;
		dv_path_join(&dir, s->tmpdir, "cache");
		rc = dv_cache_open(&s->scratch, dir.ptr, "copy");
		dv_buf_free(&dir);
		if (rc < 0)
			return rc;
	}
	memset(&stats, 0, sizeof(stats));
	if ((rc = bring_one(&stats, s, s->scratch, h, true, 0)) < 0)
		return rc;
	return read_manifest(out, s->scratch, h);
}

/* --- writing it out --------------------------------------------------------- */

static int write_dir(const dv_source_item *it, dv_cache *cache, const char *dest)
{
	dv_manifest m = DV_MANIFEST_INIT;
	dv_buf file = DV_BUF_INIT;
	char *parent = dv_path_dirname(dest);
	char *tmp = dv_asprintf("%s/.%s.dv-get-XXXXXX", parent, dv_path_basename(dest));
	dv_link_type used;
	int rc;

	/* Fill a hidden sibling and rename it into place: the directory
	 * appears complete or not at all. */
	if ((rc = read_manifest(&m, cache, &it->hash)) < 0)
		goto done;
	if (!mkdtemp(tmp)) {
		rc = dv_error_errno(DV_ERROR, "cannot create a directory in '%s'", parent);
		goto done;
	}
	/* mkdtemp makes it private; the result is an ordinary directory. */
	{
		mode_t mask = umask(0);
		umask(mask);
		chmod(tmp, 0777 & ~mask);
	}
	for (size_t i = 0; i < m.entries.n && rc == 0; i++) {
		dv_manifest_entry *e = dv_vec_at(&m.entries, dv_manifest_entry, i);
		dv_path_join(&file, tmp, e->path);
		if ((rc = dv_mkdir_parent(file.ptr)) == 0)
			rc = dv_cache_link_out(cache, &e->hash, file.ptr, e->mode, &used, NULL);
	}
	if (rc == 0 && rename(tmp, dest) < 0)
		rc = dv_error_errno(DV_ERROR, "cannot create '%s'", dest);
	if (rc < 0)
		dv_remove_tree(tmp);
done:
	dv_manifest_free(&m);
	dv_buf_free(&file);
	free(parent);
	free(tmp);
	return rc;
}

int dv_source_write(const dv_source_item *it, dv_cache *cache, const char *dest)
{
	struct stat st;
	dv_link_type used;
	int rc;

	if (lstat(dest, &st) == 0)
		return dv_error(DV_EEXISTS, "'%s' exists already: remove it or name another output with -o", dest);
	if ((rc = dv_mkdir_parent(dest)) < 0)
		return rc;
	if (it->is_dir)
		return write_dir(it, cache, dest);
	return dv_cache_link_out(cache, &it->hash, dest, it->mode ? it->mode : 0644, &used, NULL);
}
