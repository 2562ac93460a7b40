/*
 * stage.c - .stage files: strict parsing through dv_ini_parse, canonical
 * writing, atomic saving.
 *
 * Paths never go into section headers (inih cuts those at 49 bytes), so a
 * [dep], [out] or [param] entry is identified by its first key, `path` (or
 * `file`), and dv_ini_parse tells us when a header repeats the previous
 * section's name.  Parsing is strict: an unknown key or section, a repeated
 * key, a key before `path`, or an inline comment that inih cut off a cmd is
 * an error naming the file and line, because a .stage file silently read
 * differently from how it was written would rerun, or skip, the wrong work.
 *
 * Writing is canonical (fixed section and key order, one blank line between
 * sections) so reruns give minimal git diffs.  cmd and desc are folded at
 * DV_STAGE_FOLD_WIDTH onto indented continuation lines, split only at single
 * spaces so joining the pieces with one space gives the value back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/stage.h"
#include "dv/template.h"

/* ---- construction ------------------------------------------------------ */

dv_stage *dv_stage_new(const char *stage_path)
{
	dv_stage *st = dv_calloc(1, sizeof(*st));
	const char *base = dv_path_basename(stage_path);
	size_t blen = strlen(base), slen = strlen(DV_STAGE_SUFFIX);
	char *dir = dv_path_dirname(stage_path);

	st->path = dv_strdup(stage_path);
	if (!strcmp(dir, ".")) {
		free(dir);
		dir = dv_strdup("");
	}
	st->dir = dir;
	if (blen > slen && !strcmp(base + blen - slen, DV_STAGE_SUFFIX))
		st->name = dv_strndup(base, blen - slen);
	else
		st->name = dv_strdup(base);
	st->deps = (dv_vec)DV_VEC_INIT(dv_stage_file);
	st->outs = (dv_vec)DV_VEC_INIT(dv_stage_file);
	st->params = (dv_vec)DV_VEC_INIT(dv_stage_param);
	return st;
}

static void file_entries_free(dv_vec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(dv_vec_at(v, dv_stage_file, i)->path);
		dv_plot_props_free(dv_vec_at(v, dv_stage_file, i)->plot_props);
	}
	dv_vec_free(v);
}

/* ---- plot properties --------------------------------------------------- */

const char *const dv_plot_templates[] = { "linear", "scatter", "smooth", "bar", "confusion",
					   "confusion_normalized", NULL };

int dv_plot_template_index(const char *name)
{
	for (int i = 0; name && dv_plot_templates[i]; i++)
		if (!strcmp(dv_plot_templates[i], name))
			return i;
	return -1;
}

dv_plot_props *dv_plot_props_new(void)
{
	dv_plot_props *p = dv_calloc(1, sizeof(*p));
	p->y = (dv_strvec)DV_STRVEC_INIT;
	return p;
}

static char *strdup_or_null(const char *s)
{
	return s ? dv_strdup(s) : NULL;
}

dv_plot_props *dv_plot_props_dup(const dv_plot_props *p)
{
	dv_plot_props *d;

	if (!p)
		return NULL;
	d = dv_plot_props_new();
	d->template = strdup_or_null(p->template);
	d->x = strdup_or_null(p->x);
	for (size_t i = 0; i < p->y.n; i++)
		dv_strvec_push(&d->y, p->y.v[i]);
	d->title = strdup_or_null(p->title);
	d->x_label = strdup_or_null(p->x_label);
	d->y_label = strdup_or_null(p->y_label);
	return d;
}

void dv_plot_props_free(dv_plot_props *p)
{
	if (!p)
		return;
	free(p->template);
	free(p->x);
	dv_strvec_free(&p->y);
	free(p->title);
	free(p->x_label);
	free(p->y_label);
	free(p);
}

bool dv_plot_props_any(const dv_plot_props *p)
{
	return p && (p->template || p->x || p->y.n || p->title || p->x_label || p->y_label);
}

void dv_stage_free(dv_stage *st)
{
	if (!st)
		return;
	file_entries_free(&st->deps);
	file_entries_free(&st->outs);
	for (size_t i = 0; i < st->params.n; i++) {
		dv_stage_param *p = dv_stage_param_at(st, i);
		free(p->file);
		free(p->key);
		free(p->value);
	}
	dv_vec_free(&st->params);
	free(st->path);
	free(st->dir);
	free(st->name);
	free(st->cmd);
	free(st->desc);
	dv_stage_set_source(st, NULL, NULL, NULL, NULL);
	dv_stage_template_free(st->tmpl);
	for (int k = 0; k < DV_SLURM_KEYS; k++)
		free(st->slurm[k]);
	free(st);
}

void dv_stage_set_source(dv_stage *st, const char *url, const char *rev, const char *rev_lock,
			 const char *path)
{
	if (st->source) {
		free(st->source->url);
		free(st->source->rev);
		free(st->source->rev_lock);
		free(st->source->path);
		free(st->source->etag);
		free(st->source);
		st->source = NULL;
	}
	if (!url)
		return;
	st->source = dv_calloc(1, sizeof(*st->source));
	st->source->url = dv_strdup(url);
	st->source->rev = rev ? dv_strdup(rev) : NULL;
	st->source->rev_lock = rev_lock ? dv_strdup(rev_lock) : NULL;
	st->source->path = path ? dv_strdup(path) : NULL;
}

