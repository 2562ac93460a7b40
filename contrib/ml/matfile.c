/*
 * matfile.c - read and write the DVMLMAT1 prepared-data format (see
 * matfile.h for the layout and why it is fixed-offset).
 */
#define _POSIX_C_SOURCE 200809L
#include "matfile.h"
#include "atomicfile.h"
#include "binfmt.h"
#include "mlerr.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the DVMLMAT1 format is little-endian and written with plain fwrite"
#endif

void ml_dataset_free(ml_dataset *ds)
{
	free(ds->X);
	free(ds->y);
	free(ds->labels);
	if (ds->class_names)
		for (size_t i = 0; i < ds->n_classes; i++)
			free(ds->class_names[i]);
	free(ds->class_names);
	memset(ds, 0, sizeof(*ds));
}

/* a * b, failing instead of wrapping: sizes come from untrusted headers. */
static int mul_size(size_t *out, size_t a, size_t b)
{
	if (b && a > SIZE_MAX / b)
		return -1;
	*out = a * b;
	return 0;
}

int ml_matfile_write_to(ml_atomic *f, const ml_dataset *ds,
			const size_t *rows, size_t nrows)
{
	unsigned char header[ML_MATFILE_HEADER_BYTES];
	size_t names_bytes = 0;

	if (ds->kind == ML_TARGET_CLASSES)
		names_bytes = ml_names_size(ds->class_names, ds->n_classes);
	memcpy(header, ML_MATFILE_MAGIC, 8);
	ml_put_le(header + 8, nrows, 8);
	ml_put_le(header + 16, ds->cols, 8);
	ml_put_le(header + 24, (uint64_t)ds->kind, 4);
	ml_put_le(header + 28, ds->kind == ML_TARGET_CLASSES ? ds->n_classes : 0, 4);
	ml_put_le(header + 32, names_bytes, 8);

	if (ml_atomic_write(f, header, sizeof(header)) < 0)
		return -1;
	for (size_t i = 0; i < nrows; i++) {
		size_t r = rows ? rows[i] : i;
		if (ml_atomic_write(f, ds->X + r * ds->cols, ds->cols * sizeof(double)) < 0)
			return -1;
	}
	for (size_t i = 0; i < nrows; i++) {
		size_t r = rows ? rows[i] : i;
		int wrc = ds->kind == ML_TARGET_REGRESSION
			? ml_atomic_write(f, &ds->y[r], sizeof(double))
			: ml_atomic_write(f, &ds->labels[r], sizeof(int32_t));
		if (wrc < 0)
			return -1;
	}
	if (ds->kind == ML_TARGET_CLASSES &&
	    ml_names_write(f, ds->class_names, ds->n_classes) < 0)
		return -1;
	return 0;
}

int ml_matfile_write(const char *path, const ml_dataset *ds,
		     const size_t *rows, size_t nrows)
{
	ml_atomic f;

	if (ml_atomic_open(&f, path) < 0)
		return -1;
	if (ml_matfile_write_to(&f, ds, rows, nrows) < 0) {
		ml_atomic_abort(&f);
		return -1;
	}
	return ml_atomic_commit(&f);
}

