/*
 * dircache.c - the directory listings in .dv/dirs (see dircache.h for
 * why a listing may be reused).
 *
 * File format (host byte order; a local cache, never shared):
 *     "DVDIRS01", then records, each 8-aligned:
 *     dev, ino, mtime_ns, ctime_ns, listed_at_ns (64 bits each),
 *     len (32 bits), 0 (32 bits), then `len` bytes of entries,
 *     each: type (d_type), has_target (0 or 1), name, '\0'[, target, '\0']
 * Mapped whole and read where it lies; a record whose header or entries
 * do not fit the file ends the loading, and an entry that does not parse
 * ends its listing (the walk then reads the directory).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dv/dircache.h"
#include "dv/error.h"
#include "dv/fs.h"

#define MAGIC "DVDIRS01"
#define RACY_NS (50 * 1000000LL)
/* Listings not used in a run are dropped at save once all of them take
 * more than this: every save rewrites the whole file (a listing of 20,000
 * names is some 300 KB). */
#define KEEP_UNUSED_BYTES (16u << 20)

typedef struct {
	uint64_t dev, ino;
	int64_t mtime_ns, ctime_ns, listed_at;
	uint32_t len, zero;
} rec_head;

typedef struct {
	const rec_head *h; /* in the mapping, or a heap copy this run made */
	bool heap, used, dead;
} rec;

struct dv_dircache {
	char *path;
	void *map;
	size_t map_len;
	dv_vec recs;     /* rec */
	uint32_t *table; /* index + 1 into recs, 0 empty; keyed by (dev, ino) */
	size_t cap;      /* a power of two */
	bool dirty;
	pthread_mutex_t mu;
};

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static size_t slot_of(const dv_dircache *dc, uint64_t dev, uint64_t ino)
{
	return (size_t)dv_devino_hash(dev, ino) & (dc->cap - 1);
}

static uint32_t *find_slot(dv_dircache *dc, uint64_t dev, uint64_t ino)
{
	for (size_t i = slot_of(dc, dev, ino);; i = (i + 1) & (dc->cap - 1)) {
		uint32_t *t = &dc->table[i];
		const rec_head *h;
		if (*t == 0)
			return t;
		h = dv_vec_at(&dc->recs, rec, *t - 1)->h;
		if (h->ino == ino && h->dev == dev)
			return t;
	}
}

static void table_build(dv_dircache *dc, size_t want)
{
	size_t cap = 64;
	while (cap * 3 < want * 4 + 4)
		cap *= 2;
	free(dc->table);
	dc->cap = cap;
	dc->table = dv_calloc(cap, sizeof(uint32_t));
	for (size_t i = 0; i < dc->recs.n; i++) {
		const rec *r = dv_vec_at(&dc->recs, rec, i);
		if (!r->dead)
			*find_slot(dc, r->h->dev, r->h->ino) = (uint32_t)i + 1;
	}
}

/* Add `h` as the record for its directory (the one it replaces is dead). */
static void insert(dv_dircache *dc, const rec_head *h, bool heap)
{
	uint32_t *t;
	rec *r;

	if ((dc->recs.n + 2) * 4 > dc->cap * 3)
		table_build(dc, (dc->recs.n + 1) * 2);
	t = find_slot(dc, h->dev, h->ino);
	if (*t)
		dv_vec_at(&dc->recs, rec, *t - 1)->dead = true;
	r = dv_vec_push(&dc->recs);
	*r = (rec){ h, heap, heap, false };
	*t = (uint32_t)dc->recs.n;
}

static void map_records(dv_dircache *dc, const char *path)
{
	size_t off = 8;

	if (!(dc->map = dv_map_cache_file(path, MAGIC, 8 + sizeof(rec_head), false, &dc->map_len)))
		return;
	while (off + sizeof(rec_head) <= dc->map_len) {
		const rec_head *h = (const rec_head *)((const char *)dc->map + off);
		if (h->len > dc->map_len - off - sizeof(rec_head))
			break;
		insert(dc, h, false);
		off += sizeof(rec_head) + pad8(h->len);
	}
}

int dv_dircache_open(dv_dircache **out, const char *path)
{
	dv_dircache *dc = dv_calloc(1, sizeof(*dc));

	dc->path = dv_strdup(path);
	dc->recs = (dv_vec)DV_VEC_INIT(rec);
	pthread_mutex_init(&dc->mu, NULL);
	table_build(dc, 0);
	map_records(dc, path);
	*out = dc;
	return 0;
}

void dv_dircache_free(dv_dircache *dc)
{
	if (!dc)
		return;
	for (size_t i = 0; i < dc->recs.n; i++) {
		rec *r = dv_vec_at(&dc->recs, rec, i);
		if (r->heap)
			free((void *)r->h);
	}
	dv_vec_free(&dc->recs);
	if (dc->map)
		munmap(dc->map, dc->map_len);
	pthread_mutex_destroy(&dc->mu);
	free(dc->table);
	free(dc->path);
	free(dc);
}

