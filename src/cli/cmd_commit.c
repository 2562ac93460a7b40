/*
 * cmd_commit.c - `dv commit [TARGET...]`: record what the work tree holds
 * now (data stages' outs; command stages' deps, params and outs) without
 * running anything.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/lock.h"
#include "dv/staleness.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv commit [-q] [TARGET...]",
	NULL,
};

static int commit_stage(dv_repo *repo, dv_stage *st, dv_strvec *to_stage)
{
	int rc = 0;
	if (st->is_command) {
		rc = dv_stage_record(repo, st);
	} else {
		for (size_t i = 0; i < st->outs.n && rc == 0; i++) {
			dv_stage_file *out = dv_stage_out(st, i);
			char *rel = dv_stage_entry_relpath(st, out->path);
			rc = dv_workspace_commit_entry(repo, out, rel);
			free(rel);
		}
	}
	if (rc == 0)
		rc = dv_stage_store(repo, st, to_stage);
	return rc;
}

int cmd_commit(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0, 0, 0, 0 },
	};
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_strvec to_stage = DV_STRVEC_INIT;
	struct dv_lock *lock;
	int c, rc, failed = 0;

	while ((c = cli_getopt(argc, argv, "f", longopts)) != -1) {
		switch (c) {
		case 'f': /* accepted for DVC users: dv never prompts here */
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return cli_usage_error(usage, "see 'dv commit -h'");
		}
	}
	if (!(lock = cli_lock(repo)))
		return 1;
	if ((rc = dv_workspace_load_targets(&stages, repo, argv + optind, (size_t)(argc - optind))) < 0) {
		failed = cli_fail(rc);
		goto done;
	}
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		if ((rc = commit_stage(repo, st, &to_stage)) < 0) {
			failed = cli_fail(rc);
			continue;
		}
		cli_info("committed %s\n", st->path);
	}
	if ((rc = dv_stage_git_add(repo, &to_stage)) < 0)
		failed = cli_fail(rc);
done:
	dv_stages_free(&stages);
	dv_strvec_free(&to_stage);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	return failed;
}
