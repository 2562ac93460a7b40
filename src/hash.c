/*
 * hash.c - XXH3-128 over files and buffers.
 *
 * The XXH3 state must be 64-byte aligned, so it always comes from
 * XXH3_createState(), never the stack or plain malloc.  Files are read in
 * 1 MiB chunks with a sequential-access hint: on this hardware reading, not
 * hashing, is the cost, and the chunk keeps RSS flat for any file size.
 *
 * Debian builds libxxhash for baseline x86-64 (SSE2, ~13 GB/s here), but it
 * also exports the runtime-dispatched entry points xxhsum uses (AVX2/AVX512,
 * ~55 GB/s); the dispatch header renames our calls to them.  Without it,
 * hashing a warm 1 GiB file costs as much as reading it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>
#endif

#include "dv/buf.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/hash.h"
#include "dv/progress.h"

struct dv_hasher {
	XXH3_state_t *state;
};

dv_hasher *dv_hasher_new(void)
{
	dv_hasher *hs = dv_malloc(sizeof(*hs));
	hs->state = XXH3_createState();
	if (!hs->state)
		abort();
	XXH3_128bits_reset(hs->state);
	return hs;
}

void dv_hasher_update(dv_hasher *hs, const void *data, size_t len)
{
	XXH3_128bits_update(hs->state, data, len);
}

void dv_hasher_final(dv_hash *out, dv_hasher *hs)
{
	XXH128_hash_t h = XXH3_128bits_digest(hs->state);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, h);
	memcpy(out->bytes, c.digest, 16);
}

void dv_hasher_reset(dv_hasher *hs)
{
	XXH3_128bits_reset(hs->state);
}

void dv_hasher_free(dv_hasher *hs)
{
	if (!hs)
		return;
	XXH3_freeState(hs->state);
	free(hs);
}

/* Feed at most `limit` bytes of fd, from its offset, into `hs`. */
static int hash_fd_into(dv_hasher *hs, uint64_t *size_out, int fd, const char *name, uint64_t limit)
{
	uint64_t total = 0;
	char *io_buf = dv_io_buffer();

	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (limit == UINT64_MAX)
		dv_progress_io_expect_fd(fd);
	while (total < limit) {
		size_t want = limit - total < DV_IO_CHUNK ? (size_t)(limit - total) : DV_IO_CHUNK;
		ssize_t n = read(fd, io_buf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return dv_error_errno(DV_ERROR, "cannot read '%s'", name);
		}
		if (n == 0)
			break;
		dv_hasher_update(hs, io_buf, (size_t)n);
		dv_progress_io((uint64_t)n);
		total += (uint64_t)n;
	}
	*size_out = total;
	return 0;
}

/* Hash at most `limit` bytes of fd from its offset. */
static int hash_fd_upto(dv_hash *out, uint64_t *size_out, int fd, const char *name, uint64_t limit)
{
	dv_hasher *hs = dv_hasher_new();
	uint64_t total = 0;
	int rc = hash_fd_into(hs, &total, fd, name, limit);

	if (rc == 0)
		dv_hasher_final(out, hs);
	dv_hasher_free(hs);
	if (rc == 0 && size_out)
		*size_out = total;
	return rc;
}

int dv_hash_fd(dv_hash *out, uint64_t *size_out, int fd, const char *name)
{
	return hash_fd_upto(out, size_out, fd, name, UINT64_MAX);
}

/* A file whose stat gave `expect` bytes, when they fit the I/O buffer, is
 * read asking for one byte more: a regular file reads short only at its
 * end, so the short read is the end, and no second read (nor fadvise) is
 * paid for it.  A file that grew meanwhile is streamed on. */
