/* Packs (pack.h): a pack written and its index read back, damaged indexes
 * refused, the name following the bytes, and range planning. */
#include <string.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/pack.h"
#include "test.h"

static void hash_of(dv_hash *h, const char *s)
{
	dv_hash_buffer(h, s, strlen(s));
}

/* Write a pack of `texts` (in memory) and return its index in `index`. */
static void write_pack(dv_pack_writer *w, const char *const *texts, size_t n)
{
	CHECK_OK(dv_pack_writer_open(w, test_tmpdir()));
	for (size_t i = 0; i < n; i++) {
		dv_hash h;
		hash_of(&h, texts[i]);
		CHECK_OK(dv_pack_writer_add(w, &h, i == n - 1, texts[i], strlen(texts[i])));
	}
	CHECK_OK(dv_pack_writer_finish(w));
}

TEST(index_round_trip_and_lookup)
{
	static const char *const texts[] = { "alpha\n", "beta beta\n", "gamma\n", "a manifest\n" };
	dv_pack_writer w;
	dv_pack_set set;
	dv_hash h;
	const dv_pack_entry *e;
	char buf[64];

	write_pack(&w, texts, 4);
	CHECK_INT(w.size, DV_PACK_MAGIC_LEN + 6 + 10 + 6 + 11);
	dv_pack_set_init(&set);
	CHECK_OK(dv_pack_set_add_index(&set, w.index.ptr, w.index.len, w.name, "test"));
	dv_pack_set_sort(&set);
	CHECK_INT(set.entries.n, 4);
	CHECK_INT(dv_pack_set_pack(&set, 0)->payload, 33);
	for (size_t i = 0; i < 4; i++) {
		hash_of(&h, texts[i]);
		e = dv_pack_set_find(&set, &h, i == 3);
		CHECK(e != NULL);
		if (!e)
			continue;
		CHECK_INT(e->length, strlen(texts[i]));
		CHECK(pread(w.fd, buf, e->length, (off_t)e->offset) == (ssize_t)e->length);
		CHECK(memcmp(buf, texts[i], e->length) == 0);
		/* The manifest flag is part of the name. */
		CHECK(dv_pack_set_find(&set, &h, i != 3) == NULL);
	}
	dv_pack_set_free(&set);
	dv_pack_writer_free(&w);
}

TEST(same_objects_same_name_other_objects_other_name)
{
	static const char *const a[] = { "one\n", "two\n" }, *const b[] = { "one\n", "three\n" };
	dv_pack_writer w1, w2, w3;

	write_pack(&w1, a, 2);
	write_pack(&w2, a, 2);
	write_pack(&w3, b, 2);
	CHECK_STR(w1.name, w2.name);
	CHECK(strcmp(w1.name, w3.name) != 0);
	CHECK(w1.index.len == w2.index.len && memcmp(w1.index.ptr, w2.index.ptr, w1.index.len) == 0);
	dv_pack_writer_free(&w1);
	dv_pack_writer_free(&w2);
	dv_pack_writer_free(&w3);
}

TEST(damaged_indexes_are_refused)
{
	static const char *const texts[] = { "one\n", "two\n", "three\n" };
	dv_pack_writer w;
	dv_pack_set set;
	dv_buf bad = DV_BUF_INIT;
	char other[DV_HASH_HEXLEN + 1];

	write_pack(&w, texts, 3);
	dv_pack_set_init(&set);
	/* One changed byte: the checksum line no longer matches. */
	dv_buf_add(&bad, w.index.ptr, w.index.len);
	bad.ptr[strlen("dv-pack-index 1\npack ") + DV_HASH_HEXLEN + 2] ^= 1;
	CHECK_FAILS(dv_pack_set_add_index(&set, bad.ptr, bad.len, w.name, "'x.idx'"), "checksum");
	/* Truncated. */
	CHECK_FAILS(dv_pack_set_add_index(&set, w.index.ptr, w.index.len / 2, w.name, "'x.idx'"), "x.idx");
	/* Sound, but for another pack. */
	memcpy(other, w.name, sizeof(other));
	other[0] = other[0] == 'a' ? 'b' : 'a';
	CHECK_FAILS(dv_pack_set_add_index(&set, w.index.ptr, w.index.len, other, "'x.idx'"), "another pack");
	CHECK_INT(set.entries.n, 0);
	CHECK_INT(set.packs.n, 0);
	dv_buf_free(&bad);
	dv_pack_set_free(&set);
	dv_pack_writer_free(&w);
}

