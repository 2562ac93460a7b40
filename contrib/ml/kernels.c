/*
 * kernels.c - the BLIS configuration, DV_ML_KERNEL, and the paths that run
 * the Gram matrix and logreg's products (see kernels.h).
 *
 * The C kernels are instantiated twice from kernels_simd.h: for AVX2 +
 * FMA behind __attribute__((target)), and for the baseline instruction set
 * the rest of the program is compiled for.  Only the instance the CPU
 * supports is ever called (__builtin_cpu_supports), so the same binary runs
 * on any x86-64.  -std=c11 turns off multiply-add contraction; the AVX2
 * instance turns it back on for itself, since fused multiply-adds are the
 * point of it (they round once instead of twice: differences stay at the
 * rounding level the tests allow).
 */
#define _POSIX_C_SOURCE 200809L
#include "kernels.h"
#include "linalg.h"
#include "mlerr.h"

#include <blis.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIMD_VL 2
#define SIMD_ATTR
#define SIMD_NAME(x) x##_sse2
#include "kernels_simd.h"
#undef SIMD_VL
#undef SIMD_ATTR
#undef SIMD_NAME

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ML_HAVE_AVX2 1
#define SIMD_VL 4
#define SIMD_ATTR __attribute__((target("avx2,fma"), optimize("fp-contract=fast")))
#define SIMD_NAME(x) x##_avx2
#include "kernels_simd.h"
#undef SIMD_VL
#undef SIMD_ATTR
#undef SIMD_NAME
#endif

/* One instance of kernels_simd.h. */
typedef struct {
	void (*gram_update)(double *g, const double *b, size_t bs, size_t rows, size_t w);
	void (*atb)(double *c, size_t n, const double *a, size_t a_rs, size_t a_cs, size_t m,
		    const double *b, size_t kdim);
} c_kernels;

static const c_kernels kernels_sse2 = { gram_update_sse2, atb_sse2 };
#ifdef ML_HAVE_AVX2
static const c_kernels kernels_avx2 = { gram_update_avx2, atb_avx2 };
#endif

/* The instance for ML_PATH_C_AVX2 or ML_PATH_C_SSE2. */
static const c_kernels *c_kernels_for(ml_path path)
{
#ifdef ML_HAVE_AVX2
	if (path == ML_PATH_C_AVX2)
		return &kernels_avx2;
#else
	(void)path;
#endif
	return &kernels_sse2;
}

/* Columns of the padded copies: the AVX2 tile is 8 doubles wide. */
enum { PAD = 8 };
/* Timed runs per candidate; the fastest counts (the machine is shared, and
 * the first run also pays for BLIS's lazily allocated buffers). */
enum { MEASURE_RUNS = 3 };
/* Columns of the Gram matrix per bli_dgemm call on the gemm path: the
 * panel's row block of the lower triangle, at most 2x the work of syrk's
 * triangle in the first panel and little more overall. */
enum { GEMM_PANEL = 16 };

/* The clock the candidates are timed with.  Single-threaded, the thread's
 * CPU time: on a loaded machine (pipeline stages in parallel) wall time
 * also counts the time other processes ran, which would make the choice
 * random.  With BLIS threads the CPU time of this thread alone would not
 * see BLIS's work, so then it is wall time. */
