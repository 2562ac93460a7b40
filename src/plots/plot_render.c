/*
 * plot_render.c - dv's own chart writer: SVG for one plot, one HTML page
 * for all (plot_render.h says why dv draws them itself).
 *
 * The layout is fixed at DV_PLOT_WIDTH pixels (800, readable in a merge
 * request and on a laptop): title and source on top, the plot area, the
 * x axis, then the legend in rows.  Everything is one pass over the
 * points, so the page for 10 x 100,000 points is written in milliseconds;
 * big series are downsampled per pixel column before they become text.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/plot_render.h"

/* The plot area inside the drawing. */
#define AREA_X0 72.0
#define AREA_X1 (DV_PLOT_WIDTH - 24.0)
#define AREA_Y0 56.0
#define AREA_Y1 (AREA_Y0 + DV_PLOT_AREA_HEIGHT)
#define LEGEND_ROW 18.0

/* Ten colours that stay apart from each other on white. */
static const char *const palette[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
				       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };
#define PALETTE_N (sizeof(palette) / sizeof(palette[0]))

/* ---- model ----------------------------------------------------------- */

dv_plot *dv_plot_new(const char *name, dv_plot_kind kind)
{
	dv_plot *p = dv_calloc(1, sizeof(*p));
	p->name = dv_strdup(name);
	p->kind = kind;
	p->series = (dv_vec)DV_VEC_INIT(dv_plot_series);
	p->matrices = (dv_vec)DV_VEC_INIT(dv_plot_matrix);
	return p;
}

dv_plot_series *dv_plot_add_series(dv_plot *p, const char *label, double *x, double *y, size_t n)
{
	dv_plot_series *s = dv_vec_push(&p->series);
	s->label = dv_strdup(label);
	s->x = x;
	s->y = y;
	s->n = n;
	return s;
}

dv_plot_matrix *dv_plot_add_matrix(dv_plot *p, const char *label)
{
	dv_plot_matrix *m = dv_vec_push(&p->matrices);
	m->label = dv_strdup(label);
	return m;
}

void dv_plot_free(dv_plot *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->series.n; i++) {
		dv_plot_series *s = dv_vec_at(&p->series, dv_plot_series, i);
		free(s->label);
		free(s->x);
		free(s->y);
	}
	for (size_t i = 0; i < p->matrices.n; i++) {
		dv_plot_matrix *m = dv_vec_at(&p->matrices, dv_plot_matrix, i);
		free(m->label);
		dv_strvec_free(&m->rows);
		dv_strvec_free(&m->cols);
		free(m->cells);
	}
	dv_vec_free(&p->series);
	dv_vec_free(&p->matrices);
	dv_strvec_free(&p->x_categories);
	dv_strvec_free(&p->y_fields);
	free(p->x_field);
	free(p->name);
	free(p->source);
	free(p->title);
	free(p->x_label);
	free(p->y_label);
	free(p);
}

void dv_plots_vec_free(dv_vec *plots)
{
	for (size_t i = 0; i < plots->n; i++)
		dv_plot_free(*dv_vec_at(plots, dv_plot *, i));
	dv_vec_free(plots);
}

/* ---- scales and ticks ------------------------------------------------ */

double dv_plot_scale(double v, double lo, double hi, double a, double b)
{
	if (!(hi > lo))
		return (a + b) / 2;
	return a + (v - lo) / (hi - lo) * (b - a);
}

/* 1, 2 or 5 times a power of ten, the smallest not below `raw`. */
static double nice_step(double raw)
{
	double mag = pow(10, floor(log10(raw))), f = raw / mag;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

size_t dv_plot_ticks(double *ticks, size_t max, double *step, double lo, double hi, int target)
{
	double s, first;
	size_t n = 0;

	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0;
		hi = 1;
	}
	if (hi < lo) {
		double t = lo;
		lo = hi;
		hi = t;
	}
	if (hi == lo) {
		/* one value: a round range around it (a whole number, as an
		 * epoch, gets its neighbours: 0 1 2, not 0.9 1.0 1.1) */
		double pad = lo == 0 || lo == floor(lo) ? 1 : fabs(lo) * 0.1;
		lo -= pad;
		hi += pad;
	}
	s = nice_step((hi - lo) / (target > 1 ? target - 1 : 1));
	first = floor(lo / s + 1e-9) * s; /* -1e-5 / 1e-5 is not quite -1 */
	for (double t = first; n < max; t = first + (double)n * s) {
		/* -0 and 0.30000000000000004 print badly: snap to the step grid */
		double snapped = round(t / s) * s;
		ticks[n++] = snapped == 0 ? 0 : snapped;
		if (snapped >= hi - s * 1e-9)
			break;
	}
	*step = s;
	return n;
}

