/*
 * cmd_plots.c - `dv plots show|diff|modify|metrics`: the outs marked
 * `plot = true` as one offline HTML page plus an SVG per plot, across git
 * revisions, and the plot properties of their [out] sections.
 *
 * The library (src/plots/) reads and draws; this file picks revisions,
 * writes the page or prints JSON, and reports the files it could not read
 * as warnings after drawing the others (exit 1), so one broken CSV does
 * not hide every other curve.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/exp.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/metrics.h"
#include "dv/plots.h"
#include "dv/staleness.h"
#include "plots_cli.h"

static const char *const usage[] = {
	"dv plots show [TARGET...] [-o DIR] [--json]",
	"dv plots diff [REV...] [--exp NAME]... [--target PATH]... [-o DIR] [--json]",
	"dv plots modify PATH [-x FIELD] [-y FIELD]... [-t TEMPLATE] [--title TEXT]\n"
	"                     [--x-label TEXT] [--y-label TEXT] [--unset PROPERTY]...",
	"dv plots metrics [-A | --all-commits | --exp] [-o DIR] [--json]",
	NULL,
};

#define DEFAULT_DIR "dv_plots"

typedef struct {
	const char *dir;
	bool json;
	bool all_commits;
	dv_strvec targets; /* repo-relative */
	dv_strvec args;    /* positional: targets (show) or revisions (diff) */
	dv_strvec exps;    /* diff --exp NAME: experiments (dv-exp(1)) */
	bool exp;          /* metrics --exp: HEAD's experiments, not history */
} plots_opts;

static int parse_opts(plots_opts *o, int argc, char **argv, const char *sub)
{
	enum { OPT_TARGET = 256, OPT_JSON, OPT_EXP };
	/* --exp names an experiment for diff, and is a flag for metrics. */
	bool metrics = !strcmp(sub, "metrics");
	const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "targets", required_argument, NULL, OPT_TARGET },
		{ "all-commits", no_argument, NULL, 'A' },
		{ "exp", metrics ? no_argument : required_argument, NULL, OPT_EXP },
		{ 0, 0, 0, 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "o:A", longopts)) != -1) {
		switch (c) {
		case OPT_EXP:
			if (metrics)
				o->exp = true;
			else if (!strcmp(sub, "diff"))
				dv_strvec_push(&o->exps, optarg);
			else
				return cli_usage_error(usage, "--exp is for 'dv plots diff' and 'dv plots metrics'");
			break;
		case 'o':
			o->dir = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_TARGET:
			if (strcmp(sub, "diff"))
				return cli_usage_error(usage, "--target is for 'dv plots diff'; 'dv plots %s' "
						       "takes its targets as arguments", sub);
			dv_strvec_push(&o->targets, optarg);
			break;
		case 'A':
			if (strcmp(sub, "metrics"))
				return cli_usage_error(usage, "--all-commits is for 'dv plots metrics'");
			o->all_commits = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return cli_usage_error(usage, "see 'dv plots -h'");
		}
	}
	for (int i = optind; i < argc; i++)
		dv_strvec_push(&o->args, argv[i]);
	if (!strcmp(sub, "metrics") && o->args.n)
		return cli_usage_error(usage, "'dv plots metrics' takes no arguments (-A: every commit)");
	if (o->exp && o->all_commits)
		return cli_usage_error(usage, "--exp and -A do not go together");
	return -1;
}

/* User paths (relative to the current directory) as repo-relative ones. */
static int to_relpaths(dv_strvec *out, dv_repo *repo, const dv_strvec *paths)
{
	for (size_t i = 0; i < paths->n; i++) {
		char *rel = NULL;
		int rc = dv_repo_relpath(&rel, repo, paths->v[i]);
		if (rc < 0)
			return rc;
		dv_strvec_push_take(out, rel);
	}
	return 0;
}

