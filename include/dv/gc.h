/*
 * gc.h - deleting the objects no kept revision references, from the cache
 * and optionally from a remote (`dv gc`).
 *
 * Two steps, so the caller can show the plan and ask before anything goes:
 * dv_gc_plan() computes what would be removed (never an object a kept
 * revision references, manifests expanded; see objects.h), dv_gc_apply()
 * removes it.  A plan with a missing manifest cannot be applied: the files
 * that manifest lists are unknown, and deleting them could lose data a
 * kept revision needs.
 */
#ifndef DV_GC_H
#define DV_GC_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/objects.h"
#include "dv/remote.h"
#include "dv/repo.h"

typedef struct {
	dv_used_objects used;  /* what the kept revisions reference */
	dv_vec garbage;        /* dv_cached_object: in the cache, unreferenced */
	uint64_t garbage_bytes;
	size_t cache_objects;  /* everything in the cache */
	bool with_remote;
	dv_strvec remote_garbage; /* object paths on the remote, unreferenced */
	size_t remote_objects;
	int64_t remote_grace_ns;  /* gc.remote_grace (0: none) */
	size_t remote_young;      /* unreferenced but younger than that: kept */
	dv_strvec remote_stale_tmp; /* temp files killed pushes left there */
	size_t manifests_fetched; /* missing manifests taken from the remote */
	dv_strvec stale_tmp;   /* temp files killed writers left, older than an hour */
	uint64_t stale_tmp_bytes;
} dv_gc_plan;

void dv_gc_plan_free(dv_gc_plan *plan);

/* Plan a gc keeping the revisions of `scope` (DV_SCOPE_*; the workspace is
 * always kept).  With `remote`, its objects are listed too, and manifests
 * a kept revision needs that are missing from the cache are fetched from
 * it first (they are small, and without them the plan is refused); an
 * unreferenced remote object modified within gc.remote_grace (default
 * 24h) is kept, and the remote's stale temp files are listed. */
int dv_gc_plan_make(dv_gc_plan *plan, dv_repo *repo, unsigned scope, dv_remote *remote);
/* Remove what the plan lists (stale temp files too); `removed` /
 * `remote_removed` count the objects.
 * Refuses (DV_ERROR) a plan that has missing manifests. */
int dv_gc_apply(size_t *removed, size_t *remote_removed, dv_repo *repo, const dv_gc_plan *plan,
		dv_remote *remote);

#endif
