/*
 * plot_data.c - plot files as tables (CSV, TSV, JSON records), and the
 * chart one plot file makes across revisions (plots.h).
 *
 * CSV is read in one pass with RFC 4180 quoting; every cell is tried as a
 * number (a plain decimal is converted where it lies, anything else goes
 * through strtod over the whole cell) and a column keeps its text only
 * from the first cell that is not one, so a 1,000,000-row numeric file
 * costs two doubles a row and no string copies.  JSON goes through
 * jansson.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dv/error.h"
#include "dv/plots.h"

/* ---- tables ---------------------------------------------------------- */

static dv_plot_column *add_column(dv_plot_table *t, const char *name, size_t len)
{
	dv_plot_column *c = dv_vec_push(&t->columns);
	c->name = dv_strndup(name, len);
	return c;
}

void dv_plot_table_free(dv_plot_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->columns.n; i++) {
		dv_plot_column *c = dv_vec_at(&t->columns, dv_plot_column, i);
		if (c->text)
			for (size_t k = 0; k < c->n; k++)
				free(c->text[k]);
		free(c->text);
		free(c->num);
		free(c->name);
	}
	dv_vec_free(&t->columns);
	free(t->file);
	free(t);
}

const dv_plot_column *dv_plot_table_column(const dv_plot_table *t, const char *name)
{
	for (size_t i = 0; t && name && i < t->columns.n; i++)
		if (!strcmp(dv_vec_at(&t->columns, dv_plot_column, i)->name, name))
			return dv_vec_at(&t->columns, dv_plot_column, i);
	return NULL;
}

/* The common decimal ("12", "-0.25", "1.5e-3") without strtod: when the
 * digits fit in 53 bits and the power of ten is at most 22, both are exact
 * doubles and one multiplication or division rounds correctly (Clinger's
 * fast path), so the result is the very double strtod gives.  Returns
 * where the number stopped, or NULL for anything strtod must decide. */
static const char *fast_prefix(double *out, const char *s, const char *end)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
					1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	uint64_t m = 0;
	int exp = 0, digits = 0;
	bool neg = false;

	if (s < end && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	for (; s < end && *s >= '0' && *s <= '9'; s++, digits++) {
		if (m > (UINT64_C(1) << 53) / 10)
			return NULL;
		m = m * 10 + (uint64_t)(*s - '0');
	}
	if (s < end && *s == '.') {
		for (s++; s < end && *s >= '0' && *s <= '9'; s++, digits++) {
			if (m > (UINT64_C(1) << 53) / 10)
				return NULL;
			m = m * 10 + (uint64_t)(*s - '0');
			exp--;
		}
	}
	if (!digits)
		return NULL;
	if (s < end && (*s == 'e' || *s == 'E')) {
		int e = 0, sign = 1, edigits = 0;
		s++;
		if (s < end && (*s == '-' || *s == '+'))
			sign = *s++ == '-' ? -1 : 1;
		for (; s < end && *s >= '0' && *s <= '9' && e < 1000; s++, edigits++)
			e = e * 10 + (*s - '0');
		if (!edigits)
			return NULL;
		exp += sign * e;
	}
	if (m > (UINT64_C(1) << 53) || exp < -22 || exp > 22)
		return NULL;
	*out = exp < 0 ? (double)m / pow10[-exp] : (double)m * pow10[exp];
	if (neg)
		*out = -*out;
	return s;
}

static bool fast_number(double *out, const char *s, const char *end)
{
	return fast_prefix(out, s, end) == end;
}

/* A whole cell as a number: leading/trailing blanks allowed, nothing else. */
static bool parse_number(double *out, const char *s, size_t len)
{
	char buf[64], *end;

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (!len || len >= sizeof(buf))
		return false;
	if (fast_number(out, s, s + len))
		return true;
	memcpy(buf, s, len);
	buf[len] = 0;
	errno = 0;
	*out = strtod(buf, &end);
	return *end == 0;
}

