/*
 * cmd_init.c - `dv init`: create .dv/ in the enclosing git work tree.
 */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/repo.h"

static const char *const usage[] = {
	"dv init [-f] [-q]",
	NULL,
};

int cmd_init(int argc, char **argv, dv_repo *unused)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0, 0, 0, 0 },
	};
	dv_repo *repo = NULL;
	bool force = false;
	int c, rc;

	(void)unused;
	while ((c = cli_getopt(argc, argv, "f", longopts)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "dv init takes no arguments");
	if ((rc = dv_repo_init(&repo, NULL, force)) < 0)
		return cli_fail(rc);
	cli_info("Initialized dv repository in %s/.dv\n"
		 "Commit it with git: git commit -m \"Initialize dv\"\n", repo->root);
	dv_repo_free(repo);
	return 0;
}
