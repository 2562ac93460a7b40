/*
 * test_kernels.c - every path that can run the models' products (kernels.h)
 * gives the numbers of the BLIS path, forced one by one: the Gram matrix,
 * logreg's two products, and whole ridge and logreg fits; plus a naive
 * long-double Gram matrix as a reference none of the paths shares, the
 * DV_ML_KERNEL values and the `generic` check.
 *
 * "Same numbers" is 1e-12 relative to the entry's natural scale: for a sum
 * of products that is the sum of the products' magnitudes (for the Gram
 * matrix, sqrt(G_ii G_jj) by Cauchy-Schwarz), since an entry that is small
 * because its terms cancel has no relative accuracy in any summation order.
 */
#include "check.h"
#include "kernels.h"
#include "linalg.h"
#include "matfile.h"
#include "mlerr.h"
#include "model.h"
#include "rng.h"

#include <stdlib.h>

static const double TOL = 1e-12;

/* The paths a test forces, each against ML_KERNEL_BLIS; c-avx2 only where
 * the CPU runs it (ML_KERNEL_C means c-sse2 elsewhere, covered anyway). */
static const ml_kernel_mode forced[] = { ML_KERNEL_GEMM, ML_KERNEL_C, ML_KERNEL_SSE2,
					 ML_KERNEL_MEASURE };
enum { N_FORCED = sizeof(forced) / sizeof(forced[0]) };

static ml_path expected_path(ml_kernel_mode mode)
{
	switch (mode) {
	case ML_KERNEL_GEMM: return ML_PATH_GEMM;
	case ML_KERNEL_C: return ml_cpu_has_avx2() ? ML_PATH_C_AVX2 : ML_PATH_C_SSE2;
	case ML_KERNEL_SSE2: return ML_PATH_C_SSE2;
	default: return ML_PATH_SYRK;
	}
}

/* Rows like dv-prepare's output, plus a raw-latitude-like column (large
 * mean, small spread) that would lose digits without the shift. */
static void fill_regression(double *X, double *y, size_t n, size_t d, uint64_t seed)
{
	ml_rng rng;

	ml_rng_seed(&rng, seed, 1);
	for (size_t i = 0; i < n; i++) {
		double t = 0;
		for (size_t j = 0; j < d; j++) {
			double v = 2 * ml_rng_uniform(&rng) - 1;
			X[i * d + j] = j == 0 ? 40.7 + 0.05 * v : v + 0.1 * (double)j;
			t += (double)(j + 1) * v;
		}
		y[i] = t + 0.3 * (2 * ml_rng_uniform(&rng) - 1);
	}
}

typedef struct {
	double *gram, *xty, *xmean, ymean;
	ml_path path;
} gram_result;

static int gram_run(gram_result *r, ml_kernel_mode mode, const double *X, const double *y,
		    size_t n, size_t d)
{
	r->gram = malloc(d * d * sizeof(double));
	r->xty = malloc(d * sizeof(double));
	r->xmean = malloc(d * sizeof(double));
	ml_kernel_mode_force(mode);
	return ml_centered_gram(r->gram, r->xty, r->xmean, &r->ymean, &r->path, X, y, n, d);
}

static void gram_free(gram_result *r)
{
	free(r->gram);
	free(r->xty);
	free(r->xmean);
}

/* |a - b| <= TOL * scale, counting failures without flooding stderr. */
static int close_to(double a, double b, double scale)
{
	return fabs(a - b) <= TOL * scale;
}

static double centered_yy(const double *y, size_t n, double ymean)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += (y[i] - ymean) * (y[i] - ymean);
	return s;
}

/* Compares r with the reference ref entry by entry (see the top comment). */
static void check_gram_equal(const gram_result *r, const gram_result *ref, const double *y,
			     size_t n, size_t d, const char *what)
{
	double yy = centered_yy(y, n, ref->ymean);
	size_t bad = 0;

	for (size_t i = 0; i < d; i++) {
		for (size_t j = 0; j <= i; j++)
			bad += !close_to(r->gram[i * d + j], ref->gram[i * d + j],
					 sqrt(ref->gram[i * d + i] * ref->gram[j * d + j]));
		bad += !close_to(r->xty[i], ref->xty[i], sqrt(ref->gram[i * d + i] * yy));
		bad += !close_to(r->xmean[i], ref->xmean[i], fabs(ref->xmean[i]) + 1);
	}
	bad += !close_to(r->ymean, ref->ymean, fabs(ref->ymean) + 1);
	if (bad)
		fprintf(stderr, "  %s: %zu entries differ (n %zu, d %zu)\n", what, bad, n, d);
	CHECK(bad == 0);
}

