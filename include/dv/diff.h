/*
 * diff.h - which data files differ between two git revisions, or between
 * a revision and the work tree (`dv diff`).
 *
 * Each side is the list of data files its .stage files name: a file out is
 * one entry, a directory out one entry per file of its manifest (read from
 * the cache; the work tree's own listing on the workspace side).  Outs
 * whose hash is the same on both sides are skipped before any manifest is
 * read, so two revisions of a 100,000-file directory cost two manifest
 * reads and one merge, and unchanged directories cost nothing.  A deleted
 * path and an added path with the same bytes are reported as one rename.
 */
#ifndef DV_DIFF_H
#define DV_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/hash.h"
#include "dv/repo.h"

typedef enum {
	DV_DIFF_ADDED,
	DV_DIFF_DELETED,
	DV_DIFF_MODIFIED,
	DV_DIFF_RENAMED,
} dv_diff_kind;

typedef struct {
	dv_diff_kind kind;
	char *path;      /* repo-relative; the new path of a rename */
	char *old_path;  /* renames only */
	bool has_old, has_new;
	dv_hash old_hash, new_hash;
	uint64_t old_size, new_size;
	/* A whole directory whose manifest is not in the cache, so its files
	 * could not be compared one by one. */
	bool is_dir;
} dv_diff_entry;

typedef struct {
	dv_vec entries;      /* dv_diff_entry: added, deleted, modified, renamed;
	                      * each kind sorted by path */
	dv_strvec warnings;  /* manifests that could not be read */
} dv_diff_result;

void dv_diff_result_free(dv_diff_result *r);

/* Compare revision `a` with revision `b`, or with the work tree when `b` is
 * NULL.  Revisions are anything git rev-parse accepts. */
int dv_diff(dv_diff_result *out, dv_repo *repo, const char *a, const char *b);

const char *dv_diff_kind_name(dv_diff_kind k); /* "added", "deleted", ... */

#endif