/* Print warnings, then the JSON or the page's location.  Returns the exit code. */
static int finish(const plots_opts *o, const dv_vec *plots, const dv_strvec *warnings,
		  const char *heading)
{
	const char *dir = o->dir ? o->dir : DEFAULT_DIR;
	dv_buf out = DV_BUF_INIT;
	char real[PATH_MAX];
	int rc, ret = warnings->n ? 1 : 0;

	for (size_t i = 0; i < warnings->n; i++)
		fprintf(stderr, "dv: warning: %s\n", warnings->v[i]);
	if (o->json) {
		dv_plots_json(&out, plots);
		fputs(out.ptr, stdout);
		dv_buf_free(&out);
		return ret;
	}
	if ((rc = dv_plots_write(plots, dir, heading)) < 0)
		return cli_fail(rc);
	if (!plots->n)
		fprintf(stderr, "dv: no plots to draw: mark outputs with 'plot = true' "
			"('dv stage add --plot FILE', 'dv plots modify FILE')\n");
	if (realpath(dir, real))
		printf("file://%s/index.html\n", real);
	else
		printf("%s/index.html\n", dir);
	return ret;
}

static int plots_show_or_diff(dv_repo *repo, plots_opts *o, bool diff)
{
	dv_vec plots = DV_VEC_INIT(dv_plot *);
	dv_strvec warnings = DV_STRVEC_INIT, targets = DV_STRVEC_INIT, heading = DV_STRVEC_INIT;
	const char **revs = NULL;
	size_t nrevs = 0;
	dv_strvec exp_revs = DV_STRVEC_INIT;
	dv_buf title = DV_BUF_INIT;
	int rc, ret = 0;

	if ((rc = to_relpaths(&targets, repo, diff ? &o->targets : &o->args)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	revs = dv_calloc(o->args.n + o->exps.n + 3, sizeof(*revs));
	if (!diff) {
		revs[nrevs++] = NULL;
	} else if (o->exps.n) {
		/* Experiments: beside the REVs named, or else beside the
		 * commit the first one started from. */
		for (size_t i = 0; i < o->exps.n; i++) {
			dv_exp_info e;
			if ((rc = dv_exp_lookup(&e, repo, o->exps.v[i])) < 0) {
				ret = cli_fail(rc);
				goto done;
			}
			if (i == 0 && !o->args.n)
				dv_strvec_push_take(&exp_revs, dv_strndup(e.base, 7));
			dv_strvec_push_take(&exp_revs, dv_asprintf("exps/%s", e.name));
			dv_exp_info_clear(&e);
		}
		for (size_t i = 0; i < o->args.n; i++)
			revs[nrevs++] = o->args.v[i];
		for (size_t i = 0; i < exp_revs.n; i++)
			revs[nrevs++] = exp_revs.v[i];
	} else {
		/* as DVC: the work tree against HEAD; one REV against the
		 * work tree; two or more: just those */
		if (o->args.n == 0)
			revs[nrevs++] = "HEAD";
		for (size_t i = 0; i < o->args.n; i++) {
			char oid[41];
			if (strcmp(o->args.v[i], DV_REV_WORKSPACE) &&
			    !dv_git_rev_is_unborn(repo, o->args.v[i]) &&
			    (rc = dv_git_resolve(oid, repo, o->args.v[i])) < 0) {
				ret = cli_fail(rc);
				goto done;
			}
			revs[nrevs++] = o->args.v[i];
		}
		if (o->args.n < 2)
			revs[nrevs++] = DV_REV_WORKSPACE;
	}
	if ((rc = dv_plots_collect(&plots, &warnings, repo, revs, nrevs, &targets)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	dv_buf_puts(&title, diff ? "dv plots diff:" : "dv plots");
	for (size_t i = 0; diff && i < nrevs; i++)
		dv_buf_printf(&title, "%s %s", i ? "," : "", revs[i]);
	ret = finish(o, &plots, &warnings, title.ptr);
done:
	free(revs);
	dv_strvec_free(&exp_revs);
	dv_plots_vec_free(&plots);
	dv_strvec_free(&warnings);
	dv_strvec_free(&targets);
	dv_strvec_free(&heading);
	dv_buf_free(&title);
	return ret;
}

static int plots_metrics(dv_repo *repo, plots_opts *o)
{
	dv_vec plots = DV_VEC_INIT(dv_plot *);
	dv_strvec warnings = DV_STRVEC_INIT, commits = DV_STRVEC_INIT, revs = DV_STRVEC_INIT;
	int rc, ret = 0;

	if (o->exp) {
		/* HEAD, then its experiments, oldest first */
		dv_vec exps;
		char head[41];
		if ((rc = dv_git_resolve(head, repo, "HEAD")) < 0 || (rc = dv_exp_list(&exps, repo)) < 0) {
			ret = cli_fail(rc);
			goto done;
		}
		dv_strvec_push(&revs, head);
		for (size_t i = 0; i < exps.n; i++) {
			dv_exp_info *e = dv_vec_at(&exps, dv_exp_info, i);
			if (!strcmp(e->base, head) && !e->failed)
				dv_strvec_push_take(&revs, dv_asprintf("exps/%s", e->name));
		}
		dv_exp_list_free(&exps);
	} else {
		if (!dv_git_rev_is_unborn(repo, "HEAD") &&
		    (rc = o->all_commits ? dv_git_list_commits(&commits, repo)
					 : dv_git_list_history(&commits, repo)) < 0) {
			ret = cli_fail(rc);
			goto done;
		}
		/* oldest first, then the work tree */
		for (size_t i = commits.n; i-- > 0;)
			dv_strvec_push(&revs, commits.v[i]);
		dv_strvec_push_take(&revs, NULL);
	}
	if ((rc = dv_plots_metric_trends(&plots, &warnings, repo, &revs)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	ret = finish(o, &plots, &warnings, o->exp ? "dv metrics across the experiments of HEAD"
						  : o->all_commits ? "dv metrics across every commit"
								   : "dv metrics across the history of HEAD");
done:
	dv_plots_vec_free(&plots);
	dv_strvec_free(&warnings);
	dv_strvec_free(&commits);
	dv_strvec_free(&revs);
	return ret;
}

/* ---- modify ---------------------------------------------------------- */

typedef struct {
	const char *relpath;
	dv_strvec opts;   /* "<getopt code><value>", in order */
	dv_strvec unset;  /* property names */
} modify_ctx;

static const char *const prop_names[] = { "template", "x", "y", "title", "x_label", "y_label", NULL };

static void unset_prop(dv_plot_props *p, const char *name)
{
	if (!strcmp(name, "y")) {
		dv_strvec_free(&p->y);
		return;
	}
	char **field = !strcmp(name, "template") ? &p->template : !strcmp(name, "x") ? &p->x :
		       !strcmp(name, "title") ? &p->title : !strcmp(name, "x_label") ? &p->x_label :
		       &p->y_label;
	free(*field);
	*field = NULL;
}

static int modify_one(dv_repo *repo, dv_stage *st, dv_strvec *to_stage, void *vctx)
{
	modify_ctx *c = vctx;
	dv_stage_file *o = NULL;
	bool y_seen = false;
	int rc;

	for (size_t i = 0; i < st->outs.n && !o; i++) {
		char *rel = dv_stage_entry_relpath(st, dv_stage_out(st, i)->path);
		if (!strcmp(rel, c->relpath))
			o = dv_stage_out(st, i);
		free(rel);
	}
	if (!o)
		return dv_error(DV_ENOTFOUND, "'%s' is not an out of '%s' (it lies inside one); plots are "
				"whole files declared as outs", c->relpath, st->path);
	if (!o->plot)
		cli_info("'%s' is now a plot (plot = true)\n", c->relpath);
	o->plot = true;
	for (size_t i = 0; i < c->opts.n; i++)
		if ((rc = cli_plot_option_apply(&o->plot_props, c->opts.v[i][0], c->opts.v[i] + 1,
						&y_seen)) < 0)
			return rc;
	for (size_t i = 0; o->plot_props && i < c->unset.n; i++)
		unset_prop(o->plot_props, c->unset.v[i]);
	if (!dv_plot_props_any(o->plot_props)) {
		dv_plot_props_free(o->plot_props);
		o->plot_props = NULL;
	}
	return dv_stage_store(repo, st, to_stage);
}

static int plots_modify(int argc, char **argv, dv_repo *repo)
{
	enum { OPT_UNSET = 256 };
	static const struct option longopts[] = {
		CLI_PLOT_LONGOPTS,
		{ "unset", required_argument, NULL, OPT_UNSET },
		{ 0, 0, 0, 0 },
	};
	modify_ctx ctx = { NULL, DV_STRVEC_INIT, DV_STRVEC_INIT };
	char *rel = NULL;
	int c, rc, ret = 0;
	bool y_seen = false;
	dv_plot_props *check = NULL;

	while ((c = cli_getopt(argc, argv, CLI_PLOT_SHORTOPTS, longopts)) != -1) {
		if (cli_is_plot_option(c)) {
			/* checked now, so a typo is a usage error before any lock */
			if ((rc = cli_plot_option_apply(&check, c, optarg, &y_seen)) < 0) {
				ret = cli_fail(rc);
				goto done;
			}
			dv_strvec_push_take(&ctx.opts, dv_asprintf("%c%s", c, optarg));
			continue;
		}
		switch (c) {
		case OPT_UNSET: {
			bool known = false;
			for (int i = 0; prop_names[i] && !known; i++)
				known = !strcmp(prop_names[i], optarg);
			if (!known) {
				ret = cli_usage_error(usage, "--unset: unknown property '%s' (template, x, y, "
						      "title, x_label, y_label)", optarg);
				goto done;
			}
			dv_strvec_push(&ctx.unset, optarg);
			break;
		}
		case 'h':
			ret = cli_usage(usage);
			goto done;
		default:
			ret = cli_usage_error(usage, "see 'dv plots -h'");
			goto done;
		}
	}
	if (argc - optind != 1) {
		ret = cli_usage_error(usage, "'dv plots modify' takes one PATH, the plot file");
		goto done;
	}
	if ((rc = dv_repo_relpath(&rel, repo, argv[optind])) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	ctx.relpath = rel;
	ret = cli_change_stages(repo, &argv[optind], 1, modify_one, &ctx, "Modified");
done:
	dv_plot_props_free(check);
	dv_strvec_free(&ctx.opts);
	dv_strvec_free(&ctx.unset);
	free(rel);
	return ret;
}

int cmd_plots(int argc, char **argv, dv_repo *repo)
{
	static const char *const subs[] = { "show", "diff", "modify", "metrics", NULL };
	plots_opts o = { NULL, false, false, DV_STRVEC_INIT, DV_STRVEC_INIT, DV_STRVEC_INIT, false };
	char *sub_argv0;
	int ret, which = -1;

	if (argc >= 2 && !strcmp(argv[1], "-h"))
		return cli_usage(usage);
	for (int i = 0; argc >= 2 && subs[i]; i++)
		if (!strcmp(argv[1], subs[i]))
			which = i;
	if (argc < 2)
		return cli_usage_error(usage, "'dv plots' needs a subcommand: show, diff, modify or metrics");
	if (which < 0)
		return cli_usage_error(usage, "unknown subcommand 'plots %s'", argv[1]);
	/* messages say "dv plots show", not "dv show" */
	sub_argv0 = dv_asprintf("plots %s", argv[1]);
	argv[1] = sub_argv0;
	argc--, argv++;
	if (which == 2) {
		ret = plots_modify(argc, argv, repo);
	} else if ((ret = parse_opts(&o, argc, argv, subs[which])) < 0) {
		ret = which == 3 ? plots_metrics(repo, &o) : plots_show_or_diff(repo, &o, which == 1);
	}
	dv_strvec_free(&o.targets);
	dv_strvec_free(&o.args);
	dv_strvec_free(&o.exps);
	free(sub_argv0);
	return ret;
}
