/*
 * test_numerics.c - the numbers the ML programs compute: ridge against
 * closed-form answers, the Cholesky factorisation, softmax, logistic
 * regression's optimum and convergence, and the metrics on examples worked
 * out by hand.
 *
 * Reference values are computed here by independent, naive code (plain
 * loops, 2x2 inverses) or written down from hand calculations, never by
 * the code under test.
 */
#include "check.h"
#include "linalg.h"
#include "matfile.h"
#include "metrics.h"
#include "mlerr.h"
#include "model.h"

#include <stdlib.h>

/* A regression data set over caller-owned arrays. */
static ml_dataset regression_set(double *X, double *y, size_t n, size_t d)
{
	ml_dataset ds = { .rows = n, .cols = d, .kind = ML_TARGET_REGRESSION, .X = X, .y = y };
	return ds;
}

static void test_ridge_one_feature_matches_closed_form(void)
{
	double X[] = { 1, 2, 3, 4, 5 }, y[] = { 2.1, 3.9, 6.2, 7.8, 10.1 };
	ml_dataset ds = regression_set(X, y, 5, 1);
	ml_fit_stats st = { 0 };
	ml_model m;

	/* mean x = 3, mean y = 6.02, Sxx = 10, Sxy = 19.9:
	 * w = Sxy / (Sxx + lambda), b = 6.02 - 3 w */
	CHECK(ml_ridge_fit(&m, &st, &ds, 0.5) == 0);
	CHECK_NEAR(m.W[0], 19.9 / 10.5, 1e-9);
	CHECK_NEAR(m.b[0], 6.02 - 3 * 19.9 / 10.5, 1e-9);
	ml_model_free(&m);
}

static void test_ridge_two_features_matches_hand_solution(void)
{
	double X[] = { 1, 0.5, 2, -1, 3, 2.5, 4, 0, 5, 1, 6, -2 };
	double y[] = { 1, 2, 0.5, 4, 3, 6 };
	double mx[2] = { 0, 0 }, my = 0, g[3] = { 0, 0, 0 }, r[2] = { 0, 0 }, lambda = 0.3;
	ml_dataset ds = regression_set(X, y, 6, 2);
	ml_fit_stats st = { 0 };
	ml_model m;

	for (int i = 0; i < 6; i++) {
		mx[0] += X[2 * i] / 6;
		mx[1] += X[2 * i + 1] / 6;
		my += y[i] / 6;
	}
	for (int i = 0; i < 6; i++) {
		double a = X[2 * i] - mx[0], c = X[2 * i + 1] - mx[1], t = y[i] - my;
		g[0] += a * a;
		g[1] += a * c;
		g[2] += c * c;
		r[0] += a * t;
		r[1] += c * t;
	}
	g[0] += lambda;
	g[2] += lambda;
	double det = g[0] * g[2] - g[1] * g[1];
	double w0 = (g[2] * r[0] - g[1] * r[1]) / det, w1 = (g[0] * r[1] - g[1] * r[0]) / det;

	CHECK(ml_ridge_fit(&m, &st, &ds, lambda) == 0);
	CHECK_NEAR(m.W[0], w0, 1e-9);
	CHECK_NEAR(m.W[1], w1, 1e-9);
	CHECK_NEAR(m.b[0], my - mx[0] * w0 - mx[1] * w1, 1e-9);
	CHECK(st.gram_flops == 6.0 * 3 * 4);
	ml_model_free(&m);
}

static void test_ridge_does_not_penalize_the_intercept(void)
{
	double X[] = { 1, 2, 3, 4 }, y[] = { 10, 12, 11, 13 };
	ml_dataset ds = regression_set(X, y, 4, 1);
	ml_fit_stats st = { 0 };
	ml_model m;

	/* An enormous penalty flattens the slope, but the intercept still
	 * fits the mean of y instead of being pulled to 0. */
	CHECK(ml_ridge_fit(&m, &st, &ds, 1e12) == 0);
	CHECK_NEAR(m.W[0], 0, 1e-9);
	CHECK_NEAR(m.b[0], 11.5, 1e-9);
	ml_model_free(&m);
}

static void test_ridge_without_penalty_recovers_exact_plane(void)
{
	enum { N = 50 };
	double X[2 * N], y[N];
	ml_dataset ds = regression_set(X, y, N, 2);
	ml_fit_stats st = { 0 };
	ml_model m;

	/* Far from the origin on purpose: centering must keep this exact. */
	for (int i = 0; i < N; i++) {
		X[2 * i] = 1000 + i;
		X[2 * i + 1] = 500 + (i * 7) % 11;
		y[i] = 3 + 2 * X[2 * i] - X[2 * i + 1];
	}
	CHECK(ml_ridge_fit(&m, &st, &ds, 0) == 0);
	CHECK_NEAR(m.W[0], 2, 1e-9);
	CHECK_NEAR(m.W[1], -1, 1e-9);
	CHECK_NEAR(m.b[0], 3, 1e-6); /* b = 3 is found via |x| ~ 1000 */
	ml_model_free(&m);
}

