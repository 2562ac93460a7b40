/* Directory manifests: the exact bytes (their hash is the directory's
 * hash), git-style quoting, bytewise order, and a strict parser. */
#include "dv/manifest.h"
#include "test.h"

static dv_hash hash_of(const char *s)
{
	dv_hash h;
	dv_hash_buffer(&h, s, strlen(s));
	return h;
}

static void check_quote(const char *path, const char *want)
{
	dv_buf q = DV_BUF_INIT, back = DV_BUF_INIT;
	dv_quote_path(&q, path);
	CHECK_STR(q.ptr, want);
	CHECK_OK(dv_unquote_path(&back, q.ptr, q.len));
	CHECK_STR(back.ptr, path);
	dv_buf_free(&q);
	dv_buf_free(&back);
}

TEST(paths_are_quoted_as_git_quotes_them)
{
	check_quote("plain/file.txt", "plain/file.txt");
	check_quote("with space", "with space");
	check_quote("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac");
	check_quote("mid\"quote", "mid\"quote");
	check_quote("\"leading quote", "\"\\\"leading quote\"");
	check_quote("back\\slash", "\"back\\\\slash\"");
	check_quote("new\nline", "\"new\\nline\"");
	check_quote("tab\tand\"quote", "\"tab\\tand\\\"quote\"");
	check_quote("bell\a\b\v\f\r", "\"bell\\a\\b\\v\\f\\r\"");
	check_quote("ctl\x01\x1f\x7f", "\"ctl\\001\\037\\177\"");
}

TEST(unquoting_refuses_bad_text)
{
	dv_buf b = DV_BUF_INIT;
	CHECK_FAILS(dv_unquote_path(&b, "\"open", 5), "closing");
	CHECK_FAILS(dv_unquote_path(&b, "\"a\"b", 4), "after the closing");
	CHECK_FAILS(dv_unquote_path(&b, "\"\\q\"", 4), "unknown escape");
	CHECK_FAILS(dv_unquote_path(&b, "\"\\000\"", 6), "NUL");
	CHECK_FAILS(dv_unquote_path(&b, "\"\\\"", 3), "closing");
	dv_buf_free(&b);
}

static void build(dv_manifest *m)
{
	dv_hash a = hash_of("a"), b = hash_of("b"), c = hash_of("c");
	dv_manifest_init(m);
	/* Added out of order; '-' (0x2d) sorts before '/' (0x2f) bytewise. */
	dv_manifest_add(m, "sub/x.bin", &a, 10, 0644);
	dv_manifest_add(m, "new\nline", &b, 0, 0755);
	dv_manifest_add(m, "sub-dir.txt", &c, 3, 0100755);
	dv_manifest_add(m, "B", &a, 1, 0600);
	dv_manifest_add(m, "\xc3\xa9t\xc3\xa9", &b, 7, 0644);
}

TEST(serialise_sorts_bytewise_and_is_stable)
{
	dv_manifest m, m2;
	dv_buf text = DV_BUF_INIT, text2 = DV_BUF_INIT;
	char want[1024], ha[33], hb[33], hc[33];
	dv_hash a = hash_of("a"), b = hash_of("b"), c = hash_of("c"), h1, h2;

	dv_hash_to_hex(ha, &a);
	dv_hash_to_hex(hb, &b);
	dv_hash_to_hex(hc, &c);
	snprintf(want, sizeof(want),
		 "%s 1 644 B\n"
		 "%s 0 755 \"new\\nline\"\n"
		 "%s 3 755 sub-dir.txt\n"
		 "%s 10 644 sub/x.bin\n"
		 "%s 7 644 \xc3\xa9t\xc3\xa9\n", ha, hb, hc, ha, hb);
	build(&m);
	dv_manifest_serialize(&text, &m);
	CHECK_STR(text.ptr, want);
	CHECK_INT(dv_manifest_total_size(&m), 21);

	/* Same files in another insertion order: same bytes, same hash. */
	dv_manifest_init(&m2);
	for (size_t i = m.entries.n; i-- > 0;) {
		dv_manifest_entry *e = dv_vec_at(&m.entries, dv_manifest_entry, i);
		dv_manifest_add(&m2, e->path, &e->hash, e->size, e->mode);
	}
	dv_manifest_serialize(&text2, &m2);
	dv_hash_buffer(&h1, text.ptr, text.len);
	dv_hash_buffer(&h2, text2.ptr, text2.len);
	CHECK(dv_hash_equal(&h1, &h2));
	dv_manifest_free(&m);
	dv_manifest_free(&m2);
	dv_buf_free(&text);
	dv_buf_free(&text2);
}

