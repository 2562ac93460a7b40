/* What the definition hash covers, ${section.key} in cmd, and the memo
 * of what one repro has hashed. */
#include <stdio.h>
#include <stdlib.h>

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

static void write_text(const char *root, const char *rel, const char *text)
{
	char *p = dv_asprintf("%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

static uint64_t memo_files(dv_ws_memo *memo, dv_repo *repo, const char *rel)
{
	dv_ws_state ws;
	CHECK_OK(dv_ws_memo_hash(&ws, memo, repo, rel));
	return ws.nfiles;
}

TEST(memo_hashes_a_path_once_and_forgets_what_a_stage_may_have_written)
{
	char *root = dv_asprintf("%s/memo", test_tmpdir()), *cmd;
	dv_repo *repo = NULL;
	dv_ws_memo *memo = dv_ws_memo_new();
	dv_stage *uses = dv_stage_new("uses.stage"), *writes = dv_stage_new("writes.stage");
	dv_stage *near = dv_stage_new("near.stage");

	cmd = dv_asprintf("git init -q '%s' && mkdir '%s/d' '%s/dd'", root, root, root);
	CHECK(system(cmd) == 0);
	free(cmd);
	CHECK_OK(dv_repo_init(&repo, root, false));
	dv_stage_add_dep(uses, "d");
	dv_stage_add_out(writes, "d/b");
	dv_stage_add_dep(near, "dd"); /* a sibling whose name starts alike */
	write_text(root, "d/a", "a\n");
	CHECK_INT(memo_files(memo, repo, "d"), 1);
	/* Changed behind the memo's back: it answers what it saw. */
	write_text(root, "d/b", "b\n");
	CHECK_INT(memo_files(memo, repo, "d"), 1);
	/* A stage with that dep ran: hashed anew. */
	dv_ws_memo_forget_stage(memo, uses);
	CHECK_INT(memo_files(memo, repo, "d"), 2);
	/* An out inside it forgets the directory holding it too. */
	write_text(root, "d/c", "c\n");
	dv_ws_memo_forget_stage(memo, writes);
	CHECK_INT(memo_files(memo, repo, "d"), 3);
	/* "dd" is not inside "d". */
	write_text(root, "d/e", "e\n");
	dv_ws_memo_forget_stage(memo, near);
	CHECK_INT(memo_files(memo, repo, "d"), 3);
	dv_ws_memo_free(memo);
	dv_stage_free(uses);
	dv_stage_free(writes);
	dv_stage_free(near);
	dv_repo_free(repo);
	free(root);
}

TEST_MAIN(def_hash_covers_cmd_paths_flags_and_param_keys, def_hash_fields_cannot_run_into_each_other,
	  cmd_param_references, cmd_expansion_uses_the_param_values,
	  change_kinds_have_names_and_only_cache_gaps_are_not_stale,
	  memo_hashes_a_path_once_and_forgets_what_a_stage_may_have_written)
