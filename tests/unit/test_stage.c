/* .stage files: SPEC's examples byte for byte, quoting and folding round
 * trips through the real inih, inih's limits, and every error naming the
 * file and line. */
#include "dv/fs.h"
#include "dv/stage.h"
#include "test.h"

#define H1 "xxh128:6d0bb00954ceb7fbee436bb55a8397a9"
#define H2 "xxh128:0123456789abcdef0123456789abcdef"
#define H3 "xxh128:fedcba9876543210fedcba9876543210"

static dv_stage *parse(const char *stage_path, const char *text)
{
	dv_stage *st = NULL;
	CHECK_OK(dv_stage_parse(&st, stage_path, text, strlen(text)));
	return st;
}

/* Parse, serialise, and expect the very same bytes back. */
static dv_stage *check_round_trip(const char *stage_path, const char *text)
{
	dv_stage *st = parse(stage_path, text);
	dv_buf out = DV_BUF_INIT;
	if (st) {
		CHECK_OK(dv_stage_serialize(&out, st));
		CHECK_STR(out.ptr, text);
	}
	dv_buf_free(&out);
	return st;
}

static void check_parse_error(const char *stage_path, const char *text, const char *where,
			      const char *what)
{
	dv_stage *st = NULL;
	CHECK_FAILS(dv_stage_parse(&st, stage_path, text, strlen(text)), where);
	CHECK(strstr(dv_error_last(), what) != NULL);
	if (!strstr(dv_error_last(), what))
		fprintf(stderr, "    message: %s\n    lacks:   %s\n", dv_error_last(), what);
	CHECK(st == NULL);
}

TEST(spec_data_stage_round_trips)
{
	dv_stage *st = check_round_trip("data.csv.stage",
					"[out]\n"
					"path = data.csv\n"
					"hash = " H1 "\n"
					"size = 1048576\n");
	if (!st)
		return;
	CHECK(!st->is_command);
	CHECK_STR(st->name, "data.csv");
	CHECK_STR(st->dir, "");
	CHECK_INT(st->outs.n, 1);
	CHECK_STR(dv_stage_out(st, 0)->path, "data.csv");
	CHECK(dv_stage_out(st, 0)->has_hash);
	CHECK(!dv_stage_out(st, 0)->is_dir);
	CHECK(dv_stage_out(st, 0)->cache);
	CHECK_INT(dv_stage_out(st, 0)->size, 1048576);
	CHECK(!dv_stage_out(st, 0)->has_files);
	dv_stage_free(st);
}

TEST(directory_out_round_trips)
{
	dv_stage *st = check_round_trip("data/images.stage",
					"[out]\n"
					"path = images\n"
					"hash = " H2 ".dir\n"
					"size = 123456789012\n"
					"files = 70000\n");
	if (!st)
		return;
	CHECK(dv_stage_out(st, 0)->is_dir);
	CHECK_INT(dv_stage_out(st, 0)->files, 70000);
	CHECK_INT(dv_stage_out(st, 0)->size, 123456789012LL);
	CHECK_STR(st->dir, "data");
	CHECK_STR(st->name, "images");
	dv_stage_free(st);
}

static const char spec_train[] =
	"[stage]\n"
	"cmd = ./bin/train --params params.ini --lambda ${train.lambda}\n"
	"  data/features.bin model.bin\n"
	"desc = fit the ridge model\n"
	"always_changed = false\n"
	"frozen = false\n"
	"\n"
	"[dep]\n"
	"path = data/features.bin\n"
	"hash = " H1 "\n"
	"size = 81920000\n"
	"\n"
	"[param]\n"
	"file = params.ini\n"
	"key = train.lambda\n"
	"value = 0.1\n"
	"\n"
	"[out]\n"
	"path = model.bin\n"
	"hash = " H2 "\n"
	"size = 4096\n"
	"\n"
	"[out]\n"
	"path = metrics.json\n"
	"cache = false\n"
	"metric = true\n"
	"hash = " H3 "\n";