void dv_plot_format_tick(dv_buf *out, double v, double step)
{
	double a = fabs(v);
	int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (v == 0) {
		dv_buf_putc(out, '0');
		return;
	}
	if (a >= 1e7 || (step < 1e-4 && a < 1e-3)) {
		dv_buf_printf(out, "%.3g", v);
		return;
	}
	if (decimals > 10)
		decimals = 10;
	dv_buf_printf(out, "%.*f", decimals, v);
}

/* ---- downsampling ---------------------------------------------------- */

/* Append i unless it repeats the point just kept (a column's first may
 * also be its lowest). */
static void keep_index(size_t *keep, size_t *n, size_t i, size_t column_start)
{
	if (*n == column_start || keep[*n - 1] != i)
		keep[(*n)++] = i;
}

/* The four of a column, in the order they came. */
static void flush_column(size_t *keep, size_t *n, size_t first, size_t lo, size_t hi, size_t last)
{
	size_t v[4] = { first, lo, hi, last };
	/* sort four indexes (insertion) so the line is drawn in data order */
	for (int i = 1; i < 4; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			size_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	size_t start = *n;
	for (int i = 0; i < 4; i++)
		keep_index(keep, n, v[i], start);
}

size_t dv_plot_downsample(size_t *keep, const double *x, const double *y, size_t n, double xmin,
			  double xmax, int columns)
{
	size_t kept = 0, ncol = (size_t)columns + 1;
	size_t *first, *lo, *hi, *last;

	if (n <= (size_t)columns * 4 || columns <= 0) {
		for (size_t i = 0; i < n; i++)
			keep[i] = i;
		return n;
	}
	/* one bucket per pixel column, so even an x that goes back and forth
	 * keeps at most four points a column */
	first = dv_malloc(4 * ncol * sizeof(*first));
	lo = first + ncol;
	hi = lo + ncol;
	last = hi + ncol;
	for (size_t c = 0; c < ncol; c++)
		first[c] = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		double c = floor(dv_plot_scale(x[i], xmin, xmax, 0, columns));
		size_t k;
		if (!isfinite(y[i]) || !(c >= 0) || c > columns)
			continue;
		k = (size_t)c;
		if (first[k] == SIZE_MAX) {
			first[k] = lo[k] = hi[k] = last[k] = i;
			continue;
		}
		if (y[i] < y[lo[k]])
			lo[k] = i;
		if (y[i] > y[hi[k]])
			hi[k] = i;
		last[k] = i;
	}
	for (size_t c = 0; c < ncol; c++)
		if (first[c] != SIZE_MAX)
			flush_column(keep, &kept, first[c], lo[c], hi[c], last[c]);
	free(first);
	return kept;
}

/* ---- escaping -------------------------------------------------------- */

void dv_xml_escape(dv_buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': dv_buf_puts(out, "&amp;"); break;
		case '<': dv_buf_puts(out, "&lt;"); break;
		case '>': dv_buf_puts(out, "&gt;"); break;
		case '"': dv_buf_puts(out, "&quot;"); break;
		case '\'': dv_buf_puts(out, "&#39;"); break;
		default:
			/* control characters are not allowed in XML 1.0 text */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n')
				dv_buf_putc(out, ' ');
			else
				dv_buf_putc(out, *s);
		}
	}
}

/* Escaped and cut to `max` characters (UTF-8 aware) with an ellipsis. */
static void put_label(dv_buf *out, const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	while (s[i] && chars < max) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	if (!s[i]) {
		dv_xml_escape(out, s);
		return;
	}
	char *cut = dv_strndup(s, i);
	dv_xml_escape(out, cut);
	dv_buf_puts(out, "\xE2\x80\xA6");
	free(cut);
}

