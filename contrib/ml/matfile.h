/*
 * matfile.h - the prepared-data file: a dense feature matrix plus its
 * targets, as written by dv-prepare and read by dv-train, dv-eval and the
 * scikit-learn benchmark helper.
 *
 * Format "DVMLMAT1" (all integers little-endian, doubles IEEE-754 binary64
 * little-endian; dv only builds on little-endian hosts, checked at compile
 * time):
 *
 *   offset  size          field
 *   0       8             magic, the ASCII bytes "DVMLMAT1"
 *   8       8             u64 rows
 *   16      8             u64 cols
 *   24      4             u32 target kind: 1 = regression, 2 = classes
 *   28      4             u32 n_classes (0 for regression)
 *   32      8             u64 names_bytes, length of the class-name block
 *   40      rows*cols*8   X, float64, row-major
 *   ...     rows*8        regression: y, float64
 *           rows*4        classes: labels, int32 in [0, n_classes)
 *   ...     names_bytes   classes: the n_classes names, each ended by '\n'
 *
 * The layout is fixed-offset on purpose: numpy reads it with two
 * np.fromfile calls, and X can be used in place with no parsing step.  The
 * file size must be exactly what the header implies; anything else is
 * reported as corrupt rather than half-read.
 */
#ifndef DV_ML_MATFILE_H
#define DV_ML_MATFILE_H

#include <stddef.h>
#include <stdint.h>

#include "atomicfile.h"

#define ML_MATFILE_MAGIC "DVMLMAT1"
#define ML_MATFILE_HEADER_BYTES 40

typedef enum {
	ML_TARGET_REGRESSION = 1,
	ML_TARGET_CLASSES = 2,
} ml_target_kind;

typedef struct {
	size_t rows, cols;
	ml_target_kind kind;
	double *X;           /* rows x cols, row-major */
	double *y;           /* regression: rows targets */
	int32_t *labels;     /* classes: rows labels */
	size_t n_classes;
	char **class_names;  /* classes: n_classes names */
} ml_dataset;

void ml_dataset_free(ml_dataset *ds);

/* Reads a whole matfile into memory (X is one allocation, used in place). */
int ml_matfile_read(ml_dataset *out, const char *path);

/* Writes the rows of `ds` listed in `rows` to an open atomic file without
 * committing it (for a program with several outputs, see atomicfile.h). */
int ml_matfile_write_to(ml_atomic *f, const ml_dataset *ds,
			const size_t *rows, size_t nrows);

/* Writes the rows of `ds` listed in `rows` (in that order; NULL with
 * nrows = ds->rows means all rows), atomically. */
int ml_matfile_write(const char *path, const ml_dataset *ds,
		     const size_t *rows, size_t nrows);

#endif
