/*
 * test_parsers.c - what the ML programs accept and how they refuse: the
 * strict CSV reader (exact `file:line:column: message` errors), cleaning
 * and encoding, the INI params reader (missing/unknown/duplicate keys and
 * inih's limits), and the two binary file formats.
 *
 * Usage: ml-test-parsers [SCRATCH_DIR]  (created if missing; files in it
 * are overwritten; default: a new directory under $TMPDIR or /tmp, so a run
 * never litters the directory it was started in).  Error messages are compared in full: they are the user
 * interface of a failed pipeline stage.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "matfile.h"
#include "mlerr.h"
#include "model.h"
#include "params.h"
#include "prepare.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *scratch = ".";
static char path_buf[4096], expect_buf[8192];

static const char rental_header[] =
	"borough,room_type,latitude,longitude,minimum_nights,number_of_reviews,availability_365,price\n";

/* Writes `text` to SCRATCH/name and returns the path. */
static const char *write_file(const char *name, const char *text)
{
	FILE *fp;

	snprintf(path_buf, sizeof(path_buf), "%s/%s", scratch, name);
	fp = fopen(path_buf, "wb");
	if (!fp) {
		fprintf(stderr, "cannot write %s\n", path_buf);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	return path_buf;
}

static const char *expect(const char *fmt, const char *path)
{
	snprintf(expect_buf, sizeof(expect_buf), fmt, path);
	return expect_buf;
}

static ml_prepare_params default_prepare(void)
{
	ml_prepare_params p = { .test_fraction = 0.25, .seed = 1, .clip_price = 500,
				.clip_nights = 365, .geo_grid = 6, .hash_dims = 16 };
	return p;
}

/* Loads `text` as a CSV file; expects failure with message fmt % path. */
static void check_csv_error(const char *name, const char *text, const char *fmt)
{
	ml_prepare_params p = default_prepare();
	ml_prepare_report report;
	ml_dataset ds;
	const char *path = write_file(name, text);

	CHECK(ml_prepare_load(&ds, &report, path, &p) < 0);
	CHECK_STR(ml_error_last(), expect(fmt, path));
}

static void test_csv_reports_non_numeric_value_with_line_and_column(void)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s%s", rental_header,
		 "Manhattan,Private room,40.75,-73.98,2,10,100,120\n",
		 "Brooklyn,Private room,abc,-73.95,2,10,100,80\n");
	check_csv_error("nonnum.csv", text,
			"%s:3:3: non-numeric value 'abc' in column 'latitude'");
}

static void test_csv_rejects_nan_and_infinity(void)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s", rental_header,
		 "Manhattan,Private room,40.75,-73.98,2,10,100,NaN\n");
	check_csv_error("nan.csv", text, "%s:2:8: non-finite value 'NaN' in column 'price'");
	snprintf(text, sizeof(text), "%s%s", rental_header,
		 "Manhattan,Private room,40.75,-73.98,2,1e999,100,12\n");
	check_csv_error("inf.csv", text,
			"%s:2:6: non-finite value '1e999' in column 'number_of_reviews'");
}

static void test_csv_rejects_padded_and_hex_numbers(void)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s", rental_header,
		 "Manhattan,Private room, 40.75,-73.98,2,10,100,12\n");
	check_csv_error("space.csv", text,
			"%s:2:3: non-numeric value ' 40.75' in column 'latitude'");
	snprintf(text, sizeof(text), "%s%s", rental_header,
		 "Manhattan,Private room,40.75,-73.98,0x2,10,100,12\n");
	check_csv_error("hex.csv", text,
			"%s:2:5: non-numeric value '0x2' in column 'minimum_nights'");
}

static void test_csv_reports_wrong_field_count(void)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s%s", rental_header,
		 "Manhattan,Private room,40.75,-73.98,2,10,100,120\n",
		 "Manhattan,Private room,40.75,-73.98,2,10,100\n");
	check_csv_error("fields.csv", text, "%s:3: expected 8 fields, found 7");
}

static void test_csv_reports_empty_file_and_header_only(void)
{
	check_csv_error("empty.csv", "", "%s: empty file");
	check_csv_error("header.csv", rental_header, "%s: no data rows after the header");
}

static void test_csv_reports_unknown_header_and_category(void)
{
	char text[1024];

	check_csv_error("hdr.csv", "id,borough\n1,Manhattan\n",
			"%s:1: unrecognized header starting 'id' (expected 'borough,room_type,...,price' or 'label,text')");
	snprintf(text, sizeof(text), "%s%s", rental_header,
		 "Mars,Private room,40.75,-73.98,2,10,100,120\n");
	check_csv_error("cat.csv", text,
			"%s:2:1: unknown value 'Mars' in column 'borough' (expected Manhattan, Brooklyn, Queens, Bronx or Staten Island)");
}