/* ---- SVG pieces ------------------------------------------------------ */

typedef struct {
	double xlo, xhi, ylo, yhi;
	double xticks[64], yticks[64], xstep, ystep;
	size_t nx, ny;
	bool categories;
} axes;

static double px(const axes *a, double x)
{
	return dv_plot_scale(x, a->xlo, a->xhi, AREA_X0, AREA_X1);
}

static double py(const axes *a, double y)
{
	return dv_plot_scale(y, a->ylo, a->yhi, AREA_Y1, AREA_Y0);
}

static size_t legend_rows(const dv_plot *p, size_t *per_row_out)
{
	double x = AREA_X0;
	size_t rows = p->series.n ? 1 : 0;
	for (size_t i = 0; i < p->series.n; i++) {
		const char *label = dv_vec_at(&p->series, dv_plot_series, i)->label;
		double w = 22 + 7.0 * (double)(strlen(label) < 40 ? strlen(label) : 40) + 16;
		if (x + w > AREA_X1 && x > AREA_X0) {
			rows++;
			x = AREA_X0;
		}
		x += w;
	}
	if (per_row_out)
		*per_row_out = rows;
	return rows;
}

static double svg_height(const dv_plot *p)
{
	if (p->kind == DV_PLOT_CONFUSION || p->kind == DV_PLOT_CONFUSION_NORMALIZED)
		return AREA_Y1 + 64;
	return AREA_Y1 + 58 + (double)legend_rows(p, NULL) * LEGEND_ROW + 4;
}

static void put_text(dv_buf *out, double x, double y, const char *anchor, const char *attrs,
		     const char *text, size_t max)
{
	dv_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor,
		      attrs ? " " : "", attrs ? attrs : "");
	put_label(out, text, max);
	dv_buf_puts(out, "</text>\n");
}

static void svg_open(dv_buf *out, const dv_plot *p)
{
	double h = svg_height(p);

	dv_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dv-plot\" data-name=\"");
	dv_xml_escape(out, p->name);
	dv_buf_printf(out, "\" data-template=\"%s\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
		      "font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n",
		      p->kind == DV_PLOT_LINEAR ? "linear" : p->kind == DV_PLOT_SCATTER ? "scatter" :
		      p->kind == DV_PLOT_SMOOTH ? "smooth" : p->kind == DV_PLOT_BAR ? "bar" :
		      p->kind == DV_PLOT_CONFUSION ? "confusion" : "confusion_normalized",
		      DV_PLOT_WIDTH, h, DV_PLOT_WIDTH, h);
	dv_buf_printf(out, "<rect width=\"%d\" height=\"%.0f\" fill=\"#ffffff\"/>\n", DV_PLOT_WIDTH, h);
	put_text(out, AREA_X0, 24, "start", "font-size=\"16\" font-weight=\"bold\"",
		 p->title ? p->title : p->name, 90);
	if (p->source)
		put_text(out, AREA_X0, 42, "start", "fill=\"#666666\"", p->source, 100);
}

/* Range of every finite value of the series' x or y. */
static void series_range(const dv_plot *p, bool want_x, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < p->series.n; i++) {
		const dv_plot_series *s = dv_vec_at(&p->series, dv_plot_series, i);
		const double *v = want_x ? s->x : s->y;
		for (size_t k = 0; k < s->n; k++) {
			if (!isfinite(v[k]))
				continue;
			if (v[k] < *lo)
				*lo = v[k];
			if (v[k] > *hi)
				*hi = v[k];
		}
	}
}

static void set_axes(axes *a, const dv_plot *p)
{
	double lo, hi;

	memset(a, 0, sizeof(*a));
	a->categories = p->x_categories.n > 0;
	if (a->categories) {
		a->xlo = -0.5;
		a->xhi = (double)p->x_categories.n - 0.5;
	} else {
		series_range(p, true, &lo, &hi);
		a->nx = dv_plot_ticks(a->xticks, 64, &a->xstep, lo, hi, 8);
		a->xlo = a->xticks[0];
		a->xhi = a->xticks[a->nx - 1];
	}
	series_range(p, false, &lo, &hi);
	if (p->kind == DV_PLOT_BAR) {
		/* bars grow from zero */
		if (!(lo <= 0))
			lo = 0;
		if (!(hi >= 0))
			hi = 0;
	}
	a->ny = dv_plot_ticks(a->yticks, 64, &a->ystep, lo, hi, 6);
	a->ylo = a->yticks[0];
	a->yhi = a->yticks[a->ny - 1];
}

