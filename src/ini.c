/*
 * ini.c - inih behind a line reader that checks every line before inih sees
 * it, and the value quoting shared by every INI writer in dv.
 *
 * The reader hands inih one line per call (without its newline, which inih
 * would strip anyway), so a 199-byte line never spills its newline into a
 * phantom next line and line numbers stay exact.  While handing a line over
 * it classifies it exactly as inih r55 will (comment, continuation, section
 * header, key), because inih cannot tell its handler about a repeated section
 * header or a continuation: the handler would otherwise see `[out] path=a`
 * `[out] path=b` as one section, and a continuation as a duplicate key.
 * Syntax errors are caught here too, so every message names what is wrong
 * rather than only a line number.
 */
#include <ctype.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "dv/error.h"
#include "dv/ini.h"

typedef struct {
	const char *name;
	const char *text;
	size_t len;
	size_t pos;
	unsigned flags;
	dv_ini_fn fn;
	void *user;
	int line;
	bool prev_key; /* inih's prev_name is set: indented lines continue it */
	dv_ini_item cur;
	char section[DV_INI_MAX_SECTION + 1];
	bool failed;
	int code;
} ini_run;

static bool is_blank(char c)
{
	return isspace((unsigned char)c) != 0;
}

bool dv_ini_is_blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank(s[i]))
			return false;
	return true;
}

/* inih's find_chars_or_comment: the first of `chars`, or an inline ';'
 * comment (a ';' right after whitespace), or the end. */
static const char *find_chars_or_comment(const char *s, const char *e, const char *chars)
{
	bool was_space = false;
	for (; s < e; s++) {
		if (chars && strchr(chars, *s))
			break;
		if (was_space && *s == ';')
			break;
		was_space = is_blank(*s);
	}
	return s;
}

static int run_fail(ini_run *r, int code)
{
	r->failed = true;
	r->code = dv_error_wrap(code, "cannot read '%s' line %d", r->name, r->line);
	return code;
}

/* Classify the line [s, e) as inih will, checking what inih would mangle. */
static int classify_line(ini_run *r, const char *s, const char *e)
{
	const char *start = s, *end = e;

	r->cur.continuation = false;
	r->cur.comment_cut = false;
	r->cur.line = r->line;
	if (r->line == 1 && e - s >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		start = s += 3;
	while (start < end && is_blank(*start))
		start++;
	while (end > start && is_blank(end[-1]))
		end--;
	if (start == end || *start == ';' || *start == '#')
		return 0;
	if (r->prev_key && start > s && !(r->flags & DV_INI_NO_CONTINUATION)) {
		r->cur.continuation = true;
		r->cur.comment_cut = find_chars_or_comment(start, end, NULL) < end;
		return 0;
	}
	if (*start == '[') {
		const char *close = find_chars_or_comment(start + 1, end, "]");
		size_t n = (size_t)(close - start - 1);
		const char *rest;
		if (close == end || *close != ']')
			return dv_error(DV_ERROR, "missing ']' at the end of the section header");
		for (rest = close + 1; rest < end && is_blank(*rest); rest++)
			;
		if (rest < end && *rest != ';')
			return dv_error(DV_ERROR, "unexpected text after the section header's ']'");
		if (n > DV_INI_MAX_SECTION)
			return dv_error(DV_ERROR, "section name '%.*s' is longer than %d bytes",
					(int)n, start + 1, DV_INI_MAX_SECTION);
		memcpy(r->section, start + 1, n);
		r->section[n] = '\0';
		r->prev_key = false;
		r->cur.section_serial++;
		r->cur.section_line = r->line;
		r->cur.section = r->section;
		r->cur.name = NULL;
		r->cur.value = NULL;
		return r->fn(r->user, &r->cur);
	}
	{
		const char *eq = find_chars_or_comment(start, end, "=:");
		if (eq == end || (*eq != '=' && *eq != ':'))
			return dv_error(DV_ERROR, "expected 'key = value' or a '[section]' header");
		r->cur.comment_cut = find_chars_or_comment(eq + 1, end, NULL) < end;
		/* inih remembers an empty name as no name: nothing continues it. */
		r->prev_key = eq > start;
	}
	return 0;
}

static char *reader(char *str, int num, void *stream)
{
	ini_run *r = stream;
	const char *s, *nl, *e;
	size_t n;
	int rc;

	if (r->failed || r->pos >= r->len)
		return NULL;
	s = r->text + r->pos;
	nl = memchr(s, '\n', r->len - r->pos);
	e = nl ? nl : r->text + r->len;
	r->pos = nl ? (size_t)(nl + 1 - r->text) : r->len;
	if (e > s && e[-1] == '\r')
		e--;
	r->line++;
	n = (size_t)(e - s);
	if (n > DV_INI_MAX_LINE || n + 1 > (size_t)num) {
		dv_error(DV_ERROR, "line is %zu bytes, longer than the %d bytes inih reads; "
			 "shorten it or split a long cmd or desc onto indented lines",
			 n, DV_INI_MAX_LINE);
		run_fail(r, DV_ERROR);
		return NULL;
	}
	if (memchr(s, '\0', n)) {
		dv_error(DV_ERROR, "NUL byte in the line; this is not a text file");
		run_fail(r, DV_ERROR);
		return NULL;
	}
	if ((rc = classify_line(r, s, e)) < 0) {
		run_fail(r, rc);
		return NULL;
	}
	if (r->flags & DV_INI_NO_CONTINUATION)
		while (s < e && is_blank(*s))
			s++;
	memcpy(str, s, (size_t)(e - s));
	str[e - s] = '\0';
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	ini_run *r = user;
	int rc;

	if (r->failed)
		return 0;
	r->cur.section = section;
	r->cur.name = name;
	r->cur.value = value;
	if ((rc = r->fn(r->user, &r->cur)) < 0) {
		run_fail(r, rc);
		return 0;
	}
	return 1;
}

int dv_ini_parse(const char *name, const char *text, size_t len, unsigned flags,
		 dv_ini_fn fn, void *user)
{
	ini_run r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.name = name;
	r.text = text;
	r.len = len;
	r.flags = flags;
	r.fn = fn;
	r.user = user;
	r.cur.section = r.section;
	rc = ini_parse_stream(reader, &r, handler, &r);
	if (r.failed)
		return r.code;
	if (rc == -2)
		return dv_error(DV_ERROR, "cannot read '%s': out of memory", name);
	if (rc != 0)
		return dv_error(DV_ERROR, "cannot read '%s' line %d: not valid INI syntax", name, rc);
	return 0;
}

bool dv_ini_value_needs_quoting(const char *value)
{
	size_t n = strlen(value);

	if (n == 0)
		return false;
	if (is_blank(value[0]) || is_blank(value[n - 1]))
		return true;
	if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
		return true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c < 0x20 || c == 0x7f)
			return true;
		/* A value begins after "key = ", so a leading ';' follows a blank. */
		if (c == ';' && (i == 0 || is_blank(value[i - 1])))
			return true;
	}
	return false;
}

