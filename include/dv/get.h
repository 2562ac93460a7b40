/*
 * get.h - data from another dv repository (`dv get`, `dv import`,
 * `dv update`).
 *
 * The source is opened through libgit2: a local path is opened in place
 * (its own cache is then the first place objects are taken from, as a
 * directory remote), a URL (file://, https://, ssh://, host:path) is
 * cloned bare into a temporary directory, as git clones it.  At the requested revision the .stage
 * file that tracks PATH is found (PATH may be an out, or a file or folder
 * inside a tracked directory; a plain git file works too), and the objects
 * come into OUR cache from the source's cache or from the source's default
 * remote, read from the source's .dv/config (a relative directory remote
 * resolves against the source's work tree, or the path of a bare or
 * file:// source).  Everything fetched is
 * re-hashed on the way in (remote.h).
 */
#ifndef DV_GET_H
#define DV_GET_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/cache.h"
#include "dv/hash.h"
#include "dv/manifest.h"
#include "dv/repo.h"

typedef struct dv_source dv_source;

/* Open the repository at `url` and resolve `rev` (NULL: its HEAD, the
 * default branch) to a commit.  A relative local path is taken relative to
 * `base_dir` (NULL: the cwd).  Temporary files (a clone, the source's
 * config) go below `tmp_parent` (NULL: $TMPDIR or /tmp). */
int dv_source_open(dv_source **out, const char *url, const char *rev, const char *base_dir,
		   const char *tmp_parent);
void dv_source_free(dv_source *s);
/* The commit `rev` resolved to (40 hex). */
const char *dv_source_commit(const dv_source *s);
/* Is `url` a path on this machine (not file://, https://, ssh://, host:path)? */
bool dv_source_url_is_local(const char *url);

/* The source's git side, for reading its tree at dv_source_commit(). */
dv_repo *dv_source_repo(dv_source *s);
/* The URL or path the source was opened from, for messages. */
const char *dv_source_url(const dv_source *s);
/* The directory manifest `h` of the source, read from its cache or, when
 * not there, fetched alone (re-hashed) from its default remote into a
 * scratch cache: listing a directory costs one small object, no data. */
int dv_source_manifest(dv_manifest *out, dv_source *s, const dv_hash *h);

/* What PATH is at the source's commit, once its objects are in a cache. */
typedef struct {
	dv_hash hash;
	bool is_dir;
	uint64_t size;   /* bytes (all files for a directory) */
	uint64_t files;  /* directories only */
	unsigned mode;   /* 0644 or 0755 for a file */
} dv_source_item;

typedef struct {
	size_t objects;   /* objects PATH needs */
	size_t fetched;   /* of them, brought into the cache now */
} dv_source_stats;

/* Find `path` (relative to the source's root) and bring every object it
 * needs into `cache`.  A folder inside a tracked directory becomes a
 * directory of its own (its manifest is written into `cache`).  `jobs` > 0
 * overrides the remotes' parallelism. */
int dv_source_fetch(dv_source_item *out, dv_source_stats *stats, dv_source *s, const char *path,
		    dv_cache *cache, int jobs);

/* Write the item at `dest` (absolute; must not exist) from `cache` using
 * the cache's link types; a directory appears whole or not at all. */
int dv_source_write(const dv_source_item *it, dv_cache *cache, const char *dest);

#endif