bool dv_dircache_lookup(dv_dircache *dc, const struct stat *st, const char **listing, size_t *len)
{
	bool hit = false;
	uint32_t *t;

	pthread_mutex_lock(&dc->mu);
	t = find_slot(dc, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
	if (*t) {
		rec *r = dv_vec_at(&dc->recs, rec, *t - 1);
		const rec_head *h = r->h;
		if (h->mtime_ns == dv_stat_mtime_ns(st) && h->ctime_ns == dv_stat_ctime_ns(st) &&
		    dv_ns_before_by(h->mtime_ns, h->listed_at, RACY_NS) && dv_ns_before_by(h->ctime_ns, h->listed_at, RACY_NS)) {
			*listing = (const char *)(h + 1);
			*len = h->len;
			r->used = true;
			hit = true;
		}
	}
	pthread_mutex_unlock(&dc->mu);
	return hit;
}

void dv_dircache_put(dv_dircache *dc, const struct stat *st, int64_t listed_at_ns, const char *listing,
		     size_t len)
{
	rec_head *h;

	if (len > UINT32_MAX)
		return;
	h = dv_malloc(sizeof(*h) + pad8(len));
	*h = (rec_head){ (uint64_t)st->st_dev, (uint64_t)st->st_ino, dv_stat_mtime_ns(st), dv_stat_ctime_ns(st),
			 listed_at_ns, (uint32_t)len, 0 };
	memcpy(h + 1, listing, len);
	memset((char *)(h + 1) + len, 0, pad8(len) - len);
	pthread_mutex_lock(&dc->mu);
	insert(dc, h, true);
	dc->dirty = true;
	pthread_mutex_unlock(&dc->mu);
}

/* dv_dircache_save's records, one per call. */
typedef struct {
	dv_dircache *dc;
	size_t i;
	bool prune, magic_done;
} save_ctx;

static bool save_next(void *arg, dv_buf *out)
{
	save_ctx *c = arg;

	if (!c->magic_done) {
		c->magic_done = true;
		dv_buf_add(out, MAGIC, 8);
	}
	for (; c->i < c->dc->recs.n; c->i++) {
		const rec *r = dv_vec_at(&c->dc->recs, rec, c->i);
		if (!r->dead && (!c->prune || r->used)) {
			dv_buf_add(out, r->h, sizeof(rec_head) + pad8(r->h->len));
			c->i++;
			break;
		}
	}
	return c->i < c->dc->recs.n;
}

int dv_dircache_save(dv_dircache *dc)
{
	size_t total = 0;
	save_ctx c;
	int rc;

	if (!dc || !dc->dirty)
		return 0;
	for (size_t i = 0; i < dc->recs.n; i++) {
		const rec *r = dv_vec_at(&dc->recs, rec, i);
		if (!r->dead)
			total += sizeof(rec_head) + pad8(r->h->len);
	}
	c = (save_ctx){ dc, 0, total > KEEP_UNUSED_BYTES, false };
	/* A listing lost to a crash is only read again, and one left stale
	 * is checked against the directory's stat. */
	if ((rc = dv_write_cache_file(dc->path, save_next, &c)) == 0)
		dc->dirty = false;
	return rc;
}

void dv_dircache_add(dv_buf *listing, unsigned char type, const char *name, const char *target)
{
	dv_buf_putc(listing, (char)type);
	dv_buf_putc(listing, target ? 1 : 0);
	dv_buf_add(listing, name, strlen(name) + 1);
	if (target)
		dv_buf_add(listing, target, strlen(target) + 1);
}

/* The string at listing[*pos], NUL-terminated inside `len`. */
static const char *take_str(const char *listing, size_t len, size_t *pos)
{
	const char *s = listing + *pos, *nul = memchr(s, '\0', len - *pos);
	if (!nul)
		return NULL;
	*pos += (size_t)(nul - s) + 1;
	return s;
}

bool dv_dircache_next(const char *listing, size_t len, size_t *pos, dv_dircache_entry *e)
{
	unsigned char has_target;

	if (*pos + 3 > len)
		return false;
	e->type = (unsigned char)listing[*pos];
	has_target = (unsigned char)listing[*pos + 1];
	*pos += 2;
	if (has_target > 1 || !(e->name = take_str(listing, len, pos)))
		return false;
	if (!e->name[0] || strchr(e->name, '/') || !strcmp(e->name, ".") || !strcmp(e->name, ".."))
		return false;
	e->target = NULL;
	if (has_target && (e->type != DT_LNK || !(e->target = take_str(listing, len, pos)) || !e->target[0]))
		return false;
	return true;
}
