/*
 * ls.h - what a dv repository holds at a revision (`dv ls`): its git files
 * and the data its .stage files track, with sizes, read from git objects
 * alone (the .stage files give a tracked path's size and file count; a
 * tracked directory's listing is one small manifest object).  No data is
 * fetched.
 */
#ifndef DV_LS_H
#define DV_LS_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/get.h"
#include "dv/hash.h"

typedef struct {
	char *path;      /* relative to the listed directory */
	bool is_dir;
	bool dv;         /* tracked by dv (an out, or inside one) */
	bool is_out;     /* exactly the path of an out */
	bool exec;
	bool has_hash;   /* dv-tracked: the object's hash */
	dv_hash hash;
	uint64_t size;   /* bytes; a directory: all files below */
	uint64_t files;  /* a directory: files below */
} dv_ls_entry;

/* The entries of `path` (relative to the source's root; "" or "." for the
 * root) at the source's commit: a directory's children (every file below,
 * when `recursive`), or the one entry of a file.  Sorted by path.
 * DV_ENOTFOUND names a path that is not there. */
int dv_ls(dv_vec *out /* dv_ls_entry */, dv_source *s, const char *path, bool recursive);
void dv_ls_free(dv_vec *entries);

#endif