static void test_gram_every_path_matches_syrk(void)
{
	/* Shapes around every edge: one row, fewer rows than a panel, tiles
	 * cut by d + 1 (the appended y column), several 4096-row blocks with a
	 * short last one, and the benchmark's 55 and 64 features. */
	static const size_t shapes[][2] = { { 1, 1 }, { 5, 3 }, { 37, 7 }, { 1000, 8 },
					    { 4097, 9 }, { 9000, 55 }, { 5000, 64 }, { 300, 130 } };

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t n = shapes[s][0], d = shapes[s][1];
		double *X = malloc(n * d * sizeof(double)), *y = malloc(n * sizeof(double));
		gram_result ref, r;

		fill_regression(X, y, n, d, 100 + s);
		CHECK(gram_run(&ref, ML_KERNEL_BLIS, X, y, n, d) == 0);
		CHECK(ref.path == ML_PATH_SYRK);
		for (size_t m = 0; m < N_FORCED; m++) {
			CHECK(gram_run(&r, forced[m], X, y, n, d) == 0);
			if (forced[m] != ML_KERNEL_MEASURE)
				CHECK(r.path == expected_path(forced[m]));
			check_gram_equal(&r, &ref, y, n, d, ml_path_name(r.path));
			gram_free(&r);
		}
		gram_free(&ref);
		free(X);
		free(y);
	}
}

static void test_gram_c_kernels_match_naive_long_double_sums(void)
{
	/* A reference none of the paths shares: center by the exact mean and
	 * sum in long double, the plainest possible loops. */
	size_t n = 6000, d = 21;
	double *X = malloc(n * d * sizeof(double)), *y = malloc(n * sizeof(double));
	long double *mean = calloc(d + 1, sizeof(long double));
	gram_result want = { .gram = malloc(d * d * sizeof(double)),
			     .xty = malloc(d * sizeof(double)),
			     .xmean = malloc(d * sizeof(double)) };
	gram_result got;

	fill_regression(X, y, n, d, 7);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < d; j++)
			mean[j] += X[i * d + j];
		mean[d] += y[i];
	}
	for (size_t j = 0; j <= d; j++)
		mean[j] /= (long double)n;
	for (size_t a = 0; a < d; a++) {
		for (size_t b = 0; b <= a; b++) {
			long double s = 0;
			for (size_t i = 0; i < n; i++)
				s += (X[i * d + a] - mean[a]) * (X[i * d + b] - mean[b]);
			want.gram[a * d + b] = (double)s;
		}
		long double s = 0;
		for (size_t i = 0; i < n; i++)
			s += (X[i * d + a] - mean[a]) * (y[i] - mean[d]);
		want.xty[a] = (double)s;
		want.xmean[a] = (double)mean[a];
	}
	want.ymean = (double)mean[d];
	for (ml_kernel_mode mode = ML_KERNEL_C; mode <= ML_KERNEL_SSE2; mode++) {
		CHECK(gram_run(&got, mode, X, y, n, d) == 0);
		check_gram_equal(&got, &want, y, n, d, ml_path_name(got.path));
		gram_free(&got);
	}
	gram_free(&want);
	free(mean);
	free(X);
	free(y);
}

/* Entry (i, c) of A B for A rows x inner (strides ars, acs) and B inner x k
 * (row-major), and the sum of its terms' magnitudes. */
static double naive_dot(double *mag, const double *a, size_t ars, size_t acs, size_t i,
			const double *b, size_t k, size_t c, size_t inner)
{
	double s = 0, m = 0;

	for (size_t j = 0; j < inner; j++) {
		double t = a[i * ars + j * acs] * b[j * k + c];
		s += t;
		m += fabs(t);
	}
	*mag = m;
	return s;
}

