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

#define F_TOUCHED 1 /* looked up or stored this run */
#define F_STAMP 2   /* made by dv: hashed_at is set at save */

/*
 * The records lie dense in one array, in the file's order and then as
 * added; the table holds only their indices (+1, 0 is empty), keyed by
 * (dev, ino).  Loading 20,000 entries is then one read, one copy and
 * 20,000 four-byte inserts into a table that stays in the CPU's cache,
 * instead of scattering 72-byte slots over a table grown step by step
 * (its zeroing and page faults were most of a status's own time).
 */
struct dv_statcache {
	char *path;
	record *recs;
	uint8_t *flags;
	size_t n, alloc;
	uint32_t *table;
	size_t cap; /* a power of two, at least 4/3 of n */
	bool dirty;
	pthread_mutex_t mu;
};

static size_t slot_of(const dv_statcache *sc, uint64_t dev, uint64_t ino)
{
	uint64_t k = ino * 0x9E3779B97F4A7C15ull ^ dev * 0xC2B2AE3D27D4EB4Full;
	k ^= k >> 29;
	return (size_t)k & (sc->cap - 1);
}

/* The table slot for (dev, ino): holding its record's index + 1, or 0
 * where it would go. */
static uint32_t *find_slot(dv_statcache *sc, uint64_t dev, uint64_t ino)
{
	for (size_t i = slot_of(sc, dev, ino);; i = (i + 1) & (sc->cap - 1)) {
		uint32_t *t = &sc->table[i];
		if (*t == 0)
			return t;
		const record *r = &sc->recs[*t - 1];
		if (r->ino == ino && r->dev == dev)
			return t;
	}
}

/* Size the table for `want` records and index every record again. */
static void table_build(dv_statcache *sc, size_t want)
{
	size_t cap = 1024;
	while (cap * 3 < want * 4 + 4)
		cap *= 2;
	free(sc->table);
	sc->cap = cap;
	sc->table = dv_calloc(cap, sizeof(uint32_t));
	for (size_t i = 0; i < sc->n; i++)
		*find_slot(sc, sc->recs[i].dev, sc->recs[i].ino) = (uint32_t)i + 1;
}

/* A new record's place (the caller fills it); the table has room. */
static uint32_t *append(dv_statcache *sc, uint32_t *slot, const record *r)
{
	if (sc->n == sc->alloc) {
		sc->alloc = sc->alloc ? sc->alloc * 2 : 256;
		sc->recs = dv_realloc(sc->recs, sc->alloc * sizeof(record));
		sc->flags = dv_realloc(sc->flags, sc->alloc);
	}
	sc->recs[sc->n] = *r;
	sc->flags[sc->n] = 0;
	*slot = (uint32_t)++sc->n;
	if (sc->n * 4 > sc->cap * 3) {
		table_build(sc, sc->n * 2);
		slot = find_slot(sc, r->dev, r->ino);
	}
	return slot;
}

/* The records of the file at `path`, read straight into their array.
 * A missing, unreadable or foreign file is just an empty cache (0): it
 * only ever saves work, so it must never fail a command. */
static size_t read_records(record **out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char magic[8];
	size_t n = 0, want, got = 0;

	*out = NULL;
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || st.st_size < 8 + (off_t)sizeof(record) || read(fd, magic, 8) != 8 ||
	    memcmp(magic, MAGIC, 8))
		goto done;
	n = ((size_t)st.st_size - 8) / sizeof(record);
	want = n * sizeof(record);
	*out = dv_malloc(want);
	while (got < want) {
		ssize_t r = read(fd, (char *)*out + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	n = got / sizeof(record); /* shrunk meanwhile: what was read */
done:
	close(fd);
	return n;
}

int dv_statcache_open(dv_statcache **out, const char *path)
{
	dv_statcache *sc = dv_calloc(1, sizeof(*sc));
	size_t n = read_records(&sc->recs, path);

	sc->path = dv_strdup(path);
	pthread_mutex_init(&sc->mu, NULL);
	sc->alloc = n;
	if (n)
		sc->flags = dv_calloc(n, 1);
	table_build(sc, n);
	/* The same file twice (an older dv's save): the later record wins. */
	for (size_t i = 0; i < n; i++) {
		uint32_t *t = find_slot(sc, sc->recs[i].dev, sc->recs[i].ino);
		if (*t) {
			sc->recs[*t - 1] = sc->recs[i];
		} else {
			sc->recs[sc->n] = sc->recs[i];
			*t = (uint32_t)++sc->n;
		}
	}
	*out = sc;
	return 0;
}

bool dv_statcache_lookup(dv_statcache *sc, const struct stat *st, dv_hash *out)
{
	bool hit = false;
	uint32_t *t;

	pthread_mutex_lock(&sc->mu);
	t = find_slot(sc, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
	if (*t) {
		const record *r = &sc->recs[*t - 1];
		if (r->size == (uint64_t)st->st_size && r->mtime_ns == dv_stat_mtime_ns(st) &&
		    r->ctime_ns == dv_stat_ctime_ns(st) && r->mtime_ns + RACY_NS < r->hashed_at) {
			*out = r->hash;
			sc->flags[*t - 1] |= F_TOUCHED;
			hit = true;
		}
	}
	pthread_mutex_unlock(&sc->mu);
	return hit;
}

enum put_kind { PUT_READ, PUT_WRITTEN, PUT_MADE };

static void put_record(dv_statcache *sc, const struct stat *st, const dv_hash *h, enum put_kind kind)
{
	uint32_t *t;
	size_t i;
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
	t = find_slot(sc, r.dev, r.ino);
	if (*t == 0) {
		t = append(sc, t, &r);
	} else {
		record *old = &sc->recs[*t - 1];
		if (!memcmp(old, &r, offsetof(record, hashed_at)) && dv_hash_equal(&old->hash, h) &&
		    old->mtime_ns + RACY_NS < old->hashed_at) {
			/* Same trusted entry: nothing to write back. */
			sc->flags[*t - 1] |= F_TOUCHED;
			pthread_mutex_unlock(&sc->mu);
			return;
		}
		*old = r;
	}
	i = *t - 1;
	sc->flags[i] = (uint8_t)(F_TOUCHED | (kind == PUT_MADE ? F_STAMP : 0));
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
	prune = sc->n > KEEP_UNUSED_MAX;
	dv_buf_grow(&out, 8 + sc->n * sizeof(record));
	dv_buf_add(&out, MAGIC, 8);
	/* Test hook: a save that comes this long after the writes. */
	if ((delay = getenv("DV_TEST_STATE_SAVE_DELAY_MS")) != NULL)
		usleep((useconds_t)atoi(delay) * 1000);
	now = dv_now_ns();
	for (size_t i = 0; i < sc->n; i++) {
		if (sc->flags[i] & F_STAMP) {
			sc->recs[i].hashed_at = now;
			sc->flags[i] &= (uint8_t)~F_STAMP;
		}
		if (!prune || (sc->flags[i] & F_TOUCHED))
			dv_buf_add(&out, &sc->recs[i], sizeof(record));
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
	free(sc->recs);
	free(sc->flags);
	free(sc->table);
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
