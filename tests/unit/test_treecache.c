/* The walked directories' hashes: a recorded digest answers after a save
 * and a reload, the last record for a digest wins, the least recently
 * used records go first past the bound, and a damaged, torn or unsorted
 * file is an empty cache. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dv/fs.h"
#include "dv/treecache.h"
#include "test.h"

static void path_in_tmp(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", test_tmpdir(), name);
}

static dv_hash num_hash(unsigned n, unsigned salt)
{
	char text[64];
	dv_hash h;
	snprintf(text, sizeof(text), "%u/%u", n, salt);
	dv_hash_buffer(&h, text, strlen(text));
	return h;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

TEST(records_survive_save_and_reload)
{
	char path[4300];
	dv_treecache *tc = NULL;
	dv_hash got;

	path_in_tmp(path, sizeof(path), "trees-round");
	CHECK_OK(dv_treecache_open(&tc, path));
	for (unsigned i = 0; i < 100; i++) {
		dv_hash d = num_hash(i, 0), h = num_hash(i, 1);
		dv_treecache_put(tc, &d, &h);
	}
	/* Known in the same run, before any save. */
	{
		dv_hash d = num_hash(7, 0), want = num_hash(7, 1);
		CHECK(dv_treecache_lookup(tc, &d, &got) && dv_hash_equal(&got, &want));
	}
	CHECK_OK(dv_treecache_save(tc));
	dv_treecache_free(tc);
	CHECK_INT(file_size(path), 8 + 100 * 40);
	CHECK_OK(dv_treecache_open(&tc, path));
	for (unsigned i = 0; i < 100; i++) {
		dv_hash d = num_hash(i, 0), want = num_hash(i, 1);
		CHECK(dv_treecache_lookup(tc, &d, &got));
		CHECK(dv_hash_equal(&got, &want));
	}
	{
		dv_hash d = num_hash(1000, 0);
		CHECK(!dv_treecache_lookup(tc, &d, &got));
	}
	/* Nothing new: no rewrite (the file keeps its inode). */
	{
		struct stat a, b;
		CHECK(stat(path, &a) == 0);
		CHECK_OK(dv_treecache_save(tc));
		CHECK(stat(path, &b) == 0 && a.st_ino == b.st_ino);
	}
	dv_treecache_free(tc);
}

TEST(a_later_record_for_a_digest_wins)
{
	char path[4300];
	dv_treecache *tc = NULL;
	dv_hash d = num_hash(1, 0), h1 = num_hash(1, 1), h2 = num_hash(1, 2), got;

	path_in_tmp(path, sizeof(path), "trees-later");
	CHECK_OK(dv_treecache_open(&tc, path));
	dv_treecache_put(tc, &d, &h1);
	CHECK_OK(dv_treecache_save(tc));
	dv_treecache_free(tc);
	CHECK_OK(dv_treecache_open(&tc, path));
	dv_treecache_put(tc, &d, &h2);
	CHECK_OK(dv_treecache_save(tc));
	dv_treecache_free(tc);
	CHECK_INT(file_size(path), 8 + 40);
	CHECK_OK(dv_treecache_open(&tc, path));
	CHECK(dv_treecache_lookup(tc, &d, &got) && dv_hash_equal(&got, &h2));
	dv_treecache_free(tc);
}

/* Records as the file holds them (treecache.c's format). */
typedef struct {
	dv_hash digest, hash;
	uint64_t used_s;
} file_rec;

static int cmp_rec(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(dv_hash));
}

