/*
 * cmd_freeze.c - `dv freeze STAGE...` / `dv unfreeze STAGE...`: set a
 * pipeline stage's `frozen` flag, which repro honours by never running it.
 *
 * Both go through cli_change_stages, so targets are whatever repro takes
 * (names, globs such as 'train@*', a template, a directory) and the
 * changed .stage files are staged in git as commit and remove do.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/stage.h"

static int set_frozen(dv_repo *repo, dv_stage *st, dv_strvec *to_stage, void *ctx)
{
	bool frozen = *(bool *)ctx;
	int rc;

	if (!st->is_command)
		return dv_error(DV_ERROR, "'%s' tracks data; only pipeline stages can be %s", st->path,
				frozen ? "frozen" : "unfrozen");
	st->frozen = frozen;
	if ((rc = dv_stage_save(st, repo->root)) == 0)
		dv_strvec_push(to_stage, st->path);
	return rc;
}

static int run(int argc, char **argv, dv_repo *repo, bool frozen, const char *const *usage)
{
	int c;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage);
		return cli_usage_error(usage, "see 'dv %s -h'", argv[0]);
	}
	if (optind >= argc)
		return cli_usage_error(usage, "'dv %s' needs the stages to %s", argv[0], argv[0]);
	return cli_change_stages(repo, argv + optind, (size_t)(argc - optind), set_frozen, &frozen,
				 frozen ? "frozen" : "unfrozen");
}

static const char *const freeze_usage[] = { "dv freeze STAGE...", NULL };
static const char *const unfreeze_usage[] = { "dv unfreeze STAGE...", NULL };

int cmd_freeze(int argc, char **argv, dv_repo *repo)
{
	return run(argc, argv, repo, true, freeze_usage);
}

int cmd_unfreeze(int argc, char **argv, dv_repo *repo)
{
	return run(argc, argv, repo, false, unfreeze_usage);
}
