/*
 * cmd_metrics.c - `dv metrics show` and `dv metrics diff [A [B]]`: the
 * JSON metrics files stages declare (-m), flattened to dotted keys, in
 * the work tree or at any git revision, with numeric deltas.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/git.h"
#include "dv/metrics.h"

static const char *const usage[] = {
	"dv metrics show [-A | --all-commits] [--json]",
	"dv metrics diff [A [B]] [--all] [--json]",
	NULL,
};

static void warn_unreadable(const dv_vec *tables, const char *rev)
{
	for (size_t i = 0; i < tables->n; i++) {
		const dv_metrics *m = *dv_vec_at(tables, dv_metrics *, i);
		if (m->error)
			fprintf(stderr, "dv: warning: %s%s%s\n", rev ? rev : "", rev ? ": " : "", m->error);
	}
}

static int show(dv_repo *repo, bool all_commits, bool json)
{
	dv_strvec revs = DV_STRVEC_INIT;
	dv_buf out = DV_BUF_INIT;
	int rc = 0, ret = 0;

	if (all_commits && (rc = dv_git_list_commits(&revs, repo)) < 0)
		return cli_fail(rc);
	if (!all_commits)
		dv_strvec_push_take(&revs, NULL);
	if (json && all_commits)
		dv_buf_puts(&out, "{\n");
	for (size_t i = 0; i < revs.n; i++) {
		dv_vec tables = DV_VEC_INIT(dv_metrics *);
		dv_buf one = DV_BUF_INIT;
		if ((rc = dv_metrics_collect(&tables, repo, revs.v[i])) < 0) {
			ret = cli_fail(rc);
			dv_metrics_vec_free(&tables);
			break;
		}
		warn_unreadable(&tables, revs.v[i]);
		dv_metrics_show_render(&one, &tables, json);
		if (json && all_commits) {
			/* {"<commit>": {...}, ...}: indent the per-commit object. */
			dv_buf_printf(&out, "%s  \"%s\": ", i ? ",\n" : "", revs.v[i]);
			for (size_t k = 0; k < one.len; k++) {
				if (k + 1 == one.len && one.ptr[k] == '\n')
					break;
				dv_buf_putc(&out, one.ptr[k]);
				if (one.ptr[k] == '\n')
					dv_buf_puts(&out, "  ");
			}
		} else if (all_commits) {
			if (one.len)
				dv_buf_printf(&out, "%s%.12s:\n%s", out.len ? "\n" : "", revs.v[i], one.ptr);
		} else {
			dv_buf_puts(&out, one.ptr);
		}
		dv_buf_free(&one);
		dv_metrics_vec_free(&tables);
	}
	if (json && all_commits)
		dv_buf_puts(&out, "\n}\n");
	if (!ret)
		fputs(out.ptr, stdout);
	dv_strvec_free(&revs);
	dv_buf_free(&out);
	return ret;
}

static int diff(dv_repo *repo, const char *ra, const char *rb, bool all, bool json)
{
	dv_vec a = DV_VEC_INIT(dv_metrics *), b = DV_VEC_INIT(dv_metrics *);
	dv_vec rows = DV_VEC_INIT(dv_metric_diff);
	dv_buf out = DV_BUF_INIT;
	int rc, ret = 0;

	if ((rc = dv_metrics_collect(&a, repo, ra)) < 0 ||
	    (rc = dv_metrics_collect(&b, repo, rb)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	warn_unreadable(&a, ra);
	warn_unreadable(&b, rb);
	dv_metrics_diff(&rows, &a, &b, all);
	dv_metrics_diff_render(&out, &rows, "Metric", ra, rb, true, json);
	fputs(out.ptr, stdout);
done:
	dv_vec_free(&rows);
	dv_metrics_vec_free(&a);
	dv_metrics_vec_free(&b);
	dv_buf_free(&out);
	return ret;
}

int cmd_metrics(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "all-commits", no_argument, NULL, 'A' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	bool all_commits = false, all = false, json = false, is_show;
	int c;

	if (argc < 2 || (strcmp(argv[1], "show") && strcmp(argv[1], "diff"))) {
		if (argc >= 2 && !strcmp(argv[1], "-h"))
			return cli_usage(usage);
		return cli_usage_error(usage, "'dv metrics' needs a subcommand: show or diff");
	}
	is_show = !strcmp(argv[1], "show");
	argv[1] = is_show ? "metrics show" : "metrics diff";
	argc--, argv++;
	while ((c = cli_getopt(argc, argv, is_show ? "A" : "a", longopts)) != -1) {
		switch (c) {
		case 'A':
			all_commits = true;
			break;
		case 'a':
			all = true;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return cli_usage_error(usage, "see 'dv metrics -h'");
		}
	}
	if (is_show) {
		if (all)
			return cli_usage_error(usage, "--all is for 'dv metrics diff'");
		if (optind < argc)
			return cli_usage_error(usage, "'dv metrics show' takes no revisions (use --all-commits)");
		return show(repo, all_commits, json);
	}
	if (all_commits)
		return cli_usage_error(usage, "--all-commits is for 'dv metrics show'");
	if (argc - optind > 2)
		return cli_usage_error(usage, "'dv metrics diff' compares at most two revisions");
	return diff(repo, optind < argc ? argv[optind] : "HEAD", optind + 1 < argc ? argv[optind + 1] : "workspace",
		    all, json);
}
