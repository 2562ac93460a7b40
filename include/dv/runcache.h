/*
 * runcache.h - the run-cache (SPEC "Repository layout": <cache>/runs/):
 * what a command stage produced the last time it ran with exactly these
 * inputs, so repro can restore the outs from the cache instead of running.
 *
 * Key: the hash of the stage's definition (cmd, paths, flags, param keys),
 * its deps' recorded hashes and its params' values.  Value: a small text
 * file listing each out's path, hash, size and file count, at
 * runs/<2 hex>/<30 hex>, written atomically so an interrupted save never
 * leaves a torn entry.  Uncached outs (metrics) are put into the cache too
 * when an entry is saved, so a restore can bring them back.  Stages with
 * persistent outs, always_changed, or no outs are never run-cached: their
 * result is not a function of their inputs.
 */
#ifndef DV_RUNCACHE_H
#define DV_RUNCACHE_H

#include <stdbool.h>

#include "dv/hash.h"
#include "dv/repo.h"
#include "dv/stage.h"

/* Can this stage use the run-cache at all? */
bool dv_runcache_eligible(const dv_stage *st);
/* The key of the stage's current inputs; deps and params must carry the
 * values just recorded (hashes, values). */
void dv_runcache_key(dv_hash *out, const dv_stage *st);
/* Remember the outs of `st` (just recorded) under its key. */
int dv_runcache_save(dv_repo *repo, const dv_stage *st);
/* If an entry for the stage's inputs exists and every object it names is
 * in the cache, put the outs in place and record them in `st` (returns 1);
 * 0 when there is nothing to restore. */
int dv_runcache_restore(dv_repo *repo, dv_stage *st);

#endif
