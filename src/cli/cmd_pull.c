/*
 * cmd_pull.c - `dv pull [-r REMOTE] [-j N] [--all-commits] [--run-cache]
 * [-f] [TARGET...]`: `dv fetch`, then check the targets out of the cache
 * (as `dv checkout`, -f discarding workspace changes that are not in the
 * cache).  What could be fetched is checked out even when some objects
 * are missing; the command then exits 1 naming them.  With --all-commits
 * every commit's objects are fetched but only the work tree's stages are
 * checked out.
 */

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/lock.h"
#include "dv/workspace.h"
#include "transfer_cli.h"

static const char *const usage[] = {
	"dv pull [-r REMOTE] [-j N] [--all-commits] [--run-cache] [-f] [--json] [TARGET...]",
	NULL,
};

/* Check out every cached out of the target stages; returns 1 if anything
 * could not be checked out.  With --json, stdout holds only the fetch's
 * JSON, so the paths written are not listed. */
static int checkout_targets(size_t *restored, dv_repo *repo, const cli_transfer_args *a,
			    bool missing_reported)
{
	dv_checkout_opts opts = { a->force, false };
	cli_checkout_print_opts print_opts = { "pull", a->json, missing_reported };
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_vec report = DV_VEC_INIT(dv_checkout_item);
	int rc, failed = 0;

	if ((rc = dv_workspace_load_targets(&stages, repo, a->t.targets, a->t.ntargets)) < 0) {
		failed = cli_fail(rc);
		goto done;
	}
	dv_workspace_checkout_stages(repo, &stages, &opts, &report);
	failed = cli_print_checkout_report(restored, repo, &report, &print_opts);
done:
	dv_checkout_report_free(&report);
	dv_stages_free(&stages);
	dv_repo_save_statcache(repo);
	return failed;
}

int cmd_pull(int argc, char **argv, dv_repo *repo)
{
	cli_transfer_args a = { 0 };
	dv_transfer_report rep;
	struct dv_lock *lock;
	size_t restored = 0;
	int rc, fetch_rc;

	if ((rc = cli_transfer_parse(&a, argc, argv, usage, CLI_TRANSFER_PULL)) >= 0)
		return rc;
	if (!(lock = cli_lock(repo)))
		return 1;
	fetch_rc = dv_fetch(&rep, repo, &a.t);
	/* No remote, or it cannot be reached: nothing to check out. */
	if (fetch_rc < 0 && !rep.missing && !rep.failed && !rep.transferred) {
		rc = cli_transfer_print(&rep, fetch_rc, "fetched", &a, repo, false);
		goto done;
	}
	/* "Everything is up to date" only once the checkout agrees: a kept
	 * workspace change means it is not. */
	rc = cli_transfer_print(&rep, fetch_rc, "fetched", &a, repo, false);
	if (checkout_targets(&restored, repo, &a, rep.missing + rep.failed > 0))
		rc = 1;
	else if (rc == 0 && !rep.transferred && !restored && !a.json)
		cli_info("Everything is up to date.\n");
done:
	dv_transfer_report_free(&rep);
	dv_lock_release(lock);
	return rc;
}
