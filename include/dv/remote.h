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
 * Every fetched object goes through dv_transfer_adopt (dv_cache_adopt_tmp),
 * which re-hashes it before it enters the cache; every pushed object is
 * hashed as it is read from the cache (dv_transfer_check_sent), and a
 * corrupt one never appears on the remote under its name.  Every upload must appear
 * under its final name only when complete (temp name + rename, or the
 * store's own atomic PUT), so an interrupted push is finished by a rerun.
 */
#ifndef DV_REMOTE_H
#define DV_REMOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

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
	struct stat st; /* fetch: the stored object's stat for the stat cache
			 * (st_ino 0 when unknown) */
} dv_transfer;

/* Progress reporting shared by all backends (objects, bytes, rate, ETA on
 * stderr when it is a terminal); thread-safe. */
typedef struct dv_progress dv_progress;
dv_progress *dv_progress_new(const char *what, uint64_t total_objects, uint64_t total_bytes);
void dv_progress_add(dv_progress *p, uint64_t objects, uint64_t bytes);
void dv_progress_done(dv_progress *p);
/* Drawing is on by default (when stderr is a terminal); the CLI turns it
 * off for -q.  Setting DV_PROGRESS=1 draws even when stderr is not a
 * terminal (tests); DV_PROGRESS=0 never draws.
 * Test hook: DV_TEST_KILL_AFTER=N makes the process kill itself (SIGKILL)
 * once N objects have been reported, to prove interrupted transfers resume. */
void dv_progress_enable(bool on);

typedef struct dv_remote dv_remote;

/* One file's state on a store, for `dv import-url` and `dv update`. */
typedef struct {
	uint64_t size;
	int64_t mtime; /* seconds since the epoch; 0 when the store does not say */
	char *etag;    /* as the store gives it; NULL when it gives none */
} dv_remote_file_info;
void dv_remote_file_info_free(dv_remote_file_info *fi);

typedef struct {
	const char *kind; /* "local", "ssh", "s3", "http" */
	/* Every object path present under `prefix` ("files/" or "runs/"),
	 * relative to the remote's root; temp files are never listed.
	 * Backends that cannot list (http) return DV_ENOTFOUND. */
	int (*list)(dv_remote *r, dv_strvec *out, const char *prefix);
	/* The objects under `prefix` (as list) modified on the remote at or
	 * after `since_ns` (ns since the epoch; to the second, a little
	 * early rather than late): what gc -c keeps as too young to judge
	 * (gc.remote_grace).  NULL where the kind cannot tell (http). */
	int (*list_since)(dv_remote *r, dv_strvec *out, const char *prefix, int64_t since_ns);
	/* Temp files and directories of uploads that a killed push left on
	 * the remote, untouched since `before_ns` (a live upload keeps its
	 * files fresh): paths relative to the root into `out`.  NULL where
	 * the kind leaves none (S3 publishes whole objects only; http). */
	int (*stale_tmp)(dv_remote *r, dv_strvec *out, int64_t before_ns);
	/* Remove what stale_tmp listed (directories with what they hold). */
	int (*remove_tmp)(dv_remote *r, const dv_strvec *relpaths);
	/* Does one object exist?  (used when listing is unsupported) */
	int (*exists)(dv_remote *r, const char *relpath, bool *out);
	/* Upload items[i] from the cache; set each item's status.
	 * push and fetch: on entry every status is 1 (pending); the backend
	 * sets 0 (done) or <0 with `error` (dv_transfer_fail), e.g.
	 * DV_ENOTFOUND for an object the remote does not have.  The call
	 * returns 0 when all are done, else <0 with the first failure as the
	 * last error; items left pending count as failed with that error. */
	int (*push)(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p);
	/* Download items into the cache (through dv_transfer_adopt). */
	int (*fetch)(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p);
	/* Any file below the root, not an object (dv import-url): its state,
	 * DV_ENOTFOUND when it is not there; and its bytes into `fd`, an
	 * empty file, reported to `p`.  NULL for a directory remote. */
	int (*stat_file)(dv_remote *r, const char *relpath, dv_remote_file_info *out);
	int (*download)(dv_remote *r, const char *relpath, int fd, dv_progress *p);
	/* Delete objects (gc -c).  A packed remote drops whole packs or
	 * repacks mostly-garbage ones, and counts the objects it had to leave
	 * inside packs in r->left_in_packs. */
	int (*remove)(dv_remote *r, const dv_strvec *relpaths);
	/* Optional (packed remotes, `dv push --repack`): items are objects the
	 * remote has and the cache holds; the small ones stored loose are
	 * packed, then their loose copies deleted.  Sets each item's status;
	 * *packed counts the objects moved into packs. */
	int (*repack)(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p,
		      size_t *packed);
	void (*free)(dv_remote *r);
} dv_remote_ops;

