/*
 * metrics.c - metrics (JSON via jansson) and params (INI) as flat tables,
 * gathered per git revision, and the diff of two revisions.
 *
 * Both kinds of file reduce to {file, key, text, number?} so one diff and
 * one table serve `dv params diff`, `dv metrics show` and `dv metrics
 * diff`.  Files are found through the stages of the revision itself (a
 * metric out, a declared params file), read from the work tree, from the
 * revision's git tree, or from the cache for a cached metric out.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/graph.h"
#include "dv/json_out.h"
#include "dv/metrics.h"
#include "dv/stage.h"
#include "dv/workspace.h"
#include "dv/yaml.h"

/* The fewest significant digits, from 15 (what a double always holds) up
 * to 17 (always enough), that read back as exactly `v`: 0.1 stays "0.1"
 * rather than "0.10000000000000001", yet no value is ever printed wrong. */
static int roundtrip_digits(double v)
{
	char s[40];
	for (int p = 15; p < 17; p++) {
		snprintf(s, sizeof(s), "%.*g", p, v);
		if (strtod(s, NULL) == v)
			return p;
	}
	return 17;
}

void dv_metrics_format_number(dv_buf *out, double v)
{
	if (v == 0)
		v = 0; /* no "-0" */
	dv_buf_printf(out, "%.*g", roundtrip_digits(v), v);
}

/* Digits after the decimal point in the shortest form of `v`: 0.125 -> 3,
 * 1.5e-7 -> 8, 1200 -> 0. */
static int decimal_places(double v)
{
	char s[40], *exp;
	int digits = 0, significant = 0, places;

	snprintf(s, sizeof(s), "%.*e", roundtrip_digits(v) - 1, v);
	exp = strchr(s, 'e');
	for (const char *c = s; c < exp; c++) {
		if (*c < '0' || *c > '9')
			continue;
		digits++;
		if (*c != '0')
			significant = digits;
	}
	places = significant - 1 - atoi(exp + 1);
	return places > 0 ? places : 0;
}

/* b - a without binary noise: written in decimal, the true difference of
 * two numbers has no more decimal places than the longer of the two, so
 * the double's subtraction error (100.85 - 100.70929661 comes out as
 * 0.140703389999999...) is rounded away at that place. */
static double metric_delta(double a, double b)
{
	int pa = decimal_places(a), pb = decimal_places(b);
	dv_buf s = DV_BUF_INIT;
	double d;

	dv_buf_printf(&s, "%.*f", pa > pb ? pa : pb, b - a);
	d = strtod(s.ptr, NULL);
	dv_buf_free(&s);
	return d == 0 ? 0 : d;
}

/* The numbers of a JSON text, as written, in document order: jansson
 * keeps only the double, and --json promises every digit of the input.
 * Strings are skipped (a digit inside one is not a number). */
typedef struct {
	dv_strvec lexemes;
	size_t next;
} number_texts;

static void scan_numbers(number_texts *nt, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		char c = text[i];
		if (c == '"') {
			for (i++; i < len && text[i] != '"'; i++)
				if (text[i] == '\\')
					i++;
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t start = i;
			while (i < len && strchr("+-.eE0123456789", text[i]))
				i++;
			dv_strvec_push_take(&nt->lexemes, dv_strndup(text + start, i - start));
		} else {
			i++;
		}
	}
}

/* The next lexeme, if it reads back as `v` (else the orders disagree,
 * as with a duplicate key: the caller falls back to a formatted text). */
static const char *take_number_text(number_texts *nt, double v)
{
	const char *lex;
	if (!nt || nt->next >= nt->lexemes.n)
		return NULL;
	lex = nt->lexemes.v[nt->next++];
	return strtod(lex, NULL) == v ? lex : NULL;
}

