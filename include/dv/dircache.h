/*
 * dircache.h - remembers what a directory of the work tree holds, keyed
 * by the directory's (device, inode, mtime_ns, ctime_ns), so a walk of an
 * unchanged directory reads neither its entries nor its symlinks again.
 *
 * Why this is sound: creating, removing or renaming an entry moves the
 * directory's mtime and ctime, and an entry's type and a symlink's target
 * never change while the entry keeps its inode.  So while the directory's
 * stat is unchanged, its names, their types and their link targets are
 * what they were (files' contents are not: the walk still stats each
 * file).  Racy-clean as in the stat cache: a listing taken within the
 * timestamp tick of the directory's last change is not trusted.
 *
 * Lives in .dv/dirs, beside .dv/state; only ever replaced by rename, and a
 * missing, foreign or damaged file is an empty cache.  Safe to use from
 * several threads.
 */
#ifndef DV_DIRCACHE_H
#define DV_DIRCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "dv/buf.h"

typedef struct dv_dircache dv_dircache;

/* One entry of a listing; `target` is a symlink's target, or NULL when it
 * was not read. */
typedef struct {
	unsigned char type; /* d_type: DT_REG, DT_DIR, DT_LNK, DT_UNKNOWN, ... */
	const char *name;
	const char *target;
} dv_dircache_entry;

int dv_dircache_open(dv_dircache **out, const char *path);
void dv_dircache_free(dv_dircache *dc);

/* The listing recorded for the directory whose stat is `st`, when its
 * stat has not changed since: `*listing` and `*len` then hold the encoded
 * entries (valid until dv_dircache_free), in the order they were added. */
bool dv_dircache_lookup(dv_dircache *dc, const struct stat *st, const char **listing, size_t *len);
/* Record a listing read at `listed_at_ns` (dv_now_ns() taken before the
 * directory was read) from the directory whose stat (taken before that)
 * is `st`. */
void dv_dircache_put(dv_dircache *dc, const struct stat *st, int64_t listed_at_ns, const char *listing,
		     size_t len);
/* Write back atomically if anything changed. */
int dv_dircache_save(dv_dircache *dc);

/* Build a listing: add an entry (target NULL unless type is DT_LNK and it
 * was read).  Names hold no '\0' and no '/'. */
void dv_dircache_add(dv_buf *listing, unsigned char type, const char *name, const char *target);
/* Step through a listing: *pos starts at 0; false at its end or at a
 * malformed entry. */
bool dv_dircache_next(const char *listing, size_t len, size_t *pos, dv_dircache_entry *e);

#endif
