/*
 * transfer.h - moving the objects that .stage files reference between the
 * cache and a remote: the library side of `dv push`, `dv fetch`, `dv pull`,
 * `dv status -c` and `dv repro --pull`.
 *
 * Which objects: every cached out of the target stages (every stage when
 * there are no targets), a directory's manifest AND every file it lists;
 * with all_commits (no targets then), the outs of the .stage files of
 * every commit reachable from any ref and of the work tree (objects.h); with run_cache, the run-cache entries and the objects they
 * name.  The remote is listed once, what the other side already has is
 * skipped, and the rest goes to the backend as one batch.
 */
#ifndef DV_TRANSFER_H
#define DV_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/hash.h"
#include "dv/repo.h"
#include "dv/stage.h"

typedef struct {
	const char *remote;         /* NULL: core.remote */
	char *const *targets;       /* .stage files, stage names or tracked paths */
	size_t ntargets;            /* 0: every stage */
	int jobs;                   /* 0: remote.NAME.jobs or the kind's default */
	bool all_commits;
	bool run_cache;
	bool verify_remote;         /* push: re-hash the remote's copies, replace bad ones */
	bool repack;                /* push: pack the remote's loose small objects too */
	const char *const *revs;    /* else: the stages of these git revisions */
	size_t nrevs;               /* (dv exp push/pull: experiments' commits) */
} dv_transfer_opts;

typedef struct {
	size_t objects;      /* distinct objects the targets reference */
	size_t up_to_date;   /* already on the receiving side */
	size_t transferred;
	uint64_t bytes;      /* bytes of the transferred objects */
	size_t missing;      /* push: not in the cache; fetch: not on the remote */
	size_t failed;       /* any other failure (corrupt, connection, disk) */
	size_t verified;     /* push --verify-remote: remote copies re-hashed */
	size_t remote_corrupt; /* ... found corrupt (or gone since listed) */
	size_t replaced;     /* ... of those, replaced by the cache's copy */
	dv_strvec messages;  /* one line per missing or failed object */
	size_t stale_removed; /* push: temp files killed pushes left on the remote */
	dv_strvec warnings;  /* what went wrong without failing the transfer */
	size_t repacked;     /* push --repack: loose objects moved into packs */
	size_t requests;     /* requests sent to the remote (network kinds) */
} dv_transfer_report;

void dv_transfer_report_free(dv_transfer_report *rep);

/* Upload what the remote lacks, each object hashed as it is read (a
 * corrupt cache object fails, named with the fix, and never reaches the
 * remote).  Missing objects are counted and named in the report
 * (everything else is still pushed); returns <0 only when something
 * failed (with the first failure as the last error).  With
 * verify_remote, the remote's copies of the objects that were already
 * there are fetched into a scratch cache and re-hashed; corrupt ones are
 * replaced with the cache's copy (counts in the report). */
int dv_push(dv_transfer_report *rep, dv_repo *repo, const dv_transfer_opts *opts);
/* Download what the cache lacks, each object re-hashed before it enters
 * the cache (a corrupt one is a failure naming the object and remote).
 * Manifests first, then the files they list. */
int dv_fetch(dv_transfer_report *rep, dv_repo *repo, const dv_transfer_opts *opts);

/* For `dv repro --pull`: fetch what the cache lacks of the recorded outs
 * of `stages` (objects no remote has are only counted as missing), so the
 * caller can check them out or skip the run.  Deps come as the outs of
 * the stages producing them: a dep no stage produces (code git tracks) is
 * no object at all. */
int dv_fetch_stages(dv_transfer_report *rep, dv_repo *repo, dv_stage *const *stages,
		    size_t nstages, const dv_transfer_opts *opts);

/* For `dv status -c`: one entry per cached out (a directory counts as
 * present only when its manifest and every file are). */
typedef struct {
	char *path;       /* repo-relative */
	dv_hash hash;
	bool is_dir;
	bool in_cache;
	bool on_remote;
} dv_cloud_status;

/* Fills `out` (a dv_vec of dv_cloud_status, in stage order) for the
 * targets of `opts`; `remote_name_out` (may be NULL) receives the name of
 * the remote compared with. */
int dv_cloud_status_collect(dv_vec *out, char **remote_name_out, dv_repo *repo,
			    const dv_transfer_opts *opts);
void dv_cloud_status_free(dv_vec *items);

#endif
