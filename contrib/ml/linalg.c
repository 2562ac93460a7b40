/*
 * linalg.c - BLIS threading, centered Gram matrix, Cholesky, softmax
 * (see linalg.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "linalg.h"
#include "kernels.h"
#include "mlerr.h"

#include <blis.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows centered per kernel call: large enough that syrk runs near its peak
 * (the k dimension amortises packing), small enough that the buffer
 * (block x d doubles, 2 MiB at d = 64) stays in cache.  The C kernels walk
 * a block in L1-sized panels, so the size does not matter to them. */
enum { GRAM_BLOCK_ROWS = 4096 };
/* Rows the candidate paths are timed on when one must be chosen: about a
 * millisecond each, small beside a fit worth choosing for. */
enum { GRAM_PROBE_ROWS = 1024 };

long ml_blis_set_threads(long requested)
{
	long n = requested;

	if (n <= 0) {
		const char *env = getenv("BLIS_NUM_THREADS");
		n = 1;
		if (env && *env) {
			char *end;
			errno = 0;
			n = strtol(env, &end, 10);
			if (errno || *end || n <= 0 || n > 4096)
				return ml_fail("invalid BLIS_NUM_THREADS '%s' (expected a positive integer)", env);
		}
	}
	bli_thread_set_num_threads((dim_t)n);
	return n;
}

int ml_centered_gram(double *gram, double *xty, double *xmean, double *ymean, ml_path *path,
		     const double *X, const double *y, size_t n, size_t d)
{
	/* One pass over X, one kernel call per block.  Each block is copied as
	 * B = [X_b - s, y_b - t] (rows x (d+1)), where s, t are the means of
	 * the first block, and the chosen path (kernels.h) accumulates
	 *   G = sum_b B^T B  =  [ Xs^T Xs   Xs^T ys ]
	 *                       [ ys^T Xs   ys^T ys ]   ((d+1) x (d+1))
	 * together with the column sums of B.  With u = mean of the shifted
	 * columns, the centered products are exactly G - n u u^T.
	 *   - Shifting by a near-mean keeps that correction tiny, so there is
	 *     no cancellation even for columns like raw latitude (~40.7 with a
	 *     spread of 0.05) - the accuracy of centering by the true mean,
	 *     without the second pass over X that computing it first costs.
	 *   - Appending y as column d makes X^T y part of the same products.
	 *   - The block's rows are padded with zero columns to the stride the
	 *     C kernels want (ml_gram_stride); zeros add nothing to G. */
	size_t w = d + 1, bs = ml_gram_stride(w);
	size_t first = n < GRAM_BLOCK_ROWS ? n : GRAM_BLOCK_ROWS;
	double *block = NULL, *g = NULL, *shift = NULL, *sum = NULL, *partial = NULL;
	int rc = -1;

	if (n == 0 || d == 0)
		return ml_fail("cannot fit on an empty matrix (%zu x %zu)", n, d);
	block = calloc(GRAM_BLOCK_ROWS * bs, sizeof(*block));
	g = calloc(bs * bs, sizeof(*g));
	shift = calloc(w, sizeof(*shift));
	sum = calloc(w, sizeof(*sum));
	partial = malloc(w * sizeof(*partial));
	if (!block || !g || !shift || !sum || !partial) {
		ml_fail("out of memory");
		goto done;
	}
	for (size_t i = 0; i < first; i++) {
		for (size_t j = 0; j < d; j++)
			shift[j] += X[i * d + j];
		shift[d] += y[i];
	}
	for (size_t j = 0; j < w; j++)
		shift[j] /= (double)first;

	for (size_t start = 0; start < n; start += GRAM_BLOCK_ROWS) {
		size_t rows = n - start < GRAM_BLOCK_ROWS ? n - start : GRAM_BLOCK_ROWS;
		/* Column sums per block, then across blocks: closer to a
		 * pairwise sum than one running total over a million rows.
		 * Summed row by row while copying, so the block is walked once
		 * in memory order. */
		memset(partial, 0, w * sizeof(*partial));
		for (size_t i = 0; i < rows; i++) {
			const double *src = X + (start + i) * d;
			double *dst = block + i * bs;
			for (size_t j = 0; j < d; j++) {
				dst[j] = src[j] - shift[j];
				partial[j] += dst[j];
			}
			dst[d] = y[start + i] - shift[d];
			partial[d] += dst[d];
		}
		for (size_t j = 0; j < w; j++)
			sum[j] += partial[j];
		/* The first block's rows are the data the paths are timed on. */
		if (start == 0 &&
		    ml_gram_choose(path, block, bs, rows < GRAM_PROBE_ROWS ? rows : GRAM_PROBE_ROWS, w) < 0)
			goto done;
		ml_gram_update(*path, g, block, bs, rows, w);
	}
	for (size_t j = 0; j < w; j++)
		sum[j] /= (double)n; /* now u, the mean of the shifted columns */
	for (size_t i = 0; i < d; i++) {
		for (size_t j = 0; j <= i; j++)
			gram[i * d + j] = g[i * bs + j] - (double)n * sum[i] * sum[j];
		for (size_t j = i + 1; j < d; j++)
			gram[i * d + j] = 0; /* upper triangle: unused, but defined */
		xty[i] = g[d * bs + i] - (double)n * sum[d] * sum[i];
		xmean[i] = shift[i] + sum[i];
	}
	*ymean = shift[d] + sum[d];
	rc = 0;
done:
	free(block);
	free(g);
	free(shift);
	free(sum);
	free(partial);
	return rc;
}

