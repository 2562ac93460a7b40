/*
 * atomicfile.h - write an output file so that it appears whole or not at all.
 *
 * Every file the ML programs produce (CSV, matrices, models, metrics) goes
 * through here: the data is written to a temporary file next to the target,
 * flushed to disk, and renamed over the target only on commit.  A program
 * that fails half way (bad input row, full disk, a signal) therefore leaves
 * the previous output, or none, never a truncated one that a later pipeline
 * stage would happily read.
 */
#ifndef DV_ML_ATOMICFILE_H
#define DV_ML_ATOMICFILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
	FILE *fp;      /* write through this (or ml_atomic_write) */
	char *path;    /* final name */
	char *tmp;     /* temporary name, NULL for stdout or once finished */
} ml_atomic;

/* Opens a temporary file beside `path`.  A `path` of "-" writes to standard
 * output directly (nothing to rename; used by dv-mlgen's default). */
int ml_atomic_open(ml_atomic *out, const char *path);

/* Writes `len` bytes; fails on a short write. */
int ml_atomic_write(ml_atomic *f, const void *data, size_t len);

/* Flushes, fsyncs and closes the temporary file, leaving only the rename:
 * a program writing several outputs finishes all of them before committing
 * any, so a failed write (disk full) leaves none of them replaced. */
int ml_atomic_finish(ml_atomic *f);

/* Flushes, fsyncs (unless already finished), renames the temporary file to its final name and fsyncs
 * the directory.  On failure the temporary file is removed. */
int ml_atomic_commit(ml_atomic *f);

/* Discards an uncommitted file (removes the temporary); harmless after
 * commit, so a cleanup path can call it unconditionally. */
void ml_atomic_abort(ml_atomic *f);

/* Convenience: the whole of `data` as the new content of `path`. */
int ml_write_file_atomic(const char *path, const void *data, size_t len);

#endif
