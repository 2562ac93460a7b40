/*
 * treecache.c - the walk digest -> manifest hash cache in .dv/trees (see
 * treecache.h for why it is sound).
 *
 * File format (host byte order; a local cache, never shared):
 *     "DVTREES1" then records of 40 bytes, sorted by digest:
 *     digest (16 bytes), manifest hash (16 bytes), last used (u64, seconds)
 * A status looks up one record per tracked directory, so the file is read
 * whole (a few KB to at most KEEP_MAX records) and searched by bisection;
 * records added this run sit in a small unsorted list beside it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/treecache.h"
#include "dv/buf.h"

#define MAGIC "DVTREES1"
/* Every change to a tracked directory leaves its old digest behind: the
 * least recently used go first past this many. */
#define KEEP_MAX 8192

typedef struct {
	dv_hash digest, hash;
	uint64_t used_s;
} record;

struct dv_treecache {
	char *path;
	record *file; /* the file's records, sorted (a private mapping) */
	size_t nfile, map_len;
	bool *file_used; /* per file record: looked up this run */
	dv_vec added;    /* record, this run's */
	bool dirty;
	pthread_mutex_t mu;
};

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(&((const record *)a)->digest, &((const record *)b)->digest, sizeof(dv_hash));
}

int dv_treecache_open(dv_treecache **out, const char *path)
{
	dv_treecache *tc = dv_calloc(1, sizeof(*tc));
	void *map;

	tc->path = dv_strdup(path);
	tc->added = (dv_vec)DV_VEC_INIT(record);
	pthread_mutex_init(&tc->mu, NULL);
	if ((map = dv_map_cache_file(path, MAGIC, 8, false, &tc->map_len))) {
		size_t n = (tc->map_len - 8) / sizeof(record);
		tc->file = (record *)((char *)map + 8);
		tc->nfile = (tc->map_len - 8) % sizeof(record) ? 0 : n; /* torn: empty */
		/* Out of order (damaged or foreign): bisection would miss, and
		 * a miss only costs a full walk. */
		for (size_t i = 1; i < tc->nfile; i++)
			if (cmp_digest(&tc->file[i - 1], &tc->file[i]) >= 0) {
				tc->nfile = 0;
				break;
			}
		tc->file_used = dv_calloc(tc->nfile + 1, sizeof(bool));
	}
	*out = tc;
	return 0;
}

void dv_treecache_free(dv_treecache *tc)
{
	if (!tc)
		return;
	if (tc->file)
		munmap((char *)tc->file - 8, tc->map_len);
	free(tc->file_used);
	dv_vec_free(&tc->added);
	pthread_mutex_destroy(&tc->mu);
	free(tc->path);
	free(tc);
}

bool dv_treecache_lookup(dv_treecache *tc, const dv_hash *digest, dv_hash *out)
{
	record key = { .digest = *digest };
	const record *r;
	bool hit = false;

	pthread_mutex_lock(&tc->mu);
	if (tc->nfile && (r = bsearch(&key, tc->file, tc->nfile, sizeof(record), cmp_digest))) {
		*out = r->hash;
		tc->file_used[r - tc->file] = true;
		/* Its age only orders what the bound drops: a day's precision
		 * spares a status the rewrite. */
		tc->dirty |= r->used_s + 86400 < (uint64_t)time(NULL);
		hit = true;
	}
	for (size_t i = 0; !hit && i < tc->added.n; i++) {
		const record *a = dv_vec_at(&tc->added, record, i);
		if (dv_hash_equal(&a->digest, digest)) {
			*out = a->hash;
			hit = true;
		}
	}
	pthread_mutex_unlock(&tc->mu);
	return hit;
}

void dv_treecache_put(dv_treecache *tc, const dv_hash *digest, const dv_hash *manifest_hash)
{
	dv_hash have;

	if (dv_treecache_lookup(tc, digest, &have) && dv_hash_equal(&have, manifest_hash))
		return;
	pthread_mutex_lock(&tc->mu);
	*(record *)dv_vec_push(&tc->added) = (record){ *digest, *manifest_hash, 0 };
	tc->dirty = true;
	pthread_mutex_unlock(&tc->mu);
}

static int cmp_newest_first(const void *a, const void *b)
{
	uint64_t x = ((const record *)a)->used_s, y = ((const record *)b)->used_s;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* By digest; for one digest, this run's record first (see below). */
static int cmp_digest_mine_first(const void *a, const void *b)
{
	int c = cmp_digest(a, b);
	return c ? c : cmp_newest_first(a, b);
}

typedef struct {
	const record *v;
	size_t n, i;
} save_ctx;

static bool save_next(void *arg, dv_buf *out)
{
	save_ctx *c = arg;

	if (c->i == 0)
		dv_buf_add(out, MAGIC, 8);
	/* A write call's worth at a time. */
	for (size_t stop = c->i + 1024; c->i < c->n && c->i < stop; c->i++)
		dv_buf_add(out, &c->v[c->i], sizeof(record));
	return c->i < c->n;
}

int dv_treecache_save(dv_treecache *tc)
{
	uint64_t now = (uint64_t)time(NULL);
	size_t n = 0, kept = 0;
	record *all;
	save_ctx c;
	int rc;

	if (!tc || !tc->dirty)
		return 0;
	pthread_mutex_lock(&tc->mu);
	all = dv_calloc(tc->nfile + tc->added.n + 1, sizeof(record));
	/* This run's records carry now + 1 until the duplicates are gone, so
	 * one of them wins over the file's record of the same digest. */
	for (size_t i = 0; i < tc->added.n; i++) {
		all[n] = *dv_vec_at(&tc->added, record, i);
		all[n++].used_s = now + 1;
	}
	for (size_t i = 0; i < tc->nfile; i++) {
		all[n] = tc->file[i];
		if (tc->file_used[i])
			all[n].used_s = now;
		n++;
	}
	pthread_mutex_unlock(&tc->mu);
	qsort(all, n, sizeof(record), cmp_digest_mine_first);
	for (size_t i = 0; i < n; i++)
		if (!kept || !dv_hash_equal(&all[kept - 1].digest, &all[i].digest))
			all[kept++] = all[i];
	for (size_t i = 0; i < kept; i++)
		if (all[i].used_s > now)
			all[i].used_s = now;
	if (kept > KEEP_MAX) { /* the least recently used go */
		qsort(all, kept, sizeof(record), cmp_newest_first);
		kept = KEEP_MAX;
		qsort(all, kept, sizeof(record), cmp_digest);
	}
	c = (save_ctx){ all, kept, 0 };
	/* A record lost to a crash only costs one full walk. */
	if ((rc = dv_write_cache_file(tc->path, save_next, &c)) == 0)
		tc->dirty = false;
	free(all);
	return rc;
}
