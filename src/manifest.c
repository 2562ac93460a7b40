/*
 * manifest.c - directory manifests: the sorted listing whose bytes, hashed,
 * are a tracked directory's hash.
 *
 * Because the hash is of the text, the text must be canonical: one writer
 * (sorted bytewise, fixed field formats), and a parser that refuses anything
 * the writer would not have produced (unsorted lines, duplicate paths, a
 * path left unquoted that needed quoting, leading zeros).  The parser is
 * also the gate for manifests fetched from remotes, so it refuses paths that
 * could escape the directory on checkout: absolute paths and ".", ".." or
 * empty components.
 *
 * Paths are quoted as git quotes them (C escapes, octal for other control
 * bytes, inside double quotes) when they hold a backslash, a control byte
 * or start with '"'; other bytes, UTF-8 included, are written as they are.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dv/error.h"
#include "dv/manifest.h"

void dv_manifest_init(dv_manifest *m)
{
	m->entries = (dv_vec)DV_VEC_INIT(dv_manifest_entry);
}

dv_manifest_entry *dv_manifest_add(dv_manifest *m, const char *path, const dv_hash *h,
				   uint64_t size, unsigned mode)
{
	dv_manifest_entry *e = dv_vec_push(&m->entries);
	e->path = dv_strdup(path);
	e->hash = *h;
	e->size = size;
	e->mode = (mode & 0100) ? 0755 : 0644;
	return e;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const dv_manifest_entry *)a)->path, ((const dv_manifest_entry *)b)->path);
}

void dv_manifest_sort(dv_manifest *m)
{
	if (m->entries.n > 1)
		qsort(m->entries.items, m->entries.n, sizeof(dv_manifest_entry), cmp_entry);
}

static bool path_needs_quoting(const char *path)
{
	if (path[0] == '"')
		return true;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p == '\\' || *p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

void dv_quote_path(dv_buf *out, const char *path)
{
	static const char named[] = "\a\b\t\n\v\f\r";
	static const char letters[] = "abtnvfr";

	if (!path_needs_quoting(path)) {
		dv_buf_puts(out, path);
		return;
	}
	dv_buf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		const char *n = *p ? strchr(named, *p) : NULL;
		if (*p == '"' || *p == '\\') {
			dv_buf_putc(out, '\\');
			dv_buf_putc(out, (char)*p);
		} else if (n) {
			dv_buf_putc(out, '\\');
			dv_buf_putc(out, letters[n - named]);
		} else if (*p < 0x20 || *p == 0x7f) {
			dv_buf_printf(out, "\\%03o", *p);
		} else {
			dv_buf_putc(out, (char)*p);
		}
	}
	dv_buf_putc(out, '"');
}

int dv_unquote_path(dv_buf *out, const char *quoted, size_t len)
{
	static const char named[] = "\a\b\t\n\v\f\r";
	static const char letters[] = "abtnvfr";
	const char *p = quoted, *end = quoted + len;

	if (len == 0 || quoted[0] != '"') {
		dv_buf_add(out, quoted, len);
		return 0;
	}
	for (p++; p < end; p++) {
		const char *l;
		if (*p == '"')
			break;
		if (*p != '\\') {
			dv_buf_putc(out, *p);
			continue;
		}
		if (++p == end)
			break;
		if (*p == '"' || *p == '\\') {
			dv_buf_putc(out, *p);
		} else if (*p && (l = strchr(letters, *p)) != NULL) {
			dv_buf_putc(out, named[l - letters]);
		} else if (*p >= '0' && *p <= '3' && end - p >= 3 && p[1] >= '0' && p[1] <= '7' &&
			   p[2] >= '0' && p[2] <= '7') {
			int v = (p[0] - '0') << 6 | (p[1] - '0') << 3 | (p[2] - '0');
			if (v == 0)
				return dv_error(DV_ERROR, "quoted path holds a NUL byte");
			dv_buf_putc(out, (char)v);
			p += 2;
		} else {
			return dv_error(DV_ERROR, "unknown escape '\\%c' in a quoted path", *p);
		}
	}
	if (p >= end)
		return dv_error(DV_ERROR, "quoted path has no closing '\"'");
	if (p + 1 != end)
		return dv_error(DV_ERROR, "text after the closing '\"' of a quoted path");
	return 0;
}

/* Formatted by hand: printf per line was a tenth of a 20,000-file status. */
void dv_manifest_line(dv_buf *out, const char *path, const dv_hash *h, uint64_t size, unsigned mode)
{
	char num[24], *p = num + sizeof(num);
	char hex[DV_HASH_HEXLEN + 1];

	dv_hash_to_hex(hex, h);
	dv_buf_add(out, hex, DV_HASH_HEXLEN);
	dv_buf_putc(out, ' ');
	do {
		*--p = (char)('0' + size % 10);
		size /= 10;
	} while (size);
	dv_buf_add(out, p, (size_t)(num + sizeof(num) - p));
	dv_buf_add(out, (mode & 0100) ? " 755 " : " 644 ", 5);
	dv_quote_path(out, path);
	dv_buf_putc(out, '\n');
}

