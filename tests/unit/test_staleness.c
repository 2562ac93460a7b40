/* What the definition hash covers, and ${section.key} in cmd. */
#include "dv/repro.h"
#include "dv/staleness.h"
#include "test.h"

static dv_stage *base(void)
{
	dv_stage *st = dv_stage_new("train.stage");
	st->is_command = true;
	st->cmd = dv_strdup("./train --lambda ${train.lambda} data.bin");
	dv_stage_add_dep(st, "data.bin");
	dv_stage_add_out(st, "model.bin");
	dv_stage_add_param(st, "params.ini", "train.lambda", "0.1");
	return st;
}

static bool same_def(const dv_stage *a, const dv_stage *b)
{
	dv_hash x, y;
	dv_stage_def_hash(&x, a);
	dv_stage_def_hash(&y, b);
	return dv_hash_equal(&x, &y);
}

TEST(def_hash_covers_cmd_paths_flags_and_param_keys)
{
	dv_stage *a = base(), *b = base();

	CHECK(same_def(a, b));
	free(b->cmd);
	b->cmd = dv_strdup("./train --lambda ${train.lambda} data.bin ");
	CHECK(!same_def(a, b));
	dv_stage_free(b);

	b = base();
	dv_stage_add_dep(b, "extra.bin");
	CHECK(!same_def(a, b));
	dv_stage_free(b);

	b = base();
	dv_stage_out(b, 0)->persist = true;
	CHECK(!same_def(a, b));
	dv_stage_free(b);

	b = base();
	dv_stage_out(b, 0)->cache = false;
	CHECK(!same_def(a, b));
	dv_stage_free(b);

	b = base();
	free(dv_stage_param_at(b, 0)->key);
	dv_stage_param_at(b, 0)->key = dv_strdup("train.epochs");
	CHECK(!same_def(a, b));
	dv_stage_free(b);

	/* Not covered: recorded values and hashes (those are compared one by
	 * one), the description, frozen. */
	b = base();
	free(dv_stage_param_at(b, 0)->value);
	dv_stage_param_at(b, 0)->value = dv_strdup("0.2");
	dv_stage_dep(b, 0)->has_hash = true;
	b->desc = dv_strdup("fit the model");
	b->frozen = true;
	CHECK(same_def(a, b));
	dv_stage_free(b);
	dv_stage_free(a);
}

TEST(def_hash_fields_cannot_run_into_each_other)
{
	dv_stage *a = dv_stage_new("a.stage"), *b = dv_stage_new("a.stage");
	a->cmd = dv_strdup("x");
	b->cmd = dv_strdup("x");
	dv_stage_add_dep(a, "ab");
	dv_stage_add_dep(b, "a");
	dv_stage_add_dep(b, "b");
	CHECK(!same_def(a, b));
	dv_stage_free(a);
	dv_stage_free(b);
}

TEST(cmd_param_references)
{
	dv_strvec refs = DV_STRVEC_INIT;
	dv_cmd_param_refs(&refs, "run ${a.b} ${HOME} ${a.b} $x ${c.d.e} ${.x} ${y.} ${u-v.w_1}");
	CHECK_INT(refs.n, 3);
	if (refs.n == 3) {
		CHECK_STR(refs.v[0], "a.b");
		CHECK_STR(refs.v[1], "c.d.e");
		CHECK_STR(refs.v[2], "u-v.w_1");
	}
	dv_strvec_free(&refs);
}

TEST(cmd_expansion_uses_the_param_values)
{
	dv_stage *st = base();
	dv_buf out = DV_BUF_INIT;

	CHECK_OK(dv_stage_expand_cmd(&out, st));
	CHECK_STR(out.ptr, "./train --lambda 0.1 data.bin");
	free(st->cmd);
	st->cmd = dv_strdup("echo ${HOME} ${train.epochs}");
	CHECK_FAILS(dv_stage_expand_cmd(&out, st), "'${train.epochs}', which is not a param of the stage");
	dv_buf_free(&out);
	dv_stage_free(st);
}

TEST(change_kinds_have_names_and_only_cache_gaps_are_not_stale)
{
	dv_vec v = DV_VEC_INIT(dv_change);
	dv_change *c;
	CHECK_STR(dv_change_kind_name(DV_CHG_CMD), "cmd changed");
	CHECK_STR(dv_change_kind_name(DV_CHG_PARAM_DELETED), "param deleted");
	CHECK(!dv_change_makes_stale(DV_CHG_OUT_NOT_CACHED));
	CHECK(dv_change_makes_stale(DV_CHG_DEP_MODIFIED));
	c = dv_vec_push(&v);
	c->kind = DV_CHG_OUT_NOT_CACHED;
	c->what = dv_strdup("model.bin");
	CHECK(!dv_changes_stale(&v));
	c = dv_vec_push(&v);
	c->kind = DV_CHG_ALWAYS;
	CHECK(dv_changes_stale(&v));
	dv_changes_free(&v);
}

TEST_MAIN(def_hash_covers_cmd_paths_flags_and_param_keys, def_hash_fields_cannot_run_into_each_other,
	  cmd_param_references, cmd_expansion_uses_the_param_values,
	  change_kinds_have_names_and_only_cache_gaps_are_not_stale)
