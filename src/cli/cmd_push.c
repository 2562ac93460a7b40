/*
 * cmd_push.c - `dv push [-r REMOTE] [-j N] [--all-commits] [--run-cache]
 * [TARGET...]`: upload the objects the .stage files reference that the
 * remote does not have yet.  A push that is interrupted is finished by
 * running it again: only complete objects ever appear on the remote.
 */
#include "cli.h"
#include "commands.h"
#include "dv/lock.h"
#include "transfer_cli.h"

static const char *const usage[] = {
	"dv push [-r REMOTE] [-j N] [--all-commits] [--run-cache] [--json] [TARGET...]",
	NULL,
};

int cmd_push(int argc, char **argv, dv_repo *repo)
{
	cli_transfer_args a = { 0 };
	dv_transfer_report rep;
	struct dv_lock *lock;
	int rc;

	if ((rc = cli_transfer_parse(&a, argc, argv, usage, false)) >= 0)
		return rc;
	if (!(lock = cli_lock(repo)))
		return 1;
	rc = dv_push(&rep, repo, &a.t);
	rc = cli_transfer_print(&rep, rc, "pushed", &a, repo);
	dv_transfer_report_free(&rep);
	dv_lock_release(lock);
	return rc;
}
