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
	"dv commit [-q] [-f] [TARGET...]",
	NULL,
};

static int commit_stage(dv_repo *repo, dv_stage *st, dv_strvec *to_stage, void *ctx)
{
	bool force = *(bool *)ctx;
	int rc = 0;
	if (st->is_command) {
		rc = dv_stage_record(repo, st);
	} else {
		for (size_t i = 0; i < st->outs.n && rc == 0; i++) {
			dv_stage_file *out = dv_stage_out(st, i);
			char *rel = dv_stage_entry_relpath(st, out->path);
			if (force || (rc = dv_workspace_check_not_cut(repo, out, rel)) == 0)
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
	struct dv_progress *p;
	bool force = false;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "f", longopts)) != -1) {
		switch (c) {
		case 'f': /* also: dv never prompts here, as DVC's -f skips prompts */
			force = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	p = cli_progress_begin("Committing");
	rc = cli_change_stages(repo, argv + optind, (size_t)(argc - optind), commit_stage, &force, "committed");
	cli_progress_end(p);
	return rc;
}
