/* Params files: INI flattened to section.key, the inih limits dv guards. */
#include "dv/fs.h"
#include "dv/params.h"
#include "test.h"

static dv_params *parse(const char *text)
{
	dv_params *p = NULL;
	CHECK_OK(dv_params_parse(&p, "params.ini", text, strlen(text)));
	return p;
}

TEST(sections_flatten_to_dotted_keys)
{
	dv_params *p = parse("top = 1\n[prepare]\nseed = 42\n; comment\n[train]\nlambda = 0.1\nmodel = ridge\n");
	if (!p)
		return;
	CHECK_STR(dv_params_get(p, "top"), "1");
	CHECK_STR(dv_params_get(p, "prepare.seed"), "42");
	CHECK_STR(dv_params_get(p, "train.lambda"), "0.1");
	CHECK_STR(dv_params_get(p, "train.model"), "ridge");
	CHECK(dv_params_get(p, "train.seed") == NULL);
	CHECK(dv_params_get(p, "lambda") == NULL);
	CHECK_INT(p->kv.n, 4);
	/* sorted, so diffs and lookups are stable */
	CHECK_STR(dv_vec_at(&p->kv, dv_param_kv, 0)->key, "prepare.seed");
	dv_params_free(p);
}

TEST(a_later_assignment_wins_and_continuations_join)
{
	dv_params *p = parse("[a]\nx = 1\ny = 2\nx = 3\n[b]\nlist = one\n  two\n");
	if (!p)
		return;
	CHECK_STR(dv_params_get(p, "a.x"), "3");
	CHECK_STR(dv_params_get(p, "a.y"), "2");
	CHECK_STR(dv_params_get(p, "b.list"), "one two");
	CHECK_INT(p->kv.n, 3);
	dv_params_free(p);
}

TEST(a_section_repeated_later_merges)
{
	dv_params *p = parse("[train]\nlambda = 1\n[other]\nk = v\n[train]\nepochs = 3\n");
	if (!p)
		return;
	CHECK_STR(dv_params_get(p, "train.lambda"), "1");
	CHECK_STR(dv_params_get(p, "train.epochs"), "3");
	dv_params_free(p);
}

TEST(bad_lines_name_the_file_and_line)
{
	dv_params *p = NULL;
	char line[400];
	CHECK_FAILS(dv_params_parse(&p, "params.ini", "[a]\nx = 1\nnot a pair\n", 21), "'params.ini' line 3");
	CHECK(p == NULL);
	memset(line, 'a', sizeof(line));
	memcpy(line, "[s]\nk = ", 8);
	line[sizeof(line) - 1] = '\0';
	CHECK_FAILS(dv_params_parse(&p, "p.ini", line, strlen(line)), "'p.ini' line 2: line is 395 bytes, longer than the 199 bytes");
	CHECK_FAILS(dv_params_parse(&p, "p.ini", "[a]\n[0123456789012345678901234567890123456789012345678901]\n", 60),
		    "'p.ini' line 2: section name '0123456789012345678901234567890123456789012345678901' is longer than 49 bytes");
}

TEST(load_reports_a_missing_file_as_not_found)
{
	dv_params *p = NULL;
	char path[4200];
	snprintf(path, sizeof(path), "%s/nope.ini", test_tmpdir());
	CHECK_INT(dv_params_load(&p, path, "nope.ini"), DV_ENOTFOUND);
	snprintf(path, sizeof(path), "%s/p.ini", test_tmpdir());
	CHECK_OK(dv_write_file_atomic(path, "[train]\nlambda = 0.5\n", 21, 0644));
	CHECK_OK(dv_params_load(&p, path, "p.ini"));
	CHECK_STR(dv_params_get(p, "train.lambda"), "0.5");
	dv_params_free(p);
}

TEST(param_specs_split_file_and_key)
{
	char *file = NULL, *key = NULL;
	dv_param_spec_split(&file, &key, "train.lambda");
	CHECK_STR(file, "params.ini");
	CHECK_STR(key, "train.lambda");
	free(file);
	free(key);
	dv_param_spec_split(&file, &key, "conf/other.ini:a.b");
	CHECK_STR(file, "conf/other.ini");
	CHECK_STR(key, "a.b");
	free(file);
	free(key);
}

TEST_MAIN(sections_flatten_to_dotted_keys, a_later_assignment_wins_and_continuations_join,
	  a_section_repeated_later_merges, bad_lines_name_the_file_and_line,
	  load_reports_a_missing_file_as_not_found, param_specs_split_file_and_key)
