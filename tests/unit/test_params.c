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
	dv_param_spec_split(&file, &key, "train.lambda", "params.yaml");
	CHECK_STR(file, "params.yaml");
	CHECK_STR(key, "train.lambda");
	free(file);
	free(key);
	dv_param_spec_split(&file, &key, "conf/other.ini:a.b", "params.ini");
	CHECK_STR(file, "conf/other.ini");
	CHECK_STR(key, "a.b");
	free(file);
	free(key);
}

TEST(the_default_file_is_params_yaml_when_it_exists)
{
	char dir[4200], path[4300];
	snprintf(dir, sizeof(dir), "%s/default", test_tmpdir());
	snprintf(path, sizeof(path), "%s/params.ini", dir);
	CHECK_OK(dv_mkdir_parent(path));
	CHECK_OK(dv_write_file_atomic(path, "[a]\nb = 1\n", 10, 0644));
	CHECK_STR(dv_params_default_file(dir), "params.ini");
	snprintf(path, sizeof(path), "%s/params.yaml", dir);
	CHECK_OK(dv_write_file_atomic(path, "a:\n  b: 1\n", 11, 0644));
	CHECK_STR(dv_params_default_file(dir), "params.yaml");
}

static const char yaml_text[] =
	"# training settings\n"
	"train:\n"
	"  lr: 0.010   # learning rate\n"
	"  epochs: 10\n"
	"  model: \"cnn\"\n"
	"  layers: [64, 32]\n"
	"  opt:\n"
	"    name: adam\n"
	"    betas:\n"
	"      - 0.9\n"
	"      - 0.999\n"
	"seed: 42\n"
	"flag: yes\n"
	"on: true\n"
	"nothing: ~\n"
	"base: &b {x: 1}\n"
	"copy: *b\n";

TEST(yaml_nests_to_dotted_keys_typed_by_the_core_schema)
{
	dv_params *p = NULL;
	CHECK_OK(dv_params_parse(&p, "params.yaml", yaml_text, strlen(yaml_text)));
	CHECK_STR(dv_params_get(p, "train.lr"), "0.01");
	CHECK_STR(dv_params_get(p, "train.epochs"), "10");
	CHECK_STR(dv_params_get(p, "train.model"), "cnn");
	CHECK_STR(dv_params_get(p, "train.layers"), "[64, 32]");
	CHECK_STR(dv_params_get(p, "train.opt.name"), "adam");
	CHECK_STR(dv_params_get(p, "train.opt.betas"), "[0.9, 0.999]");
	CHECK_STR(dv_params_get(p, "train.opt"), "{\"name\": \"adam\", \"betas\": [0.9, 0.999]}");
	CHECK_STR(dv_params_get(p, "seed"), "42");
	CHECK_STR(dv_params_get(p, "flag"), "yes"); /* YAML 1.2: a string */
	CHECK_STR(dv_params_get(p, "on"), "true");
	CHECK_STR(dv_params_get(p, "nothing"), "null");
	CHECK_STR(dv_params_get(p, "copy.x"), "1");
	CHECK(dv_params_get(p, "train.nope") == NULL);
	dv_params_free(p);
}

TEST(json_params_nest_the_same_way)
{
	const char *text = "{\"train\": {\"lr\": 0.01, \"layers\": [64, 32], \"name\": \"a b\"}, \"seed\": 42}";
	dv_params *p = NULL;
	CHECK_OK(dv_params_parse(&p, "conf/params.json", text, strlen(text)));
	CHECK_STR(dv_params_get(p, "train.lr"), "0.01");
	CHECK_STR(dv_params_get(p, "train.layers"), "[64, 32]");
	CHECK_STR(dv_params_get(p, "train.name"), "a b");
	CHECK_STR(dv_params_get(p, "seed"), "42");
	dv_params_free(p);
}

TEST(malformed_yaml_and_json_name_file_and_line)
{
	dv_params *p = NULL;
	CHECK_FAILS(dv_params_parse(&p, "params.yaml", "a:\n  b: 1\n c: [1, 2\n", 20), "cannot read 'params.yaml' line 3");
	CHECK_FAILS(dv_params_parse(&p, "params.yaml", "a: 1\nb: [1, 2\nc: 3\n", 19), "'params.yaml' line");
	CHECK_FAILS(dv_params_parse(&p, "params.yaml", "- 1\n- 2\n", 8), "top level must be a mapping");
	CHECK_FAILS(dv_params_parse(&p, "p.json", "{\n\"a\": 1,\n}", 12), "cannot read 'p.json' line 3");
}

TEST(unsupported_formats_are_named)
{
	dv_params *p = NULL;
	dv_params_format f;
	CHECK_FAILS(dv_params_parse(&p, "params.toml", "[a]\nb = 1\n", 10), "'params.toml': TOML params files are not supported");
	CHECK_FAILS(dv_params_format_of(&f, "conf/params"), "'conf/params' has no extension");
	CHECK_OK(dv_params_format_of(&f, "a/params.YML"));
	CHECK_INT(f, DV_PARAMS_YAML);
}

TEST(values_compare_by_value)
{
	CHECK(dv_param_values_equal("0.1", "0.10"));
	CHECK(dv_param_values_equal("1", "1.0"));
	CHECK(dv_param_values_equal("1e-3", "0.001"));
	CHECK(!dv_param_values_equal("0.1", "0.2"));
	CHECK(dv_param_values_equal("[1, 2]", "[1.0,2]"));
	CHECK(!dv_param_values_equal("[1, 2]", "[2, 1]"));
	CHECK(!dv_param_values_equal("[1, 2]", "[1, 2, 3]"));
	CHECK(dv_param_values_equal("{\"a\": [1, \"x\"]}", "{\"a\":[1.00,\"x\"]}"));
	CHECK(!dv_param_values_equal("cnn", "rnn"));
	CHECK(!dv_param_values_equal("1", "one"));
}

