/*
 * metrics_cli.h - what `dv params` and `dv metrics` share: the subcommand
 * and its arguments (`diff [A [B]] [--all] [--json]`, `show [-A]`), and
 * the body of a diff, so both commands read and answer alike.
 */
#ifndef DV_METRICS_CLI_H
#define DV_METRICS_CLI_H

#include <stdbool.h>

#include "cli.h"
#include "dv/buf.h"
#include "dv/metrics.h"

typedef struct {
	bool show;            /* the subcommand: show, else diff */
	const char *rev_a;    /* diff: HEAD unless named */
	const char *rev_b;    /* diff: the work tree unless named */
	bool all;             /* diff --all: unchanged rows too */
	bool all_commits;     /* show -A/--all-commits */
	bool json;
	bool md;              /* --md: a Markdown table */
	int precision;        /* --precision N; -1: numbers as read */
	dv_strvec files;      /* show FILE...: repo-relative */
	char name[32];        /* "metrics diff": argv[1] points here for messages */
} cli_metrics_args;

/* Parse `dv <cmd> SUB ...` (argv[0] the command); `repo` resolves show's
 * FILE arguments.  `has_show`: the command
 * has `show` besides `diff`.  Returns -1 to go on, or the exit code (help
 * printed, bad usage reported). */
int cli_metrics_parse(cli_metrics_args *a, int argc, char **argv, const char *const *usage,
		      bool has_show, dv_repo *repo);

/* "dv: warning: [REV: ]<error>" for each table that could not be read. */
void cli_metrics_warn_unreadable(const dv_vec *tables, const char *rev);

/* The render options the arguments ask for. */
dv_metrics_render_opts cli_metrics_render_opts(const cli_metrics_args *a);
void cli_metrics_args_free(cli_metrics_args *a);

/* dv_params_collect or dv_metrics_collect. */
typedef int (*cli_metrics_collect_fn)(dv_vec *out, dv_repo *repo, const char *rev);

/* The whole of a diff: read both revisions with `collect`, warn about
 * unreadable files, print the table (`key_header` "Param" or "Metric";
 * `change`: a column of numeric deltas).  Returns the exit code. */
int cli_metrics_diff(dv_repo *repo, const cli_metrics_args *a, cli_metrics_collect_fn collect,
		     const char *key_header, bool change);

#endif