TEST(the_least_recently_used_go_past_the_bound)
{
	enum { N = 8192 + 100 };
	static file_rec recs[N];
	char path[4300];
	dv_treecache *tc = NULL;
	dv_hash got;
	FILE *f;
	uint64_t now = (uint64_t)time(NULL);

	path_in_tmp(path, sizeof(path), "trees-bound");
	/* Records 0..99 are ten days old, the rest an hour. */
	for (unsigned i = 0; i < N; i++)
		recs[i] = (file_rec){ num_hash(i, 0), num_hash(i, 1), i < 100 ? now - 864000 : now - 3600 };
	qsort(recs, N, sizeof(file_rec), cmp_rec);
	CHECK((f = fopen(path, "wb")) != NULL);
	fwrite("DVTREES1", 1, 8, f);
	fwrite(recs, sizeof(file_rec), N, f);
	fclose(f);
	CHECK_OK(dv_treecache_open(&tc, path));
	for (unsigned i = 0; i < N; i++) {
		dv_hash d = num_hash(i, 0);
		CHECK(dv_treecache_lookup(tc, &d, &got));
	}
	dv_treecache_free(tc); /* not saved: nothing changes */
	CHECK_OK(dv_treecache_open(&tc, path));
	/* Used now: record 5 is young again; one new record besides. */
	{
		dv_hash d = num_hash(N, 0), h = num_hash(N, 1);
		dv_treecache_put(tc, &d, &h);
		d = num_hash(5, 0);
		CHECK(dv_treecache_lookup(tc, &d, &got));
	}
	CHECK_OK(dv_treecache_save(tc));
	dv_treecache_free(tc);
	CHECK_INT(file_size(path), 8 + 8192 * 40);
	CHECK_OK(dv_treecache_open(&tc, path));
	{
		unsigned old_kept = 0;
		for (unsigned i = 0; i < 100; i++) {
			dv_hash d = num_hash(i, 0);
			old_kept += dv_treecache_lookup(tc, &d, &got);
		}
		/* 8,192 places for the new record, record 5 and the 8,192
		 * an hour old: of the ten-day-old ones only 5 is left. */
		CHECK_INT(old_kept, 1);
		dv_hash d = num_hash(5, 0);
		CHECK(dv_treecache_lookup(tc, &d, &got));
		d = num_hash(N, 0);
		CHECK(dv_treecache_lookup(tc, &d, &got));
	}
	dv_treecache_free(tc);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(data, 1, len, f) == len);
	fclose(f);
}

TEST(damaged_file_is_an_empty_cache)
{
	char path[4300];
	dv_treecache *tc = NULL;
	file_rec two[2];
	char buf[8 + sizeof(two) + 3];
	dv_hash got;

	path_in_tmp(path, sizeof(path), "trees-damaged");
	two[0] = (file_rec){ num_hash(1, 0), num_hash(1, 1), 0 };
	two[1] = (file_rec){ num_hash(2, 0), num_hash(2, 1), 0 };
	qsort(two, 2, sizeof(file_rec), cmp_rec);
	memcpy(buf, "DVTREES1", 8);
	memcpy(buf + 8, two, sizeof(two));
	/* Whole: both found. */
	write_file(path, buf, 8 + sizeof(two));
	CHECK_OK(dv_treecache_open(&tc, path));
	CHECK(dv_treecache_lookup(tc, &two[0].digest, &got) && dv_treecache_lookup(tc, &two[1].digest, &got));
	dv_treecache_free(tc);
	/* Torn (not a whole number of records), foreign, unsorted, empty. */
	write_file(path, buf, 8 + sizeof(two) + 3);
	CHECK_OK(dv_treecache_open(&tc, path));
	CHECK(!dv_treecache_lookup(tc, &two[0].digest, &got));
	dv_treecache_free(tc);
	memcpy(buf, "DVSTATE1", 8);
	write_file(path, buf, 8 + sizeof(two));
	CHECK_OK(dv_treecache_open(&tc, path));
	CHECK(!dv_treecache_lookup(tc, &two[0].digest, &got));
	dv_treecache_free(tc);
	memcpy(buf, "DVTREES1", 8);
	memcpy(buf + 8, &two[1], sizeof(file_rec));
	memcpy(buf + 8 + sizeof(file_rec), &two[0], sizeof(file_rec));
	write_file(path, buf, 8 + sizeof(two));
	CHECK_OK(dv_treecache_open(&tc, path));
	CHECK(!dv_treecache_lookup(tc, &two[0].digest, &got) && !dv_treecache_lookup(tc, &two[1].digest, &got));
	dv_treecache_free(tc);
	write_file(path, "", 0);
	CHECK_OK(dv_treecache_open(&tc, path));
	CHECK(!dv_treecache_lookup(tc, &two[0].digest, &got));
	/* And it is replaced whole at the next save. */
	dv_treecache_put(tc, &two[0].digest, &two[0].hash);
	CHECK_OK(dv_treecache_save(tc));
	dv_treecache_free(tc);
	CHECK_INT(file_size(path), 8 + 40);
	unlink(path);
}

TEST_MAIN(records_survive_save_and_reload, a_later_record_for_a_digest_wins, the_least_recently_used_go_past_the_bound,
	  damaged_file_is_an_empty_cache)
