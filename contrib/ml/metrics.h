/*
 * metrics.h - how good a model is on held-out data.
 *
 * Definitions follow scikit-learn's so the numbers can be compared with it
 * directly: R^2 = 1 - SS_res / SS_tot around the test mean; macro-F1 is the
 * unweighted mean of the per-class F1 over all classes, a class with no
 * predictions having precision 0; log-loss clips probabilities to
 * [1e-15, 1 - 1e-15].  Predicted class = highest probability, the lowest
 * index on a tie.
 */
#ifndef DV_ML_METRICS_H
#define DV_ML_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	size_t n;
	double rmse, mae, r2;
} ml_regression_metrics;

typedef struct {
	size_t n, k;
	double accuracy, macro_f1, log_loss;
	size_t *confusion;   /* k x k, row = true class, column = predicted */
	double *precision, *recall, *f1; /* per class */
	size_t *support;     /* true rows per class */
} ml_class_metrics;

int ml_regression_metrics_compute(ml_regression_metrics *out, const double *y,
				  const double *pred, size_t n);

/* proba is n x k (rows sum to 1), labels in [0, k). */
int ml_class_metrics_compute(ml_class_metrics *out, const int32_t *labels,
			     const double *proba, size_t n, size_t k);
void ml_class_metrics_free(ml_class_metrics *m);

#endif