static void column_grow(dv_plot_column *c)
{
	if (c->n < c->cap)
		return;
	c->cap = c->cap ? c->cap * 2 : 64;
	c->num = dv_realloc(c->num, c->cap * sizeof(*c->num));
	if (c->text)
		c->text = dv_realloc(c->text, c->cap * sizeof(*c->text));
}

/* The column turns textual: earlier cells get their text from the number. */
static void column_make_text(dv_plot_column *c)
{
	c->text = dv_malloc((c->cap ? c->cap : 1) * sizeof(*c->text));
	for (size_t k = 0; k < c->n; k++)
		c->text[k] = isnan(c->num[k]) ? dv_strdup("") : dv_asprintf("%.15g", c->num[k]);
}

static void column_push(dv_plot_column *c, const char *cell, size_t len)
{
	double v = NAN;
	bool is_num = parse_number(&v, cell, len);

	column_grow(c);
	if (!is_num && len && !c->text)
		column_make_text(c);
	c->num[c->n] = is_num ? v : NAN;
	if (c->text)
		c->text[c->n] = dv_strndup(cell, len);
	c->n++;
}

/* Pad every column to the table's row count (short rows, missing keys). */
static void table_fill(dv_plot_table *t)
{
	for (size_t i = 0; i < t->columns.n; i++) {
		dv_plot_column *c = dv_vec_at(&t->columns, dv_plot_column, i);
		while (c->n < t->rows)
			column_push(c, "", 0);
	}
}

/* One CSV field from `p` (up to `end`): *field and *flen point into the text
 * for a plain field, or into `cell` for a quoted one (unquoted there).
 * Returns where the next field starts; *eol set at the end of the record. */
static const char *csv_field(const char **field, size_t *flen, dv_buf *cell, const char *p,
			     const char *end, char sep, bool *eol)
{
	*eol = false;
	if (p < end && *p == '"') {
		dv_buf_reset(cell);
		p++;
		while (p < end) {
			if (*p == '"') {
				if (p + 1 < end && p[1] == '"') {
					dv_buf_putc(cell, '"');
					p += 2;
					continue;
				}
				p++;
				break;
			}
			dv_buf_putc(cell, *p++);
		}
		while (p < end && *p != sep && *p != '\n')
			p++; /* junk after the closing quote: dropped */
		*field = cell->ptr;
		*flen = cell->len;
	} else {
		const char *s = p;
		while (p < end && *p != sep && *p != '\n')
			p++;
		*field = s;
		*flen = (size_t)(p - s);
		if (*flen && s[*flen - 1] == '\r')
			(*flen)--;
	}
	if (p >= end || *p == '\n')
		*eol = true;
	return p < end ? p + 1 : p;
}

/* Whether a number that stopped at `q` filled its whole cell, as
 * csv_field would cut it (a '\r' before the separator is dropped there). */
static bool cell_ends(const char *q, const char *end, char sep)
{
	if (q < end && *q == '\r')
		q++;
	return q >= end || *q == sep || *q == '\n';
}

