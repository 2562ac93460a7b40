/*
 * pool.h - a parallel for-loop: items claimed one at a time by a few
 * threads, for per-file work (hashing, caching, checkout, copies) whose
 * cost is mostly the kernel's.
 */
#ifndef DV_POOL_H
#define DV_POOL_H

#include <stdbool.h>
#include <stddef.h>

typedef void (*dv_pool_fn)(void *ctx, size_t i);

/* Call fn(ctx, i) for every i in [0, n) on up to `jobs` threads (0: one per
 * core), the caller's thread being one of them; returns when all are done.
 * fn must be safe to run concurrently for different i. */
void dv_parallel_for(size_t n, int jobs, dv_pool_fn fn, void *ctx);

/* The same, for items in runs that had best stay on one thread: item i
 * starts a new run where same_run(ctx, i) is false (i > 0).  Files sorted
 * by path, a run per directory: a thread creating or renaming names in a
 * directory holds that directory's lock, so two threads in one directory
 * mostly wait on each other.  A run longer than its share of n is cut,
 * so one big directory still keeps every thread busy. */
void dv_parallel_for_runs(size_t n, int jobs, bool (*same_run)(void *ctx, size_t i), dv_pool_fn fn,
			  void *ctx);

/* One thread per online core (at least 1). */
int dv_pool_default_jobs(void);

#endif
