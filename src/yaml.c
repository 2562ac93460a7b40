/*
 * yaml.c - YAML text to jansson trees with libyaml's event parser, noting
 * on the way where one wanted value is written.
 *
 * One recursive walk over libyaml's events serves both reading and the
 * byte-exact edits of params files: each node knows its dotted path, and
 * the events' marks give the byte range the node was written in.  Editing
 * those bytes alone keeps every comment, blank line and key order of the
 * file, which no load-and-dump round trip through an emitter can.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dv/buf.h"
#include "dv/error.h"
#include "dv/yaml.h"

typedef struct {
	yaml_parser_t parser;
	yaml_event_t ev;
	const char *name;
	json_t *anchors;   /* anchor name -> node, for aliases */
	dv_buf path;       /* dotted path of the node being read */
	const char *want;  /* the path to locate, or NULL */
	dv_yaml_span *span;
	bool found;
	int depth;
} walker;

/* Nesting deeper than this is refused rather than risking the stack. */
#define MAX_DEPTH 256

static int parse_error(walker *w)
{
	const yaml_parser_t *p = &w->parser;
	if (p->context)
		return dv_error(DV_ERROR, "cannot read '%s' line %zu column %zu: %s %s", w->name,
				p->problem_mark.line + 1, p->problem_mark.column + 1, p->context,
				p->problem ? p->problem : "");
	return dv_error(DV_ERROR, "cannot read '%s' line %zu column %zu: %s", w->name, p->problem_mark.line + 1,
			p->problem_mark.column + 1, p->problem ? p->problem : "malformed YAML");
}

static int next_event(walker *w)
{
	yaml_event_delete(&w->ev);
	if (!yaml_parser_parse(&w->parser, &w->ev))
		return parse_error(w);
	return 0;
}

static bool all_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

/* YAML 1.2 core float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_float(const char *s)
{
	bool digits = false;
	if (*s == '+' || *s == '-')
		s++;
	while (isdigit((unsigned char)*s))
		s++, digits = true;
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s))
			s++, digits = true;
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return !*s;
}

static json_t *integer_or_real(const char *digits, int base, bool neg)
{
	char *end;
	errno = 0;
	long long v = strtoll(digits, &end, base);
	if (errno == 0 && !*end)
		return json_integer(neg ? -v : v);
	return json_real((neg ? -1 : 1) * strtod(digits, NULL)); /* too big for 64 bits */
}

/* The typed value of a plain scalar, by the core schema's rules. */
static json_t *plain_scalar(const char *s)
{
	const char *u = s + (*s == '+' || *s == '-');
	bool neg = *s == '-';

	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return json_null();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	if (all_digits(u, "0123456789"))
		return integer_or_real(u, 10, neg);
	if (!strncmp(s, "0o", 2) && all_digits(s + 2, "01234567"))
		return integer_or_real(s + 2, 8, false);
	if (!strncmp(s, "0x", 2) && all_digits(s + 2, "0123456789abcdefABCDEF"))
		return integer_or_real(s + 2, 16, false);
	if (is_float(s))
		return json_real(strtod(s, NULL));
	return json_string(s); /* .inf and .nan too: JSON cannot hold them */
}

static json_t *scalar_value(const yaml_event_t *e)
{
	const char *s = (const char *)e->data.scalar.value;
	const char *tag = (const char *)e->data.scalar.tag;
	json_t *v;

	if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && (!tag || strcmp(tag, YAML_STR_TAG))) {
		v = plain_scalar(s);
		if (v)
			return v;
	}
	v = json_stringn(s, e->data.scalar.length);
	/* Invalid UTF-8 (libyaml accepts some) cannot be a jansson string. */
	return v ? v : json_string("");
}

static void push_path(walker *w, const char *part)
{
	if (w->path.len)
		dv_buf_putc(&w->path, '.');
	dv_buf_puts(&w->path, part);
}

static int read_node(walker *w, json_t **out);