static void test_matmul_c_paths_match_dgemm(void)
{
	static const size_t rows_list[] = { 1, 3, 256, 257 }, d_list[] = { 1, 3, 64, 65 };
	static const size_t k_list[] = { 1, 2, 6, 9 };
	ml_path paths[] = { ML_PATH_GEMM, ML_PATH_C_SSE2, ML_PATH_C_AVX2 };
	size_t n_paths = ml_cpu_has_avx2() ? 3 : 2;
	ml_rng rng;

	ml_rng_seed(&rng, 3, 0);
	for (size_t a = 0; a < 4; a++)
		for (size_t b = 0; b < 4; b++)
			for (size_t c = 0; c < 4; c++) {
				size_t rows = rows_list[a], d = d_list[b], k = k_list[c], bad = 0;
				double *X = malloc(rows * d * sizeof(double));
				double *W = malloc(d * k * sizeof(double));
				double *G = malloc(rows * k * sizeof(double));
				double *P = malloc(rows * k * sizeof(double));
				double *GW = malloc(d * k * sizeof(double));
				ml_matmul mm;

				for (size_t i = 0; i < rows * d; i++)
					X[i] = 2 * ml_rng_uniform(&rng) - 1;
				for (size_t i = 0; i < d * k; i++)
					W[i] = ml_rng_uniform(&rng) - 0.5;
				for (size_t i = 0; i < rows * k; i++)
					G[i] = ml_rng_uniform(&rng) - 0.5;
				CHECK(ml_matmul_init(&mm, rows, d, k) == 0);
				for (size_t p = 0; p < n_paths; p++) {
					mm.path = paths[p];
					/* Garbage first: the products overwrite, never add. */
					for (size_t i = 0; i < rows * k; i++)
						P[i] = 1e300;
					for (size_t i = 0; i < d * k; i++)
						GW[i] = 1e300;
					ml_matmul_xw(&mm, P, X, rows, W);
					ml_matmul_xtg(&mm, GW, 0.25, X, rows, G);
					for (size_t i = 0; i < rows; i++)
						for (size_t cc = 0; cc < k; cc++) {
							double mag, want = naive_dot(&mag, X, d, 1, i, W, k, cc, d);
							bad += !close_to(P[i * k + cc], want, mag);
						}
					for (size_t j = 0; j < d; j++)
						for (size_t cc = 0; cc < k; cc++) {
							double mag, want = 0.25 * naive_dot(&mag, X, 1, d, j, G, k, cc, rows);
							bad += !close_to(GW[j * k + cc], want, 0.25 * mag);
						}
					if (bad)
						fprintf(stderr, "  %s: %zu entries differ (rows %zu, d %zu, k %zu)\n",
							ml_path_name(paths[p]), bad, rows, d, k);
				}
				CHECK(bad == 0);
				ml_matmul_free(&mm);
				free(X);
				free(W);
				free(G);
				free(P);
				free(GW);
			}
}

static void test_matmul_choose_follows_the_mode(void)
{
	double X[4 * 5] = { 0 };
	ml_matmul mm;

	CHECK(ml_matmul_init(&mm, 4, 5, 3) == 0);
	ml_kernel_mode_force(ML_KERNEL_BLIS);
	CHECK(ml_matmul_choose(&mm, X, 4) == 0 && mm.path == ML_PATH_GEMM);
	ml_kernel_mode_force(ML_KERNEL_SSE2);
	CHECK(ml_matmul_choose(&mm, X, 4) == 0 && mm.path == ML_PATH_C_SSE2);
	ml_kernel_mode_force(ML_KERNEL_C);
	CHECK(ml_matmul_choose(&mm, X, 4) == 0 && mm.path == expected_path(ML_KERNEL_C));
	ml_kernel_mode_force(ML_KERNEL_MEASURE);
	CHECK(ml_matmul_choose(&mm, X, 4) == 0);
	CHECK(mm.path == ML_PATH_GEMM || mm.path == expected_path(ML_KERNEL_C));
	ml_matmul_free(&mm);
}

/* max |a - b| <= TOL * max |b| over n entries. */
static void check_vectors_equal(const double *a, const double *b, size_t n, const char *what)
{
	double diff = 0, scale = 0;

	for (size_t i = 0; i < n; i++) {
		if (fabs(a[i] - b[i]) > diff)
			diff = fabs(a[i] - b[i]);
		if (fabs(b[i]) > scale)
			scale = fabs(b[i]);
	}
	if (!(diff <= TOL * scale))
		fprintf(stderr, "  %s: max difference %g, scale %g\n", what, diff, scale);
	CHECK(diff <= TOL * scale);
}

static void test_ridge_fit_is_the_same_on_every_path(void)
{
	size_t n = 20000, d = 30;
	double *X = malloc(n * d * sizeof(double)), *y = malloc(n * sizeof(double));
	ml_dataset ds = { .rows = n, .cols = d, .kind = ML_TARGET_REGRESSION, .X = X, .y = y };
	ml_fit_stats st = { 0 };
	ml_model ref, m;

	fill_regression(X, y, n, d, 11);
	ml_kernel_mode_force(ML_KERNEL_BLIS);
	CHECK(ml_ridge_fit(&ref, &st, &ds, 0.1) == 0);
	for (size_t f = 0; f < N_FORCED; f++) {
		ml_kernel_mode_force(forced[f]);
		CHECK(ml_ridge_fit(&m, &st, &ds, 0.1) == 0);
		check_vectors_equal(m.W, ref.W, d, ml_path_name(st.path));
		check_vectors_equal(m.b, ref.b, 1, ml_path_name(st.path));
		ml_model_free(&m);
	}
	ml_model_free(&ref);
	free(X);
	free(y);
}