/* The axis titles: the x label centred under the area at `xlabel_y`,
 * the y label turned along the left edge. */
static void put_axis_labels(dv_buf *out, const dv_plot *p, double xlabel_y)
{
	if (p->x_label)
		put_text(out, (AREA_X0 + AREA_X1) / 2, xlabel_y, "middle", "class=\"xlabel\"", p->x_label, 80);
	if (p->y_label) {
		dv_buf_printf(out, "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\" "
			      "class=\"ylabel\">", (AREA_Y0 + AREA_Y1) / 2);
		put_label(out, p->y_label, 40);
		dv_buf_puts(out, "</text>\n");
	}
}

static void draw_axes(dv_buf *out, const dv_plot *p, const axes *a)
{
	dv_buf num = DV_BUF_INIT;

	dv_buf_puts(out, "<g class=\"axes\" stroke-width=\"1\">\n");
	for (size_t i = 0; i < a->ny; i++) {
		double y = py(a, a->yticks[i]);
		dv_buf_printf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n",
			      AREA_X0, AREA_X1, y, y);
		dv_buf_reset(&num);
		dv_plot_format_tick(&num, a->yticks[i], a->ystep);
		put_text(out, AREA_X0 - 6, y + 4, "end", "class=\"ytick\"", num.ptr, 12);
	}
	if (a->categories) {
		size_t n = p->x_categories.n, every = (n + 11) / 12;
		for (size_t i = 0; i < n; i += every)
			put_text(out, px(a, (double)i), AREA_Y1 + 18, "middle", "class=\"xtick\"",
				 p->x_categories.v[i], every > 1 || n > 8 ? 10 : 16);
	} else {
		for (size_t i = 0; i < a->nx; i++) {
			double x = px(a, a->xticks[i]);
			dv_buf_printf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
				      "stroke=\"#f0f0f0\"/>\n", x, x, AREA_Y0, AREA_Y1);
			dv_buf_reset(&num);
			dv_plot_format_tick(&num, a->xticks[i], a->xstep);
			put_text(out, x, AREA_Y1 + 18, "middle", "class=\"xtick\"", num.ptr, 12);
		}
	}
	dv_buf_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
		      "stroke=\"#999999\"/>\n", AREA_X0, AREA_Y0, AREA_X1 - AREA_X0, AREA_Y1 - AREA_Y0);
	put_axis_labels(out, p, AREA_Y1 + 38);
	dv_buf_puts(out, "</g>\n");
	dv_buf_free(&num);
}

static void draw_legend(dv_buf *out, const dv_plot *p)
{
	double x = AREA_X0, y = AREA_Y1 + 58;

	dv_buf_puts(out, "<g class=\"legend\">\n");
	for (size_t i = 0; i < p->series.n; i++) {
		const char *label = dv_vec_at(&p->series, dv_plot_series, i)->label;
		double w = 22 + 7.0 * (double)(strlen(label) < 40 ? strlen(label) : 40) + 16;
		if (x + w > AREA_X1 && x > AREA_X0) {
			x = AREA_X0;
			y += LEGEND_ROW;
		}
		dv_buf_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"10\" fill=\"%s\"/>",
			      x, y - 9, palette[i % PALETTE_N]);
		put_text(out, x + 22, y, "start", "class=\"legend-label\"", label, 40);
		x += w;
	}
	dv_buf_puts(out, "</g>\n");
}

static void series_open(dv_buf *out, const dv_plot_series *s, size_t i)
{
	dv_buf_puts(out, "<g class=\"series\" data-label=\"");
	dv_xml_escape(out, s->label);
	dv_buf_printf(out, "\" data-points=\"%zu\" data-color=\"%s\"><title>", s->n, palette[i % PALETTE_N]);
	dv_xml_escape(out, s->label);
	dv_buf_printf(out, " (%zu points)</title>\n", s->n);
}