static int read_sequence(walker *w, json_t *arr)
{
	size_t len = w->path.len;
	int rc;

	for (size_t i = 0;; i++) {
		json_t *child = NULL;
		char idx[24];
		if ((rc = next_event(w)) < 0)
			return rc;
		if (w->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		snprintf(idx, sizeof(idx), "%zu", i);
		push_path(w, idx);
		rc = read_node(w, &child);
		dv_buf_truncate(&w->path, len);
		if (rc < 0)
			return rc;
		json_array_append_new(arr, child);
	}
}

static int read_mapping(walker *w, json_t *obj)
{
	size_t len = w->path.len;
	int rc;

	for (;;) {
		json_t *child = NULL;
		char *key;
		if ((rc = next_event(w)) < 0)
			return rc;
		if (w->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (w->ev.type != YAML_SCALAR_EVENT)
			return dv_error(DV_ERROR, "cannot read '%s' line %zu: a mapping key must be a plain value, "
					"not a list or mapping", w->name, w->ev.start_mark.line + 1);
		key = dv_strndup((const char *)w->ev.data.scalar.value, w->ev.data.scalar.length);
		if ((rc = next_event(w)) < 0) {
			free(key);
			return rc;
		}
		push_path(w, key);
		rc = read_node(w, &child);
		dv_buf_truncate(&w->path, len);
		if (rc == 0) {
			if (!strcmp(key, "<<") && json_is_object(child))
				json_object_update_missing(obj, child); /* a merge key */
			else
				json_object_set(obj, key, child);
		}
		json_decref(child);
		free(key);
		if (rc < 0)
			return rc;
	}
}

/* Read the node whose first event is w->ev; on return w->ev is its last. */
static int read_node(walker *w, json_t **out)
{
	const yaml_event_t *e = &w->ev;
	size_t start = e->start_mark.index, line = e->start_mark.line;
	bool quoted = false, scalar = false;
	char *anchor = NULL;
	json_t *v = NULL;
	int rc = 0;

	*out = NULL;
	if (++w->depth > MAX_DEPTH) {
		rc = dv_error(DV_ERROR, "cannot read '%s' line %zu: nested more than %d levels deep", w->name,
			      line + 1, MAX_DEPTH);
		goto done;
	}
	switch (e->type) {
	case YAML_ALIAS_EVENT:
		v = json_object_get(w->anchors, (const char *)e->data.alias.anchor);
		if (!v) {
			rc = dv_error(DV_ERROR, "cannot read '%s' line %zu: unknown alias '*%s'", w->name, line + 1,
				      (const char *)e->data.alias.anchor);
			goto done;
		}
		json_incref(v);
		break;
	case YAML_SCALAR_EVENT:
		scalar = true;
		quoted = e->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			 e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		if (e->data.scalar.anchor)
			anchor = dv_strdup((const char *)e->data.scalar.anchor);
		v = scalar_value(e);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (e->data.sequence_start.anchor)
			anchor = dv_strdup((const char *)e->data.sequence_start.anchor);
		v = json_array();
		rc = read_sequence(w, v);
		break;
	case YAML_MAPPING_START_EVENT:
		if (e->data.mapping_start.anchor)
			anchor = dv_strdup((const char *)e->data.mapping_start.anchor);
		v = json_object();
		rc = read_mapping(w, v);
		break;
	default:
		rc = dv_error(DV_ERROR, "cannot read '%s' line %zu: unexpected YAML event", w->name, line + 1);
		goto done;
	}
	if (rc < 0)
		goto done;
	if (anchor)
		json_object_set(w->anchors, anchor, v);
	if (w->want && !w->found && !strcmp(w->path.ptr ? w->path.ptr : "", w->want)) {
		w->found = true;
		w->span->start = start;
		w->span->end = w->ev.end_mark.index;
		w->span->quoted = quoted;
		w->span->scalar = scalar;
		w->span->line = (int)line + 1;
	}
	*out = v;
	v = NULL;
done:
	w->depth--;
	json_decref(v);
	free(anchor);
	return rc;
}

static int walk(walker *w, json_t **out, const char *name, const char *text, size_t len)
{
	json_t *root = NULL;
	int rc;

	*out = NULL;
	w->name = name;
	w->anchors = json_object();
	dv_buf_init(&w->path);
	dv_buf_puts(&w->path, "");
	if (!yaml_parser_initialize(&w->parser)) {
		json_decref(w->anchors);
		return dv_error(DV_ERROR, "cannot read '%s': out of memory", name);
	}
	yaml_parser_set_input_string(&w->parser, (const unsigned char *)text, len);
	if ((rc = next_event(w)) < 0 || (rc = next_event(w)) < 0) /* stream start, then a document? */
		goto done;
	if (w->ev.type == YAML_DOCUMENT_START_EVENT) {
		if ((rc = next_event(w)) < 0 || (rc = read_node(w, &root)) < 0)
			goto done;
	}
	if (!root || json_is_null(root)) {
		json_decref(root);
		root = json_object();
	}
	*out = root;
	root = NULL;
done:
	json_decref(root);
	yaml_event_delete(&w->ev);
	yaml_parser_delete(&w->parser);
	json_decref(w->anchors);
	dv_buf_free(&w->path);
	return rc;
}

int dv_yaml_load(json_t **out, const char *name, const char *text, size_t len)
{
	walker w;
	memset(&w, 0, sizeof(w));
	return walk(&w, out, name, text, len);
}

int dv_yaml_find(dv_yaml_span *out, const char *name, const char *text, size_t len, const char *key)
{
	json_t *root = NULL;
	walker w;
	int rc;

	memset(&w, 0, sizeof(w));
	memset(out, 0, sizeof(*out));
	w.want = key;
	w.span = out;
	rc = walk(&w, &root, name, text, len);
	json_decref(root);
	if (rc == 0 && !w.found)
		rc = dv_error(DV_ENOTFOUND, "param '%s' is not in '%s'", key, name);
	return rc;
}