int ml_matfile_read(ml_dataset *out, const char *path)
{
	unsigned char header[ML_MATFILE_HEADER_BYTES];
	size_t xcount, xbytes, tbytes, expect;
	uint64_t rows, cols, names_bytes;
	uint32_t kind, n_classes;
	char *names = NULL;
	struct stat st;
	FILE *fp;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	fp = fopen(path, "rb");
	if (!fp)
		return ml_fail("cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(fp), &st) != 0) {
		ml_fail("cannot stat '%s': %s", path, strerror(errno));
		goto done;
	}
	if (fread(header, 1, sizeof(header), fp) != sizeof(header) ||
	    memcmp(header, ML_MATFILE_MAGIC, 8) != 0) {
		ml_fail("'%s' is not a prepared matrix file (no DVMLMAT1 header)", path);
		goto done;
	}
	rows = ml_get_le(header + 8, 8);
	cols = ml_get_le(header + 16, 8);
	kind = (uint32_t)ml_get_le(header + 24, 4);
	n_classes = (uint32_t)ml_get_le(header + 28, 4);
	names_bytes = ml_get_le(header + 32, 8);
	if ((kind != ML_TARGET_REGRESSION && kind != ML_TARGET_CLASSES) ||
	    (kind == ML_TARGET_CLASSES && n_classes < 2) ||
	    (kind == ML_TARGET_REGRESSION && (n_classes || names_bytes)) ||
	    rows > SIZE_MAX || cols > SIZE_MAX || names_bytes > (1u << 20) ||
	    mul_size(&xcount, rows, cols) < 0 ||
	    mul_size(&xbytes, xcount, sizeof(double)) < 0 ||
	    mul_size(&tbytes, rows, kind == ML_TARGET_REGRESSION ? sizeof(double) : sizeof(int32_t)) < 0 ||
	    xbytes > SIZE_MAX - tbytes - names_bytes - sizeof(header)) {
		ml_fail("'%s' is corrupt: impossible header", path);
		goto done;
	}
	expect = sizeof(header) + xbytes + tbytes + names_bytes;
	if ((uint64_t)st.st_size != expect) {
		ml_fail("'%s' is corrupt: %lld bytes, header implies %zu",
			path, (long long)st.st_size, expect);
		goto done;
	}
	out->rows = rows;
	out->cols = cols;
	out->kind = (ml_target_kind)kind;
	out->n_classes = n_classes;
	out->X = malloc(xbytes ? xbytes : 1);
	if (kind == ML_TARGET_REGRESSION)
		out->y = malloc(tbytes ? tbytes : 1);
	else
		out->labels = malloc(tbytes ? tbytes : 1);
	names = malloc(names_bytes + 1);
	if (!out->X || (!out->y && !out->labels) || !names) {
		ml_fail("out of memory reading '%s' (%zu bytes)", path, expect);
		goto done;
	}
	if (fread(out->X, 1, xbytes, fp) != xbytes ||
	    fread(out->y ? (void *)out->y : (void *)out->labels, 1, tbytes, fp) != tbytes ||
	    fread(names, 1, names_bytes, fp) != names_bytes) {
		ml_fail("cannot read '%s': %s", path, ferror(fp) ? strerror(errno) : "short read");
		goto done;
	}
	/* Every value must be a number: a NaN or infinity (a damaged or
	 * hand-made file; dv-prepare writes none) would make the whole model
	 * NaN without an error.  The pass also reads every fresh page once
	 * while loading: on some virtual machines the first user access to
	 * pages read() filled costs ~10 us each (1 s per 300 MB measured), which
	 * would otherwise land in the first pass of the timed fit. */
	for (size_t i = 0; i < xcount; i++)
		if (!isfinite(out->X[i])) {
			ml_fail("'%s' is corrupt: row %zu column %zu is %g, not a finite number",
				path, (size_t)(i / cols), (size_t)(i % cols), out->X[i]);
			goto done;
		}
	for (size_t i = 0; out->y && i < out->rows; i++)
		if (!isfinite(out->y[i])) {
			ml_fail("'%s' is corrupt: the target of row %zu is %g, not a finite number",
				path, i, out->y[i]);
			goto done;
		}
	if (kind == ML_TARGET_CLASSES) {
		if (ml_names_parse(&out->class_names, names, names_bytes, out->n_classes, path) < 0)
			goto done;
		for (size_t i = 0; i < out->rows; i++)
			if (out->labels[i] < 0 || (size_t)out->labels[i] >= out->n_classes) {
				ml_fail("'%s' is corrupt: row %zu has label %d, n_classes is %zu",
					path, i, (int)out->labels[i], out->n_classes);
				goto done;
			}
	}
	rc = 0;
done:
	free(names);
	fclose(fp);
	if (rc < 0)
		ml_dataset_free(out);
	return rc;
}
