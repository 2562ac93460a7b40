/*
 * fsck.c - re-hashing the cache and checking the .stage files against it.
 *
 * Re-hashing is bound by reading, so objects are shared out to one thread
 * per core through an atomic counter (big objects do not serialise the
 * small ones behind them).  Results land in a per-object slot and are
 * reported afterwards in cache order, so output does not depend on timing.
 * An entry named like an object that is a symlink or a directory is
 * reported as corrupt (a link could point anywhere, and a checkout would
 * follow it), and left where it is.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/fsck.h"
#include "dv/manifest.h"
#include "dv/objects.h"
#include "dv/pool.h"
#include "dv/workspace.h"

void dv_fsck_report_free(dv_fsck_report *r)
{
	dv_strvec_free(&r->corrupt);
	dv_strvec_free(&r->missing);
	dv_strvec_free(&r->bad_stages);
	dv_strvec_free(&r->quarantined);
}

typedef struct {
	const dv_cache *cache;
	const dv_cached_object *objs;
	char **problems; /* per object: NULL when sound */
	int *codes;      /* per object: what check_object returned */
} verify_job;

/* A manifest must also parse, or nothing that lists it can be checked
 * out; dv_cache_read re-hashes it on the way. */
static int check_object(const dv_cache *c, const dv_cached_object *o)
{
	dv_buf text = DV_BUF_INIT;
	dv_manifest m = DV_MANIFEST_INIT;
	char name[64];
	int rc;

	if (!o->is_dir)
		return dv_cache_verify(c, &o->hash, false);
	dv_hash_format(name, sizeof(name), &o->hash, true);
	if ((rc = dv_cache_read(&text, c, &o->hash, true)) == 0)
		rc = dv_manifest_parse(&m, text.ptr, text.len, name);
	dv_manifest_free(&m);
	dv_buf_free(&text);
	return rc;
}

static void verify_one(void *arg, size_t i)
{
	verify_job *job = arg;
	if ((job->codes[i] = check_object(job->cache, &job->objs[i])) < 0)
		job->problems[i] = dv_strdup(dv_error_last());
}

static int verify_cache(dv_fsck_report *out, dv_repo *repo, int jobs)
{
	const dv_cache *cache = repo->cache;
	dv_vec objs = DV_VEC_INIT(dv_cached_object);
	dv_strvec not_files = DV_STRVEC_INIT;
	verify_job job;
	int rc;
	dv_store_scan scan = { .objects = &objs, .not_files = &not_files };

	if ((rc = dv_store_scan_dir(&scan, cache->dir)) < 0)
		goto done;
	/* Reported, never removed (fsck only reports): the user decides
	 * whether the link's target or the directory holds anything. */
	for (size_t i = 0; i < not_files.n; i++) {
		struct stat st;
		const char *what = lstat(not_files.v[i], &st) < 0 ? "not a file"
				   : S_ISLNK(st.st_mode) ? "a symbolic link"
				   : S_ISDIR(st.st_mode) ? "a directory" : "not a regular file";
		dv_strvec_push_take(&out->corrupt, dv_asprintf(
			"cache object '%s' is %s, not a file: dv never makes one; move it out of the "
			"cache and run 'dv fetch' (or re-add the data)", not_files.v[i], what));
	}
	memset(&job, 0, sizeof(job));
	job.cache = cache;
	job.objs = objs.items;
	job.problems = dv_calloc(objs.n ? objs.n : 1, sizeof(char *));
	job.codes = dv_calloc(objs.n ? objs.n : 1, sizeof(int));
	dv_parallel_for(objs.n, jobs, verify_one, &job);
	for (size_t i = 0; i < objs.n; i++) {
		out->objects++;
		out->bytes += job.objs[i].size;
		if (job.problems[i])
			dv_strvec_push_take(&out->corrupt, job.problems[i]);
	}
	free(job.problems);
	free(job.codes);
done:
	dv_strvec_free(&not_files);
	dv_vec_free(&objs);
	return rc;
}

/* Which objects of a directory out are missing: its manifest, or some of
 * the files it lists (counted, the first named). */