int dv_hash_fd_sized(dv_hash *out, uint64_t *size_out, int fd, const char *name, uint64_t expect)
{
	char *buf;
	size_t len = 0;

	if (expect >= DV_IO_CHUNK)
		return dv_hash_fd(out, size_out, fd, name);
	buf = dv_io_buffer();
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)expect + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return dv_error_errno(DV_ERROR, "cannot read '%s'", name);
		}
		if (n == 0 || (len += (size_t)n) == expect)
			break;
		if (len > expect) { /* grew since its stat: hash it all */
			dv_hasher *hs = dv_hasher_new();
			uint64_t rest = 0;
			int rc;
			dv_hasher_update(hs, buf, len);
			rc = hash_fd_into(hs, &rest, fd, name, UINT64_MAX);
			if (rc == 0)
				dv_hasher_final(out, hs);
			dv_hasher_free(hs);
			if (rc == 0 && size_out)
				*size_out = len + rest;
			return rc;
		}
	}
	dv_progress_io((uint64_t)len);
	dv_hash_buffer(out, buf, len);
	if (size_out)
		*size_out = len;
	return 0;
}

static int hash_path_upto(dv_hash *out, uint64_t *size_out, const char *path, uint64_t limit)
{
	int fd = dv_open_read(path);
	int rc;
	if (fd < 0)
		return dv_error_errno(errno == ENOENT ? DV_ENOTFOUND : DV_ERROR, "cannot open '%s'", path);
	rc = hash_fd_upto(out, size_out, fd, path, limit);
	close(fd);
	return rc;
}

int dv_hash_file(dv_hash *out, uint64_t *size_out, const char *path)
{
	return hash_path_upto(out, size_out, path, UINT64_MAX);
}

int dv_hash_file_prefix(dv_hash *out, const char *path, uint64_t len)
{
	uint64_t got;
	int rc = hash_path_upto(out, &got, path, len);
	if (rc == 0 && got < len)
		rc = dv_error(DV_ERROR, "'%s' is shorter than %llu bytes", path, (unsigned long long)len);
	return rc;
}

void dv_hash_buffer(dv_hash *out, const void *data, size_t len)
{
	XXH128_hash_t h = XXH3_128bits(data, len);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, h);
	memcpy(out->bytes, c.digest, 16);
}

void dv_hash_to_hex(char out[DV_HASH_HEXLEN + 1], const dv_hash *h)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = digits[h->bytes[i] >> 4];
		out[2 * i + 1] = digits[h->bytes[i] & 15];
	}
	out[DV_HASH_HEXLEN] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int dv_hash_from_hex(dv_hash *out, const char *hex, size_t len)
{
	if (len != DV_HASH_HEXLEN)
		return dv_error(DV_ERROR, "invalid hash '%.*s': expected %d lowercase hex digits",
				(int)len, hex, DV_HASH_HEXLEN);
	for (int i = 0; i < 16; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return dv_error(DV_ERROR, "invalid hash '%.*s': expected %d lowercase hex digits",
					(int)len, hex, DV_HASH_HEXLEN);
		out->bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool dv_hash_equal(const dv_hash *a, const dv_hash *b)
{
	return !memcmp(a->bytes, b->bytes, 16);
}

bool dv_hash_is_zero(const dv_hash *h)
{
	static const dv_hash zero;
	return dv_hash_equal(h, &zero);
}

int dv_hash_parse(dv_hash *out, bool *is_dir, const char *text)
{
	size_t plen = strlen(DV_HASH_PREFIX);
	size_t len;

	if (strncmp(text, DV_HASH_PREFIX, plen))
		return dv_error(DV_ERROR, "invalid hash '%s': expected '%s' and %d hex digits",
				text, DV_HASH_PREFIX, DV_HASH_HEXLEN);
	text += plen;
	len = strlen(text);
	*is_dir = false;
	if (len == DV_HASH_HEXLEN + 4 && !strcmp(text + DV_HASH_HEXLEN, ".dir")) {
		*is_dir = true;
		len = DV_HASH_HEXLEN;
	}
	return dv_hash_from_hex(out, text, len);
}

void dv_hash_format(char *out, size_t outsz, const dv_hash *h, bool is_dir)
{
	char hex[DV_HASH_HEXLEN + 1];
	dv_hash_to_hex(hex, h);
	snprintf(out, outsz, "%s%s%s", DV_HASH_PREFIX, hex, is_dir ? ".dir" : "");
}
