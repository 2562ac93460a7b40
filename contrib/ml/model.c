/*
 * model.c - fitting, prediction and the model file (see model.h).
 *
 * All heavy lifting is matrix products on X in place, run by BLIS or the
 * C kernels (kernels.h): dv-train's memory is the training matrix plus
 * O(d^2 + batch * k) scratch, which keeps a 1,000,000 x 64 set (488 MiB)
 * well under twice its size.
 */
#define _POSIX_C_SOURCE 200809L
#include "model.h"
#include "atomicfile.h"
#include "binfmt.h"
#include "linalg.h"
#include "mlerr.h"
#include "rng.h"

#include <blis.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MODEL_HEADER_BYTES = 32 };

void ml_model_free(ml_model *m)
{
	free(m->W);
	free(m->b);
	if (m->class_names)
		for (size_t i = 0; i < m->k; i++)
			free(m->class_names[i]);
	free(m->class_names);
	memset(m, 0, sizeof(*m));
}

static int model_alloc(ml_model *m, ml_model_kind kind, size_t d, size_t k)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->d = d;
	m->k = k;
	m->W = calloc(d * k, sizeof(double)); /* d, k > 0: checked by callers */
	m->b = calloc(k, sizeof(double));
	if (kind == ML_MODEL_LOGREG)
		m->class_names = calloc(k, sizeof(char *));
	if (!m->W || !m->b || (kind == ML_MODEL_LOGREG && !m->class_names)) {
		ml_model_free(m);
		return ml_fail("out of memory");
	}
	return 0;
}

int ml_ridge_fit(ml_model *out, ml_fit_stats *stats, const ml_dataset *train,
		 double lambda)
{
	size_t n = train->rows, d = train->cols;
	double *gram = NULL, *xmean = NULL, ymean, t0, t1, cpu0;
	int rc = -1;

	memset(stats, 0, sizeof(*stats));
	if (train->kind != ML_TARGET_REGRESSION)
		return ml_fail("ridge needs a regression target, the data has class labels (use model=logreg)");
	if (n == 0 || d == 0)
		return ml_fail("cannot fit on an empty matrix (%zu x %zu)", n, d);
	if (model_alloc(out, ML_MODEL_RIDGE, d, 1) < 0)
		return -1;
	gram = malloc(d * d * sizeof(*gram));
	xmean = malloc(d * sizeof(*xmean));
	if (!gram || !xmean) {
		ml_fail("out of memory");
		goto done;
	}
	t0 = ml_now();
	cpu0 = ml_cpu_now();
	/* out->W (d x 1) receives Xc^T yc and is then solved in place. */
	if (ml_centered_gram(gram, out->W, xmean, &ymean, &stats->path, train->X, train->y, n, d) < 0)
		goto done;
	t1 = ml_now();
	stats->gram_seconds = t1 - t0;
	stats->gram_flops = (double)n * (double)(d + 1) * (double)(d + 2);
	for (size_t j = 0; j < d; j++)
		gram[j * d + j] += lambda;
	if (ml_cholesky(gram, d) < 0) {
		if (lambda == 0) {
			char why[512];
			snprintf(why, sizeof(why), "%s", ml_error_last());
			ml_fail("%s; features are collinear, use lambda > 0", why);
		}
		goto done;
	}
	ml_cholesky_solve(gram, d, out->W);
	out->b[0] = ymean;
	for (size_t j = 0; j < d; j++)
		out->b[0] -= xmean[j] * out->W[j];
	stats->fit_seconds = ml_now() - t0;
	stats->fit_cpu_seconds = ml_cpu_now() - cpu0;
	rc = 0;
done:
	free(gram);
	free(xmean);
	if (rc < 0)
		ml_model_free(out);
	return rc;
}

/* Copies the class names of the training data into the model, so that
 * dv-eval can check that a test set uses the same classes. */
static int copy_class_names(ml_model *m, const ml_dataset *ds)
{
	for (size_t c = 0; c < m->k; c++) {
		m->class_names[c] = strdup(ds->class_names[c]);
		if (!m->class_names[c])
			return ml_fail("out of memory");
	}
	return 0;
}