/* A centred moving average, window 2w+1 with w = n/40 (at least 1): what
 * "smooth" draws over the faint raw line. */
static double *smoothed(const dv_plot_series *s)
{
	double *out = dv_malloc((s->n ? s->n : 1) * sizeof(*out));
	double *prefix = dv_malloc((s->n + 1) * sizeof(*prefix));
	size_t *count = dv_malloc((s->n + 1) * sizeof(*count));
	size_t w = s->n / 40 ? s->n / 40 : 1;

	prefix[0] = 0;
	count[0] = 0;
	for (size_t i = 0; i < s->n; i++) {
		bool ok = isfinite(s->y[i]);
		prefix[i + 1] = prefix[i] + (ok ? s->y[i] : 0);
		count[i + 1] = count[i] + ok;
	}
	for (size_t i = 0; i < s->n; i++) {
		size_t a = i > w ? i - w : 0, b = i + w + 1 < s->n ? i + w + 1 : s->n;
		size_t c = count[b] - count[a];
		out[i] = c ? (prefix[b] - prefix[a]) / (double)c : NAN;
	}
	free(prefix);
	free(count);
	return out;
}

static void draw_line(dv_buf *out, const axes *a, const double *x, const double *y, size_t n,
		      const char *color, const char *attrs, size_t *keep)
{
	size_t kept = dv_plot_downsample(keep, x, y, n, a->xlo, a->xhi, (int)(AREA_X1 - AREA_X0));
	bool pen_down = false;

	dv_buf_printf(out, "<path class=\"line\" data-drawn=\"%zu\" fill=\"none\" stroke=\"%s\" "
		      "stroke-width=\"2\" stroke-linejoin=\"round\"%s d=\"", kept, color, attrs);
	for (size_t k = 0; k < kept; k++) {
		size_t i = keep[k];
		if (!isfinite(x[i]) || !isfinite(y[i])) {
			pen_down = false;
			continue;
		}
		dv_buf_printf(out, "%s%.1f %.1f", pen_down ? "L" : "M", px(a, x[i]), py(a, y[i]));
		pen_down = true;
	}
	dv_buf_puts(out, "\"/>\n");
	/* few points: mark each, so a one-point series is visible too */
	if (kept <= 60)
		for (size_t k = 0; k < kept; k++) {
			size_t i = keep[k];
			if (isfinite(x[i]) && isfinite(y[i]))
				dv_buf_printf(out, "<circle class=\"marker\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
					      "fill=\"%s\"/>\n", px(a, x[i]), py(a, y[i]), color);
		}
}

/* Scatter: one dot per occupied 2x2 pixel cell, drawn as zero-length
 * round-capped segments of one path (a few bytes a dot). */
static void draw_scatter(dv_buf *out, const axes *a, const dv_plot_series *s, const char *color)
{
	int cw = (int)((AREA_X1 - AREA_X0) / 2) + 1, ch = DV_PLOT_AREA_HEIGHT / 2 + 1;
	uint8_t *seen = dv_calloc((size_t)cw * (size_t)ch, 1);
	dv_buf d = DV_BUF_INIT;
	size_t drawn = 0;

	for (size_t i = 0; i < s->n; i++) {
		double x, y;
		int cx, cy;
		if (!isfinite(s->x[i]) || !isfinite(s->y[i]))
			continue;
		x = px(a, s->x[i]);
		y = py(a, s->y[i]);
		cx = (int)((x - AREA_X0) / 2);
		cy = (int)((y - AREA_Y0) / 2);
		if (cx < 0 || cy < 0 || cx >= cw || cy >= ch)
			continue;
		if (s->n > 4 * (size_t)(AREA_X1 - AREA_X0)) {
			if (seen[(size_t)cy * (size_t)cw + (size_t)cx])
				continue;
			seen[(size_t)cy * (size_t)cw + (size_t)cx] = 1;
		}
		dv_buf_printf(&d, "M%.1f %.1fh0", x, y);
		drawn++;
	}
	dv_buf_printf(out, "<path class=\"dots\" data-drawn=\"%zu\" fill=\"none\" stroke=\"%s\" "
		      "stroke-opacity=\"0.7\" stroke-width=\"5\" stroke-linecap=\"round\" d=\"%s\"/>\n",
		      drawn, color, d.ptr);
	dv_buf_free(&d);
	free(seen);
}