/* Is `s` a number by JSON's grammar (so it can go out as it is)? */
static bool is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		if (!(*++s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == 0;
}

static dv_metric *add_item(dv_metrics *m, const char *key, const char *text)
{
	dv_metric *it = dv_vec_push(&m->items);
	it->key = dv_strdup(key);
	it->text = dv_strdup(text);
	return it;
}

static void flatten(dv_metrics *m, dv_buf *key, json_t *v, number_texts *nt)
{
	const char *lex;
	size_t keylen = key->len;
	dv_buf text = DV_BUF_INIT;
	dv_metric *it;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *child;
		json_object_foreach(v, k, child) {
			if (keylen)
				dv_buf_putc(key, '.');
			dv_buf_puts(key, k);
			flatten(m, key, child, nt);
			dv_buf_truncate(key, keylen);
		}
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			dv_buf_printf(key, keylen ? ".%zu" : "%zu", i);
			flatten(m, key, child, nt);
			dv_buf_truncate(key, keylen);
		}
		break;
	}
	case JSON_INTEGER:
		dv_buf_printf(&text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		it = add_item(m, key->ptr, text.ptr);
		it->is_number = true;
		it->num = (double)json_integer_value(v);
		lex = take_number_text(nt, it->num);
		it->raw = dv_strdup(lex && is_json_number(lex) ? lex : text.ptr);
		break;
	case JSON_REAL:
		dv_metrics_format_number(&text, json_real_value(v));
		it = add_item(m, key->ptr, text.ptr);
		it->is_number = true;
		it->num = json_real_value(v);
		lex = take_number_text(nt, it->num);
		it->raw = dv_strdup(lex && is_json_number(lex) ? lex : text.ptr);
		break;
	case JSON_STRING:
		add_item(m, key->ptr, json_string_value(v));
		break;
	case JSON_TRUE:
		add_item(m, key->ptr, "true");
		break;
	case JSON_FALSE:
		add_item(m, key->ptr, "false");
		break;
	case JSON_NULL:
		add_item(m, key->ptr, "null");
		break;
	}
	dv_buf_free(&text);
}

static int cmp_metric(const void *a, const void *b)
{
	return strcmp(((const dv_metric *)a)->key, ((const dv_metric *)b)->key);
}

static void free_item(dv_metric *it)
{
	free(it->key);
	free(it->text);
	free(it->raw);
}

/* Sort by key; of equal keys the later one wins (qsort is not stable, so
 * a flattened "a.b" colliding with a literal "a.b" key keeps either: such
 * a file is ambiguous anyway). */
static void sort_unique(dv_metrics *m)
{
	size_t w = 0;
	if (m->items.n > 1)
		qsort(m->items.items, m->items.n, sizeof(dv_metric), cmp_metric);
	for (size_t r = 0; r < m->items.n; r++) {
		dv_metric *it = dv_vec_at(&m->items, dv_metric, r);
		if (w && !strcmp(dv_vec_at(&m->items, dv_metric, w - 1)->key, it->key)) {
			free_item(dv_vec_at(&m->items, dv_metric, w - 1));
			*dv_vec_at(&m->items, dv_metric, w - 1) = *it;
			continue;
		}
		*dv_vec_at(&m->items, dv_metric, w++) = *it;
	}
	m->items.n = w;
}

static dv_metrics *metrics_new(const char *file)
{
	dv_metrics *m = dv_calloc(1, sizeof(*m));
	m->file = dv_strdup(file);
	m->items = (dv_vec)DV_VEC_INIT(dv_metric);
	return m;
}

/* Metrics are JSON or YAML, by extension; a file without one is read as
 * JSON (what dv's own programs write). */
static int metrics_format(bool *yaml, const char *file)
{
	const char *dot = strrchr(dv_path_basename(file), '.');
	char *format = dv_file_format_name(file);
	int rc = 0;

	*yaml = dot && (!strcasecmp(dot, ".yaml") || !strcasecmp(dot, ".yml"));
	if (format && !*yaml && strcasecmp(dot, ".json"))
		rc = dv_error(DV_EUSAGE, "metrics file '%s': %s metrics are not supported; dv reads JSON (.json) "
			      "and YAML (.yaml, .yml)", file, format);
	free(format);
	return rc;
}

