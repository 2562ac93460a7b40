/*
 * addjournal.h - the journal that lets a symlink-mode `dv add` move each
 * file into the cache by rename and then link it back, one syscall fewer
 * than a hard link, a symlink and a rename over the file (see cache.c).
 *
 * Between the rename and the symlink the work tree lacks the file; its
 * bytes are in the cache under their object name, and this journal says
 * which path they belong to.  A record is written, whole, before its
 * rename; the journal lives in the page cache (a private file under
 * .dv/journal/, mapped shared: a record is a store, not a syscall), which
 * a SIGKILL does not lose -- as the objects themselves, nothing is
 * fsynced.  The next command that takes the repository's lock after a
 * killed one replays what it finds (dv_addjournal_replay): a path that is
 * missing while its object is there gets its link back.
 */
#ifndef DV_ADDJOURNAL_H
#define DV_ADDJOURNAL_H

#include <stddef.h>

#include "dv/repo.h"

typedef struct dv_addjournal dv_addjournal;

/* A journal with one slot for each of the `n` repo-relative paths (which
 * must outlive it); NULL with an error set when it cannot be made (the
 * caller then takes the path that needs none). */
int dv_addjournal_open(dv_addjournal **out, const char *dvdir, const char *const *relpaths, size_t n);
/* Record that path `i`'s bytes are about to become object `obj_rel`
 * ("XX/<30 hex>").  Safe from several threads for different `i`. */
void dv_addjournal_record(dv_addjournal *j, size_t i, const char *obj_rel);
/* Done: every recorded path has its link (or the file back); removed. */
void dv_addjournal_close(dv_addjournal *j);

/* Replay the journals of dead writers under <dvdir>/journal/ and remove
 * them; `*restored` counts the links put back. */
int dv_addjournal_replay(size_t *restored, dv_repo *repo);

#endif
