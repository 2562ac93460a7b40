/*
 * staleness.h - what changed in a command stage since it last ran (SPEC
 * "When a command stage is stale"), and recording its current state.
 *
 * One change report serves both `dv status` (which prints it) and `dv repro`
 * (which reruns a stage whose report holds a change that makes it stale).
 * Every file is compared through dv_workspace_compare, so unchanged files
 * are answered by the stat cache and never re-read.  Early cutoff needs no
 * special code: a downstream stage compares its deps with the hashes it
 * recorded, so an upstream rerun that wrote identical bytes changes nothing.
 */
#ifndef DV_STALENESS_H
#define DV_STALENESS_H

#include <stdbool.h>

#include "dv/buf.h"
#include "dv/hash.h"
#include "dv/repo.h"
#include "dv/stage.h"
#include "dv/workspace.h"

struct dv_params_set;

/*
 * What one `dv repro` has hashed in the work tree, by repo-relative path:
 * a 20,000-file directory dep is walked once per run, not once to judge
 * the stage, again to record it for the run-cache and again after the
 * run.  Whatever a stage may have written when it ran or came back from
 * the run-cache (its outs, and its deps: a stage that edits its own input
 * is caught at the next repro, see dv_stage_record_outs) is forgotten
 * then, so the stages after it hash those paths anew.
 */
typedef struct dv_ws_memo dv_ws_memo;
dv_ws_memo *dv_ws_memo_new(void);
void dv_ws_memo_free(dv_ws_memo *memo);
/* dv_workspace_hash of `relpath`, answered from the memo when it has it
 * (`memo` NULL: always hashed). */
int dv_ws_memo_hash(dv_ws_state *out, dv_ws_memo *memo, dv_repo *repo, const char *relpath);
/* Hash every directory that two or more of `stages` name (as dep or out,
 * recorded as a directory) into `memo`, then freeze it: from then on it
 * is only read (several threads may use it at once) and misses are
 * hashed without being kept. */
int dv_ws_memo_prefill_shared(dv_ws_memo *memo, dv_repo *repo, const dv_vec *stages);
/* Drop every entry at, above or below the deps and outs of `st`. */
void dv_ws_memo_forget_stage(dv_ws_memo *memo, const dv_stage *st);
/* Remember the outs `st` has just recorded (what dv itself wrote). */
void dv_ws_memo_put_outs(dv_ws_memo *memo, const dv_stage *st);

typedef enum {
	DV_CHG_NEVER_RUN,      /* no [stage] hash recorded */
	DV_CHG_ALWAYS,         /* always_changed = true */
	DV_CHG_CMD,            /* the definition (cmd, paths, flags, param keys) changed */
	DV_CHG_DEP_MODIFIED,   /* hash differs, or never recorded */
	DV_CHG_DEP_DELETED,
	DV_CHG_OUT_MODIFIED,
	DV_CHG_OUT_DELETED,
	DV_CHG_OUT_NOT_CACHED, /* matches, but the object is missing from the cache */
	DV_CHG_PARAM_CHANGED,
	DV_CHG_PARAM_DELETED,  /* the key (or its file) is gone */
	DV_CHG_PARAM_NEW,      /* declared but no value recorded yet */
} dv_change_kind;

typedef struct {
	dv_change_kind kind;
	char *what; /* repo-relative path, "params.ini:train.lambda", or NULL */
} dv_change;

/* Append (to a dv_vec of dv_change) every change of command stage `st`
 * against the work tree; an empty report means up to date.  Frozen stages
 * are compared like any other (callers decide not to run them).  Errors are
 * real failures (unreadable file, malformed params file), not changes. */
int dv_stage_changes(dv_vec *out, dv_repo *repo, const dv_stage *st);
/* Same, reading params files through `params` (memoised across stages)
 * and hashing deps and outs through `memo` (may be NULL). */
int dv_stage_changes_with(dv_vec *out, dv_repo *repo, const dv_stage *st,
			  struct dv_params_set *params, dv_ws_memo *memo);
void dv_changes_free(dv_vec *changes);

/* "never run", "cmd changed", "modified", "deleted", "not in cache", ... */
const char *dv_change_kind_name(dv_change_kind kind);
/* Does this change make repro rerun the stage?  (Everything but an out
 * that is only missing from the cache: that is fixed by `dv commit`.) */
bool dv_change_makes_stale(dv_change_kind kind);
/* Is any change in the report one that makes the stage stale? */
bool dv_changes_stale(const dv_vec *changes);

/* The definition hash recorded as [stage] hash: cmd, always_changed, dep
 * paths, out paths with their cache/persist/metric/plot flags, and param
 * files and keys, in declaration order.  Not desc or frozen. */
void dv_stage_def_hash(dv_hash *out, const dv_stage *st);

/* Record the stage's current state in `st` (in memory): hash every dep,
 * read every param's value, store cached outs in the cache (linking them
 * back, as dv_workspace_commit_entry does) and hash uncached ones, and set
 * the definition hash.  Fails naming the path when a dep or out is missing
 * or a param key is gone.  `dv commit` calls this for command stages and
 * repro after a successful run; the caller then writes the file with
 * dv_stage_store(). */
int dv_stage_record(dv_repo *repo, dv_stage *st);
int dv_stage_record_with(dv_repo *repo, dv_stage *st, struct dv_params_set *params, dv_ws_memo *memo);
/* Only the inputs (dep hashes, param values): what repro needs before a
 * run, for the run-cache key and for expanding ${section.key} in cmd.
 * Deps are hashed through `memo` (may be NULL). */
int dv_stage_record_inputs(dv_repo *repo, dv_stage *st, struct dv_params_set *params, dv_ws_memo *memo);
/* Only the outs and the definition hash: what repro records after a run,
 * the inputs having been recorded just before it.  So the .stage (and the
 * run-cache entry) names the deps the command started from: a command
 * that changes its own dep leaves its stage stale ("dep modified") for
 * the next repro, instead of claiming outs made from other bytes. */
int dv_stage_record_outs(dv_repo *repo, dv_stage *st);

/* Set an entry's recorded hash, size and file count from what is in the
 * work tree. */
void dv_stage_file_set_state(dv_stage_file *f, const dv_ws_state *ws);

/* Write `st` atomically and add the repo-relative paths to stage in git
 * (the .stage file, and the .gitignore that now ignores its cached outs)
 * to `to_stage` (may be NULL).  Staging happens in one batch with
 * dv_stage_git_add() so 200 stages cost one index write. */
int dv_stage_store(dv_repo *repo, const dv_stage *st, dv_strvec *to_stage);
/* Append to `out` (once each) what dv_stage_store writes for `st`: its
 * .stage file and the .gitignore beside each cached out.  Those are what
 * git must be told about (autostage, or the user). */
void dv_stage_written_paths(dv_strvec *out, const dv_stage *st);
/* dv_git_stage_paths(paths) when core.autostage is true (the default). */
int dv_stage_git_add(dv_repo *repo, const dv_strvec *paths);

/* Keep in `st` what `old` recorded for the same dep/out paths and param
 * keys, and its definition hash: `stage add -f` over an existing stage and
 * a template instance over its state file both report exactly what the new
 * definition changed ("changed cmd") rather than "never run". */
void dv_stage_carry_over(dv_stage *st, const dv_stage *old);

#endif