static void test_csv_rejects_blank_lines_and_broken_quotes(void)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s\n%s", rental_header,
		 "Manhattan,Private room,40.75,-73.98,2,10,100,120\n",
		 "Manhattan,Private room,40.75,-73.98,2,10,100,120\n");
	check_csv_error("blank.csv", text, "%s:3: blank line");
	snprintf(text, sizeof(text), "%s%s", rental_header,
		 "\"Manhattan,Private room,40.75,-73.98,2,10,100,120\n");
	check_csv_error("quote.csv", text, "%s:2:1: unterminated quoted field");
	snprintf(text, sizeof(text), "%s%s", rental_header,
		 "\"Manhattan\"x,Private room,40.75,-73.98,2,10,100,120\n");
	check_csv_error("after.csv", text, "%s:2:1: unexpected character after closing quote");
}

static void test_csv_escapes_control_characters_in_messages(void)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s", rental_header,
		 "Manhattan,Private room,4\t0,-73.98,2,10,100,120\n");
	check_csv_error("ctl.csv", text,
			"%s:2:3: non-numeric value '4\\x090' in column 'latitude'");
}

static void test_rental_cleaning_drops_missing_and_out_of_range_rows(void)
{
	ml_prepare_params p = default_prepare();
	ml_prepare_report report;
	ml_dataset ds;
	char text[2048];

	snprintf(text, sizeof(text), "%s%s%s%s%s%s%s", rental_header,
		 "Manhattan,Entire home/apt,40.75,-73.98,2,10,100,120\n",
		 "Brooklyn,,40.68,-73.95,2,10,100,80\n",              /* missing */
		 "Queens,Private room,0.0,0.0,1,0,0,60\n",            /* out of range */
		 "\"Staten Island\",Shared room,40.59,-74.12,400,3,0,9000\n", /* clipped x2 */
		 "Bronx,Private room,40.85,-73.87,1,5,365,\n",          /* missing price */
		 "Bronx,Private room,40.85,-73.87,1,5,366,50\n");      /* out of range */
	const char *path = write_file("clean.csv", text);

	CHECK(ml_prepare_load(&ds, &report, path, &p) == 0);
	CHECK(report.task == ML_TASK_RENTAL);
	CHECK(report.rows_read == 6);
	CHECK(report.dropped_missing == 2);
	CHECK(report.dropped_range == 2);
	CHECK(report.clipped == 2);
	CHECK(ds.rows == 2);
	CHECK(ds.cols == 19 + 36);
	CHECK_NEAR(ds.y[0], 120, 0);
	CHECK_NEAR(ds.y[1], 500, 0); /* clipped to clip_price */
	/* Row 2 is Staten Island (dummy 4) x Shared room (dummy 2): its
	 * interaction is the last of the 8, column 6 + 7. */
	CHECK_NEAR(ds.X[ds.cols + 3], 1, 0);
	CHECK_NEAR(ds.X[ds.cols + 5], 1, 0);
	CHECK_NEAR(ds.X[ds.cols + 13], 1, 0);
	CHECK_NEAR(ds.X[ds.cols + 16], log1p(365), 1e-12); /* nights clipped */
	for (int j = 0; j < 14; j++)
		CHECK_NEAR(ds.X[j], 0, 0); /* Manhattan / Entire home: the references */
	ml_dataset_free(&ds);
}

static void test_split_standardizes_with_training_statistics(void)
{
	ml_prepare_params p = default_prepare();
	ml_prepare_report report;
	ml_dataset ds;
	size_t *order, n_train;
	char text[8192] = "";

	strcat(text, "label,text\n");
	for (int i = 0; i < 40; i++)
		strcat(text, i % 2 ? "zeta,one two three\n" : "alpha,four five five six\n");
	const char *path = write_file("topics.csv", text);

	CHECK(ml_prepare_load(&ds, &report, path, &p) == 0);
	CHECK(ds.n_classes == 2);
	CHECK_STR(ds.class_names[0], "alpha"); /* sorted, not first-seen */
	CHECK(ds.labels[0] == 0 && ds.labels[1] == 1);
	CHECK(ml_prepare_split(&order, &n_train, &ds, &p) == 0);
	CHECK(n_train == 30);
	for (size_t j = 0; j < ds.cols; j++) {
		double mean = 0, var = 0;
		for (size_t i = 0; i < n_train; i++)
			mean += ds.X[order[i] * ds.cols + j] / (double)n_train;
		for (size_t i = 0; i < n_train; i++) {
			double v = ds.X[order[i] * ds.cols + j] - mean;
			var += v * v / (double)n_train;
		}
		CHECK_NEAR(mean, 0, 1e-12);
		CHECK(fabs(var - 1) < 1e-12 || var == 0); /* unused buckets stay 0 */
	}
	free(order);
	ml_dataset_free(&ds);
}