dv_stage_file *dv_stage_add_dep(dv_stage *st, const char *path)
{
	dv_stage_file *f = dv_vec_push(&st->deps);
	f->path = dv_path_normalize(path);
	f->cache = true;
	return f;
}

dv_stage_file *dv_stage_add_out(dv_stage *st, const char *path)
{
	dv_stage_file *f = dv_vec_push(&st->outs);
	f->path = dv_path_normalize(path);
	f->cache = true;
	return f;
}

dv_stage_param *dv_stage_add_param(dv_stage *st, const char *file, const char *key, const char *value)
{
	dv_stage_param *p = dv_vec_push(&st->params);
	p->file = dv_path_normalize(file);
	p->key = dv_strdup(key);
	p->value = value ? dv_strdup(value) : NULL;
	return p;
}

char *dv_stage_entry_relpath(const dv_stage *st, const char *entry_path)
{
	dv_buf joined = DV_BUF_INIT;
	char *norm;

	dv_path_join(&joined, st->dir, entry_path);
	norm = dv_path_normalize(joined.ptr);
	dv_buf_free(&joined);
	return norm;
}

int dv_stage_check_entry_path(const dv_stage *st, const char *entry_path)
{
	char *rel = NULL;
	size_t first;
	int rc = 0;

	if (!*entry_path)
		return dv_error(DV_ERROR, "empty path");
	if (entry_path[0] == '/')
		return dv_error(DV_ERROR, "path '%s' is absolute; write it relative to the "
				"directory of the .stage file", entry_path);
	rel = dv_stage_entry_relpath(st, entry_path);
	first = strcspn(rel, "/");
	if (!strcmp(rel, ".."))
		rc = dv_error(DV_ERROR, "path '%s' leaves the repository", entry_path);
	else if (first == 2 && !strncmp(rel, "..", 2))
		rc = dv_error(DV_ERROR, "path '%s' leaves the repository", entry_path);
	else if (!strcmp(rel, "."))
		rc = dv_error(DV_ERROR, "path '%s' is the repository root itself", entry_path);
	else if (dv_path_has_git_component(rel))
		rc = dv_error(DV_ERROR, "path '%s' is inside a git directory, which dv does not track", entry_path);
	else if (first == 3 && !strncmp(rel, ".dv", 3))
		rc = dv_error(DV_ERROR, "path '%s' is inside .dv, which dv does not track", entry_path);
	free(rel);
	return rc;
}

/* ---- parsing --------------------------------------------------------- */

typedef enum { SEC_NONE, SEC_STAGE, SEC_DEP, SEC_PARAM, SEC_OUT, SEC_SOURCE, SEC_SLURM } section_kind;

static const char *const section_names[] = { "", "stage", "dep", "param", "out", "source", "slurm" };

/* Keys per section, in canonical order; a bit per key marks it seen. */
static const char *const stage_keys[] = { "cmd", "desc", "always_changed", "frozen", "hash", NULL };
static const char *const dep_keys[] = { "path", "hash", "size", "files", NULL };
static const char *const param_keys[] = { "file", "key", "value", NULL };
/* The plot properties follow `plot`; `y` may repeat (one field a line,
 * so field names need no separator and lines stay short). */
static const char *const out_keys[] = { "path", "cache", "persist", "metric", "plot",
					"template", "x", "y", "title", "x_label", "y_label",
					"hash", "size", "files", NULL };
static const char *const source_keys[] = { "url", "rev", "rev_lock", "path", "etag", "size", "mtime", NULL };
static const char *const slurm_keys[] = { "partition", "cpus", "mem", "time", "gres", "args", NULL };
const char *const dv_stage_slurm_keys[DV_SLURM_KEYS] = { "partition", "cpus", "mem", "time", "gres", "args" };
static const char *const *const section_keys[] = { NULL, stage_keys, dep_keys, param_keys, out_keys,
						   source_keys, slurm_keys };

/* Sections that hold one set of keys in any order, not a list of entries
 * each starting with its first key. */
static bool single_section(section_kind k)
{
	return k == SEC_STAGE || k == SEC_SLURM;
}

typedef struct {
	dv_stage *st;
	section_kind kind;
	int section_line;
	bool section_has_keys;
	unsigned seen;        /* bit i: section_keys[kind][i] was set */
	const char *last_key; /* the key a continuation line continues */
	int stage_line;       /* line of the [stage] header, 0 if none */
	int first_entry_line; /* line of the first [dep] or [param] */
	int source_line;      /* line of the [source] header, 0 if none */
	int slurm_line;       /* line of the [slurm] header, 0 if none */
	dv_buf cmd, desc;     /* raw (still quoted) text, continuations joined */
	bool has_cmd, has_desc;
	dv_buf value;         /* scratch: the unquoted value */
} parse_ctx;

static int key_index(section_kind kind, const char *name)
{
	const char *const *keys = section_keys[kind];
	for (int i = 0; keys && keys[i]; i++)
		if (!strcmp(keys[i], name))
			return i;
	return -1;
}

static void list_keys(dv_buf *out, section_kind kind)
{
	const char *const *keys = section_keys[kind];
	for (int i = 0; keys[i]; i++)
		dv_buf_printf(out, "%s%s", i ? ", " : "", keys[i]);
}