static void check_edit(const char *name, const char *text, const char *key, const char *value, const char *want)
{
	dv_buf out = DV_BUF_INIT;
	CHECK_OK(dv_params_edit_text(&out, name, text, strlen(text), key, value));
	CHECK_STR(out.ptr, want);
	dv_buf_free(&out);
}

TEST(yaml_edits_change_only_the_value)
{
	char want[sizeof(yaml_text) + 64];
	char *at;

	strcpy(want, yaml_text);
	at = strstr(want, "0.010");
	memmove(at + 4, at + 5, strlen(at + 5) + 1);
	memcpy(at, "0.02", 4);
	check_edit("params.yaml", yaml_text, "train.lr", "0.02", want);

	/* A quoted string stays quoted; a plain one stays plain. */
	check_edit("p.yaml", "m: \"cnn\"  # model\nn: cnn\n", "m", "rnn", "m: \"rnn\"  # model\nn: cnn\n");
	check_edit("p.yaml", "m: \"cnn\"\nn: cnn # x\n", "n", "rnn", "m: \"cnn\"\nn: rnn # x\n");
	check_edit("p.yaml", "n: cnn\n", "n", "a: b", "n: \"a: b\"\n");
	/* Lists and nested keys. */
	check_edit("p.yaml", "a:\n  b: [1, 2]\n  c: 3\n", "a.b", "[4, 5, 6]", "a:\n  b: [4, 5, 6]\n  c: 3\n");
	check_edit("p.yaml", "a:\n  b:\n    - 1\n    - 2\n  c: 3\n", "a.b.1", "7",
		   "a:\n  b:\n    - 1\n    - 7\n  c: 3\n");
}

TEST(json_edits_change_only_the_value)
{
	check_edit("p.json", "{\n  \"train\": {\"lr\": 0.01,  \"name\": \"x\"},\n  \"seed\": 1\n}\n", "train.lr", "0.5",
		   "{\n  \"train\": {\"lr\": 0.5,  \"name\": \"x\"},\n  \"seed\": 1\n}\n");
	check_edit("p.json", "{\"train\": {\"lr\": 0.01, \"name\": \"x\"}}", "train.name", "y \"z\"",
		   "{\"train\": {\"lr\": 0.01, \"name\": \"y \\\"z\\\"\"}}");
	check_edit("p.json", "{\"a\": [1, {\"b\": 2}]}", "a.1.b", "true", "{\"a\": [1, {\"b\": true}]}");
}

TEST(ini_edits_keep_comments_and_order)
{
	check_edit("p.ini", "; top\n[train]\nlr = 0.1 ; rate\nsteps=5\n[other]\nlr = 9\n", "train.lr", "0.25",
		   "; top\n[train]\nlr = 0.25 ; rate\nsteps=5\n[other]\nlr = 9\n");
	check_edit("p.ini", "[train]\nsteps=5\n", "train.steps", "a ; b", "[train]\nsteps=\"a \\x3b b\"\n");
	check_edit("p.ini", "top = 1\n[s]\ntop = 2\n", "top", "3", "top = 3\n[s]\ntop = 2\n");
}

TEST(edits_of_missing_keys_fail_and_name_the_file)
{
	dv_buf out = DV_BUF_INIT;
	CHECK_FAILS(dv_params_edit_text(&out, "params.yaml", "a: 1\n", 5, "b", "2"), "param 'b' is not in 'params.yaml'");
	CHECK_FAILS(dv_params_edit_text(&out, "p.json", "{\"a\": 1}", 8, "a.b", "2"), "param 'a.b' is not in 'p.json'");
	CHECK_FAILS(dv_params_edit_text(&out, "p.ini", "[a]\nb = 1\n", 10, "a.c", "2"), "param 'a.c' is not in 'p.ini'");
	CHECK_INT(out.len, 0);
	dv_buf_free(&out);
}

TEST(edit_file_rewrites_in_place)
{
	char path[4200];
	dv_buf text = DV_BUF_INIT;
	snprintf(path, sizeof(path), "%s/edit.yaml", test_tmpdir());
	CHECK_OK(dv_write_file_atomic(path, "# c\nx: 1 # one\n", 15, 0640));
	CHECK_OK(dv_params_edit_file(path, "edit.yaml", "x", "2"));
	CHECK_OK(dv_read_file(&text, path));
	CHECK_STR(text.ptr, "# c\nx: 2 # one\n");
	dv_buf_free(&text);
}

TEST_MAIN(sections_flatten_to_dotted_keys, a_later_assignment_wins_and_continuations_join,
	  a_section_repeated_later_merges, bad_lines_name_the_file_and_line,
	  load_reports_a_missing_file_as_not_found, param_specs_split_file_and_key,
	  the_default_file_is_params_yaml_when_it_exists, yaml_nests_to_dotted_keys_typed_by_the_core_schema,
	  json_params_nest_the_same_way, malformed_yaml_and_json_name_file_and_line, unsupported_formats_are_named,
	  values_compare_by_value, yaml_edits_change_only_the_value, json_edits_change_only_the_value,
	  ini_edits_keep_comments_and_order, edits_of_missing_keys_fail_and_name_the_file, edit_file_rewrites_in_place)
