/*
 * cli.h - what the four ML programs' command lines have in common: number
 * arguments and the exit statuses (0 ok, 1 failure, 2 usage).
 */
#ifndef DV_ML_CLI_H
#define DV_ML_CLI_H

#include <stdint.h>

enum { ML_EXIT_OK = 0, ML_EXIT_FAILURE = 1, ML_EXIT_USAGE = 2 };

/* Parses a decimal integer in [min, max] given for option `opt`; on a bad
 * value prints `prog: error: invalid <opt> '<text>' ...` and returns -1. */
int ml_cli_integer(uint64_t *out, const char *prog, const char *opt,
		   const char *text, uint64_t min, uint64_t max);

/* Prints the usage lines and returns ML_EXIT_USAGE. */
int ml_cli_usage(const char *usage);

#endif
