/*
 * cmd_fetch.c - `dv fetch [-r REMOTE] [-j N] [--all-commits] [--run-cache]
 * [TARGET...]`: download into the cache the objects the .stage files
 * reference that it lacks, each re-hashed before it is stored.  The work
 * tree is not touched (that is `dv pull`).
 */
#include "cli.h"
#include "commands.h"
#include "transfer_cli.h"

static const char *const usage[] = {
	"dv fetch [-r REMOTE] [-j N] [--all-commits] [--run-cache] [--json] [TARGET...]",
	NULL,
};

int cmd_fetch(int argc, char **argv, dv_repo *repo)
{
	return cli_transfer_command(argc, argv, repo, usage, false);
}
