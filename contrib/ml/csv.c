/*
 * csv.c - strict CSV records with file:line:field diagnostics (see csv.h).
 *
 * Lines are read with getline(), so there is no line-length limit, and
 * split in place: a record costs no allocation beyond the growing line and
 * field arrays.
 */
#define _POSIX_C_SOURCE 200809L
#include "csv.h"
#include "mlerr.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int ml_csv_open(ml_csv *out, const char *path)
{
	memset(out, 0, sizeof(*out));
	out->path = path;
	out->fp = fopen(path, "rb");
	if (!out->fp)
		return ml_fail("cannot open '%s': %s", path, strerror(errno));
	return 0;
}

void ml_csv_close(ml_csv *csv)
{
	if (csv->fp)
		fclose(csv->fp);
	free(csv->line);
	free(csv->fields);
	memset(csv, 0, sizeof(*csv));
}

int ml_csv_fail_at(const ml_csv *csv, size_t field, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field == (size_t)-1)
		return ml_fail("%s:%zu: %s", csv->path, csv->lineno, msg);
	return ml_fail("%s:%zu:%zu: %s", csv->path, csv->lineno, field + 1, msg);
}

void ml_csv_quote_value(char *buf, size_t size, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	const size_t keep = 40; /* characters of the value worth showing */
	size_t o = 0, n = 0;

	for (const unsigned char *p = (const unsigned char *)value; *p && o + 8 < size; p++, n++) {
		if (n == keep) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (*p < 0x20 || *p == 0x7f || *p == '\'' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
		} else {
			buf[o++] = (char)*p;
		}
	}
	buf[o] = '\0';
}

static int push_field(ml_csv *csv, char *start)
{
	if (csv->nfields == csv->fields_cap) {
		size_t cap = csv->fields_cap ? 2 * csv->fields_cap : 16;
		char **f = realloc(csv->fields, cap * sizeof(*f));
		if (!f)
			return ml_fail("out of memory");
		csv->fields = f;
		csv->fields_cap = cap;
	}
	csv->fields[csv->nfields++] = start;
	return 0;
}

/* Splits csv->line (NUL-terminated, no newline) into fields in place.
 * Quoted fields are unescaped by compacting them leftwards. */
static int split_fields(ml_csv *csv)
{
	char *p = csv->line;

	csv->nfields = 0;
	for (;;) {
		char *start = p;
		if (*p == '"') {
			char *w = p;
			size_t col = csv->nfields;
			p++;
			for (;;) {
				if (*p == '\0')
					return ml_csv_fail_at(csv, col, "unterminated quoted field");
				if (*p == '"') {
					if (p[1] == '"') {
						*w++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				*w++ = *p++;
			}
			if (*p != ',' && *p != '\0')
				return ml_csv_fail_at(csv, col, "unexpected character after closing quote");
			if (push_field(csv, start) < 0)
				return -1;
			if (*p == '\0') {
				*w = '\0';
				return 0;
			}
			*w = '\0';
			p++;
			continue;
		}
		while (*p && *p != ',')
			p++;
		if (push_field(csv, start) < 0)
			return -1;
		if (*p == '\0')
			return 0;
		*p++ = '\0';
	}
}

int ml_csv_next(ml_csv *csv)
{
	ssize_t len;

	errno = 0;
	len = getline(&csv->line, &csv->line_cap, csv->fp);
	if (len < 0) {
		if (ferror(csv->fp))
			return ml_fail("cannot read '%s': %s", csv->path, strerror(errno ? errno : EIO));
		return 0;
	}
	csv->lineno++;
	if (memchr(csv->line, '\0', (size_t)len))
		return ml_csv_fail_at(csv, (size_t)-1, "NUL byte in line (binary file?)");
	if (len > 0 && csv->line[len - 1] == '\n')
		csv->line[--len] = '\0';
	if (len > 0 && csv->line[len - 1] == '\r')
		csv->line[--len] = '\0';
	if (csv->lineno == 1 && len >= 3 && memcmp(csv->line, "\xEF\xBB\xBF", 3) == 0)
		memmove(csv->line, csv->line + 3, (size_t)(len -= 3) + 1);
	if (len == 0)
		return ml_csv_fail_at(csv, (size_t)-1, "blank line");
	if (split_fields(csv) < 0)
		return -1;
	return 1;
}

int ml_csv_number(const ml_csv *csv, size_t field, const char *column, double *out)
{
	const char *s = csv->fields[field];
	char shown[200];
	char *end;
	double v;

	if (*s == '\0')
		return 0;
	errno = 0;
	v = strtod(s, &end);
	/* strtod skips leading blanks and accepts hex floats; a strict reader
	 * takes neither, since neither is produced by any CSV writer we expect.
	 * ERANGE on underflow is harmless (the value is ~0); on overflow v is
	 * infinite and rejected below. */
	if (end == s || *end != '\0' || s[0] == ' ' || s[0] == '\t' ||
	    strchr(s, 'x') || strchr(s, 'X')) {
		ml_csv_quote_value(shown, sizeof(shown), s);
		return ml_csv_fail_at(csv, field, "non-numeric value '%s' in column '%s'",
				      shown, column);
	}
	if (!isfinite(v)) {
		ml_csv_quote_value(shown, sizeof(shown), s);
		return ml_csv_fail_at(csv, field, "non-finite value '%s' in column '%s'",
				      shown, column);
	}
	*out = v;
	return 1;
}