static void check_dir_out(dv_fsck_report *out, const dv_cache *cache, const char *label,
			  const dv_stage_file *f)
{
	dv_buf text = DV_BUF_INIT;
	dv_manifest m = DV_MANIFEST_INIT;
	char name[64];
	size_t missing = 0;
	const char *first = NULL;

	dv_hash_format(name, sizeof(name), &f->hash, true);
	if (!dv_cache_has(cache, &f->hash, true)) {
		dv_strvec_push_take(&out->missing, dv_asprintf("%s: manifest %s is not in the cache; "
			"'dv fetch' or 'dv pull' brings it", label, name));
		goto done;
	}
	/* A manifest that does not read is reported as corrupt already. */
	if (dv_cache_read(&text, cache, &f->hash, true) < 0 ||
	    dv_manifest_parse(&m, text.ptr, text.len, name) < 0) {
		dv_error_clear();
		goto done;
	}
	for (size_t i = 0; i < m.entries.n; i++) {
		dv_manifest_entry *e = dv_vec_at(&m.entries, dv_manifest_entry, i);
		if (!dv_cache_has(cache, &e->hash, false) && !missing++)
			first = e->path;
	}
	if (missing)
		dv_strvec_push_take(&out->missing, dv_asprintf("%s: %zu of %zu files are not in the "
			"cache (the first: '%s'); 'dv fetch' or 'dv pull' brings them", label, missing,
			m.entries.n, first));
done:
	dv_manifest_free(&m);
	dv_buf_free(&text);
}

static int check_stages(dv_fsck_report *out, dv_repo *repo)
{
	dv_strvec paths = DV_STRVEC_INIT;
	int rc;

	if ((rc = dv_workspace_find_stages(&paths, repo)) < 0)
		goto done;
	for (size_t i = 0; i < paths.n; i++) {
		dv_stage *st = NULL;
		out->stages++;
		if (dv_stage_load(&st, repo->root, paths.v[i]) < 0) {
			dv_strvec_push(&out->bad_stages, dv_error_last());
			dv_error_clear();
			continue;
		}
		for (size_t j = 0; j < st->outs.n; j++) {
			const dv_stage_file *f = dv_stage_out(st, j);
			char *rel, *label;
			char name[64];
			if (!f->cache || !f->has_hash)
				continue;
			rel = dv_stage_entry_relpath(st, f->path);
			label = dv_asprintf("'%s' (%s)", rel, st->path);
			if (f->is_dir) {
				check_dir_out(out, repo->cache, label, f);
			} else if (!dv_cache_has(repo->cache, &f->hash, false)) {
				dv_hash_format(name, sizeof(name), &f->hash, false);
				dv_strvec_push_take(&out->missing, dv_asprintf("%s: object %s is not in "
					"the cache; 'dv fetch' or 'dv pull' brings it", label, name));
			}
			free(label);
			free(rel);
		}
		dv_stage_free(st);
	}
done:
	dv_strvec_free(&paths);
	return rc;
}

/* Every file below .dv/quarantine, repo-relative. */
static int list_quarantine(dv_strvec *out, dv_buf *dir, dv_repo *repo)
{
	DIR *d = opendir(dir->ptr);
	struct dirent *e;
	size_t len = dir->len;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : dv_error_errno(DV_ERROR, "cannot list '%s'", dir->ptr);
	while (rc == 0 && (e = readdir(d))) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		dv_buf_truncate(dir, len);
		dv_buf_printf(dir, "/%s", e->d_name);
		if (lstat(dir->ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = list_quarantine(out, dir, repo);
		else {
			char *rel = dv_path_relative_to(dir->ptr, repo->root);
			dv_strvec_push_take(out, rel ? rel : dv_strdup(dir->ptr));
		}
	}
	dv_buf_truncate(dir, len);
	closedir(d);
	return rc;
}

int dv_fsck(dv_fsck_report *out, dv_repo *repo, int jobs)
{
	dv_buf q = DV_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = verify_cache(out, repo, jobs)) < 0 || (rc = check_stages(out, repo)) < 0)
		return rc;
	dv_path_join(&q, repo->dvdir, DV_QUARANTINE_DIR);
	rc = list_quarantine(&out->quarantined, &q, repo);
	dv_strvec_sort(&out->quarantined);
	dv_buf_free(&q);
	return rc;
}