static int parse_u64(uint64_t *out, const char *key, const char *text)
{
	char *end;
	unsigned long long v;

	if (!*text || strspn(text, "0123456789") != strlen(text))
		return dv_error(DV_ERROR, "'%s = %s' is not a non-negative whole number", key, text);
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return dv_error(DV_ERROR, "'%s = %s' is too large", key, text);
	*out = (uint64_t)v;
	return 0;
}

static int parse_bool_key(bool *out, const char *key, const char *text)
{
	if (dv_ini_parse_bool(out, text) < 0)
		return dv_error(DV_ERROR, "'%s = %s' is not a boolean (use true or false)", key, text);
	return 0;
}

/* Empty sections would vanish on the canonical rewrite; a hand-edited file
 * that has one most likely lost its keys by mistake. */
static int check_section_not_empty(parse_ctx *c)
{
	if (c->kind == SEC_NONE || c->section_has_keys)
		return 0;
	if (c->kind == SEC_STAGE)
		return dv_error(DV_ERROR, "the [stage] section of line %d is empty; it needs 'cmd = ...'",
				c->section_line);
	if (c->kind == SEC_SLURM)
		return dv_error(DV_ERROR, "the [slurm] section of line %d is empty; give it keys or remove it",
				c->section_line);
	return dv_error(DV_ERROR, "the [%s] section of line %d is empty; every [%s] section "
			"starts with '%s = ...'", section_names[c->kind], c->section_line,
			section_names[c->kind], section_keys[c->kind][0]);
}

static int on_section(parse_ctx *c, const dv_ini_item *it)
{
	section_kind kind = SEC_NONE;
	int rc;

	if ((rc = check_section_not_empty(c)) < 0)
		return rc;
	for (int k = SEC_STAGE; k <= SEC_SLURM; k++)
		if (!strcmp(it->section, section_names[k]))
			kind = (section_kind)k;
	if (kind == SEC_NONE)
		return dv_error(DV_ERROR, "unknown section '[%s]' (a .stage file has [stage], [dep], "
				"[param], [out], [source] and [slurm] sections)", it->section);
	if (kind == SEC_SLURM) {
		if (c->slurm_line)
			return dv_error(DV_ERROR, "a second [slurm] section (the first is on line %d)", c->slurm_line);
		c->slurm_line = it->line;
	}
	if (kind == SEC_SOURCE) {
		if (c->source_line)
			return dv_error(DV_ERROR, "a second [source] section (the first is on line %d); "
					"imported data has one source", c->source_line);
		c->source_line = it->line;
	}
	if (kind == SEC_STAGE) {
		if (c->stage_line)
			return dv_error(DV_ERROR, "a second [stage] section (the first is on line %d); "
					"a .stage file describes one stage", c->stage_line);
		c->stage_line = it->line;
	}
	if ((kind == SEC_DEP || kind == SEC_PARAM) && !c->first_entry_line)
		c->first_entry_line = it->line;
	c->kind = kind;
	c->section_line = it->line;
	c->section_has_keys = false;
	c->seen = 0;
	c->last_key = NULL;
	return 0;
}

static int on_continuation(parse_ctx *c, const dv_ini_item *it)
{
	dv_buf *raw;

	if (!c->last_key || (strcmp(c->last_key, "cmd") && strcmp(c->last_key, "desc")))
		return dv_error(DV_ERROR, "an indented line continues '%s', but only cmd and desc "
				"may go on over indented lines; remove the indentation",
				c->last_key ? c->last_key : it->name);
	if (it->comment_cut)
		return dv_error(DV_ERROR, "inih cuts '%s' at ' ;' (an inline comment); write the "
				"value quoted with '\\x3b' for that ';'", c->last_key);
	raw = !strcmp(c->last_key, "cmd") ? &c->cmd : &c->desc;
	if (raw->len)
		dv_buf_putc(raw, ' ');
	dv_buf_puts(raw, it->value);
	return 0;
}

static bool entry_path_taken(const dv_stage *st, const dv_vec *v, size_t upto, const char *path)
{
	char *rel = dv_stage_entry_relpath(st, path);
	bool taken = false;
	for (size_t i = 0; i < upto && !taken; i++) {
		char *other = dv_stage_entry_relpath(st, dv_vec_at(v, dv_stage_file, i)->path);
		taken = !strcmp(rel, other);
		free(other);
	}
	free(rel);
	return taken;
}

static int set_entry_path(parse_ctx *c, dv_vec *v, const char *what, const char *path)
{
	dv_stage_file *f;
	int rc;

	if ((rc = dv_stage_check_entry_path(c->st, path)) < 0)
		return rc;
	if (entry_path_taken(c->st, v, v->n, path))
		return dv_error(DV_ERROR, "%s '%s' is listed twice", what, path);
	f = dv_vec_push(v);
	f->path = dv_path_normalize(path);
	f->cache = true;
	return 0;
}