static void test_topics_need_two_classes(void)
{
	check_csv_error("one.csv", "label,text\nsports,ball game\nsports,goal\n",
			"%s: need at least 2 classes in column 'label', found only 'sports'");
}

/* Loads [train] from `text`; expects failure with message fmt % path. */
static void check_train_params_error(const char *text, const char *fmt)
{
	ml_train_params tp;
	const char *path = write_file("params.ini", text);

	CHECK(ml_params_load_train(&tp, path) < 0);
	CHECK_STR(ml_error_last(), expect(fmt, path));
}

static void test_params_missing_key_names_file_and_key(void)
{
	ml_prepare_params pp;
	const char *path;

	check_train_params_error("[train]\nmodel = ridge\n",
				 "%s: missing key 'lambda' in section [train] (required for model=ridge)");
	check_train_params_error("[train]\nmodel = logreg\nlr = 0.1\n",
				 "%s: missing key 'epochs' in section [train] (required for model=logreg)");
	check_train_params_error("[prepare]\nseed = 1\n[train]\nlambda = 1\n",
				 "%s: missing key 'model' in section [train]");
	path = write_file("prep.ini", "[prepare]\ntest_fraction = 0.2\n");
	CHECK(ml_params_load_prepare(&pp, path) < 0);
	CHECK_STR(ml_error_last(), expect("%s: missing key 'seed' in section [prepare]", path));
}

static void test_params_reject_unknown_duplicate_and_bad_values(void)
{
	check_train_params_error("[train]\nmodel = ridge\nlamda = 0.1\n",
				 "%s:3: unknown key 'lamda' in section [train]");
	check_train_params_error("[train]\nmodel = ridge\nlambda = 0.1\nlambda = 0.2\n",
				 "%s:4: duplicate key 'lambda' in section [train]");
	check_train_params_error("[train]\nmodel = ridge\nlambda = abc\n",
				 "%s:3: invalid value 'abc' for key 'lambda' (expected a number >= 0)");
	check_train_params_error("[train]\nmodel = svm\n",
				 "%s:2: invalid value 'svm' for key 'model' (expected 'ridge' or 'logreg')");
	check_train_params_error("[train]\nmodel = logreg\nlr = 0.1\nepochs = 0\n",
				 "%s:4: invalid value '0' for key 'epochs' (expected an integer from 1 to 1000000)");
	check_train_params_error("[train]\nmodel ridge\n",
				 "%s:2: syntax error (expected '[section]' or 'key = value')");
}

static void test_params_guard_against_inih_limits(void)
{
	char text[1024];

	/* A 200-byte line would be cut by inih and its tail read as a key. */
	snprintf(text, sizeof(text), "[train]\nmodel = ridge\n# %0198d\nlambda = 1\n", 0);
	check_train_params_error(text, "%s:3: line is longer than 198 bytes");
	/* An indented line would silently continue the previous value. */
	check_train_params_error("[train]\nmodel = ridge\n  lambda = 1\n",
				 "%s:3: indented line (it would continue the previous key)");
}

static void test_params_defaults_and_other_sections(void)
{
	ml_train_params tp;
	const char *path = write_file("ok.ini",
		"; comment\n[eval]\nwhatever = 1\n[train]\nmodel = logreg ; inline comment\n"
		"lr = 0.25\nepochs = 3\n[prepare]\nunknown_here = fine\n");

	CHECK(ml_params_load_train(&tp, path) == 0);
	CHECK(tp.model == ML_MODEL_LOGREG);
	CHECK_NEAR(tp.lr, 0.25, 0);
	CHECK(tp.epochs == 3 && tp.batch == 256 && tp.seed == 1);
	CHECK_NEAR(tp.l2, 1e-4, 0);
	CHECK(ml_params_load_train(&tp, "/nonexistent/params.ini") < 0);
	CHECK_STR(ml_error_last(),
		  "cannot open params file '/nonexistent/params.ini': No such file or directory");
}

static void test_matfile_round_trips_and_detects_truncation(void)
{
	double X[6] = { 1, 2, 3, 4, 5, 6 };
	int32_t labels[3] = { 1, 0, 1 };
	char *names[2] = { "cat", "dog" };
	ml_dataset ds = { .rows = 3, .cols = 2, .kind = ML_TARGET_CLASSES, .X = X,
			  .labels = labels, .n_classes = 2, .class_names = names };
	size_t rows[2] = { 2, 0 };
	ml_dataset back;
	char path[4096];

	snprintf(path, sizeof(path), "%s/m.mat", scratch);
	CHECK(ml_matfile_write(path, &ds, rows, 2) == 0);
	CHECK(ml_matfile_read(&back, path) == 0);
	CHECK(back.rows == 2 && back.cols == 2 && back.n_classes == 2);
	CHECK_NEAR(back.X[0], 5, 0);
	CHECK_NEAR(back.X[3], 2, 0);
	CHECK(back.labels[0] == 1 && back.labels[1] == 1);
	CHECK_STR(back.class_names[1], "dog");
	ml_dataset_free(&back);

	CHECK(truncate(path, 40 + 8) == 0);
	CHECK(ml_matfile_read(&back, path) < 0);
	CHECK_STR(ml_error_last(), expect("'%s' is corrupt: 48 bytes, header implies 88", path));
}

