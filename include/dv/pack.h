/*
 * pack.h - packs of small objects on object-store remotes, and their
 * indexes (format version 1, documented in dv-remote(5)).
 *
 * Object stores charge a request per object, so thousands of small files
 * cost minutes where their bytes cost milliseconds.  A pack is many
 * objects concatenated into one remote object; its index lists
 * (name, offset, length) for each, so a reader fetches only the byte
 * ranges it needs.  Both are named by the pack's own hash, which makes a
 * re-push of the same objects write the same keys (idempotent), and the
 * index ends with a checksum of itself, so a damaged one is refused.
 *
 *   packs/<P>.pack   "DVPACK1\n" then the objects' bytes, back to back
 *   packs/<P>.idx    the index (text, below); written after the pack, and
 *                    the only thing that makes the pack visible
 *   packs/<P>.dead   a tombstone: the index was retired (gc); the pack is
 *                    deleted once the tombstone is older than the grace
 *   packs/list       the names of the indexed packs, for readers that
 *                    cannot list (HTTP); rewritten after every change
 *
 * This module knows the format, builds packs into local temp files, keeps
 * a set of loaded indexes for lookups, and plans coalesced byte ranges.
 * It does no network I/O: the remote kinds (remote_s3.c) move the bytes.
 */
#ifndef DV_PACK_H
#define DV_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/hash.h"

#define DV_PACK_VERSION 1
#define DV_PACK_MAGIC "DVPACK1\n"
#define DV_PACK_MAGIC_LEN 8
#define DV_PACK_DIR "packs/"
/* Defaults of remote.NAME.pack_threshold and remote.NAME.pack_size. */
#define DV_PACK_DEFAULT_THRESHOLD (1ull << 20)
#define DV_PACK_DEFAULT_SIZE (64ull << 20)

/* One object inside a pack. */
typedef struct {
	dv_hash hash;
	bool is_dir;
	uint32_t pack;   /* index into the set's packs */
	uint64_t offset; /* from the start of the pack file */
	uint64_t length;
} dv_pack_entry;

typedef struct {
	char name[DV_HASH_HEXLEN + 1]; /* the pack's hash, hex */
	uint64_t size;                  /* the pack file's size */
	uint64_t payload;               /* bytes of its objects */
	size_t count;
} dv_pack_info;

/* Every index read from a remote: lookups by object. */
typedef struct {
	dv_vec packs;   /* dv_pack_info */
	dv_vec entries; /* dv_pack_entry, sorted by dv_pack_set_sort */
} dv_pack_set;

void dv_pack_set_init(dv_pack_set *set);
void dv_pack_set_free(dv_pack_set *set);
/* Parse the index of pack `name` (32 hex digits) and add it to the set;
 * DV_ECORRUPT naming `origin` when it is not a sound version-1 index for
 * that pack (bad checksum, unsorted, out of bounds). */
int dv_pack_set_add_index(dv_pack_set *set, const char *text, size_t len, const char *name,
			  const char *origin);
/* Sort the entries for dv_pack_set_find (after adding indexes). */
void dv_pack_set_sort(dv_pack_set *set);
/* The entry of an object, or NULL; several packs may hold the same object
 * (a repack in progress, two pushes racing): any copy will do. */
const dv_pack_entry *dv_pack_set_find(const dv_pack_set *set, const dv_hash *h, bool is_dir);
const dv_pack_info *dv_pack_set_pack(const dv_pack_set *set, uint32_t pack);

/* "packs/<name>.<ext>" / its parts: false when `relpath` is not a pack
 * key ("pack", "idx" or "dead" with a 32-digit hex name). */
void dv_pack_key(dv_buf *out, const char *name, const char *ext);
bool dv_pack_parse_key(char name[DV_HASH_HEXLEN + 1], const char **ext, const char *relpath);

/* The local copy of index `name` in `dir` (indexes never change, so a copy
 * read once serves every later read): 0 when it was there and sound, and
 * added to `set`; otherwise <0, with no error set. */
int dv_pack_cache_load(dv_pack_set *set, const char *dir, const char *name);
/* Keep a downloaded index in `dir`; a failure only costs a later download. */
void dv_pack_cache_keep(const char *dir, const char *name, const dv_buf *text);

/* After `remote_url` listed its indexes afresh (`listed`): remember that
 * listing in `dir` and delete the kept indexes that no remote's last
 * listing names (packs gc retired, or a remote's store emptied).  The
 * directory serves every remote, so an index another remote still lists
 * stays.  Best effort: the indexes are a cache. */
void dv_pack_cache_prune(const char *dir, const char *remote_url, const dv_strvec *listed);

/* packs/list: "dv-pack-list 1\n" then one pack name a line. */
void dv_pack_list_format(dv_buf *out, const dv_strvec *names);
int dv_pack_list_parse(dv_strvec *names, const char *text, size_t len, const char *origin);

/* --- writing a pack ------------------------------------------------------- */

typedef struct {
	int fd;           /* the temp file holding the pack */
	dv_buf tmp_path;
	uint64_t size;
	dv_vec entries;   /* dv_pack_entry (pack unused) */
	char name[DV_HASH_HEXLEN + 1]; /* set by dv_pack_writer_finish */
	dv_buf index;     /* set by dv_pack_writer_finish */
} dv_pack_writer;

/* Start a pack in a temp file in directory `dir`. */
int dv_pack_writer_open(dv_pack_writer *w, const char *dir);
/* Append an object from memory / from a file (re-hashed while it is read:
 * DV_ECORRUPT when its bytes do not match `h`, and nothing is added; the
 * file's hash goes to `got`, when not NULL, for the caller's message). */
int dv_pack_writer_add(dv_pack_writer *w, const dv_hash *h, bool is_dir, const void *data, size_t len);
int dv_pack_writer_add_file(dv_pack_writer *w, dv_hash *got, const dv_hash *h, bool is_dir,
			    const char *path);
/* Name the pack (the hash of its bytes) and write its index (w->name,
 * w->index). */
int dv_pack_writer_finish(dv_pack_writer *w);
/* Remove the temp file and free everything. */
void dv_pack_writer_free(dv_pack_writer *w);

/* --- reading: coalesced byte ranges -------------------------------------- */

/* An object wanted from a pack, and the caller's tag for it. */
typedef struct {
	dv_pack_entry e;
	size_t item;
} dv_pack_want;

/* One request: bytes [start, end) of one pack, serving wants
 * [first, first + count) of the sorted array. */
typedef struct {
	uint32_t pack;
	uint64_t start, end;
	size_t first, count;
} dv_pack_range;

/* Sort `wants` by pack and offset and group them into ranges (a dv_vec of
 * dv_pack_range): neighbours closer than `gap` bytes share a request, as
 * long as it stays under `max_len` (one object larger than that is a
 * range of its own). */
void dv_pack_plan_ranges(dv_vec *ranges, dv_pack_want *wants, size_t n, uint64_t gap,
			 uint64_t max_len);

#endif
