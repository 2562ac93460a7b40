/*
 * repro.h - the executor behind `dv repro`: walks the stage graph in
 * topological order and runs each stale command stage with `/bin/sh -c` in
 * the stage's directory, up to N at a time.
 *
 * A stage is judged only when every upstream stage in the run has
 * finished, against the hashes its upstream just wrote, which gives early
 * cutoff for free.  Children run in their own process groups with stdin
 * from /dev/null; with one job their output goes straight to the
 * terminal, with more it comes back through pipes and is handed to the
 * caller line by line (so the CLI can prefix "[name] ").  A single event
 * loop (poll over the pipes and a self-pipe fed by SIGCHLD and the
 * terminating signals) does all the work: .stage files are written between
 * events, never from a signal handler, so an interrupt leaves every .stage
 * either old or new.  The library prints nothing: everything the user sees
 * goes through the event callback.
 */
#ifndef DV_REPRO_H
#define DV_REPRO_H

#include <stdbool.h>
#include <stddef.h>

#include "dv/buf.h"
#include "dv/repo.h"
#include "dv/stage.h"

typedef enum {
	DV_REPRO_UNCHANGED,   /* up to date, skipped */
	DV_REPRO_FROZEN,      /* stale but frozen, skipped */
	DV_REPRO_WOULD_RUN,   /* --dry: would run (changes in `changes`) */
	DV_REPRO_START,       /* about to run `cmd` (expanded) */
	DV_REPRO_OUTPUT,      /* a line of the child's output (-j > 1) */
	DV_REPRO_DONE,        /* ran and was recorded */
	DV_REPRO_RESTORED,    /* outs restored from the run-cache */
	DV_REPRO_FAILED,      /* the command failed (message in `text`) */
	DV_REPRO_SKIPPED,     /* not run because an upstream stage failed */
	DV_REPRO_NOT_CACHED,  /* up to date, outs committed to the cache */
	DV_REPRO_PULLED,      /* --pull: `text` says what was fetched (stage NULL) */
	DV_REPRO_QUEUED,      /* --executor slurm: submitted, `text` the job id */
} dv_repro_event_kind;

typedef struct {
	dv_repro_event_kind kind;
	const dv_stage *stage;
	const char *text;       /* cmd for START, the line for OUTPUT (no newline), message for FAILED */
	int stream;             /* OUTPUT: 1 stdout, 2 stderr */
	const dv_vec *changes;  /* WOULD_RUN / START: dv_change list (empty when forced) */
	bool forced;
} dv_repro_event;

typedef void (*dv_repro_callback)(void *ctx, const dv_repro_event *ev);

typedef struct {
	const char *const *targets; /* stage files, names or out paths; NULL/0: all */
	size_t ntargets;
	bool force;        /* -f: run even if up to date */
	bool single;       /* -s: only the targets, not their upstream */
	bool dry;          /* -n: say what would run */
	bool downstream;   /* the targets and what depends on them */
	int jobs;          /* -j N (>= 1) */
	bool keep_going;   /* -k: a failure stops only its downstream */
	bool no_run_cache;
	bool pull;         /* --pull: fetch missing objects of the selected
			    * stages from the remote and check out missing
			    * outs before judging anything */
	const char *remote; /* for pull; NULL: core.remote */
	bool no_git_stage; /* leave the rewritten .stage files unstaged (a
			    * Slurm job: the submitting dv stages them) */
	dv_repro_callback callback;
	void *ctx;
} dv_repro_opts;

typedef struct {
	size_t ran, restored, unchanged, failed, skipped;
	bool interrupted;  /* a signal stopped the run (sig holds it) */
	int sig;
} dv_repro_summary;

/* Run what is stale.  Returns 0 when every selected stage is up to date
 * afterwards, DV_ERROR when a stage failed (the last failure's message is
 * set), DV_EINTR when interrupted, or an error found before anything ran
 * (a cycle, a missing dep no stage produces, an unknown target). */
int dv_repro(dv_repro_summary *summary, dv_repo *repo, const dv_repro_opts *opts);

/* `cmd` with every ${section.key} replaced by the param's value, looked up
 * in the stage's declared params (their recorded values).  An unknown key
 * is an error naming the stage. */
int dv_stage_expand_cmd(dv_buf *out, const dv_stage *st);
/* The ${...} references in `cmd` ("section.key" items, in order, unique):
 * only names with a dot are params, so shell ${HOME} is left alone. */
void dv_cmd_param_refs(dv_strvec *out, const char *cmd);

#endif
