/*
 * hash.h - content hashes: XXH3-128, written "xxh128:" + 32 lowercase hex
 * digits of the canonical (big-endian) form, exactly what `xxhsum -H2`
 * prints.  A directory's hash is the hash of its manifest and is written
 * with a ".dir" suffix.
 */
#ifndef DV_HASH_H
#define DV_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DV_HASH_PREFIX "xxh128:"
#define DV_HASH_HEXLEN 32

typedef struct {
	uint8_t bytes[16]; /* canonical (big-endian) form */
} dv_hash;

/* Hash an open file descriptor from its current offset to EOF. */
int dv_hash_fd(dv_hash *out, uint64_t *size_out, int fd, const char *name_for_errors);
int dv_hash_file(dv_hash *out, uint64_t *size_out, const char *path);
/* Hash an open file whose stat said `expect` bytes: one read when it is
 * smaller than DV_IO_CHUNK. */
int dv_hash_fd_sized(dv_hash *out, uint64_t *size_out, int fd, const char *name_for_errors,
		     uint64_t expect);
void dv_hash_buffer(dv_hash *out, const void *data, size_t len);
/* The hash of the first `len` bytes of a file (an error if it is shorter):
 * is a workspace file a cut-off copy of an object? */
int dv_hash_file_prefix(dv_hash *out, const char *path, uint64_t len);

/* 32 hex digits plus NUL. */
void dv_hash_to_hex(char out[DV_HASH_HEXLEN + 1], const dv_hash *h);
int dv_hash_from_hex(dv_hash *out, const char *hex, size_t len);
bool dv_hash_equal(const dv_hash *a, const dv_hash *b);
bool dv_hash_is_zero(const dv_hash *h);

/* Parse "xxh128:<hex>[.dir]" as written in .stage files. */
int dv_hash_parse(dv_hash *out, bool *is_dir, const char *text);
/* Format "xxh128:<hex>" or "xxh128:<hex>.dir" into out (at least 48 bytes). */
void dv_hash_format(char *out, size_t outsz, const dv_hash *h, bool is_dir);

/* Streaming interface for callers that hash while copying or receiving. */
typedef struct dv_hasher dv_hasher;
dv_hasher *dv_hasher_new(void);
void dv_hasher_update(dv_hasher *hs, const void *data, size_t len);
void dv_hasher_final(dv_hash *out, dv_hasher *hs);
void dv_hasher_reset(dv_hasher *hs);
void dv_hasher_free(dv_hasher *hs);

/* The read size used for streaming I/O across dv. */
#define DV_IO_CHUNK (1u << 20)

#endif
