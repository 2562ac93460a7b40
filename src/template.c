/*
 * template.c - foreach/[matrix] stage templates and their instances.
 *
 * A template is recognised while its text is read: the template lines are
 * turned into comments and what remains is an ordinary stage text with
 * ${item} placeholders.  Each instance substitutes its item into that text
 * and is parsed as the stage NAME@ITEM.stage, so it is a stage like any
 * other for the graph, status, repro and the commands that write state;
 * its own file, when repro or commit wrote one, only lends the recorded
 * hashes and values (dv_stage_carry_over).  Substituting text rather than
 * copying parsed fields keeps every key a .stage file may hold, present
 * or future, working in templates without code here.
 */
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/ini.h"
#include "dv/stage.h"
#include "dv/staleness.h"
#include "dv/template.h"
#include "dv/workspace.h"

void dv_stage_template_free(dv_stage_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->lists.n; i++)
		dv_strvec_free(dv_vec_at(&t->lists, dv_strvec, i));
	dv_vec_free(&t->lists);
	dv_strvec_free(&t->keys);
	free(t->text);
	free(t);
}

/* ---- reading the template part -------------------------------------------- */

typedef struct {
	dv_vec lines;      /* int: lines to comment out */
	dv_strvec keys;    /* matrix keys ("" for foreach) */
	dv_strvec raw;     /* their lists as written, continuations joined */
	int matrix_line, foreach_line;
} strip_ctx;

static void note_line(strip_ctx *c, int line)
{
	*(int *)dv_vec_push(&c->lines) = line;
}

static int on_strip_item(void *user, const dv_ini_item *it)
{
	strip_ctx *c = user;
	bool matrix = !strcmp(it->section, "matrix"), stage = !strcmp(it->section, "stage");

	if (!it->name) {
		if (matrix && c->matrix_line)
			return dv_error(DV_ERROR, "a second [matrix] section (the first is on line %d)", c->matrix_line);
		if (matrix) {
			c->matrix_line = it->line;
			note_line(c, it->line);
		}
		return 0;
	}
	if (!matrix && !(stage && !strcmp(it->name, "foreach")))
		return 0;
	note_line(c, it->line);
	if (it->continuation && c->raw.n) {
		char *joined = dv_asprintf("%s %s", c->raw.v[c->raw.n - 1], it->value);
		free(c->raw.v[c->raw.n - 1]);
		c->raw.v[c->raw.n - 1] = joined;
		return 0;
	}
	if (!matrix) {
		if (c->foreach_line)
			return dv_error(DV_ERROR, "'foreach' is set twice in [stage]");
		c->foreach_line = it->line;
	} else if (dv_strvec_contains(&c->keys, it->name)) {
		return dv_error(DV_ERROR, "'%s' is set twice in [matrix]", it->name);
	}
	dv_strvec_push(&c->keys, matrix ? it->name : "");
	dv_strvec_push(&c->raw, it->value);
	return 0;
}

static bool item_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("._+-", ch);
}

/* "a, b, c" or "[a, b, c]", items optionally quoted. */
static int split_list(dv_strvec *out, const char *what, const char *raw)
{
	char *s = dv_strdup(raw), *p = s, *end;
	int rc = 0;

	p += strspn(p, " \t");
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*p == '[' && end > p && end[-1] == ']') {
		p++;
		*--end = '\0';
	}
	for (char *save = NULL, *t = strtok_r(p, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save)) {
		char *e;
		t += strspn(t, " \t");
		e = t + strlen(t);
		while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (e - t >= 2 && (*t == '"' || *t == '\'') && e[-1] == *t) {
			*--e = '\0';
			t++;
		}
		if (!*t) {
			rc = dv_error(DV_ERROR, "%s has an empty item", what);
			break;
		}
		for (const char *ch = t; *ch && rc == 0; ch++)
			if (!item_char_ok(*ch))
				rc = dv_error(DV_ERROR, "%s item '%s' holds '%c': items are letters, digits, '.', "
					      "'_', '+' and '-' (they become part of stage and file names)", what, t, *ch);
		if (rc == 0 && dv_strvec_contains(out, t))
			rc = dv_error(DV_ERROR, "%s lists '%s' twice", what, t);
		if (rc == 0)
			dv_strvec_push(out, t);
	}
	if (rc == 0 && !out->n)
		rc = dv_error(DV_ERROR, "%s is empty", what);
	free(s);
	return rc;
}

