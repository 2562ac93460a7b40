/* The plots module: round ticks, scales, per-pixel-column downsampling,
 * escaping of every name that reaches SVG/HTML, plot files as tables, and
 * the charts built from them (defaults, revisions as series, confusion
 * counts). */
#include <math.h>

#include "dv/plot_render.h"
#include "dv/plots.h"
#include "test.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Every tick a whole multiple of a 1/2/5 step, covering [lo, hi]. */
static void check_ticks(double lo, double hi, double want_step, double want_first, double want_last)
{
	double t[64], step = 0;
	size_t n = dv_plot_ticks(t, 64, &step, lo, hi, 6);
	double mant = step / pow(10, floor(log10(step)));

	CHECK(n >= 3 && n <= 12);
	CHECK(fabs(mant - 1) < 1e-9 || fabs(mant - 2) < 1e-9 || fabs(mant - 5) < 1e-9);
	CHECK(fabs(step - want_step) < want_step * 1e-9);
	CHECK(fabs(t[0] - want_first) < want_step * 1e-9);
	CHECK(fabs(t[n - 1] - want_last) < want_step * 1e-9);
	CHECK(t[0] <= lo + step * 1e-9 && t[n - 1] >= hi - step * 1e-9);
	for (size_t i = 0; i < n; i++)
		CHECK(fabs(t[i] / step - round(t[i] / step)) < 1e-9);
	if (fabs(step - want_step) >= want_step * 1e-9 || fabs(t[0] - want_first) >= want_step * 1e-9)
		fprintf(stderr, "    ticks of [%g, %g]: %g .. %g step %g\n", lo, hi, t[0], t[n - 1], step);
}

TEST(ticks_are_round_and_cover_the_range)
{
	check_ticks(0, 1, 0.2, 0, 1);
	check_ticks(0.013, 0.987, 0.2, 0, 1);
	check_ticks(-3, 97, 20, -20, 100);
	check_ticks(1536.5, 1536.5, 100, 1300, 1700); /* one value: 10% around it */
	check_ticks(1, 1, 0.5, 0, 2);                /* one whole number: its neighbours */
	check_ticks(0.43061, 0.84266, 0.1, 0.4, 0.9);
	check_ticks(1e6, 5e6, 1e6, 1e6, 5e6);
	check_ticks(-1e-5, 3e-5, 1e-5, -1e-5, 3e-5);
}

TEST(tick_labels_have_the_decimals_their_step_needs)
{
	dv_buf b = DV_BUF_INIT;
	dv_plot_format_tick(&b, 0.25, 0.05);
	CHECK_STR(b.ptr, "0.25");
	dv_buf_reset(&b);
	dv_plot_format_tick(&b, 0.1 + 0.2, 0.1); /* no 0.30000000000000004 */
	CHECK_STR(b.ptr, "0.3");
	dv_buf_reset(&b);
	dv_plot_format_tick(&b, 1000, 500);
	CHECK_STR(b.ptr, "1000");
	dv_buf_reset(&b);
	dv_plot_format_tick(&b, 2e7, 1e7);
	CHECK_STR(b.ptr, "2e+07");
	dv_buf_reset(&b);
	dv_plot_format_tick(&b, -0.0, 0.5);
	CHECK_STR(b.ptr, "0");
	dv_buf_free(&b);
}

TEST(scales_map_linearly_and_flip)
{
	CHECK(fabs(dv_plot_scale(5, 0, 10, 0, 100) - 50) < 1e-12);
	CHECK(fabs(dv_plot_scale(2, 0, 10, 300, 0) - 240) < 1e-12); /* y grows upwards */
	CHECK(fabs(dv_plot_scale(7, 7, 7, 0, 100) - 50) < 1e-12);   /* empty range: the middle */
}

TEST(downsampling_keeps_each_pixel_columns_extremes)
{
	size_t n = 1000000, *keep = malloc(n * sizeof(*keep)), kept;
	double *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y));
	size_t spike = 123457, dip = 876543;

	for (size_t i = 0; i < n; i++) {
		x[i] = (double)i;
		y[i] = sin((double)i / 5000.0);
	}
	y[spike] = 50;
	y[dip] = -50;
	kept = dv_plot_downsample(keep, x, y, n, 0, (double)(n - 1), 700);
	CHECK(kept <= 4 * 701);
	CHECK(kept > 700);
	CHECK_INT(keep[0], 0);
	CHECK_INT(keep[kept - 1], n - 1);
	{
		bool has_spike = false, has_dip = false, ordered = true;
		for (size_t k = 0; k < kept; k++) {
			has_spike |= keep[k] == spike;
			has_dip |= keep[k] == dip;
			if (k && keep[k] <= keep[k - 1])
				ordered = false;
		}
		CHECK(has_spike && has_dip && ordered);
	}
	/* few points: every one kept */
	CHECK_INT(dv_plot_downsample(keep, x, y, 100, 0, 99, 700), 100);
	free(keep);
	free(x);
	free(y);
}

