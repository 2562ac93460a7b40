/*
 * cli.h - what the four ML programs' command lines have in common: number
 * arguments, the exit statuses (0 ok, 1 failure, 2 usage), and reporting
 * which BLIS configuration and kernels they run with.
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

/* --version: the BLIS version and configuration the program runs with,
 * whether the CPU has AVX2+FMA and how the products' path is chosen
 * (DV_ML_KERNEL, kernels.h), as `key: value` lines on stdout; with `warn`
 * (programs that run BLIS), also ml_cli_blis_check's warning.  Returns the
 * exit status (DV_ML_KERNEL may be invalid). */
int ml_cli_version(const char *prog, int warn, int trains);

/* Checks DV_ML_KERNEL (printing `prog: error: ...` if invalid, returning
 * -1) and warns on stderr when BLIS runs its generic configuration, so
 * that slow runs on a CPU newer than the installed BLIS say why; `trains`
 * (dv-train) adds what runs instead. */
int ml_cli_blis_check(const char *prog, int trains);

#endif
