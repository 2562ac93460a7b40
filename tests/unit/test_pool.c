/* test_pool.c - the parallel for-loops: every item once, and runs kept on
 * one thread. */
#include <pthread.h>
#include <stdatomic.h>

#include "dv/pool.h"
#include "test.h"

#define N 1000

typedef struct {
	atomic_int calls[N];
	pthread_t by[N];
	size_t group; /* items per run */
} ctx_t;

static void visit(void *arg, size_t i)
{
	ctx_t *c = arg;
	atomic_fetch_add(&c->calls[i], 1);
	c->by[i] = pthread_self();
}

static bool same_group(void *arg, size_t i)
{
	ctx_t *c = arg;
	return i / c->group == (i - 1) / c->group;
}

TEST(every_item_once)
{
	static ctx_t c;
	memset(&c, 0, sizeof(c));
	dv_parallel_for(N, 2, visit, &c);
	for (size_t i = 0; i < N; i++)
		CHECK_INT(c.calls[i], 1);
}

TEST(runs_stay_on_one_thread)
{
	static ctx_t c;
	memset(&c, 0, sizeof(c));
	c.group = 100; /* under the cut, N / (2 threads * 4) = 125 */
	dv_parallel_for_runs(N, 2, same_group, visit, &c);
	for (size_t i = 0; i < N; i++) {
		CHECK_INT(c.calls[i], 1);
		if (i % c.group)
			CHECK(pthread_equal(c.by[i], c.by[i - 1]));
	}
}

TEST(a_long_run_is_cut_and_still_covered)
{
	static ctx_t c;
	memset(&c, 0, sizeof(c));
	c.group = N; /* one run: cut into shares for both threads */
	dv_parallel_for_runs(N, 2, same_group, visit, &c);
	for (size_t i = 0; i < N; i++)
		CHECK_INT(c.calls[i], 1);
	dv_parallel_for_runs(1, 2, same_group, visit, &c);
	CHECK_INT(c.calls[0], 2);
	dv_parallel_for_runs(0, 2, same_group, visit, &c);
}

TEST_MAIN(every_item_once, runs_stay_on_one_thread, a_long_run_is_cut_and_still_covered)
