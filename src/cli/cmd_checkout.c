/*
 * cmd_checkout.c - `dv checkout [TARGET...] [-f] [--relink]`: make the work
 * tree match the .stage files, from the cache.  A workspace change whose
 * bytes are not in the cache is kept (and named) unless -f.
 */

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/lock.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv checkout [-f] [--relink] [-q] [TARGET...]",
	NULL,
};

int cmd_checkout(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "relink", no_argument, NULL, 'R' },
		{ 0, 0, 0, 0 },
	};
	dv_checkout_opts opts = { false, false };
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_vec report = DV_VEC_INIT(dv_checkout_item);
	cli_checkout_print_opts print_opts = { "checkout", false, false };
	struct dv_lock *lock;
	struct dv_progress *p;
	size_t restored = 0;
	int c, rc, failed = 0;

	while ((c = cli_getopt(argc, argv, "f", longopts)) != -1) {
		switch (c) {
		case 'f':
			opts.force = true;
			break;
		case 'R':
			opts.relink = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (!(lock = cli_lock(repo)))
		return 1;
	if ((rc = dv_workspace_load_targets(&stages, repo, argv + optind, (size_t)(argc - optind))) < 0) {
		failed = cli_fail(rc);
		goto done;
	}
	p = cli_progress_begin("Checking out");
	dv_workspace_checkout_stages(repo, &stages, &opts, &report);
	cli_progress_end(p);
	failed = cli_print_checkout_report(&restored, repo, &report, &print_opts);
	if (!failed && !restored && cli_verbose)
		cli_info("Everything is up to date.\n");
done:
	dv_checkout_report_free(&report);
	dv_stages_free(&stages);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	return failed;
}
