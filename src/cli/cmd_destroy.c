/*
 * cmd_destroy.c - `dv destroy -f`: stop using dv in this repository.
 *
 * Every stage is untracked as `dv remove` does it (its outs stay, as
 * private writable files, and leave .gitignore), the remaining .stage files
 * (templates) go, and so does .dv with its cache; the deletions are staged
 * in git.  The cache may hold the only copy of earlier versions of the
 * data, hence -f.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/workspace.h"

static const char *const usage[] = { "dv destroy -f", NULL };

int cmd_destroy(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0, 0, 0, 0 },
	};
	dv_strvec rest = DV_STRVEC_INIT, gone = DV_STRVEC_INIT;
	dv_buf abs = DV_BUF_INIT;
	bool force = false, keep_outs = false;
	int c, rc, ret;

	while ((c = cli_getopt(argc, argv, "f", longopts)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return cli_usage(usage);
		else
			return cli_usage_error(usage, "see 'dv destroy -h'");
	}
	if (optind < argc)
		return cli_usage_error(usage, "dv destroy takes no arguments");
	if (!force)
		return cli_usage_error(usage, "dv destroy untracks everything and deletes .dv with its cache, "
				       "which may hold the only copy of earlier versions of your data; "
				       "run 'dv destroy -f' to do it");
	/* Untrack every stage (outs kept), then what only templates held. */
	if ((ret = cli_change_stages(repo, NULL, 0, cli_untrack_stage, &keep_outs, "removed")) != 0)
		return ret;
	if ((rc = dv_workspace_find_stages(&rest, repo)) == 0)
		for (size_t i = 0; i < rest.n && rc == 0; i++) {
			dv_buf_reset(&abs);
			dv_repo_abspath(&abs, repo, rest.v[i]);
			if (unlink(abs.ptr) < 0)
				rc = dv_error_errno(DV_ERROR, "cannot remove '%s'", rest.v[i]);
			dv_strvec_push(&gone, rest.v[i]);
		}
	dv_strvec_push(&gone, ".dv/config");
	dv_strvec_push(&gone, ".dv/.gitignore");
	if (rc == 0 && (rc = dv_remove_tree(repo->dvdir)) == 0)
		rc = dv_git_stage_paths(repo, &gone);
	ret = rc < 0 ? cli_fail(rc) : 0;
	if (ret == 0)
		cli_info("dv is gone from %s: the data files stay, untracked; commit the change with git\n", repo->root);
	dv_strvec_free(&rest);
	dv_strvec_free(&gone);
	dv_buf_free(&abs);
	return ret;
}