static double measure_now(void)
{
	struct timespec ts;

	if (bli_thread_get_num_threads() > 1)
		return ml_now();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

const char *ml_blis_config(void)
{
	return bli_arch_string(bli_arch_query_id());
}

const char *ml_blis_version(void)
{
	return bli_info_get_version_str();
}

int ml_blis_config_is_generic(const char *config)
{
	return strcmp(config, "generic") == 0;
}

int ml_cpu_has_avx2(void)
{
#ifdef ML_HAVE_AVX2
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
	return 0;
#endif
}

static const char *const mode_names[] = {
	[ML_KERNEL_AUTO] = "auto", [ML_KERNEL_MEASURE] = "measure",
	[ML_KERNEL_BLIS] = "blis", [ML_KERNEL_GEMM] = "gemm",
	[ML_KERNEL_C] = "c",       [ML_KERNEL_SSE2] = "sse2",
};
static const size_t n_modes = sizeof(mode_names) / sizeof(mode_names[0]);
static int mode_known; /* 1 once read from the environment or forced */
static ml_kernel_mode mode_current;

int ml_kernel_mode_parse(ml_kernel_mode *out, const char *text)
{
	size_t i = 0;

	if (text && *text) {
		while (i < n_modes && strcmp(text, mode_names[i]) != 0)
			i++;
		if (i == n_modes)
			return ml_fail("invalid DV_ML_KERNEL '%s' (expected auto, measure, "
				       "blis, gemm, c or sse2)", text);
	}
	*out = (ml_kernel_mode)i;
	return 0;
}

int ml_kernel_mode_get(ml_kernel_mode *out)
{
	if (!mode_known) {
		if (ml_kernel_mode_parse(&mode_current, getenv("DV_ML_KERNEL")) < 0)
			return -1;
		mode_known = 1;
	}
	*out = mode_current;
	return 0;
}

void ml_kernel_mode_force(ml_kernel_mode mode)
{
	mode_current = mode;
	mode_known = 1;
}

const char *ml_kernel_mode_name(ml_kernel_mode mode)
{
	return (size_t)mode < n_modes ? mode_names[mode] : "?";
}

const char *ml_path_name(ml_path path)
{
	switch (path) {
	case ML_PATH_SYRK: return "syrk";
	case ML_PATH_GEMM: return "gemm";
	case ML_PATH_C_AVX2: return "c-avx2";
	case ML_PATH_C_SSE2: return "c-sse2";
	}
	return "?";
}

static ml_path best_c_path(void)
{
	return ml_cpu_has_avx2() ? ML_PATH_C_AVX2 : ML_PATH_C_SSE2;
}

/* The path a mode names without measuring; returns 1 if it must measure. */
static int resolve(ml_path *out, ml_kernel_mode mode, ml_path blis_path)
{
	switch (mode) {
	case ML_KERNEL_AUTO:
		if (ml_blis_config_is_generic(ml_blis_config()))
			return 1;
		*out = blis_path;
		return 0;
	case ML_KERNEL_MEASURE: return 1;
	case ML_KERNEL_BLIS: *out = blis_path; return 0;
	case ML_KERNEL_GEMM: *out = ML_PATH_GEMM; return 0;
	case ML_KERNEL_C: *out = best_c_path(); return 0;
	case ML_KERNEL_SSE2: *out = ML_PATH_C_SSE2; return 0;
	}
	*out = blis_path;
	return 0;
}

size_t ml_gram_stride(size_t w)
{
	return round_up(w, PAD);
}

void ml_gram_update(ml_path path, double *g, const double *b, size_t bs, size_t rows, size_t w)
{
	double one = 1.0;

	switch (path) {
	case ML_PATH_SYRK:
		/* B's memory read as a w x rows matrix (row stride 1, column
		 * stride bs) is B^T, so syrk's C += A A^T is B^T B. */
		bli_dsyrk(BLIS_LOWER, BLIS_NO_TRANSPOSE, (dim_t)w, (dim_t)rows, &one,
			  (double *)b, 1, (inc_t)bs, &one, g, (inc_t)bs, 1);
		return;
	case ML_PATH_GEMM:
		/* Row panel i0..i0+m of the lower triangle: columns 0..i0+m. */
		for (size_t i0 = 0; i0 < w; i0 += GEMM_PANEL) {
			size_t m = w - i0 < GEMM_PANEL ? w - i0 : GEMM_PANEL;
			bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)m, (dim_t)(i0 + m),
				  (dim_t)rows, &one, (double *)b + i0, 1, (inc_t)bs, (double *)b,
				  (inc_t)bs, 1, &one, g + i0 * bs, (inc_t)bs, 1);
		}
		return;
	case ML_PATH_C_AVX2:
	case ML_PATH_C_SSE2:
		c_kernels_for(path)->gram_update(g, b, bs, rows, w);
		return;
	}
}

/* The candidates measured when BLIS cannot be trusted to be fastest: the
 * BLIS paths and the best C kernel this CPU runs. */
static size_t candidates(ml_path *out, int gram)
{
	size_t n = 0;

	if (gram)
		out[n++] = ML_PATH_SYRK;
	out[n++] = ML_PATH_GEMM;
	out[n++] = best_c_path();
	return n;
}

int ml_gram_choose(ml_path *out, const double *b, size_t bs, size_t rows, size_t w)
{
	ml_path cand[3];
	size_t n = candidates(cand, 1);
	double best = HUGE_VAL, *g;
	ml_kernel_mode mode;

	if (ml_kernel_mode_get(&mode) < 0)
		return -1;
	if (!resolve(out, mode, ML_PATH_SYRK))
		return 0;
	g = malloc(bs * bs * sizeof(*g));
	if (!g)
		return ml_fail("out of memory");
	for (size_t c = 0; c < n; c++) {
		for (int run = 0; run < MEASURE_RUNS; run++) {
			memset(g, 0, bs * bs * sizeof(*g));
			double t = measure_now();
			ml_gram_update(cand[c], g, b, bs, rows, w);
			t = measure_now() - t;
			if (t < best) {
				best = t;
				*out = cand[c];
			}
		}
	}
	free(g);
	return 0;
}

