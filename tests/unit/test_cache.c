/* The object cache: layout, every link type, verification, adoption of
 * downloaded temp files. */
#include <sys/stat.h>

#include "dv/cache.h"
#include "dv/fs.h"
#include "test.h"

static dv_cache *open_cache(const char *name, const char *types)
{
	char dir[4300];
	dv_cache *c = NULL;
	snprintf(dir, sizeof(dir), "%s/%s", test_tmpdir(), name);
	CHECK_OK(dv_mkdir_p(dir, 0777));
	CHECK_OK(dv_cache_open(&c, dir, types));
	return c;
}

static void write_src(char *path, size_t n, const char *name, const char *text)
{
	snprintf(path, n, "%s/%s", test_tmpdir(), name);
	CHECK_OK(dv_write_file_atomic(path, text, strlen(text), 0644));
}

TEST(object_path_layout)
{
	dv_buf p = DV_BUF_INIT;
	dv_hash h;
	CHECK_OK(dv_hash_from_hex(&h, "6d0bb00954ceb7fbee436bb55a8397a9", 32));
	dv_cache_object_relpath(&p, &h, false);
	CHECK_STR(p.ptr, "files/xxh128/6d/0bb00954ceb7fbee436bb55a8397a9");
	dv_cache_object_relpath(&p, &h, true);
	CHECK_STR(p.ptr, "files/xxh128/6d/0bb00954ceb7fbee436bb55a8397a9.dir");
	dv_buf_free(&p);
}

TEST(parse_types)
{
	dv_link_type t[4];
	int n;
	CHECK_OK(dv_cache_parse_types(t, &n, "hardlink, symlink,copy"));
	CHECK_INT(n, 3);
	CHECK_INT(t[0], DV_LINK_HARDLINK);
	CHECK_INT(t[2], DV_LINK_COPY);
	CHECK_FAILS(dv_cache_parse_types(t, &n, "reflink,teleport"), "teleport");
}

static void add_and_link_with(const char *types)
{
	char src[4300], dest[4300], name[64];
	dv_cache *c;
	dv_hash h, expect;
	uint64_t size;
	bool linked;
	dv_buf back = DV_BUF_INIT, obj = DV_BUF_INIT;
	struct stat st;

	snprintf(name, sizeof(name), "cache-%s", types);
	c = open_cache(name, types);
	snprintf(name, sizeof(name), "src-%s", types);
	write_src(src, sizeof(src), name, "payload bytes");
	dv_hash_buffer(&expect, "payload bytes", 13);
	CHECK_OK(dv_cache_add_file(&h, &size, &linked, c, src, NULL, NULL));
	CHECK(dv_hash_equal(&h, &expect));
	CHECK_INT(size, 13);
	CHECK(dv_cache_has(c, &h, false));
	dv_cache_object_path(&obj, c, &h, false);
	CHECK_OK(stat(obj.ptr, &st) == 0 ? 0 : -1);
	CHECK_INT(st.st_mode & 0777, 0444);
	CHECK_OK(dv_cache_verify(c, &h, false));

	snprintf(dest, sizeof(dest), "%s/out-%s/file", test_tmpdir(), types);
	CHECK_OK(dv_cache_link_out(c, &h, dest, 0644, NULL, NULL));
	CHECK_OK(dv_read_file(&back, dest));
	CHECK_STR(back.ptr, "payload bytes");
	dv_buf_free(&back);
	dv_buf_free(&obj);
	dv_cache_free(c);
}

TEST(every_link_type_round_trips)
{
	add_and_link_with("copy");
	add_and_link_with("hardlink");
	add_and_link_with("symlink");
	add_and_link_with("reflink,copy");
}