/* template, x, y, title, x_label, y_label (key_index checked the name). */
static int set_plot_prop(dv_stage_file *f, const char *key, const char *v)
{
	dv_plot_props *p;
	char **field;

	if (!*v)
		return dv_error(DV_ERROR, "empty '%s'; remove the line to leave it unset", key);
	if (!strcmp(key, "template") && dv_plot_template_index(v) < 0)
		return dv_error(DV_ERROR, "unknown plot template '%s' (known: linear, scatter, smooth, "
				"bar, confusion, confusion_normalized)", v);
	if (!f->plot_props)
		f->plot_props = dv_plot_props_new();
	p = f->plot_props;
	if (!strcmp(key, "y")) {
		if (dv_strvec_contains(&p->y, v))
			return dv_error(DV_ERROR, "'y = %s' is listed twice", v);
		dv_strvec_push(&p->y, v);
		return 0;
	}
	field = !strcmp(key, "template") ? &p->template : !strcmp(key, "x") ? &p->x :
		!strcmp(key, "title") ? &p->title : !strcmp(key, "x_label") ? &p->x_label : &p->y_label;
	*field = dv_strdup(v);
	return 0;
}

static int set_file_key(dv_stage_file *f, const char *key, const char *v)
{
	if (!strcmp(key, "hash")) {
		if (dv_hash_parse(&f->hash, &f->is_dir, v) < 0)
			return DV_ERROR;
		f->has_hash = true;
		return 0;
	}
	if (!strcmp(key, "size")) {
		f->has_size = true;
		return parse_u64(&f->size, key, v);
	}
	if (!strcmp(key, "files")) {
		f->has_files = true;
		return parse_u64(&f->files, key, v);
	}
	if (!strcmp(key, "cache"))
		return parse_bool_key(&f->cache, key, v);
	if (!strcmp(key, "persist"))
		return parse_bool_key(&f->persist, key, v);
	if (!strcmp(key, "metric"))
		return parse_bool_key(&f->metric, key, v);
	if (!strcmp(key, "plot"))
		return parse_bool_key(&f->plot, key, v);
	return set_plot_prop(f, key, v);
}

static int set_def_hash(dv_stage *st, const char *v)
{
	bool is_dir;

	if (dv_hash_parse(&st->def_hash, &is_dir, v) < 0)
		return DV_ERROR;
	if (is_dir)
		return dv_error(DV_ERROR, "the [stage] hash names a stage definition, not a directory: "
				"drop the '.dir'");
	st->has_def_hash = true;
	return 0;
}

static int set_param_key(parse_ctx *c, const char *key, const char *v)
{
	dv_stage *st = c->st;
	dv_stage_param *p;
	int rc;

	if (!strcmp(key, "file")) {
		if ((rc = dv_stage_check_entry_path(st, v)) < 0)
			return rc;
		p = dv_vec_push(&st->params);
		p->file = dv_path_normalize(v);
		return 0;
	}
	p = dv_stage_param_at(st, st->params.n - 1);
	if (!strcmp(key, "key")) {
		if (!*v)
			return dv_error(DV_ERROR, "empty param key; write 'key = section.name'");
		for (size_t i = 0; i + 1 < st->params.n; i++) {
			dv_stage_param *q = dv_stage_param_at(st, i);
			if (!strcmp(q->file, p->file) && q->key && !strcmp(q->key, v))
				return dv_error(DV_ERROR, "param '%s' of '%s' is listed twice", v, p->file);
		}
		p->key = dv_strdup(v);
		return 0;
	}
	p->value = dv_strdup(v);
	return 0;
}

/* The path inside the source repository: relative, not leaving it. */
static int check_source_path(const char *path)
{
	char *norm;
	int rc = 0;

	if (!*path || path[0] == '/')
		return dv_error(DV_ERROR, "[source] path '%s' must be relative to the source repository", path);
	norm = dv_path_normalize(path);
	if (!strcmp(norm, "..") || !strncmp(norm, "../", 3) || !strcmp(norm, "."))
		rc = dv_error(DV_ERROR, "[source] path '%s' is not inside the source repository", path);
	free(norm);
	return rc;
}

static int set_source_key(dv_stage *st, int idx, const char *v)
{
	dv_stage_source *src;
	char **field;

	if (idx == 0) {
		if (!*v)
			return dv_error(DV_ERROR, "empty [source] url");
		dv_stage_set_source(st, v, NULL, NULL, NULL);
		return 0;
	}
	src = st->source;
	if (idx == 4) {
		free(src->etag);
		src->etag = dv_strdup(v);
		return 0;
	}
	if (idx == 5) {
		src->has_size = true;
		return parse_u64(&src->size, "size", v);
	}
	if (idx == 6) {
		char *end;
		errno = 0;
		src->mtime = strtoll(v, &end, 10);
		src->has_mtime = true;
		if (errno || end == v || *end)
			return dv_error(DV_ERROR, "'mtime = %s' in [source] is not a time in seconds", v);
		return 0;
	}
	field = idx == 1 ? &src->rev : idx == 2 ? &src->rev_lock : &src->path;
	if (idx == 2 && (strlen(v) != 40 || strspn(v, "0123456789abcdef") != 40))
		return dv_error(DV_ERROR, "'rev_lock = %s' is not a git commit id (40 hex digits)", v);
	if (idx == 3) {
		int rc = check_source_path(v);
		if (rc < 0)
			return rc;
		*field = dv_path_normalize(v);
		return 0;
	}
	*field = dv_strdup(v);
	return 0;
}

