/* The stage graph on in-memory stages: edges, order, and the errors that
 * name what is wrong. */
#include <time.h>

#include "dv/graph.h"
#include "dv/stage.h"
#include "test.h"

/* stage("dir/name.stage", "dep1 dep2", "out1 out2") */
static dv_stage *stage(const char *path, const char *deps, const char *outs)
{
	dv_stage *st = dv_stage_new(path);
	char *list, *save = NULL;

	st->is_command = true;
	st->cmd = dv_strdup("true");
	list = dv_strdup(deps);
	for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
		dv_stage_add_dep(st, t);
	free(list);
	list = dv_strdup(outs);
	save = NULL;
	for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
		dv_stage_add_out(st, t);
	free(list);
	return st;
}

static void push(dv_vec *v, dv_stage *st)
{
	*(dv_stage **)dv_vec_push(v) = st;
}

static void free_stages(dv_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		dv_stage_free(*dv_vec_at(v, dv_stage *, i));
	dv_vec_free(v);
}

/* Position of the stage named `name` in the topological order. */
static long topo_of(const dv_graph *g, const char *name)
{
	long i = dv_graph_find_name(g, name);
	return i < 0 ? -1 : (long)g->nodes[i].topo;
}

TEST(chain_orders_producers_first)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	/* Given in an order that is not topological. */
	push(&v, stage("a_evaluate.stage", "model.bin data/test.csv", "metrics.json"));
	push(&v, stage("b_prepare.stage", "raw.csv", "data/train.csv data/test.csv"));
	push(&v, stage("c_train.stage", "data/train.csv", "model.bin"));
	CHECK_OK(dv_graph_build(&g, &v));
	if (g) {
		CHECK(topo_of(g, "b_prepare") < topo_of(g, "c_train"));
		CHECK(topo_of(g, "c_train") < topo_of(g, "a_evaluate"));
		CHECK_INT(g->nodes[dv_graph_find_name(g, "a_evaluate")].nup, 2);
		CHECK_INT(g->nodes[dv_graph_find_name(g, "b_prepare")].ndown, 2);
		CHECK_INT(g->nodes[dv_graph_find_name(g, "b_prepare")].nup, 0);
		CHECK_INT(dv_graph_producer(g, "model.bin"), dv_graph_find_name(g, "c_train"));
		CHECK_INT(dv_graph_producer(g, "raw.csv"), -1);
	}
	dv_graph_free(g);
	free_stages(&v);
}

TEST(ties_are_broken_by_stage_path)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	push(&v, stage("a.stage", "", "x"));
	push(&v, stage("b.stage", "", "y"));
	push(&v, stage("c.stage", "x y", "z"));
	CHECK_OK(dv_graph_build(&g, &v));
	if (g) {
		CHECK_INT(g->order[0], 0);
		CHECK_INT(g->order[1], 1);
		CHECK_INT(g->order[2], 2);
	}
	dv_graph_free(g);
	free_stages(&v);
}

TEST(dep_inside_a_directory_out_and_directory_dep_holding_an_out)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	push(&v, stage("features.stage", "", "features"));
	push(&v, stage("train.stage", "features/part-0.bin", "model.bin"));
	push(&v, stage("sub/make.stage", "", "out.bin"));           /* produces sub/out.bin */
	push(&v, stage("pack.stage", "sub", "pack.tar"));           /* dep: a directory holding it */
	push(&v, stage("sibling.stage", "features-old", "x.bin"));  /* prefix, not a child */
	CHECK_OK(dv_graph_build(&g, &v));
	if (g) {
		long train = dv_graph_find_name(g, "train"), pack = dv_graph_find_name(g, "pack");
		long sibling = dv_graph_find_name(g, "sibling");
		CHECK_INT(g->nodes[train].nup, 1);
		CHECK_INT(g->nodes[train].up[0], dv_graph_find_name(g, "features"));
		CHECK_INT(g->nodes[pack].nup, 1);
		CHECK_INT(g->nodes[pack].up[0], dv_graph_find(g, "sub/make.stage"));
		CHECK_INT(g->nodes[sibling].nup, 0);
		CHECK(dv_graph_dep_has_producer(g, "features/anything"));
		CHECK(dv_graph_dep_has_producer(g, "sub"));
		CHECK(!dv_graph_dep_has_producer(g, "features-old"));
	}
	dv_graph_free(g);
	free_stages(&v);
}

