/*
 * workspace.h - moving data between the work tree and the cache for the
 * outs of any stage (data or command stage): hashing what is there (files
 * and directories, through the stat cache, directories over all cores),
 * committing it to the cache, checking it out again.
 *
 * This is the one module that knows how a tracked path maps onto objects;
 * add, commit, checkout, status, repro and pull all go through it.
 */
#ifndef DV_WORKSPACE_H
#define DV_WORKSPACE_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/hash.h"
#include "dv/manifest.h"
#include "dv/repo.h"
#include "dv/stage.h"

struct dv_statcache;

/* What is in the work tree at a tracked path. */
typedef struct {
	bool exists;
	bool is_dir;
	dv_hash hash;    /* file hash, or manifest hash for a directory */
	uint64_t size;   /* bytes (sum over files for a directory) */
	uint64_t nfiles; /* directories only */
} dv_ws_state;

/* The repository's stat cache, directory listings (dircache.h) and
 * walked directories' hashes (treecache.h), opened on first use and saved
 * by dv_repo_free() or, all at once, by dv_repo_save_statcache(). */
struct dv_statcache *dv_repo_statcache(dv_repo *repo);
struct dv_dircache *dv_repo_dircache(dv_repo *repo);
struct dv_treecache *dv_repo_treecache(dv_repo *repo);
int dv_repo_save_statcache(dv_repo *repo);

/* Hash the file or directory at repo-relative `relpath` without touching
 * the cache.  `manifest` (may be NULL) receives a directory's listing. */
int dv_workspace_hash(dv_ws_state *out, dv_repo *repo, const char *relpath, dv_manifest *manifest);

/* Store the workspace bytes of an out (or a dep: pass cache=false to only
 * hash) in the cache, link them back per cache.type, and record hash,
 * size and files in `entry`.  `relpath` is entry's repo-relative path. */
int dv_workspace_commit_entry(dv_repo *repo, dv_stage_file *entry, const char *relpath);

/* Is a workspace file of `size` bytes hashing to `cur` exactly the first
 * bytes of the cached object `want` (and shorter)? */
bool dv_workspace_is_cut_copy(dv_repo *repo, const dv_hash *cur, uint64_t size, const dv_hash *want);
/* Refuse (DV_ECHANGED, naming the file) to record an out whose workspace
 * file, or a file of whose directory, is a cut-off copy of the recorded
 * object: a checkout killed halfway, not a change of the user's.  `dv
 * commit` and `dv add` ask before recording unless forced. */
int dv_workspace_check_not_cut(dv_repo *repo, const dv_stage_file *entry, const char *relpath);

/* Per-path outcome of a checkout, for the CLI's report. */
typedef enum {
	DV_CO_UNCHANGED,   /* already matched */
	DV_CO_RESTORED,    /* written from the cache */
	DV_CO_RELINKED,    /* same bytes, link redone (--relink) */
	DV_CO_KEPT,        /* refused: a workspace change not in the cache (needs -f) */
	DV_CO_MISSING,     /* the object is not in the cache */
	DV_CO_FAILED,      /* error (message in the report) */
} dv_checkout_result;

typedef struct {
	char *path;        /* repo-relative */
	dv_checkout_result result;
	char *message;     /* for FAILED/MISSING */
} dv_checkout_item;

typedef struct {
	bool force;
	bool relink;
} dv_checkout_opts;

/* Make the work tree at `relpath` match `entry` (which must have a hash).
 * Items (one per path that was not unchanged; for directories one per file)
 * are appended to `report` (a dv_vec of dv_checkout_item). */
int dv_workspace_checkout_entry(dv_repo *repo, const dv_stage_file *entry, const char *relpath,
				const dv_checkout_opts *opts, dv_vec *report);
void dv_checkout_report_free(dv_vec *report);
/* dv_workspace_checkout_entry for every cached, recorded out of `stages`
 * (a dv_vec of dv_stage*). */
void dv_workspace_checkout_stages(dv_repo *repo, const dv_vec *stages, const dv_checkout_opts *opts,
				  dv_vec *report);

/* Replace links into the cache at `relpath` (a file or every file of a
 * directory) by writable copies of their own, so editing them cannot touch
 * the cache. */
int dv_workspace_unprotect(dv_repo *repo, const char *relpath);

/* Compare an entry with the work tree: 0 same, 1 modified, 2 deleted,
 * 3 never committed (no hash); <0 error. */
enum { DV_WS_SAME = 0, DV_WS_MODIFIED = 1, DV_WS_DELETED = 2, DV_WS_NEW = 3 };
int dv_workspace_compare(dv_repo *repo, const dv_stage_file *entry, const char *relpath,
			 dv_ws_state *now);
/* The same comparison against a state hashed already (DV_WS_*). */
int dv_workspace_compare_state(const dv_stage_file *entry, const dv_ws_state *now);

/* Every .stage file in the work tree (repo-relative, sorted); skips .git,
 * .dv and ignored directories' contents are still walked (stages can live
 * anywhere) but never reads a data file. */
int dv_workspace_find_stages(dv_strvec *out, dv_repo *repo);
/* Load every stage found (a dv_vec of dv_stage*). */
int dv_workspace_load_stages(dv_vec *out, dv_repo *repo);
/* The same, leaving out the .stage files in `resolving` (repo-relative)
 * that hold merge-conflict markers: 'dv add' of their data resolves them. */
int dv_workspace_load_stages_resolving(dv_vec *out, dv_repo *repo, const dv_strvec *resolving);
void dv_stages_free(dv_vec *stages);
/* The stages named by user TARGETs (see dv_workspace_resolve_target), or
 * every stage when n == 0; each stage once, in the order named. */
int dv_workspace_load_targets(dv_vec *out, dv_repo *repo, char *const *targets, size_t n);

/* The stage (in `stages`, a dv_vec of dv_stage*) with an out equal to
 * `relpath` or containing it; NULL if none.  `out_index` (may be NULL)
 * receives the out's index. */
dv_stage *dv_workspace_find_owner(const dv_vec *stages, const char *relpath, size_t *out_index);

/* Resolve a user TARGET (a .stage file, a stage name, or a tracked path) to
 * the repo-relative path of its .stage file. */
int dv_workspace_resolve_target(char **stage_path, dv_repo *repo, const char *target);

#endif
