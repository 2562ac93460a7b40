/*
 * cmd_metrics.c - `dv metrics show` and `dv metrics diff [A [B]]`: the
 * JSON metrics files stages declare (-m), flattened to dotted keys, in
 * the work tree or at any git revision, with numeric deltas.
 */
#include <stdio.h>

#include "commands.h"
#include "dv/git.h"
#include "dv/metrics.h"
#include "metrics_cli.h"

static const char *const usage[] = {
	"dv metrics show [FILE...] [-A | --all-commits] [--json | --md] [--precision N]",
	"dv metrics diff [A [B]] [--all] [--json | --md] [--precision N]",
	NULL,
};

static int show(dv_repo *repo, const cli_metrics_args *a)
{
	dv_metrics_render_opts o = cli_metrics_render_opts(a);
	bool all_commits = a->all_commits, json = a->json;
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
		rc = a->files.n ? dv_metrics_collect_targets(&tables, repo, revs.v[i], &a->files)
				: dv_metrics_collect(&tables, repo, revs.v[i]);
		if (rc < 0) {
			ret = cli_fail(rc);
			dv_metrics_vec_free(&tables);
			break;
		}
		cli_metrics_warn_unreadable(&tables, revs.v[i]);
		dv_metrics_show_render(&one, &tables, &o);
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
		} else if (all_commits && a->md) {
			if (one.len)
				dv_buf_printf(&out, "%s### %.12s\n\n%s", out.len ? "\n" : "", revs.v[i], one.ptr);
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

int cmd_metrics(int argc, char **argv, dv_repo *repo)
{
	cli_metrics_args a;
	int ret = cli_metrics_parse(&a, argc, argv, usage, true, repo);

	if (ret < 0)
		ret = a.show ? show(repo, &a) : cli_metrics_diff(repo, &a, dv_metrics_collect, "Metric", true);
	cli_metrics_args_free(&a);
	return ret;
}