TEST(paths_are_relative_to_the_stage_directory)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	push(&v, stage("pipe/prep/prep.stage", "", "../data/clean.csv"));
	push(&v, stage("use.stage", "pipe/data/clean.csv", "u"));
	CHECK_OK(dv_graph_build(&g, &v));
	if (g) {
		CHECK_INT(g->nodes[1].nup, 1);
		CHECK_INT(dv_graph_producer(g, "pipe/data/clean.csv"), 0);
	}
	dv_graph_free(g);
	free_stages(&v);
}

TEST(two_stages_with_the_same_out_are_refused)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	push(&v, stage("a.stage", "", "model.bin"));
	push(&v, stage("b.stage", "", "./model.bin"));
	CHECK_FAILS(dv_graph_build(&g, &v), "out 'model.bin' is produced by two stages, 'a.stage' and 'b.stage'");
	CHECK(g == NULL);
	free_stages(&v);
}

TEST(an_out_inside_another_is_refused)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	push(&v, stage("a.stage", "", "data"));
	push(&v, stage("b.stage", "", "data/x.csv"));
	CHECK_FAILS(dv_graph_build(&g, &v), "out 'data/x.csv' of 'b.stage' is inside out 'data' of 'a.stage'");
	free_stages(&v);
}

TEST(a_cycle_is_printed)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	push(&v, stage("a.stage", "z", "x"));
	push(&v, stage("b.stage", "x", "y"));
	push(&v, stage("c.stage", "y", "z"));
	push(&v, stage("d.stage", "z", "w")); /* behind the cycle, not in it */
	CHECK_FAILS(dv_graph_build(&g, &v), "cycle in the stage graph: ");
	CHECK(strstr(dv_error_last(), "a.stage -> b.stage -> c.stage -> a.stage") ||
	      strstr(dv_error_last(), "b.stage -> c.stage -> a.stage -> b.stage") ||
	      strstr(dv_error_last(), "c.stage -> a.stage -> b.stage -> c.stage"));
	CHECK(!strstr(dv_error_last(), "d.stage"));
	free_stages(&v);
}

TEST(a_stage_depending_on_its_own_out_is_a_cycle)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	push(&v, stage("a.stage", "out/part", "out"));
	CHECK_FAILS(dv_graph_build(&g, &v), "'a.stage' depends on its own out 'out'");
	free_stages(&v);
}

TEST(upstream_and_downstream_marks)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;

	push(&v, stage("a.stage", "", "x"));
	push(&v, stage("b.stage", "x", "y"));
	push(&v, stage("c.stage", "y", "z"));
	push(&v, stage("d.stage", "", "w"));
	CHECK_OK(dv_graph_build(&g, &v));
	if (g) {
		bool up[4] = { 0 }, down[4] = { 0 };
		dv_graph_mark_upstream(g, 1, up);
		dv_graph_mark_downstream(g, 1, down);
		CHECK(up[0] && up[1] && !up[2] && !up[3]);
		CHECK(!down[0] && down[1] && down[2] && !down[3]);
	}
	dv_graph_free(g);
	free_stages(&v);
}

/* How fast is a benchmark's business (contrib/bench/bench-pipeline.sh
 * times 2,000 stages); this checks that a graph that size builds right. */
TEST(two_thousand_stages_build)
{
	dv_vec v = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;
	char path[64], dep[64], out[64];

	for (int i = 0; i < 2000; i++) {
		snprintf(path, sizeof(path), "s/%04d.stage", i);
		if (i)
			snprintf(dep, sizeof(dep), "d%04d/f", i - 1);
		else
			snprintf(dep, sizeof(dep), "input");
		snprintf(out, sizeof(out), "d%04d", i);
		push(&v, stage(path, dep, out));
	}
	CHECK_OK(dv_graph_build(&g, &v));
	if (g) {
		CHECK_INT(g->order[1999], 1999);
		CHECK_INT(g->nodes[1999].nup, 1);
		CHECK_INT(g->nodes[0].ndown, 1);
	}
	dv_graph_free(g);
	free_stages(&v);
}

TEST_MAIN(chain_orders_producers_first, ties_are_broken_by_stage_path,
	  dep_inside_a_directory_out_and_directory_dep_holding_an_out,
	  paths_are_relative_to_the_stage_directory, two_stages_with_the_same_out_are_refused,
	  an_out_inside_another_is_refused, a_cycle_is_printed, a_stage_depending_on_its_own_out_is_a_cycle,
	  upstream_and_downstream_marks, two_thousand_stages_build)
