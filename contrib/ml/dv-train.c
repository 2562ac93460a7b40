/*
 * dv-train - fit a model on a prepared training matrix.
 *
 *   dv-train [-p PARAMS] [-t THREADS] [-v] [--log FILE] -o MODEL TRAIN.mat
 *
 * Reads [train] from PARAMS (default params.ini): model=ridge (normal
 * equations, exact) or model=logreg (mini-batch gradient descent); see
 * params.h and model.h.  BLIS uses THREADS threads, else BLIS_NUM_THREADS,
 * else 1 - never "all cores" behind the pipeline's back.  -v prints timings
 * and the path that ran the products as key=value pairs on stderr (the
 * benchmark reads them).  --version names the BLIS configuration; under
 * BLIS's `generic` one every run warns (see kernels.h for what runs then).
 * --log writes the training loss per epoch as CSV `epoch,loss` for `dv
 * plots`: logreg its mean cross-entropy after each epoch, ridge (solved
 * exactly, in one step) one row, its mean squared error on the training rows.
 */
#include "cli.h"
#include "linalg.h"
#include "matfile.h"
#include "mlerr.h"
#include "model.h"
#include "params.h"

#include "atomicfile.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
	"usage: dv-train [-p PARAMS] [-t THREADS] [-v] [--log FILE] -o MODEL TRAIN.mat\n"
	"       dv-train --version\n";


/* The training curve, written whole or not at all. */
static int write_log(const char *path, const double *loss, long epochs)
{
	ml_atomic f = { 0 };

	if (ml_atomic_open(&f, path) < 0)
		return -1;
	fputs("epoch,loss\n", f.fp);
	for (long e = 0; e < epochs; e++)
		fprintf(f.fp, "%ld,%.10g\n", e + 1, loss[e]);
	if (ml_atomic_finish(&f) < 0 || ml_atomic_commit(&f) < 0) {
		ml_atomic_abort(&f);
		return -1;
	}
	return 0;
}

/* Ridge's one "epoch": the mean squared error on the training rows. */
static int ridge_train_mse(double *out, const ml_model *m, const ml_dataset *train)
{
	double *pred = malloc((train->rows ? train->rows : 1) * sizeof(*pred)), sum = 0;

	if (!pred)
		return ml_fail("out of memory");
	ml_model_predict(pred, m, train->X, train->rows);
	for (size_t i = 0; i < train->rows; i++)
		sum += (pred[i] - train->y[i]) * (pred[i] - train->y[i]);
	*out = train->rows ? sum / (double)train->rows : 0;
	free(pred);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "params", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "dv-train", *params_path = "params.ini", *model_path = NULL;
	const char *log_path = NULL;
	double *epoch_loss = NULL;
	ml_train_params params;
	ml_dataset train = { 0 };
	ml_model model = { 0 };
	ml_fit_stats stats = { 0 };
	uint64_t threads = 0;
	int verbose = 0, opt, status = ML_EXIT_FAILURE;
	long nthreads;
	double t0, load_seconds;

	while ((opt = getopt_long(argc, argv, "p:t:o:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'p': params_path = optarg; break;
		case 'o': model_path = optarg; break;
		case 'v': verbose = 1; break;
		case 'L': log_path = optarg; break;
		case 't':
			if (ml_cli_integer(&threads, prog, "--threads", optarg, 1, 4096) < 0)
				return ML_EXIT_USAGE;
			break;
		case 'h': fputs(usage, stdout); return ML_EXIT_OK;
		case 'V': return ml_cli_version(prog, 1, 1);
		default: return ml_cli_usage(usage);
		}
	}
	if (optind != argc - 1 || !model_path)
		return ml_cli_usage(usage);
	if (ml_cli_blis_check(prog, 1) < 0)
		return ML_EXIT_FAILURE;

	if (ml_params_load_train(&params, params_path) < 0 ||
	    (nthreads = ml_blis_set_threads((long)threads)) < 0)
		goto done;
	t0 = ml_now();
	if (ml_matfile_read(&train, argv[optind]) < 0)
		goto done;
	load_seconds = ml_now() - t0;
	if (params.model == ML_MODEL_RIDGE) {
		if (ml_ridge_fit(&model, &stats, &train, params.lambda) < 0)
			goto done;
	} else {
		if (log_path && !(epoch_loss = calloc((size_t)params.epochs + 1, sizeof(*epoch_loss)))) {
			ml_fail("out of memory");
			goto done;
		}
		stats.epoch_loss = epoch_loss;
		if (ml_logreg_fit(&model, &stats, &train, &params) < 0)
			goto done;
	}
	if (log_path && params.model == ML_MODEL_RIDGE) {
		if (!(epoch_loss = malloc(sizeof(*epoch_loss))) ||
		    ridge_train_mse(epoch_loss, &model, &train) < 0) {
			if (!epoch_loss)
				ml_fail("out of memory");
			goto done;
		}
	}
	if (log_path &&
	    write_log(log_path, epoch_loss, params.model == ML_MODEL_RIDGE ? 1 : params.epochs) < 0)
		goto done;
	if (ml_model_write(model_path, &model) < 0)
		goto done;
	if (verbose) {
		fprintf(stderr, "%s: model=%s rows=%zu cols=%zu threads=%ld path=%s load_s=%.6f fit_s=%.6f"
			" fit_cpu_s=%.6f", prog, params.model == ML_MODEL_RIDGE ? "ridge" : "logreg",
			train.rows, train.cols, nthreads, ml_path_name(stats.path), load_seconds,
			stats.fit_seconds, stats.fit_cpu_seconds);
		if (params.model == ML_MODEL_RIDGE)
			fprintf(stderr, " gram_s=%.6f gram_gflops=%.3f\n", stats.gram_seconds,
				stats.gram_seconds > 0 ? stats.gram_flops / stats.gram_seconds * 1e-9 : 0);
		else
			fprintf(stderr, " final_loss=%.6f\n", stats.final_loss);
	}
	status = ML_EXIT_OK;
done:
	if (status != ML_EXIT_OK)
		ml_report(prog);
	free(epoch_loss);
	ml_model_free(&model);
	ml_dataset_free(&train);
	return status;
}