int dv_template_strip(dv_stage_template **out, dv_buf *stripped, const char *stage_path, const char *text,
		      size_t len)
{
	strip_ctx c = { DV_VEC_INIT(int), DV_STRVEC_INIT, DV_STRVEC_INIT, 0, 0 };
	dv_stage_template *t = NULL;
	int rc;

	*out = NULL;
	/* Cheap test first: most .stage files are no template. */
	if (!memmem(text, len, "[matrix]", 8) && !memmem(text, len, "foreach", 7))
		return 0;
	if ((rc = dv_ini_parse(stage_path, text, len, 0, on_strip_item, &c)) < 0 || !c.lines.n)
		goto done;
	if (c.matrix_line && c.foreach_line) {
		rc = dv_error(DV_ERROR, "cannot read '%s' line %d: a stage has either 'foreach' or a [matrix], "
			      "not both", stage_path, c.foreach_line);
		goto done;
	}
	if (c.matrix_line && !c.keys.n) {
		rc = dv_error(DV_ERROR, "cannot read '%s' line %d: [matrix] is empty; give each key a list, "
			      "e.g. 'model = cnn, xgb'", stage_path, c.matrix_line);
		goto done;
	}
	t = dv_calloc(1, sizeof(*t));
	t->lists = (dv_vec)DV_VEC_INIT(dv_strvec);
	for (size_t i = 0; i < c.keys.n && rc == 0; i++) {
		dv_strvec *items = dv_vec_push(&t->lists);
		char *what = *c.keys.v[i] ? dv_asprintf("[matrix] %s", c.keys.v[i]) : dv_strdup("foreach");
		*items = (dv_strvec)DV_STRVEC_INIT;
		if ((rc = split_list(items, what, c.raw.v[i])) < 0)
			rc = dv_error_wrap(rc, "cannot read '%s'", stage_path);
		if (*c.keys.v[i])
			dv_strvec_push(&t->keys, c.keys.v[i]);
		free(what);
	}
	if (rc < 0)
		goto done;
	/* Comment the template lines out: line numbers stay as they were. */
	dv_buf_add(stripped, text, len);
	for (size_t i = 0; i < c.lines.n; i++) {
		int want = *dv_vec_at(&c.lines, int, i), line = 1;
		char *p = stripped->ptr, *e = stripped->ptr + stripped->len;
		while (line < want && p < e) {
			char *nl = memchr(p, '\n', (size_t)(e - p));
			p = nl ? nl + 1 : e;
			line++;
		}
		p += strspn(p, " \t");
		if (p < e)
			*p = ';';
	}
	t->text = dv_strndup(stripped->ptr, stripped->len);
	t->len = stripped->len;
	*out = t;
	t = NULL;
done:
	dv_stage_template_free(t);
	dv_vec_free(&c.lines);
	dv_strvec_free(&c.keys);
	dv_strvec_free(&c.raw);
	return rc;
}

/* ---- instances ------------------------------------------------------------ */

/* The template text with ${item} / ${item.KEY} replaced; other ${...}
 * (params, shell variables) are left for later. */
static int substitute(dv_buf *out, const dv_stage *tmpl, const dv_strvec *names, const char *const *values)
{
	const dv_stage_template *t = tmpl->tmpl;
	const char *p = t->text, *end = t->text + t->len;

	dv_buf_reset(out);
	while (p < end) {
		const char *close;
		size_t i, n;
		if (p + 6 > end || memcmp(p, "${item", 6) || (p[6] != '}' && p[6] != '.') ||
		    !(close = memchr(p, '}', (size_t)(end - p)))) {
			dv_buf_putc(out, *p++);
			continue;
		}
		n = (size_t)(close - p - 2);
		for (i = 0; i < names->n; i++)
			if (strlen(names->v[i]) == n && !memcmp(names->v[i], p + 2, n))
				break;
		if (i == names->n)
			return dv_error(DV_ERROR, "'%s' uses '%.*s', which its %s does not define", tmpl->path,
					(int)(close - p + 1), p, t->keys.n ? "[matrix]" : "foreach (use ${item})");
		dv_buf_puts(out, values[i]);
		p = close + 1;
	}
	return 0;
}