int dv_metrics_parse(dv_metrics **out, const char *file, const char *text, size_t len)
{
	json_error_t err;
	json_t *root = NULL;
	dv_buf key = DV_BUF_INIT;
	number_texts nt = { DV_STRVEC_INIT, 0 };
	dv_metrics *m;
	bool yaml;
	int rc;

	*out = NULL;
	if ((rc = metrics_format(&yaml, file)) < 0)
		return rc;
	if (yaml) {
		if ((rc = dv_yaml_load(&root, file, text, len)) < 0)
			return dv_error_wrap(rc, "metrics");
	} else if (!(root = json_loadb(text, len, 0, &err))) {
		return dv_error(DV_ERROR, "cannot read metrics '%s' line %d column %d: %s", file,
				err.line, err.column, err.text);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return dv_error(DV_ERROR, "cannot read metrics '%s': the top level must be a %s", file,
				yaml ? "mapping" : "JSON object");
	}
	m = metrics_new(file);
	scan_numbers(&nt, text, len);
	flatten(m, &key, root, &nt);
	dv_strvec_free(&nt.lexemes);
	sort_unique(m);
	json_decref(root);
	dv_buf_free(&key);
	*out = m;
	return 0;
}

dv_metrics *dv_metrics_from_params(const dv_params *p, const char *file)
{
	dv_metrics *m = metrics_new(file);
	for (size_t i = 0; p && i < p->kv.n; i++) {
		const dv_param_kv *kv = dv_vec_at(&p->kv, dv_param_kv, i);
		dv_metric *it;
		char *end = NULL;
		if (kv->composite)
			continue; /* its leaves are rows of their own */
		it = add_item(m, kv->key, kv->value);
		errno = 0;
		double v = strtod(kv->value, &end);
		if (*kv->value && end && !*end && errno == 0 && isfinite(v)) {
			it->is_number = true;
			it->num = v;
			if (is_json_number(kv->value))
				it->raw = dv_strdup(kv->value);
		}
	}
	sort_unique(m);
	return m;
}

const dv_metric *dv_metrics_get(const dv_metrics *m, const char *key)
{
	dv_metric probe = { (char *)key, NULL, false, 0, NULL };
	if (!m || !m->items.n)
		return NULL;
	return bsearch(&probe, m->items.items, m->items.n, sizeof(dv_metric), cmp_metric);
}

void dv_metrics_free(dv_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->items.n; i++)
		free_item(dv_vec_at(&m->items, dv_metric, i));
	dv_vec_free(&m->items);
	free(m->file);
	free(m->error);
	free(m);
}

void dv_metrics_vec_free(dv_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		dv_metrics_free(*dv_vec_at(v, dv_metrics *, i));
	dv_vec_free(v);
}

static int cmp_metrics_file(const void *a, const void *b)
{
	return strcmp((*(dv_metrics *const *)a)->file, (*(dv_metrics *const *)b)->file);
}

int dv_read_out_at(dv_buf *text, dv_repo *repo, const char *rev, const char *relpath,
			    const dv_stage_file *out)
{
	int rc;
	if (!rev) {
		dv_buf path = DV_BUF_INIT;
		dv_repo_abspath(&path, repo, relpath);
		rc = dv_read_file(text, path.ptr);
		dv_buf_free(&path);
		return rc;
	}
	rc = dv_git_read_blob(text, repo, rev, relpath);
	if (rc != DV_ENOTFOUND)
		return rc;
	if (out->has_hash && !out->is_dir && repo->cache && dv_cache_has(repo->cache, &out->hash, false))
		return dv_cache_read(text, repo->cache, &out->hash, false);
	return dv_error(DV_ENOTFOUND, "'%s' is neither in git at '%s' nor in the cache", relpath, rev);
}

/* Map `rev` to what the readers take: NULL for the work tree.  Returns
 * false when the revision holds nothing to read (HEAD before the first
 * commit), so every metric or param of the other side shows as new. */
