/* The object sets of objects.c, listing a cache, and the [source] section
 * of .stage files that dv import writes (a careful addition to stage.c,
 * tested here with the module that needs it). */
#include "dv/cache.h"
#include "dv/fs.h"
#include "dv/objects.h"
#include "dv/stage.h"
#include "test.h"

static dv_hash hash_of(unsigned i)
{
	dv_hash h;
	char text[32];
	snprintf(text, sizeof(text), "object %u", i);
	dv_hash_buffer(&h, text, strlen(text));
	return h;
}

TEST(objset_adds_each_object_once_and_tells_files_from_manifests)
{
	dv_objset s = DV_OBJSET_INIT;
	dv_hash h = hash_of(1);

	CHECK(!dv_objset_has(&s, &h, false));
	CHECK(dv_objset_add(&s, &h, false));
	CHECK(!dv_objset_add(&s, &h, false));
	CHECK(dv_objset_has(&s, &h, false));
	/* The same hash as a manifest is another object (another file). */
	CHECK(!dv_objset_has(&s, &h, true));
	CHECK(dv_objset_add(&s, &h, true));
	CHECK_INT(dv_objset_count(&s), 2);
	CHECK(dv_objset_at(&s, 1)->is_dir);
	dv_objset_free(&s);
}

TEST(objset_survives_growth_with_many_objects)
{
	dv_objset s = DV_OBJSET_INIT;
	size_t missing = 0;

	for (unsigned i = 0; i < 50000; i++) {
		dv_hash h = hash_of(i);
		CHECK(dv_objset_add(&s, &h, i % 7 == 0));
	}
	CHECK_INT(dv_objset_count(&s), 50000);
	for (unsigned i = 0; i < 50000; i++) {
		dv_hash h = hash_of(i);
		missing += !dv_objset_has(&s, &h, i % 7 == 0);
		missing += dv_objset_has(&s, &h, i % 7 != 0);
	}
	CHECK_INT(missing, 0);
	for (unsigned i = 50000; i < 50100; i++) {
		dv_hash h = hash_of(i);
		CHECK(!dv_objset_has(&s, &h, false));
	}
	/* Iteration keeps insertion order. */
	dv_hash h9 = hash_of(9);
	CHECK(dv_hash_equal(&dv_objset_at(&s, 9)->hash, &h9));
	dv_objset_free(&s);
}

TEST(object_relpaths_parse_and_stray_names_do_not)
{
	dv_hash h, want = hash_of(3);
	dv_buf rel = DV_BUF_INIT;
	bool is_dir = true;

	dv_cache_object_relpath(&rel, &want, false);
	CHECK(dv_objects_parse_relpath(&h, &is_dir, rel.ptr));
	CHECK(dv_hash_equal(&h, &want));
	CHECK(!is_dir);
	dv_cache_object_relpath(&rel, &want, true);
	CHECK(dv_objects_parse_relpath(&h, &is_dir, rel.ptr));
	CHECK(is_dir);
	CHECK(!dv_objects_parse_relpath(&h, &is_dir, "files/xxh128/ab/short"));
	CHECK(!dv_objects_parse_relpath(&h, &is_dir, "files/xxh128/ab/.0123456789abcdef0123456789abcd"));
	CHECK(!dv_objects_parse_relpath(&h, &is_dir, "runs/ab/0123456789abcdef0123456789abcd"));
	CHECK(!dv_objects_parse_relpath(&h, &is_dir, "files/xxh128/AB/0123456789abcdef0123456789abcd"));
	CHECK(!dv_objects_parse_relpath(&h, &is_dir, "files/xxh128/ab/0123456789abcdef0123456789abcd.tmp"));
	dv_buf_free(&rel);
}

TEST(listing_a_cache_skips_temp_files_and_reports_sizes)
{
	dv_buf dir = DV_BUF_INIT, path = DV_BUF_INIT;
	dv_vec objs = DV_VEC_INIT(dv_cached_object);
	dv_cache *c = NULL;
	dv_hash h;

	dv_path_join(&dir, test_tmpdir(), "cache");
	CHECK_OK(dv_cache_open(&c, dir.ptr, NULL));
	if (!c)
		return;
	CHECK_OK(dv_cache_add_buffer(&h, c, "hello", 5, false));
	CHECK_OK(dv_cache_add_buffer(&h, c, "abc 1 644 x\n", 12, true));
	dv_buf_printf(&path, "%s/files/xxh128/00/not-an-object", dir.ptr);
	CHECK_OK(dv_mkdir_parent(path.ptr));
	CHECK_OK(dv_write_file_atomic(path.ptr, "x", 1, 0644));
	CHECK_OK(dv_cache_list_objects(&objs, c));
	CHECK_INT(objs.n, 2);
	for (size_t i = 0; i < objs.n; i++) {
		dv_cached_object *o = dv_vec_at(&objs, dv_cached_object, i);
		CHECK_INT(o->size, o->is_dir ? 12 : 5);
	}
	dv_vec_free(&objs);
	dv_cache_free(c);
	dv_buf_free(&dir);
	dv_buf_free(&path);
}

