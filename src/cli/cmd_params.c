/*
 * cmd_params.c - `dv params diff [A [B]]`: how the params stages use
 * differ between two git revisions, or a revision and the work tree.
 *
 * Both sides are read the same way: the revision's own stages say which
 * params files matter, and the files come from that revision's tree
 * (libgit2) or from the work tree.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/metrics.h"

static const char *const usage[] = {
	"dv params diff [A [B]] [--all] [--json]",
	NULL,
};

int cmd_params(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	dv_vec a = DV_VEC_INIT(dv_metrics *), b = DV_VEC_INIT(dv_metrics *);
	dv_vec rows = DV_VEC_INIT(dv_metric_diff);
	dv_buf out = DV_BUF_INIT;
	bool all = false, json = false;
	const char *ra = "HEAD", *rb = "workspace";
	int c, rc, ret = 0;

	if (argc < 2 || strcmp(argv[1], "diff")) {
		if (argc >= 2 && !strcmp(argv[1], "-h"))
			return cli_usage(usage);
		return cli_usage_error(usage, "'dv params' needs a subcommand: diff");
	}
	argv[1] = "params diff";
	argc--, argv++;
	while ((c = cli_getopt(argc, argv, "a", longopts)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return cli_usage_error(usage, "see 'dv params diff -h'");
		}
	}
	if (argc - optind > 2)
		return cli_usage_error(usage, "'dv params diff' compares at most two revisions");
	if (optind < argc)
		ra = argv[optind];
	if (optind + 1 < argc)
		rb = argv[optind + 1];
	if ((rc = dv_params_collect(&a, repo, ra)) < 0 ||
	    (rc = dv_params_collect(&b, repo, rb)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	for (size_t i = 0; i < a.n + b.n; i++) {
		const dv_metrics *m = *dv_vec_at(i < a.n ? &a : &b, dv_metrics *, i < a.n ? i : i - a.n);
		if (m->error)
			fprintf(stderr, "dv: warning: %s\n", m->error);
	}
	dv_metrics_diff(&rows, &a, &b, all);
	dv_metrics_diff_render(&out, &rows, "Param", ra, rb, false, json);
	fputs(out.ptr, stdout);
done:
	dv_vec_free(&rows);
	dv_metrics_vec_free(&a);
	dv_metrics_vec_free(&b);
	dv_buf_free(&out);
	return ret;
}
