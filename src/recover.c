/*
 * recover.c - removing the temp files of a dv killed mid-write.
 *
 * Only run after a crash (the lock file still named its dead holder), so
 * walking the whole work tree is affordable: it is what `dv status` reads
 * anyway, and the alternative, a journal of temp files written before each
 * one is made, would cost every write a second one.  Whether each temp
 * file's writer is gone is asked per file (dv_tmpfile_is_stale), not
 * assumed from the lock: `dv status` writes the stat cache without the
 * lock, and a cache may be shared with other repositories' processes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/recover.h"

/* Below `dfd` (consumed), depth first, without following symlinks; at
 * the `top` (the work tree's root) .dv is skipped: its cache is swept by
 * prefix directory, and the rest is not a work tree's. */
static void sweep_tree(size_t *removed, int dfd, bool top)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;

	if (!d) {
		close(dfd);
		return; /* unreadable: nothing we could have written there */
	}
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		bool is_dir = e->d_type == DT_DIR;
		if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git") ||
		    (top && !strcmp(name, ".dv")))
			continue;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			is_dir = fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
		}
		if (is_dir) {
			int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				sweep_tree(removed, sub, false);
		} else if (name[0] == '.' && dv_tmpfile_is_stale(dirfd(d), name) &&
			   unlinkat(dirfd(d), name, 0) == 0) {
			(*removed)++;
		}
	}
	closedir(d);
}

int dv_recover_tmpfiles(size_t *removed, dv_repo *repo)
{
	dv_buf p = DV_BUF_INIT;
	int rc, fd;

	*removed = 0;
	if ((rc = dv_tmpfile_sweep_dir(removed, repo->dvdir)) < 0)
		goto done;
	/* Packs being built for an S3 push (pack.h): up to pack_size each. */
	dv_path_join(&p, repo->dvdir, "packs");
	if ((rc = dv_tmpfile_sweep_dir(removed, p.ptr)) < 0)
		goto done;
	if (repo->cache) {
		dv_path_join(&p, repo->cache->dir, "tmp");
		if ((rc = dv_tmpfile_sweep_dir(removed, p.ptr)) < 0)
			goto done;
		for (int i = 0; i < 256; i++) {
			char sub[32];
			snprintf(sub, sizeof(sub), "files/xxh128/%02x", i);
			dv_path_join(&p, repo->cache->dir, sub);
			if ((rc = dv_tmpfile_sweep_dir(removed, p.ptr)) < 0)
				goto done;
		}
	}
	if ((fd = open(repo->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot list '%s'", repo->root);
		goto done;
	}
	sweep_tree(removed, fd, true);
done:
	dv_buf_free(&p);
	return rc;
}