static void test_ridge_rejects_collinear_features_without_penalty(void)
{
	double X[] = { 1, 2, 2, 4, 3, 6, 4, 8 }, y[] = { 1, 2, 3, 5 };
	ml_dataset ds = regression_set(X, y, 4, 2);
	ml_fit_stats st = { 0 };
	ml_model m;

	CHECK(ml_ridge_fit(&m, &st, &ds, 0) < 0);
	CHECK(strstr(ml_error_last(), "not positive definite") != NULL);
	CHECK(strstr(ml_error_last(), "use lambda > 0") != NULL);
	CHECK(ml_ridge_fit(&m, &st, &ds, 0.1) == 0); /* a penalty makes it solvable */
	ml_model_free(&m);
}

static void test_ridge_uses_many_blocks_consistently(void)
{
	/* More rows than one Gram block (4096), so block accumulation and the
	 * partial last block are exercised; compared with a naive fit. */
	enum { N = 10007, D = 3 };
	double *X = malloc(sizeof(double) * N * D), *y = malloc(sizeof(double) * N);
	double mx[D] = { 0 }, my = 0, g[D][D] = { { 0 } }, r[D] = { 0 }, lambda = 2.5;
	ml_fit_stats st = { 0 };
	ml_model m;

	for (int i = 0; i < N; i++) {
		for (int j = 0; j < D; j++)
			X[i * D + j] = sin(i * (j + 1) * 0.37) + j;
		y[i] = X[i * D] - 2 * X[i * D + 2] + 0.1 * cos(i * 1.3);
	}
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < D; j++)
			mx[j] += X[i * D + j] / N;
		my += y[i] / N;
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < D; j++) {
			r[j] += (X[i * D + j] - mx[j]) * (y[i] - my);
			for (int k = 0; k < D; k++)
				g[j][k] += (X[i * D + j] - mx[j]) * (X[i * D + k] - mx[k]);
		}
	for (int j = 0; j < D; j++)
		g[j][j] += lambda;
	/* Gaussian elimination on the 3x3 system, the naive way. */
	for (int p = 0; p < D; p++)
		for (int i = p + 1; i < D; i++) {
			double f = g[i][p] / g[p][p];
			for (int k = p; k < D; k++)
				g[i][k] -= f * g[p][k];
			r[i] -= f * r[p];
		}
	for (int i = D - 1; i >= 0; i--) {
		for (int k = i + 1; k < D; k++)
			r[i] -= g[i][k] * r[k];
		r[i] /= g[i][i];
	}
	ml_dataset ds = regression_set(X, y, N, D);
	CHECK(ml_ridge_fit(&m, &st, &ds, lambda) == 0);
	for (int j = 0; j < D; j++)
		CHECK_NEAR(m.W[j], r[j], 1e-9);
	ml_model_free(&m);
	free(X);
	free(y);
}

static void test_cholesky_factors_known_matrix(void)
{
	/* The classic example: A = L L^T with L = [2 0 0; 6 1 0; -8 5 3]. */
	double a[9] = { 4, 12, -16, 12, 37, -43, -16, -43, 98 };
	double l[9] = { 2, 0, 0, 6, 1, 0, -8, 5, 3 };
	double b[3];

	/* b = A (1, 2, 3) */
	for (int i = 0; i < 3; i++)
		b[i] = a[3 * i] * 1 + a[3 * i + 1] * 2 + a[3 * i + 2] * 3;
	CHECK(ml_cholesky(a, 3) == 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j <= i; j++)
			CHECK_NEAR(a[3 * i + j], l[3 * i + j], 1e-12);
	ml_cholesky_solve(a, 3, b);
	CHECK_NEAR(b[0], 1, 1e-12);
	CHECK_NEAR(b[1], 2, 1e-12);
	CHECK_NEAR(b[2], 3, 1e-12);
}

static void test_cholesky_rejects_indefinite_and_nan(void)
{
	double indefinite[4] = { 1, 2, 2, 1 };
	double with_nan[4] = { 1, 0, 0, NAN };

	CHECK(ml_cholesky(indefinite, 2) < 0);
	CHECK_STR(ml_error_last(), "matrix is not positive definite (pivot 1 is -3)");
	CHECK(ml_cholesky(with_nan, 2) < 0);
}

