/*
 * statcache.c - the stat cache in .dv/state.
 *
 * File format (host byte order; the file is a local cache, never shared):
 *     "DVSTATE1"  then records of 8 little fields:
 *     dev, ino, size, mtime_ns, ctime_ns, hashed_at_ns (u64 each), hash (16 bytes)
 * Loaded whole into an open-addressing table keyed by (dev, ino); a hit
 * needs all five stat fields equal.  `hashed_at` is when the bytes were
 * read: if the file's mtime is not at least RACY_NS older than that, a
 * write in the same timestamp tick could have gone unseen (git's "racy
 * clean"), so the entry is not trusted and the file is read again.
 *
 * A work-tree file checkout has just made from a verified object is
 * stamped when the state is saved instead: every write after the save
 * moves its mtime on, so from then on only a write by another process in
 * the very tick of dv's own write (while dv still runs) could hide, where
 * a first status would otherwise read a whole freshly pulled dataset.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/statcache.h"

#define MAGIC "DVSTATE1"
#define RACY_NS (50 * 1000000LL)
/* Entries not used in a run are dropped at save once there are more. */
#define KEEP_UNUSED_MAX 500000

typedef struct {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns, hashed_at;
	dv_hash hash;
} record;

typedef struct {
	record r;
	uint8_t used;  /* slot occupied */
	uint8_t touched; /* looked up or stored this run */
	uint8_t stamp;   /* made by dv: hashed_at is set at save */
} slot;

struct dv_statcache {
	char *path;
	slot *slots;
	size_t cap, count;
	bool dirty;
	pthread_mutex_t mu;
};

static size_t slot_of(const dv_statcache *sc, uint64_t dev, uint64_t ino)
{
	uint64_t k = ino * 0x9E3779B97F4A7C15ull ^ dev * 0xC2B2AE3D27D4EB4Full;
	k ^= k >> 29;
	return (size_t)k & (sc->cap - 1);
}

static void table_grow(dv_statcache *sc);

static slot *find_slot(dv_statcache *sc, uint64_t dev, uint64_t ino, bool insert)
{
	size_t i;
	if (insert && (sc->count + 1) * 4 > sc->cap * 3)
		table_grow(sc);
	for (i = slot_of(sc, dev, ino);; i = (i + 1) & (sc->cap - 1)) {
		slot *s = &sc->slots[i];
		if (!s->used)
			return insert ? s : NULL;
		if (s->r.dev == dev && s->r.ino == ino)
			return s;
	}
}

static void table_grow(dv_statcache *sc)
{
	slot *old = sc->slots;
	size_t oldcap = sc->cap;
	sc->cap = oldcap ? oldcap * 2 : 1024;
	sc->slots = dv_calloc(sc->cap, sizeof(slot));
	sc->count = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].used) {
			slot *s = find_slot(sc, old[i].r.dev, old[i].r.ino, false);
			if (!s) {
				size_t j = slot_of(sc, old[i].r.dev, old[i].r.ino);
				while (sc->slots[j].used)
					j = (j + 1) & (sc->cap - 1);
				s = &sc->slots[j];
			}
			*s = old[i];
			sc->count++;
		}
	}
	free(old);
}

int dv_statcache_open(dv_statcache **out, const char *path)
{
	dv_statcache *sc = dv_calloc(1, sizeof(*sc));
	dv_buf data = DV_BUF_INIT;

	sc->path = dv_strdup(path);
	pthread_mutex_init(&sc->mu, NULL);
	sc->cap = 1024;
	sc->slots = dv_calloc(sc->cap, sizeof(slot));
	/* A missing, unreadable or foreign file is just an empty cache: it
	 * only ever saves work, so it must never fail a command. */
	if (dv_read_file(&data, path) == 0 && data.len >= 8 && !memcmp(data.ptr, MAGIC, 8)) {
		size_t n = (data.len - 8) / sizeof(record);
		const char *p = data.ptr + 8;
		while (sc->cap * 3 < n * 4 + 4)
			table_grow(sc);
		for (size_t i = 0; i < n; i++) {
			record r;
			slot *s;
			memcpy(&r, p + i * sizeof(record), sizeof(record));
			s = find_slot(sc, r.dev, r.ino, true);
			if (!s->used)
				sc->count++;
			s->r = r;
			s->used = 1;
		}
	}
	dv_error_clear();
	dv_buf_free(&data);
	*out = sc;
	return 0;
}

bool dv_statcache_lookup(dv_statcache *sc, const struct stat *st, dv_hash *out)
{
	bool hit = false;
	slot *s;

	pthread_mutex_lock(&sc->mu);
	s = find_slot(sc, (uint64_t)st->st_dev, (uint64_t)st->st_ino, false);
	if (s && s->r.size == (uint64_t)st->st_size && s->r.mtime_ns == dv_stat_mtime_ns(st) &&
	    s->r.ctime_ns == dv_stat_ctime_ns(st) && s->r.mtime_ns + RACY_NS < s->r.hashed_at) {
		*out = s->r.hash;
		s->touched = 1;
		hit = true;
	}
	pthread_mutex_unlock(&sc->mu);
	return hit;
}

enum put_kind { PUT_READ, PUT_WRITTEN, PUT_MADE };