int ml_cholesky(double *a, size_t n)
{
	double maxdiag = 0;

	for (size_t i = 0; i < n; i++)
		if (fabs(a[i * n + i]) > maxdiag)
			maxdiag = fabs(a[i * n + i]);
	/* A pivot this small relative to the largest diagonal entry means the
	 * matrix is singular up to rounding (e.g. collinear features with
	 * lambda = 0); continuing would return a meaningless huge solution. */
	double tiny = (double)n * DBL_EPSILON * maxdiag;

	for (size_t j = 0; j < n; j++) {
		double *rowj = a + j * n;
		double pivot = rowj[j];
		for (size_t k = 0; k < j; k++)
			pivot -= rowj[k] * rowj[k];
		if (!(pivot > tiny)) /* also catches NaN */
			return ml_fail("matrix is not positive definite (pivot %zu is %g)", j, pivot);
		double ljj = sqrt(pivot);
		rowj[j] = ljj;
		for (size_t i = j + 1; i < n; i++) {
			double *rowi = a + i * n;
			double s = rowi[j];
			for (size_t k = 0; k < j; k++)
				s -= rowi[k] * rowj[k];
			rowi[j] = s / ljj;
		}
	}
	return 0;
}

void ml_cholesky_solve(const double *l, size_t n, double *b)
{
	/* Forward: L z = b. */
	for (size_t i = 0; i < n; i++) {
		double s = b[i];
		for (size_t k = 0; k < i; k++)
			s -= l[i * n + k] * b[k];
		b[i] = s / l[i * n + i];
	}
	/* Backward: L^T x = z (L^T's row i is L's column i). */
	for (size_t i = n; i-- > 0;) {
		double s = b[i];
		for (size_t k = i + 1; k < n; k++)
			s -= l[k * n + i] * b[k];
		b[i] = s / l[i * n + i];
	}
}

void ml_softmax_rows(double *z, size_t rows, size_t k)
{
	for (size_t i = 0; i < rows; i++) {
		double *row = z + i * k, max = row[0], sum = 0;
		for (size_t j = 1; j < k; j++)
			if (row[j] > max)
				max = row[j];
		for (size_t j = 0; j < k; j++) {
			row[j] = exp(row[j] - max);
			sum += row[j];
		}
		for (size_t j = 0; j < k; j++)
			row[j] /= sum;
	}
}

double ml_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double ml_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
