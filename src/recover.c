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
#include <git2.h>
#include <limits.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/config.h"
#include "dv/git.h"
#include "dv/recover.h"
#include "dv/staleness.h"
#include "dv/workspace.h"

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
		/* objects, and the run-cache's entries (a killed repro) */
		static const char *const fanned[] = { "files/xxh128", "runs" };
		for (size_t k = 0; k < sizeof(fanned) / sizeof(*fanned); k++)
			for (int i = 0; i < 256; i++) {
				char sub[32];
				snprintf(sub, sizeof(sub), "%s/%02x", fanned[k], i);
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

int dv_recover_restage(size_t *staged, dv_repo *repo)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_strvec written = DV_STRVEC_INIT, unstaged = DV_STRVEC_INIT;
	bool autostage = true;
	int rc;

	*staged = 0;
	if ((rc = dv_config_get_bool(repo->config, "core.autostage", true, &autostage)) < 0 || !autostage)
		return rc;
	if ((rc = dv_workspace_load_stages(&stages, repo)) < 0)
		goto done;
	for (size_t i = 0; i < stages.n; i++)
		dv_stage_written_paths(&written, *dv_vec_at(&stages, dv_stage *, i));
	if ((rc = dv_git_unstaged(&unstaged, repo, &written)) < 0)
		goto done;
	if ((rc = dv_git_stage_paths(repo, &unstaged)) == 0)
		*staged = unstaged.n;
done:
	dv_stages_free(&stages);
	dv_strvec_free(&written);
	dv_strvec_free(&unstaged);
	return rc;
}

/* Whether any process has `path` open, by /proc/PID/fd. */
static bool open_by_any_process(const char *path)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	bool found = false;
	char fdpath[300], target[PATH_MAX];

	if (!proc)
		return true; /* cannot tell: assume a live git holds it */
	while (!found && (p = readdir(proc)) != NULL) {
		DIR *fds;
		struct dirent *f;
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(fdpath, sizeof(fdpath), "/proc/%s/fd", p->d_name);
		if (!(fds = opendir(fdpath)))
			continue;
		while (!found && (f = readdir(fds)) != NULL) {
			char link[600];
			ssize_t n;
			snprintf(link, sizeof(link), "/proc/%s/fd/%s", p->d_name, f->d_name);
			if ((n = readlink(link, target, sizeof(target) - 1)) > 0) {
				target[n] = '\0';
				found = !strcmp(target, path);
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

int dv_recover_git_index_lock(bool *removed, dv_repo *repo, long dead_pid)
{
	git_repository *git;
	dv_buf path = DV_BUF_INIT, note = DV_BUF_INIT, text = DV_BUF_INIT;
	char *real = NULL;
	struct stat st;
	int rc = 0;

	*removed = false;
	dv_path_join(&note, repo->dvdir, DV_GIT_INDEX_NOTE);
	if (dv_read_file(&text, note.ptr) < 0) {
		dv_error_clear();
		goto done; /* the dead dv was not writing git's index */
	}
	if (atol(text.ptr) != dead_pid)
		goto done; /* a live writer's (or a stale note: removed below) */
	if (!(git = dv_repo_git(repo))) {
		rc = DV_ERROR;
		goto done;
	}
	dv_path_join(&path, git_repository_path(git), "index.lock");
	if (lstat(path.ptr, &st) == 0 && S_ISREG(st.st_mode) && (real = realpath(path.ptr, NULL)) &&
	    !open_by_any_process(real)) {
		if (unlink(path.ptr) < 0)
			rc = dv_error_errno(DV_ERROR, "cannot remove '%s'", path.ptr);
		else
			*removed = true;
	}
	if (rc == 0)
		unlink(note.ptr);
done:
	free(real);
	dv_buf_free(&path);
	dv_buf_free(&note);
	dv_buf_free(&text);
	return rc;
}