int dv_stage_template_expand(dv_vec *out, const dv_stage *tmpl)
{
	const dv_stage_template *t = tmpl->tmpl;
	size_t nkeys = t->lists.n, *at = dv_calloc(nkeys, sizeof(size_t));
	const char **values = dv_calloc(nkeys, sizeof(char *));
	dv_strvec names = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT, suffix = DV_BUF_INIT, path = DV_BUF_INIT;
	int rc = 0;

	for (size_t k = 0; k < nkeys; k++) {
		if (t->keys.n)
			dv_strvec_push_take(&names, dv_asprintf("item.%s", t->keys.v[k]));
		else
			dv_strvec_push(&names, "item");
	}
	for (;;) {
		dv_stage *inst = NULL;
		dv_buf_reset(&suffix);
		for (size_t k = 0; k < nkeys; k++) {
			values[k] = dv_vec_at(&t->lists, dv_strvec, k)->v[at[k]];
			dv_buf_printf(&suffix, "%s%s", k ? "-" : "", values[k]);
		}
		dv_buf_reset(&path);
		dv_buf_printf(&path, "%s%s%s@%s%s", tmpl->dir, *tmpl->dir ? "/" : "", tmpl->name, suffix.ptr,
			      DV_STAGE_SUFFIX);
		if ((rc = substitute(&text, tmpl, &names, values)) < 0 ||
		    (rc = dv_stage_parse(&inst, path.ptr, text.ptr, text.len)) < 0) {
			rc = dv_error_wrap(rc, "instance '%s@%s' of '%s'", tmpl->name, suffix.ptr, tmpl->path);
			break;
		}
		*(dv_stage **)dv_vec_push(out) = inst;
		/* The next combination, the last key varying fastest. */
		size_t k = nkeys;
		while (k > 0 && ++at[k - 1] == dv_vec_at(&t->lists, dv_strvec, k - 1)->n)
			at[--k] = 0;
		if (k == 0)
			break;
	}
	free(at);
	free(values);
	dv_strvec_free(&names);
	dv_buf_free(&text);
	dv_buf_free(&suffix);
	dv_buf_free(&path);
	return rc;
}

bool dv_stage_is_instance_of(const dv_stage *st, const char *tmpl_path)
{
	const char *at = strchr(st->name, '@');
	size_t dl = strlen(st->dir), nl;

	if (!at)
		return false;
	nl = (size_t)(at - st->name);
	if (dl && (strncmp(tmpl_path, st->dir, dl) || tmpl_path[dl] != '/'))
		return false;
	tmpl_path += dl ? dl + 1 : 0;
	return !strncmp(tmpl_path, st->name, nl) && !strcmp(tmpl_path + nl, DV_STAGE_SUFFIX);
}

static int cmp_stage_path(const void *a, const void *b)
{
	return strcmp((*(dv_stage *const *)a)->path, (*(dv_stage *const *)b)->path);
}

int dv_stages_expand_templates(dv_vec *stages)
{
	dv_vec out = DV_VEC_INIT(dv_stage *), byname = DV_VEC_INIT(dv_stage *);
	bool any = false, *keep;
	int rc = 0;

	for (size_t i = 0; i < stages->n && !any; i++)
		any = (*dv_vec_at(stages, dv_stage *, i))->tmpl != NULL;
	if (!any)
		return 0;
	/* State files by path, for the instances to find theirs. */
	for (size_t i = 0; i < stages->n; i++) {
		dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		if (!st->tmpl && strchr(st->name, '@'))
			*(dv_stage **)dv_vec_push(&byname) = st;
	}
	if (byname.n > 1)
		qsort(byname.items, byname.n, sizeof(dv_stage *), cmp_stage_path);
	for (size_t i = 0; i < stages->n && rc == 0; i++) {
		dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		size_t first = out.n;
		if (!st->tmpl)
			continue;
		if ((rc = dv_stage_template_expand(&out, st)) < 0)
			break;
		for (size_t j = first; j < out.n; j++) {
			dv_stage *inst = *dv_vec_at(&out, dv_stage *, j);
			dv_stage *const *state = byname.n ? bsearch(&inst, byname.items, byname.n, sizeof(dv_stage *), cmp_stage_path) : NULL;
			if (state) {
				dv_stage_carry_over(inst, *state);
				inst->frozen |= (*state)->frozen; /* dv freeze NAME@ITEM */
			}
		}
	}
	/* Keep the ordinary stages; templates and their state files go
	 * (decided for all before any is freed). */
	keep = dv_calloc(stages->n + 1, sizeof(bool));
	for (size_t i = 0; i < stages->n; i++) {
		dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		keep[i] = !st->tmpl;
		for (size_t j = 0; j < stages->n && keep[i] && strchr(st->name, '@'); j++) {
			dv_stage *t = *dv_vec_at(stages, dv_stage *, j);
			keep[i] = !(t->tmpl && dv_stage_is_instance_of(st, t->path));
		}
	}
	for (size_t i = 0; i < stages->n; i++) {
		dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		if (rc == 0 && keep[i])
			*(dv_stage **)dv_vec_push(&out) = st;
		else
			dv_stage_free(st);
	}
	free(keep);
	if (rc < 0)
		dv_stages_free(&out);
	stages->n = 0;
	dv_vec_free(stages);
	*stages = out;
	if (stages->n > 1)
		qsort(stages->items, stages->n, sizeof(dv_stage *), cmp_stage_path);
	dv_vec_free(&byname);
	return rc;
}
