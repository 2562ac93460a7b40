/*
 * linalg.c - BLIS threading, centered Gram matrix, Cholesky, softmax
 * (see linalg.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "linalg.h"
#include "mlerr.h"

#include <blis.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows centered per BLIS call: large enough that syrk runs near its peak
 * (the k dimension amortises packing), small enough that the buffer
 * (block x d doubles, 2 MiB at d = 64) stays in cache. */
enum { GRAM_BLOCK_ROWS = 4096 };

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

/* Column sums of a block of rows, added into `sum`.  Summing per block and
 * then across blocks keeps the rounding error of a million-row mean near
 * that of a pairwise sum rather than a naive running one. */
static void add_block_column_sums(double *sum, const double *X, size_t rows,
				  size_t d, double *partial)
{
	memset(partial, 0, d * sizeof(*partial));
	for (size_t i = 0; i < rows; i++) {
		const double *row = X + i * d;
		for (size_t j = 0; j < d; j++)
			partial[j] += row[j];
	}
	for (size_t j = 0; j < d; j++)
		sum[j] += partial[j];
}

int ml_centered_gram(double *gram, double *xty, double *xmean, double *ymean,
		     const double *X, const double *y, size_t n, size_t d)
{
	double *block = NULL, *yblock = NULL, *partial = NULL;
	double ysum = 0, one = 1.0;
	int rc = -1;

	if (n == 0 || d == 0)
		return ml_fail("cannot fit on an empty matrix (%zu x %zu)", n, d);
	block = malloc(GRAM_BLOCK_ROWS * d * sizeof(*block));
	yblock = malloc(GRAM_BLOCK_ROWS * sizeof(*yblock));
	partial = malloc(d * sizeof(*partial));
	if (!block || !yblock || !partial) {
		ml_fail("out of memory");
		goto done;
	}

	/* Pass 1: means. */
	memset(xmean, 0, d * sizeof(*xmean));
	for (size_t start = 0; start < n; start += GRAM_BLOCK_ROWS) {
		size_t rows = n - start < GRAM_BLOCK_ROWS ? n - start : GRAM_BLOCK_ROWS;
		double ypart = 0;
		add_block_column_sums(xmean, X + start * d, rows, d, partial);
		for (size_t i = 0; i < rows; i++)
			ypart += y[start + i];
		ysum += ypart;
	}
	for (size_t j = 0; j < d; j++)
		xmean[j] /= (double)n;
	*ymean = ysum / (double)n;

	/* Pass 2: accumulate the centered products block by block.  The
	 * block is row-major rows x d; handing BLIS the same memory as a
	 * d x rows matrix (row stride 1, column stride d) makes it X_b^T, so
	 * syrk's C += A A^T is exactly X_b^T X_b with no transposed copy. */
	memset(gram, 0, d * d * sizeof(*gram));
	memset(xty, 0, d * sizeof(*xty));
	for (size_t start = 0; start < n; start += GRAM_BLOCK_ROWS) {
		size_t rows = n - start < GRAM_BLOCK_ROWS ? n - start : GRAM_BLOCK_ROWS;
		for (size_t i = 0; i < rows; i++) {
			const double *src = X + (start + i) * d;
			double *dst = block + i * d;
			for (size_t j = 0; j < d; j++)
				dst[j] = src[j] - xmean[j];
			yblock[i] = y[start + i] - *ymean;
		}
		bli_dsyrk(BLIS_LOWER, BLIS_NO_TRANSPOSE, (dim_t)d, (dim_t)rows,
			  &one, block, 1, (inc_t)d, &one, gram, (inc_t)d, 1);
		bli_dgemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, (dim_t)rows, (dim_t)d,
			  &one, block, (inc_t)d, 1, yblock, 1, &one, xty, 1);
	}
	rc = 0;
done:
	free(block);
	free(yblock);
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