TEST(spec_command_stage_round_trips)
{
	dv_stage *st = check_round_trip("train.stage", spec_train);
	if (!st)
		return;
	CHECK(st->is_command);
	CHECK_STR(st->name, "train");
	CHECK_STR(st->cmd, "./bin/train --params params.ini --lambda ${train.lambda} data/features.bin model.bin");
	CHECK_STR(st->desc, "fit the ridge model");
	CHECK(!st->always_changed && !st->frozen);
	CHECK_INT(st->deps.n, 1);
	CHECK_INT(dv_stage_dep(st, 0)->size, 81920000);
	CHECK_INT(st->params.n, 1);
	CHECK_STR(dv_stage_param_at(st, 0)->file, "params.ini");
	CHECK_STR(dv_stage_param_at(st, 0)->key, "train.lambda");
	CHECK_STR(dv_stage_param_at(st, 0)->value, "0.1");
	CHECK_INT(st->outs.n, 2);
	CHECK(dv_stage_out(st, 0)->cache);
	CHECK(!dv_stage_out(st, 1)->cache);
	CHECK(dv_stage_out(st, 1)->metric);
	CHECK(!dv_stage_out(st, 1)->has_size);
	dv_stage_free(st);
}

TEST(slurm_section_round_trips_and_belongs_to_command_stages)
{
	static const char text[] =
		"[stage]\n"
		"cmd = ./train\n"
		"always_changed = false\n"
		"frozen = false\n"
		"\n"
		"[slurm]\n"
		"partition = gpu\n"
		"mem = 16G\n"
		"gres = gpu:1\n"
		"args = --qos=long --exclusive\n"
		"\n"
		"[out]\n"
		"path = model.bin\n";
	static const char bad[] = "[out]\npath = a\n\n[slurm]\ncpus = 2\n";
	static const char twice[] = "[stage]\ncmd = x\n\n[slurm]\ncpus = 2\n\n[slurm]\nmem = 1G\n";
	static const char unknown[] = "[stage]\ncmd = x\n\n[slurm]\nnodes = 2\n";
	dv_stage *st = check_round_trip("train.stage", text);
	if (st) {
		CHECK_STR(st->slurm[0], "gpu");
		CHECK(st->slurm[1] == NULL);
		CHECK_STR(st->slurm[2], "16G");
		CHECK_STR(st->slurm[4], "gpu:1");
		CHECK_STR(st->slurm[5], "--qos=long --exclusive");
		dv_stage_free(st);
	}
	st = NULL;
	CHECK(dv_stage_parse(&st, "a.stage", bad, strlen(bad)) < 0);
	CHECK(strstr(dv_error_last(), "command stage") != NULL);
	CHECK(dv_stage_parse(&st, "b.stage", twice, strlen(twice)) < 0);
	CHECK(strstr(dv_error_last(), "second [slurm]") != NULL);
	CHECK(dv_stage_parse(&st, "c.stage", unknown, strlen(unknown)) < 0);
	CHECK(strstr(dv_error_last(), "unknown key 'nodes'") != NULL);
}

TEST(every_out_flag_and_definition_hash_round_trip)
{
	dv_stage *st = check_round_trip("sub/eval.stage",
					"[stage]\n"
					"cmd = ./eval\n"
					"always_changed = true\n"
					"frozen = true\n"
					"hash = " H3 "\n"
					"\n"
					"[param]\n"
					"file = ../params.ini\n"
					"key = eval.k\n"
					"\n"
					"[out]\n"
					"path = plots\n"
					"cache = false\n"
					"persist = true\n"
					"metric = true\n"
					"plot = true\n");
	if (!st)
		return;
	CHECK(st->always_changed && st->frozen && st->has_def_hash);
	CHECK(dv_stage_param_at(st, 0)->value == NULL);
	CHECK(dv_stage_out(st, 0)->persist && dv_stage_out(st, 0)->plot);
	CHECK(!dv_stage_out(st, 0)->has_hash);
	dv_stage_free(st);
}

