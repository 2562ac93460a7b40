/*
 * pool.c - the parallel for-loop behind every per-file fan-out.
 *
 * Threads are started per call rather than kept: a call covers thousands
 * of items, so a few pthread_create calls are noise, and nothing lingers
 * between commands of a library user.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "dv/pool.h"

#define MAX_THREADS 64

typedef struct {
	size_t n, chunk;
	dv_pool_fn fn;
	void *ctx;
	atomic_size_t next;
} pool;

static void *worker(void *arg)
{
	pool *p = arg;
	size_t i;
	while ((i = atomic_fetch_add(&p->next, p->chunk)) < p->n)
		for (size_t end = i + p->chunk < p->n ? i + p->chunk : p->n; i < end; i++)
			p->fn(p->ctx, i);
	return NULL;
}

int dv_pool_default_jobs(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	return cores > 1 ? (int)(cores > MAX_THREADS ? MAX_THREADS : cores) : 1;
}

void dv_parallel_for(size_t n, int jobs, dv_pool_fn fn, void *ctx)
{
	pthread_t threads[MAX_THREADS];
	pool p = { n, 1, fn, ctx, 0 };
	int started = 0;

	if (jobs <= 0)
		jobs = dv_pool_default_jobs();
	if (jobs > MAX_THREADS)
		jobs = MAX_THREADS;
	if ((size_t)jobs > n)
		jobs = (int)n;
	/* Runs of neighbouring items (files of one directory, in sorted
	 * order) go to one thread, so threads seldom wait on the same
	 * directory's lock; 32 runs per thread keep the tail short. */
	if (jobs > 1)
		p.chunk = n / ((size_t)jobs * 32);
	if (p.chunk < 1)
		p.chunk = 1;
	if (p.chunk > 256)
		p.chunk = 256;
	/* The caller's thread works too; one that cannot start is no loss. */
	for (int t = 1; t < jobs; t++)
		if (pthread_create(&threads[started], NULL, worker, &p) == 0)
			started++;
	worker(&p);
	for (int t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
}

typedef struct {
	const size_t *starts; /* nruns + 1 entries */
	dv_pool_fn fn;
	void *ctx;
} runs_ctx;

static void run_one(void *arg, size_t r)
{
	runs_ctx *rc = arg;
	for (size_t i = rc->starts[r]; i < rc->starts[r + 1]; i++)
		rc->fn(rc->ctx, i);
}

void dv_parallel_for_runs(size_t n, int jobs, bool (*same_run)(void *ctx, size_t i), dv_pool_fn fn, void *ctx)
{
	size_t *starts, nruns = 0, cap, len = 0;
	runs_ctx rc = { NULL, fn, ctx };

	if (jobs <= 0)
		jobs = dv_pool_default_jobs();
	if (jobs <= 1 || n < 2) {
		dv_parallel_for(n, 1, fn, ctx);
		return;
	}
	/* Four runs per thread at least, for the tail. */
	cap = n / ((size_t)jobs * 4);
	if (cap < 1)
		cap = 1;
	if (!(starts = malloc((n + 1) * sizeof(*starts)))) {
		dv_parallel_for(n, jobs, fn, ctx);
		return;
	}
	for (size_t i = 0; i < n; i++, len++)
		if (i == 0 || len >= cap || !same_run(ctx, i)) {
			starts[nruns++] = i;
			len = 0;
		}
	starts[nruns] = n;
	rc.starts = starts;
	dv_parallel_for(nruns, jobs, run_one, &rc);
	free(starts);
}
