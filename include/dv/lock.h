/*
 * lock.h - the repository lock (.dv/lock) taken by commands that write.
 *
 * An flock on .dv/lock, which also holds the holder's pid for the message
 * a second writer prints.  The kernel drops the lock when the process dies,
 * so a crash never leaves a stale lock behind.
 */
#ifndef DV_LOCK_H
#define DV_LOCK_H

#include <time.h>

typedef struct dv_lock dv_lock;

/* Wait up to `timeout_ms` for the lock, then fail with DV_ELOCKED naming
 * the holder's pid. */
int dv_lock_acquire(dv_lock **out, const char *dvdir, int timeout_ms);
void dv_lock_release(dv_lock *lock);
/* The pid of a holder that died holding the lock (killed, crashed) before
 * we took it, or 0: then its half-done writes may be lying about. */
long dv_lock_killed_holder(const dv_lock *lock);
/* When that killed holder took the lock (the lock file's mtime then). */
struct timespec dv_lock_killed_since(const dv_lock *lock);

#define DV_LOCK_TIMEOUT_MS 3000

#endif