static int on_key(parse_ctx *c, const dv_ini_item *it)
{
	int idx, rc;
	const char *first;

	if (c->kind == SEC_NONE)
		return dv_error(DV_ERROR, "'%s' comes before any section; keys go below a [stage], "
				"[dep], [param] or [out] header", it->name);
	idx = key_index(c->kind, it->name);
	if (idx < 0) {
		dv_buf known = DV_BUF_INIT;
		list_keys(&known, c->kind);
		rc = dv_error(DV_ERROR, "unknown key '%s' in [%s] (known: %s)", it->name,
			      section_names[c->kind], known.ptr);
		dv_buf_free(&known);
		return rc;
	}
	first = section_keys[c->kind][0];
	if (!single_section(c->kind) && !c->section_has_keys && idx != 0)
		return dv_error(DV_ERROR, "'%s' before '%s': every [%s] section starts with '%s = ...'",
				it->name, first, section_names[c->kind], first);
	if ((c->seen & (1u << idx)) && !(c->kind == SEC_OUT && !strcmp(it->name, "y"))) {
		if (idx == 0 && !single_section(c->kind))
			return dv_error(DV_ERROR, "a second '%s' in one [%s] section; start another "
					"[%s] section for another entry", first,
					section_names[c->kind], section_names[c->kind]);
		return dv_error(DV_ERROR, "'%s' is set twice in [%s]", it->name, section_names[c->kind]);
	}
	c->seen |= 1u << idx;
	c->section_has_keys = true;
	c->last_key = section_keys[c->kind][idx];

	if (c->kind == SEC_STAGE && (!strcmp(it->name, "cmd") || !strcmp(it->name, "desc"))) {
		if (it->comment_cut)
			return dv_error(DV_ERROR, "inih cuts '%s' at ' ;' (an inline comment); write the "
					"value quoted with '\\x3b' for that ';', e.g. "
					"cmd = \"make a \\x3b make b\"", it->name);
		dv_buf_set(!strcmp(it->name, "cmd") ? &c->cmd : &c->desc, it->value);
		*(!strcmp(it->name, "cmd") ? &c->has_cmd : &c->has_desc) = true;
		return 0;
	}

	dv_buf_reset(&c->value);
	if ((rc = dv_ini_unquote_value(&c->value, it->value)) < 0)
		return rc;
	switch (c->kind) {
	case SEC_STAGE:
		if (!strcmp(it->name, "hash"))
			return set_def_hash(c->st, c->value.ptr);
		return parse_bool_key(!strcmp(it->name, "frozen") ? &c->st->frozen : &c->st->always_changed,
				      it->name, c->value.ptr);
	case SEC_DEP:
		if (idx == 0)
			return set_entry_path(c, &c->st->deps, "dep", c->value.ptr);
		return set_file_key(dv_stage_dep(c->st, c->st->deps.n - 1), it->name, c->value.ptr);
	case SEC_OUT:
		if (idx == 0)
			return set_entry_path(c, &c->st->outs, "out", c->value.ptr);
		return set_file_key(dv_stage_out(c->st, c->st->outs.n - 1), it->name, c->value.ptr);
	case SEC_PARAM:
		return set_param_key(c, it->name, c->value.ptr);
	case SEC_SOURCE:
		return set_source_key(c->st, idx, c->value.ptr);
	case SEC_SLURM:
		if (!*c->value.ptr)
			return dv_error(DV_ERROR, "empty '%s' in [slurm]; remove the key for the default", it->name);
		c->st->slurm[idx] = dv_strdup(c->value.ptr);
		return 0;
	default:
		return 0;
	}
}

static int on_item(void *user, const dv_ini_item *it)
{
	parse_ctx *c = user;

	if (!it->name)
		return on_section(c, it);
	if (it->continuation)
		return on_continuation(c, it);
	return on_key(c, it);
}

/* Checks that need the whole file, reported at the line they concern. */
static int finish_parse(parse_ctx *c, const char *stage_path)
{
	dv_stage *st = c->st;
	dv_buf text = DV_BUF_INIT;
	int rc = 0;

	if ((rc = check_section_not_empty(c)) < 0) {
		rc = dv_error_wrap(rc, "cannot read '%s'", stage_path);
		goto done;
	}
	if (c->has_cmd) {
		if ((rc = dv_ini_unquote_value(&text, c->cmd.ptr)) < 0) {
			rc = dv_error_wrap(rc, "cannot read '%s': cmd", stage_path);
			goto done;
		}
		st->cmd = dv_buf_detach(&text);
	}
	if (c->has_desc) {
		if ((rc = dv_ini_unquote_value(&text, c->desc.ptr)) < 0) {
			rc = dv_error_wrap(rc, "cannot read '%s': desc", stage_path);
			goto done;
		}
		st->desc = dv_buf_detach(&text);
	}
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *o = dv_stage_out(st, i);
		if (o->plot_props && !o->plot) {
			rc = dv_error(DV_ERROR, "cannot read '%s': out '%s' has plot properties but no "
				      "'plot = true'; add it, or remove the properties", stage_path, o->path);
			goto done;
		}
	}
	for (size_t i = 0; i < st->params.n; i++)
		if (!dv_stage_param_at(st, i)->key) {
			rc = dv_error(DV_ERROR, "cannot read '%s': param file '%s' has no 'key = ...'",
				      stage_path, dv_stage_param_at(st, i)->file);
			goto done;
		}
	if (c->slurm_line && !c->stage_line) {
		rc = dv_error(DV_ERROR, "cannot read '%s' line %d: [slurm] belongs to a command stage", stage_path,
			      c->slurm_line);
		goto done;
	}
	if (c->source_line && c->stage_line) {
		rc = dv_error(DV_ERROR, "cannot read '%s' line %d: [source] belongs to imported data, "
			      "not to a command stage", stage_path, c->source_line);
		goto done;
	}
	/* Without a path the source is a URL (dv import-url), never a
	 * repository on this disk. */
	if (st->source && !st->source->path && !strstr(st->source->url, "://")) {
		rc = dv_error(DV_ERROR, "cannot read '%s' line %d: [source] has no 'path = ...'",
			      stage_path, c->source_line);
		goto done;
	}
	if (c->stage_line) {
		st->is_command = true;
		if (!st->cmd || !*st->cmd)
			rc = dv_error(DV_ERROR, "cannot read '%s' line %d: [stage] has no cmd",
				      stage_path, c->stage_line);
	} else if (c->first_entry_line) {
		rc = dv_error(DV_ERROR, "cannot read '%s' line %d: [dep] and [param] belong to a "
			      "command stage, which needs a [stage] section with a cmd",
			      stage_path, c->first_entry_line);
	} else if (st->outs.n == 0) {
		rc = dv_error(DV_ERROR, "cannot read '%s': no [stage] or [out] section", stage_path);
	}