static bool rev_to_read(const char **rev, dv_repo *repo)
{
	if (*rev && !strcmp(*rev, DV_REV_WORKSPACE))
		*rev = NULL;
	return !*rev || !dv_git_rev_is_unborn(repo, *rev);
}

int dv_metrics_collect(dv_vec *out, dv_repo *repo, const char *rev)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_strvec seen = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT;
	int rc;

	if (!rev_to_read(&rev, repo))
		return 0;
	if ((rc = dv_stages_load_at(&stages, repo, rev)) < 0)
		goto done;
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n; j++) {
			dv_stage_file *o = dv_stage_out(st, j);
			dv_metrics *m = NULL;
			char *rel;
			if (!o->metric)
				continue;
			rel = dv_stage_entry_relpath(st, o->path);
			if (dv_strvec_contains(&seen, rel)) {
				free(rel);
				continue;
			}
			dv_strvec_push(&seen, rel);
			int read = dv_read_out_at(&text, repo, rev, rel, o);
			if (read < 0 || dv_metrics_parse(&m, rel, text.ptr, text.len) < 0) {
				m = metrics_new(rel);
				m->error = dv_strdup(dv_error_last());
				m->missing = read == DV_ENOTFOUND;
			}
			*(dv_metrics **)dv_vec_push(out) = m;
			free(rel);
		}
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(dv_metrics *), cmp_metrics_file);
done:
	dv_stages_free(&stages);
	dv_strvec_free(&seen);
	dv_buf_free(&text);
	return rc;
}

int dv_params_collect(dv_vec *out, dv_repo *repo, const char *rev)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_strvec files = DV_STRVEC_INIT;
	dv_params_set *set;
	int rc;

	if (!rev_to_read(&rev, repo))
		return 0;
	set = dv_params_set_new(repo, rev);

	if ((rc = dv_stages_load_at(&stages, repo, rev)) < 0)
		goto done;
	dv_strvec_push(&files, DV_PARAMS_DEFAULT_YAML);
	dv_strvec_push(&files, DV_PARAMS_DEFAULT_FILE);
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		for (size_t j = 0; j < st->params.n; j++) {
			char *rel = dv_stage_entry_relpath(st, dv_stage_param_at(st, j)->file);
			dv_strvec_push_take_once(&files, rel);
		}
	}
	dv_strvec_sort(&files);
	for (size_t i = 0; i < files.n; i++) {
		const dv_params *p = NULL;
		dv_metrics *m;
		rc = dv_params_set_get(&p, set, files.v[i]);
		if (rc == DV_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc < 0) {
			m = metrics_new(files.v[i]);
			m->error = dv_strdup(dv_error_last());
			rc = 0;
		} else {
			m = dv_metrics_from_params(p, files.v[i]);
		}
		*(dv_metrics **)dv_vec_push(out) = m;
	}
done:
	dv_stages_free(&stages);
	dv_strvec_free(&files);
	dv_params_set_free(set);
	return rc;
}

static void diff_row(dv_vec *out, const char *file, const char *key, const dv_metric *a,
		     const dv_metric *b, bool all)
{
	dv_metric_diff *d;
	/* By value: an INI "0.10" against "0.1" is no change. */
	bool same = a && b && (a->is_number && b->is_number ? a->num == b->num : !strcmp(a->text, b->text));
	if (same && !all)
		return;
	d = dv_vec_push(out);
	d->file = file;
	d->key = key;
	d->old = a;
	d->new = b;
	if (a && b && a->is_number && b->is_number) {
		d->has_delta = true;
		d->delta = metric_delta(a->num, b->num);
	}
}

