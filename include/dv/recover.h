/*
 * recover.h - cleaning up after a dv that was killed mid-write.
 *
 * Every file dv writes goes through a temp name that is renamed into
 * place, so a SIGKILL (or a crash, or the OOM killer) leaves no torn file
 * under a real name; but it does leave the temp file, which no signal
 * handler could remove.  The next command that takes the repository lock
 * learns that its previous holder died holding it (dv_lock_killed_holder)
 * and removes every temp file whose writer is gone: in .dv/, the cache and
 * the work tree.
 */
#ifndef DV_RECOVER_H
#define DV_RECOVER_H

#include <stddef.h>

#include "dv/repo.h"

/* Remove the stale temp files (dv_tmpfile_is_stale) directly in .dv/, in
 * the cache (tmp/ and every files/xxh128/XX/), and anywhere in the work
 * tree outside .git and .dv.  *removed counts them.  Files of writers
 * still running (this repository's `dv status` saving its stat cache,
 * another repository sharing the cache) are left alone. */
int dv_recover_tmpfiles(size_t *removed, dv_repo *repo);

#endif