static void put_record(dv_statcache *sc, const struct stat *st, const dv_hash *h, enum put_kind kind)
{
	slot *s;
	record r = {
		.dev = (uint64_t)st->st_dev,
		.ino = (uint64_t)st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_ns = dv_stat_mtime_ns(st),
		.ctime_ns = dv_stat_ctime_ns(st),
		.hashed_at = dv_now_ns(),
		.hash = *h,
	};

	/* Nothing but dv wrote these bytes, so no write can hide in the
	 * timestamp tick: trusted from the start. */
	if (kind == PUT_WRITTEN && r.hashed_at <= r.mtime_ns + RACY_NS)
		r.hashed_at = r.mtime_ns + RACY_NS + 1;
	else if (kind == PUT_MADE)
		r.hashed_at = r.mtime_ns; /* racy until the save stamps it */

	pthread_mutex_lock(&sc->mu);
	s = find_slot(sc, r.dev, r.ino, true);
	if (!s->used) {
		s->used = 1;
		sc->count++;
	} else if (!memcmp(&s->r, &r, offsetof(record, hashed_at)) && dv_hash_equal(&s->r.hash, h) &&
		   s->r.mtime_ns + RACY_NS < s->r.hashed_at) {
		/* Same trusted entry: nothing to write back. */
		s->touched = 1;
		pthread_mutex_unlock(&sc->mu);
		return;
	}
	s->r = r;
	s->touched = 1;
	s->stamp = kind == PUT_MADE;
	sc->dirty = true;
	pthread_mutex_unlock(&sc->mu);
}

void dv_statcache_put(dv_statcache *sc, const struct stat *st, const dv_hash *h)
{
	put_record(sc, st, h, PUT_READ);
}

void dv_statcache_put_written(dv_statcache *sc, const struct stat *st, const dv_hash *h)
{
	put_record(sc, st, h, PUT_WRITTEN);
}

void dv_statcache_put_made(dv_statcache *sc, const struct stat *st, const dv_hash *h)
{
	put_record(sc, st, h, PUT_MADE);
}

int dv_statcache_save(dv_statcache *sc)
{
	dv_buf out = DV_BUF_INIT;
	const char *delay;
	int64_t now;
	bool prune;
	int rc;

	if (!sc || !sc->dirty)
		return 0;
	prune = sc->count > KEEP_UNUSED_MAX;
	dv_buf_grow(&out, 8 + sc->count * sizeof(record));
	dv_buf_add(&out, MAGIC, 8);
	/* Test hook: a save that comes this long after the writes. */
	if ((delay = getenv("DV_TEST_STATE_SAVE_DELAY_MS")) != NULL)
		usleep((useconds_t)atoi(delay) * 1000);
	now = dv_now_ns();
	for (size_t i = 0; i < sc->cap; i++) {
		slot *s = &sc->slots[i];
		if (s->used && s->stamp) {
			s->r.hashed_at = now;
			s->stamp = 0;
		}
		if (s->used && (!prune || s->touched))
			dv_buf_add(&out, &s->r, sizeof(record));
	}
	/* Not fsynced: a state lost or left stale by a crash holds only facts
	 * that were true of some file once, each checked against its stat. */
	rc = dv_write_file_atomic_nosync(sc->path, out.ptr, out.len, 0644);
	if (rc == 0)
		sc->dirty = false;
	dv_buf_free(&out);
	return rc;
}

void dv_statcache_free(dv_statcache *sc)
{
	if (!sc)
		return;
	pthread_mutex_destroy(&sc->mu);
	free(sc->slots);
	free(sc->path);
	free(sc);
}

int dv_statcache_hash_file(dv_hash *out, dv_statcache *sc, const char *path,
			   struct stat *st_out, bool *read_it)
{
	struct stat st, after;
	uint64_t size;
	int fd, rc;

	if (read_it)
		*read_it = false;
	if (stat(path, &st) < 0)
		return dv_error_errno(errno == ENOENT ? DV_ENOTFOUND : DV_ERROR, "cannot read '%s'", path);
	if (st_out)
		*st_out = st;
	if (sc && dv_statcache_lookup(sc, &st, out))
		return 0;
	fd = dv_open_read(path);
	if (fd < 0)
		return dv_error_errno(errno == ENOENT ? DV_ENOTFOUND : DV_ERROR, "cannot read '%s'", path);
	rc = dv_hash_fd(out, &size, fd, path);
	if (rc == 0 && read_it)
		*read_it = true;
	/* Only remember the hash if the file did not change while read. */
	if (rc == 0 && sc && fstat(fd, &after) == 0 && after.st_size == st.st_size &&
	    dv_stat_mtime_ns(&after) == dv_stat_mtime_ns(&st) && (uint64_t)after.st_size == size)
		dv_statcache_put(sc, &after, out);
	close(fd);
	return rc;
}

int dv_statcache_hash_stat(dv_hash *out, dv_statcache *sc, const char *path, const struct stat *st,
			   bool *read_it)
{
	if (read_it)
		*read_it = false;
	if (sc && dv_statcache_lookup(sc, st, out))
		return 0;
	return dv_statcache_hash_file(out, sc, path, NULL, read_it);
}
