/*
 * remote_local.c - a directory remote (/path, relative, file://): just
 * another cache, the same files/ and runs/ layout under its root.
 *
 * Each object is written under a temp name beside its final one and
 * renamed into place (dv_tmpfile_open/commit), so a reader or a later push
 * never sees a partial object and an interrupted push is finished by a
 * rerun.  Small objects are dominated by per-file system calls, not bytes,
 * so items are spread over r->jobs threads.  Pushed bytes pass through
 * memory and are hashed on the way (copy_hashed): a corrupt cache object
 * is caught before its temp file is renamed, so it never reaches the
 * remote under its name.  Fetched ones move with copy_file_range
 * (dv_copy_fd) and are re-hashed by dv_transfer_adopt.  No per-object fsync: objects are named by
 * their content and re-hashed whenever they are fetched, as for the cache.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/hash.h"
#include "dv/objects.h"
#include "dv/pool.h"
#include "dv/remote.h"
#include "remote_kinds.h"

#define LOCAL_DEFAULT_JOBS 4

typedef struct {
	dv_remote base;
	char *root; /* absolute */
} local_remote;

/* The regular files below root/rel, skipping dot names; with `since_ns`
 * above INT64_MIN only those modified at or after it. */
static int walk(dv_strvec *out, dv_buf *rel, const char *root, int64_t since_ns)
{
	dv_buf abs = DV_BUF_INIT;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	dv_path_join(&abs, root, rel->ptr);
	d = opendir(abs.ptr);
	if (!d) {
		if (errno != ENOENT && errno != ENOTDIR)
			rc = dv_error_errno(DV_ERROR, "cannot list '%s'", abs.ptr);
		goto done;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = rel->len;
		bool is_dir;
		/* Dot names are temp files of unfinished uploads. */
		if (e->d_name[0] == '.')
			continue;
		if (len)
			dv_buf_putc(rel, '/');
		dv_buf_puts(rel, e->d_name);
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			dv_path_join(&abs, root, rel->ptr);
			is_dir = stat(abs.ptr, &st) == 0 && S_ISDIR(st.st_mode);
		} else {
			is_dir = e->d_type == DT_DIR;
		}
		if (is_dir) {
			rc = walk(out, rel, root, since_ns);
		} else if (e->d_type == DT_REG || e->d_type == DT_UNKNOWN) {
			struct stat st;
			if (since_ns == INT64_MIN ||
			    (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			     dv_stat_mtime_ns(&st) >= since_ns))
				dv_strvec_push(out, rel->ptr);
		}
		dv_buf_truncate(rel, len);
		if (rc < 0)
			break;
	}
	closedir(d);
done:
	dv_buf_free(&abs);
	return rc;
}

static int list_below(dv_strvec *out, const char *root, const char *prefix, int64_t since_ns)
{
	dv_buf rel = DV_BUF_INIT;
	int rc;

	dv_buf_puts(&rel, prefix);
	while (rel.len && rel.ptr[rel.len - 1] == '/')
		dv_buf_truncate(&rel, rel.len - 1);
	rc = walk(out, &rel, root, since_ns);
	dv_buf_free(&rel);
	return rc;
}

int dv_list_files_below(dv_strvec *out, const char *root, const char *prefix)
{
	return list_below(out, root, prefix, INT64_MIN);
}

static int local_list(dv_remote *r, dv_strvec *out, const char *prefix)
{
	return dv_list_files_below(out, ((local_remote *)r)->root, prefix);
}

static int local_list_since(dv_remote *r, dv_strvec *out, const char *prefix, int64_t since_ns)
{
	return list_below(out, ((local_remote *)r)->root, prefix, since_ns);
}

static int local_exists(dv_remote *r, const char *relpath, bool *out)
{
	local_remote *lr = (local_remote *)r;
	dv_buf path = DV_BUF_INIT;
	struct stat st;

	dv_path_join(&path, lr->root, relpath);
	*out = stat(path.ptr, &st) == 0 && S_ISREG(st.st_mode);
	dv_buf_free(&path);
	return 0;
}

/* --- items spread over r->jobs threads --------------------------------- */