static void test_softmax_is_stable_for_large_scores(void)
{
	double z[6] = { 1000, 1001, 1002, -1000, 0, 0 };

	ml_softmax_rows(z, 2, 3);
	/* e^0, e^1, e^2 normalised */
	double s = 1 + exp(1) + exp(2);
	CHECK_NEAR(z[0], 1 / s, 1e-15);
	CHECK_NEAR(z[1], exp(1) / s, 1e-15);
	CHECK_NEAR(z[2], exp(2) / s, 1e-15);
	CHECK_NEAR(z[3], 0, 1e-300);
	CHECK_NEAR(z[4], 0.5, 1e-15);
	CHECK_NEAR(z[5], 0.5, 1e-15);
}

/* Three well separated clusters in the plane, 40 points each. */
static ml_dataset toy_classes(double *X, int32_t *labels, char **names)
{
	static const double centers[3][2] = { { 0, 3 }, { 3, -2 }, { -3, -2 } };
	ml_dataset ds = { .rows = 120, .cols = 2, .kind = ML_TARGET_CLASSES, .X = X,
			  .labels = labels, .n_classes = 3, .class_names = names };

	for (int i = 0; i < 120; i++) {
		int c = i % 3;
		labels[i] = c;
		X[2 * i] = centers[c][0] + 0.6 * sin(i * 2.1);
		X[2 * i + 1] = centers[c][1] + 0.6 * cos(i * 1.7);
	}
	return ds;
}

static void test_logreg_separates_toy_classes(void)
{
	double X[240], proba[360];
	int32_t labels[120];
	char *names[3] = { "a", "b", "c" };
	ml_dataset ds = toy_classes(X, labels, names);
	ml_train_params p = { .model = ML_MODEL_LOGREG, .lr = 0.5, .epochs = 50,
			      .batch = 16, .l2 = 1e-4, .seed = 7 };
	ml_class_metrics cm;
	ml_fit_stats st = { 0 };
	ml_model m;

	CHECK(ml_logreg_fit(&m, &st, &ds, &p) == 0);
	CHECK(st.final_loss < 0.05);
	ml_model_predict(proba, &m, X, 120);
	CHECK(ml_class_metrics_compute(&cm, labels, proba, 120, 3) == 0);
	CHECK_NEAR(cm.accuracy, 1.0, 0);
	CHECK_STR(m.class_names[2], "c");
	ml_class_metrics_free(&cm);
	ml_model_free(&m);
}

static void test_logreg_full_batch_reaches_the_regularized_optimum(void)
{
	/* Overlapping classes (not separable) and l2 > 0: the objective has a
	 * unique minimum, where its gradient - computed here from scratch -
	 * must vanish.  Full batches make gradient descent deterministic. */
	double X[240];
	int32_t labels[120];
	char *names[3] = { "a", "b", "c" };
	ml_dataset ds = toy_classes(X, labels, names);
	ml_train_params p = { .model = ML_MODEL_LOGREG, .lr = 0.2, .epochs = 6000,
			      .batch = 120, .l2 = 0.05, .seed = 1 };
	double gw[2][3] = { { 0 } }, gb[3] = { 0 };
	ml_fit_stats st = { 0 };
	ml_model m;

	for (int i = 0; i < 120; i += 5)
		labels[i] = (labels[i] + 1) % 3; /* label noise */
	CHECK(ml_logreg_fit(&m, &st, &ds, &p) == 0);
	for (int i = 0; i < 120; i++) {
		double z[3], max = -INFINITY, sum = 0;
		for (int c = 0; c < 3; c++) {
			z[c] = m.b[c] + X[2 * i] * m.W[c] + X[2 * i + 1] * m.W[3 + c];
			max = z[c] > max ? z[c] : max;
		}
		for (int c = 0; c < 3; c++)
			sum += (z[c] = exp(z[c] - max));
		for (int c = 0; c < 3; c++) {
			double g = z[c] / sum - (labels[i] == c);
			gw[0][c] += g * X[2 * i] / 120;
			gw[1][c] += g * X[2 * i + 1] / 120;
			gb[c] += g / 120;
		}
	}
	for (int c = 0; c < 3; c++) {
		CHECK_NEAR(gw[0][c] + p.l2 * m.W[c], 0, 1e-8);
		CHECK_NEAR(gw[1][c] + p.l2 * m.W[3 + c], 0, 1e-8);
		CHECK_NEAR(gb[c], 0, 1e-8);
	}
	ml_model_free(&m);
}

