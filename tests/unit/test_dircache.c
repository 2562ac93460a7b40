/* The directory listings: a listing comes back only under the same
 * directory stat and when it was taken clearly after the directory's last
 * change; listings survive a save and reload; a damaged file or entry is
 * never taken for a listing. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <unistd.h>

#include "dv/dircache.h"
#include "dv/fs.h"
#include "test.h"

#define SEC 1000000000LL

static void fake_dir(struct stat *st, unsigned ino, int64_t mtime_ns)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 7;
	st->st_ino = ino;
	st->st_mode = S_IFDIR | 0755;
	st->st_mtim.tv_sec = mtime_ns / SEC;
	st->st_mtim.tv_nsec = mtime_ns % SEC;
	st->st_ctim = st->st_mtim;
}

static void path_in_tmp(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", test_tmpdir(), name);
}

TEST(listing_round_trip_through_save)
{
	char path[4300];
	dv_dircache *dc = NULL;
	dv_buf l = DV_BUF_INIT;
	struct stat st;
	const char *got;
	size_t len, pos = 0;
	dv_dircache_entry e;
	int64_t t = 1000 * SEC;

	path_in_tmp(path, sizeof(path), "dirs-round");
	dv_dircache_add(&l, DT_REG, "a.txt", NULL);
	dv_dircache_add(&l, DT_DIR, "sub", NULL);
	dv_dircache_add(&l, DT_LNK, "link", "../.dv/o/ab/0123");
	dv_dircache_add(&l, DT_LNK, "unread", NULL);
	fake_dir(&st, 42, t);
	CHECK_OK(dv_dircache_open(&dc, path));
	dv_dircache_put(dc, &st, t + SEC, l.ptr, l.len);
	CHECK_OK(dv_dircache_save(dc));
	dv_dircache_free(dc);

	CHECK_OK(dv_dircache_open(&dc, path));
	CHECK(dv_dircache_lookup(dc, &st, &got, &len));
	CHECK(len == l.len && !memcmp(got, l.ptr, len));
	CHECK(dv_dircache_next(got, len, &pos, &e) && e.type == DT_REG && !strcmp(e.name, "a.txt") && !e.target);
	CHECK(dv_dircache_next(got, len, &pos, &e) && e.type == DT_DIR && !strcmp(e.name, "sub"));
	CHECK(dv_dircache_next(got, len, &pos, &e) && e.type == DT_LNK && !strcmp(e.target, "../.dv/o/ab/0123"));
	CHECK(dv_dircache_next(got, len, &pos, &e) && e.type == DT_LNK && !e.target);
	CHECK(pos == len && !dv_dircache_next(got, len, &pos, &e));
	dv_dircache_free(dc);
	dv_buf_free(&l);
}

TEST(changed_or_racy_directory_misses)
{
	char path[4300];
	dv_dircache *dc = NULL;
	dv_buf l = DV_BUF_INIT;
	struct stat st, other;
	const char *got;
	size_t len;
	int64_t t = 2000 * SEC;

	path_in_tmp(path, sizeof(path), "dirs-racy");
	dv_dircache_add(&l, DT_REG, "x", NULL);
	CHECK_OK(dv_dircache_open(&dc, path));
	/* Listed 10 ms after the directory's change: in its tick, maybe. */
	fake_dir(&st, 1, t);
	dv_dircache_put(dc, &st, t + 10000000, l.ptr, l.len);
	CHECK(!dv_dircache_lookup(dc, &st, &got, &len));
	/* Listed a second after: trusted, but only under the same stat. */
	fake_dir(&st, 2, t);
	dv_dircache_put(dc, &st, t + SEC, l.ptr, l.len);
	CHECK(dv_dircache_lookup(dc, &st, &got, &len));
	other = st;
	other.st_mtim.tv_nsec++;
	CHECK(!dv_dircache_lookup(dc, &other, &got, &len));
	other = st;
	other.st_ctim.tv_sec++;
	CHECK(!dv_dircache_lookup(dc, &other, &got, &len));
	other = st;
	other.st_dev++;
	CHECK(!dv_dircache_lookup(dc, &other, &got, &len));
	/* Times at the ends of the range (a crafted file's) are compared
	 * without overflow: not trusted, never undefined. */
	fake_dir(&st, 3, INT64_MAX);
	dv_dircache_put(dc, &st, INT64_MIN, l.ptr, l.len);
	CHECK(!dv_dircache_lookup(dc, &st, &got, &len));
	fake_dir(&st, 4, INT64_MIN + 1);
	dv_dircache_put(dc, &st, INT64_MAX, l.ptr, l.len);
	CHECK(dv_dircache_lookup(dc, &st, &got, &len));
	/* A newer listing of the same directory replaces the old one. */
	fake_dir(&st, 2, t + 5 * SEC);
	dv_dircache_put(dc, &st, t + 6 * SEC, "", 0);
	CHECK(dv_dircache_lookup(dc, &st, &got, &len) && len == 0);
	fake_dir(&other, 2, t);
	CHECK(!dv_dircache_lookup(dc, &other, &got, &len));
	dv_dircache_free(dc);
	dv_buf_free(&l);
}