static void draw_bars(dv_buf *out, const axes *a, const dv_plot *p)
{
	double colw = (AREA_X1 - AREA_X0) / (a->xhi - a->xlo), groupw = colw * 0.8;
	double barw = groupw / (double)(p->series.n ? p->series.n : 1);
	double y0 = py(a, a->ylo <= 0 && a->yhi >= 0 ? 0 : a->ylo);

	for (size_t i = 0; i < p->series.n; i++) {
		const dv_plot_series *s = dv_vec_at(&p->series, dv_plot_series, i);
		series_open(out, s, i);
		for (size_t k = 0; k < s->n; k++) {
			double x, y;
			if (!isfinite(s->x[k]) || !isfinite(s->y[k]))
				continue;
			x = px(a, s->x[k]) - groupw / 2 + barw * (double)i;
			y = py(a, s->y[k]);
			dv_buf_printf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				      "height=\"%.1f\" fill=\"%s\"/>\n", x, y < y0 ? y : y0, barw * 0.95,
				      fabs(y0 - y), palette[i % PALETTE_N]);
		}
		dv_buf_puts(out, "</g>\n");
	}
}

static void render_xy(dv_buf *out, const dv_plot *p)
{
	axes a;
	size_t most = 0;
	size_t *keep;

	set_axes(&a, p);
	draw_axes(out, p, &a);
	for (size_t i = 0; i < p->series.n; i++)
		if (dv_vec_at(&p->series, dv_plot_series, i)->n > most)
			most = dv_vec_at(&p->series, dv_plot_series, i)->n;
	/* downsampling keeps at most 4 points a pixel column (and a column
	 * more for the rounding at the edges) */
	if (most > 4 * ((size_t)(AREA_X1 - AREA_X0) + 2))
		most = 4 * ((size_t)(AREA_X1 - AREA_X0) + 2);
	keep = dv_malloc((most ? most : 1) * sizeof(*keep));
	dv_buf_printf(out, "<g class=\"data\">\n");
	if (p->kind == DV_PLOT_BAR) {
		draw_bars(out, &a, p);
	} else {
		for (size_t i = 0; i < p->series.n; i++) {
			const dv_plot_series *s = dv_vec_at(&p->series, dv_plot_series, i);
			const char *color = palette[i % PALETTE_N];
			series_open(out, s, i);
			if (p->kind == DV_PLOT_SCATTER) {
				draw_scatter(out, &a, s, color);
			} else if (p->kind == DV_PLOT_SMOOTH) {
				double *sy = smoothed(s);
				draw_line(out, &a, s->x, s->y, s->n, color, " stroke-opacity=\"0.25\"", keep);
				draw_line(out, &a, s->x, sy, s->n, color, " class=\"smoothed\"", keep);
				free(sy);
			} else {
				draw_line(out, &a, s->x, s->y, s->n, color, "", keep);
			}
			dv_buf_puts(out, "</g>\n");
		}
	}
	dv_buf_puts(out, "</g>\n");
	free(keep);
	draw_legend(out, p);
}

