/*
 * dv-prepare - turn a raw CSV file into standardized train/test matrices.
 *
 *   dv-prepare [-p PARAMS] [-v] --train FILE --test FILE INPUT.csv
 *
 * Reads [prepare] from PARAMS (default params.ini).  The whole input is
 * validated before anything is written, and both outputs are written to
 * temporary files and renamed only when both are complete, so a bad input
 * row leaves the previous outputs untouched (see prepare.h, matfile.h).
 */
#include "atomicfile.h"
#include "cli.h"
#include "matfile.h"
#include "mlerr.h"
#include "params.h"
#include "prepare.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char usage[] =
	"usage: dv-prepare [-p PARAMS] [-v] --train FILE --test FILE INPUT.csv\n"
	"       dv-prepare --version\n";

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "params", required_argument, NULL, 'p' },
		{ "train", required_argument, NULL, 'T' },
		{ "test", required_argument, NULL, 'E' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "dv-prepare", *params_path = "params.ini";
	const char *train_path = NULL, *test_path = NULL, *input;
	ml_atomic train_out = { 0 }, test_out = { 0 };
	ml_prepare_params params;
	ml_prepare_report report;
	ml_dataset ds = { 0 };
	size_t *order = NULL, n_train = 0;
	int verbose = 0, opt, status = ML_EXIT_FAILURE;

	while ((opt = getopt_long(argc, argv, "p:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'p': params_path = optarg; break;
		case 'T': train_path = optarg; break;
		case 'E': test_path = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': fputs(usage, stdout); return ML_EXIT_OK;
		case 'V': return ml_cli_version(prog, 0, 0);
		default: return ml_cli_usage(usage);
		}
	}
	if (optind != argc - 1 || !train_path || !test_path)
		return ml_cli_usage(usage);
	input = argv[optind];

	if (ml_params_load_prepare(&params, params_path) < 0 ||
	    ml_prepare_load(&ds, &report, input, &params) < 0 ||
	    ml_prepare_split(&order, &n_train, &ds, &params) < 0)
		goto done;
	if (ml_atomic_open(&train_out, train_path) < 0)
		goto done;
	if (ml_atomic_open(&test_out, test_path) < 0 ||
	    ml_matfile_write_to(&train_out, &ds, order, n_train) < 0 ||
	    ml_matfile_write_to(&test_out, &ds, order + n_train, ds.rows - n_train) < 0 ||
	    ml_atomic_finish(&train_out) < 0 || ml_atomic_finish(&test_out) < 0 ||
	    ml_atomic_commit(&train_out) < 0 || ml_atomic_commit(&test_out) < 0)
		goto done;
	if (verbose)
		fprintf(stderr, "%s: %s: %zu rows read, %zu dropped (missing), %zu dropped (out of range), "
			"%zu values clipped; %zu features; train %zu rows, test %zu rows\n",
			prog, report.task == ML_TASK_RENTAL ? "rental" : "topics",
			report.rows_read, report.dropped_missing, report.dropped_range,
			report.clipped, ds.cols, n_train, ds.rows - n_train);
	status = ML_EXIT_OK;
done:
	if (status != ML_EXIT_OK)
		ml_report(prog);
	ml_atomic_abort(&train_out);
	ml_atomic_abort(&test_out);
	free(order);
	ml_dataset_free(&ds);
	return status;
}
