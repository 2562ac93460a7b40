/*
 * plot_render.h - the charts dv draws itself: one plot as SVG, every plot
 * as one self-contained HTML page.
 *
 * No C library in Debian draws clean SVG charts, and an inlined JavaScript
 * chart library would make a static report executable; so dv writes the
 * SVG itself and the page holds no script at all (its Content-Security-
 * Policy forbids scripts and every request, so nothing can leave the
 * machine even if a file name were crafted).  Every name from the data
 * (field, class, revision, path) goes through dv_xml_escape.
 *
 * Axes get "round" ticks (1, 2 or 5 times a power of ten); a series with
 * more points than the plot has pixel columns keeps, per column, its
 * first, lowest, highest and last point (scatter plots: one point per 2x2
 * pixel cell), which draws the same picture and keeps a 1,000,000-point
 * series to a few kilobytes.
 */
#ifndef DV_PLOT_RENDER_H
#define DV_PLOT_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "dv/buf.h"

/* Index into dv_plot_templates (stage.h). */
typedef enum {
	DV_PLOT_LINEAR,
	DV_PLOT_SCATTER,
	DV_PLOT_SMOOTH,
	DV_PLOT_BAR,
	DV_PLOT_CONFUSION,
	DV_PLOT_CONFUSION_NORMALIZED,
} dv_plot_kind;

typedef struct {
	char *label;    /* the legend's text ("HEAD: loss") */
	double *x, *y;  /* owned; x indexes x_categories when the plot has them */
	size_t n;
} dv_plot_series;

/* A confusion matrix: cells[row * cols.n + col] counts (or row fractions),
 * rows the classes of the plot's y field, columns those of its x field. */
typedef struct {
	char *label;    /* the revision; drawn above its panel */
	dv_strvec rows, cols;
	double *cells;
} dv_plot_matrix;

typedef struct {
	char *name;     /* stem of NAME.svg: unique among the plots of a page */
	char *source;   /* the file it was read from, shown under the title */
	char *title, *x_label, *y_label;
	char *x_field;         /* the fields drawn (NULL x: the row number) */
	dv_strvec y_fields;
	dv_plot_kind kind;
	dv_strvec x_categories; /* bar charts, commits: the label of x = 0, 1, ... */
	dv_vec series;   /* dv_plot_series */
	dv_vec matrices; /* dv_plot_matrix, confusion templates only */
} dv_plot;

dv_plot *dv_plot_new(const char *name, dv_plot_kind kind);
/* Add a series; takes x and y (malloc'd, n each). */
dv_plot_series *dv_plot_add_series(dv_plot *p, const char *label, double *x, double *y, size_t n);
dv_plot_matrix *dv_plot_add_matrix(dv_plot *p, const char *label);
void dv_plot_free(dv_plot *p);
/* Free a dv_vec of dv_plot*. */
void dv_plots_vec_free(dv_vec *plots);

/* The drawing's size in CSS pixels: readable at 800 px wide. */
#define DV_PLOT_WIDTH 800
#define DV_PLOT_AREA_HEIGHT 300

/* Round tick values covering [lo, hi], about `target` of them, step 1, 2
 * or 5 times a power of ten; the first tick <= lo and the last >= hi.
 * Returns how many were written to ticks (at most max). */
size_t dv_plot_ticks(double *ticks, size_t max, double *step, double lo, double hi, int target);
/* A tick value with as many decimals as its step needs ("0.25", "1000",
 * "2e+07" for far-off magnitudes). */
void dv_plot_format_tick(dv_buf *out, double v, double step);
/* Linear map of v from [lo, hi] onto [a, b] (the middle when lo == hi). */
double dv_plot_scale(double v, double lo, double hi, double a, double b);

/* Line downsampling: indexes of the points to keep, in order, of a series
 * drawn `columns` pixels wide over x in [xmin, xmax]: per pixel column its
 * first, lowest, highest and last point.  `keep` holds room for n; returns
 * how many were kept (all n when n <= 4 * columns... or fewer: never more
 * than n). */
size_t dv_plot_downsample(size_t *keep, const double *x, const double *y, size_t n, double xmin,
			  double xmax, int columns);

/* Text safe inside XML/HTML text and attribute values (& < > " '). */
void dv_xml_escape(dv_buf *out, const char *s);

/* One plot as an SVG document (standalone, also inlined in the page). */
void dv_plot_render_svg(dv_buf *out, const dv_plot *p);
/* The page: `heading`, then each plot (dv_vec of dv_plot*) with its SVG. */
void dv_plot_render_html(dv_buf *out, const dv_vec *plots, const char *heading);

#endif
