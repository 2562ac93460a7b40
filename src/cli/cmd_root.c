/*
 * cmd_root.c - `dv root`: the path of the repository's top directory,
 * relative to the current directory ("." at the top), as `dvc root`
 * prints it, for scripts: cd "$(dv root)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/fs.h"

static const char *const usage[] = { "dv root", NULL };

int cmd_root(int argc, char **argv, dv_repo *repo)
{
	int c;
	dv_buf up = DV_BUF_INIT;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage);
		return cli_usage_error(usage, "see 'dv root -h'");
	}
	if (optind < argc)
		return cli_usage_error(usage, "dv root takes no arguments");
	/* One ".." per component of the current directory below the root. */
	for (const char *p = repo->prefix; *p;) {
		dv_buf_puts(&up, up.len ? "/.." : "..");
		p += strcspn(p, "/");
		p += *p == '/';
	}
	printf("%s\n", up.len ? up.ptr : ".");
	dv_buf_free(&up);
	return 0;
}
