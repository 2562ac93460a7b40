/*
 * pool.h - a parallel for-loop: items claimed one at a time by a few
 * threads, for per-file work (hashing, caching, checkout, copies) whose
 * cost is mostly the kernel's.
 */
#ifndef DV_POOL_H
#define DV_POOL_H

#include <stddef.h>

typedef void (*dv_pool_fn)(void *ctx, size_t i);

/* Call fn(ctx, i) for every i in [0, n) on up to `jobs` threads (0: one per
 * core), the caller's thread being one of them; returns when all are done.
 * fn must be safe to run concurrently for different i. */
void dv_parallel_for(size_t n, int jobs, dv_pool_fn fn, void *ctx);

/* One thread per online core (at least 1). */
int dv_pool_default_jobs(void);

#endif
