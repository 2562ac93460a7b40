/*
 * cmd_merge_driver.c - `dv merge-driver BASE OURS THEIRS PATH`: the merge
 * driver git runs for `*.stage` files (registered by `dv install` as
 * `merge.dv.driver = dv merge-driver %O %A %B %P`).
 *
 * git hands over three temp files and the path; the merged text goes into
 * OURS, and the exit code says whether it is clean (0) or a conflict (1),
 * in which case OURS holds git's conflict markers and each conflict is
 * named on stderr, as git names its own.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/merge.h"

static const char *const usage[] = {
	"dv merge-driver BASE OURS THEIRS PATH   (run by git: see dv-install(1))",
	NULL,
};

int cmd_merge_driver(int argc, char **argv, dv_repo *repo)
{
	dv_buf texts[3] = { DV_BUF_INIT, DV_BUF_INIT, DV_BUF_INIT }, merged = DV_BUF_INIT;
	dv_strvec conflicts = DV_STRVEC_INIT;
	bool clean = true;
	int c, rc = 0;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage);
		return 2; /* cli_getopt named the option */
	}
	if (argc - optind != 4)
		return cli_usage_error(usage, "git passes BASE OURS THEIRS PATH (%%O %%A %%B %%P)");
	for (int i = 0; i < 3; i++) {
		if ((rc = dv_read_file(&texts[i], argv[optind + i])) < 0) {
			rc = cli_fail(rc);
			goto done;
		}
	}
	if ((rc = dv_stage_merge(&merged, &clean, &conflicts, repo, argv[optind + 3], &texts[0],
				 &texts[1], &texts[2])) < 0 ||
	    (rc = dv_write_file_atomic(argv[optind + 1], merged.ptr, merged.len, 0644)) < 0) {
		rc = cli_fail(rc);
		goto done;
	}
	for (size_t i = 0; i < conflicts.n; i++)
		fprintf(stderr, "CONFLICT (dv): %s: %s\n", argv[optind + 3], conflicts.v[i]);
	if (!clean)
		fprintf(stderr, "dv: merge conflict in '%s': keep one side with 'git checkout --ours' or "
			"'--theirs', or 'dv add' the version wanted\n", argv[optind + 3]);
	rc = clean ? 0 : 1;
done:
	for (int i = 0; i < 3; i++)
		dv_buf_free(&texts[i]);
	dv_buf_free(&merged);
	dv_strvec_free(&conflicts);
	return rc;
}
