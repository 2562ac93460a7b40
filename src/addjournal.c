/*
 * addjournal.c - the symlink add's journal (see addjournal.h).
 *
 * File: one slot per path, in the order given, each exactly
 *     "XX/<30 hex>" TAB <repo-relative path> LF
 * long; a slot not yet written is all NUL bytes (the file is sized by
 * ftruncate).  The LF is stored last, so a slot cut short by a kill has
 * none and is skipped: its rename had not happened.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/addjournal.h"
#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/manifest.h"

#define JOURNAL_DIR "journal"

struct dv_addjournal {
	char *path;
	int fd;
	char *map;
	size_t len;
	size_t *offset; /* slot i starts here */
	const char *const *relpaths;
};

int dv_addjournal_open(dv_addjournal **out, const char *dvdir, const char *const *relpaths, size_t n)
{
	dv_addjournal *j = dv_calloc(1, sizeof(*j));
	dv_buf dir = DV_BUF_INIT, p = DV_BUF_INIT;
	int rc = 0;

	*out = NULL;
	j->fd = -1;
	j->relpaths = relpaths;
	j->offset = dv_calloc(n + 1, sizeof(size_t));
	for (size_t i = 0; i < n; i++) {
		j->offset[i] = j->len;
		j->len += DV_CACHE_OBJ_REL_LEN + 1 + strlen(relpaths[i]) + 1;
	}
	if (!j->len)
		j->len = 1; /* an empty mapping cannot be made */
	dv_path_join(&dir, dvdir, JOURNAL_DIR);
	if (mkdir(dir.ptr, 0755) < 0 && errno != EEXIST) {
		rc = dv_error_errno(DV_ERROR, "cannot create '%s'", dir.ptr);
		goto done;
	}
	{
		dv_buf base = DV_BUF_INIT;
		dv_path_join(&base, dir.ptr, "add");
		dv_tmpfile_name(&p, base.ptr);
		dv_buf_free(&base);
	}
	j->path = dv_buf_detach(&p);
	/* Held locked while it is written: dv_tmpfile_is_stale's sign of a
	 * live writer, even one in another pid namespace. */
	if ((j->fd = open(j->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    flock(j->fd, LOCK_EX | LOCK_NB) < 0 || ftruncate(j->fd, (off_t)j->len) < 0 ||
	    (j->map = mmap(NULL, j->len, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, 0)) == MAP_FAILED) {
		rc = dv_error_errno(DV_ERROR, "cannot make the add journal '%s'", j->path);
		j->map = NULL;
	}
done:
	dv_buf_free(&dir);
	dv_buf_free(&p);
	if (rc < 0) {
		dv_addjournal_close(j);
		return rc;
	}
	*out = j;
	return 0;
}

void dv_addjournal_record(dv_addjournal *j, size_t i, const char *obj_rel)
{
	char *slot = j->map + j->offset[i];
	const char *rel = j->relpaths[i];
	size_t n = strlen(rel);

	memcpy(slot, obj_rel, DV_CACHE_OBJ_REL_LEN);
	slot[DV_CACHE_OBJ_REL_LEN] = '\t';
	memcpy(slot + DV_CACHE_OBJ_REL_LEN + 1, rel, n);
	/* The LF last (the compiler may not move the stores above past it):
	 * a record is whole once it has one. */
	atomic_signal_fence(memory_order_release);
	slot[DV_CACHE_OBJ_REL_LEN + 1 + n] = '\n';
	atomic_signal_fence(memory_order_release);
}

void dv_addjournal_close(dv_addjournal *j)
{
	if (!j)
		return;
	if (j->map)
		munmap(j->map, j->len);
	if (j->path && j->fd >= 0)
		unlink(j->path);
	if (j->fd >= 0)
		close(j->fd);
	free(j->path);
	free(j->offset);
	free(j);
}

/* One record: the link back when the path is missing and the object is
 * there.  A record naming a path outside the work tree is ignored: the
 * journal is local, but nothing in .dv may lead a write elsewhere. */
static void replay_record(size_t *restored, dv_repo *repo, const char *obj_rel, const char *rel)
{
	dv_buf abs = DV_BUF_INIT, obj = DV_BUF_INIT, target = DV_BUF_INIT;
	char hex[DV_HASH_HEXLEN];
	struct stat st;
	dv_hash h;

	/* "XX/<30 hex>" (dv_cache_is_obj_rel): the hash's digits around a '/'. */
	memcpy(hex, obj_rel, 2);
	memcpy(hex + 2, obj_rel + 3, DV_HASH_HEXLEN - 2);
	if (dv_hash_from_hex(&h, hex, DV_HASH_HEXLEN) < 0 || dv_manifest_bad_path(rel) ||
	    dv_repo_check_path(repo, rel, 0) < 0) {
		dv_error_clear();
		return;
	}
	dv_repo_abspath(&abs, repo, rel);
	dv_cache_object_path(&obj, repo->cache, &h, false);
	if (lstat(abs.ptr, &st) < 0 && errno == ENOENT && lstat(obj.ptr, &st) == 0 && S_ISREG(st.st_mode)) {
		dv_cache_link_target(&target, repo->cache, abs.ptr, obj.ptr);
		if (symlink(target.ptr, abs.ptr) == 0)
			(*restored)++;
	}
	dv_buf_free(&abs);
	dv_buf_free(&obj);
	dv_buf_free(&target);
}

static void replay_file(size_t *restored, dv_repo *repo, const char *text, size_t len)
{
	char obj_rel[DV_CACHE_OBJ_REL_LEN + 1];
	size_t pos = 0;

	while (pos < len) {
		const char *line = text + pos, *lf, *nul;
		size_t avail = len - pos;
		if (!*line) {
			pos++;
			continue;
		}
		lf = memchr(line, '\n', avail);
		nul = memchr(line, '\0', avail);
		if (!lf || (nul && nul < lf)) { /* cut short: skip to its NULs */
			pos = nul ? (size_t)(nul - text) : len;
			continue;
		}
		pos = (size_t)(lf - text) + 1;
		if ((size_t)(lf - line) > DV_CACHE_OBJ_REL_LEN + 1 && line[DV_CACHE_OBJ_REL_LEN] == '\t') {
			char *rel = dv_strndup(line + DV_CACHE_OBJ_REL_LEN + 1, (size_t)(lf - line) - DV_CACHE_OBJ_REL_LEN - 1);
			memcpy(obj_rel, line, DV_CACHE_OBJ_REL_LEN);
			obj_rel[DV_CACHE_OBJ_REL_LEN] = '\0';
			if (dv_cache_is_obj_rel(obj_rel))
				replay_record(restored, repo, obj_rel, rel);
			free(rel);
		}
	}
}

int dv_addjournal_replay(size_t *restored, dv_repo *repo)
{
	dv_buf dir = DV_BUF_INIT, text = DV_BUF_INIT, p = DV_BUF_INIT;
	struct dirent *e;
	DIR *d;

	*restored = 0;
	dv_path_join(&dir, repo->dvdir, JOURNAL_DIR);
	if (!repo->cache || !(d = opendir(dir.ptr))) {
		dv_buf_free(&dir);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || !dv_tmpfile_is_stale(dirfd(d), e->d_name))
			continue;
		dv_path_join(&p, dir.ptr, e->d_name);
		dv_buf_reset(&text);
		if (dv_read_file(&text, p.ptr) < 0) {
			dv_error_clear();
			continue; /* kept: the next recovery tries again */
		}
		replay_file(restored, repo, text.ptr, text.len);
		unlink(p.ptr);
	}
	closedir(d);
	dv_buf_free(&dir);
	dv_buf_free(&text);
	dv_buf_free(&p);
	return 0;
}
