/*
 * manifest.h - the listing of a tracked directory (SPEC "Manifest format").
 *
 * One line per file, sorted bytewise by path:
 *     <32 hex> <size> <mode> <path>\n
 * mode is 644 or 755; a path holding a backslash, a double quote at its
 * start, a newline or another control character is written C-escaped inside
 * double quotes, as git quotes paths.  The manifest's hash (the directory's
 * hash, written with ".dir") is the hash of exactly these bytes.
 */
#ifndef DV_MANIFEST_H
#define DV_MANIFEST_H

#include <stdint.h>

#include "dv/buf.h"
#include "dv/hash.h"

typedef struct {
	char *path;   /* relative to the directory, '/'-separated */
	dv_hash hash;
	uint64_t size;
	unsigned mode; /* 0644 or 0755 */
} dv_manifest_entry;

typedef struct {
	dv_vec entries; /* dv_manifest_entry */
} dv_manifest;

#define DV_MANIFEST_INIT { DV_VEC_INIT(dv_manifest_entry) }

void dv_manifest_init(dv_manifest *m);
/* Appends; the entry takes a copy of path. */
dv_manifest_entry *dv_manifest_add(dv_manifest *m, const char *path, const dv_hash *h,
				   uint64_t size, unsigned mode);
void dv_manifest_sort(dv_manifest *m);
/* Serialise (sorting first); the bytes whose hash is the directory hash. */
void dv_manifest_serialize(dv_buf *out, dv_manifest *m);
/* Append one entry's line as dv_manifest_serialize writes it (entries
 * must come sorted by path, as there, for the same bytes). */
void dv_manifest_line(dv_buf *out, const char *path, const dv_hash *h, uint64_t size, unsigned mode);
/* Parse; errors name `name` (e.g. the object path) and the line. */
int dv_manifest_parse(dv_manifest *out, const char *text, size_t len, const char *name);
/* Binary search in a sorted manifest. */
dv_manifest_entry *dv_manifest_find(const dv_manifest *m, const char *path);
uint64_t dv_manifest_total_size(const dv_manifest *m);
void dv_manifest_free(dv_manifest *m);

/* git-style path quoting shared with the CLI's output. */
void dv_quote_path(dv_buf *out, const char *path);
int dv_unquote_path(dv_buf *out, const char *quoted, size_t len);

/* Why `path` may not name a file below a directory (absolute, an empty,
 * "." , ".." or ".git" component), or NULL when it may. */
const char *dv_manifest_bad_path(const char *path);

#endif