TEST(plot_properties_round_trip_in_canonical_order)
{
	/* y repeats, one field a line; a title with a ' ;' is quoted so inih
	 * does not cut it as a comment. */
	dv_stage *st = check_round_trip("eval.stage",
					"[stage]\n"
					"cmd = ./eval\n"
					"always_changed = false\n"
					"frozen = false\n"
					"\n"
					"[out]\n"
					"path = log.csv\n"
					"cache = false\n"
					"plot = true\n"
					"template = smooth\n"
					"x = epoch\n"
					"y = loss\n"
					"y = val loss\n"
					"title = \"loss \\x3b per epoch\"\n"
					"x_label = Epoch\n"
					"y_label = \" padded\"\n");
	const dv_plot_props *p;
	dv_buf out = DV_BUF_INIT;
	dv_stage *back = NULL;

	if (!st)
		return;
	p = dv_stage_out(st, 0)->plot_props;
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->template, "smooth");
		CHECK_STR(p->x, "epoch");
		CHECK_INT(p->y.n, 2);
		CHECK_STR(p->y.v[1], "val loss");
		CHECK_STR(p->title, "loss ; per epoch");
		CHECK_STR(p->y_label, " padded");
	}
	/* keys in any order read the same, and are written canonically */
	back = parse("eval.stage", "[stage]\ncmd = ./eval\n\n[out]\npath = log.csv\ny = loss\n"
			 "title = T\nplot = true\nx = epoch\n");
	if (back) {
		CHECK_OK(dv_stage_serialize(&out, back));
		CHECK(strstr(out.ptr, "plot = true\nx = epoch\ny = loss\ntitle = T\n") != NULL);
	}
	dv_buf_free(&out);
	dv_stage_free(back);
	dv_stage_free(st);
}

TEST(bad_plot_properties_are_refused)
{
	check_parse_error("e.stage", "[out]\npath = a.csv\nplot = true\ntemplate = pie\n",
			  "line 4", "unknown plot template 'pie'");
	check_parse_error("e.stage", "[out]\npath = a.csv\nx = step\n", "e.stage",
			  "has plot properties but no 'plot = true'");
	check_parse_error("e.stage", "[out]\npath = a.csv\nplot = true\ny = a\ny = a\n", "line 5",
			  "'y = a' is listed twice");
	check_parse_error("e.stage", "[out]\npath = a.csv\nplot = true\nx = a\nx = b\n", "line 5",
			  "'x' is set twice");
	check_parse_error("e.stage", "[out]\npath = a.csv\nplot = true\ntitle =\n", "line 4",
			  "empty 'title'");
}

TEST(reading_accepts_other_boolean_spellings_and_order)
{
	dv_stage *st = parse("x.stage",
			     "; a comment\n"
			     "[out]\n"
			     "path = b\n"
			     "\n"
			     "[stage]\n"
			     "frozen = yes\n"
			     "always_changed = 0\n"
			     "cmd = run\n"
			     "[out]\n"
			     "path = ./a/../c\n"
			     "cache = no\n"
			     "persist = 1\n");
	if (!st)
		return;
	CHECK(st->frozen);
	CHECK(!st->always_changed);
	CHECK_INT(st->outs.n, 2);
	CHECK_STR(dv_stage_out(st, 1)->path, "c");
	CHECK(!dv_stage_out(st, 1)->cache);
	CHECK(dv_stage_out(st, 1)->persist);
	dv_stage_free(st);
}

/* Round-trip `value` as cmd, desc, param value and out path; return the
 * serialised cmd line in `cmd_line`. */
static void check_value_round_trip(const char *value, dv_buf *cmd_line)
{
	dv_stage *st = dv_stage_new("q.stage"), *back = NULL;
	dv_buf text = DV_BUF_INIT;

	st->is_command = true;
	st->cmd = dv_strdup(value);
	st->desc = dv_strdup(value);
	dv_stage_add_param(st, "params.ini", "a.b", value);
	dv_stage_add_out(st, "out.bin");
	CHECK_OK(dv_stage_serialize(&text, st));
	CHECK_OK(dv_stage_parse(&back, "q.stage", text.ptr, text.len));
	if (back) {
		CHECK_STR(back->cmd, value);
		CHECK_STR(back->desc, value);
		CHECK_STR(dv_stage_param_at(back, 0)->value, value);
	}
	if (cmd_line) {
		const char *s = strstr(text.ptr, "cmd = ");
		dv_buf_reset(cmd_line);
		if (s)
			dv_buf_add(cmd_line, s, strcspn(s, "\n"));
	}
	dv_stage_free(st);
	dv_stage_free(back);
	dv_buf_free(&text);
}

