/*
 * transfer_cli.h - what `dv push`, `dv fetch` and `dv pull` share: their
 * common options (-r, -j, --all-commits, --run-cache, --json, targets) and
 * the report they print.
 */
#ifndef DV_TRANSFER_CLI_H
#define DV_TRANSFER_CLI_H

#include <stdbool.h>

#include "cli.h"
#include "dv/transfer.h"

typedef struct {
	dv_transfer_opts t;
	bool json;
	bool force; /* pull only */
} cli_transfer_args;

typedef enum { CLI_TRANSFER_PUSH, CLI_TRANSFER_FETCH, CLI_TRANSFER_PULL } cli_transfer_kind;

/* Parse argv (-f is pull's, --verify-remote push's); returns -1 to go
 * on, or the exit code (help, bad usage). */
int cli_transfer_parse(cli_transfer_args *a, int argc, char **argv, const char *const *usage,
		       cli_transfer_kind kind);
/* Print what happened (`verb`: "pushed", "fetched"), the missing and
 * failed objects as error lines; returns the exit code. */
int cli_transfer_print(const dv_transfer_report *rep, int rc, const char *verb,
		       const cli_transfer_args *a, dv_repo *repo, bool say_idle);

/* The whole of `dv push` (push) or `dv fetch`: parse, lock, move, report. */
int cli_transfer_command(int argc, char **argv, dv_repo *repo, const char *const *usage, bool push);

#endif
