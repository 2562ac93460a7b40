/*
 * cmd_unprotect.c - `dv unprotect PATH...`: turn links into the cache into
 * writable files of their own, so editing them cannot corrupt the cache.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/lock.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv unprotect [-q] PATH...",
	NULL,
};

int cmd_unprotect(int argc, char **argv, dv_repo *repo)
{
	struct dv_lock *lock;
	dv_buf abs = DV_BUF_INIT;
	int c, rc, failed = 0;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "name the tracked files or directories to unprotect");
	if (!(lock = cli_lock(repo)))
		return 1;
	for (int i = optind; i < argc; i++) {
		char *rel = NULL;
		if ((rc = dv_repo_relpath(&rel, repo, argv[i])) == 0) {
			dv_repo_abspath(&abs, repo, rel);
			if (!dv_path_exists(abs.ptr))
				rc = dv_error(DV_ENOTFOUND, "cannot unprotect '%s': no such file or directory", argv[i]);
			else
				rc = dv_workspace_unprotect(repo, rel);
		}
		if (rc < 0)
			failed = cli_fail(rc);
		free(rel);
	}
	dv_buf_free(&abs);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	return failed;
}
