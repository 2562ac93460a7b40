/*
 * json_out.c - the streaming JSON writer (json_out.h): indentation as
 * jansson's JSON_INDENT(2), numbers as given.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/json_out.h"

void dv_json_init(dv_json_writer *w, dv_buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static void newline(dv_json_writer *w)
{
	dv_buf_putc(w->out, '\n');
	for (int i = 0; i < w->depth; i++)
		dv_buf_puts(w->out, "  ");
}

/* Separator and indentation before a value or key at the current level. */
static void before_item(dv_json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->has_items[w->depth])
		dv_buf_puts(w->out, w->inline_[w->depth] ? ", " : ",");
	if (!w->inline_[w->depth])
		newline(w);
	w->has_items[w->depth] = true;
}

static void open_level(dv_json_writer *w, char c, bool one_line)
{
	before_item(w);
	dv_buf_putc(w->out, c);
	if (w->depth + 1 < DV_JSON_MAX_DEPTH)
		w->depth++;
	w->has_items[w->depth] = false;
	w->inline_[w->depth] = one_line || (w->depth > 0 && w->inline_[w->depth - 1]);
}

static void close_level(dv_json_writer *w, char c)
{
	bool had = w->has_items[w->depth], one_line = w->inline_[w->depth];
	if (w->depth > 0)
		w->depth--;
	if (had && !one_line)
		newline(w);
	dv_buf_putc(w->out, c);
}

void dv_json_object_begin(dv_json_writer *w)
{
	open_level(w, '{', false);
}

void dv_json_object_end(dv_json_writer *w)
{
	close_level(w, '}');
}

void dv_json_array_begin(dv_json_writer *w, bool one_line)
{
	open_level(w, '[', one_line);
}

void dv_json_array_end(dv_json_writer *w)
{
	close_level(w, ']');
}

static void put_string(dv_buf *out, const char *s)
{
	dv_buf_putc(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			dv_buf_printf(out, "\\%c", c);
		else if (c == '\n')
			dv_buf_puts(out, "\\n");
		else if (c == '\t')
			dv_buf_puts(out, "\\t");
		else if (c == '\r')
			dv_buf_puts(out, "\\r");
		else if (c < 0x20)
			dv_buf_printf(out, "\\u%04x", c);
		else
			dv_buf_putc(out, (char)c);
	}
	dv_buf_putc(out, '"');
}

void dv_json_key(dv_json_writer *w, const char *key)
{
	before_item(w);
	put_string(w->out, key);
	dv_buf_puts(w->out, ": ");
	w->after_key = true;
}

void dv_json_string(dv_json_writer *w, const char *s)
{
	before_item(w);
	if (s)
		put_string(w->out, s);
	else
		dv_buf_puts(w->out, "null");
}

void dv_json_raw(dv_json_writer *w, const char *text)
{
	before_item(w);
	dv_buf_puts(w->out, text);
}

void dv_json_number(dv_json_writer *w, double v)
{
	char s[40];
	int p = 15;

	before_item(w);
	if (!isfinite(v)) {
		dv_buf_puts(w->out, "null");
		return;
	}
	for (; p < 17; p++) {
		snprintf(s, sizeof(s), "%.*g", p, v);
		if (strtod(s, NULL) == v)
			break;
	}
	snprintf(s, sizeof(s), "%.*g", p, v == 0 ? 0 : v);
	dv_buf_puts(w->out, s);
}

void dv_json_finish(dv_json_writer *w)
{
	dv_buf_putc(w->out, '\n');
}
