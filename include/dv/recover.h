/*
 * recover.h - cleaning up after a dv that was killed mid-write.
 *
 * Every file dv writes goes through a temp name that is renamed into
 * place, so a SIGKILL (or a crash, or the OOM killer) leaves no torn file
 * under a real name; but it does leave the temp file, which no signal
 * handler could remove.  The next command that takes the repository lock
 * learns that its previous holder died holding it (dv_lock_killed_holder)
 * and removes every temp file whose writer is gone: in .dv/, the cache and
 * the work tree; then it stages what the dead command wrote but did not
 * get to stage.
 */
#ifndef DV_RECOVER_H
#define DV_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "dv/repo.h"

/* Remove the stale temp files (dv_tmpfile_is_stale) directly in .dv/, in
 * the cache (tmp/ and every files/xxh128/XX/), and anywhere in the work
 * tree outside .git and .dv.  *removed counts them.  Files of writers
 * still running (this repository's `dv status` saving its stat cache,
 * another repository sharing the cache) are left alone. */
int dv_recover_tmpfiles(size_t *removed, dv_repo *repo);

/* A killed dv may have saved .stage and .gitignore files without staging
 * them (staging comes last, in one batch): with core.autostage on, stage
 * those that differ from git's index, as the killed command would have.
 * *staged counts them.  A .stage that does not parse is left to the user
 * (every command names it). */
int dv_recover_restage(size_t *staged, dv_repo *repo);

/* A dv killed while libgit2 wrote the index leaves .git/index.lock, and
 * every git command then refuses to run.  Remove it (*removed = true) only
 * when it is the killed holder's: made after it took dv's lock (`since`)
 * and held open by no live process (a running git keeps its lock open). */
int dv_recover_git_index_lock(bool *removed, dv_repo *repo, struct timespec since);

#endif
