/*
 * metrics.c - regression and classification metrics (see metrics.h).
 */
#include "metrics.h"
#include "mlerr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int ml_regression_metrics_compute(ml_regression_metrics *out, const double *y,
				  const double *pred, size_t n)
{
	double mean = 0, ss_res = 0, ss_tot = 0, abs_sum = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return ml_fail("cannot evaluate on an empty test set");
	for (size_t i = 0; i < n; i++)
		mean += y[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double r = y[i] - pred[i];
		ss_res += r * r;
		abs_sum += fabs(r);
		ss_tot += (y[i] - mean) * (y[i] - mean);
	}
	out->n = n;
	out->rmse = sqrt(ss_res / (double)n);
	out->mae = abs_sum / (double)n;
	/* A constant target has no variance to explain: scikit-learn scores
	 * a perfect fit 1 and anything else 0, rather than dividing by 0. */
	out->r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : ss_res == 0 ? 1.0 : 0.0;
	return 0;
}

void ml_class_metrics_free(ml_class_metrics *m)
{
	free(m->confusion);
	free(m->precision);
	free(m->recall);
	free(m->f1);
	free(m->support);
	memset(m, 0, sizeof(*m));
}

int ml_class_metrics_compute(ml_class_metrics *out, const int32_t *labels,
			     const double *proba, size_t n, size_t k)
{
	const double eps = 1e-15;
	size_t correct = 0;
	double loss = 0, f1_sum = 0;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return ml_fail("cannot evaluate on an empty test set");
	out->n = n;
	out->k = k;
	out->confusion = calloc(k * k, sizeof(*out->confusion));
	out->precision = calloc(k, sizeof(double));
	out->recall = calloc(k, sizeof(double));
	out->f1 = calloc(k, sizeof(double));
	out->support = calloc(k, sizeof(size_t));
	if (!out->confusion || !out->precision || !out->recall || !out->f1 || !out->support) {
		ml_class_metrics_free(out);
		return ml_fail("out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const double *p = proba + i * k;
		size_t best = 0, truth = (size_t)labels[i];
		for (size_t c = 1; c < k; c++)
			if (p[c] > p[best])
				best = c;
		out->confusion[truth * k + best]++;
		correct += best == truth;
		double pt = p[truth] < eps ? eps : p[truth] > 1 - eps ? 1 - eps : p[truth];
		loss -= log(pt);
	}
	for (size_t c = 0; c < k; c++) {
		size_t tp = out->confusion[c * k + c], predicted = 0, actual = 0;
		for (size_t o = 0; o < k; o++) {
			predicted += out->confusion[o * k + c];
			actual += out->confusion[c * k + o];
		}
		out->support[c] = actual;
		out->precision[c] = predicted ? (double)tp / (double)predicted : 0;
		out->recall[c] = actual ? (double)tp / (double)actual : 0;
		double pr = out->precision[c] + out->recall[c];
		out->f1[c] = pr > 0 ? 2 * out->precision[c] * out->recall[c] / pr : 0;
		f1_sum += out->f1[c];
	}
	out->accuracy = (double)correct / (double)n;
	out->macro_f1 = f1_sum / (double)k;
	out->log_loss = loss / (double)n;
	return 0;
}