void ml_matmul_free(ml_matmul *m)
{
	free(m->wp);
	free(m->pp);
	free(m->gwp);
	memset(m, 0, sizeof(*m));
}

int ml_matmul_init(ml_matmul *m, size_t max_rows, size_t d, size_t k)
{
	memset(m, 0, sizeof(*m));
	m->path = ML_PATH_GEMM;
	m->max_rows = max_rows;
	m->d = d;
	m->k = k;
	m->kp = round_up(k, PAD);
	/* calloc: the padding columns of wp must be zero, and stay so. */
	m->wp = calloc(d * m->kp, sizeof(double));
	m->pp = calloc(round_up(max_rows, 4) * m->kp, sizeof(double));
	m->gwp = calloc(round_up(d, 4) * m->kp, sizeof(double));
	if (!m->wp || !m->pp || !m->gwp) {
		ml_matmul_free(m);
		return ml_fail("out of memory");
	}
	return 0;
}

void ml_matmul_xw(ml_matmul *m, double *P, const double *X, size_t rows, const double *W)
{
	size_t d = m->d, k = m->k, kp = m->kp;
	double one = 1.0, zero = 0.0;

	if (m->path == ML_PATH_GEMM || m->path == ML_PATH_SYRK) {
		bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)rows, (dim_t)k, (dim_t)d,
			  &one, (double *)X, (inc_t)d, 1, (double *)W, (inc_t)k, 1,
			  &zero, P, (inc_t)k, 1);
		return;
	}
	for (size_t j = 0; j < d; j++)
		memcpy(m->wp + j * kp, W + j * k, k * sizeof(double));
	memset(m->pp, 0, round_up(rows, 4) * kp * sizeof(double));
	/* A = X^T: A[j][i] = X[i][j] */
	c_kernels_for(m->path)->atb(m->pp, kp, X, 1, d, rows, m->wp, d);
	for (size_t i = 0; i < rows; i++)
		memcpy(P + i * k, m->pp + i * kp, k * sizeof(double));
}

void ml_matmul_xtg(ml_matmul *m, double *GW, double alpha, const double *X, size_t rows,
		   const double *G)
{
	size_t d = m->d, k = m->k, kp = m->kp;
	double zero = 0.0;

	if (m->path == ML_PATH_GEMM || m->path == ML_PATH_SYRK) {
		/* X's memory read as a d x rows matrix (row stride 1, column
		 * stride d) is X^T: no transposed copy. */
		bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)d, (dim_t)k, (dim_t)rows,
			  &alpha, (double *)X, 1, (inc_t)d, (double *)G, (inc_t)k, 1,
			  &zero, GW, (inc_t)k, 1);
		return;
	}
	/* pp becomes G with zero padding columns (xw left them zero too, but
	 * this must not depend on what ran before). */
	for (size_t i = 0; i < rows; i++) {
		memcpy(m->pp + i * kp, G + i * k, k * sizeof(double));
		memset(m->pp + i * kp + k, 0, (kp - k) * sizeof(double));
	}
	memset(m->gwp, 0, round_up(d, 4) * kp * sizeof(double));
	c_kernels_for(m->path)->atb(m->gwp, kp, X, d, 1, d, m->pp, rows);
	for (size_t j = 0; j < d; j++)
		for (size_t c = 0; c < k; c++)
			GW[j * k + c] = alpha * m->gwp[j * kp + c];
}

int ml_matmul_choose(ml_matmul *m, const double *X, size_t rows)
{
	ml_path cand[3];
	size_t n = candidates(cand, 0);
	double best = HUGE_VAL, *W, *P, *GW;
	ml_path chosen = cand[0];
	ml_kernel_mode mode;

	if (ml_kernel_mode_get(&mode) < 0)
		return -1;
	if (!resolve(&m->path, mode, ML_PATH_GEMM))
		return 0;
	/* Zero weights: the values do not change the time. */
	W = calloc(m->d * m->k, sizeof(*W));
	P = malloc((rows ? rows : 1) * m->k * sizeof(*P));
	GW = malloc(m->d * m->k * sizeof(*GW));
	if (!W || !P || !GW) {
		free(W);
		free(P);
		free(GW);
		return ml_fail("out of memory");
	}
	for (size_t c = 0; c < n; c++) {
		m->path = cand[c];
		for (int run = 0; run < MEASURE_RUNS; run++) {
			double t = measure_now();
			ml_matmul_xw(m, P, X, rows, W);
			ml_matmul_xtg(m, GW, 1.0, X, rows, P);
			t = measure_now() - t;
			if (t < best) {
				best = t;
				chosen = cand[c];
			}
		}
	}
	m->path = chosen;
	free(W);
	free(P);
	free(GW);
	return 0;
}
