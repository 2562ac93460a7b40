/*
 * remote.h - one small interface in front of every kind of remote
 * (SPEC "Remotes"): a directory, SSH, S3-compatible stores, HTTP(S)
 * (fetch only).  A remote holds the cache layout under its root
 * ("files/xxh128/ab/cdef...[.dir]", "runs/..."), so everything above this
 * interface speaks in object paths relative to that root.
 *
 * Transfers are batched: each backend gets the whole list and decides how
 * to move it (parallel copies, one tar stream over one ssh connection,
 * N concurrent HTTP requests), which is where the speed comes from.
 * Every fetched object goes through dv_cache_adopt_tmp, which re-hashes it
 * before it enters the cache.
 */
#ifndef DV_REMOTE_H
#define DV_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/cache.h"
#include "dv/config.h"
#include "dv/hash.h"

typedef struct {
	char *relpath;  /* "files/xxh128/ab/cdef..." (as dv_cache_object_relpath) */
	dv_hash hash;
	bool is_dir;
	uint64_t size;  /* 0 when unknown */
	int status;     /* set by the backend: 0 done, <0 failed */
	char *error;    /* the failure's message, owned */
} dv_transfer;

/* Progress reporting shared by all backends (objects, bytes, rate, ETA on
 * stderr when it is a terminal); thread-safe. */
typedef struct dv_progress dv_progress;
dv_progress *dv_progress_new(const char *what, uint64_t total_objects, uint64_t total_bytes);
void dv_progress_add(dv_progress *p, uint64_t objects, uint64_t bytes);
void dv_progress_done(dv_progress *p);

typedef struct dv_remote dv_remote;

typedef struct {
	const char *kind; /* "local", "ssh", "s3", "http" */
	/* Every object path present under `prefix` ("files/" or "runs/").
	 * DV_EUSAGE-free backends that cannot list (http) return DV_ENOTFOUND. */
	int (*list)(dv_remote *r, dv_strvec *out, const char *prefix);
	/* Does one object exist?  (used when listing is unsupported) */
	int (*exists)(dv_remote *r, const char *relpath, bool *out);
	/* Upload items[i] from the cache; set each item's status. */
	int (*push)(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p);
	/* Download items into the cache (through dv_cache_adopt_tmp). */
	int (*fetch)(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p);
	/* Delete objects (gc -c). */
	int (*remove)(dv_remote *r, const dv_strvec *relpaths);
	void (*free)(dv_remote *r);
} dv_remote_ops;

struct dv_remote {
	const dv_remote_ops *ops;
	char *name;  /* as configured */
	char *url;   /* as configured */
	int jobs;    /* parallel transfers */
};

/* Open the remote named `name` (NULL: core.remote) from the configuration;
 * `repo_root` resolves relative directory URLs. */
int dv_remote_open(dv_remote **out, const dv_config *cfg, const char *name, const char *repo_root);
void dv_remote_free(dv_remote *r);

void dv_transfers_free(dv_transfer *items, size_t n);

#endif
