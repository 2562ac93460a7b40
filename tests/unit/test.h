/*
 * test.h - the tiny harness of dv's unit tests.
 *
 *   TEST(name) { CHECK(cond); CHECK_STR(a, b); CHECK_INT(a, b); CHECK_OK(rc); }
 *   ... and at the end:  TEST_MAIN(test_a, test_b, ...)
 *
 * A failed check prints file:line and the values, marks the test failed and
 * carries on; the closing line is "N passed, N failed" as ctest logs show.
 */
#ifndef DV_TEST_H
#define DV_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/error.h"

static int test__failed;

#define TEST(name) static void name(void)

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		test__failed = 1; \
	} } while (0)

#define CHECK_INT(a, b) do { \
	long long test__a = (long long)(a), test__b = (long long)(b); \
	if (test__a != test__b) { \
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
			#a, test__a, #b, test__b); \
		test__failed = 1; \
	} } while (0)

#define CHECK_STR(a, b) do { \
	const char *test__a = (a), *test__b = (b); \
	if (!test__a || !test__b || strcmp(test__a, test__b)) { \
		fprintf(stderr, "%s:%d: %s\n    got:      \"%s\"\n    expected: \"%s\"\n", \
			__FILE__, __LINE__, #a, test__a ? test__a : "(null)", \
			test__b ? test__b : "(null)"); \
		test__failed = 1; \
	} } while (0)

#define CHECK_OK(rc) do { \
	int test__rc = (rc); \
	if (test__rc < 0) { \
		fprintf(stderr, "%s:%d: %s failed (%d): %s\n", __FILE__, __LINE__, #rc, \
			test__rc, dv_error_last()); \
		test__failed = 1; \
	} } while (0)

#define CHECK_FAILS(rc, text) do { \
	int test__rc = (rc); \
	if (test__rc >= 0) { \
		fprintf(stderr, "%s:%d: %s succeeded, expected failure\n", __FILE__, __LINE__, #rc); \
		test__failed = 1; \
	} else if ((text) && !strstr(dv_error_last(), (text))) { \
		fprintf(stderr, "%s:%d: %s: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, \
			#rc, dv_error_last(), (const char *)(text)); \
		test__failed = 1; \
	} } while (0)

/* A private scratch directory for this test binary. */
static inline const char *test_tmpdir(void)
{
	static char dir[4096];
	if (!dir[0]) {
		const char *base = getenv("DV_TEST_TMP");
		char cmd[2 * sizeof(dir) + 64];
		snprintf(dir, sizeof(dir), "%s/unit-%ld", base ? base : "/tmp", (long)getpid());
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
		if (system(cmd) != 0)
			abort();
	}
	return dir;
}

typedef void (*test__fn)(void);

static inline int test__run(const char *names, test__fn *fns, size_t n)
{
	int passed = 0, failed = 0;
	char *list = strdup(names), *save = NULL;
	char *name = strtok_r(list, ", ", &save);
	for (size_t i = 0; i < n; i++) {
		test__failed = 0;
		dv_error_clear();
		fns[i]();
		printf("%s %zu - %s\n", test__failed ? "not ok" : "ok", i + 1, name ? name : "?");
		if (test__failed)
			failed++;
		else
			passed++;
		name = strtok_r(NULL, ", ", &save);
	}
	free(list);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#define TEST_MAIN(...) \
	int main(void) { \
		test__fn fns[] = { __VA_ARGS__ }; \
		return test__run(#__VA_ARGS__, fns, sizeof(fns) / sizeof(fns[0])); \
	}

#endif