typedef struct {
	local_remote *lr;
	dv_cache *cache;
	dv_transfer *items;
	size_t n;
	dv_progress *progress;
	int (*one)(local_remote *lr, dv_cache *cache, dv_transfer *t, uint64_t *bytes);
} pool;

static void pool_one(void *arg, size_t i)
{
	pool *p = arg;
	uint64_t bytes = 0;
	int rc = p->one(p->lr, p->cache, &p->items[i], &bytes);
	if (rc < 0) {
		dv_transfer_fail(&p->items[i], rc);
	} else {
		p->items[i].status = 0;
		dv_progress_add(p->progress, 1, bytes);
	}
}

static int pool_run(pool *p, int jobs)
{
	dv_parallel_for(p->n, jobs < 1 ? 1 : jobs, pool_one, p);
	return dv_transfer_first_failure(p->items, p->n);
}

static int open_source(int *fd, const char *path, const dv_transfer *t, const char *where)
{
	*fd = dv_open_read(path);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT)
		return dv_error(DV_ENOTFOUND, "object '%s' is not in %s", t->relpath, where);
	return dv_error_errno(DV_ERROR, "cannot open '%s'", path);
}

/* Copy `in` to `out` through the thread's I/O buffer, hashing the bytes
 * on the way: push checks what it sends at no extra read (the price is
 * copy_file_range's in-kernel copy, which would hide the bytes). */
static int copy_hashed(int out, int in, dv_hash *got, uint64_t *bytes)
{
	char *buf = dv_io_buffer();
	dv_hasher *hs = dv_hasher_new();
	int rc = 0;

	*bytes = 0;
	for (;;) {
		ssize_t n = read(in, buf, DV_IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		dv_hasher_update(hs, buf, (size_t)n);
		if (dv_write_all(out, buf, (size_t)n) < 0) {
			rc = -1;
			break;
		}
		*bytes += (uint64_t)n;
	}
	dv_hasher_final(got, hs);
	dv_hasher_free(hs);
	return rc;
}

static int push_one(local_remote *lr, dv_cache *cache, dv_transfer *t, uint64_t *bytes)
{
	dv_buf src = DV_BUF_INIT, dst = DV_BUF_INIT, tmp = DV_BUF_INIT;
	dv_hash got;
	int in = -1, out = -1, rc;

	dv_transfer_local_path(&src, cache, t);
	dv_path_join(&dst, lr->root, t->relpath);
	if ((rc = open_source(&in, src.ptr, t, "the cache")) < 0)
		goto done;
	if (dv_tmpfile_open(&out, &tmp, dst.ptr, 0444) < 0) {
		if ((rc = dv_mkdir_parent(dst.ptr)) < 0)
			goto done;
		if ((rc = dv_tmpfile_open(&out, &tmp, dst.ptr, 0444)) < 0)
			goto done;
	}
	if ((rc = copy_hashed(out, in, &got, bytes)) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot copy '%s' to '%s'", src.ptr, dst.ptr);
		dv_tmpfile_abort(out, tmp.ptr);
		goto done;
	}
	/* A corrupt cache object never gets its name on the remote. */
	if ((rc = dv_transfer_check_sent(cache, t, &got)) < 0) {
		dv_tmpfile_abort(out, tmp.ptr);
		goto done;
	}
	rc = dv_tmpfile_commit_nosync(out, tmp.ptr, dst.ptr);
done:
	if (in >= 0)
		close(in);
	dv_buf_free(&src);
	dv_buf_free(&dst);
	dv_buf_free(&tmp);
	return rc;
}

/* Read a whole small file into the thread's I/O buffer: 1 when it turns
 * out bigger than the buffer (the caller streams it instead). */
static int read_small(size_t *len, int in, uint64_t expect)
{
	char *buf = dv_io_buffer();
	*len = 0;
	for (;;) {
		ssize_t n = read(in, buf + *len, DV_IO_CHUNK + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len > DV_IO_CHUNK)
			return 1;
		/* A regular file reads short only at its end. */
		if (expect && *len == expect)
			return 0;
	}
}

/* A small object is read into memory and checked before anything is
 * written (dv_cache_store_verified); a larger one is copied to a temp
 * file and re-hashed there (dv_transfer_adopt). */
static int fetch_one(local_remote *lr, dv_cache *cache, dv_transfer *t, uint64_t *bytes)
{
	dv_buf src = DV_BUF_INIT, tmp = DV_BUF_INIT;
	char *where = NULL;
	size_t len;
	int in = -1, out = -1, rc;

	dv_path_join(&src, lr->root, t->relpath);
	where = dv_asprintf("remote '%s'", lr->base.name);
	if ((rc = open_source(&in, src.ptr, t, where)) < 0)
		goto done;
	if (dv_transfer_is_object(t) && t->size <= DV_IO_CHUNK) {
		if ((rc = read_small(&len, in, t->size)) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot read '%s'", src.ptr);
			goto done;
		}
		if (rc == 0) {
			*bytes = len;
			rc = dv_cache_store_verified(cache, dv_io_buffer(), len, &t->hash, t->is_dir, where, &t->st);
			goto done;
		}
		lseek(in, 0, SEEK_SET);
	}
	if ((rc = dv_transfer_tmp_open(&out, &tmp, cache, t)) < 0)
		goto done;
	rc = dv_copy_fd(out, in, 0, bytes);
	if (close(out) < 0)
		rc = -1;
	if (rc < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot copy '%s' into the cache", src.ptr);
		dv_tmpfile_abort(-1, tmp.ptr);
		goto done;
	}
	rc = dv_transfer_adopt(cache, tmp.ptr, t, &lr->base);
done:
	if (in >= 0)
		close(in);
	free(where);
	dv_buf_free(&src);
	dv_buf_free(&tmp);
	return rc;
}

static int local_push(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	pool pl = { (local_remote *)r, cache, items, n, p, push_one };
	return pool_run(&pl, r->jobs);
}

static int local_fetch(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	pool pl = { (local_remote *)r, cache, items, n, p, fetch_one };
	return pool_run(&pl, r->jobs);
}

static int local_remove(dv_remote *r, const dv_strvec *relpaths)
{
	local_remote *lr = (local_remote *)r;
	dv_buf path = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < relpaths->n; i++) {
		dv_path_join(&path, lr->root, relpaths->v[i]);
		if (unlink(path.ptr) < 0 && errno != ENOENT)
			rc = dv_error_errno(DV_ERROR, "cannot remove '%s'", path.ptr);
	}
	dv_buf_free(&path);
	return rc;
}

