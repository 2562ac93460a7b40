/*
 * check.h - the few macros the ML unit tests need, and a runner.
 *
 * A test is a function named for the behaviour it proves; the runner
 * prints "ok"/"not ok" per test (TAP-like, so a failure names itself) and
 * the program exits 1 if any check failed, which is what CTest looks at.
 */
#ifndef DV_ML_TESTS_CHECK_H
#define DV_ML_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failed; /* checks failed in the current test */

#define CHECK(cond) do { \
	if (!(cond)) { \
		check_failed++; \
		fprintf(stderr, "  %s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_NEAR(got, want, tol) do { \
	double got_ = (got), want_ = (want); \
	if (!(fabs(got_ - want_) <= (tol))) { \
		check_failed++; \
		fprintf(stderr, "  %s:%d: failed: %s = %.17g, want %.17g (tolerance %g)\n", \
			__FILE__, __LINE__, #got, got_, want_, (double)(tol)); \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *got_ = (got), *want_ = (want); \
	if (strcmp(got_, want_) != 0) { \
		check_failed++; \
		fprintf(stderr, "  %s:%d: failed: %s\n    got:  %s\n    want: %s\n", \
			__FILE__, __LINE__, #got, got_, want_); \
	} \
} while (0)

typedef struct {
	const char *name;
	void (*run)(void);
} check_test;

#define TEST(fn) { #fn, fn }

static int check_run_all(const check_test *tests, size_t n)
{
	int failed_tests = 0;

	for (size_t i = 0; i < n; i++) {
		check_failed = 0;
		tests[i].run();
		printf("%s - %s\n", check_failed ? "not ok" : "ok", tests[i].name);
		failed_tests += check_failed != 0;
	}
	printf("%d of %zu tests failed\n", failed_tests, n);
	return failed_tests ? 1 : 0;
}

#endif