TEST(quoting_round_trips_through_inih)
{
	static const char *const values[] = {
		"make a ; make b", "  leading blanks", "trailing blanks  ", "tab\there",
		"new\nline", "back\\slash", "\"quoted\"", "\"starts only", "ends only\"",
		"a;b", ";starts", "x ;y", "x\t;y", "\x01 control", "del\x7f", "#hash", "[bracket]",
		"key = value", "caf\xc3\xa9", "\"", "\"\"", "\\x3b", "a\\\"b", "cr\rlf",
		"two  spaces", "ends with backslash\\",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		check_value_round_trip(values[i], NULL);
}

TEST(quoting_writes_what_spec_says)
{
	dv_buf line = DV_BUF_INIT;

	check_value_round_trip("make a ; make b", &line);
	CHECK_STR(line.ptr, "cmd = \"make a \\x3b make b\"");
	check_value_round_trip("a;b", &line);
	CHECK_STR(line.ptr, "cmd = a;b");
	check_value_round_trip(" x\t\"y\"\\ ", &line);
	CHECK_STR(line.ptr, "cmd = \" x\\t\\\"y\\\"\\\\ \"");
	check_value_round_trip("\"both\"", &line);
	CHECK_STR(line.ptr, "cmd = \"\\\"both\\\"\"");
	check_value_round_trip("one\ntwo", &line);
	CHECK_STR(line.ptr, "cmd = \"one\\ntwo\"");
	dv_buf_free(&line);

	/* The helpers directly. */
	dv_buf b = DV_BUF_INIT;
	CHECK(!dv_ini_value_needs_quoting("plain value; with semicolon"));
	CHECK(dv_ini_value_needs_quoting("plain ;value"));
	CHECK_OK(dv_ini_unquote_value(&b, "\"a\\x3bb\\tc\""));
	CHECK_STR(b.ptr, "a;b\tc");
	dv_buf_reset(&b);
	CHECK_FAILS(dv_ini_unquote_value(&b, "\"bad \\q\""), "unknown escape");
	CHECK_FAILS(dv_ini_unquote_value(&b, "\"a\"b\""), "'\\\"'");
	CHECK_FAILS(dv_ini_unquote_value(&b, "\"x\\\""), "escape");
	CHECK_FAILS(dv_ini_unquote_value(&b, "\"\\x0\""), "two hex digits");
	CHECK_FAILS(dv_ini_unquote_value(&b, "\"\\x00\""), "NUL");
	dv_buf_free(&b);
}

/* Every line within `limit`, except lines holding `unsplittable` (which
 * may reach inih's limit). */
static void check_lines_fit(const char *text, size_t limit, const char *unsplittable)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		char *line = strndup(p, n);
		size_t max = unsplittable && strstr(line, unsplittable) ? DV_INI_MAX_LINE : limit;
		CHECK(n <= max);
		if (n > max)
			fprintf(stderr, "    line of %zu bytes: %s\n", n, line);
		free(line);
		p += n + (p[n] == '\n');
	}
}

TEST(long_cmd_is_folded_and_joined_back)
{
	dv_buf cmd = DV_BUF_INIT, text = DV_BUF_INIT;
	dv_stage *st = dv_stage_new("long.stage"), *back = NULL;

	for (int i = 0; i < 60; i++)
		dv_buf_printf(&cmd, "%sword%d", i ? " " : "", i);
	/* A double space cannot be a fold point; '#' must not start a line. */
	dv_buf_puts(&cmd, "  double #notacomment ;alsonot");
	for (int i = 0; i < 30; i++)
		dv_buf_puts(&cmd, " #x");
	dv_buf_puts(&cmd, " tail words after the unsplittable run");
	st->cmd = dv_strdup(cmd.ptr);
	st->desc = dv_strdup(cmd.ptr);
	CHECK_OK(dv_stage_serialize(&text, st));
	check_lines_fit(text.ptr, DV_STAGE_FOLD_WIDTH, "#x");
	CHECK(strstr(text.ptr, "\n  word") != NULL);
	CHECK(strstr(text.ptr, "\n  #") == NULL);
	CHECK(strstr(text.ptr, "\n  ;") == NULL);
	CHECK_OK(dv_stage_parse(&back, "long.stage", text.ptr, text.len));
	if (back) {
		CHECK_STR(back->cmd, cmd.ptr);
		CHECK_STR(back->desc, cmd.ptr);
	}
	dv_stage_free(back);
	back = NULL;

	/* A quoted value folds the same way. */
	free(st->cmd);
	dv_buf_puts(&cmd, " ; echo done\tand more");
	st->cmd = dv_strdup(cmd.ptr);
	CHECK_OK(dv_stage_serialize(&text, st));
	check_lines_fit(text.ptr, DV_STAGE_FOLD_WIDTH, "#x");
	CHECK(strstr(text.ptr, "cmd = \"word0 ") != NULL);
	CHECK_OK(dv_stage_parse(&back, "long.stage", text.ptr, text.len));
	if (back)
		CHECK_STR(back->cmd, cmd.ptr);

	dv_stage_free(st);
	dv_stage_free(back);
	dv_buf_free(&cmd);
	dv_buf_free(&text);
}