void dv_ini_quote_value(dv_buf *out, const char *value)
{
	if (!dv_ini_value_needs_quoting(value)) {
		dv_buf_puts(out, value);
		return;
	}
	dv_buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		switch (*p) {
		case '"': dv_buf_puts(out, "\\\""); break;
		case '\\': dv_buf_puts(out, "\\\\"); break;
		case '\t': dv_buf_puts(out, "\\t"); break;
		case '\n': dv_buf_puts(out, "\\n"); break;
		case '\r': dv_buf_puts(out, "\\r"); break;
		/* Inside quotes too, inih would cut at a ';' after a blank. */
		case ';': dv_buf_puts(out, "\\x3b"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				dv_buf_printf(out, "\\x%02x", *p);
			else
				dv_buf_putc(out, (char)*p);
		}
	}
	dv_buf_putc(out, '"');
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dv_ini_unquote_value(dv_buf *out, const char *value)
{
	size_t n = strlen(value);
	const char *p, *end;

	if (n < 2 || value[0] != '"' || value[n - 1] != '"') {
		dv_buf_puts(out, value);
		return 0;
	}
	end = value + n - 1;
	for (p = value + 1; p < end; p++) {
		if (*p == '"')
			return dv_error(DV_ERROR, "a '\"' inside a quoted value must be written '\\\"'");
		if (*p != '\\') {
			dv_buf_putc(out, *p);
			continue;
		}
		if (++p == end)
			return dv_error(DV_ERROR, "quoted value ends inside an escape; "
					"write a final backslash as '\\\\'");
		switch (*p) {
		case '"': dv_buf_putc(out, '"'); break;
		case '\\': dv_buf_putc(out, '\\'); break;
		case 't': dv_buf_putc(out, '\t'); break;
		case 'n': dv_buf_putc(out, '\n'); break;
		case 'r': dv_buf_putc(out, '\r'); break;
		case 'x': {
			int hi = p + 1 < end ? hexdigit(p[1]) : -1;
			int lo = p + 2 < end ? hexdigit(p[2]) : -1;
			if (hi < 0 || lo < 0)
				return dv_error(DV_ERROR, "'\\x' in a quoted value needs two hex digits");
			if (hi == 0 && lo == 0)
				return dv_error(DV_ERROR, "'\\x00' (a NUL byte) cannot be part of a value");
			dv_buf_putc(out, (char)(hi << 4 | lo));
			p += 2;
			break;
		}
		default:
			return dv_error(DV_ERROR, "unknown escape '\\%c' in a quoted value "
					"(known: \\\" \\\\ \\t \\n \\r \\xHH)", *p);
		}
	}
	return 0;
}

int dv_ini_parse_bool(bool *out, const char *text)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(text, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(text, no[i])) {
			*out = false;
			return 0;
		}
	}
	return dv_error(DV_ERROR, "'%s' is not a boolean (use true or false)", text);
}