TEST(parse_round_trips_and_finds)
{
	dv_manifest m, back;
	dv_buf text = DV_BUF_INIT, again = DV_BUF_INIT;

	build(&m);
	dv_manifest_serialize(&text, &m);
	CHECK_OK(dv_manifest_parse(&back, text.ptr, text.len, "ab/cdef.dir"));
	CHECK_INT(back.entries.n, 5);
	dv_manifest_serialize(&again, &back);
	CHECK_STR(again.ptr, text.ptr);
	CHECK(dv_manifest_find(&back, "new\nline") != NULL);
	CHECK_INT(dv_manifest_find(&back, "new\nline")->mode, 0755);
	CHECK_INT(dv_manifest_find(&back, "sub/x.bin")->size, 10);
	CHECK(dv_manifest_find(&back, "sub") == NULL);
	CHECK(dv_manifest_find(&back, "zzz") == NULL);
	CHECK(dv_manifest_find(&back, "A") == NULL);
	for (size_t i = 0; i < back.entries.n; i++) {
		dv_manifest_entry *e = dv_vec_at(&back.entries, dv_manifest_entry, i);
		CHECK(dv_manifest_find(&back, e->path) == e);
	}
	dv_manifest_free(&m);
	dv_manifest_free(&back);
	dv_buf_free(&text);
	dv_buf_free(&again);

	CHECK_OK(dv_manifest_parse(&back, "", 0, "empty.dir"));
	CHECK_INT(back.entries.n, 0);
	CHECK(dv_manifest_find(&back, "x") == NULL);
	dv_manifest_free(&back);
}

#define HX "0123456789abcdef0123456789abcdef"

static void check_parse_error(const char *text, const char *where, const char *what)
{
	dv_manifest m;
	CHECK_FAILS(dv_manifest_parse(&m, text, strlen(text), "ab/cd.dir"), where);
	if (!strstr(dv_error_last(), what)) {
		fprintf(stderr, "    message: %s\n    lacks:   %s\n", dv_error_last(), what);
		CHECK(0);
	}
	CHECK_INT(m.entries.n, 0);
}

TEST(parse_is_strict_and_names_object_and_line)
{
	check_parse_error(HX " 1 644 a\n" HX " 1 644 a\n", "'ab/cd.dir' line 2", "twice");
	check_parse_error(HX " 1 644 b\n" HX " 1 644 a\n", "'ab/cd.dir' line 2", "out of order");
	check_parse_error(HX " 1 644 a", "'ab/cd.dir' line 1", "no newline");
	check_parse_error(HX " 1 600 a\n", "line 1", "bad mode");
	check_parse_error(HX " 01 644 a\n", "line 1", "leading zeros");
	check_parse_error(HX " -1 644 a\n", "line 1", "bad size");
	check_parse_error(HX " 99999999999999999999 644 a\n", "line 1", "bad size");
	check_parse_error("0123456789ABCDEF0123456789abcdef 1 644 a\n", "line 1", "lowercase hex");
	check_parse_error(HX "  1 644 a\n", "line 1", "bad size");
	check_parse_error(HX " 1 644 \n", "line 1", "expected");
	check_parse_error("\n", "line 1", "expected");
	check_parse_error(HX " 1 644 a\n" HX " 1 644 ../escape\n", "line 2", "'..'");
	check_parse_error(HX " 1 644 /abs\n", "line 1", "absolute");
	check_parse_error(HX " 1 644 a//b\n", "line 1", "empty path component");
	check_parse_error(HX " 1 644 a/\n", "line 1", "empty path component");
	check_parse_error(HX " 1 644 ./a\n", "line 1", "'.'");
	check_parse_error(HX " 1 644 \"a\\qb\"\n", "line 1", "unknown escape");
	check_parse_error(HX " 1 644 tab\there\n", "line 1", "not quoted");
	check_parse_error(HX " 1 644 \"a\\000b\"\n", "line 1", "NUL");
}

TEST_MAIN(paths_are_quoted_as_git_quotes_them, unquoting_refuses_bad_text,
	  serialise_sorts_bytewise_and_is_stable, parse_round_trips_and_finds,
	  parse_is_strict_and_names_object_and_line)