int ml_logreg_fit(ml_model *out, ml_fit_stats *stats, const ml_dataset *train,
		  const ml_train_params *p)
{
	size_t n = train->rows, d = train->cols, k = train->n_classes;
	size_t bs = (size_t)p->batch < n ? (size_t)p->batch : n;
	size_t nbatches = n ? (n + bs - 1) / bs : 0;
	double *P = NULL, *GW = NULL, *db = NULL, t0, cpu0;
	size_t *order = NULL;
	ml_matmul mm = { 0 };
	ml_rng rng;
	double *epoch_loss = stats->epoch_loss; /* the caller's buffer survives the reset */
	int rc = -1;

	memset(stats, 0, sizeof(*stats));
	stats->epoch_loss = epoch_loss;
	if (train->kind != ML_TARGET_CLASSES)
		return ml_fail("logreg needs class labels, the data has a regression target (use model=ridge)");
	if (n == 0 || d == 0)
		return ml_fail("cannot fit on an empty matrix (%zu x %zu)", n, d);
	if (model_alloc(out, ML_MODEL_LOGREG, d, k) < 0)
		return -1;
	if (copy_class_names(out, train) < 0)
		goto done;
	P = malloc(bs * k * sizeof(*P));
	GW = malloc(d * k * sizeof(*GW));
	db = malloc(k * sizeof(*db));
	order = malloc(nbatches * sizeof(*order));
	if (!P || !GW || !db || !order) {
		ml_fail("out of memory");
		goto done;
	}
	t0 = ml_now();
	cpu0 = ml_cpu_now();
	/* The products' path is timed on the first batch (if it must be). */
	if (ml_matmul_init(&mm, bs, d, k) < 0 || ml_matmul_choose(&mm, train->X, bs) < 0)
		goto done;
	stats->path = mm.path;
	for (size_t t = 0; t < nbatches; t++)
		order[t] = t;
	ml_rng_seed(&rng, p->seed, 0);

	for (long epoch = 0; epoch < p->epochs; epoch++) {
		double lr = p->lr / (1.0 + p->lr_decay * (double)epoch), loss = 0;

		ml_rng_shuffle(&rng, order, nbatches);
		for (size_t t = 0; t < nbatches; t++) {
			size_t start = order[t] * bs;
			size_t rows = n - start < bs ? n - start : bs;
			const double *Xb = train->X + start * d;
			const int32_t *yb = train->labels + start;
			double scale = 1.0 / (double)rows;

			/* P = softmax(Xb W + b) */
			ml_matmul_xw(&mm, P, Xb, rows, out->W);
			for (size_t i = 0; i < rows; i++)
				for (size_t c = 0; c < k; c++)
					P[i * k + c] += out->b[c];
			ml_softmax_rows(P, rows, k);

			/* G = P - onehot(y), the gradient of the loss wrt scores
			 * (kept in P); db = column sums of G. */
			memset(db, 0, k * sizeof(*db));
			for (size_t i = 0; i < rows; i++) {
				double *g = P + i * k;
				double py = g[yb[i]];
				loss -= log(py > 1e-300 ? py : 1e-300);
				g[yb[i]] -= 1.0;
				for (size_t c = 0; c < k; c++)
					db[c] += g[c];
			}
			/* GW = Xb^T G / rows */
			ml_matmul_xtg(&mm, GW, scale, Xb, rows, P);
			for (size_t j = 0; j < d * k; j++)
				out->W[j] -= lr * (GW[j] + p->l2 * out->W[j]);
			for (size_t c = 0; c < k; c++)
				out->b[c] -= lr * db[c] * scale;
		}
		stats->final_loss = loss / (double)n;
		if (stats->epoch_loss)
			stats->epoch_loss[epoch] = stats->final_loss;
		/* Too large a step overflows W to inf and then NaN; the loss
		 * alone would not show it (its log argument is clamped). */
		int finite = isfinite(stats->final_loss);
		for (size_t j = 0; j < d * k && finite; j++)
			finite = isfinite(out->W[j]);
		for (size_t c = 0; c < k && finite; c++)
			finite = isfinite(out->b[c]);
		if (!finite) {
			ml_fail("training diverged in epoch %ld (loss is %g); lower lr", epoch + 1,
				stats->final_loss);
			goto done;
		}
	}
	stats->fit_seconds = ml_now() - t0;
	stats->fit_cpu_seconds = ml_cpu_now() - cpu0;
	rc = 0;
done:
	free(P);
	free(GW);
	free(db);
	free(order);
	ml_matmul_free(&mm);
	if (rc < 0)
		ml_model_free(out);
	return rc;
}

