/*
 * metrics.h - flat key/value tables of metrics (JSON, parsed with jansson)
 * and params (INI), and the diff between two revisions of them.
 *
 * Nested JSON objects are flattened to dotted keys ("train.loss"), array
 * items get their index ("per_class.0"), so both kinds of files reduce to
 * one model, {file, key, text, number?}, and `dv params diff` and
 * `dv metrics diff` share one diff and one table.  A number keeps its
 * value as a double for the delta; its text is the shortest that reads
 * back as that double (what Python's json writes), and a delta is rounded
 * to the decimal places of its two values, so subtraction noise
 * (100.85 - 100.70929661 = 0.140703389999999...) does not show.
 */
#ifndef DV_METRICS_H
#define DV_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "dv/buf.h"
#include "dv/params.h"
#include "dv/repo.h"
#include "dv/stage.h"

typedef struct {
	char *key;
	char *text;      /* value as shown; strings unquoted */
	bool is_number;
	double num;
	char *raw;       /* numbers: the text the file holds, when it is a valid
			  * JSON number (what --json prints: every digit kept) */
} dv_metric;

typedef struct {
	char *file;      /* repo-relative path */
	char *error;     /* set (and items empty) when the file could not be read */
	bool missing;    /* ... because it does not exist there (a stage never run) */
	dv_vec items;    /* dv_metric, sorted by key, unique */
} dv_metrics;

/* Parse a JSON metrics file; the top level must be an object.  Errors name
 * `file` and the line/column jansson reports. */
int dv_metrics_parse(dv_metrics **out, const char *file, const char *text, size_t len);
/* A params file as a table (numbers recognised with strtod). */
dv_metrics *dv_metrics_from_params(const dv_params *p, const char *file);
const dv_metric *dv_metrics_get(const dv_metrics *m, const char *key);
void dv_metrics_free(dv_metrics *m);
/* Free a dv_vec of dv_metrics*. */
void dv_metrics_vec_free(dv_vec *v);

/* The name of the work tree where a revision is expected. */
#define DV_REV_WORKSPACE "workspace"

/* Every metrics file (outs marked metric) of every stage at revision `rev`
 * (NULL or "workspace": the work tree), read from the work tree, from git, or, for a
 * cached out not in git, from the cache by its recorded hash.  A file that
 * cannot be read or parsed is kept with its error set, so one bad file
 * does not hide the others.  HEAD before the first commit has none.
 * Output: a dv_vec of dv_metrics*, by path. */
int dv_metrics_collect(dv_vec *out, dv_repo *repo, const char *rev);
/* The bytes of out `out` (its stage's entry; `relpath` repo-relative) at
 * `rev`: NULL reads the work tree, else the revision's git tree, else the
 * cache by the hash recorded at that revision (cache = true outs are not
 * in git).  DV_ENOTFOUND when none holds it.  Metrics and plots read alike. */
int dv_read_out_at(dv_buf *text, dv_repo *repo, const char *rev, const char *relpath,
		   const dv_stage_file *out);
/* Every params file stages refer to (and ./params.ini if present), at
 * `rev` (NULL or "workspace": the work tree), as tables; none for HEAD
 * before the first commit. */
int dv_params_collect(dv_vec *out, dv_repo *repo, const char *rev);

typedef struct {
	const char *file;
	const char *key;
	const dv_metric *old; /* NULL: absent in A */
	const dv_metric *new; /* NULL: absent in B */
	bool has_delta;       /* both numbers */
	double delta;         /* new - old, rounded to their decimal places */
} dv_metric_diff;

/* Pair up the tables of two revisions (dv_vec of dv_metrics*).  Rows point
 * into `a` and `b`; unchanged rows only with `all`. */
void dv_metrics_diff(dv_vec *out /* dv_metric_diff */, const dv_vec *a, const dv_vec *b, bool all);
/* A number as dv shows it: the shortest of "%.15g" to "%.17g" that
 * reads back as `v` (integers without a fraction). */
void dv_metrics_format_number(dv_buf *out, double v);
/* A value for a table: as read, or a number rounded to `precision`
 * decimal places (-1: as read) with trailing zeros dropped. */
void dv_metric_format_value(dv_buf *out, const dv_metric *m, int precision);
/* Render rows as an aligned text table with a header line. */
void dv_table_format(dv_buf *out, const dv_strvec *cells, size_t ncols);
/* The same rows as a Markdown table ('|' in cells escaped). */
void dv_table_format_md(dv_buf *out, const dv_strvec *cells, size_t ncols);

/* How tables are rendered: text (aligned), Markdown, or JSON; numbers in
 * text and Markdown rounded to `precision` decimal places (-1: as read;
 * trailing zeros dropped, whole numbers untouched).  JSON always keeps
 * every digit. */
typedef struct {
	bool json;
	bool md;
	int precision;
} dv_metrics_render_opts;

/* A diff as a table: Path, `key_header`, `label_a`, `label_b` and, with
 * `change`, the numeric delta; or as JSON
 * {"file": {"key": {"old": v, "new": v[, "diff": d]}}}. */
void dv_metrics_diff_render(dv_buf *out, const dv_vec *rows, const char *key_header,
			    const char *label_a, const char *label_b, bool change,
			    const dv_metrics_render_opts *o);
/* Tables as text (Path, Key, Value; unreadable files are left to the
 * caller to report) or as JSON {"file": {"key": v}} ({"file": {"error":
 * msg}} for an unreadable one). */
void dv_metrics_show_render(dv_buf *out, const dv_vec *tables, const dv_metrics_render_opts *o);
/* Files named by the user (repo-relative; a directory names what is in
 * it) as metrics tables at `rev`: declared metric outs among them come
 * from dv_metrics_collect, any other file is read and parsed as it is.
 * A target found nowhere is an error at the work tree, skipped at a
 * commit. */
int dv_metrics_collect_targets(dv_vec *out, dv_repo *repo, const char *rev, const dv_strvec *targets);

#endif
