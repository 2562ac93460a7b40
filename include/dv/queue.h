/*
 * queue.h - experiments waiting to run or running, and the runner that
 * runs them N at a time, each in a pool worktree (exp.h) and its own
 * process.
 *
 * An entry is a small JSON file, .dv/exps/queue/NAME.json while it waits
 * and .dv/exps/running/NAME.json while it runs.  Taking an entry is a
 * flock on it then a rename into running/ (one rename wins, so two
 * runners never take the same entry); the lock is held by the process
 * running the experiment for as long as it runs, so an entry in running/
 * whose lock can be taken has lost its runner (kill -9, a reboot):
 * dv_queue_recover puts such an entry back in the queue (or drops it, for
 * a sweep's entry whose `dv exp run` is gone); the pool worktree it held
 * is reset by the next experiment that takes it.
 * Every write is atomic (fs.h), so a killed runner loses no entry.
 *
 * The runner (dv_exp_runner_run) starts `dv exp __run-entry NAME FD` for
 * each entry with the entry's locked descriptor inherited, copies what it
 * prints into .dv/exps/logs/NAME.log and hands every line to the caller;
 * a terminating signal stops it starting new ones and is forwarded to the
 * running ones, which clean up after themselves.
 */
#ifndef DV_QUEUE_H
#define DV_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dv/buf.h"
#include "dv/repo.h"

typedef struct {
	char *name;
	char base[41];       /* commit the experiment starts from */
	char *message;       /* NULL: none */
	dv_strvec overrides; /* "FILE:KEY=VALUE" */
	dv_strvec targets;   /* repro targets; empty: all */
	char *executor;      /* NULL or "local": here; "slurm" */
	bool keep_going;
	bool queued;         /* put in the queue (--queue), not a sweep's own */
	int64_t created_ns;
	/* set by dv_queue_list */
	bool running;
} dv_exp_entry;

void dv_exp_entry_clear(dv_exp_entry *e);
/* .dv/exps/{queue,running}/NAME.json */
char *dv_exp_entry_path(dv_repo *repo, const char *name, bool running);
/* .dv/exps/logs/NAME.log */
char *dv_exp_log_path(dv_repo *repo, const char *name);

/* Write `e` as a new entry: into the queue, or (a sweep's own entries)
 * straight into running/ with its lock held on *lock_fd. */
int dv_exp_entry_create(dv_repo *repo, const dv_exp_entry *e, int *lock_fd);
int dv_exp_entry_load(dv_exp_entry *out, const char *path);

/* Entries waiting (oldest first) and running; orphans recovered first. */
int dv_queue_list(dv_vec *out /* dv_exp_entry */, dv_repo *repo);
void dv_queue_list_free(dv_vec *list);
/* Orphaned running entries back to the queue (see above); `n` counts. */
int dv_queue_recover(dv_repo *repo, size_t *n);
/* Remove a waiting entry; DV_ENOTFOUND, or DV_ERROR when it is running. */
int dv_queue_remove(dv_repo *repo, const char *name);

/* The finish of an experiment run by the runner. */
typedef enum {
	DV_EXP_STARTED,
	DV_EXP_OUTPUT,     /* one line of its output (`text`) */
	DV_EXP_DONE,
	DV_EXP_FAILED,     /* recorded as failed (a stage failed) */
	DV_EXP_ERROR,      /* not recorded: `text` says why */
	DV_EXP_INTERRUPTED,
} dv_exp_event_kind;

typedef struct {
	dv_exp_event_kind kind;
	const char *name;
	const char *text;
} dv_exp_event;

typedef struct {
	const char *exe;      /* the dv binary */
	int jobs;
	bool from_queue;      /* take entries from the queue until it is empty */
	/* else: these entries, created by dv_exp_entry_create (running) */
	char *const *names;
	const int *lock_fds;  /* their locks; the runner closes them */
	size_t n;
	void (*callback)(void *ctx, const dv_exp_event *ev);
	void *ctx;
} dv_exp_runner_opts;

typedef struct {
	size_t done, failed, errors;
	bool interrupted;
	int sig;
} dv_exp_runner_summary;

/* Run the experiments; returns 0 when every one was recorded (done or
 * failed), DV_EINTR when a signal stopped the run, DV_ERROR otherwise. */
int dv_exp_runner_run(dv_exp_runner_summary *sum, dv_repo *repo, const dv_exp_runner_opts *opts);

/* The queue's background runner: .dv/exps/runner.lock holds its pid under
 * a lock.  0 when none runs. */
pid_t dv_queue_runner_pid(dv_repo *repo);
/* Take the runner lock for this process (fd kept open for its life). */
int dv_queue_runner_lock(dv_repo *repo, int *fd);

#endif
