/*
 * cli.c - shared command-line helpers (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int ml_cli_integer(uint64_t *out, const char *prog, const char *opt,
		   const char *text, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (*text < '0' || *text > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr, "%s: error: invalid %s '%s' (expected an integer from %" PRIu64
			" to %" PRIu64 ")\n", prog, opt, text, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int ml_cli_usage(const char *usage)
{
	fputs(usage, stderr);
	return ML_EXIT_USAGE;
}
