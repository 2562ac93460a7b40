/*
 * cmd_params.c - `dv params diff [A [B]]`: how the params stages use
 * differ between two git revisions, or a revision and the work tree.
 *
 * Both sides are read the same way: the revision's own stages say which
 * params files matter, and the files come from that revision's tree
 * (libgit2) or from the work tree.
 */
#include "commands.h"
#include "dv/metrics.h"
#include "metrics_cli.h"

static const char *const usage[] = {
	"dv params diff [A [B]] [--all] [--json | --md] [--precision N]",
	NULL,
};

int cmd_params(int argc, char **argv, dv_repo *repo)
{
	cli_metrics_args a;
	int ret = cli_metrics_parse(&a, argc, argv, usage, false, repo);

	if (ret < 0)
		ret = cli_metrics_diff(repo, &a, dv_params_collect, "Param", false);
	cli_metrics_args_free(&a);
	return ret;
}
