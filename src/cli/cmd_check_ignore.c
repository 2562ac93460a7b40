/*
 * cmd_check_ignore.c - `dv check-ignore [-d] [-n] PATH...`: which paths a
 * .dvignore leaves out, as `dvc check-ignore` (and `git check-ignore`)
 * answer it: the ignored paths one a line; -d adds the deciding
 * `FILE:LINE:PATTERN` and a tab; -n (with -d) lists the others too, with
 * empty fields.  Exit 0 when a path is ignored, 1 when none is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/dvignore.h"
#include "dv/error.h"
#include "dv/fs.h"

static const char *const usage[] = { "dv check-ignore [-d [-n]] PATH...", NULL };

int cmd_check_ignore(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "details", no_argument, NULL, 'd' },
		{ "non-matching", no_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	bool details = false, non_matching = false, any = false;
	dv_buf abs = DV_BUF_INIT;
	int c, failed = 0;

	while ((c = cli_getopt(argc, argv, "dn", longopts)) != -1) {
		switch (c) {
		case 'd':
			details = true;
			break;
		case 'n':
			non_matching = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2;
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "name the paths to check");
	if (non_matching && !details)
		return cli_usage_error(usage, "-n only makes sense with -d");
	for (int i = optind; i < argc; i++) {
		dv_dvignore_why why;
		bool ignored, is_dir;
		char *rel = NULL;
		size_t n = strlen(argv[i]);
		int rc;

		if ((rc = dv_repo_relpath(&rel, repo, argv[i])) < 0) {
			failed = cli_fail(rc);
			continue;
		}
		dv_repo_abspath(&abs, repo, rel);
		/* A path that is not there is a directory when written as one. */
		is_dir = dv_is_dir(abs.ptr) || (n && argv[i][n - 1] == '/');
		if (!*rel) {
			ignored = false; /* the top directory itself */
			memset(&why, 0, sizeof(why));
		} else if ((rc = dv_dvignore_check(&ignored, &why, dv_repo_dvignore(repo), rel, is_dir)) < 0) {
			failed = cli_fail(rc);
			free(rel);
			continue;
		}
		any |= ignored;
		if (details && why.file)
			printf("%s:%u:%s\t%s\n", why.file, why.line, why.pattern, argv[i]);
		else if (details && non_matching)
			printf("::\t%s\n", argv[i]);
		else if (ignored)
			printf("%s\n", argv[i]);
		free(rel);
	}
	dv_buf_free(&abs);
	if (failed)
		return failed;
	return any ? 0 : 1;
}