done:
	dv_buf_free(&text);
	return rc;
}

static bool is_marker(const char *line, size_t n, char ch, bool bare)
{
	size_t i = 0;
	while (i < 7 && i < n && line[i] == ch)
		i++;
	if (i < 7)
		return false;
	/* "=======" stands alone; the others are followed by a label. */
	return i == n || line[i] == '\r' || (!bare && line[i] == ' ');
}

int dv_stage_conflict_line(const char *text, size_t len)
{
	int lineno = 1;
	for (size_t i = 0; i < len; lineno++) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		const char *line = text + i;
		if (is_marker(line, n, '<', false) || is_marker(line, n, '>', false) ||
		    is_marker(line, n, '|', false) || is_marker(line, n, '=', true))
			return lineno;
		i += n + 1;
	}
	return 0;
}

bool dv_stage_text_is_command(const char *text, size_t len)
{
	return (len >= 7 && !strncmp(text, "[stage]", 7)) || memmem(text, len, "\n[stage]", 8);
}

/* A merge left both sides in the file: inih would only say "expected
 * 'key = value'", so name the conflict and the ways out instead. */
static int conflict_error(const char *stage_path, const char *text, size_t len, int line)
{
	size_t plen = strlen(stage_path), slen = strlen(DV_STAGE_SUFFIX);
	bool command = dv_stage_text_is_command(text, len);
	char *fix;
	int rc;

	if (command) {
		char *name = dv_strdup(dv_path_basename(stage_path));
		name[strlen(name) - (strlen(name) >= slen ? slen : 0)] = '\0';
		fix = dv_asprintf("or edit it to the version wanted and run 'dv repro %s'", name);
		free(name);
	} else {
		fix = dv_asprintf("or 'dv add %.*s' of the version wanted", (int)(plen >= slen ? plen - slen : plen),
				  stage_path);
	}
	rc = dv_error(DV_ECONFLICT, "'%s' has unresolved merge conflict markers (line %d): keep one side "
		      "with 'git checkout --ours %s' or 'git checkout --theirs %s' (then 'dv checkout'), %s",
		      stage_path, line, stage_path, stage_path, fix);
	free(fix);
	return rc;
}

int dv_stage_parse(dv_stage **out, const char *stage_path, const char *text, size_t len)
{
	dv_stage_template *tmpl = NULL;
	dv_buf stripped = DV_BUF_INIT;
	parse_ctx c;
	int rc, conflict;

	*out = NULL;
	if ((conflict = dv_stage_conflict_line(text, len)) > 0)
		return conflict_error(stage_path, text, len, conflict);
	if ((rc = dv_template_strip(&tmpl, &stripped, stage_path, text, len)) < 0)
		return rc;
	if (tmpl) {
		text = stripped.ptr;
		len = stripped.len;
	}
	memset(&c, 0, sizeof(c));
	c.st = dv_stage_new(stage_path);
	dv_buf_init(&c.cmd);
	dv_buf_init(&c.desc);
	dv_buf_init(&c.value);
	if ((rc = dv_ini_parse(stage_path, text, len, 0, on_item, &c)) < 0)
		goto done;
	if ((rc = finish_parse(&c, stage_path)) < 0)
		goto done;
	c.st->tmpl = tmpl;
	tmpl = NULL;
	*out = c.st;
	c.st = NULL;
done:
	dv_stage_template_free(tmpl);
	dv_buf_free(&stripped);
	dv_stage_free(c.st);
	dv_buf_free(&c.cmd);
	dv_buf_free(&c.desc);
	dv_buf_free(&c.value);
	return rc;
}

static int load_with(dv_stage **out, const char *root, const char *stage_path,
		     int (*read_fn)(dv_buf *, const char *))
{
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT;
	int rc;

	*out = NULL;
	dv_path_join(&path, root, stage_path);
	if ((rc = read_fn(&text, path.ptr)) == 0)
		rc = dv_stage_parse(out, stage_path, text.ptr, text.len);
	dv_buf_free(&path);
	dv_buf_free(&text);
	return rc;
}