static void test_logreg_fit_is_the_same_on_every_path(void)
{
	size_t n = 3000, d = 17, k = 5;
	double *X = malloc(n * d * sizeof(double));
	int32_t *labels = malloc(n * sizeof(int32_t));
	char *names[] = { "a", "b", "c", "d", "e" };
	ml_dataset ds = { .rows = n, .cols = d, .kind = ML_TARGET_CLASSES, .X = X,
			  .labels = labels, .n_classes = k, .class_names = names };
	ml_train_params p = { .model = ML_MODEL_LOGREG, .lr = 0.5, .epochs = 3, .batch = 100,
			      .l2 = 1e-4, .seed = 5 };
	ml_fit_stats st = { 0 };
	ml_model ref, m;
	ml_rng rng;

	ml_rng_seed(&rng, 9, 0);
	for (size_t i = 0; i < n; i++) {
		labels[i] = (int32_t)ml_rng_below(&rng, k);
		for (size_t j = 0; j < d; j++)
			X[i * d + j] = 2 * ml_rng_uniform(&rng) - 1 + (j % k == (size_t)labels[i]);
	}
	ml_kernel_mode_force(ML_KERNEL_BLIS);
	CHECK(ml_logreg_fit(&ref, &st, &ds, &p) == 0);
	CHECK(st.path == ML_PATH_GEMM);
	for (size_t f = 0; f < N_FORCED; f++) {
		ml_kernel_mode_force(forced[f]);
		CHECK(ml_logreg_fit(&m, &st, &ds, &p) == 0);
		if (forced[f] != ML_KERNEL_MEASURE && forced[f] != ML_KERNEL_GEMM)
			CHECK(st.path == expected_path(forced[f]));
		check_vectors_equal(m.W, ref.W, d * k, ml_path_name(st.path));
		check_vectors_equal(m.b, ref.b, k, ml_path_name(st.path));
		ml_model_free(&m);
	}
	ml_model_free(&ref);
	free(X);
	free(labels);
}

static void test_kernel_mode_values(void)
{
	ml_kernel_mode mode = ML_KERNEL_C;

	CHECK(ml_kernel_mode_parse(&mode, NULL) == 0 && mode == ML_KERNEL_AUTO);
	CHECK(ml_kernel_mode_parse(&mode, "") == 0 && mode == ML_KERNEL_AUTO);
	CHECK(ml_kernel_mode_parse(&mode, "sse2") == 0 && mode == ML_KERNEL_SSE2);
	CHECK(ml_kernel_mode_parse(&mode, "measure") == 0 && mode == ML_KERNEL_MEASURE);
	for (ml_kernel_mode m = ML_KERNEL_AUTO; m <= ML_KERNEL_SSE2; m++)
		CHECK(ml_kernel_mode_parse(&mode, ml_kernel_mode_name(m)) == 0 && mode == m);
	CHECK(ml_kernel_mode_parse(&mode, "avx9") == -1);
	CHECK_STR(ml_error_last(), "invalid DV_ML_KERNEL 'avx9' (expected auto, measure, blis, "
		  "gemm, c or sse2)");
}

static void test_generic_configuration_is_recognised(void)
{
	CHECK(ml_blis_config_is_generic("generic"));
	CHECK(!ml_blis_config_is_generic("zen3"));
	CHECK(!ml_blis_config_is_generic("haswell"));
	CHECK(strlen(ml_blis_config()) > 0);
	CHECK(strlen(ml_blis_version()) > 0);
}

int main(void)
{
	static const check_test tests[] = {
		TEST(test_gram_every_path_matches_syrk),
		TEST(test_gram_c_kernels_match_naive_long_double_sums),
		TEST(test_matmul_c_paths_match_dgemm),
		TEST(test_matmul_choose_follows_the_mode),
		TEST(test_ridge_fit_is_the_same_on_every_path),
		TEST(test_logreg_fit_is_the_same_on_every_path),
		TEST(test_kernel_mode_values),
		TEST(test_generic_configuration_is_recognised),
	};

	ml_blis_set_threads(1);
	printf("# BLIS %s, configuration %s, AVX2+FMA %s\n", ml_blis_version(), ml_blis_config(),
	       ml_cpu_has_avx2() ? "yes" : "no");
	return check_run_all(tests, sizeof(tests) / sizeof(tests[0]));
}