/* Merge two key-sorted tables of one file. */
static void diff_file(dv_vec *out, const dv_metrics *a, const dv_metrics *b, bool all)
{
	size_t i = 0, j = 0;
	size_t na = a ? a->items.n : 0, nb = b ? b->items.n : 0;
	const char *file = a ? a->file : b->file;

	while (i < na || j < nb) {
		const dv_metric *x = i < na ? dv_vec_at(&a->items, dv_metric, i) : NULL;
		const dv_metric *y = j < nb ? dv_vec_at(&b->items, dv_metric, j) : NULL;
		int c = !x ? 1 : !y ? -1 : strcmp(x->key, y->key);
		if (c < 0) {
			diff_row(out, file, x->key, x, NULL, all);
			i++;
		} else if (c > 0) {
			diff_row(out, file, y->key, NULL, y, all);
			j++;
		} else {
			diff_row(out, file, x->key, x, y, all);
			i++;
			j++;
		}
	}
}

void dv_metrics_diff(dv_vec *out, const dv_vec *a, const dv_vec *b, bool all)
{
	size_t i = 0, j = 0;
	while (i < a->n || j < b->n) {
		const dv_metrics *x = i < a->n ? *dv_vec_at(a, dv_metrics *, i) : NULL;
		const dv_metrics *y = j < b->n ? *dv_vec_at(b, dv_metrics *, j) : NULL;
		int c = !x ? 1 : !y ? -1 : strcmp(x->file, y->file);
		if (c < 0) {
			diff_file(out, x, NULL, all);
			i++;
		} else if (c > 0) {
			diff_file(out, NULL, y, all);
			j++;
		} else {
			diff_file(out, x, y, all);
			i++;
			j++;
		}
	}
}

void dv_table_format(dv_buf *out, const dv_strvec *cells, size_t ncols)
{
	size_t *width = dv_calloc(ncols, sizeof(*width));

	for (size_t i = 0; i < cells->n; i++) {
		size_t n = strlen(cells->v[i]);
		if (n > width[i % ncols])
			width[i % ncols] = n;
	}
	for (size_t i = 0; i < cells->n; i++) {
		size_t col = i % ncols;
		if (col + 1 == ncols) {
			dv_buf_puts(out, cells->v[i]);
			/* no trailing blanks: strip the padding of empty cells */
			while (out->len && out->ptr[out->len - 1] == ' ')
				dv_buf_truncate(out, out->len - 1);
			dv_buf_putc(out, '\n');
		} else {
			dv_buf_printf(out, "%-*s  ", (int)width[col], cells->v[i]);
		}
	}
	free(width);
}

void dv_table_format_md(dv_buf *out, const dv_strvec *cells, size_t ncols)
{
	for (size_t i = 0; i < cells->n; i++) {
		size_t col = i % ncols;
		dv_buf_puts(out, col ? " " : "| ");
		for (const char *c = cells->v[i]; *c; c++) {
			if (*c == '|')
				dv_buf_putc(out, '\\');
			dv_buf_putc(out, *c == '\n' ? ' ' : *c);
		}
		dv_buf_puts(out, col + 1 == ncols ? " |\n" : " |");
		if (i + 1 == ncols) {
			/* after the header row: the alignment row, numbers right */
			for (size_t k = 0; k < ncols; k++)
				dv_buf_puts(out, k ? "---|" : "|---|");
			dv_buf_putc(out, '\n');
		}
	}
}

static void format_table(dv_buf *out, const dv_strvec *cells, size_t ncols, const dv_metrics_render_opts *o)
{
	if (o->md)
		dv_table_format_md(out, cells, ncols);
	else
		dv_table_format(out, cells, ncols);
}

/* A number for a table: as read, or rounded to o->precision places with
 * the trailing zeros dropped ("0.72", "1", never "0.720"). */
static void format_value(dv_buf *out, const dv_metric *m, const dv_metrics_render_opts *o)
{
	dv_metric_format_value(out, m, o->precision);
}

