/*
 * json_out.h - a small streaming JSON writer onto a dv_buf, laid out as
 * jansson's JSON_INDENT(2) lays it out.
 *
 * jansson keeps a number only as a double, so dumping through it turns
 * 0.7243270189431705 into 0.724327018943171 (or 17 noisy digits); dv
 * promises --json keeps every digit of the input, so numbers go out as
 * the text they came in (dv_json_raw), or as the shortest text that reads
 * back as the double (dv_json_number).  Strings are escaped here.
 */
#ifndef DV_JSON_OUT_H
#define DV_JSON_OUT_H

#include <stdbool.h>

#include "dv/buf.h"

#define DV_JSON_MAX_DEPTH 32

typedef struct {
	dv_buf *out;
	int depth;
	bool has_items[DV_JSON_MAX_DEPTH]; /* per level: an item was written */
	bool inline_[DV_JSON_MAX_DEPTH];   /* per level: items on one line */
	bool after_key;
} dv_json_writer;

void dv_json_init(dv_json_writer *w, dv_buf *out);
void dv_json_object_begin(dv_json_writer *w);
void dv_json_object_end(dv_json_writer *w);
/* `one_line`: "[1, 2, 3]" (long number lists stay compact). */
void dv_json_array_begin(dv_json_writer *w, bool one_line);
void dv_json_array_end(dv_json_writer *w);
void dv_json_key(dv_json_writer *w, const char *key);
void dv_json_string(dv_json_writer *w, const char *s); /* NULL: null */
void dv_json_raw(dv_json_writer *w, const char *text); /* a number's text, true, null */
void dv_json_number(dv_json_writer *w, double v);      /* non-finite: null */
/* Ends the document with a newline. */
void dv_json_finish(dv_json_writer *w);

#endif
