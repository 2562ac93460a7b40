/* Hashing: vectors checked against `xxhsum -H2` and the .stage text form. */
#include <fcntl.h>
#include <sys/stat.h>

#include "dv/fs.h"
#include "dv/hash.h"
#include "test.h"

/* Hash `data` with the xxhsum command and with dv; they must agree. */
static void check_against_xxhsum(const void *data, size_t len)
{
	char path[4200], cmd[4300], want[64] = "";
	char got[DV_HASH_HEXLEN + 1];
	dv_hash h, hf;
	uint64_t size = 0;
	FILE *p;

	snprintf(path, sizeof(path), "%s/vec-%zu", test_tmpdir(), len);
	CHECK_OK(dv_write_file_atomic(path, data, len, 0644));
	snprintf(cmd, sizeof(cmd), "xxhsum -H2 '%s'", path);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK(fscanf(p, "%63s", want) == 1);
	pclose(p);

	dv_hash_buffer(&h, data, len);
	dv_hash_to_hex(got, &h);
	CHECK_STR(got, want);
	CHECK_OK(dv_hash_file(&hf, &size, path));
	CHECK(dv_hash_equal(&h, &hf));
	CHECK_INT(size, len);
}

TEST(empty_and_small_vectors)
{
	check_against_xxhsum("", 0);
	check_against_xxhsum("a", 1);
	check_against_xxhsum("hello world\n", 12);
}

TEST(vectors_across_chunk_boundaries)
{
	/* Sizes around XXH3's internal block and dv's 1 MiB read chunk. */
	size_t sizes[] = { 240, 1024, 65536, DV_IO_CHUNK - 1, DV_IO_CHUNK, DV_IO_CHUNK + 1, 3 * DV_IO_CHUNK + 17 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *buf = malloc(sizes[i]);
		for (size_t j = 0; j < sizes[i]; j++)
			buf[j] = (unsigned char)(j * 2654435761u >> 13);
		check_against_xxhsum(buf, sizes[i]);
		free(buf);
	}
}

TEST(streaming_equals_one_shot)
{
	const char text[] = "the quick brown fox jumps over the lazy dog";
	dv_hash a, b;
	dv_hasher *hs = dv_hasher_new();
	for (size_t i = 0; i < sizeof(text) - 1; i += 5)
		dv_hasher_update(hs, text + i, i + 5 < sizeof(text) - 1 ? 5 : sizeof(text) - 1 - i);
	dv_hasher_final(&a, hs);
	dv_hasher_free(hs);
	dv_hash_buffer(&b, text, sizeof(text) - 1);
	CHECK(dv_hash_equal(&a, &b));
}

TEST(text_form_round_trip)
{
	dv_hash h, back;
	bool is_dir = true;
	char text[64];

	dv_hash_buffer(&h, "x", 1);
	dv_hash_format(text, sizeof(text), &h, false);
	CHECK(!strncmp(text, "xxh128:", 7));
	CHECK_INT(strlen(text), 7 + 32);
	CHECK_OK(dv_hash_parse(&back, &is_dir, text));
	CHECK(!is_dir);
	CHECK(dv_hash_equal(&h, &back));

	dv_hash_format(text, sizeof(text), &h, true);
	CHECK_OK(dv_hash_parse(&back, &is_dir, text));
	CHECK(is_dir);
	CHECK(dv_hash_equal(&h, &back));
}

TEST(bad_text_forms_are_refused)
{
	dv_hash h;
	bool d;
	CHECK_FAILS(dv_hash_parse(&h, &d, "md5:d41d8cd98f00b204e9800998ecf8427e"), "xxh128:");
	CHECK_FAILS(dv_hash_parse(&h, &d, "xxh128:abc"), "hex digits");
	CHECK_FAILS(dv_hash_parse(&h, &d, "xxh128:D41D8CD98F00B204E9800998ECF8427E"), "lowercase");
	CHECK_FAILS(dv_hash_parse(&h, &d, "xxh128:d41d8cd98f00b204e9800998ecf8427e.txt"), "hex digits");
}

TEST(missing_file_names_the_path)
{
	dv_hash h;
	CHECK_FAILS(dv_hash_file(&h, NULL, "/nonexistent/dv-test-file"), "'/nonexistent/dv-test-file'");
}

TEST_MAIN(empty_and_small_vectors, vectors_across_chunk_boundaries, streaming_equals_one_shot,
	  text_form_round_trip, bad_text_forms_are_refused, missing_file_names_the_path)