TEST(long_words_get_their_own_line_up_to_inih_limit)
{
	dv_stage *st = dv_stage_new("w.stage"), *back = NULL;
	dv_buf text = DV_BUF_INIT, cmd = DV_BUF_INIT;
	char word[260];

	memset(word, 'w', sizeof(word));
	word[150] = '\0';
	dv_buf_printf(&cmd, "run %s end", word);
	st->cmd = dv_strdup(cmd.ptr);
	CHECK_OK(dv_stage_serialize(&text, st));
	check_lines_fit(text.ptr, DV_INI_MAX_LINE, NULL);
	CHECK_OK(dv_stage_parse(&back, "w.stage", text.ptr, text.len));
	if (back)
		CHECK_STR(back->cmd, cmd.ptr);

	/* A word that cannot fit on any line is refused, not cut. */
	word[150] = 'w';
	word[250] = '\0';
	free(st->cmd);
	st->cmd = dv_asprintf("run %s", word);
	CHECK_FAILS(dv_stage_serialize(&text, st), "'w.stage'");
	CHECK(strstr(dv_error_last(), "word of 250 bytes") != NULL);

	dv_stage_free(st);
	dv_stage_free(back);
	dv_buf_free(&text);
	dv_buf_free(&cmd);
}

TEST(long_paths_are_refused_when_writing)
{
	dv_stage *st = dv_stage_new("p.stage");
	dv_buf text = DV_BUF_INIT;
	char path[200];

	memset(path, 'p', sizeof(path));
	path[192] = '\0'; /* "path = " + 192 = 199 bytes: fits */
	dv_stage_add_out(st, path);
	CHECK_OK(dv_stage_serialize(&text, st));
	path[192] = 'p';
	path[193] = '\0';
	dv_stage_add_out(st, path);
	CHECK_FAILS(dv_stage_serialize(&text, st), "does not fit on one line");
	CHECK(strstr(dv_error_last(), "'p.stage'") != NULL);
	dv_stage_free(st);
	dv_buf_free(&text);
}

static char *text_with_line_of(size_t n)
{
	dv_buf b = DV_BUF_INIT;
	dv_buf_puts(&b, "[stage]\ncmd = x\ndesc = ");
	for (size_t i = strlen("desc = "); i < n; i++)
		dv_buf_putc(&b, 'd');
	dv_buf_puts(&b, "\nfrozen = maybe\n");
	return dv_buf_detach(&b);
}

TEST(line_length_limit_is_exact)
{
	char *ok = text_with_line_of(199), *bad = text_with_line_of(200);
	dv_stage *st = NULL;

	/* 199 bytes is read whole, and the line after it is still line 4. */
	check_parse_error("t.stage", ok, "'t.stage' line 4:", "not a boolean");
	check_parse_error("t.stage", bad, "'t.stage' line 3:", "longer than the 199 bytes");
	ok[strlen(ok) - strlen("frozen = maybe\n")] = '\0';
	CHECK_OK(dv_stage_parse(&st, "t.stage", ok, strlen(ok)));
	if (st)
		CHECK_INT(strlen(st->desc), 199 - strlen("desc = "));
	dv_stage_free(st);
	free(ok);
	free(bad);
}

TEST(section_name_limit_is_checked)
{
	char text[200];
	snprintf(text, sizeof(text), "[%049d]\nk = v\n", 0);
	check_parse_error("s.stage", text, "'s.stage' line 1:", "unknown section");
	snprintf(text, sizeof(text), "[%050d]\nk = v\n", 0);
	check_parse_error("s.stage", text, "'s.stage' line 1:", "longer than 49 bytes");
}

