/*
 * cmd_fetch.c - `dv fetch [-r REMOTE] [-j N] [--all-commits] [--run-cache]
 * [TARGET...]`: download into the cache the objects the .stage files
 * reference that it lacks, each re-hashed before it is stored.  The work
 * tree is not touched (that is `dv pull`).
 */
#include "cli.h"
#include "commands.h"
#include "dv/lock.h"
#include "transfer_cli.h"

static const char *const usage[] = {
	"dv fetch [-r REMOTE] [-j N] [--all-commits] [--run-cache] [--json] [TARGET...]",
	NULL,
};

int cmd_fetch(int argc, char **argv, dv_repo *repo)
{
	cli_transfer_args a = { 0 };
	dv_transfer_report rep;
	struct dv_lock *lock;
	int rc;

	if ((rc = cli_transfer_parse(&a, argc, argv, usage, false)) >= 0)
		return rc;
	if (!(lock = cli_lock(repo)))
		return 1;
	rc = dv_fetch(&rep, repo, &a.t);
	rc = cli_transfer_print(&rep, rc, "fetched", &a, repo);
	dv_transfer_report_free(&rep);
	dv_lock_release(lock);
	return rc;
}
