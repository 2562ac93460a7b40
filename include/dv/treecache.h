/*
 * treecache.h - remembers the hash of a walked directory's manifest by the
 * walk's digest: every file's path below the directory, its mode bit and
 * its stat key (device, inode, size, mtime, ctime), in walk order.
 *
 * Why this is sound: a manifest is a function of its files' paths, modes,
 * sizes and contents, and the stat cache already trusts a file's contents
 * to follow from its stat key (racy-clean checked).  A digest is recorded
 * only after a walk in which the stat cache knew every file, so it trusts
 * nothing the stat cache did not; any write, add, remove or rename below
 * the directory changes the digest.  An unchanged 20,000-file directory
 * then needs neither its 20,000 stat-cache lookups nor its manifest lines
 * (a sixth of a status).
 *
 * Lives in .dv/trees beside .dv/state; only ever replaced by rename; a
 * missing, foreign or damaged file is an empty cache.  Safe to use from
 * several threads.
 */
#ifndef DV_TREECACHE_H
#define DV_TREECACHE_H

#include <stdbool.h>

#include "dv/hash.h"

typedef struct dv_treecache dv_treecache;

int dv_treecache_open(dv_treecache **out, const char *path);
void dv_treecache_free(dv_treecache *tc);

/* The manifest hash recorded for `digest`. */
bool dv_treecache_lookup(dv_treecache *tc, const dv_hash *digest, dv_hash *out);
/* Record one (see above for when a caller may). */
void dv_treecache_put(dv_treecache *tc, const dv_hash *digest, const dv_hash *manifest_hash);
/* Write back atomically if anything changed; keeps what this run used and
 * the most recently used of the rest, up to a bound. */
int dv_treecache_save(dv_treecache *tc);

#endif