static int parse_delimited(dv_plot_table *t, const char *text, size_t len, char sep)
{
	const char *p = text, *end = text + len, *field;
	dv_buf cell = DV_BUF_INIT;
	size_t flen;
	bool eol = false;
	int rc = 0;

	if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3; /* a UTF-8 byte order mark, as spreadsheets write */
	while (p < end && !eol) {
		p = csv_field(&field, &flen, &cell, p, end, sep, &eol);
		add_column(t, field, flen);
	}
	if (!t->columns.n || (t->columns.n == 1 && !*dv_vec_at(&t->columns, dv_plot_column, 0)->name)) {
		rc = dv_error(DV_ERROR, "cannot read plot '%s': no header line naming the columns", t->file);
		goto done;
	}
	{
		/* the row count guessed from the first rows' length, so a big
		 * column is allocated once (counting every newline first took
		 * as long as the parse; growing copies the column) */
		const char *q = p;
		size_t sample = 0, guess;
		while (sample < 64 && q < end && (q = memchr(q, '\n', (size_t)(end - q)))) {
			q++;
			sample++;
		}
		if (!q || q >= end)
			guess = sample + 2; /* the whole file was sampled */
		else
			guess = (size_t)((double)(end - p) / (double)(q - p) * (double)sample * 1.05) + 16;
		if (guess > (size_t)(end - p) / t->columns.n + 16)
			guess = (size_t)(end - p) / t->columns.n + 16; /* a full row is a byte a cell */
		for (size_t i = 0; i < t->columns.n; i++) {
			dv_plot_column *c = dv_vec_at(&t->columns, dv_plot_column, i);
			c->cap = guess;
			c->num = dv_malloc(guess * sizeof(*c->num));
		}
	}
	while (p < end) {
		size_t col = 0;
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			p += *p == '\n' ? 1 : 2; /* blank line */
			continue;
		}
		eol = false;
		while (!eol) {
			dv_plot_column *c = col < t->columns.n ? dv_vec_at(&t->columns, dv_plot_column, col) : NULL;
			const char *q;
			double v;
			/* the usual cell, a plain number in a numeric column, is
			 * parsed where it lies: one pass over its bytes */
			if (c && !c->text && (q = fast_prefix(&v, p, end)) && cell_ends(q, end, sep)) {
				column_grow(c);
				c->num[c->n++] = v;
				if (q < end && *q == '\r')
					q++;
				eol = q >= end || *q == '\n';
				p = q < end ? q + 1 : q;
			} else {
				p = csv_field(&field, &flen, &cell, p, end, sep, &eol);
				if (c)
					column_push(c, field, flen);
			}
			col++;
		}
		t->rows++;
		if (col < t->columns.n)
			table_fill(t); /* a short row */
	}
done:
	dv_buf_free(&cell);
	return rc;
}

static dv_plot_column *column_named(dv_plot_table *t, const char *name)
{
	for (size_t i = 0; i < t->columns.n; i++)
		if (!strcmp(dv_vec_at(&t->columns, dv_plot_column, i)->name, name))
			return dv_vec_at(&t->columns, dv_plot_column, i);
	return NULL;
}