TEST(manifests_expand_and_a_missing_one_is_reported_then_found)
{
	dv_buf dir = DV_BUF_INIT, text = DV_BUF_INIT;
	dv_used_objects u;
	dv_cache *c = NULL;
	dv_stage *st = NULL;
	dv_hash a = hash_of(100), b = hash_of(101), m;
	char ha[DV_HASH_HEXLEN + 1], hb[DV_HASH_HEXLEN + 1], hm[64];

	dv_path_join(&dir, test_tmpdir(), "cache2");
	CHECK_OK(dv_cache_open(&c, dir.ptr, NULL));
	if (!c)
		return;
	dv_hash_to_hex(ha, &a);
	dv_hash_to_hex(hb, &b);
	dv_buf_printf(&text, "%s 1 644 a\n%s 2 755 sub/b\n", ha, hb);
	dv_hash_buffer(&m, text.ptr, text.len);
	dv_hash_format(hm, sizeof(hm), &m, true);
	dv_buf_reset(&text);
	dv_buf_printf(&text, "[out]\npath = d\nhash = %s\n\n[out]\npath = f\ncache = false\nhash = xxh128:%s\n", hm, hb);
	CHECK_OK(dv_stage_parse(&st, "d.stage", text.ptr, text.len));
	if (!st)
		return;

	dv_used_objects_init(&u);
	dv_objects_add_stage(&u, st, "HEAD");
	CHECK_OK(dv_objects_expand_manifests(&u, c));
	/* Uncached outs are not the cache's business. */
	CHECK_INT(dv_objset_count(&u.objects), 1);
	CHECK_INT(u.missing_manifests.n, 1);
	CHECK(u.missing_manifests.n && strstr(u.missing_manifests.v[0], "d at HEAD"));

	dv_buf_reset(&text);
	dv_buf_printf(&text, "%s 1 644 a\n%s 2 755 sub/b\n", ha, hb);
	CHECK_OK(dv_cache_add_buffer(&m, c, text.ptr, text.len, true));
	CHECK_OK(dv_objects_expand_manifests(&u, c));
	CHECK_INT(u.missing_manifests.n, 0);
	CHECK_INT(dv_objset_count(&u.objects), 3);
	CHECK(dv_objset_has(&u.objects, &a, false));
	CHECK(dv_objset_has(&u.objects, &b, false));

	dv_used_objects_free(&u);
	dv_stage_free(st);
	dv_cache_free(c);
	dv_buf_free(&dir);
	dv_buf_free(&text);
}

TEST(stage_source_section_round_trips)
{
	static const char text[] =
		"[source]\n"
		"url = ../other repo\n"
		"rev = v1.0\n"
		"rev_lock = 0123456789abcdef0123456789abcdef01234567\n"
		"path = data/raw\n"
		"\n"
		"[out]\n"
		"path = raw\n"
		"hash = xxh128:6d0bb00954ceb7fbee436bb55a8397a9.dir\n"
		"size = 10\n"
		"files = 2\n";
	dv_stage *st = NULL;
	dv_buf out = DV_BUF_INIT;

	CHECK_OK(dv_stage_parse(&st, "in/raw.stage", text, sizeof(text) - 1));
	if (!st)
		return;
	CHECK(!st->is_command);
	CHECK(st->source != NULL);
	if (st->source) {
		CHECK_STR(st->source->url, "../other repo");
		CHECK_STR(st->source->rev, "v1.0");
		CHECK_STR(st->source->path, "data/raw");
	}
	CHECK_OK(dv_stage_serialize(&out, st));
	CHECK_STR(out.ptr, text);
	/* Without rev (the default branch) the key is left out. */
	dv_stage_set_source(st, "https://example.com/r.git", NULL, NULL, "x");
	CHECK_OK(dv_stage_serialize(&out, st));
	CHECK(strstr(out.ptr, "[source]\nurl = https://example.com/r.git\npath = x\n") != NULL);
	dv_stage_free(st);
	dv_buf_free(&out);
}

TEST(stage_source_section_refuses_what_it_cannot_mean)
{
	dv_stage *st = NULL;
	static const char twice[] = "[source]\nurl = a\npath = x\n[source]\nurl = b\npath = y\n[out]\npath = x\n";
	static const char no_path[] = "[source]\nurl = a\n[out]\npath = x\n";
	static const char path_first[] = "[source]\npath = x\nurl = a\n[out]\npath = x\n";
	static const char bad_lock[] = "[source]\nurl = a\nrev_lock = main\npath = x\n[out]\npath = x\n";
	static const char escapes[] = "[source]\nurl = a\npath = ../x\n[out]\npath = x\n";
	static const char command[] = "[stage]\ncmd = true\n[source]\nurl = a\npath = x\n[out]\npath = x\n";

	CHECK_FAILS(dv_stage_parse(&st, "s.stage", twice, sizeof(twice) - 1), "second [source]");
	CHECK_FAILS(dv_stage_parse(&st, "s.stage", no_path, sizeof(no_path) - 1), "no 'path");
	CHECK_FAILS(dv_stage_parse(&st, "s.stage", path_first, sizeof(path_first) - 1), "starts with 'url");
	CHECK_FAILS(dv_stage_parse(&st, "s.stage", bad_lock, sizeof(bad_lock) - 1), "40 hex");
	CHECK_FAILS(dv_stage_parse(&st, "s.stage", escapes, sizeof(escapes) - 1), "not inside the source");
	CHECK_FAILS(dv_stage_parse(&st, "s.stage", command, sizeof(command) - 1), "not to a command stage");
	CHECK(st == NULL);
}

TEST_MAIN(objset_adds_each_object_once_and_tells_files_from_manifests,
	  objset_survives_growth_with_many_objects,
	  object_relpaths_parse_and_stray_names_do_not,
	  listing_a_cache_skips_temp_files_and_reports_sizes,
	  manifests_expand_and_a_missing_one_is_reported_then_found,
	  stage_source_section_round_trips,
	  stage_source_section_refuses_what_it_cannot_mean)