/* The cache's own sweep (dv_store_scan_dir): a directory remote is laid
 * out as a cache, and its uploads use the cache's temp names. */
static int local_stale_tmp(dv_remote *r, dv_strvec *out, int64_t before_ns)
{
	local_remote *lr = (local_remote *)r;
	dv_strvec abs = DV_STRVEC_INIT;
	dv_store_scan scan = { .stale = &abs, .before_ns = before_ns };
	size_t root_len = strlen(lr->root);
	int rc = dv_store_scan_dir(&scan, lr->root);

	for (size_t i = 0; rc == 0 && i < abs.n; i++)
		if (!strncmp(abs.v[i], lr->root, root_len) && abs.v[i][root_len] == '/')
			dv_strvec_push(out, abs.v[i] + root_len + 1);
	dv_strvec_free(&abs);
	return rc;
}

static void local_free(dv_remote *r)
{
	local_remote *lr = (local_remote *)r;
	dv_remote_release_base(r);
	free(lr->root);
	free(lr);
}

static const dv_remote_ops local_ops = {
	.kind = "local",
	.list = local_list,
	.list_since = local_list_since,
	.exists = local_exists,
	.push = local_push,
	.fetch = local_fetch,
	.remove = local_remove,
	.stale_tmp = local_stale_tmp,
	.remove_tmp = local_remove, /* temp files are plain files too */
	.free = local_free,
};

int dv_remote_local_open(dv_remote **out, const dv_config *cfg, const char *name,
			 const char *url, const char *path)
{
	local_remote *lr = dv_calloc(1, sizeof(*lr));
	(void)cfg;
	dv_remote_init_base(&lr->base, &local_ops, name, url, LOCAL_DEFAULT_JOBS);
	lr->root = dv_strdup(path);
	*out = &lr->base;
	return 0;
}
