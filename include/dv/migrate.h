/*
 * migrate.h - `dv migrate`: a DVC 3.x repository becomes a dv one in place.
 *
 * dvc.yaml stages (with vars, foreach, matrix, params, metrics, plots,
 * frozen, always_changed, persist, cache: false, wdir) become .stage files,
 * dvc.lock becomes their recorded state, every *.dvc file a data stage;
 * objects of .dvc/cache (files/md5, with .dir listings) enter dv's cache,
 * each read once to compute its XXH3-128 while its md5 is checked, then
 * hard-linked (copied across file systems); .dvc/config remotes dv
 * supports are configured.  Nothing of DVC's is deleted or changed, so an
 * interrupted migration simply runs again.
 */
#ifndef DV_MIGRATE_H
#define DV_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/repo.h"

typedef struct {
	bool no_commit; /* stage the result in git's index, do not commit */
	int jobs;       /* objects read in parallel (0: one per core) */
} dv_migrate_opts;

typedef struct {
	size_t stages;        /* command stages written (instances counted) */
	size_t data_stages;   /* from *.dvc files */
	size_t objects;       /* distinct files read and converted */
	uint64_t bytes;       /* their bytes */
	dv_strvec remotes;    /* "NAME URL" converted */
	dv_strvec skipped;    /* one line each: what was not converted and why */
	bool committed;
} dv_migrate_report;

void dv_migrate_report_free(dv_migrate_report *r);

/* Migrate the DVC repository at repo->root (it must hold .dvc/). */
int dv_migrate_dvc(dv_migrate_report *out, dv_repo *repo, const dv_migrate_opts *opts);

#endif