void dv_metric_format_value(dv_buf *out, const dv_metric *m, int precision)
{
	size_t start = out->len;

	if (!m->is_number || precision < 0 || m->num == floor(m->num)) {
		dv_buf_puts(out, m->text);
		return;
	}
	dv_buf_printf(out, "%.*f", precision, m->num);
	if (strchr(out->ptr + start, '.')) {
		while (out->ptr[out->len - 1] == '0')
			dv_buf_truncate(out, out->len - 1);
		if (out->ptr[out->len - 1] == '.')
			dv_buf_truncate(out, out->len - 1);
	}
	if (!strcmp(out->ptr + start, "-0")) {
		dv_buf_truncate(out, start);
		dv_buf_putc(out, '0');
	}
}

static void value_json(dv_json_writer *w, const dv_metric *m)
{
	if (!m)
		dv_json_raw(w, "null");
	else if (m->is_number && m->raw)
		dv_json_raw(w, m->raw);
	else if (m->is_number)
		dv_json_number(w, m->num);
	else
		dv_json_string(w, m->text);
}

void dv_metrics_diff_render(dv_buf *out, const dv_vec *rows, const char *key_header,
			    const char *label_a, const char *label_b, bool change,
			    const dv_metrics_render_opts *o)
{
	dv_strvec cells = DV_STRVEC_INIT;
	dv_buf num = DV_BUF_INIT;

	if (o->json) {
		dv_json_writer w;
		const char *file = NULL;
		dv_json_init(&w, out);
		dv_json_object_begin(&w);
		/* rows come grouped by file */
		for (size_t i = 0; i < rows->n; i++) {
			const dv_metric_diff *d = dv_vec_at(rows, dv_metric_diff, i);
			if (!file || strcmp(file, d->file)) {
				if (file)
					dv_json_object_end(&w);
				file = d->file;
				dv_json_key(&w, file);
				dv_json_object_begin(&w);
			}
			dv_json_key(&w, d->key);
			dv_json_object_begin(&w);
			dv_json_key(&w, "old");
			value_json(&w, d->old);
			dv_json_key(&w, "new");
			value_json(&w, d->new);
			if (change) {
				dv_json_key(&w, "diff");
				if (d->has_delta)
					dv_json_number(&w, d->delta);
				else
					dv_json_raw(&w, "null");
			}
			dv_json_object_end(&w);
		}
		if (file)
			dv_json_object_end(&w);
		dv_json_object_end(&w);
		dv_json_finish(&w);
		return;
	}
	if (!rows->n)
		return;
	dv_strvec_push(&cells, "Path");
	dv_strvec_push(&cells, key_header);
	dv_strvec_push(&cells, label_a);
	dv_strvec_push(&cells, label_b);
	if (change)
		dv_strvec_push(&cells, "Change");
	for (size_t i = 0; i < rows->n; i++) {
		const dv_metric_diff *d = dv_vec_at(rows, dv_metric_diff, i);
		dv_strvec_push(&cells, d->file);
		dv_strvec_push(&cells, d->key);
		for (int side = 0; side < 2; side++) {
			const dv_metric *m = side ? d->new : d->old;
			dv_buf_reset(&num);
			if (m)
				format_value(&num, m, o);
			else
				dv_buf_putc(&num, '-');
			dv_strvec_push(&cells, num.ptr);
		}
		if (change) {
			dv_buf_reset(&num);
			if (d->has_delta) {
				dv_metric delta = { NULL, NULL, true, d->delta, NULL };
				dv_buf text = DV_BUF_INIT;
				dv_metrics_format_number(&text, d->delta);
				delta.text = text.ptr;
				if (d->delta > 0)
					dv_buf_putc(&num, '+');
				format_value(&num, &delta, o);
				dv_buf_free(&text);
			} else {
				dv_buf_putc(&num, '-');
			}
			dv_strvec_push(&cells, num.ptr);
		}
	}
	format_table(out, &cells, change ? 5 : 4, o);
	dv_strvec_free(&cells);
	dv_buf_free(&num);
}