TEST(malformed_files_name_file_and_line)
{
	check_parse_error("a.stage", "[out\npath = x\n", "'a.stage' line 1:", "missing ']'");
	check_parse_error("a.stage", "[out]\npath = x\n\n[out]\nhash = " H1 "\n",
			  "'a.stage' line 5:", "'hash' before 'path'");
	check_parse_error("a.stage", "[out]\npath = x\ncolour = red\n", "'a.stage' line 3:",
			  "unknown key 'colour' in [out]");
	check_parse_error("a.stage", "[out]\npath = x\nhash = md5:abc\n", "'a.stage' line 3:",
			  "invalid hash");
	check_parse_error("a.stage", "[out]\npath = x\nhash = xxh128:abc\n", "'a.stage' line 3:",
			  "invalid hash");
	check_parse_error("a.stage", "\n[out]\npath = /etc/passwd\n", "'a.stage' line 3:",
			  "absolute");
	check_parse_error("sub/a.stage", "[out]\npath = ../../x\n", "'sub/a.stage' line 2:",
			  "leaves the repository");
	check_parse_error("a.stage", "[out]\npath = .dv/cache/x\n", "line 2:", "inside .dv");
	check_parse_error("a.stage", "[out]\npath = .\n", "line 2:", "repository root");
	check_parse_error("a.stage", "[out]\npath = x\njunk\n", "'a.stage' line 3:",
			  "expected 'key = value'");
	check_parse_error("a.stage", "[out] extra\npath = x\n", "line 1:", "after the section header");
	check_parse_error("a.stage", "path = x\n", "'a.stage' line 1:", "before any section");
	check_parse_error("a.stage", "[outs]\npath = x\n", "'a.stage' line 1:", "unknown section '[outs]'");
	check_parse_error("a.stage", "[stage]\ncmd = make a ; make b\n", "'a.stage' line 2:",
			  "\\x3b");
	check_parse_error("a.stage", "[stage]\ncmd = make\n  a ; make b\n", "'a.stage' line 3:",
			  "inline comment");
	check_parse_error("a.stage", "[out]\npath = x\nhash = " H1 "\n  more\n", "'a.stage' line 4:",
			  "only cmd and desc");
	check_parse_error("a.stage", "[out]\npath = x\n[out]\npath = ./x\n", "'a.stage' line 4:",
			  "listed twice");
	check_parse_error("a.stage", "[out]\npath = x\npath = y\n", "'a.stage' line 3:",
			  "start another [out] section");
	check_parse_error("a.stage", "[out]\npath = x\nsize = 1\nsize = 2\n", "'a.stage' line 4:",
			  "set twice");
	check_parse_error("a.stage", "[out]\npath = x\nsize = -1\n", "'a.stage' line 3:",
			  "whole number");
	check_parse_error("a.stage", "[out]\npath = x\ncache = maybe\n", "'a.stage' line 3:",
			  "not a boolean");
	check_parse_error("a.stage", "[stage]\ncmd = a\n[stage]\ncmd = b\n", "'a.stage' line 3:",
			  "second [stage]");
	check_parse_error("a.stage", "[dep]\npath = x\n", "'a.stage' line 1:", "needs a [stage]");
	check_parse_error("a.stage", "[stage]\ndesc = no command\n", "'a.stage' line 1:", "no cmd");
	check_parse_error("a.stage", "[out]\n[out]\npath = x\n", "'a.stage' line 2:",
			  "section of line 1 is empty");
	check_parse_error("a.stage", "[out]\npath = x\n[dep]\n", "'a.stage'", "section of line 3 is empty");
	check_parse_error("a.stage", "", "'a.stage'", "no [stage] or [out]");
	check_parse_error("a.stage", "[out]\npath = \"x\\q\"\n", "'a.stage' line 2:", "unknown escape");
	{
		dv_stage *st = NULL;
		static const char nul[] = "[out]\npath = x\0y\n";
		CHECK_FAILS(dv_stage_parse(&st, "n.stage", nul, sizeof(nul) - 1), "'n.stage' line 2:");
		CHECK(strstr(dv_error_last(), "NUL") != NULL);
	}
	check_parse_error("a.stage", "[param]\nfile = p.ini\nkey = a\n[param]\nfile = p.ini\nkey = a\n",
			  "'a.stage' line 6:", "listed twice");
}

TEST(entry_paths_resolve_against_the_stage_directory)
{
	dv_stage *st = parse("sub/dir/s.stage", "[out]\npath = ../data/./x\n");
	char *rel;
	if (!st)
		return;
	CHECK_STR(dv_stage_out(st, 0)->path, "../data/x");
	rel = dv_stage_entry_relpath(st, dv_stage_out(st, 0)->path);
	CHECK_STR(rel, "sub/data/x");
	free(rel);
	CHECK_OK(dv_stage_check_entry_path(st, "../../top"));
	CHECK_FAILS(dv_stage_check_entry_path(st, "../../../up"), "leaves the repository");
	CHECK_FAILS(dv_stage_check_entry_path(st, ""), "empty");
	dv_stage_free(st);
}

