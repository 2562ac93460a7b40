/*
 * dv-eval - score a model on a prepared test matrix.
 *
 *   dv-eval -m MODEL --metrics FILE [--plots FILE] [--plot-rows N]
 *           [--confusion FILE] [-t THREADS] TEST.mat
 *
 * Writes the metrics as JSON (metrics.h says how each is defined) and,
 * with --plots, a CSV for plotting: for ridge `actual,predicted` of the
 * first N test rows (default 1000, 0 = all; the rows were shuffled by
 * dv-prepare, so the first N are a random sample), for logreg one row per
 * class `class,precision,recall,f1,support`; with --confusion (logreg
 * only) the confusion matrix as CSV `actual,predicted,count`, one row per
 * pair of classes (what `dv plots`' confusion template reads).  All files
 * are finished before any is renamed into place.
 */
#include "atomicfile.h"
#include "cli.h"
#include "linalg.h"
#include "matfile.h"
#include "metrics.h"
#include "mlerr.h"
#include "model.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: dv-eval -m MODEL --metrics FILE [--plots FILE] [--plot-rows N]\n"
	"               [--confusion FILE] [-t THREADS] TEST.mat\n"
	"       dv-eval --version\n";


/* A CSV field: quoted when it holds a comma, quote or line break. */
static void put_csv_field(FILE *fp, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* The model must have been trained on data shaped like this test set. */
static int check_compatible(const ml_model *m, const ml_dataset *test,
			    const char *model_path, const char *test_path)
{
	if (m->d != test->cols)
		return ml_fail("model '%s' expects %zu features, '%s' has %zu",
			       model_path, m->d, test_path, test->cols);
	if ((m->kind == ML_MODEL_RIDGE) != (test->kind == ML_TARGET_REGRESSION))
		return ml_fail("model '%s' is %s but '%s' has %s", model_path,
			       m->kind == ML_MODEL_RIDGE ? "a regression" : "a classifier", test_path,
			       test->kind == ML_TARGET_REGRESSION ? "a regression target" : "class labels");
	if (m->kind == ML_MODEL_LOGREG) {
		if (m->k != test->n_classes)
			return ml_fail("model '%s' has %zu classes, '%s' has %zu",
				       model_path, m->k, test_path, test->n_classes);
		for (size_t c = 0; c < m->k; c++)
			if (strcmp(m->class_names[c], test->class_names[c]) != 0)
				return ml_fail("model '%s' and '%s' name class %zu differently ('%s', '%s')",
					       model_path, test_path, c, m->class_names[c],
					       test->class_names[c]);
	}
	return 0;
}

static json_t *regression_json(const ml_regression_metrics *r)
{
	return json_pack("{s:s, s:s, s:I, s:f, s:f, s:f}", "task", "regression",
			 "model", "ridge", "rows", (json_int_t)r->n,
			 "rmse", r->rmse, "mae", r->mae, "r2", r->r2);
}

static json_t *classification_json(const ml_class_metrics *c, char *const *names)
{
	json_t *classes = json_array(), *confusion = json_array();
	json_t *root = NULL;

	if (!classes || !confusion)
		goto fail;
	for (size_t i = 0; i < c->k; i++) {
		json_t *row = json_array();
		if (json_array_append_new(classes, json_string(names[i])) < 0 ||
		    json_array_append_new(confusion, row) < 0)
			goto fail;
		for (size_t j = 0; j < c->k; j++)
			if (json_array_append_new(row, json_integer((json_int_t)c->confusion[i * c->k + j])) < 0)
				goto fail;
	}
	root = json_pack("{s:s, s:s, s:I, s:f, s:f, s:f, s:o, s:o}",
			 "task", "classification", "model", "logreg",
			 "rows", (json_int_t)c->n, "accuracy", c->accuracy,
			 "macro_f1", c->macro_f1, "log_loss", c->log_loss,
			 "classes", classes, "confusion_matrix", confusion);
	return root; /* "o" stole both arrays, even on failure */
fail:
	json_decref(classes);
	json_decref(confusion);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "plots", required_argument, NULL, 'P' },
		{ "plot-rows", required_argument, NULL, 'r' },
		{ "confusion", required_argument, NULL, 'C' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "dv-eval", *model_path = NULL, *metrics_path = NULL;
	const char *plots_path = NULL, *confusion_path = NULL, *test_path;
	uint64_t plot_rows = 1000, threads = 0;
	ml_atomic metrics_out = { 0 }, plots_out = { 0 }, confusion_out = { 0 };
	ml_regression_metrics reg;
	ml_class_metrics cls = { 0 };
	ml_dataset test = { 0 };
	ml_model model = { 0 };
	double *pred = NULL;
	json_t *json = NULL;
	char *text = NULL;
	int opt, status = ML_EXIT_FAILURE;

	while ((opt = getopt_long(argc, argv, "m:t:h", options, NULL)) != -1) {
		switch (opt) {
		case 'm': model_path = optarg; break;
		case 'M': metrics_path = optarg; break;
		case 'P': plots_path = optarg; break;
		case 'C': confusion_path = optarg; break;
		case 'r':
			if (ml_cli_integer(&plot_rows, prog, "--plot-rows", optarg, 0, UINT64_MAX) < 0)
				return ML_EXIT_USAGE;
			break;
		case 't':
			if (ml_cli_integer(&threads, prog, "--threads", optarg, 1, 4096) < 0)
				return ML_EXIT_USAGE;
			break;
		case 'h': fputs(usage, stdout); return ML_EXIT_OK;
		case 'V': return ml_cli_version(prog, 1, 0);
		default: return ml_cli_usage(usage);
		}
	}
	if (optind != argc - 1 || !model_path || !metrics_path)
		return ml_cli_usage(usage);
	if (ml_cli_blis_check(prog, 0) < 0)
		return ML_EXIT_FAILURE;
	test_path = argv[optind];

	if (ml_blis_set_threads((long)threads) < 0 ||
	    ml_model_read(&model, model_path) < 0 ||
	    ml_matfile_read(&test, test_path) < 0 ||
	    check_compatible(&model, &test, model_path, test_path) < 0)
		goto done;
	pred = malloc((test.rows ? test.rows : 1) * model.k * sizeof(*pred));
	if (!pred) {
		ml_fail("out of memory");
		goto done;
	}
	ml_model_predict(pred, &model, test.X, test.rows);
	if (model.kind == ML_MODEL_RIDGE) {
		if (ml_regression_metrics_compute(&reg, test.y, pred, test.rows) < 0)
			goto done;
		json = regression_json(&reg);
	} else {
		if (ml_class_metrics_compute(&cls, test.labels, pred, test.rows, model.k) < 0)
			goto done;
		json = classification_json(&cls, model.class_names);
	}
	/* 10 significant digits: full precision, minus the noise that would
	 * make every rerun look like a metrics change in a diff. */
	text = json ? json_dumps(json, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) : NULL;
	if (!text) {
		ml_fail("cannot encode metrics as JSON");
		goto done;
	}
	if (ml_atomic_open(&metrics_out, metrics_path) < 0 ||
	    ml_atomic_write(&metrics_out, text, strlen(text)) < 0 ||
	    ml_atomic_write(&metrics_out, "\n", 1) < 0)
		goto done;
	if (plots_path) {
		if (ml_atomic_open(&plots_out, plots_path) < 0)
			goto done;
		FILE *fp = plots_out.fp;
		if (model.kind == ML_MODEL_RIDGE) {
			size_t n = plot_rows && plot_rows < test.rows ? plot_rows : test.rows;
			fputs("actual,predicted\n", fp);
			for (size_t i = 0; i < n; i++)
				fprintf(fp, "%.10g,%.10g\n", test.y[i], pred[i]);
		} else {
			fputs("class,precision,recall,f1,support\n", fp);
			for (size_t c = 0; c < cls.k; c++) {
				put_csv_field(fp, model.class_names[c]);
				fprintf(fp, ",%.10g,%.10g,%.10g,%zu\n", cls.precision[c], cls.recall[c],
					cls.f1[c], cls.support[c]);
			}
		}
		if (ml_atomic_finish(&plots_out) < 0)
			goto done;
	}
	if (confusion_path) {
		if (model.kind != ML_MODEL_LOGREG) {
			ml_fail("--confusion needs a classifier; '%s' is a regression model", model_path);
			goto done;
		}
		if (ml_atomic_open(&confusion_out, confusion_path) < 0)
			goto done;
		fputs("actual,predicted,count\n", confusion_out.fp);
		for (size_t i = 0; i < cls.k; i++)
			for (size_t j = 0; j < cls.k; j++) {
				put_csv_field(confusion_out.fp, model.class_names[i]);
				fputc(',', confusion_out.fp);
				put_csv_field(confusion_out.fp, model.class_names[j]);
				fprintf(confusion_out.fp, ",%zu\n", cls.confusion[i * cls.k + j]);
			}
		if (ml_atomic_finish(&confusion_out) < 0)
			goto done;
	}
	if (ml_atomic_finish(&metrics_out) < 0 ||
	    (plots_path && ml_atomic_commit(&plots_out) < 0) ||
	    (confusion_path && ml_atomic_commit(&confusion_out) < 0) ||
	    ml_atomic_commit(&metrics_out) < 0)
		goto done;
	status = ML_EXIT_OK;
done:
	if (status != ML_EXIT_OK)
		ml_report(prog);
	ml_atomic_abort(&metrics_out);
	ml_atomic_abort(&plots_out);
	ml_atomic_abort(&confusion_out);
	free(text);
	json_decref(json);
	free(pred);
	ml_class_metrics_free(&cls);
	ml_model_free(&model);
	ml_dataset_free(&test);
	return status;
}
