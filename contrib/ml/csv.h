/*
 * csv.h - a strict CSV record reader that knows where it is.
 *
 * Input data is the one thing in a pipeline nobody checked, so every
 * complaint names the place: `data/raw.csv:17:4: non-numeric value 'abc' in
 * column 'latitude'`, where 17 is the 1-based line and 4 the 1-based field
 * (column) number.  The reader accepts RFC 4180 quoting on one line
 * ("a,b" and "" for a quote), strips a trailing CR and a UTF-8 byte-order
 * mark, and rejects what is almost always a broken file: a blank line, a
 * NUL byte, an unterminated quote.  An empty field is not an error here: it
 * is a missing value, which the caller may drop.
 */
#ifndef DV_ML_CSV_H
#define DV_ML_CSV_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
	FILE *fp;
	const char *path;   /* borrowed, for messages */
	char *line;         /* current line; fields point into it */
	size_t line_cap;
	size_t lineno;      /* 1-based number of the current line */
	char **fields;
	size_t nfields, fields_cap;
} ml_csv;

int ml_csv_open(ml_csv *out, const char *path);
void ml_csv_close(ml_csv *csv);

/* Reads the next record into csv->fields: 1 = a record, 0 = end of file,
 * -1 = error (read failure or malformed line). */
int ml_csv_next(ml_csv *csv);

/* Fails with "path:line:field: <message>" (field is 0-based here and
 * printed 1-based; pass (size_t)-1 to name only the line). */
int ml_csv_fail_at(const ml_csv *csv, size_t field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses field `field` as a finite number.  Returns 1 with *out set, 0 if
 * the field is empty (missing), -1 on a non-numeric or non-finite value. */
int ml_csv_number(const ml_csv *csv, size_t field, const char *column, double *out);

/* Copies `value` into buf as it should appear inside quotes in a one-line
 * message: control characters escaped, long values cut with "...". */
void ml_csv_quote_value(char *buf, size_t size, const char *value);

#endif