TEST(save_and_load_through_the_file_system)
{
	dv_stage *st = parse("train.stage", spec_train), *back = NULL;
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT;
	if (!st)
		return;
	CHECK_OK(dv_stage_save(st, test_tmpdir()));
	dv_path_join(&path, test_tmpdir(), "train.stage");
	CHECK_OK(dv_read_file(&text, path.ptr));
	CHECK_STR(text.ptr, spec_train);
	CHECK_OK(dv_stage_load(&back, test_tmpdir(), "train.stage"));
	if (back)
		CHECK_STR(back->cmd, st->cmd);
	dv_stage_free(back);
	CHECK_FAILS(dv_stage_load(&back, test_tmpdir(), "missing.stage"), "missing.stage");
	CHECK(back == NULL);
	dv_stage_free(st);
	dv_stage_free(back);
	dv_buf_free(&path);
	dv_buf_free(&text);
}

TEST(writing_refuses_invalid_stages)
{
	dv_stage *st = dv_stage_new("bad.stage");
	dv_buf text = DV_BUF_INIT;

	CHECK_FAILS(dv_stage_serialize(&text, st), "needs a cmd or an out");
	dv_stage_add_dep(st, "in.txt");
	CHECK_FAILS(dv_stage_serialize(&text, st), "need a command stage");
	st->is_command = true;
	CHECK_FAILS(dv_stage_serialize(&text, st), "needs a cmd");
	st->cmd = dv_strdup("true");
	CHECK_OK(dv_stage_serialize(&text, st));
	dv_stage_add_out(st, "/abs");
	CHECK_FAILS(dv_stage_serialize(&text, st), "absolute");
	dv_stage_free(st);
	dv_buf_free(&text);
}

TEST(conflict_markers_are_named_with_the_way_out)
{
	const char *data = "[out]\npath = d\n<<<<<<< ours\nhash = " H1 "\n=======\nhash = " H2
			   "\n>>>>>>> theirs\nsize = 3\n";
	const char *cmd = "<<<<<<< HEAD\n[stage]\ncmd = a\n=======\n[stage]\ncmd = b\n>>>>>>> x\n";
	dv_stage *st = NULL;

	CHECK(dv_stage_conflict_line(data, strlen(data)) == 3);
	CHECK(dv_stage_parse(&st, "sub/d.stage", data, strlen(data)) == DV_ECONFLICT);
	CHECK(strstr(dv_error_last(), "'sub/d.stage' has unresolved merge conflict markers (line 3)") != NULL);
	CHECK(strstr(dv_error_last(), "git checkout --ours sub/d.stage") != NULL);
	CHECK(strstr(dv_error_last(), "'dv add sub/d'") != NULL);
	CHECK(dv_stage_parse(&st, "train.stage", cmd, strlen(cmd)) == DV_ECONFLICT);
	CHECK(strstr(dv_error_last(), "'dv repro train'") != NULL);
	CHECK(st == NULL);
	/* Not markers: fewer than seven, a label on "=======", or indented. */
	const char *none = "<<<<<< x\n======= y\n  >>>>>>> z\n";
	CHECK(dv_stage_conflict_line(none, strlen(none)) == 0);
}

TEST_MAIN(conflict_markers_are_named_with_the_way_out, spec_data_stage_round_trips, directory_out_round_trips,
	  spec_command_stage_round_trips, slurm_section_round_trips_and_belongs_to_command_stages,
	  every_out_flag_and_definition_hash_round_trip, plot_properties_round_trip_in_canonical_order,
	  bad_plot_properties_are_refused, reading_accepts_other_boolean_spellings_and_order,
	  quoting_round_trips_through_inih, quoting_writes_what_spec_says,
	  long_cmd_is_folded_and_joined_back, long_words_get_their_own_line_up_to_inih_limit,
	  long_paths_are_refused_when_writing, line_length_limit_is_exact, section_name_limit_is_checked,
	  malformed_files_name_file_and_line, entry_paths_resolve_against_the_stage_directory,
	  save_and_load_through_the_file_system, writing_refuses_invalid_stages)
