/* The stat cache: hits need all five stat fields, racy entries are not
 * trusted, and the table survives a save/load round trip. */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "dv/fs.h"
#include "dv/statcache.h"
#include "test.h"

static void make_old_file(const char *path, const char *text)
{
	struct timespec ts[2];
	CHECK_OK(dv_write_file_atomic(path, text, strlen(text), 0644));
	/* Age it well past the racy window. */
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 10;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, path, ts, 0);
}

TEST(hit_after_put_and_reload)
{
	char file[4300], state[4300];
	dv_statcache *sc = NULL;
	struct stat st;
	dv_hash h, got;
	bool read_it;

	snprintf(file, sizeof(file), "%s/sc-file", test_tmpdir());
	snprintf(state, sizeof(state), "%s/state", test_tmpdir());
	make_old_file(file, "hello");
	CHECK_OK(dv_statcache_open(&sc, state));
	CHECK_OK(dv_statcache_hash_file(&h, sc, file, &st, &read_it));
	CHECK(read_it);
	CHECK_OK(dv_statcache_hash_file(&got, sc, file, NULL, &read_it));
	CHECK(!read_it);
	CHECK(dv_hash_equal(&h, &got));
	CHECK_OK(dv_statcache_save(sc));
	dv_statcache_free(sc);

	CHECK_OK(dv_statcache_open(&sc, state));
	CHECK(dv_statcache_lookup(sc, &st, &got));
	CHECK(dv_hash_equal(&h, &got));
	dv_statcache_free(sc);
}

TEST(any_stat_change_misses)
{
	char file[4300], state[4300];
	dv_statcache *sc = NULL;
	struct stat st, st2;
	dv_hash h, got;

	snprintf(file, sizeof(file), "%s/sc-change", test_tmpdir());
	snprintf(state, sizeof(state), "%s/state2", test_tmpdir());
	make_old_file(file, "aaaa");
	CHECK_OK(dv_statcache_open(&sc, state));
	CHECK_OK(dv_statcache_hash_file(&h, sc, file, &st, NULL));
	st2 = st;
	st2.st_size++;
	CHECK(!dv_statcache_lookup(sc, &st2, &got));
	st2 = st;
	st2.st_mtim.tv_nsec ^= 1;
	CHECK(!dv_statcache_lookup(sc, &st2, &got));
	st2 = st;
	st2.st_ctim.tv_sec++;
	CHECK(!dv_statcache_lookup(sc, &st2, &got));
	st2 = st;
	st2.st_ino++;
	CHECK(!dv_statcache_lookup(sc, &st2, &got));
	CHECK(dv_statcache_lookup(sc, &st, &got));
	dv_statcache_free(sc);
}

TEST(fresh_file_is_racy_and_not_trusted)
{
	char file[4300], state[4300];
	dv_statcache *sc = NULL;
	struct stat st;
	dv_hash h, got;

	snprintf(file, sizeof(file), "%s/sc-racy", test_tmpdir());
	snprintf(state, sizeof(state), "%s/state3", test_tmpdir());
	CHECK_OK(dv_write_file_atomic(file, "fresh", 5, 0644));
	{
		/* Modified "now" as far as the cache can tell, however long a
		 * loaded machine takes between this write and the hashing. */
		struct timespec times[2];
		clock_gettime(CLOCK_REALTIME, &times[0]);
		times[0].tv_sec += 10;
		times[1] = times[0];
		CHECK(utimensat(AT_FDCWD, file, times, 0) == 0);
	}
	CHECK_OK(dv_statcache_open(&sc, state));
	CHECK_OK(dv_statcache_hash_file(&h, sc, file, &st, NULL));
	/* Written this very moment: a same-tick rewrite could hide. */
	CHECK(!dv_statcache_lookup(sc, &st, &got));
	dv_statcache_free(sc);
}