int dv_stage_load(dv_stage **out, const char *root, const char *stage_path)
{
	return load_with(out, root, stage_path, dv_read_file);
}

int dv_stage_load_listed(dv_stage **out, const char *root, const char *stage_path)
{
	return load_with(out, root, stage_path, dv_read_listed_file);
}

/* ---- writing --------------------------------------------------------- */

static int put_value(dv_buf *out, const dv_stage *st, const char *key, const char *value)
{
	size_t start = out->len;

	dv_buf_printf(out, "%s = ", key);
	dv_ini_quote_value(out, value);
	if (out->len - start > DV_INI_MAX_LINE) {
		size_t n = out->len - start;
		if (!strcmp(key, "path") || !strcmp(key, "file"))
			return dv_error(DV_ERROR, "cannot write '%s': path '%s' does not fit on one "
					"line (%zu bytes with '%s = ', at most %d); use a shorter path",
					st->path, value, n, key, DV_INI_MAX_LINE);
		return dv_error(DV_ERROR, "cannot write '%s': the value of '%s' does not fit on "
				"one line (%zu bytes, at most %d)", st->path, key, n, DV_INI_MAX_LINE);
	}
	dv_buf_putc(out, '\n');
	return 0;
}

/* A split point: one space between two non-blank bytes, not followed by a
 * byte that would make the continuation line a comment. */
static bool is_fold_point(const char *s, size_t i)
{
	return s[i] == ' ' && i > 0 && s[i - 1] != ' ' && s[i + 1] && s[i + 1] != ' ' &&
	       s[i + 1] != '#' && s[i + 1] != ';';
}

static int put_folded(dv_buf *out, const dv_stage *st, const char *key, const char *value)
{
	dv_buf q = DV_BUF_INIT;
	size_t line_len, i = 0;
	int rc = 0;

	dv_ini_quote_value(&q, value);
	dv_buf_printf(out, "%s = ", key);
	line_len = strlen(key) + 3;
	while (i < q.len) {
		size_t j = i;
		while (j < q.len && !is_fold_point(q.ptr, j))
			j++;
		/* the word q[i, j) goes on this line or starts the next one */
		if (i > 0 && line_len + 1 + (j - i) > DV_STAGE_FOLD_WIDTH) {
			dv_buf_puts(out, "\n  ");
			line_len = 2;
		} else if (i > 0) {
			dv_buf_putc(out, ' ');
			line_len++;
		}
		if (line_len + (j - i) > DV_INI_MAX_LINE) {
			rc = dv_error(DV_ERROR, "cannot write '%s': %s holds a word of %zu bytes, too "
				      "long for one line of a .stage file (at most %d); move the "
				      "command into a script", st->path, key, j - i,
				      DV_INI_MAX_LINE - (int)line_len);
			goto done;
		}
		dv_buf_add(out, q.ptr + i, j - i);
		line_len += j - i;
		i = j < q.len ? j + 1 : j;
	}
	dv_buf_putc(out, '\n');
done:
	dv_buf_free(&q);
	return rc;
}

static void put_u64(dv_buf *out, const char *key, uint64_t v)
{
	dv_buf_printf(out, "%s = %" PRIu64 "\n", key, v);
}

static void put_section(dv_buf *out, const char *name)
{
	if (out->len)
		dv_buf_putc(out, '\n');
	dv_buf_printf(out, "[%s]\n", name);
}

static int put_plot_props(dv_buf *out, const dv_stage *st, const dv_plot_props *p)
{
	const char *const keys[] = { "template", "x", "title", "x_label", "y_label" };
	int rc;

	if (!p)
		return 0;
	for (int k = 0; k < 5; k++) {
		const char *v = k == 0 ? p->template : k == 1 ? p->x : k == 2 ? p->title :
				k == 3 ? p->x_label : p->y_label;
		if (k == 2) /* canonical order: template, x, y..., title, x_label, y_label */
			for (size_t i = 0; i < p->y.n; i++)
				if ((rc = put_value(out, st, "y", p->y.v[i])) < 0)
					return rc;
		if (v && (rc = put_value(out, st, keys[k], v)) < 0)
			return rc;
	}
	return 0;
}

static int put_file_entry(dv_buf *out, const dv_stage *st, const char *section, const dv_stage_file *f,
			  bool is_out)
{
	char hash[64];
	int rc;

	if ((rc = dv_stage_check_entry_path(st, f->path)) < 0)
		return dv_error_wrap(rc, "cannot write '%s'", st->path);
	put_section(out, section);
	if ((rc = put_value(out, st, "path", f->path)) < 0)
		return rc;
	if (is_out) {
		if (!f->cache)
			dv_buf_puts(out, "cache = false\n");
		if (f->persist)
			dv_buf_puts(out, "persist = true\n");
		if (f->metric)
			dv_buf_puts(out, "metric = true\n");
		if (f->plot)
			dv_buf_puts(out, "plot = true\n");
		if (f->plot && (rc = put_plot_props(out, st, f->plot_props)) < 0)
			return rc;
	}
	if (f->has_hash) {
		dv_hash_format(hash, sizeof(hash), &f->hash, f->is_dir);
		dv_buf_printf(out, "hash = %s\n", hash);
	}
	if (f->has_size)
		put_u64(out, "size", f->size);
	if (f->has_files)
		put_u64(out, "files", f->files);
	return 0;
}

