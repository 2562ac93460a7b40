/*
 * cmd_migrate.c - `dv migrate [--from dvc] [--no-commit] [-j N] [PATH]`:
 * bring a DVC repository over in place (src/migrate.c does the work).
 *
 * Runs dv init first when the repository has no .dv yet, so one command
 * takes a DVC user from their repository to a dv one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/lock.h"
#include "dv/migrate.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv migrate [--from dvc] [--no-commit] [-j N] [PATH]",
	NULL,
};

int cmd_migrate(int argc, char **argv, dv_repo *unused)
{
	enum { OPT_FROM = 256, OPT_NO_COMMIT };
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "no-commit", no_argument, NULL, OPT_NO_COMMIT },
		{ "jobs", required_argument, NULL, 'j' },
		{ 0, 0, 0, 0 },
	};
	dv_migrate_opts opts = { false, 0 };
	dv_migrate_report rep;
	dv_repo *repo = NULL;
	struct dv_lock *lock = NULL;
	const char *path = NULL;
	int c, rc, ret = 0;

	(void)unused;
	while ((c = cli_getopt(argc, argv, "j:", longopts)) != -1) {
		switch (c) {
		case OPT_FROM:
			if (strcmp(optarg, "dvc"))
				return cli_usage_error(usage, "dv migrates from DVC only ('--from dvc'), not '%s'", optarg);
			break;
		case OPT_NO_COMMIT:
			opts.no_commit = true;
			break;
		case 'j':
			opts.jobs = atoi(optarg);
			if (opts.jobs < 1)
				return cli_usage_error(usage, "-j needs a number of jobs, not '%s'", optarg);
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return cli_usage_error(usage, "see 'dv migrate -h'");
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		return cli_usage_error(usage, "dv migrate takes one PATH");
	if ((rc = dv_repo_open(&repo, path)) < 0) {
		dv_error_clear();
		if ((rc = dv_repo_init(&repo, path, false)) < 0)
			return cli_fail(rc);
		cli_info("Initialized dv repository in %s/.dv\n", repo->root);
	}
	if (!(lock = cli_lock(repo))) {
		dv_repo_free(repo);
		return 1;
	}
	rc = dv_migrate_dvc(&rep, repo, &opts);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	for (size_t i = 0; i < rep.skipped.n; i++)
		fprintf(stderr, "dv: warning: %s\n", rep.skipped.v[i]);
	if (rc < 0) {
		ret = cli_fail(rc);
	} else {
		cli_info("Migrated %zu stage%s and %zu data file%s; %zu object%s (%.1f MiB) read into dv's cache\n",
			 rep.stages, rep.stages == 1 ? "" : "s", rep.data_stages, rep.data_stages == 1 ? "" : "s",
			 rep.objects, rep.objects == 1 ? "" : "s", (double)rep.bytes / (1 << 20));
		for (size_t i = 0; i < rep.remotes.n; i++)
			cli_info("Remote: %s\n", rep.remotes.v[i]);
		cli_info(rep.committed ? "Committed. DVC's files and .dvc/cache are untouched: remove them when satisfied.\n"
				       : "Staged in git's index (not committed). DVC's files and .dvc/cache are untouched.\n");
	}
	dv_migrate_report_free(&rep);
	dv_repo_free(repo);
	return ret;
}