static void test_logreg_reports_divergence(void)
{
	double X[240];
	int32_t labels[120];
	char *names[3] = { "a", "b", "c" };
	ml_dataset ds = toy_classes(X, labels, names);
	ml_train_params p = { .model = ML_MODEL_LOGREG, .lr = 1e300, .epochs = 5,
			      .batch = 8, .l2 = 1, .seed = 1 };
	ml_fit_stats st = { 0 };
	ml_model m;

	CHECK(ml_logreg_fit(&m, &st, &ds, &p) < 0);
	CHECK(strstr(ml_error_last(), "diverged") != NULL);
}

static void test_regression_metrics_hand_computed(void)
{
	double y[] = { 3, -0.5, 2, 7 }, pred[] = { 2.5, 0, 2, 8 };
	ml_regression_metrics r;

	/* residuals 0.5, -0.5, 0, -1: SS_res = 1.5; mean y = 2.875,
	 * SS_tot = 29.1875 */
	CHECK(ml_regression_metrics_compute(&r, y, pred, 4) == 0);
	CHECK_NEAR(r.rmse, sqrt(1.5 / 4), 1e-15);
	CHECK_NEAR(r.mae, 0.5, 1e-15);
	CHECK_NEAR(r.r2, 1 - 1.5 / 29.1875, 1e-15);
	CHECK(ml_regression_metrics_compute(&r, y, pred, 0) < 0);
}

static void test_class_metrics_hand_computed(void)
{
	int32_t labels[] = { 0, 0, 1, 1, 2, 2 };
	double proba[] = {
		0.7, 0.2, 0.1, /* predicted 0 */
		0.3, 0.6, 0.1, /* 1 */
		0.1, 0.8, 0.1, /* 1 */
		0.2, 0.5, 0.3, /* 1 */
		0.1, 0.1, 0.8, /* 2 */
		0.5, 0.1, 0.4, /* 0 */
	};
	size_t want[9] = { 1, 1, 0, 0, 2, 0, 1, 0, 1 };
	ml_class_metrics c;

	CHECK(ml_class_metrics_compute(&c, labels, proba, 6, 3) == 0);
	for (int i = 0; i < 9; i++)
		CHECK(c.confusion[i] == want[i]);
	CHECK_NEAR(c.accuracy, 4.0 / 6, 1e-15);
	/* F1: class 0 p=1/2 r=1/2 -> 1/2; class 1 p=2/3 r=1 -> 4/5;
	 * class 2 p=1 r=1/2 -> 2/3 */
	CHECK_NEAR(c.f1[0], 0.5, 1e-15);
	CHECK_NEAR(c.f1[1], 0.8, 1e-15);
	CHECK_NEAR(c.f1[2], 2.0 / 3, 1e-15);
	CHECK_NEAR(c.macro_f1, (0.5 + 0.8 + 2.0 / 3) / 3, 1e-15);
	CHECK_NEAR(c.log_loss, -(log(0.7) + log(0.3) + log(0.8) + log(0.5) + log(0.8) + log(0.4)) / 6,
		   1e-15);
	CHECK(c.support[2] == 2);
	ml_class_metrics_free(&c);
}

static void test_class_metrics_clip_zero_probability_and_break_ties_low(void)
{
	int32_t labels[] = { 1, 0 };
	double proba[] = { 1, 0, 0.5, 0.5 };
	ml_class_metrics c;

	CHECK(ml_class_metrics_compute(&c, labels, proba, 2, 2) == 0);
	CHECK_NEAR(c.log_loss, (-log(1e-15) - log(0.5)) / 2, 1e-12);
	CHECK(c.confusion[0] == 1); /* the tie went to class 0 */
	CHECK_NEAR(c.f1[1], 0, 0);  /* never predicted: precision 0, F1 0 */
	ml_class_metrics_free(&c);
}

int main(void)
{
	static const check_test tests[] = {
		TEST(test_ridge_one_feature_matches_closed_form),
		TEST(test_ridge_two_features_matches_hand_solution),
		TEST(test_ridge_does_not_penalize_the_intercept),
		TEST(test_ridge_without_penalty_recovers_exact_plane),
		TEST(test_ridge_rejects_collinear_features_without_penalty),
		TEST(test_ridge_uses_many_blocks_consistently),
		TEST(test_cholesky_factors_known_matrix),
		TEST(test_cholesky_rejects_indefinite_and_nan),
		TEST(test_softmax_is_stable_for_large_scores),
		TEST(test_logreg_separates_toy_classes),
		TEST(test_logreg_full_batch_reaches_the_regularized_optimum),
		TEST(test_logreg_reports_divergence),
		TEST(test_regression_metrics_hand_computed),
		TEST(test_class_metrics_hand_computed),
		TEST(test_class_metrics_clip_zero_probability_and_break_ties_low),
	};

	ml_blis_set_threads(1);
	return check_run_all(tests, sizeof(tests) / sizeof(tests[0]));
}
