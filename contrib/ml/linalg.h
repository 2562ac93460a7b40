/*
 * linalg.h - the dense numerics the models are built from: BLIS threading,
 * the centered Gram matrix, a small Cholesky factorisation and softmax.
 *
 * Matrices are row-major doubles.  Only the O(n d^2) and O(n d k) work goes
 * to BLIS; the O(d^3) factorisation of a d x d system (d is tens to a few
 * hundred) is cheap and is written here so its behaviour on a singular
 * matrix is ours to define.
 */
#ifndef DV_ML_LINALG_H
#define DV_ML_LINALG_H

#include <stddef.h>

#include "kernels.h"

/* Chooses the number of BLIS threads: `requested` if > 0, else the
 * BLIS_NUM_THREADS environment variable if set, else 1.  Pipeline stages run
 * in parallel (dv repro -j), so the default must not be "all cores" - that
 * would multiply with the stage parallelism.  Returns the number chosen, or
 * -1 (with an error) if BLIS_NUM_THREADS is not a positive integer. */
long ml_blis_set_threads(long requested);

/* Centered cross products for least squares with an intercept:
 *   gram = (X - 1 mx^T)^T (X - 1 mx^T)    (d x d, lower triangle filled)
 *   xty  = (X - 1 mx^T)^T (y - my)        (d)
 * with mx, my the column / target means (returned in xmean, ymean).
 * X (n x d) is read in place, once: shifting happens one block of rows at a
 * time in a small buffer, so memory stays O(block * d) (see linalg.c for
 * why the result is as accurate as centering the whole matrix first).
 * The products, n (d+1)(d+2) flops, run on the path ml_gram_choose picks
 * (kernels.h), returned in *path. */
int ml_centered_gram(double *gram, double *xty, double *xmean, double *ymean, ml_path *path,
		     const double *X, const double *y, size_t n, size_t d);

/* In-place Cholesky factorisation A = L L^T of a symmetric positive
 * definite n x n matrix; reads and writes the lower triangle only.  Fails
 * (with a message) if A is not numerically positive definite. */
int ml_cholesky(double *a, size_t n);

/* Solves L L^T x = b in place (b becomes x) with L from ml_cholesky. */
void ml_cholesky_solve(const double *l, size_t n, double *b);

/* Turns each row of z (rows x k) of scores into probabilities.  The row
 * maximum is subtracted first so exp() cannot overflow. */
void ml_softmax_rows(double *z, size_t rows, size_t k);

/* Seconds on a monotonic clock, for the timings the programs report. */
double ml_now(void);

/* CPU seconds used by the process so far, all threads together. */
double ml_cpu_now(void);

#endif
