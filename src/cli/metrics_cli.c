/*
 * metrics_cli.c - the argument parsing and the diff body shared by
 * `dv params diff` and `dv metrics show|diff`.
 *
 * Both commands take their options in one table, whatever the
 * subcommand, and refuse the ones that do not apply with a hint: listing
 * only `all-commits` for show would let getopt read `--all` as its
 * abbreviation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/fs.h"
#include "dv/git.h"
#include "dv/metrics.h"
#include "metrics_cli.h"

int cli_metrics_parse(cli_metrics_args *a, int argc, char **argv, const char *const *usage,
		      bool has_show, dv_repo *repo)
{
	enum { OPT_MD = 256, OPT_PRECISION };
	static const struct option longopts[] = {
		{ "all-commits", no_argument, NULL, 'A' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'J' },
		{ "md", no_argument, NULL, OPT_MD },
		{ "precision", required_argument, NULL, OPT_PRECISION },
		{ 0, 0, 0, 0 },
	};
	const char *cmd = argv[0];
	char *end;
	long n;
	int c;

	*a = (cli_metrics_args){ .rev_a = "HEAD", .rev_b = DV_REV_WORKSPACE, .precision = -1 };
	if (argc >= 2 && !strcmp(argv[1], "-h"))
		return cli_usage(usage);
	if (argc < 2 || (strcmp(argv[1], "diff") && (!has_show || strcmp(argv[1], "show"))))
		return cli_usage_error(usage, "'dv %s' needs a subcommand: %s", cmd,
				       has_show ? "show or diff" : "diff");
	a->show = !strcmp(argv[1], "show");
	snprintf(a->name, sizeof(a->name), "%s %s", cmd, argv[1]);
	argv[1] = a->name;
	argc--, argv++;
	while ((c = cli_getopt(argc, argv, "aA", longopts)) != -1) {
		switch (c) {
		case 'A':
			a->all_commits = true;
			break;
		case 'a':
			a->all = true;
			break;
		case 'J':
			a->json = true;
			break;
		case OPT_MD:
			a->md = true;
			break;
		case OPT_PRECISION:
			n = strtol(optarg, &end, 10);
			if (!*optarg || *end || n < 0 || n > 17)
				return cli_usage_error(usage, "--precision takes a number of decimal places "
						       "from 0 to 17, not '%s'", optarg);
			a->precision = (int)n;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (a->json && (a->md || a->precision >= 0))
		return cli_usage_error(usage, "--json keeps every digit; --md and --precision are for tables");
	if (a->show) {
		if (a->all)
			return cli_usage_error(usage, "--all is for 'dv %s diff'", cmd);
		for (int i = optind; i < argc; i++) {
			char *rel = NULL, oid[41];
			int rc;
			if (!dv_path_exists(argv[i]) && dv_git_resolve(oid, repo, argv[i]) == 0)
				return cli_usage_error(usage, "'dv %s' takes no revisions, and '%s' is one "
						       "(it takes FILEs; use --all-commits, or 'dv %s diff')", a->name, argv[i], cmd);
			if ((rc = dv_repo_relpath(&rel, repo, argv[i])) < 0)
				return cli_fail(rc);
			dv_strvec_push_take(&a->files, rel);
		}
		return -1;
	}
	if (a->all_commits)
		return cli_usage_error(usage, "--all-commits is for 'dv metrics show'");
	if (argc - optind > 2)
		return cli_usage_error(usage, "'dv %s' compares at most two revisions", a->name);
	if (optind < argc)
		a->rev_a = argv[optind];
	if (optind + 1 < argc)
		a->rev_b = argv[optind + 1];
	return -1;
}

dv_metrics_render_opts cli_metrics_render_opts(const cli_metrics_args *a)
{
	return (dv_metrics_render_opts){ .json = a->json, .md = a->md, .precision = a->precision };
}

void cli_metrics_args_free(cli_metrics_args *a)
{
	dv_strvec_free(&a->files);
}

void cli_metrics_warn_unreadable(const dv_vec *tables, const char *rev)
{
	for (size_t i = 0; i < tables->n; i++) {
		const dv_metrics *m = *dv_vec_at(tables, dv_metrics *, i);
		if (m->error)
			fprintf(stderr, "dv: warning: %s%s%s\n", rev ? rev : "", rev ? ": " : "", m->error);
	}
}

int cli_metrics_diff(dv_repo *repo, const cli_metrics_args *a, cli_metrics_collect_fn collect,
		     const char *key_header, bool change)
{
	dv_vec old = DV_VEC_INIT(dv_metrics *), new = DV_VEC_INIT(dv_metrics *);
	dv_vec rows = DV_VEC_INIT(dv_metric_diff);
	dv_buf out = DV_BUF_INIT;
	dv_metrics_render_opts o = cli_metrics_render_opts(a);
	int rc, ret = 0;

	if ((rc = collect(&old, repo, a->rev_a)) < 0 || (rc = collect(&new, repo, a->rev_b)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	cli_metrics_warn_unreadable(&old, a->rev_a);
	cli_metrics_warn_unreadable(&new, a->rev_b);
	dv_metrics_diff(&rows, &old, &new, a->all);
	dv_metrics_diff_render(&out, &rows, key_header, a->rev_a, a->rev_b, change, &o);
	fputs(out.ptr, stdout);
done:
	dv_vec_free(&rows);
	dv_metrics_vec_free(&old);
	dv_metrics_vec_free(&new);
	dv_buf_free(&out);
	return ret;
}