TEST(corrupt_source_is_not_packed)
{
	dv_pack_writer w;
	dv_hash h, got, other;
	char path[4200];
	uint64_t size;

	CHECK_OK(dv_pack_writer_open(&w, test_tmpdir()));
	hash_of(&h, "expected bytes\n");
	CHECK_FAILS(dv_pack_writer_add(&w, &h, false, "other bytes\n", 12), "corrupt");
	snprintf(path, sizeof(path), "%s/source", test_tmpdir());
	CHECK_OK(dv_write_file_atomic(path, "other bytes\n", 12, 0644));
	CHECK(dv_pack_writer_add_file(&w, &got, &h, false, path) == DV_ECORRUPT);
	hash_of(&other, "other bytes\n");
	CHECK(dv_hash_equal(&got, &other)); /* what the caller names */
	size = w.size;
	CHECK_INT(size, DV_PACK_MAGIC_LEN);
	CHECK_OK(dv_write_file_atomic(path, "expected bytes\n", 15, 0644));
	CHECK_OK(dv_pack_writer_add_file(&w, NULL, &h, false, path));
	CHECK_INT(w.entries.n, 1);
	CHECK_INT(w.size, DV_PACK_MAGIC_LEN + 15);
	dv_pack_writer_free(&w);
}

TEST(ranges_coalesce_near_objects_only)
{
	dv_pack_want wants[5];
	dv_vec ranges = DV_VEC_INIT(dv_pack_range);
	const dv_pack_range *r;

	memset(wants, 0, sizeof(wants));
	/* Pack 0: 100..200, 250..300 (gap 50), 10000..10100 (far); pack 1: 8..18;
	 * and one larger than max_len. */
	wants[0].e = (dv_pack_entry){ .pack = 0, .offset = 10000, .length = 100 };
	wants[1].e = (dv_pack_entry){ .pack = 0, .offset = 100, .length = 100 };
	wants[2].e = (dv_pack_entry){ .pack = 1, .offset = 8, .length = 10 };
	wants[3].e = (dv_pack_entry){ .pack = 0, .offset = 250, .length = 50 };
	wants[4].e = (dv_pack_entry){ .pack = 0, .offset = 20000, .length = 5000 };
	for (size_t i = 0; i < 5; i++)
		wants[i].item = i;
	dv_pack_plan_ranges(&ranges, wants, 5, 1000, 4096);
	CHECK_INT(ranges.n, 4);
	r = dv_vec_at(&ranges, dv_pack_range, 0);
	CHECK(r->pack == 0 && r->start == 100 && r->end == 300 && r->count == 2);
	CHECK(wants[r->first].item == 1 && wants[r->first + 1].item == 3);
	r = dv_vec_at(&ranges, dv_pack_range, 1);
	CHECK(r->start == 10000 && r->end == 10100 && r->count == 1);
	r = dv_vec_at(&ranges, dv_pack_range, 2);
	CHECK(r->start == 20000 && r->end == 25000 && r->count == 1);
	r = dv_vec_at(&ranges, dv_pack_range, 3);
	CHECK(r->pack == 1 && r->start == 8 && r->end == 18);
	dv_vec_free(&ranges);
}

/* A newer dv's index or list is not "damaged" (whose fix is to delete it
 * from the remote): the error says to upgrade. */
TEST(newer_versions_ask_for_an_upgrade)
{
	static const char *const texts[] = { "one\n" };
	dv_pack_writer w;
	dv_pack_set set;
	dv_strvec names = DV_STRVEC_INIT;
	dv_buf v2 = DV_BUF_INIT;

	write_pack(&w, texts, 1);
	dv_pack_set_init(&set);
	dv_buf_puts(&v2, "dv-pack-index 2\n");
	dv_buf_add(&v2, w.index.ptr + strlen("dv-pack-index 1\n"), w.index.len - strlen("dv-pack-index 1\n"));
	CHECK_FAILS(dv_pack_set_add_index(&set, v2.ptr, v2.len, w.name, "'x.idx'"), "upgrade dv");
	CHECK(strstr(dv_error_last(), "damaged") == NULL);
	CHECK_INT(set.entries.n, 0);
	CHECK_FAILS(dv_pack_list_parse(&names, "dv-pack-list 12\n", 16, "'list'"), "a newer dv wrote it");
	/* Not a pack list at all: that is still damage. */
	CHECK_FAILS(dv_pack_list_parse(&names, "<html>\n", 7, "'list'"), "not a version 1 list");
	CHECK(strstr(dv_error_last(), "newer") == NULL);
	dv_buf_free(&v2);
	dv_strvec_free(&names);
	dv_pack_set_free(&set);
	dv_pack_writer_free(&w);
}

TEST(pack_keys)
{
	char name[DV_HASH_HEXLEN + 1];
	const char *ext;

	CHECK(dv_pack_parse_key(name, &ext, "packs/0123456789abcdef0123456789abcdef.idx"));
	CHECK_STR(ext, "idx");
	CHECK_STR(name, "0123456789abcdef0123456789abcdef");
	CHECK(!dv_pack_parse_key(name, &ext, "packs/0123456789abcdef0123456789abcdef.tmp"));
	CHECK(!dv_pack_parse_key(name, &ext, "packs/xyz.idx"));
	CHECK(!dv_pack_parse_key(name, &ext, "files/xxh128/01/23.idx"));
}

TEST_MAIN(index_round_trip_and_lookup, same_objects_same_name_other_objects_other_name,
	  damaged_indexes_are_refused, corrupt_source_is_not_packed, ranges_coalesce_near_objects_only,
	  newer_versions_ask_for_an_upgrade, pack_keys)
