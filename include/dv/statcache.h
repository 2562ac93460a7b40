/*
 * statcache.h - remembers the hash of files dv has read, keyed by
 * (device, inode, size, mtime_ns, ctime_ns), so unchanged files are never
 * read again (SPEC "When a command stage is stale").
 *
 * Lives in .dv/state.  Racy-clean protection as in git: an entry whose
 * mtime is not clearly older than the moment the state was written may
 * have been modified within the timestamp granularity, so it is not
 * trusted and the file is re-hashed.  Safe to use from several threads.
 */
#ifndef DV_STATCACHE_H
#define DV_STATCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "dv/hash.h"

typedef struct dv_statcache dv_statcache;

/* Load `path` (a missing or unreadable file is an empty cache). */
int dv_statcache_open(dv_statcache **out, const char *path);
bool dv_statcache_lookup(dv_statcache *sc, const struct stat *st, dv_hash *out);

/* The fields of a stat an entry must match. */
typedef struct {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
} dv_stat_key;

/* `n` lookups under one lock (a walk's files, a run at a time: taken
 * one by one from two threads, the lock was their cost): hit[i] tells
 * whether out[i] was set.  Returns the number of hits. */
size_t dv_statcache_lookup_keys(dv_statcache *sc, const dv_stat_key *keys, size_t n, dv_hash *out, bool *hit);
void dv_statcache_put(dv_statcache *sc, const struct stat *st, const dv_hash *h);
/* For a file only dv has written, from bytes it hashed (a fetched cache
 * object): trusted at once, without the racy-clean wait. */
void dv_statcache_put_written(dv_statcache *sc, const struct stat *st, const dv_hash *h);
/* For a work-tree file dv has just made from a verified object (checkout):
 * trusted once its mtime is clearly older than the moment the state is
 * saved, since any later write moves the mtime on; not trusted before. */
void dv_statcache_put_made(dv_statcache *sc, const struct stat *st, const dv_hash *h);
/* Write back atomically if anything changed. */
int dv_statcache_save(dv_statcache *sc);
void dv_statcache_free(dv_statcache *sc);

/* Hash `path`, answering from the cache when its stat matches; `st_out`
 * (may be NULL) receives the stat; `read_it` tells whether bytes were read. */
int dv_statcache_hash_file(dv_hash *out, dv_statcache *sc, const char *path,
			   struct stat *st_out, bool *read_it);
/* The same for a caller that has just stat'ed `path` (`st`: a regular
 * file, links followed): a hit costs no syscall. */
int dv_statcache_hash_stat(dv_hash *out, dv_statcache *sc, const char *path, const struct stat *st,
			   bool *read_it);

#endif
