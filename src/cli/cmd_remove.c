/*
 * cmd_remove.c - `dv remove TARGET...`: stop tracking (delete the .stage
 * file and dv's .gitignore entries).  The data stays in the work tree, as
 * its own writable files, and in the cache until `dv gc`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/ignore.h"
#include "dv/lock.h"
#include "dv/staleness.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv remove [--outs] [-q] TARGET...",
	NULL,
};

int cli_untrack_stage(dv_repo *repo, dv_stage *st, dv_strvec *to_stage, void *ctx)
{
	bool outs = *(bool *)ctx;
	dv_buf abs = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < st->outs.n && rc == 0; i++) {
		dv_stage_file *out = dv_stage_out(st, i);
		char *rel = dv_stage_entry_relpath(st, out->path);
		char *gitignore = NULL;
		dv_repo_abspath(&abs, repo, rel);
		rc = dv_repo_check_path(repo, rel, 0);
		if (rc == 0 && outs)
			rc = dv_remove_tree(abs.ptr);
		else if (rc == 0 && dv_path_exists(abs.ptr))
			rc = dv_workspace_unprotect(repo, rel);
		if (rc == 0 && (rc = dv_gitignore_remove(&gitignore, repo, rel)) == 0 && gitignore)
			dv_strvec_push_take(to_stage, gitignore);
		free(rel);
	}
	if (rc == 0) {
		dv_repo_abspath(&abs, repo, st->path);
		if (unlink(abs.ptr) < 0 && errno != ENOENT) /* an instance that never ran */
			rc = dv_error_errno(DV_ERROR, "cannot remove '%s'", st->path);
		else
			dv_strvec_push(to_stage, st->path);
	}
	dv_buf_free(&abs);
	return rc;
}

int cmd_remove(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "outs", no_argument, NULL, 'O' },
		{ 0, 0, 0, 0 },
	};
	bool outs = false;
	int c;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'O':
			outs = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "name the .stage files, stages or tracked paths to remove");
	return cli_change_stages(repo, argv + optind, (size_t)(argc - optind), cli_untrack_stage, &outs, "removed");
}