/* White to dark blue. */
static void heat_color(char out[8], double t)
{
	static const int lo[3] = { 0xf7, 0xfb, 0xff }, hi[3] = { 0x08, 0x30, 0x6b };
	int c[3];
	if (!(t >= 0))
		t = 0;
	if (t > 1)
		t = 1;
	for (int k = 0; k < 3; k++)
		c[k] = (int)lround(lo[k] + (hi[k] - lo[k]) * t);
	snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

static void render_confusion(dv_buf *out, const dv_plot *p)
{
	size_t np = p->matrices.n ? p->matrices.n : 1;
	double panel_w = (AREA_X1 - AREA_X0 + 24) / (double)np;

	for (size_t m = 0; m < p->matrices.n; m++) {
		const dv_plot_matrix *mx = dv_vec_at(&p->matrices, dv_plot_matrix, m);
		size_t rows = mx->rows.n, cols = mx->cols.n;
		double left = AREA_X0 + 24 + panel_w * (double)m, avail_w = panel_w - 24;
		double cell = rows && cols ? fmin(avail_w / (double)cols, (DV_PLOT_AREA_HEIGHT - 20) /
					  (double)rows) : 0, max = 0;
		double top = AREA_Y0 + 18;
		char color[8];

		for (size_t i = 0; i < rows * cols; i++)
			if (mx->cells[i] > max)
				max = mx->cells[i];
		dv_buf_puts(out, "<g class=\"matrix\" data-label=\"");
		dv_xml_escape(out, mx->label);
		dv_buf_printf(out, "\" data-rows=\"%zu\" data-cols=\"%zu\">\n", rows, cols);
		put_text(out, left, AREA_Y0 + 8, "start", "font-weight=\"bold\" class=\"panel-label\"",
			 mx->label, 40);
		for (size_t r = 0; r < rows; r++) {
			if (m == 0) /* every panel has the same classes: label the rows once */
				put_text(out, left - 4, top + cell * ((double)r + 0.5) + 4, "end",
					 "class=\"ytick\"", mx->rows.v[r], 10);
			for (size_t c = 0; c < cols; c++) {
				double v = mx->cells[r * cols + c], t = max > 0 ? v / max : 0;
				heat_color(color, t);
				dv_buf_printf(out, "<rect class=\"cell\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
					      "height=\"%.1f\" fill=\"%s\" stroke=\"#ffffff\"><title>",
					      left + cell * (double)c, top + cell * (double)r, cell, cell, color);
				dv_xml_escape(out, mx->rows.v[r]);
				dv_buf_puts(out, " / ");
				dv_xml_escape(out, mx->cols.v[c]);
				dv_buf_printf(out, ": %g</title></rect>\n", v);
				if (cell >= 18)
					dv_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
						      "font-size=\"%d\" fill=\"%s\">%.*f</text>\n",
						      left + cell * ((double)c + 0.5), top + cell * ((double)r + 0.5) + 4,
						      cell >= 40 ? 12 : 9, t > 0.5 ? "#ffffff" : "#222222",
						      p->kind == DV_PLOT_CONFUSION_NORMALIZED ? 2 : 0, v);
			}
		}
		for (size_t c = 0; c < cols; c++)
			put_text(out, left + cell * ((double)c + 0.5), top + cell * (double)rows + 14,
				 "middle", "class=\"xtick\"", mx->cols.v[c], cell >= 60 ? 12 : 6);
		dv_buf_puts(out, "</g>\n");
	}
	put_axis_labels(out, p, AREA_Y1 + 50);
}

void dv_plot_render_svg(dv_buf *out, const dv_plot *p)
{
	svg_open(out, p);
	if (p->kind == DV_PLOT_CONFUSION || p->kind == DV_PLOT_CONFUSION_NORMALIZED)
		render_confusion(out, p);
	else
		render_xy(out, p);
	dv_buf_puts(out, "</svg>\n");
}

void dv_plot_render_html(dv_buf *out, const dv_vec *plots, const char *heading)
{
	dv_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    /* no script runs and nothing is fetched, whatever the data holds */
		    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		    "style-src 'unsafe-inline'\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	dv_xml_escape(out, heading);
	dv_buf_puts(out, "</title>\n<style>\n"
		    "body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 24px; color: #222; "
		    "background: #fff; }\n"
		    "h1 { font-size: 20px; }\n"
		    "section { margin: 0 0 32px; }\n"
		    "svg { max-width: 100%; height: auto; border: 1px solid #eee; }\n"
		    "</style>\n</head>\n<body>\n<h1>");
	dv_xml_escape(out, heading);
	dv_buf_puts(out, "</h1>\n");
	if (!plots->n)
		dv_buf_puts(out, "<p>No plots: mark outputs with <code>plot = true</code>.</p>\n");
	for (size_t i = 0; i < plots->n; i++) {
		const dv_plot *p = *dv_vec_at(plots, dv_plot *, i);
		dv_buf_puts(out, "<section class=\"plot\" id=\"plot-");
		dv_xml_escape(out, p->name);
		dv_buf_puts(out, "\">\n");
		dv_plot_render_svg(out, p);
		dv_buf_puts(out, "</section>\n");
	}
	dv_buf_puts(out, "</body>\n</html>\n");
}