TEST(made_file_is_trusted_from_the_save_on)
{
	char state[4300];
	dv_statcache *sc = NULL;
	struct stat early, late;
	dv_hash h, got;
	int64_t now = dv_now_ns();

	snprintf(state, sizeof(state), "%s/state6", test_tmpdir());
	CHECK_OK(dv_statcache_open(&sc, state));
	memset(&early, 0, sizeof(early));
	early.st_ino = 77;
	early.st_size = 5;
	/* Made early in a long checkout, and in its last moment. */
	early.st_mtim.tv_sec = (time_t)((now - 300000000) / 1000000000);
	early.st_mtim.tv_nsec = (long)((now - 300000000) % 1000000000);
	early.st_ctim = early.st_mtim;
	late = early;
	late.st_ino = 78;
	late.st_mtim.tv_sec = (time_t)(now / 1000000000);
	late.st_mtim.tv_nsec = (long)(now % 1000000000);
	late.st_ctim = late.st_mtim;
	dv_hash_buffer(&h, "hello", 5);
	dv_statcache_put_made(sc, &early, &h);
	dv_statcache_put_made(sc, &late, &h);
	/* Not trusted before the save, whatever the mtime. */
	CHECK(!dv_statcache_lookup(sc, &early, &got));
	CHECK(!dv_statcache_lookup(sc, &late, &got));
	CHECK_OK(dv_statcache_save(sc));
	CHECK(dv_statcache_lookup(sc, &early, &got));
	CHECK(dv_hash_equal(&h, &got));
	/* Within the racy window of the save: a rewrite could hide. */
	CHECK(!dv_statcache_lookup(sc, &late, &got));
	dv_statcache_free(sc);
	CHECK_OK(dv_statcache_open(&sc, state));
	CHECK(dv_statcache_lookup(sc, &early, &got));
	CHECK(!dv_statcache_lookup(sc, &late, &got));
	dv_statcache_free(sc);
}

TEST(many_entries_round_trip)
{
	char state[4300];
	dv_statcache *sc = NULL;
	struct stat st;
	dv_hash h, got;
	int64_t old = dv_now_ns() - 10LL * 1000000000;

	snprintf(state, sizeof(state), "%s/state4", test_tmpdir());
	CHECK_OK(dv_statcache_open(&sc, state));
	memset(&st, 0, sizeof(st));
	for (int i = 0; i < 5000; i++) {
		st.st_ino = (ino_t)(i + 1);
		st.st_size = i;
		st.st_mtim.tv_sec = (time_t)(old / 1000000000);
		dv_hash_buffer(&h, &i, sizeof(i));
		dv_statcache_put(sc, &st, &h);
	}
	CHECK_OK(dv_statcache_save(sc));
	dv_statcache_free(sc);
	CHECK_OK(dv_statcache_open(&sc, state));
	for (int i = 0; i < 5000; i += 7) {
		st.st_ino = (ino_t)(i + 1);
		st.st_size = i;
		dv_hash_buffer(&h, &i, sizeof(i));
		CHECK(dv_statcache_lookup(sc, &st, &got));
		CHECK(dv_hash_equal(&h, &got));
	}
	dv_statcache_free(sc);
}

TEST(garbage_state_file_is_an_empty_cache)
{
	char state[4300];
	dv_statcache *sc = NULL;
	struct stat st;
	dv_hash got;
	snprintf(state, sizeof(state), "%s/state5", test_tmpdir());
	CHECK_OK(dv_write_file_atomic(state, "not a state file", 16, 0644));
	CHECK_OK(dv_statcache_open(&sc, state));
	memset(&st, 0, sizeof(st));
	CHECK(!dv_statcache_lookup(sc, &st, &got));
	dv_statcache_free(sc);
}

/* The stat cache's one record, as the format in statcache.c's header. */
typedef struct {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns, hashed_at;
	dv_hash hash;
} raw_record;

static void fake_stat(struct stat *st, int ino, int64_t mtime_ns)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)ino;
	st->st_size = ino * 3;
	st->st_mtim.tv_sec = (time_t)(mtime_ns / 1000000000);
}

/* An older dv could save one file twice: the later record wins, and the
 * records after a dropped one move up without being lost. */
