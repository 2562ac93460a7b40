/*
 * kernels.h - which code runs the models' O(n d^2) and O(n d k) products,
 * and the BLIS configuration that decides it.
 *
 * BLIS picks its kernels from CPUID when the library loads.  A CPU newer
 * than the installed BLIS gets the `generic` configuration: reference
 * kernels several times slower than the optimised ones, and no way out
 * (BLIS_ARCH_TYPE aborts Debian's 0.9 build).  So the products go through
 * one of several paths:
 *   syrk    bli_dsyrk (the Gram matrix only)
 *   gemm    bli_dgemm: on row panels of the Gram matrix, and for logreg
 *   c-avx2  the C kernels of kernels_simd.h compiled for AVX2 + FMA
 *   c-sse2  the same C kernels for baseline x86-64 (any CPU)
 * With an optimised BLIS configuration, BLIS runs (syrk, gemm).  Under
 * `generic` the candidates are timed on the first rows of the actual data
 * and the fastest is used.  DV_ML_KERNEL overrides the choice (tests and
 * benchmarks force each path with it):
 *   auto     (default) as above
 *   measure  time the candidates even when BLIS is optimised
 *   blis     syrk and gemm          gemm   gemm for both
 *   c        c-avx2 if the CPU has AVX2 and FMA, else c-sse2
 *   sse2     c-sse2
 * All paths compute the same sums in different orders: their results agree
 * to rounding (1e-12 relative, checked by tests/test_kernels.c).
 */
#ifndef DV_ML_KERNELS_H
#define DV_ML_KERNELS_H

#include <stddef.h>

typedef enum {
	ML_KERNEL_AUTO,
	ML_KERNEL_MEASURE,
	ML_KERNEL_BLIS,
	ML_KERNEL_GEMM,
	ML_KERNEL_C,
	ML_KERNEL_SSE2,
} ml_kernel_mode;

typedef enum {
	ML_PATH_SYRK,
	ML_PATH_GEMM,
	ML_PATH_C_AVX2,
	ML_PATH_C_SSE2,
} ml_path;

/* The BLIS configuration chosen for this CPU ("zen3", "haswell",
 * "generic", ...) and BLIS's version string. */
const char *ml_blis_config(void);
const char *ml_blis_version(void);

/* 1 if `config` names BLIS's unoptimised reference configuration. */
int ml_blis_config_is_generic(const char *config);

/* 1 if this CPU can run the c-avx2 kernels (AVX2 and FMA). */
int ml_cpu_has_avx2(void);

/* The mode a DV_ML_KERNEL value names (NULL or "" is auto); -1 with an
 * error naming the valid values for anything else. */
int ml_kernel_mode_parse(ml_kernel_mode *out, const char *text);

/* The mode from DV_ML_KERNEL, read once per process (ml_kernel_mode_parse). */
int ml_kernel_mode_get(ml_kernel_mode *out);

/* Overrides DV_ML_KERNEL for the rest of the process (the unit tests). */
void ml_kernel_mode_force(ml_kernel_mode mode);

const char *ml_kernel_mode_name(ml_kernel_mode mode);
const char *ml_path_name(ml_path path);

/* Padding the paths need: the Gram block's row stride for w columns. */
size_t ml_gram_stride(size_t w);

/* Chooses the path for ml_gram_update under the current mode; when it has
 * to measure, it times each candidate on B's first `rows` rows (B as for
 * ml_gram_update; its contents are only read). */
int ml_gram_choose(ml_path *out, const double *b, size_t bs, size_t rows, size_t w);

/* G += B^T B on the lower triangle (w x w, row stride bs; entries above
 * the diagonal are scratch) for B rows x w with row stride
 * bs = ml_gram_stride(w) and columns w..bs-1 zero. */
void ml_gram_update(ml_path path, double *g, const double *b, size_t bs, size_t rows,
		    size_t w);

/* The two products of a logreg step, for batches of up to max_rows rows of
 * X (row-major, d columns) and W, G with k columns; owns the padded copies
 * the C kernels work on. */
typedef struct {
	ml_path path;           /* ML_PATH_GEMM, ML_PATH_C_AVX2 or ML_PATH_C_SSE2 */
	size_t max_rows, d, k, kp;
	double *wp;             /* d x kp: W with zero columns up to kp */
	double *pp;             /* max_rows (rounded up to 4) x kp */
	double *gwp;            /* d (rounded up to 4) x kp */
} ml_matmul;

int ml_matmul_init(ml_matmul *m, size_t max_rows, size_t d, size_t k);
void ml_matmul_free(ml_matmul *m);

/* Chooses m->path under the current mode, timing the candidates on X's
 * first `rows` rows (rows <= max_rows) if it has to measure. */
int ml_matmul_choose(ml_matmul *m, const double *X, size_t rows);

/* P (rows x k) = X W, for X rows x d and W d x k (row-major). */
void ml_matmul_xw(ml_matmul *m, double *P, const double *X, size_t rows, const double *W);

/* GW (d x k) = alpha X^T G, for X rows x d and G rows x k. */
void ml_matmul_xtg(ml_matmul *m, double *GW, double alpha, const double *X, size_t rows,
		   const double *G);

#endif
