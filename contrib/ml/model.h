/*
 * model.h - the two linear models, how they are fitted, how they predict,
 * and the model file dv-train writes and dv-eval reads.
 *
 * Both models are "scores = X W + b" with W d x k and b k: ridge has k = 1,
 * multinomial logistic regression has k = n_classes and turns scores into
 * probabilities with softmax.  One representation means one file format and
 * one prediction routine.
 *
 * Model file "DVMLMOD1" (little-endian, like matfile.h):
 *   offset  size          field
 *   0       8             magic, the ASCII bytes "DVMLMOD1"
 *   8       4             u32 model: 1 = ridge, 2 = logreg
 *   12      4             u32 k, number of outputs
 *   16      8             u64 d, number of features
 *   24      8             u64 names_bytes, length of the class-name block
 *   32      d*k*8         W, float64, row-major d x k
 *   ...     k*8           b, float64
 *   ...     names_bytes   logreg: the k class names, each ended by '\n'
 */
#ifndef DV_ML_MODEL_H
#define DV_ML_MODEL_H

#include <stddef.h>

#include "kernels.h"
#include "matfile.h"
#include "params.h"

#define ML_MODEL_MAGIC "DVMLMOD1"

typedef struct {
	ml_model_kind kind;
	size_t d, k;
	double *W;           /* d x k */
	double *b;           /* k */
	char **class_names;  /* logreg: k names */
} ml_model;

/* What a fit measured, for dv-train -v and the benchmark. */
typedef struct {
	double fit_seconds;   /* the whole fit, data already in memory */
	double fit_cpu_seconds; /* its CPU time, all threads (a loaded machine
	                         * stretches fit_seconds, not this) */
	double gram_seconds;  /* ridge: the centered Gram matrix step */
	double gram_flops;    /* ridge: flops of the Gram step, n (d+1)(d+2) */
	double final_loss;    /* logreg: mean training loss of the last epoch */
	ml_path path;         /* what ran the products (kernels.h): ridge its
	                       * Gram step, logreg both products per batch */
	double *epoch_loss;   /* logreg, in: NULL or room for p->epochs values;
			       * out: the mean training loss of each epoch */
} ml_fit_stats;

void ml_model_free(ml_model *m);

/* Ridge regression with an unpenalised intercept, solved exactly:
 *   w = (Xc^T Xc + lambda I)^-1 Xc^T yc,  b = mean(y) - mean(X) . w
 * where Xc, yc are X and y centered on their means.  This is the same
 * estimator as scikit-learn's Ridge(alpha=lambda, fit_intercept=True). */
int ml_ridge_fit(ml_model *out, ml_fit_stats *stats, const ml_dataset *train,
		 double lambda);

/* Multinomial logistic regression by mini-batch gradient descent on
 *   mean cross-entropy + l2/2 * ||W||^2        (b is not penalised)
 * which has the optimum of scikit-learn's LogisticRegression with
 * C = 1 / (l2 * n).  Mini-batches are contiguous row ranges visited in a
 * seeded random order each epoch: dv-prepare already shuffled the rows, and
 * contiguous batches let BLIS read X in place with no gather copy. */
int ml_logreg_fit(ml_model *out, ml_fit_stats *stats, const ml_dataset *train,
		  const ml_train_params *p);

/* out (rows x k) = X W + b; for logreg, softmax probabilities. */
void ml_model_predict(double *out, const ml_model *m, const double *X, size_t rows);

int ml_model_write(const char *path, const ml_model *m);
int ml_model_read(ml_model *out, const char *path);

#endif