void dv_metrics_show_render(dv_buf *out, const dv_vec *tables, const dv_metrics_render_opts *o)
{
	dv_strvec cells = DV_STRVEC_INIT;
	dv_buf num = DV_BUF_INIT;

	if (o->json) {
		dv_json_writer w;
		dv_json_init(&w, out);
		dv_json_object_begin(&w);
		for (size_t i = 0; i < tables->n; i++) {
			const dv_metrics *m = *dv_vec_at(tables, dv_metrics *, i);
			dv_json_key(&w, m->file);
			dv_json_object_begin(&w);
			if (m->error) {
				dv_json_key(&w, "error");
				dv_json_string(&w, m->error);
			}
			for (size_t j = 0; j < m->items.n; j++) {
				const dv_metric *it = dv_vec_at(&m->items, dv_metric, j);
				dv_json_key(&w, it->key);
				value_json(&w, it);
			}
			dv_json_object_end(&w);
		}
		dv_json_object_end(&w);
		dv_json_finish(&w);
		return;
	}
	dv_strvec_push(&cells, "Path");
	dv_strvec_push(&cells, "Key");
	dv_strvec_push(&cells, "Value");
	for (size_t i = 0; i < tables->n; i++) {
		const dv_metrics *m = *dv_vec_at(tables, dv_metrics *, i);
		for (size_t j = 0; j < m->items.n; j++) {
			const dv_metric *it = dv_vec_at(&m->items, dv_metric, j);
			dv_strvec_push(&cells, m->file);
			dv_strvec_push(&cells, it->key);
			dv_buf_reset(&num);
			format_value(&num, it, o);
			dv_strvec_push(&cells, num.ptr);
		}
	}
	if (cells.n > 3)
		format_table(out, &cells, 3, o);
	dv_strvec_free(&cells);
	dv_buf_free(&num);
}

static bool target_covers(const char *target, const char *relpath)
{
	size_t n = strlen(target);
	return !strcmp(target, relpath) || (!strncmp(target, relpath, n) && relpath[n] == '/');
}

int dv_metrics_collect_targets(dv_vec *out, dv_repo *repo, const char *rev, const dv_strvec *targets)
{
	dv_vec all = DV_VEC_INIT(dv_metrics *);
	dv_buf text = DV_BUF_INIT;
	const char *read_rev = rev;
	int rc;

	if ((rc = dv_metrics_collect(&all, repo, rev)) < 0)
		goto done;
	if (!rev_to_read(&read_rev, repo))
		goto done;
	for (size_t t = 0; t < targets->n; t++) {
		bool found = false;
		for (size_t i = 0; i < all.n; i++) {
			dv_metrics **m = dv_vec_at(&all, dv_metrics *, i);
			if (*m && target_covers(targets->v[t], (*m)->file)) {
				*(dv_metrics **)dv_vec_push(out) = *m;
				*m = NULL;
				found = true;
			}
		}
		for (size_t i = 0; i < out->n && !found; i++)
			found = target_covers(targets->v[t], (*dv_vec_at(out, dv_metrics *, i))->file);
		if (found)
			continue;
		/* not a declared metric: the file itself */
		dv_buf_reset(&text);
		if (read_rev) {
			rc = dv_git_read_blob(&text, repo, read_rev, targets->v[t]);
		} else {
			dv_buf path = DV_BUF_INIT;
			dv_repo_abspath(&path, repo, targets->v[t]);
			rc = dv_read_file(&text, path.ptr);
			dv_buf_free(&path);
		}
		if (rc == DV_ENOTFOUND && read_rev) {
			rc = 0; /* not in that commit */
			continue;
		}
		if (rc < 0)
			goto done;
		{
			dv_metrics *m = NULL;
			if (dv_metrics_parse(&m, targets->v[t], text.ptr, text.len) < 0) {
				m = metrics_new(targets->v[t]);
				m->error = dv_strdup(dv_error_last());
			}
			*(dv_metrics **)dv_vec_push(out) = m;
		}
	}
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(dv_metrics *), cmp_metrics_file);
done:
	for (size_t i = 0; i < all.n; i++)
		dv_metrics_free(*dv_vec_at(&all, dv_metrics *, i));
	dv_vec_free(&all);
	dv_buf_free(&text);
	return rc;
}
