/*
 * cli.h - what every dv command shares: the command signature, printing
 * errors from the library's last-error message, option-parsing helpers
 * and the global flags (-C, -q, -v).
 *
 * Exit codes (SPEC): 0 success, 1 failure or differences with --exit-code,
 * 2 bad usage.
 */
#ifndef DV_CLI_H
#define DV_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "dv/repo.h"
#include "dv/repro.h"
#include "dv/stage.h"

typedef int (*dv_cmd_fn)(int argc, char **argv, dv_repo *repo);

struct dv_command {
	const char *name;
	dv_cmd_fn fn;
	unsigned flags;
	const char *summary;
};
#define CMD_NEED_REPO 1u

extern int cli_quiet;
extern int cli_verbose;

/* Print "dv: error: <last error>" and return the exit code for `rc`. */
int cli_fail(int rc);
/* Print "dv: error: <fmt>" and return 1. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "usage: ..." (the command's usage lines) to stderr, return 2. */
int cli_usage_error(const char *const *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print usage to stdout and return 0 (for -h). */
int cli_usage(const char *const *usage);
/* Informational output, silenced by -q. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* getopt_long over argv with the shared options (-h, -q, -v) added:
 * returns the option character, -1 at the end, 'h' for help, '?' on an
 * unknown option (already reported). Call with argc/argv of the command
 * (argv[0] is the command name). */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* Acquire the repository lock or print why not; returns NULL on failure. */
struct dv_lock;
struct dv_lock *cli_lock(dv_repo *repo);

/* The body of commands that change .stage files (commit, remove): take the
 * lock, load the TARGETs' stages (every stage when ntargets == 0), call
 * `fn` on each (printing "<verb> <path>" or the error), stage what the
 * calls collected in git, release.  Returns the exit code. */
typedef int (*cli_stage_fn)(dv_repo *repo, dv_stage *st, dv_strvec *to_stage, void *ctx);
int cli_change_stages(dv_repo *repo, char *const *targets, size_t ntargets, cli_stage_fn fn,
		      void *ctx, const char *verb);

/* A cli_stage_fn (ctx: bool, delete the outs too): untrack one stage, its
 * outs made private writable files (dv remove, dv destroy). */
int cli_untrack_stage(dv_repo *repo, dv_stage *st, dv_strvec *to_stage, void *ctx);

/* How cli_print_checkout_report words and filters a checkout's report. */
typedef struct {
	const char *command;   /* "checkout", "pull": named in the hint of -f */
	bool json;             /* stdout holds a JSON document: no path lines there */
	bool missing_reported; /* missing objects were named already (by a fetch) */
} cli_checkout_print_opts;

/* Print what dv_workspace_checkout_stages reported (`report`, a dv_vec of
 * dv_checkout_item), in `dv checkout`'s words: "M\t<path>" for each file
 * written and "relinked\t<path>" for each link redone (stdout, silenced by
 * -q), a "dv: error:" line for each path kept, missing or failed.  Returns
 * 1 when a path was not checked out, else 0; `restored` (may be NULL)
 * receives how many files were written. */
int cli_print_checkout_report(size_t *restored, dv_repo *repo, const dv_vec *report,
			      const cli_checkout_print_opts *o);

/* The bar of local work (add, commit, checkout, status): files and bytes
 * hashed, stored or written, rate and time left, on stderr when it is a
 * terminal (never with -q), after half a second.  _clear erases it before
 * a line of output; _end erases it for good (DV_PROGRESS=1 keeps the last
 * state, for tests). */
struct dv_progress *cli_progress_begin(const char *what);
void cli_progress_clear(void);
void cli_progress_end(struct dv_progress *p);

/* Imports (dv import, dv import-url): the new output OUT (as typed)
 * becomes `rel` (repo-relative) tracked by `stage_path`; neither may exist
 * yet. */
int cli_import_target(char **rel, char **stage_path, dv_repo *repo, const char *out);
/* Check out the one out of an import's stage `st` (at repo-relative
 * `rel`), turning what the checkout reports into one error. */
int cli_import_checkout(dv_repo *repo, const dv_stage *st, const char *rel);

/* How `dv repro` words its progress (cmd_repro.c); `dv exp run` prints
 * an experiment's stages the same way. */
typedef struct {
	bool prefix;      /* "[stage] " before the output of parallel stages */
	bool keep_going;
	bool slurm;
} cli_repro_print_ctx;
void cli_repro_print_event(void *ctx, const dv_repro_event *ev);

/* A command made of subcommands (`dv exp run`, `dv queue start`): find
 * argv[1] in `subs` and call it with argv[0] "CMD SUB", so its messages
 * name both.  `what` lists the subcommands for the error without one. */
typedef struct {
	const char *name;
	dv_cmd_fn fn;
} cli_subcommand;
int cli_run_subcommand(int argc, char **argv, dv_repo *repo, const cli_subcommand *subs, size_t nsubs,
		       const char *const *usage, const char *what);

/* Exit code for a library status: 0, 2 for DV_EUSAGE, 1 otherwise. */
int cli_exit_code(int rc);

#endif