TEST(names_are_escaped_in_svg_and_html)
{
	dv_buf b = DV_BUF_INIT;
	dv_vec plots = DV_VEC_INIT(dv_plot *);
	dv_plot *p = dv_plot_new("x<y", DV_PLOT_LINEAR);
	double *x = malloc(2 * sizeof(double)), *y = malloc(2 * sizeof(double));

	dv_xml_escape(&b, "<script>alert('x')</script>&\"");
	CHECK_STR(b.ptr, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
	x[0] = 0, x[1] = 1, y[0] = 1, y[1] = 2;
	p->title = dv_strdup("<script>alert(1)</script>");
	p->y_label = dv_strdup("<img src=x onerror=alert(1)>");
	dv_plot_add_series(p, "<script>alert(2)</script>", x, y, 2);
	*(dv_plot **)dv_vec_push(&plots) = p;
	dv_buf_reset(&b);
	dv_plot_render_html(&b, &plots, "a <b> page");
	CHECK(count(b.ptr, "<script") == 0);
	CHECK(count(b.ptr, "<img") == 0);
	CHECK(count(b.ptr, "&lt;script&gt;alert(2)") >= 2); /* legend and tooltip */
	CHECK(strstr(b.ptr, "Content-Security-Policy") != NULL);
	CHECK(strstr(b.ptr, "default-src 'none'") != NULL);
	CHECK(strstr(b.ptr, "a &lt;b&gt; page") != NULL);
	CHECK(strstr(b.ptr, "http:") == NULL || strstr(b.ptr, "xmlns=\"http://www.w3.org/2000/svg\""));
	dv_plots_vec_free(&plots);
	dv_buf_free(&b);
}

static double *seq(size_t n, double a, double step)
{
	double *v = malloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = a + step * (double)i;
	return v;
}

TEST(svg_holds_one_group_per_series_and_every_point)
{
	dv_buf b = DV_BUF_INIT;
	dv_plot *p = dv_plot_new("loss", DV_PLOT_LINEAR);

	dv_plot_add_series(p, "HEAD: loss", seq(10, 0, 1), seq(10, 5, -0.5), 10);
	dv_plot_add_series(p, "workspace: loss", seq(10, 0, 1), seq(10, 4, -0.3), 10);
	dv_plot_render_svg(&b, p);
	CHECK_INT(count(b.ptr, "<g class=\"series\""), 2);
	CHECK_INT(count(b.ptr, "data-points=\"10\""), 2);
	CHECK_INT(count(b.ptr, "data-drawn=\"10\""), 2);
	CHECK_INT(count(b.ptr, "<circle class=\"marker\""), 20);
	CHECK(strstr(b.ptr, ">workspace: loss</text>") != NULL); /* the legend names it */
	dv_plot_free(p);
	dv_buf_free(&b);
}

TEST(a_million_points_stay_small)
{
	size_t n = 1000000;
	dv_buf b = DV_BUF_INIT;
	dv_plot *p = dv_plot_new("big", DV_PLOT_LINEAR), *s = dv_plot_new("big", DV_PLOT_SCATTER);
	double *y = seq(n, 0, 1);

	for (size_t i = 0; i < n; i++)
		y[i] = sin((double)i / 1000.0) + (double)(i % 7) * 0.01;
	dv_plot_add_series(p, "y", seq(n, 0, 1), y, n);
	dv_plot_render_svg(&b, p);
	CHECK(b.len < 200 * 1024);
	CHECK(strstr(b.ptr, "data-points=\"1000000\"") != NULL);
	dv_buf_reset(&b);
	y = seq(n, 0, 1);
	for (size_t i = 0; i < n; i++)
		y[i] = (double)((i * 7919) % 10007);
	dv_plot_add_series(s, "y", seq(n, 0, 1), y, n);
	dv_plot_render_svg(&b, s);
	CHECK(b.len < 1024 * 1024);
	dv_plot_free(p);
	dv_plot_free(s);
	dv_buf_free(&b);
}

static dv_plot_table *table(const char *file, const char *text)
{
	dv_plot_table *t = NULL;
	CHECK_OK(dv_plot_table_parse(&t, file, text, strlen(text)));
	return t;
}

TEST(plot_files_parse_as_tables)
{
	dv_plot_table *t = table("a.csv", "\xEF\xBB\xBFstep,\"name, quoted\",v\r\n0,\"a \"\"b\"\"\",1.5\r\n1,c,\r\n");
	const dv_plot_column *c;

	if (t) {
		CHECK_INT(t->rows, 2);
		c = dv_plot_table_column(t, "name, quoted");
		CHECK(c && c->text && !strcmp(c->text[0], "a \"b\""));
		c = dv_plot_table_column(t, "v");
		CHECK(c && !c->text && c->num[0] == 1.5 && isnan(c->num[1]));
		CHECK(dv_plot_table_column(t, "step") && !dv_plot_table_column(t, "step")->text);
	}
	dv_plot_table_free(t);
	t = table("b.tsv", "x\ty\n1\t2\n3\t4\n");
	CHECK(t && t->rows == 2 && dv_plot_table_column(t, "y")->num[1] == 4);
	dv_plot_table_free(t);
	t = table("c.json", "{\"train\": [{\"epoch\": 1, \"loss\": 0.5}, {\"epoch\": 2, \"loss\": 0.25, \"acc\": 0.9}]}");
	CHECK(t && t->rows == 2 && isnan(dv_plot_table_column(t, "acc")->num[0]));
	dv_plot_table_free(t);
	t = NULL;
	CHECK_FAILS(dv_plot_table_parse(&t, "d.json", "{\"a\": 1}", 8), "d.json");
	CHECK_FAILS(dv_plot_table_parse(&t, "e.json", "[1, 2", 5), "e.json");
}

/* The in-place parse of plain numbers must give what the cell-by-cell
 * path gives: past the row-count guess, when a column turns textual late,
 * with signs, exponents, blanks, a lone '\r' and extra fields. */
TEST(numeric_cells_parse_in_place_as_whole_cells)
{
	dv_buf text = DV_BUF_INIT;
	dv_plot_table *t;
	const dv_plot_column *c;

	dv_buf_puts(&text, "a,b,c\n1,2,3\n");
	for (int i = 0; i < 5000; i++)
		dv_buf_printf(&text, "%d,-%d.5e-2,+%lld\r\n", i, i, (long long)i * 1000003);
	dv_buf_puts(&text, "7, 8 ,1e5x,extra\n9,1\r,12345678901234567890\n");
	t = table("g.csv", text.ptr);
	if (t) {
		CHECK_INT(t->rows, 5003);
		c = dv_plot_table_column(t, "a");
		CHECK(c && !c->text && c->n == 5003 && c->num[5000] == 4999 && c->num[5001] == 7 && c->num[5002] == 9);
		c = dv_plot_table_column(t, "b");
		CHECK(c && !c->text && c->num[2] == -0.015 && c->num[5001] == 8 && c->num[5002] == 1);
		c = dv_plot_table_column(t, "c");
		CHECK(c && c->text && !strcmp(c->text[5001], "1e5x") && !strcmp(c->text[3], "2000006"));
		CHECK(c && c->num[5002] == 12345678901234567890.0);
	}
	dv_plot_table_free(t);
	dv_buf_free(&text);
}

TEST(charts_take_the_defaults_a_user_would_guess)
{
	dv_plot_table *head = table("log.csv", "epoch,loss,acc,note\n1,0.9,0.5,x\n2,0.5,0.7,y\n3,0.4,0.8,z\n");
	dv_plot_table *ws = table("log.csv", "epoch,loss,acc,note\n1,0.8,0.6,x\n2,0.3,0.9,y\n");
	dv_plot_source src[2] = { { "HEAD", head }, { "workspace", ws } };
	dv_plot *p = NULL;

	CHECK_OK(dv_plot_build(&p, "log", "log.csv", NULL, src, 2));
	if (p) {
		CHECK_INT(p->kind, DV_PLOT_LINEAR);
		CHECK_STR(p->x_field, "epoch");
		CHECK_INT(p->y_fields.n, 2); /* loss, acc: "note" is not a number */
		CHECK_INT(p->series.n, 4);
		CHECK_STR(dv_vec_at(&p->series, dv_plot_series, 0)->label, "HEAD: loss");
		CHECK_STR(dv_vec_at(&p->series, dv_plot_series, 3)->label, "workspace: acc");
		CHECK_INT(dv_vec_at(&p->series, dv_plot_series, 0)->n, 3);
		CHECK_INT(dv_vec_at(&p->series, dv_plot_series, 3)->n, 2);
	}
	dv_plot_free(p);
	{
		dv_plot_props *props = dv_plot_props_new();
		props->x = dv_strdup("nope");
		CHECK_FAILS(dv_plot_build(&p, "log", "log.csv", props, src, 2), "has no field 'nope'");
		dv_plot_props_free(props);
	}
	dv_plot_table_free(head);
	dv_plot_table_free(ws);
}

TEST(confusion_matrices_count_pairs_and_normalize)
{
	dv_plot_table *t = table("cm.csv", "actual,predicted,count\ncat,cat,8\ncat,dog,2\ndog,dog,5\n");
	dv_plot_table *rows = table("rows.csv", "actual,predicted\na,a\na,b\nb,b\nb,b\n");
	dv_plot_source src = { "workspace", t }, src2 = { "workspace", rows };
	dv_plot_props *props = dv_plot_props_new();
	dv_plot *p = NULL;

	props->template = dv_strdup("confusion_normalized");
	CHECK_OK(dv_plot_build(&p, "cm", "cm.csv", props, &src, 1));
	if (p && p->matrices.n == 1) {
		const dv_plot_matrix *m = dv_vec_at(&p->matrices, dv_plot_matrix, 0);
		CHECK_INT(m->rows.n, 2);
		/* column = actual cat: 8 of 10 predicted cat */
		CHECK(fabs(m->cells[0] - 0.8) < 1e-12 && fabs(m->cells[2] - 0.2) < 1e-12);
		CHECK(fabs(m->cells[3] - 1) < 1e-12);
	}
	dv_plot_free(p);
	free(props->template);
	props->template = dv_strdup("confusion");
	CHECK_OK(dv_plot_build(&p, "rows", "rows.csv", props, &src2, 1));
	if (p && p->matrices.n == 1) {
		const dv_plot_matrix *m = dv_vec_at(&p->matrices, dv_plot_matrix, 0);
		CHECK(m->cells[0] == 1 && m->cells[2] == 1 && m->cells[3] == 2); /* one per row */
	}
	dv_plot_free(p);
	dv_plot_props_free(props);
	dv_plot_table_free(t);
	dv_plot_table_free(rows);
}

TEST(a_field_of_names_makes_bars)
{
	dv_plot_table *t = table("cls.csv", "class,precision,recall\nsports,0.9,0.8\n<b>x</b>,0.7,0.6\n");
	dv_plot_source src = { "workspace", t };
	dv_plot_props *props = dv_plot_props_new();
	dv_buf svg = DV_BUF_INIT;
	dv_plot *p = NULL;

	props->x = dv_strdup("class");
	CHECK_OK(dv_plot_build(&p, "cls", "cls.csv", props, &src, 1));
	if (p) {
		CHECK_INT(p->kind, DV_PLOT_BAR);
		CHECK_INT(p->x_categories.n, 2);
		CHECK_INT(p->series.n, 2);
		dv_plot_render_svg(&svg, p);
		CHECK_INT(count(svg.ptr, "<rect class=\"bar\""), 4);
		CHECK(strstr(svg.ptr, "&lt;b&gt;x&lt;/b&gt;") != NULL);
	}
	dv_buf_free(&svg);
	dv_plot_free(p);
	dv_plot_props_free(props);
	dv_plot_table_free(t);
}

TEST_MAIN(ticks_are_round_and_cover_the_range, tick_labels_have_the_decimals_their_step_needs,
	  scales_map_linearly_and_flip, downsampling_keeps_each_pixel_columns_extremes,
	  names_are_escaped_in_svg_and_html, svg_holds_one_group_per_series_and_every_point,
	  a_million_points_stay_small, plot_files_parse_as_tables, numeric_cells_parse_in_place_as_whole_cells,
	  charts_take_the_defaults_a_user_would_guess, confusion_matrices_count_pairs_and_normalize,
	  a_field_of_names_makes_bars)
