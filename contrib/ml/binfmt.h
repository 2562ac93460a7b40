/*
 * binfmt.h - the pieces shared by dv's two binary ML files, the prepared
 * matrix (matfile.h) and the model (model.h): little-endian header fields
 * and the block of class names, one per line.
 *
 * Header fields are assembled byte by byte rather than by casting a struct,
 * so the on-disk layout is exactly what the format comments say, with no
 * padding or alignment left to the compiler.
 */
#ifndef DV_ML_BINFMT_H
#define DV_ML_BINFMT_H

#include <stddef.h>
#include <stdint.h>

#include "atomicfile.h"

void ml_put_le(unsigned char *p, uint64_t v, int bytes);
uint64_t ml_get_le(const unsigned char *p, int bytes);

/* Bytes the names take in a file: each name plus its '\n'. */
size_t ml_names_size(char *const *names, size_t n);

int ml_names_write(ml_atomic *f, char *const *names, size_t n);

/* Splits a block of exactly n '\n'-terminated names into a new array of n
 * strings (*out, freed by the caller along with each name).  `what` names
 * the file in the error message. */
int ml_names_parse(char ***out, const char *block, size_t len, size_t n,
		   const char *what);

#endif
