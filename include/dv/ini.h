/*
 * ini.h - the one way dv reads and writes INI text (.stage files, config):
 * the system inih driven line by line behind checks that keep its compiled-in
 * limits from mangling input silently, and the value quoting that survives
 * inih's comment and blank stripping.
 *
 * inih (Debian's r55) cuts lines over 199 bytes and parses the rest as a new
 * line, cuts section names over 49 bytes, strips an inline comment that
 * starts with ';' after a blank, and treats an indented line as the
 * continuation of the previous key.  dv_ini_parse feeds inih one checked line
 * at a time and mirrors its classification of each line, so a callback knows
 * the exact line number, whether the line is a continuation, whether a new
 * section header started (even one repeating the previous section's name),
 * and whether inih cut an inline comment off the value.
 */
#ifndef DV_INI_H
#define DV_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "dv/buf.h"

/* inih hands over at most 199 bytes of a line (200 with the newline). */
#define DV_INI_MAX_LINE 199
/* inih keeps at most 49 bytes of a section name. */
#define DV_INI_MAX_SECTION 49

typedef struct {
	const char *section; /* verbatim, as inih keeps it: remote "origin" */
	const char *name;    /* NULL for the event of a section header */
	const char *value;   /* trimmed, inline comment cut off, still quoted */
	int line;            /* 1-based line number */
	bool continuation;   /* an indented line continuing the previous key */
	bool comment_cut;    /* inih cut a "; ..." inline comment off the value */
	unsigned section_serial; /* grows at every header, repeated names too */
	int section_line;    /* line of the current section header (0: none) */
} dv_ini_item;

/* Return 0, or a negative DV_E* after dv_error() with a message that does not
 * name the file or line: dv_ini_parse prefixes "cannot read 'NAME' line N". */
typedef int (*dv_ini_fn)(void *user, const dv_ini_item *item);

/* Indented lines are ordinary lines, never continuations (git-config style
 * files, where keys are often indented with a tab). */
#define DV_INI_NO_CONTINUATION 1u

/* Parse `text` (need not be NUL-terminated); `name` is the file named in
 * errors.  Calls `fn` for every section header (item->name == NULL) and
 * every key or continuation line, in order; stops at the first error. */
int dv_ini_parse(const char *name, const char *text, size_t len, unsigned flags,
		 dv_ini_fn fn, void *user);

/* Is the line [s, s+n) empty or all blanks, as the reader trims them
 * (isspace: a form feed or vertical tab is a blank too)? */
bool dv_ini_is_blank_line(const char *s, size_t n);

/* Does `value` have to be written quoted to reach a reader unchanged? */
bool dv_ini_value_needs_quoting(const char *value);
/* Append `value` as written after "key = ": as it is, or double-quoted with
 * C escapes (\" \\ \t \n \r \x3b for ';', \xHH for other control bytes). */
void dv_ini_quote_value(dv_buf *out, const char *value);
/* Append the value a reader means: a value that starts and ends with '"' is
 * unquoted, any other is taken as it is.  Fails on a bad escape. */
int dv_ini_unquote_value(dv_buf *out, const char *value);

/* Parse a boolean: true/false, yes/no, on/off, 1/0 (any case). */
int dv_ini_parse_bool(bool *out, const char *text);

#endif
