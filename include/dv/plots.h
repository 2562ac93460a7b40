/*
 * plots.h - plot data: the files outs marked `plot = true` hold (CSV, TSV,
 * JSON), read at git revisions, turned into the dv_plot charts that
 * plot_render.h draws, and written as a page plus one SVG per plot.
 *
 * A file becomes a table of named columns (numbers kept as doubles, the
 * text kept too for a column that is not all numbers, so class names can
 * label bars and confusion matrices).  The [out]'s plot properties choose
 * the template and fields; where they are silent dv takes what a user
 * would guess: x = a `step` or `epoch` field, else the row number; y =
 * every other numeric field.  Each revision of a diff becomes its own
 * series (or, for a confusion matrix, its own panel).
 */
#ifndef DV_PLOTS_H
#define DV_PLOTS_H

#include <stdbool.h>
#include <stddef.h>

#include "dv/buf.h"
#include "dv/plot_render.h"
#include "dv/repo.h"
#include "dv/stage.h"

typedef struct {
	char *name;
	double *num;   /* n values; NAN where the cell is empty or not a number */
	char **text;   /* NULL while every cell is a number; else n strings */
	size_t n, cap;
} dv_plot_column;

typedef struct {
	char *file;     /* as named in messages */
	dv_vec columns; /* dv_plot_column */
	size_t rows;
} dv_plot_table;

/* Parse a plot file by its extension: .json (an array of records, or an
 * object holding one), .tsv (tabs), anything else CSV (RFC 4180 quoting).
 * The first line of CSV/TSV names the columns. */
int dv_plot_table_parse(dv_plot_table **out, const char *file, const char *text, size_t len);
void dv_plot_table_free(dv_plot_table *t);
/* The column named `name`, or NULL. */
const dv_plot_column *dv_plot_table_column(const dv_plot_table *t, const char *name);

/* One revision's table for dv_plot_build. */
typedef struct {
	const char *label;  /* "workspace", "HEAD", ... */
	const dv_plot_table *table; /* NULL: the file is absent at this revision */
} dv_plot_source;

/* Build the chart of one plot file from its revisions' tables with the
 * given properties (NULL: defaults).  `name` names the SVG; `label_revs`:
 * prefix each series with its revision (more than one revision shown).
 * Fails when a named field is missing from every table. */
int dv_plot_build(dv_plot **out, const char *name, const char *file, const dv_plot_props *props,
		  const dv_plot_source *sources, size_t nsources);

/* Every plot out (or only `targets`, repo-relative paths; a target that
 * is no declared plot is drawn with default properties) at each of
 * `revs` (NULL or "workspace": the work tree), as charts.  A file that
 * cannot be read or parsed is reported in `warnings` and left out.
 * Output: a dv_vec of dv_plot*. */
int dv_plots_collect(dv_vec *out, dv_strvec *warnings, dv_repo *repo, const char *const *revs,
		     size_t nrevs, const dv_strvec *targets);

/* Metric trends: for each numeric metric, one line across `revs` (oldest
 * first; x labelled by the short commit ids). */
int dv_plots_metric_trends(dv_vec *out, dv_strvec *warnings, dv_repo *repo, const dv_strvec *revs);

/* Write DIR/index.html and DIR/<name>.svg for each plot (atomically, the
 * directory created as needed). */
int dv_plots_write(const dv_vec *plots, const char *dir, const char *heading);
/* The plots' properties and data points as JSON. */
void dv_plots_json(dv_buf *out, const dv_vec *plots);

#endif