void dv_manifest_serialize(dv_buf *out, dv_manifest *m)
{
	dv_buf_reset(out);
	dv_manifest_sort(m);
	for (size_t i = 0; i < m->entries.n; i++) {
		const dv_manifest_entry *e = dv_vec_at(&m->entries, dv_manifest_entry, i);
		dv_manifest_line(out, e->path, &e->hash, e->size, e->mode);
	}
}

/* A path checkout may create below the directory: relative, no empty, "."
 * or ".." component.  Returns a message fragment, or NULL when fine. */
const char *dv_manifest_bad_path(const char *path)
{
	const char *p = path;

	if (!*path)
		return "empty path";
	if (*path == '/')
		return "absolute path";
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0)
			return "empty path component ('//' or a trailing '/')";
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return "'.' or '..' path component";
		if (n == 4 && !strncasecmp(p, ".git", 4))
			return "'.git' path component (git's directory)";
		p += n;
		if (*p == '/' && !*++p)
			return "empty path component ('//' or a trailing '/')";
	}
	return NULL;
}

static int parse_size(uint64_t *out, const char *s, size_t n)
{
	uint64_t v = 0;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_line(dv_manifest *m, const char *s, size_t n, dv_buf *path)
{
	const char *size, *mode, *name, *end = s + n, *why;
	dv_hash h;
	uint64_t sz;
	unsigned md;

	if (n < DV_HASH_HEXLEN + 1 || s[DV_HASH_HEXLEN] != ' ')
		return dv_error(DV_ERROR, "expected '<32 hex digits> <size> <mode> <path>'");
	if (dv_hash_from_hex(&h, s, DV_HASH_HEXLEN) < 0)
		return DV_ERROR;
	size = s + DV_HASH_HEXLEN + 1;
	mode = memchr(size, ' ', (size_t)(end - size));
	if (!mode || parse_size(&sz, size, (size_t)(mode - size)) < 0)
		return dv_error(DV_ERROR, "bad size: expected a whole number without leading zeros");
	mode++;
	if (end - mode < 5 || mode[3] != ' ')
		return dv_error(DV_ERROR, "expected '<32 hex digits> <size> <mode> <path>'");
	if (!memcmp(mode, "644", 3))
		md = 0644;
	else if (!memcmp(mode, "755", 3))
		md = 0755;
	else
		return dv_error(DV_ERROR, "bad mode '%.3s': expected 644 or 755", mode);
	name = mode + 4;
	dv_buf_reset(path);
	if (dv_unquote_path(path, name, (size_t)(end - name)) < 0)
		return DV_ERROR;
	if (path->len != strlen(path->ptr))
		return dv_error(DV_ERROR, "path holds a NUL byte");
	if (name[0] != '"' && path_needs_quoting(path->ptr))
		return dv_error(DV_ERROR, "path holds a control byte or backslash but is not quoted");
	if ((why = dv_manifest_bad_path(path->ptr)) != NULL)
		return dv_error(DV_ERROR, "%s '%s'", why, path->ptr);
	if (m->entries.n) {
		const dv_manifest_entry *prev = dv_vec_at(&m->entries, dv_manifest_entry, m->entries.n - 1);
		int c = strcmp(prev->path, path->ptr);
		if (c == 0)
			return dv_error(DV_ERROR, "path '%s' is listed twice", path->ptr);
		if (c > 0)
			return dv_error(DV_ERROR, "path '%s' is out of order (manifests are sorted bytewise)",
					path->ptr);
	}
	dv_manifest_add(m, path->ptr, &h, sz, md);
	return 0;
}

int dv_manifest_parse(dv_manifest *out, const char *text, size_t len, const char *name)
{
	dv_buf path = DV_BUF_INIT;
	const char *p = text, *end = text + len;
	int line = 0, rc = 0;

	dv_manifest_init(out);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line++;
		if (!nl) {
			rc = dv_error(DV_ERROR, "cannot read manifest '%s' line %d: the last line has no "
				      "newline (truncated?)", name, line);
			break;
		}
		if ((rc = parse_line(out, p, (size_t)(nl - p), &path)) < 0) {
			rc = dv_error_wrap(rc, "cannot read manifest '%s' line %d", name, line);
			break;
		}
		p = nl + 1;
	}
	dv_buf_free(&path);
	if (rc < 0)
		dv_manifest_free(out);
	return rc;
}

dv_manifest_entry *dv_manifest_find(const dv_manifest *m, const char *path)
{
	size_t lo = 0, hi = m->entries.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		dv_manifest_entry *e = dv_vec_at(&m->entries, dv_manifest_entry, mid);
		int c = strcmp(e->path, path);
		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

uint64_t dv_manifest_total_size(const dv_manifest *m)
{
	uint64_t total = 0;
	for (size_t i = 0; i < m->entries.n; i++)
		total += dv_vec_at(&m->entries, dv_manifest_entry, i)->size;
	return total;
}

void dv_manifest_free(dv_manifest *m)
{
	for (size_t i = 0; i < m->entries.n; i++)
		free(dv_vec_at(&m->entries, dv_manifest_entry, i)->path);
	dv_vec_free(&m->entries);
}