TEST(corrupt_object_fails_verification)
{
	char src[4300];
	dv_cache *c = open_cache("cache-corrupt", "copy");
	dv_buf obj = DV_BUF_INIT;
	dv_hash h;
	uint64_t size;
	bool linked;

	write_src(src, sizeof(src), "src-corrupt", "good bytes");
	CHECK_OK(dv_cache_add_file(&h, &size, &linked, c, src, NULL, NULL));
	dv_cache_object_path(&obj, c, &h, false);
	chmod(obj.ptr, 0644);
	CHECK_OK(dv_write_file_atomic(obj.ptr, "evil bytes", 10, 0444));
	CHECK_FAILS(dv_cache_verify(c, &h, false), "corrupt");
	dv_buf_free(&obj);
	dv_cache_free(c);
}

TEST(adopt_checks_the_hash)
{
	dv_cache *c = open_cache("cache-adopt", NULL);
	dv_buf tmp = DV_BUF_INIT;
	dv_hash good, bad;
	int fd;

	dv_hash_buffer(&good, "remote bytes", 12);
	dv_hash_buffer(&bad, "other", 5);
	CHECK_OK(dv_cache_tmp_open(&fd, &tmp, c));
	CHECK_OK(dv_write_all(fd, "remote bytes", 12));
	close(fd);
	CHECK_FAILS(dv_cache_adopt_tmp(c, tmp.ptr, &bad, false, "remote 'r'", NULL), "remote 'r'");
	CHECK(!dv_cache_has(c, &bad, false));
	CHECK(!dv_path_exists(tmp.ptr));

	CHECK_OK(dv_cache_tmp_open(&fd, &tmp, c));
	CHECK_OK(dv_write_all(fd, "remote bytes", 12));
	close(fd);
	CHECK_OK(dv_cache_adopt_tmp(c, tmp.ptr, &good, false, "remote 'r'", NULL));
	CHECK(dv_cache_has(c, &good, false));
	dv_buf_free(&tmp);
	dv_cache_free(c);
}

TEST(manifest_buffer_is_a_dir_object)
{
	dv_cache *c = open_cache("cache-buf", NULL);
	dv_buf back = DV_BUF_INIT;
	dv_hash h;
	const char text[] = "00000000000000000000000000000000 1 644 a\n";
	CHECK_OK(dv_cache_add_buffer(&h, c, text, sizeof(text) - 1, true));
	CHECK(dv_cache_has(c, &h, true));
	CHECK(!dv_cache_has(c, &h, false));
	CHECK_OK(dv_cache_read(&back, c, &h, true));
	CHECK_STR(back.ptr, text);
	dv_buf_free(&back);
	dv_cache_free(c);
}

/* Big enough for the copy to write on its own thread (BGWRITE_MIN), and
 * not a whole number of 1 MiB chunks. */
TEST(big_copy_is_exact)
{
	dv_cache *c = open_cache("cache-big", "copy");
	size_t n = (40u << 20) + 12345;
	char *data = dv_malloc(n), src[4300];
	dv_buf obj = DV_BUF_INIT, back = DV_BUF_INIT;
	dv_hash h, expect;
	uint64_t size;
	bool linked;

	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 2654435761u >> 13);
	snprintf(src, sizeof(src), "%s/big.bin", test_tmpdir());
	CHECK_OK(dv_write_file_atomic(src, data, n, 0644));
	dv_hash_buffer(&expect, data, n);
	CHECK_OK(dv_cache_add_file(&h, &size, &linked, c, src, NULL, NULL));
	CHECK(dv_hash_equal(&h, &expect));
	CHECK_INT(size, n);
	dv_cache_object_path(&obj, c, &h, false);
	CHECK_OK(dv_read_file(&back, obj.ptr));
	CHECK_INT(back.len, n);
	CHECK(memcmp(back.ptr, data, n) == 0);
	CHECK_OK(dv_cache_verify(c, &h, false));
	free(data);
	dv_buf_free(&obj);
	dv_buf_free(&back);
	dv_cache_free(c);
}

TEST_MAIN(object_path_layout, parse_types, every_link_type_round_trips, corrupt_object_fails_verification,
	  adopt_checks_the_hash, manifest_buffer_is_a_dir_object, big_copy_is_exact)