static void test_matfile_rejects_values_that_are_not_finite(void)
{
	double X[6] = { 1, 2, 3, 4, 5, 6 }, y[3] = { 1, 2, 3 };
	ml_dataset ds = { .rows = 3, .cols = 2, .kind = ML_TARGET_REGRESSION, .X = X, .y = y };
	ml_dataset back;
	char path[4096];

	snprintf(path, sizeof(path), "%s/nan.mat", scratch);
	X[3] = NAN;
	CHECK(ml_matfile_write(path, &ds, NULL, 3) == 0);
	CHECK(ml_matfile_read(&back, path) < 0);
	CHECK_STR(ml_error_last(), expect("'%s' is corrupt: row 1 column 1 is nan, not a finite number", path));
	X[3] = 4;
	y[2] = -INFINITY;
	CHECK(ml_matfile_write(path, &ds, NULL, 3) == 0);
	CHECK(ml_matfile_read(&back, path) < 0);
	CHECK_STR(ml_error_last(), expect("'%s' is corrupt: the target of row 2 is -inf, not a finite number", path));
	y[2] = 3;
	CHECK(ml_matfile_write(path, &ds, NULL, 3) == 0);
	CHECK(ml_matfile_read(&back, path) == 0);
	ml_dataset_free(&back);
}

static void test_model_file_round_trips(void)
{
	double W[6] = { 1, -2, 3, -4, 5, -6 }, b[3] = { 0.5, 0.25, 0.125 };
	char *names[3] = { "x", "y", "z" };
	ml_model m = { .kind = ML_MODEL_LOGREG, .d = 2, .k = 3, .W = W, .b = b,
		       .class_names = names }, back;
	char path[4096];

	snprintf(path, sizeof(path), "%s/model.bin", scratch);
	CHECK(ml_model_write(path, &m) == 0);
	CHECK(ml_model_read(&back, path) == 0);
	CHECK(back.kind == ML_MODEL_LOGREG && back.d == 2 && back.k == 3);
	for (int i = 0; i < 6; i++)
		CHECK_NEAR(back.W[i], W[i], 0);
	CHECK_NEAR(back.b[2], 0.125, 0);
	CHECK_STR(back.class_names[2], "z");
	ml_model_free(&back);
	CHECK(ml_model_read(&back, write_file("notmodel.bin", "hello")) < 0);
	CHECK_STR(ml_error_last(), expect("'%s' is not a model file (no DVMLMOD1 header)", path_buf));
}

int main(int argc, char **argv)
{
	static const check_test tests[] = {
		TEST(test_csv_reports_non_numeric_value_with_line_and_column),
		TEST(test_csv_rejects_nan_and_infinity),
		TEST(test_csv_rejects_padded_and_hex_numbers),
		TEST(test_csv_reports_wrong_field_count),
		TEST(test_csv_reports_empty_file_and_header_only),
		TEST(test_csv_reports_unknown_header_and_category),
		TEST(test_csv_rejects_blank_lines_and_broken_quotes),
		TEST(test_csv_escapes_control_characters_in_messages),
		TEST(test_rental_cleaning_drops_missing_and_out_of_range_rows),
		TEST(test_split_standardizes_with_training_statistics),
		TEST(test_topics_need_two_classes),
		TEST(test_params_missing_key_names_file_and_key),
		TEST(test_params_reject_unknown_duplicate_and_bad_values),
		TEST(test_params_guard_against_inih_limits),
		TEST(test_params_defaults_and_other_sections),
		TEST(test_matfile_round_trips_and_detects_truncation),
		TEST(test_matfile_rejects_values_that_are_not_finite),
		TEST(test_model_file_round_trips),
	};

	static char tmpl[4096];
	if (argc > 1) {
		scratch = argv[1];
		if (mkdir(scratch, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "cannot create %s\n", scratch);
			return 1;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(tmpl, sizeof(tmpl), "%s/ml-test-parsers.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		scratch = mkdtemp(tmpl);
		if (!scratch) {
			fprintf(stderr, "cannot create %s\n", tmpl);
			return 1;
		}
	}
	return check_run_all(tests, sizeof(tests) / sizeof(tests[0]));
}
