/*
 * fuzz.h - what dv's libFuzzer targets share: the entry point's signature
 * and FUZZ_CHECK, which turns a broken property (a round trip that does not
 * agree) into a crash libFuzzer saves, the same way ASan turns a bad access
 * into one.
 */
#ifndef DV_FUZZ_H
#define DV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dv/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: property broken: %s\n  ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n  last error: %s\n", dv_error_last() ? dv_error_last() : ""); \
		abort(); \
	} } while (0)

#endif
