/* Metrics: JSON flattened to dotted keys, numbers, diffs with deltas. */
#include "dv/metrics.h"
#include "test.h"

static dv_metrics *parse(const char *file, const char *json)
{
	dv_metrics *m = NULL;
	CHECK_OK(dv_metrics_parse(&m, file, json, strlen(json)));
	return m;
}

TEST(nested_objects_and_arrays_flatten)
{
	dv_metrics *m = parse("metrics.json",
			      "{\"rmse\": 0.25, \"train\": {\"loss\": 1.5, \"epochs\": 10},"
			      " \"per_class\": [0.5, {\"f1\": 0.75}], \"model\": \"ridge\", \"ok\": true, \"x\": null}");
	const dv_metric *it;
	if (!m)
		return;
	CHECK_INT(m->items.n, 8);
	it = dv_metrics_get(m, "train.loss");
	CHECK(it && it->is_number && it->num == 1.5);
	CHECK_STR(it ? it->text : NULL, "1.5");
	it = dv_metrics_get(m, "train.epochs");
	CHECK(it && it->is_number && it->num == 10);
	CHECK_STR(it ? it->text : NULL, "10");
	CHECK_STR(dv_metrics_get(m, "per_class.0")->text, "0.5");
	CHECK_STR(dv_metrics_get(m, "per_class.1.f1")->text, "0.75");
	it = dv_metrics_get(m, "model");
	CHECK(it && !it->is_number);
	CHECK_STR(it ? it->text : NULL, "ridge");
	CHECK_STR(dv_metrics_get(m, "ok")->text, "true");
	CHECK_STR(dv_metrics_get(m, "x")->text, "null");
	CHECK(dv_metrics_get(m, "train") == NULL);
	dv_metrics_free(m);
}

static void check_format(double v, const char *want)
{
	dv_buf b = DV_BUF_INIT;
	dv_metrics_format_number(&b, v);
	CHECK_STR(b.ptr, want);
	CHECK(strtod(b.ptr, NULL) == v);
	dv_buf_free(&b);
}

TEST(numbers_print_as_the_shortest_text_that_reads_back)
{
	check_format(0.3, "0.3");
	check_format(0.1, "0.1");
	/* a different double from 0.3: hiding the difference would lie */
	check_format(0.1 + 0.2, "0.30000000000000004");
	check_format(-3.0, "-3");
	check_format(-0.0, "0");
	check_format(1e-7, "1e-07");
	check_format(123456789012, "123456789012");
	check_format(0.12345678901234566, "0.12345678901234566");
}

TEST(a_change_has_no_more_decimal_places_than_its_values)
{
	dv_vec a = DV_VEC_INIT(dv_metrics *), b = DV_VEC_INIT(dv_metrics *);
	dv_vec rows = DV_VEC_INIT(dv_metric_diff);
	const double want[] = { 0.14070339, 0.1, -0.2, 0, 1.5e-7, 3 };
	dv_buf text = DV_BUF_INIT;

	*(dv_metrics **)dv_vec_push(&a) = parse("m.json", "{\"a\": 100.70929661, \"b\": 1000.1, \"c\": 12.5,"
						       " \"d\": 0.1, \"e\": 1e-7, \"f\": 7}");
	*(dv_metrics **)dv_vec_push(&b) = parse("m.json", "{\"a\": 100.85, \"b\": 1000.2, \"c\": 12.3,"
						       " \"d\": 0.10, \"e\": 2.5e-7, \"f\": 10}");
	dv_metrics_diff(&rows, &a, &b, true);
	CHECK_INT(rows.n, 6);
	for (size_t i = 0; i < rows.n && i < 6; i++) {
		const dv_metric_diff *d = dv_vec_at(&rows, dv_metric_diff, i);
		CHECK(d->has_delta && d->delta == want[i]);
	}
	if (rows.n == 6) {
		dv_metrics_format_number(&text, dv_vec_at(&rows, dv_metric_diff, 0)->delta);
		CHECK_STR(text.ptr, "0.14070339");
		dv_buf_reset(&text);
		dv_metrics_format_number(&text, dv_vec_at(&rows, dv_metric_diff, 3)->delta);
		CHECK_STR(text.ptr, "0");
	}
	dv_buf_free(&text);
	dv_vec_free(&rows);
	dv_metrics_vec_free(&a);
	dv_metrics_vec_free(&b);
}

TEST(bad_json_names_file_line_and_column)
{
	dv_metrics *m = NULL;
	CHECK_FAILS(dv_metrics_parse(&m, "eval/metrics.json", "{\n  \"a\": 1,\n  oops\n}", 20),
		    "cannot read metrics 'eval/metrics.json' line 3");
	CHECK(m == NULL);
	CHECK_FAILS(dv_metrics_parse(&m, "m.json", "[1, 2]", 6), "top level must be a JSON object");
}