void ml_model_predict(double *out, const ml_model *m, const double *X, size_t rows)
{
	double one = 1.0, zero = 0.0;

	if (rows == 0)
		return;
	bli_dgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)rows, (dim_t)m->k, (dim_t)m->d,
		  &one, (double *)X, (inc_t)m->d, 1, m->W, (inc_t)m->k, 1,
		  &zero, out, (inc_t)m->k, 1);
	for (size_t i = 0; i < rows; i++)
		for (size_t c = 0; c < m->k; c++)
			out[i * m->k + c] += m->b[c];
	if (m->kind == ML_MODEL_LOGREG)
		ml_softmax_rows(out, rows, m->k);
}

int ml_model_write(const char *path, const ml_model *m)
{
	unsigned char header[MODEL_HEADER_BYTES];
	size_t names_bytes = 0;
	ml_atomic f;

	if (m->kind == ML_MODEL_LOGREG)
		names_bytes = ml_names_size(m->class_names, m->k);
	memcpy(header, ML_MODEL_MAGIC, 8);
	ml_put_le(header + 8, (uint64_t)m->kind, 4);
	ml_put_le(header + 12, m->k, 4);
	ml_put_le(header + 16, m->d, 8);
	ml_put_le(header + 24, names_bytes, 8);
	if (ml_atomic_open(&f, path) < 0)
		return -1;
	if (ml_atomic_write(&f, header, sizeof(header)) < 0 ||
	    ml_atomic_write(&f, m->W, m->d * m->k * sizeof(double)) < 0 ||
	    ml_atomic_write(&f, m->b, m->k * sizeof(double)) < 0)
		goto fail;
	if (m->kind == ML_MODEL_LOGREG && ml_names_write(&f, m->class_names, m->k) < 0)
		goto fail;
	return ml_atomic_commit(&f);
fail:
	ml_atomic_abort(&f);
	return -1;
}

int ml_model_read(ml_model *out, const char *path)
{
	unsigned char header[MODEL_HEADER_BYTES];
	uint64_t kind, k, d, names_bytes;
	char *names = NULL;
	struct stat st;
	FILE *fp;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	fp = fopen(path, "rb");
	if (!fp)
		return ml_fail("cannot open model '%s': %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) != 0 ||
	    fread(header, 1, sizeof(header), fp) != sizeof(header) ||
	    memcmp(header, ML_MODEL_MAGIC, 8) != 0) {
		ml_fail("'%s' is not a model file (no DVMLMOD1 header)", path);
		goto done;
	}
	kind = ml_get_le(header + 8, 4);
	k = ml_get_le(header + 12, 4);
	d = ml_get_le(header + 16, 8);
	names_bytes = ml_get_le(header + 24, 8);
	/* Bounds first, so the size arithmetic below cannot overflow. */
	if ((kind != ML_MODEL_RIDGE && kind != ML_MODEL_LOGREG) || k == 0 ||
	    (kind == ML_MODEL_RIDGE && (k != 1 || names_bytes)) ||
	    d == 0 || d > (1u << 24) || k > (1u << 16) || names_bytes > (1u << 20) ||
	    (uint64_t)st.st_size != MODEL_HEADER_BYTES + (d * k + k) * 8 + names_bytes) {
		ml_fail("'%s' is corrupt: header does not match its size", path);
		goto done;
	}
	if (model_alloc(out, (ml_model_kind)kind, d, k) < 0)
		goto done;
	names = malloc(names_bytes + 1);
	if (!names) {
		ml_fail("out of memory");
		goto done;
	}
	if (fread(out->W, sizeof(double), d * k, fp) != d * k ||
	    fread(out->b, sizeof(double), k, fp) != k ||
	    fread(names, 1, names_bytes, fp) != names_bytes) {
		ml_fail("cannot read model '%s': short read", path);
		goto done;
	}
	if (kind == ML_MODEL_LOGREG) {
		free(out->class_names); /* model_alloc's empty array */
		out->class_names = NULL;
		if (ml_names_parse(&out->class_names, names, names_bytes, k, path) < 0)
			goto done;
	}
	rc = 0;
done:
	free(names);
	fclose(fp);
	if (rc < 0)
		ml_model_free(out);
	return rc;
}