TEST(many_directories_round_trip)
{
	char path[4300], name[32];
	dv_dircache *dc = NULL;
	dv_buf l = DV_BUF_INIT;
	struct stat st;
	const char *got;
	size_t len, pos;
	dv_dircache_entry e;

	path_in_tmp(path, sizeof(path), "dirs-many");
	CHECK_OK(dv_dircache_open(&dc, path));
	for (unsigned i = 1; i <= 3000; i++) {
		dv_buf_reset(&l);
		snprintf(name, sizeof(name), "file%u", i);
		dv_dircache_add(&l, DT_REG, name, NULL);
		fake_dir(&st, i, 100 * SEC);
		dv_dircache_put(dc, &st, 200 * SEC, l.ptr, l.len);
	}
	CHECK_OK(dv_dircache_save(dc));
	dv_dircache_free(dc);
	CHECK_OK(dv_dircache_open(&dc, path));
	for (unsigned i = 1; i <= 3000; i++) {
		snprintf(name, sizeof(name), "file%u", i);
		fake_dir(&st, i, 100 * SEC);
		pos = 0;
		CHECK(dv_dircache_lookup(dc, &st, &got, &len));
		CHECK(dv_dircache_next(got, len, &pos, &e) && !strcmp(e.name, name));
	}
	dv_dircache_free(dc);
	dv_buf_free(&l);
}

TEST(damaged_file_is_an_empty_cache)
{
	char path[4300];
	dv_dircache *dc = NULL;
	dv_buf l = DV_BUF_INIT, file = DV_BUF_INIT;
	struct stat st;
	const char *got;
	size_t len;

	path_in_tmp(path, sizeof(path), "dirs-damaged");
	dv_dircache_add(&l, DT_REG, "x", NULL);
	fake_dir(&st, 9, 10 * SEC);
	CHECK_OK(dv_dircache_open(&dc, path));
	dv_dircache_put(dc, &st, 20 * SEC, l.ptr, l.len);
	CHECK_OK(dv_dircache_save(dc));
	dv_dircache_free(dc);
	CHECK_OK(dv_read_file(&file, path));

	/* Cut inside the record: its entries would run past the end. */
	CHECK_OK(dv_write_file_atomic(path, file.ptr, file.len - 8, 0644));
	CHECK_OK(dv_dircache_open(&dc, path));
	CHECK(!dv_dircache_lookup(dc, &st, &got, &len));
	dv_dircache_free(dc);
	/* A length that claims more than the file holds. */
	((uint32_t *)(file.ptr + 8 + 40))[0] = 0xffffffffu;
	CHECK_OK(dv_write_file_atomic(path, file.ptr, file.len, 0644));
	CHECK_OK(dv_dircache_open(&dc, path));
	CHECK(!dv_dircache_lookup(dc, &st, &got, &len));
	dv_dircache_free(dc);
	/* Another file format altogether. */
	CHECK_OK(dv_write_file_atomic(path, "DVSTATE1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 64, 0644));
	CHECK_OK(dv_dircache_open(&dc, path));
	CHECK(!dv_dircache_lookup(dc, &st, &got, &len));
	dv_dircache_free(dc);
	dv_buf_free(&l);
	dv_buf_free(&file);
}

TEST(malformed_entries_are_refused)
{
	static const struct {
		const char *bytes;
		size_t len;
	} bad[] = {
		{ "\x08\x00", 2 },                 /* no name */
		{ "\x08\x00" "abc", 5 },           /* name without its NUL */
		{ "\x08\x00" "a/b\0", 6 },         /* a slash in a name */
		{ "\x08\x00" "..\0", 5 },          /* a parent */
		{ "\x08\x00" "\0", 3 },            /* an empty name */
		{ "\x08\x02" "a\0", 4 },           /* has_target neither 0 nor 1 */
		{ "\x08\x01" "a\0t\0", 6 },        /* a target on a regular file */
		{ "\x0a\x01" "a\0tt", 6 },         /* a target without its NUL */
		{ "\x0a\x01" "a\0\0", 5 },         /* an empty target */
	};
	dv_dircache_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t pos = 0;
		CHECK(!dv_dircache_next(bad[i].bytes, bad[i].len, &pos, &e));
	}
}

TEST_MAIN(listing_round_trip_through_save, changed_or_racy_directory_misses, many_directories_round_trip,
	  damaged_file_is_an_empty_cache, malformed_entries_are_refused)