static int put_stage_section(dv_buf *out, const dv_stage *st)
{
	int rc;

	if (!st->cmd || !*st->cmd)
		return dv_error(DV_ERROR, "cannot write '%s': a command stage needs a cmd", st->path);
	put_section(out, "stage");
	if ((rc = put_folded(out, st, "cmd", st->cmd)) < 0)
		return rc;
	if (st->desc && *st->desc && (rc = put_folded(out, st, "desc", st->desc)) < 0)
		return rc;
	dv_buf_printf(out, "always_changed = %s\n", st->always_changed ? "true" : "false");
	dv_buf_printf(out, "frozen = %s\n", st->frozen ? "true" : "false");
	if (st->has_def_hash) {
		char hash[64];
		dv_hash_format(hash, sizeof(hash), &st->def_hash, false);
		dv_buf_printf(out, "hash = %s\n", hash);
	}
	return 0;
}

static int put_param(dv_buf *out, const dv_stage *st, const dv_stage_param *p)
{
	int rc;

	if ((rc = dv_stage_check_entry_path(st, p->file)) < 0)
		return dv_error_wrap(rc, "cannot write '%s'", st->path);
	if (!p->key || !*p->key)
		return dv_error(DV_ERROR, "cannot write '%s': a param of '%s' has no key", st->path, p->file);
	put_section(out, "param");
	if ((rc = put_value(out, st, "file", p->file)) < 0 || (rc = put_value(out, st, "key", p->key)) < 0)
		return rc;
	if (p->value && (rc = put_value(out, st, "value", p->value)) < 0)
		return rc;
	return 0;
}

static int put_source(dv_buf *out, const dv_stage *st)
{
	const dv_stage_source *src = st->source;
	int rc;

	put_section(out, "source");
	if ((rc = put_value(out, st, "url", src->url)) < 0)
		return rc;
	if (!src->path) { /* a URL */
		if (src->etag && (rc = put_value(out, st, "etag", src->etag)) < 0)
			return rc;
		if (src->has_size)
			dv_buf_printf(out, "size = %llu\n", (unsigned long long)src->size);
		if (src->has_mtime)
			dv_buf_printf(out, "mtime = %lld\n", (long long)src->mtime);
		return 0;
	}
	if (src->rev && (rc = put_value(out, st, "rev", src->rev)) < 0)
		return rc;
	if (src->rev_lock && (rc = put_value(out, st, "rev_lock", src->rev_lock)) < 0)
		return rc;
	return put_value(out, st, "path", src->path);
}

int dv_stage_serialize(dv_buf *out, const dv_stage *st)
{
	bool command = st->is_command || st->cmd;
	int rc = 0;

	dv_buf_reset(out);
	if (!command && (st->deps.n || st->params.n))
		return dv_error(DV_ERROR, "cannot write '%s': deps and params need a command stage",
				st->path);
	if (command && st->source)
		return dv_error(DV_ERROR, "cannot write '%s': [source] belongs to imported data, not "
				"to a command stage", st->path);
	if (command && (rc = put_stage_section(out, st)) < 0)
		return rc;
	if (st->source && (rc = put_source(out, st)) < 0)
		return rc;
	for (int k = 0, first = 1; command && k < DV_SLURM_KEYS; k++) {
		if (!st->slurm[k])
			continue;
		if (first)
			put_section(out, "slurm");
		first = 0;
		if ((rc = put_value(out, st, dv_stage_slurm_keys[k], st->slurm[k])) < 0)
			return rc;
	}
	for (size_t i = 0; i < st->deps.n; i++)
		if ((rc = put_file_entry(out, st, "dep", dv_stage_dep(st, i), false)) < 0)
			return rc;
	for (size_t i = 0; i < st->params.n; i++)
		if ((rc = put_param(out, st, dv_stage_param_at(st, i))) < 0)
			return rc;
	for (size_t i = 0; i < st->outs.n; i++)
		if ((rc = put_file_entry(out, st, "out", dv_stage_out(st, i), true)) < 0)
			return rc;
	if (!out->len)
		return dv_error(DV_ERROR, "cannot write '%s': a stage needs a cmd or an out", st->path);
	return 0;
}

/* A killed `dv add` can leave .NAME.stage.tmp-* beside a .stage file;
 * the next write into that directory removes those of dead writers or
 * older than an hour.  Best effort: a failure only leaves them. */
static void sweep_stale_tmp(const char *stage_path)
{
	char *dir = dv_path_dirname(stage_path);
	size_t removed;
	if (dv_tmpfile_sweep(&removed, dir, ".stage", dv_now_ns() - DV_STALE_TMP_NS) < 0)
		dv_error_clear();
	free(dir);
}

int dv_stage_save(const dv_stage *st, const char *root)
{
	dv_buf text = DV_BUF_INIT, path = DV_BUF_INIT;
	int rc;

	if ((rc = dv_stage_serialize(&text, st)) < 0)
		goto done;
	dv_path_join(&path, root, st->path);
	sweep_stale_tmp(path.ptr);
	rc = dv_write_file_atomic(path.ptr, text.ptr, text.len, 0644);
done:
	dv_buf_free(&text);
	dv_buf_free(&path);
	return rc;
}
