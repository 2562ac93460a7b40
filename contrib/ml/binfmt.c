/*
 * binfmt.c - little-endian fields and class-name blocks (see binfmt.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "binfmt.h"
#include "mlerr.h"

#include <stdlib.h>
#include <string.h>

void ml_put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t ml_get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

size_t ml_names_size(char *const *names, size_t n)
{
	size_t bytes = 0;

	for (size_t i = 0; i < n; i++)
		bytes += strlen(names[i]) + 1;
	return bytes;
}

int ml_names_write(ml_atomic *f, char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ml_atomic_write(f, names[i], strlen(names[i])) < 0 ||
		    ml_atomic_write(f, "\n", 1) < 0)
			return -1;
	return 0;
}

int ml_names_parse(char ***out, const char *block, size_t len, size_t n,
		   const char *what)
{
	char **names = calloc(n ? n : 1, sizeof(*names));
	size_t start = 0, count = 0;

	*out = NULL;
	if (!names)
		return ml_fail("out of memory");
	for (size_t i = 0; i < len && count < n; i++) {
		if (block[i] != '\n')
			continue;
		names[count] = strndup(block + start, i - start);
		if (!names[count])
			goto fail_oom;
		count++;
		start = i + 1;
	}
	if (count != n || start != len) {
		for (size_t i = 0; i < count; i++)
			free(names[i]);
		free(names);
		return ml_fail("'%s' is corrupt: its class names do not match its %zu classes",
			       what, n);
	}
	*out = names;
	return 0;
fail_oom:
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return ml_fail("out of memory");
}
