/* Stage templates: foreach/[matrix] stripped with line numbers kept,
 * instances in order with ${item} substituted; "did you mean". */
#include "dv/stage.h"
#include "dv/suggest.h"
#include "dv/template.h"
#include "dv/workspace.h"
#include "test.h"

static const char matrix_text[] =
	"[matrix]\n"
	"a = x, y\n"
	"b = [1,\n"
	"  2]\n"
	"[stage]\n"
	"cmd = run ${item.a} ${item.b} ${p.q}\n"
	"[out]\n"
	"path = o-${item.a}${item.b}\n";

TEST(a_matrix_expands_in_order_with_items_substituted)
{
	dv_stage *t = NULL;
	dv_vec out = DV_VEC_INIT(dv_stage *);
	CHECK_OK(dv_stage_parse(&t, "d/train.stage", matrix_text, sizeof(matrix_text) - 1));
	if (!t)
		return;
	CHECK(t->tmpl != NULL);
	CHECK_INT(t->tmpl->keys.n, 2);
	CHECK_OK(dv_stage_template_expand(&out, t));
	CHECK_INT(out.n, 4);
	if (out.n == 4) {
		const char *want[] = { "train@x-1", "train@x-2", "train@y-1", "train@y-2" };
		for (size_t i = 0; i < 4; i++)
			CHECK_STR((*dv_vec_at(&out, dv_stage *, i))->name, want[i]);
		dv_stage *s = *dv_vec_at(&out, dv_stage *, 2);
		CHECK_STR(s->path, "d/train@y-1.stage");
		CHECK_STR(s->cmd, "run y 1 ${p.q}");
		CHECK_STR(dv_stage_out(s, 0)->path, "o-y1");
		CHECK(dv_stage_is_instance_of(s, "d/train.stage"));
		CHECK(!dv_stage_is_instance_of(s, "train.stage"));
		CHECK(!dv_stage_is_instance_of(s, "d/trai.stage"));
	}
	dv_stages_free(&out);
	dv_stage_free(t);
}

TEST(template_lines_become_comments_so_errors_keep_their_line)
{
	dv_stage *t = NULL;
	const char *text = "[stage]\nforeach = a, b\ncmd = echo ${item}\n[dep]\nhash = x\n";
	CHECK_FAILS(dv_stage_parse(&t, "f.stage", text, strlen(text)), "'f.stage' line 5");
}

TEST(instances_take_only_recorded_state_from_their_files)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_stage *t = NULL, *state = NULL, *orphan = NULL, *plain = NULL;
	const char *tmpl = "[stage]\nforeach = a, b\ncmd = new ${item}\n[out]\npath = o-${item}\n";
	const char *st = "[stage]\ncmd = old a\nhash = xxh128:00000000000000000000000000000001\n"
			 "[out]\npath = o-a\nhash = xxh128:00000000000000000000000000000002\nsize = 3\n";
	CHECK_OK(dv_stage_parse(&t, "p.stage", tmpl, strlen(tmpl)));
	CHECK_OK(dv_stage_parse(&state, "p@a.stage", st, strlen(st)));
	CHECK_OK(dv_stage_parse(&orphan, "p@gone.stage", st, strlen(st)));
	CHECK_OK(dv_stage_parse(&plain, "q.stage", st, strlen(st)));
	*(dv_stage **)dv_vec_push(&stages) = plain;
	*(dv_stage **)dv_vec_push(&stages) = orphan;
	*(dv_stage **)dv_vec_push(&stages) = state;
	*(dv_stage **)dv_vec_push(&stages) = t;
	CHECK_OK(dv_stages_expand_templates(&stages));
	CHECK_INT(stages.n, 3);
	if (stages.n == 3) {
		dv_stage *a = *dv_vec_at(&stages, dv_stage *, 0), *b = *dv_vec_at(&stages, dv_stage *, 1);
		CHECK_STR(a->name, "p@a");
		CHECK_STR(a->cmd, "new a");
		CHECK(a->has_def_hash);
		CHECK(dv_stage_out(a, 0)->has_hash);
		CHECK_STR(b->name, "p@b");
		CHECK(!b->has_def_hash);
		CHECK_STR((*dv_vec_at(&stages, dv_stage *, 2))->name, "q");
	}
	dv_stages_free(&stages);
}

TEST(did_you_mean_offers_only_close_names)
{
	const char *names[] = { "status", "stage", "push", "pull", "remote" };
	CHECK_STR(dv_suggest("stauts", names, 5), "status");
	CHECK_STR(dv_suggest("psuh", names, 5), "push");
	CHECK_STR(dv_suggest("remot", names, 5), "remote");
	CHECK(dv_suggest("frobnicate", names, 5) == NULL);
	CHECK(dv_suggest("x", names, 5) == NULL);
}

TEST_MAIN(a_matrix_expands_in_order_with_items_substituted, template_lines_become_comments_so_errors_keep_their_line,
	  instances_take_only_recorded_state_from_their_files, did_you_mean_offers_only_close_names)
