/* Experiments: the -S grammar (lists, range, choice), the grid and its
 * seeded random sample, names. */
#include <stdlib.h>
#include <string.h>

#include "dv/exp.h"
#include "test.h"

static char *values(const dv_exp_sweep *s)
{
	dv_buf b = DV_BUF_INIT;
	for (size_t i = 0; i < s->values.n; i++)
		dv_buf_printf(&b, "%s%s", i ? " " : "", s->values.v[i]);
	return dv_buf_detach(&b);
}

static void check_sweep(const char *arg, const char *file, const char *key, const char *want)
{
	dv_exp_sweep s;
	char *got;
	CHECK_OK(dv_exp_sweep_parse(&s, arg, "params.ini"));
	if (!s.key)
		return;
	CHECK_STR(s.file, file);
	CHECK_STR(s.key, key);
	got = values(&s);
	CHECK_STR(got, want);
	free(got);
	dv_exp_sweep_free(&s);
}

TEST(lists_ranges_and_choices_expand)
{
	check_sweep("train.lambda=0.1", "params.ini", "train.lambda", "0.1");
	check_sweep("train.lambda=0.01,0.1, 1", "params.ini", "train.lambda", "0.01 0.1 1");
	check_sweep("p.yaml:a.b=range(1,4)", "p.yaml", "a.b", "1 2 3");
	check_sweep("a=range(0, 10, 3)", "params.ini", "a", "0 3 6 9");
	/* no binary noise: 0.1 + 2 * 0.1 prints as 0.3 */
	check_sweep("lr=range(0.1,0.5,0.1)", "params.ini", "lr", "0.1 0.2 0.3 0.4");
	check_sweep("a=range(3,0,-1)", "params.ini", "a", "3 2 1");
	check_sweep("model=choice(ridge,lasso)", "params.ini", "model", "ridge lasso");
	/* brackets and quotes keep their commas */
	check_sweep("layers=[64,32]", "params.ini", "layers", "[64,32]");
	check_sweep("x=choice([1,2],[3])", "params.ini", "x", "[1,2] [3]");
	check_sweep("s=\"a,b\",c", "params.ini", "s", "\"a,b\" c");
}

TEST(bad_sweeps_are_refused)
{
	dv_exp_sweep s;
	CHECK_FAILS(dv_exp_sweep_parse(&s, "novalue", "params.ini"), "KEY=VALUE");
	CHECK_FAILS(dv_exp_sweep_parse(&s, "=1", "params.ini"), "KEY=VALUE");
	CHECK_FAILS(dv_exp_sweep_parse(&s, "a=range(1)", "params.ini"), "range(START,STOP");
	CHECK_FAILS(dv_exp_sweep_parse(&s, "a=range(1,5,0)", "params.ini"), "STEP not 0");
	CHECK_FAILS(dv_exp_sweep_parse(&s, "a=range(5,1)", "params.ini"), "empty");
	CHECK_FAILS(dv_exp_sweep_parse(&s, "a=1,,2", "params.ini"), "empty value");
}

static dv_exp_sweep sweep(const char *arg)
{
	dv_exp_sweep s;
	memset(&s, 0, sizeof(s));
	CHECK_OK(dv_exp_sweep_parse(&s, arg, "params.ini"));
	return s;
}

TEST(the_grid_is_the_cartesian_product)
{
	dv_exp_sweep s[2] = { sweep("a=1,2"), sweep("b=x,y,z") };
	dv_vec grid;

	dv_exp_grid(&grid, s, 2, 0, 0);
	CHECK_INT(grid.n, 6);
	if (grid.n == 6) {
		dv_strvec *p0 = dv_vec_at(&grid, dv_strvec, 0), *p5 = dv_vec_at(&grid, dv_strvec, 5);
		CHECK_STR(p0->v[0], "params.ini:a=1");
		CHECK_STR(p0->v[1], "params.ini:b=x");
		CHECK_STR(dv_vec_at(&grid, dv_strvec, 1)->v[1], "params.ini:b=y");
		CHECK_STR(p5->v[0], "params.ini:a=2");
		CHECK_STR(p5->v[1], "params.ini:b=z");
	}
	dv_exp_grid_free(&grid);
	dv_exp_sweep_free(&s[0]);
	dv_exp_sweep_free(&s[1]);
}

static char *point_text(const dv_vec *grid)
{
	dv_buf b = DV_BUF_INIT;
	for (size_t i = 0; i < grid->n; i++) {
		const dv_strvec *p = dv_vec_at(grid, dv_strvec, i);
		for (size_t k = 0; k < p->n; k++)
			dv_buf_printf(&b, "%s%s", k ? "&" : "|", p->v[k]);
	}
	return dv_buf_detach(&b);
}

TEST(random_samples_are_distinct_and_follow_the_seed)
{
	dv_exp_sweep s[2] = { sweep("a=range(0,10)"), sweep("b=range(0,10)") };
	dv_vec g1, g2, g3, all;
	char *t1, *t2, *t3;

	dv_exp_grid(&g1, s, 2, 7, 42);
	dv_exp_grid(&g2, s, 2, 7, 42);
	dv_exp_grid(&g3, s, 2, 7, 43);
	CHECK_INT(g1.n, 7);
	t1 = point_text(&g1);
	t2 = point_text(&g2);
	t3 = point_text(&g3);
	CHECK_STR(t1, t2);
	CHECK(strcmp(t1, t3) != 0);
	for (size_t i = 0; i < g1.n; i++)
		for (size_t j = i + 1; j < g1.n; j++) {
			dv_strvec *a = dv_vec_at(&g1, dv_strvec, i), *b = dv_vec_at(&g1, dv_strvec, j);
			CHECK(strcmp(a->v[0], b->v[0]) || strcmp(a->v[1], b->v[1]));
		}
	/* more than the grid holds: every point once */
	dv_exp_grid(&all, s, 1, 50, 1);
	CHECK_INT(all.n, 10);
	free(t1);
	free(t2);
	free(t3);
	dv_exp_grid_free(&g1);
	dv_exp_grid_free(&g2);
	dv_exp_grid_free(&g3);
	dv_exp_grid_free(&all);
	dv_exp_sweep_free(&s[0]);
	dv_exp_sweep_free(&s[1]);
}

TEST(overrides_split_back_into_file_key_value)
{
	char *f, *k, *v;
	dv_exp_override_split(&f, &k, &v, "conf/p.yaml:train.lr=[1, 2]");
	CHECK_STR(f, "conf/p.yaml");
	CHECK_STR(k, "train.lr");
	CHECK_STR(v, "[1, 2]");
	free(f);
	free(k);
	free(v);
}

TEST(names_must_make_valid_refs)
{
	CHECK(dv_exp_name_valid("bokar-temil"));
	CHECK(dv_exp_name_valid("lr_0.1"));
	CHECK(!dv_exp_name_valid(""));
	CHECK(!dv_exp_name_valid("a/b"));
	CHECK(!dv_exp_name_valid("a..b"));
	CHECK(!dv_exp_name_valid("a b"));
	CHECK(!dv_exp_name_valid("x.lock"));
}

TEST_MAIN(lists_ranges_and_choices_expand, bad_sweeps_are_refused, the_grid_is_the_cartesian_product,
	  random_samples_are_distinct_and_follow_the_seed, overrides_split_back_into_file_key_value,
	  names_must_make_valid_refs)
