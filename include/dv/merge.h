/*
 * merge.h - three-way merge of one .stage file, for the merge driver git
 * calls on `*.stage` (`dv merge-driver`, registered by `dv install`).
 *
 * A .stage is merged as data, not as lines: the stage's own settings, its
 * deps and params (one block) and each out (keyed by path) take whichever
 * side changed them; a directory out changed on both sides is merged file
 * by file from the three manifests, and the merged manifest is written to
 * the cache.  Anything changed differently on both sides is a real
 * conflict: git's line merge (with conflict markers) is the result, and
 * every dv command then names the file and the way out.
 */
#ifndef DV_MERGE_H
#define DV_MERGE_H

#include <stdbool.h>

#include "dv/buf.h"
#include "dv/repo.h"

/* Merge `ours` and `theirs` (the texts of `stage_path` on both sides)
 * from their common `base` (empty when the file is new on both sides).
 * `out` receives the merged text; `*clean` is false when a conflict is
 * left in it, and `conflicts` (may be NULL) one line per conflicting
 * thing, naming it.  Returns < 0 only when the merge could not be made at
 * all (git's line merge failed). */
int dv_stage_merge(dv_buf *out, bool *clean, dv_strvec *conflicts, dv_repo *repo,
		   const char *stage_path, const dv_buf *base, const dv_buf *ours,
		   const dv_buf *theirs);

#endif
