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
#include <sys/mman.h>
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
 * The records lie dense in two arrays: those of the file, used where they
 * lie in its read-only private mapping, and those added this run, on the
 * heap.  The table holds only their indices (+1, 0 is empty), keyed by
 * (dev, ino).  Loading 20,000 entries is then one mmap and 20,000
 * four-byte inserts into a table that stays in the CPU's cache.  Mapped,
 * the file's pages are the page cache's own: reading it into the heap
 * cost a fresh page per 56 records, and on the virtual machines dv was
 * measured on a fresh page costs ~25 us, ten times a mapped one (a
 * 20,000-file status spent 9 ms there).  A record changed in place (a
 * re-hashed file, a stamp at save) copies only its page.  The file is
 * only ever replaced by rename, never rewritten in place, so the mapping
 * keeps the bytes it was opened with (a file truncated under a running
 * dv by hand would fault, as git's mapped index would).
 */
struct dv_statcache {
	char *path;
	void *map;        /* the file (NULL: none), map_len bytes */
	size_t map_len;
	record *base;     /* the file's records, in the mapping */
	size_t nbase;
	record *added;    /* records added this run */
	size_t nadded, added_alloc;
	uint8_t *flags;   /* per record, base then added */
	size_t flags_alloc;
	uint32_t *table;
	size_t cap; /* a power of two, at least 4/3 of the records */
	bool dirty;
	pthread_mutex_t mu;
};

static size_t rec_count(const dv_statcache *sc)
{
	return sc->nbase + sc->nadded;
}

static record *rec_at(const dv_statcache *sc, size_t i)
{
	return i < sc->nbase ? &sc->base[i] : &sc->added[i - sc->nbase];
}

static size_t slot_of(const dv_statcache *sc, uint64_t dev, uint64_t ino)
{
	return (size_t)dv_devino_hash(dev, ino) & (sc->cap - 1);
}

/* The table slot for (dev, ino): holding its record's index + 1, or 0
 * where it would go. */
static uint32_t *find_slot(dv_statcache *sc, uint64_t dev, uint64_t ino)
{
	for (size_t i = slot_of(sc, dev, ino);; i = (i + 1) & (sc->cap - 1)) {
		uint32_t *t = &sc->table[i];
		if (*t == 0)
			return t;
		const record *r = rec_at(sc, *t - 1);
		if (r->ino == ino && r->dev == dev)
			return t;
	}
}

/* Size the table for `want` records and index every record again. */
static void table_build(dv_statcache *sc, size_t want)
{
	size_t cap = 1024, n = rec_count(sc);
	while (cap * 3 < want * 4 + 4)
		cap *= 2;
	free(sc->table);
	sc->cap = cap;
	sc->table = dv_calloc(cap, sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		const record *r = rec_at(sc, i);
		*find_slot(sc, r->dev, r->ino) = (uint32_t)i + 1;
	}
}

/* A new record's place (the caller fills it); the table has room. */
static uint32_t *append(dv_statcache *sc, uint32_t *slot, const record *r)
{
	size_t n;
	if (sc->nadded == sc->added_alloc) {
		sc->added_alloc = sc->added_alloc ? sc->added_alloc * 2 : 256;
		sc->added = dv_realloc(sc->added, sc->added_alloc * sizeof(record));
	}
	if (rec_count(sc) == sc->flags_alloc) {
		size_t old = sc->flags_alloc;
		sc->flags_alloc = old ? old * 2 : 256;
		sc->flags = dv_realloc(sc->flags, sc->flags_alloc);
		memset(sc->flags + old, 0, sc->flags_alloc - old);
	}
	sc->added[sc->nadded++] = *r;
	n = rec_count(sc);
	sc->flags[n - 1] = 0;
	*slot = (uint32_t)n;
	if (n * 4 > sc->cap * 3) {
		table_build(sc, n * 2);
		slot = find_slot(sc, r->dev, r->ino);
	}
	return slot;
}

/* Map the file at `path`.  A missing, unreadable or foreign file is just
 * an empty cache: it only ever saves work, so it must never fail a
 * command. */
static void map_records(dv_statcache *sc, const char *path)
{
	/* Writable but private: what this run changes stays in memory. */
	void *map = dv_map_cache_file(path, MAGIC, 8 + sizeof(record), true, &sc->map_len);

	if (!map)
		return;
	sc->map = map;
	sc->base = (record *)((char *)map + 8); /* 8-aligned: the mapping is page-aligned */
	sc->nbase = (sc->map_len - 8) / sizeof(record);
}

int dv_statcache_open(dv_statcache **out, const char *path)
{
	dv_statcache *sc = dv_calloc(1, sizeof(*sc));
	size_t n, kept = 0;

	sc->path = dv_strdup(path);
	pthread_mutex_init(&sc->mu, NULL);
	map_records(sc, path);
	n = sc->nbase;
	sc->flags_alloc = n;
	if (n)
		sc->flags = dv_calloc(n, 1);
	sc->nbase = 0;
	table_build(sc, n);
	/* The same file twice (an older dv's save): the later record wins.
	 * Records are moved only when one was dropped before them, so a clean
	 * file's pages are never written. */
	for (size_t i = 0; i < n; i++) {
		const record *r = &sc->base[i];
		uint32_t *t = find_slot(sc, r->dev, r->ino);
		if (*t) {
			sc->base[*t - 1] = *r;
		} else {
			if (kept != i)
				sc->base[kept] = *r;
			*t = (uint32_t)++kept;
			sc->nbase = kept;
		}
	}
	*out = sc;
	return 0;
}

/* Under sc->mu. */
static bool lookup_locked(dv_statcache *sc, const dv_stat_key *k, dv_hash *out)
{
	uint32_t *t = find_slot(sc, k->dev, k->ino);
	const record *r;

	if (*t == 0)
		return false;
	r = rec_at(sc, *t - 1);
	if (r->size != k->size || r->mtime_ns != k->mtime_ns || r->ctime_ns != k->ctime_ns ||
	    !dv_ns_before_by(r->mtime_ns, r->hashed_at, RACY_NS))
		return false;
	*out = r->hash;
	sc->flags[*t - 1] |= F_TOUCHED;
	return true;
}

bool dv_statcache_lookup(dv_statcache *sc, const struct stat *st, dv_hash *out)
{
	dv_stat_key k = {
		(uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
		dv_stat_mtime_ns(st), dv_stat_ctime_ns(st),
	};
	bool hit;

	pthread_mutex_lock(&sc->mu);
	hit = lookup_locked(sc, &k, out);
	pthread_mutex_unlock(&sc->mu);
	return hit;
}

size_t dv_statcache_lookup_keys(dv_statcache *sc, const dv_stat_key *keys, size_t n, dv_hash *out, bool *hit)
{
	size_t hits = 0;

	pthread_mutex_lock(&sc->mu);
	for (size_t i = 0; i < n; i++)
		hits += (hit[i] = lookup_locked(sc, &keys[i], &out[i]));
	pthread_mutex_unlock(&sc->mu);
	return hits;
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
	if (kind == PUT_WRITTEN && !dv_ns_before_by(r.mtime_ns, r.hashed_at, RACY_NS))
		r.hashed_at = r.mtime_ns > INT64_MAX - RACY_NS - 1 ? INT64_MAX : r.mtime_ns + RACY_NS + 1;
	else if (kind == PUT_MADE)
		r.hashed_at = r.mtime_ns; /* racy until the save stamps it */

	pthread_mutex_lock(&sc->mu);
	t = find_slot(sc, r.dev, r.ino);
	if (*t == 0) {
		t = append(sc, t, &r);
	} else {
		record *old = rec_at(sc, *t - 1);
		if (!memcmp(old, &r, offsetof(record, hashed_at)) && dv_hash_equal(&old->hash, h) &&
		    dv_ns_before_by(old->mtime_ns, old->hashed_at, RACY_NS)) {
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

/* dv_statcache_save's records, one per call. */
typedef struct {
	dv_statcache *sc;
	size_t i, n;
	int64_t now;
	bool prune, magic_done;
} save_ctx;

static bool save_next(void *arg, dv_buf *out)
{
	save_ctx *c = arg;
	dv_statcache *sc = c->sc;

	if (!c->magic_done) {
		c->magic_done = true;
		dv_buf_add(out, MAGIC, 8);
	}
	for (; c->i < c->n; c->i++) {
		record *r = rec_at(sc, c->i);
		size_t i = c->i;
		if (sc->flags[i] & F_STAMP) {
			r->hashed_at = c->now;
			sc->flags[i] &= (uint8_t)~F_STAMP;
		}
		if (!c->prune || (sc->flags[i] & F_TOUCHED)) {
			dv_buf_add(out, r, sizeof(record));
			c->i++;
			break;
		}
	}
	return c->i < c->n;
}

int dv_statcache_save(dv_statcache *sc)
{
	const char *delay;
	save_ctx c;
	int rc;

	if (!sc || !sc->dirty)
		return 0;
	/* Test hook: a save that comes this long after the writes. */
	if ((delay = getenv("DV_TEST_STATE_SAVE_DELAY_MS")) != NULL)
		usleep((useconds_t)atoi(delay) * 1000);
	c = (save_ctx){ sc, 0, rec_count(sc), dv_now_ns(), rec_count(sc) > KEEP_UNUSED_MAX, false };
	/* A state lost or left stale by a crash holds only facts that were
	 * true of some file once, each checked against its stat. */
	if ((rc = dv_write_cache_file(sc->path, save_next, &c)) == 0)
		sc->dirty = false;
	return rc;
}

void dv_statcache_free(dv_statcache *sc)
{
	if (!sc)
		return;
	pthread_mutex_destroy(&sc->mu);
	if (sc->map)
		munmap(sc->map, sc->map_len);
	free(sc->added);
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