struct dv_remote {
	const dv_remote_ops *ops;
	char *name;  /* as configured */
	char *url;   /* as configured */
	int jobs;    /* parallel transfers */
	/* Where pack indexes read from remotes are kept (<repo>/.dv/packs),
	 * or NULL outside a repository; set by dv_remote_open. */
	char *pack_dir;
	/* Requests sent so far (for -v), and objects remove() left in packs. */
	size_t requests;
	size_t left_in_packs;
};

/* Open the remote named `name` (NULL: core.remote) from the configuration;
 * `repo_root` resolves relative directory URLs.  remote.NAME.jobs, when
 * set, overrides the kind's default r->jobs; callers may set r->jobs after
 * opening (-j). */
int dv_remote_open(dv_remote **out, const dv_config *cfg, const char *name, const char *repo_root);
/* Open `url` as a remote of its kind with the settings (endpoint,
 * credentials, port, user...) of remote `name`, which need not exist
 * (then the kind's defaults and the environment apply). */
int dv_remote_open_url(dv_remote **out, const dv_config *cfg, const char *name, const char *url,
		       const char *repo_root);
/* Calls r->ops->free, which releases everything (name and url included). */
void dv_remote_free(dv_remote *r);

void dv_transfers_free(dv_transfer *items, size_t n);

/* The kind a URL names ("local", "ssh", "s3", "http"), or NULL if none. */
const char *dv_remote_url_kind(const char *url);
/* Can this URL ever work?  Each kind's own parse: a host for SSH and
 * HTTP, a valid port, a bucket for S3, an absolute path after file://.
 * The error names the problem and gives a valid example; `repo_root`
 * resolves relative directories (NULL: they are refused). */
int dv_remote_url_check(const char *url, const char *repo_root);

/* Remove the temp files killed pushes left on `r` (stale_tmp, older than
 * DV_STALE_TMP_NS); `removed` counts them.  A kind without any is 0. */
int dv_remote_sweep_tmp(size_t *removed, dv_remote *r);

/* --- helpers for the backends -------------------------------------------- */

/* remote.NAME.KEY at any level, or NULL. */
const char *dv_remote_config(const dv_config *cfg, const char *name, const char *key);
/* A credential (remote.NAME.KEY) from .dv/config.local or a user/system
 * file only: found in the committed .dv/config it is an error naming the
 * fix.  *out is NULL when it is not set anywhere. */
int dv_remote_config_secret(const char **out, const dv_config *cfg, const char *name,
			    const char *key);
/* Fill the shared fields (copies of name and url) / free them. */
void dv_remote_init_base(dv_remote *r, const dv_remote_ops *ops, const char *name,
			 const char *url, int jobs);
void dv_remote_release_base(dv_remote *r);

/* Mark an item failed with `rc` and the current last-error message. */
void dv_transfer_fail(dv_transfer *t, int rc);
/* 0 when every item is done, else the first failure's code, with its
 * message as the last error (what push and fetch return). */
int dv_transfer_first_failure(const dv_transfer *items, size_t n);
/* The item's file in the local cache: <cache dir>/<relpath>. */
void dv_transfer_local_path(dv_buf *out, const dv_cache *c, const dv_transfer *t);
/* Is this item a content-addressed object ("files/...")?  Run-cache
 * entries ("runs/...") are not: their hash is zero and they are stored by
 * path. */
bool dv_transfer_is_object(const dv_transfer *t);
/* A temp file for downloading item `t`, beside its final place in the
 * cache (so dv_transfer_adopt renames within one directory, which is much
 * cheaper than across directories when thousands of objects arrive). */
int dv_transfer_tmp_open(int *fd_out, dv_buf *path_out, dv_cache *c, const dv_transfer *t);
/* Push side: `got` is the hash of the bytes just read from the cache for
 * item `t` (hashed as they were sent: no extra read).  0 when they match
 * its name (or `t` is a run-cache entry, which is not content-addressed);
 * else DV_ECORRUPT with one line naming the cache file and the fix.  The
 * backend must then keep the bytes from appearing on the remote under
 * the object's name (temp file removed, tar entry rejected, upload
 * aborted). */
int dv_transfer_check_sent(const dv_cache *c, const dv_transfer *t, const dv_hash *got);

/* Take a downloaded temp file (from dv_transfer_tmp_open or
 * dv_cache_tmp_open) into the cache as
 * item `t`: an object is re-hashed by dv_cache_adopt_tmp (a mismatch is
 * DV_ECORRUPT naming the object and remote `r`, and nothing enters the
 * cache); a run-cache entry is renamed into place.  Consumes tmp_path. */
int dv_transfer_adopt(dv_cache *c, const char *tmp_path, dv_transfer *t,
		      const dv_remote *r);

#endif