static void json_cell(dv_plot_column *c, json_t *v)
{
	char num[64];
	if (json_is_number(v)) {
		snprintf(num, sizeof(num), "%.17g", json_number_value(v));
		column_push(c, num, strlen(num));
	} else if (json_is_string(v)) {
		column_push(c, json_string_value(v), json_string_length(v));
	} else if (json_is_true(v) || json_is_false(v)) {
		column_push(c, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
	} else {
		column_push(c, "", 0);
	}
}

static int parse_json(dv_plot_table *t, const char *text, size_t len)
{
	json_error_t err;
	json_t *root = json_loadb(text, len, 0, &err), *records = root;
	size_t i;
	json_t *rec;
	int rc = 0;

	if (!root)
		return dv_error(DV_ERROR, "cannot read plot '%s' line %d column %d: %s", t->file, err.line,
				err.column, err.text);
	if (json_is_object(root)) {
		/* {"train": [...]}: the first member holding an array of records */
		const char *k;
		json_t *v;
		records = NULL;
		json_object_foreach(root, k, v) {
			if (json_is_array(v)) {
				records = v;
				break;
			}
		}
	}
	if (!records || !json_is_array(records)) {
		rc = dv_error(DV_ERROR, "cannot read plot '%s': expected an array of records, or an "
			      "object holding one", t->file);
		goto done;
	}
	json_array_foreach(records, i, rec) {
		const char *k;
		json_t *v;
		if (!json_is_object(rec)) {
			rc = dv_error(DV_ERROR, "cannot read plot '%s': item %zu is not a record "
				      "({\"field\": value, ...})", t->file, i);
			goto done;
		}
		json_object_foreach(rec, k, v) {
			dv_plot_column *c = column_named(t, k);
			if (!c) {
				c = add_column(t, k, strlen(k));
				while (c->n < t->rows)
					column_push(c, "", 0);
			}
			json_cell(c, v);
		}
		t->rows++;
		table_fill(t);
	}
done:
	json_decref(root);
	return rc;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

int dv_plot_table_parse(dv_plot_table **out, const char *file, const char *text, size_t len)
{
	dv_plot_table *t = dv_calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	t->file = dv_strdup(file);
	t->columns = (dv_vec)DV_VEC_INIT(dv_plot_column);
	if (has_suffix(file, ".json"))
		rc = parse_json(t, text, len);
	else
		rc = parse_delimited(t, text, len, has_suffix(file, ".tsv") ? '\t' : ',');
	if (rc < 0) {
		dv_plot_table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- building a chart ------------------------------------------------ */

static bool column_is_numeric(const dv_plot_column *c)
{
	return c && !c->text;
}

static void list_columns(dv_buf *out, const dv_plot_table *t)
{
	for (size_t i = 0; i < t->columns.n; i++)
		dv_buf_printf(out, "%s%s", i ? ", " : "", dv_vec_at(&t->columns, dv_plot_column, i)->name);
}

/* A field the properties name must exist in at least one revision. */
static int check_field(const char *field, const char *file, const dv_plot_source *src, size_t n)
{
	const dv_plot_table *any = NULL;
	dv_buf cols = DV_BUF_INIT;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (!src[i].table)
			continue;
		any = src[i].table;
		if (dv_plot_table_column(src[i].table, field))
			return 0;
	}
	if (!any)
		return 0;
	list_columns(&cols, any);
	rc = dv_error(DV_ERROR, "plot '%s' has no field '%s' (its fields: %s); fix it with "
		      "'dv plots modify %s -x/-y FIELD'", file, field, cols.ptr, file);
	dv_buf_free(&cols);
	return rc;
}

static bool is_step_name(const char *name)
{
	return !strcasecmp(name, "step") || !strcasecmp(name, "epoch");
}

static bool has_step_column(const dv_plot_table *t)
{
	for (size_t i = 0; i < t->columns.n; i++)
		if (is_step_name(dv_vec_at(&t->columns, dv_plot_column, i)->name))
			return true;
	return false;
}

static const dv_plot_table *first_table(const dv_plot_source *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (src[i].table)
			return src[i].table;
	return NULL;
}

/* The text of a cell: its own, or the number written back. */
static char *cell_text(const dv_plot_column *c, size_t row)
{
	if (c->text)
		return dv_strdup(c->text[row]);
	if (isnan(c->num[row]))
		return dv_strdup("");
	return dv_asprintf("%.15g", c->num[row]);
}

static size_t category_index(dv_strvec *cats, const char *text)
{
	for (size_t i = 0; i < cats->n; i++)
		if (!strcmp(cats->v[i], text))
			return i;
	dv_strvec_push(cats, text);
	return cats->n - 1;
}

static char *series_label(const dv_plot_source *src, size_t nsources, const char *field)
{
	return nsources > 1 ? dv_asprintf("%s: %s", src->label, field) : dv_strdup(field);
}

static int build_xy(dv_plot *p, const char *file, const dv_plot_source *src, size_t n)
{
	const dv_plot_table *t0 = first_table(src, n);
	const char *xf = p->x_field;
	bool categorical;
	int rc;

	if (!xf) {
		/* the x a user would guess: a step or epoch field */
		for (size_t i = 0; t0 && i < t0->columns.n && !xf; i++) {
			const char *name = dv_vec_at(&t0->columns, dv_plot_column, i)->name;
			if (is_step_name(name))
				xf = name;
		}
		if (xf)
			p->x_field = dv_strdup(xf);
	}
	if (xf && (rc = check_field(xf, file, src, n)) < 0)
		return rc;
	if (!p->y_fields.n) {
		for (size_t i = 0; t0 && i < t0->columns.n; i++) {
			const dv_plot_column *c = dv_vec_at(&t0->columns, dv_plot_column, i);
			if (column_is_numeric(c) && (!xf || strcmp(c->name, xf)))
				dv_strvec_push(&p->y_fields, c->name);
		}
		if (!p->y_fields.n && t0)
			return dv_error(DV_ERROR, "plot '%s' has no numeric field to draw besides x; name "
					"one with 'dv plots modify %s -y FIELD'", file, file);
	}
	for (size_t k = 0; k < p->y_fields.n; k++)
		if ((rc = check_field(p->y_fields.v[k], file, src, n)) < 0)
			return rc;
	categorical = p->kind == DV_PLOT_BAR;
	for (size_t i = 0; i < n && xf && !categorical; i++)
		categorical = src[i].table && !column_is_numeric(dv_plot_table_column(src[i].table, xf));
	if (!p->x_label)
		p->x_label = dv_strdup(xf ? xf : "step");
	if (!p->y_label)
		p->y_label = dv_strdup(p->y_fields.n == 1 ? p->y_fields.v[0] : "value");

	for (size_t i = 0; i < n; i++) {
		const dv_plot_table *t = src[i].table;
		const dv_plot_column *xc = t && xf ? dv_plot_table_column(t, xf) : NULL;
		if (!t || (xf && !xc))
			continue;
		for (size_t k = 0; k < p->y_fields.n; k++) {
			const dv_plot_column *yc = dv_plot_table_column(t, p->y_fields.v[k]);
			double *x, *y;
			char *label;
			bool took_x;
			if (!yc || !yc->num || (xc && !xc->num))
				continue;
			took_x = !categorical && xc && xc != yc && xc->num && !xc->text &&
				 k + 1 == p->y_fields.n;
			if (took_x) {
				/* the last series of this revision takes the x column */
				x = xc->num;
				((dv_plot_column *)xc)->num = NULL;
			} else {
				x = dv_malloc((t->rows ? t->rows : 1) * sizeof(*x));
			}
			for (size_t r = 0; !took_x && r < t->rows; r++) {
				if (categorical) {
					char *text = xc ? cell_text(xc, r) : dv_asprintf("%zu", r);
					x[r] = (double)category_index(&p->x_categories, text);
					free(text);
				} else {
					x[r] = xc ? xc->num[r] : (double)r;
				}
			}
			if (yc != xc && !yc->text) {
				/* each y field is drawn once: the series takes the
				 * column's values instead of a copy (a million rows
				 * are 8 MB the page need not touch twice) */
				dv_plot_column *own = (dv_plot_column *)yc;
				y = own->num;
				own->num = NULL; /* taken: a repeated header name draws once */
			} else {
				y = dv_malloc((t->rows ? t->rows : 1) * sizeof(*y));
				memcpy(y, yc->num, t->rows * sizeof(*y));
			}
			label = series_label(&src[i], n, p->y_fields.v[k]);
			dv_plot_add_series(p, label, x, y, t->rows);
			free(label);
		}
	}
	return 0;
}

static int build_confusion(dv_plot *p, const char *file, const dv_plot_source *src, size_t n)
{
	const dv_plot_table *t0 = first_table(src, n);
	dv_strvec classes = DV_STRVEC_INIT;
	int rc = 0;

	if (!p->x_field && t0 && t0->columns.n >= 1)
		p->x_field = dv_strdup(dv_vec_at(&t0->columns, dv_plot_column, 0)->name);
	if (!p->y_fields.n && t0 && t0->columns.n >= 2)
		dv_strvec_push(&p->y_fields, dv_vec_at(&t0->columns, dv_plot_column, 1)->name);
	if (t0 && (!p->x_field || !p->y_fields.n))
		return dv_error(DV_ERROR, "confusion plot '%s' needs two fields (actual and predicted class)",
				file);
	if (!t0)
		return 0;
	if ((rc = check_field(p->x_field, file, src, n)) < 0 ||
	    (rc = check_field(p->y_fields.v[0], file, src, n)) < 0)
		return rc;
	if (!p->x_label)
		p->x_label = dv_strdup(p->x_field);
	if (!p->y_label)
		p->y_label = dv_strdup(p->y_fields.v[0]);
	/* one class list for every panel and both axes: the panels compare */
	for (size_t i = 0; i < n; i++) {
		const dv_plot_table *t = src[i].table;
		const dv_plot_column *xc = dv_plot_table_column(t, p->x_field);
		const dv_plot_column *yc = dv_plot_table_column(t, p->y_fields.v[0]);
		for (size_t r = 0; t && xc && yc && r < t->rows; r++) {
			char *a = cell_text(xc, r), *b = cell_text(yc, r);
			category_index(&classes, a);
			category_index(&classes, b);
			free(a);
			free(b);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const dv_plot_table *t = src[i].table;
		const dv_plot_column *xc = dv_plot_table_column(t, p->x_field);
		const dv_plot_column *yc = dv_plot_table_column(t, p->y_fields.v[0]);
		const dv_plot_column *wc = dv_plot_table_column(t, "count");
		size_t k = classes.n;
		dv_plot_matrix *m;
		if (!t || !xc || !yc)
			continue;
		if (wc == xc || wc == yc || !column_is_numeric(wc))
			wc = NULL;
		m = dv_plot_add_matrix(p, n > 1 ? src[i].label : "");
		for (size_t c = 0; c < k; c++) {
			dv_strvec_push(&m->rows, classes.v[c]);
			dv_strvec_push(&m->cols, classes.v[c]);
		}
		m->cells = dv_calloc(k ? k * k : 1, sizeof(double));
		for (size_t r = 0; r < t->rows; r++) {
			char *a = cell_text(xc, r), *b = cell_text(yc, r);
			size_t col = category_index(&classes, a), row = category_index(&classes, b);
			double w = wc ? wc->num[r] : 1;
			if (isfinite(w))
				m->cells[row * k + col] += w;
			free(a);
			free(b);
		}
		if (p->kind == DV_PLOT_CONFUSION_NORMALIZED) {
			/* each actual (x) class sums to 1 */
			for (size_t c = 0; c < k; c++) {
				double sum = 0;
				for (size_t row = 0; row < k; row++)
					sum += m->cells[row * k + c];
				for (size_t row = 0; sum > 0 && row < k; row++)
					m->cells[row * k + c] /= sum;
			}
		}
	}
	dv_strvec_free(&classes);
	return rc;
}

int dv_plot_build(dv_plot **out, const char *name, const char *file, const dv_plot_props *props,
		  const dv_plot_source *sources, size_t nsources)
{
	int kind = props && props->template ? dv_plot_template_index(props->template) : -1;
	const dv_plot_table *t0 = first_table(sources, nsources);
	const char *default_x = NULL;
	dv_plot *p;
	int rc;

	*out = NULL;
	if (kind < 0) {
		/* no template: lines, or bars over a field of names (the x
		 * named, else a first column of names such as classes) */
		const char *xf = props ? props->x : NULL;
		const dv_plot_column *xc = dv_plot_table_column(t0, xf);
		if (!xf && t0 && t0->columns.n && !has_step_column(t0))
			xc = dv_vec_at(&t0->columns, dv_plot_column, 0);
		kind = xc && !column_is_numeric(xc) ? DV_PLOT_BAR : DV_PLOT_LINEAR;
		if (kind == DV_PLOT_BAR)
			default_x = xc->name;
	}
	p = dv_plot_new(name, (dv_plot_kind)kind);
	p->source = dv_strdup(file);
	if (props) {
		p->title = props->title ? dv_strdup(props->title) : NULL;
		p->x_label = props->x_label ? dv_strdup(props->x_label) : NULL;
		p->y_label = props->y_label ? dv_strdup(props->y_label) : NULL;
		p->x_field = props->x ? dv_strdup(props->x) : NULL;
		for (size_t i = 0; i < props->y.n; i++)
			dv_strvec_push(&p->y_fields, props->y.v[i]);
	}
	if (!p->x_field && default_x)
		p->x_field = dv_strdup(default_x);
	if (!p->title)
		p->title = dv_strdup(file);
	if (kind == DV_PLOT_CONFUSION || kind == DV_PLOT_CONFUSION_NORMALIZED)
		rc = build_confusion(p, file, sources, nsources);
	else
		rc = build_xy(p, file, sources, nsources);
	if (rc < 0) {
		dv_plot_free(p);
		return rc;
	}
	*out = p;
	return 0;
}
