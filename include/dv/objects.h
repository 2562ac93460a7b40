/*
 * objects.h - which cache objects a set of revisions references: the
 * workspace, every branch tip, every tag, every commit.  `dv gc` keeps
 * exactly this set, `dv fsck` checks it, `dv get` fetches it.
 *
 * A revision references the outs of its .stage files (cached outs with a
 * hash) and, for a directory out, its manifest AND every file the manifest
 * lists.  Manifests are read from the cache; one that is missing there is
 * reported by name, because the files it lists cannot be known and a
 * caller that deletes must then refuse.
 *
 * History is read straight through libgit2, and cheaply: trees already
 * walked (by git oid) are skipped, and each distinct .stage blob is parsed
 * once, so 1,000 commits that each touch one of 100 .stage files cost about
 * 1,100 small parses, not 100,000.  The sets are open-addressing tables
 * keyed by the raw hash bytes, which are uniformly random already.
 */
#ifndef DV_OBJECTS_H
#define DV_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/cache.h"
#include "dv/hash.h"
#include "dv/repo.h"
#include "dv/stage.h"

/* --- a set of objects --------------------------------------------------- */

typedef struct {
	dv_hash hash;
	bool is_dir; /* a manifest (".dir") */
} dv_objref;

/* A set of dv_objref; `items` keeps insertion order for iteration. */
typedef struct {
	dv_vec items;   /* dv_objref */
	uint32_t *slots; /* index + 1 into items, 0 = empty */
	size_t cap;      /* power of two */
} dv_objset;

#define DV_OBJSET_INIT { DV_VEC_INIT(dv_objref), NULL, 0 }

/* True when added, false when it was there already. */
bool dv_objset_add(dv_objset *s, const dv_hash *h, bool is_dir);
bool dv_objset_has(const dv_objset *s, const dv_hash *h, bool is_dir);
#define dv_objset_count(s) ((s)->items.n)
#define dv_objset_at(s, i) dv_vec_at(&(s)->items, dv_objref, i)
void dv_objset_free(dv_objset *s);

/* --- the objects revisions reference ------------------------------------ */

enum {
	DV_SCOPE_WORKSPACE = 1u << 0, /* the .stage files in the work tree */
	DV_SCOPE_BRANCHES = 1u << 1,  /* HEAD and the tip of every local branch */
	DV_SCOPE_TAGS = 1u << 2,      /* HEAD and every tag */
	DV_SCOPE_COMMITS = 1u << 3,   /* every commit reachable from any ref */
	DV_SCOPE_EXPERIMENTS = 1u << 4, /* the commit of every experiment (refs/exps/ *) */
};

typedef struct {
	dv_objset objects;          /* every referenced object */
	dv_strvec missing_manifests; /* "xxh128:...dir (PATH at REV)", one per manifest */
	dv_strvec warnings;         /* unreadable .stage files (see dv_objects_collect) */
	size_t commits;             /* commits whose trees were read */
	size_t stage_blobs;         /* distinct .stage texts parsed */
	/* private: directory outs not expanded yet, and where each was seen */
	dv_vec pending_dirs;        /* dv_objref */
	dv_strvec pending_labels;
} dv_used_objects;

void dv_used_objects_init(dv_used_objects *u);
void dv_used_objects_free(dv_used_objects *u);

/* Collect the objects of the revisions `scope` (DV_SCOPE_* bits) names,
 * manifests expanded.  A .stage text that does not parse (an old commit
 * written by hand, say) is not skipped: every "xxh128:..." hash in it is
 * kept, and a warning names it. */
int dv_objects_collect(dv_used_objects *u, dv_repo *repo, unsigned scope);

/* Add the cached outs of one stage; `where` labels directories for the
 * missing-manifest report (e.g. "HEAD" or a commit id; NULL: workspace). */
void dv_objects_add_stage(dv_used_objects *u, const dv_stage *st, const char *where);
/* Read every directory manifest added since the last call from `cache`
 * and add the files it lists; a manifest not in the cache is appended to
 * missing_manifests (and stays pending, so a later call after fetching it
 * picks it up).  A corrupt or malformed manifest is an error. */
int dv_objects_expand_manifests(dv_used_objects *u, const dv_cache *cache);

/* Fetch the objects among refs[0..n) that `cache` lacks from remote `r`
 * (each re-hashed on the way in).  `fetched` (may be NULL) counts what
 * came; each object that failed gets a line in `failures` (may be NULL).
 * Returns 0 when everything is now in the cache, else the first failure. */
struct dv_remote;
struct dv_progress;
int dv_objects_fetch(size_t *fetched, dv_strvec *failures, struct dv_remote *r, dv_cache *cache,
		     const dv_objref *refs, size_t n, struct dv_progress *p);

/* --- what is in a cache ------------------------------------------------- */

typedef struct {
	dv_hash hash;
	bool is_dir;
	uint64_t size;
} dv_cached_object;

/* Every object under <cache>/files/xxh128/ (temp files and stray names
 * skipped), in directory order, with its size. */
int dv_cache_list_objects(dv_vec *out /* dv_cached_object */, const dv_cache *cache);

/* The same, and in the same pass the temp files writers left in the cache
 * (prefix directories and tmp/) when something killed them: those not
 * modified since `before_ns` (a live writer keeps its file's mtime fresh).
 * Absolute paths into `stale`; their bytes are added to `*stale_bytes`. */
int dv_cache_list_with_stale_tmp(dv_vec *objects /* dv_cached_object */, dv_strvec *stale,
				 uint64_t *stale_bytes, const dv_cache *cache, int64_t before_ns);

/* One pass over a store laid out as a cache (<root>/files/xxh128/XX/,
 * <root>/tmp/): a cache, or a directory remote.  Each field set to
 * non-NULL is filled:
 *   objects    every object (dv_cached_object), regular files only;
 *   not_files  absolute paths of entries named like objects that are not
 *              regular files (a symlink, a directory): never objects;
 *   stale      absolute paths of temp files writers left (dot names with
 *              ".tmp-", in the prefix directories and tmp/) not modified
 *              since before_ns, their bytes added to stale_bytes. */
typedef struct {
	dv_vec *objects;
	dv_strvec *not_files;
	dv_strvec *stale;
	uint64_t stale_bytes;
	int64_t before_ns;
} dv_store_scan;

int dv_store_scan_dir(dv_store_scan *scan, const char *root);

/* Parse an object path relative to a cache or remote root,
 * "files/xxh128/ab/<30 hex>[.dir]"; false for anything else. */
bool dv_objects_parse_relpath(dv_hash *h, bool *is_dir, const char *relpath);

#endif
