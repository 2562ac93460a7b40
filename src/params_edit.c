/*
 * params_edit.c - set one param in a YAML, JSON or INI file, changing only
 * the bytes of its value.
 *
 * Experiments (`dv exp run -S train.lr=0.01`) and `dv params set` edit the
 * user's own params file, which holds comments, a chosen key order and
 * quoting a load-and-dump round trip would lose.  So each format locates the
 * value's bytes and splices the new text in: YAML through libyaml's marks
 * (dv_yaml_find), JSON through a small scanner over text jansson has
 * already accepted (jansson reports no positions), INI through the line
 * numbers dv_ini_parse reports.  The result is parsed again before it is
 * returned, so an edit can never leave a file dv cannot read.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/ini.h"
#include "dv/params.h"
#include "dv/yaml.h"

/* Can `s` be written as a plain YAML scalar that reads back as a string? */
static bool yaml_plain_ok(const char *s)
{
	if (!*s || !(isalnum((unsigned char)*s) || *s == '_' || *s == '/' || *s == '.'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_./+-@", *s))
			return false;
	return true;
}

/* The text `value` becomes in a YAML or JSON file.  A value that reads as
 * JSON other than a string (a number, true, false, null, a [list]) is
 * written as it is, since YAML's flow style reads JSON too; a string in
 * quotes where it was quoted before, or where it must be. */
static void format_value(dv_buf *out, const char *value, bool json, bool was_quoted)
{
	json_t *v = was_quoted ? NULL : json_loads(value, JSON_DECODE_ANY, NULL);

	if (v && !json_is_string(v)) {
		dv_buf_puts(out, value);
	} else if (!json && !was_quoted && yaml_plain_ok(value)) {
		dv_buf_puts(out, value);
	} else {
		json_t *s = json_string(value);
		char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
		dv_buf_puts(out, q ? q : "\"\"");
		free(q);
		json_decref(s);
	}
	json_decref(v);
}

static void splice(dv_buf *out, const char *text, size_t len, size_t start, size_t end, const dv_buf *with)
{
	dv_buf_add(out, text, start);
	dv_buf_add(out, with->ptr, with->len);
	dv_buf_add(out, text + end, len - end);
}

/* ---- JSON: where a value is written ------------------------------------ */

typedef struct {
	const char *t;
	size_t n, i;
	dv_buf path;
	const char *want;
	bool found, quoted;
	size_t start, end;
} json_scan;

static void skip_ws(json_scan *s)
{
	while (s->i < s->n && strchr(" \t\r\n", s->t[s->i]))
		s->i++;
}

static void skip_string(json_scan *s)
{
	for (s->i++; s->i < s->n && s->t[s->i] != '"'; s->i++)
		if (s->t[s->i] == '\\')
			s->i++;
	s->i++;
}

static void push_part(json_scan *s, const char *part)
{
	if (s->path.len)
		dv_buf_putc(&s->path, '.');
	dv_buf_puts(&s->path, part);
}

/* Text jansson accepted, so only the shape needs following. */
static void scan_value(json_scan *s)
{
	size_t len = s->path.len, start;
	char idx[24];

	skip_ws(s);
	start = s->i;
	if (s->i >= s->n)
		return;
	if (s->t[s->i] == '{' || s->t[s->i] == '[') {
		bool obj = s->t[s->i] == '{';
		char close = obj ? '}' : ']';
		s->i++;
		for (size_t k = 0;; k++) {
			skip_ws(s);
			if (s->i >= s->n || s->t[s->i] == close) {
				s->i++;
				break;
			}
			if (obj) {
				size_t ks = s->i;
				json_t *key;
				skip_string(s);
				key = json_loadb(s->t + ks, s->i - ks, JSON_DECODE_ANY, NULL);
				push_part(s, key && json_is_string(key) ? json_string_value(key) : "");
				json_decref(key);
				skip_ws(s);
				s->i++; /* ':' */
			} else {
				snprintf(idx, sizeof(idx), "%zu", k);
				push_part(s, idx);
			}
			scan_value(s);
			dv_buf_truncate(&s->path, len);
			skip_ws(s);
			if (s->i < s->n && s->t[s->i] == ',')
				s->i++;
		}
	} else if (s->t[s->i] == '"') {
		skip_string(s);
	} else {
		while (s->i < s->n && !strchr(",}] \t\r\n", s->t[s->i]))
			s->i++;
	}
	if (!s->found && !strcmp(s->path.ptr, s->want)) {
		s->found = true;
		s->start = start;
		s->end = s->i;
		s->quoted = s->t[start] == '"';
	}
}

static int edit_json(dv_buf *out, const char *name, const char *text, size_t len, const char *key,
		     const char *value)
{
	json_scan s = { text, len, 0, DV_BUF_INIT, key, false, false, 0, 0 };
	dv_buf with = DV_BUF_INIT;
	json_t *root = NULL;
	int rc;

	if ((rc = dv_params_load_tree(&root, DV_PARAMS_JSON, name, text, len)) < 0)
		return rc;
	json_decref(root);
	dv_buf_puts(&s.path, "");
	scan_value(&s);
	if (!s.found || !*key) {
		rc = dv_error(DV_ENOTFOUND, "param '%s' is not in '%s'; add it there first", key, name);
		goto done;
	}
	format_value(&with, value, true, s.quoted);
	splice(out, text, len, s.start, s.end, &with);
done:
	dv_buf_free(&s.path);
	dv_buf_free(&with);
	return rc;
}

/* ---- YAML --------------------------------------------------------------- */

static int edit_yaml(dv_buf *out, const char *name, const char *text, size_t len, const char *key,
		     const char *value)
{
	dv_buf with = DV_BUF_INIT;
	dv_yaml_span span;
	int rc;

	if ((rc = dv_yaml_find(&span, name, text, len, key)) < 0) {
		if (rc == DV_ENOTFOUND)
			rc = dv_error(DV_ENOTFOUND, "param '%s' is not in '%s'; add it there first", key, name);
		return rc;
	}
	format_value(&with, value, false, span.quoted);
	splice(out, text, len, span.start, span.end, &with);
	dv_buf_free(&with);
	return 0;
}

/* ---- INI ---------------------------------------------------------------- */

typedef struct {
	const char *key;
	int line;          /* of the last assignment of key */
	bool comment_cut;
	bool continued;    /* an indented line continues it */
} ini_find;

static int on_ini_item(void *user, const dv_ini_item *it)
{
	ini_find *f = user;
	size_t sl = strlen(it->section);
	bool match;

	if (!it->name)
		return 0;
	match = *it->section ? !strncmp(f->key, it->section, sl) && f->key[sl] == '.' &&
				       !strcmp(f->key + sl + 1, it->name)
			     : !strcmp(f->key, it->name);
	if (match && it->continuation && f->line) {
		f->continued = true;
	} else if (match) {
		f->line = it->line;
		f->comment_cut = it->comment_cut;
		f->continued = false;
	}
	return 0;
}

static int edit_ini(dv_buf *out, const char *name, const char *text, size_t len, const char *key,
		    const char *value)
{
	ini_find f = { key, 0, false, false };
	const char *p = text, *end = text + len, *eol, *vs, *ve;
	dv_buf with = DV_BUF_INIT;
	int rc;

	if ((rc = dv_ini_parse(name, text, len, 0, on_ini_item, &f)) < 0)
		return rc;
	if (!f.line)
		return dv_error(DV_ENOTFOUND, "param '%s' is not in '%s'; add it there first", key, name);
	if (f.continued)
		return dv_error(DV_ERROR, "param '%s' in '%s' line %d goes on over indented lines; edit it by hand",
				key, name, f.line);
	for (int l = 1; l < f.line; l++)
		p = memchr(p, '\n', (size_t)(end - p)) + 1;
	eol = memchr(p, '\n', (size_t)(end - p));
	eol = eol ? eol : end;
	vs = p + strcspn(p, "=:");
	for (vs++; vs < eol && (*vs == ' ' || *vs == '\t'); vs++)
		;
	ve = eol;
	if (f.comment_cut)
		for (const char *c = vs + 1; c < eol; c++)
			if (*c == ';' && (c[-1] == ' ' || c[-1] == '\t')) {
				ve = c;
				break;
			}
	while (ve > vs && strchr(" \t\r", ve[-1]))
		ve--;
	dv_ini_quote_value(&with, value);
	if ((size_t)(vs - p) + with.len + (size_t)(eol - ve) > DV_INI_MAX_LINE)
		rc = dv_error(DV_ERROR, "cannot set '%s' in '%s': line %d would be longer than the %d bytes inih reads",
			      key, name, f.line, DV_INI_MAX_LINE);
	else
		splice(out, text, len, (size_t)(vs - text), (size_t)(ve - text), &with);
	dv_buf_free(&with);
	return rc;
}

int dv_params_edit_text(dv_buf *out, const char *name, const char *text, size_t len, const char *key,
			const char *value)
{
	dv_params_format fmt;
	dv_params *check = NULL;
	size_t start = out->len;
	int rc;

	if ((rc = dv_params_format_of(&fmt, name)) < 0)
		return rc;
	if (fmt == DV_PARAMS_YAML)
		rc = edit_yaml(out, name, text, len, key, value);
	else if (fmt == DV_PARAMS_JSON)
		rc = edit_json(out, name, text, len, key, value);
	else
		rc = edit_ini(out, name, text, len, key, value);
	if (rc == 0 && (rc = dv_params_parse(&check, name, out->ptr + start, out->len - start)) < 0)
		rc = dv_error_wrap(rc, "setting '%s' to '%s' would break '%s'", key, value, name);
	dv_params_free(check);
	if (rc < 0)
		dv_buf_truncate(out, start);
	return rc;
}

int dv_params_edit_file(const char *path, const char *name, const char *key, const char *value)
{
	dv_buf text = DV_BUF_INIT, out = DV_BUF_INIT;
	struct stat st;
	int rc;

	if ((rc = dv_read_file(&text, path)) < 0)
		goto done;
	if ((rc = dv_params_edit_text(&out, name, text.ptr, text.len, key, value)) < 0)
		goto done;
	rc = dv_write_file_atomic(path, out.ptr, out.len, stat(path, &st) == 0 ? st.st_mode & 07777 : 0644);
done:
	dv_buf_free(&text);
	dv_buf_free(&out);
	return rc;
}
