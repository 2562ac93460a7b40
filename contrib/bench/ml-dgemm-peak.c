/*
 * ml-dgemm-peak.c - the machine's measured BLIS dgemm rate, the yardstick
 * bench-ml.sh holds dv-train's Gram-matrix step against.
 *
 *   ml-dgemm-peak [N [REPS]]    square N x N x N dgemm (default 1536, 5)
 *
 * Threads: BLIS_NUM_THREADS if set, else 1 (as dv-train).  Prints the best
 * of REPS runs as `peak_gflops=X`: the best run is the one least disturbed
 * by other load, which is the closest thing to the hardware's rate.
 */
#define _POSIX_C_SOURCE 200809L
#include <blis.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1536, reps = argc > 2 ? atol(argv[2]) : 5;
	const char *env = getenv("BLIS_NUM_THREADS");
	double one = 1.0, zero = 0.0, best = 0;
	double *a, *b, *c;

	if (n < 16 || reps < 1) {
		fprintf(stderr, "usage: ml-dgemm-peak [N >= 16 [REPS >= 1]]\n");
		return 2;
	}
	bli_thread_set_num_threads(env && atol(env) > 0 ? atol(env) : 1);
	a = malloc(sizeof(double) * (size_t)(n * n));
	b = malloc(sizeof(double) * (size_t)(n * n));
	c = malloc(sizeof(double) * (size_t)(n * n));
	if (!a || !b || !c) {
		fprintf(stderr, "ml-dgemm-peak: error: out of memory\n");
		return 1;
	}
	for (long i = 0; i < n * n; i++) {
		a[i] = (double)(i % 17) * 0.125;
		b[i] = (double)(i % 11) * 0.25;
	}
	/* One untimed call first: BLIS sets up its memory pools lazily. */
	for (long r = 0; r <= reps; r++) {
		double t = now();
		bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, n, n, n, &one, a, n, 1,
			  b, n, 1, &zero, c, n, 1);
		t = now() - t;
		if (r > 0 && 2.0 * (double)n * (double)n * (double)n / t * 1e-9 > best)
			best = 2.0 * (double)n * (double)n * (double)n / t * 1e-9;
	}
	printf("peak_gflops=%.3f n=%ld reps=%ld checksum=%g\n", best, n, reps, c[n * n - 1]);
	free(a);
	free(b);
	free(c);
	return 0;
}