TEST(diff_pairs_keys_and_computes_deltas)
{
	dv_vec a = DV_VEC_INIT(dv_metrics *), b = DV_VEC_INIT(dv_metrics *);
	dv_vec rows = DV_VEC_INIT(dv_metric_diff);
	dv_metric_diff *d;

	*(dv_metrics **)dv_vec_push(&a) = parse("m.json", "{\"acc\": 0.8, \"loss\": 2, \"gone\": 1, \"same\": 5, \"name\": \"a\"}");
	*(dv_metrics **)dv_vec_push(&b) = parse("m.json", "{\"acc\": 0.85, \"loss\": 1.5, \"new\": 7, \"same\": 5, \"name\": \"b\"}");
	dv_metrics_diff(&rows, &a, &b, false);
	/* sorted: acc, gone, loss, name, new (same is left out) */
	CHECK_INT(rows.n, 5);
	if (rows.n == 5) {
		d = dv_vec_at(&rows, dv_metric_diff, 0);
		CHECK_STR(d->key, "acc");
		CHECK(d->has_delta && d->delta == 0.05);
		d = dv_vec_at(&rows, dv_metric_diff, 1);
		CHECK_STR(d->key, "gone");
		CHECK(d->old && !d->new && !d->has_delta);
		d = dv_vec_at(&rows, dv_metric_diff, 2);
		CHECK(d->has_delta && d->delta == -0.5);
		d = dv_vec_at(&rows, dv_metric_diff, 3);
		CHECK_STR(d->key, "name");
		CHECK(!d->has_delta);
		d = dv_vec_at(&rows, dv_metric_diff, 4);
		CHECK(!d->old && d->new);
	}
	dv_vec_free(&rows);
	rows = (dv_vec)DV_VEC_INIT(dv_metric_diff);
	dv_metrics_diff(&rows, &a, &b, true);
	CHECK_INT(rows.n, 6);
	dv_vec_free(&rows);
	dv_metrics_vec_free(&a);
	dv_metrics_vec_free(&b);
}

TEST(a_file_only_on_one_side_shows_all_its_keys)
{
	dv_vec a = DV_VEC_INIT(dv_metrics *), b = DV_VEC_INIT(dv_metrics *);
	dv_vec rows = DV_VEC_INIT(dv_metric_diff);

	*(dv_metrics **)dv_vec_push(&b) = parse("eval.json", "{\"x\": 1, \"y\": 2}");
	dv_metrics_diff(&rows, &a, &b, false);
	CHECK_INT(rows.n, 2);
	if (rows.n)
		CHECK_STR(dv_vec_at(&rows, dv_metric_diff, 0)->file, "eval.json");
	dv_vec_free(&rows);
	dv_metrics_vec_free(&a);
	dv_metrics_vec_free(&b);
}

TEST(params_become_tables_with_numbers_recognised)
{
	dv_params *p = NULL;
	dv_metrics *m;
	const char *text = "[train]\nlambda = 0.1\nmodel = ridge\nepochs = 10\n";
	CHECK_OK(dv_params_parse(&p, "params.ini", text, strlen(text)));
	m = dv_metrics_from_params(p, "params.ini");
	CHECK_INT(m->items.n, 3);
	CHECK(dv_metrics_get(m, "train.lambda")->is_number);
	CHECK(!dv_metrics_get(m, "train.model")->is_number);
	CHECK_STR(dv_metrics_get(m, "train.lambda")->text, "0.1");
	dv_metrics_free(m);
	dv_params_free(p);
}

TEST(tables_align_without_trailing_blanks)
{
	dv_strvec cells = DV_STRVEC_INIT;
	dv_buf out = DV_BUF_INIT;
	const char *c[] = { "Path", "Key", "Value", "m.json", "accuracy", "", "x", "y", "1" };
	for (size_t i = 0; i < 9; i++)
		dv_strvec_push(&cells, c[i]);
	dv_table_format(&out, &cells, 3);
	CHECK_STR(out.ptr, "Path    Key       Value\nm.json  accuracy\nx       y         1\n");
	dv_strvec_free(&cells);
	dv_buf_free(&out);
}

TEST_MAIN(nested_objects_and_arrays_flatten, numbers_print_as_the_shortest_text_that_reads_back,
	  a_change_has_no_more_decimal_places_than_its_values, bad_json_names_file_line_and_column,
	  diff_pairs_keys_and_computes_deltas, a_file_only_on_one_side_shows_all_its_keys,
	  params_become_tables_with_numbers_recognised, tables_align_without_trailing_blanks)
