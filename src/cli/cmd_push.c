/*
 * cmd_push.c - `dv push [-r REMOTE] [-j N] [--all-commits] [--run-cache]
 * [--verify-remote] [TARGET...]`: upload the objects the .stage files reference that the
 * remote does not have yet.  A push that is interrupted is finished by
 * running it again: only complete objects ever appear on the remote.
 * Every object is hashed as it is read, and a corrupt one is not pushed;
 * --verify-remote re-hashes what the remote already had and replaces
 * corrupt copies.
 */
#include "cli.h"
#include "commands.h"
#include "transfer_cli.h"

static const char *const usage[] = {
	"dv push [-r REMOTE] [-j N] [--all-commits] [--run-cache] [--verify-remote] [--repack] [--json] [TARGET...]",
	NULL,
};

int cmd_push(int argc, char **argv, dv_repo *repo)
{
	return cli_transfer_command(argc, argv, repo, usage, true);
}