TEST(repeated_file_later_record_wins)
{
	char state[4300];
	int64_t old = dv_now_ns() - 10LL * 1000000000;
	raw_record r[4];
	dv_statcache *sc = NULL;
	struct stat st;
	dv_hash got, want[4];
	dv_buf text = DV_BUF_INIT;
	int inos[4] = { 1, 2, 1, 3 };

	snprintf(state, sizeof(state), "%s/state6", test_tmpdir());
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 4; i++) {
		fake_stat(&st, inos[i], old);
		r[i].ino = (uint64_t)inos[i];
		r[i].size = (uint64_t)st.st_size;
		r[i].mtime_ns = dv_stat_mtime_ns(&st);
		r[i].hashed_at = old + 5LL * 1000000000;
		dv_hash_buffer(&want[i], &i, sizeof(i));
		r[i].hash = want[i];
	}
	dv_buf_add(&text, "DVSTATE1", 8);
	dv_buf_add(&text, r, sizeof(r));
	CHECK_OK(dv_write_file_atomic(state, text.ptr, text.len, 0644));
	for (int round = 0; round < 2; round++) {
		CHECK_OK(dv_statcache_open(&sc, state));
		fake_stat(&st, 1, old);
		CHECK(dv_statcache_lookup(sc, &st, &got) && dv_hash_equal(&got, &want[2]));
		fake_stat(&st, 2, old);
		CHECK(dv_statcache_lookup(sc, &st, &got) && dv_hash_equal(&got, &want[1]));
		fake_stat(&st, 3, old);
		CHECK(dv_statcache_lookup(sc, &st, &got) && dv_hash_equal(&got, &want[3]));
		/* A put makes it save: the second round reads what it wrote. */
		fake_stat(&st, 9, old);
		dv_statcache_put(sc, &st, &want[0]);
		CHECK_OK(dv_statcache_save(sc));
		dv_statcache_free(sc);
	}
	dv_buf_free(&text);
}

/* Records loaded from the file and records added in the run are kept
 * alike; changing a loaded one does not touch the file until the save
 * replaces it. */
TEST(loaded_and_added_records_saved_together)
{
	char state[4300];
	dv_statcache *sc = NULL;
	struct stat st;
	dv_hash h, got;
	dv_buf before = DV_BUF_INIT, now = DV_BUF_INIT;
	int64_t old = dv_now_ns() - 10LL * 1000000000;

	snprintf(state, sizeof(state), "%s/state7", test_tmpdir());
	CHECK_OK(dv_statcache_open(&sc, state));
	for (int i = 1; i <= 3000; i++) {
		fake_stat(&st, i, old);
		dv_hash_buffer(&h, &i, sizeof(i));
		dv_statcache_put(sc, &st, &h);
	}
	CHECK_OK(dv_statcache_save(sc));
	dv_statcache_free(sc);

	CHECK_OK(dv_read_file(&before, state));
	CHECK_OK(dv_statcache_open(&sc, state));
	for (int i = 1; i <= 6000; i++) {
		int v = i % 2 ? -i : i; /* odd loaded ones get a new hash */
		if (i <= 3000 && i % 2 == 0)
			continue;
		fake_stat(&st, i, old);
		dv_hash_buffer(&h, &v, sizeof(v));
		dv_statcache_put(sc, &st, &h);
	}
	CHECK_OK(dv_read_file(&now, state));
	CHECK(now.len == before.len && !memcmp(now.ptr, before.ptr, now.len));
	CHECK_OK(dv_statcache_save(sc));
	dv_statcache_free(sc);

	CHECK_OK(dv_statcache_open(&sc, state));
	for (int i = 1; i <= 6000; i++) {
		int v = i % 2 ? -i : i;
		fake_stat(&st, i, old);
		dv_hash_buffer(&h, &v, sizeof(v));
		CHECK(dv_statcache_lookup(sc, &st, &got));
		CHECK(dv_hash_equal(&h, &got));
	}
	dv_statcache_free(sc);
	dv_buf_free(&before);
	dv_buf_free(&now);
}

TEST_MAIN(hit_after_put_and_reload, any_stat_change_misses, fresh_file_is_racy_and_not_trusted,
	  made_file_is_trusted_from_the_save_on, many_entries_round_trip,
	  garbage_state_file_is_an_empty_cache, repeated_file_later_record_wins,
	  loaded_and_added_records_saved_together)
