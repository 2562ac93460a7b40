/*
 * exp.h - experiments: a run of the pipeline with some params overridden,
 * recorded as a git commit whose parent is the commit it started from, on
 * a ref refs/exps/NAME (outside refs/heads, so `git branch` never lists
 * it).  The data the run produced lives in the shared cache; the commit
 * holds the params files, .stage files and the small git-tracked outputs
 * (metrics), so every tool that reads a revision reads an experiment.
 *
 * An experiment runs in the workspace (one, as `dvc exp run` does) or in
 * a linked git worktree of a pool under .dv/tmp/exps/pool/ whose dv uses
 * the main work tree's cache (repo.c), so sweeps run side by side without
 * touching the user's files or branch.  The worktrees are made by hand
 * (.git/worktrees/dv-exp-pool-K) because libgit2 1.5 can only add a
 * worktree on a new branch, which `git branch` would list.
 *
 * The state of an experiment: queued or running (an entry in the queue,
 * queue.h), done or failed (the ref; a failed run's commit message says
 * "dv-exp-state: failed").  Logs of runs made through the queue or a sweep
 * are kept in .dv/exps/logs/NAME.log.
 */
#ifndef DV_EXP_H
#define DV_EXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/repo.h"

#define DV_EXP_REF_PREFIX "refs/exps/"

/* One `-S [FILE:]KEY=VALUES` argument: the values it sweeps over. */
typedef struct {
	char *file;       /* repo-relative params file */
	char *key;
	dv_strvec values; /* one or more */
} dv_exp_sweep;

/* Parse `arg`: VALUES is "v", a list "a,b,c", "range(START,STOP[,STEP])"
 * (STOP excluded, as in Hydra and Python) or "choice(a,b,c)"; a value in
 * [...] or {...} is one value.  FILE defaults to `dflt_file`. */
int dv_exp_sweep_parse(dv_exp_sweep *out, const char *arg, const char *dflt_file);
void dv_exp_sweep_free(dv_exp_sweep *s);

/* The grid of `n` sweeps (cartesian product, the first sweep varying
 * slowest) as override lists, each a dv_strvec of "FILE:KEY=VALUE"; with
 * `random_n` > 0, `random_n` distinct points drawn with `seed`
 * (all of them when the grid is smaller).  `out`: a dv_vec of dv_strvec. */
void dv_exp_grid(dv_vec *out, const dv_exp_sweep *sweeps, size_t n, size_t random_n, uint64_t seed);
void dv_exp_grid_free(dv_vec *grid);

/* Split "FILE:KEY=VALUE" (as the grid makes them). */
void dv_exp_override_split(char **file, char **key, char **value, const char *ov);

/* Check every override against the params files at git revision `rev`
 * (NULL: the work tree): the file must exist and hold the key.  An error
 * names the file and the key, before anything runs. */
int dv_exp_overrides_check(dv_repo *repo, const char *rev, const dv_strvec *overrides);
/* Write the overrides into the params files of `repo`'s work tree, keeping
 * every other byte (comments, order). */
int dv_exp_overrides_apply(dv_repo *repo, const dv_strvec *overrides);

/* Is `name` usable as an experiment name (a valid ref component, no '/')? */
bool dv_exp_name_valid(const char *name);
/* Does refs/exps/NAME exist, or an entry of that name in the queue? */
bool dv_exp_name_taken(dv_repo *repo, const char *name);
/* A fresh pronounceable name ("bokar-temil") no experiment uses yet. */
char *dv_exp_name_generate(dv_repo *repo);

/* Record the work tree of `repo` as an experiment: a commit whose parent
 * is `base` (40 hex), whose tree is base's tree with the work tree's
 * changes (modified, deleted and untracked files git does not ignore),
 * on refs/exps/NAME (which must not exist yet).  `failed` marks a failed
 * run.  `commit_out` (may be NULL) gets the commit id. */
int dv_exp_record(char commit_out[41], dv_repo *repo, const char *base, const char *name,
		  const char *message, bool failed);

/* A worktree of the pool under <main>/.dv/tmp/exps/pool/K (git's side:
 * .git/worktrees/dv-exp-pool-K), held for one experiment at a time by an
 * flock on pool/K.lock that dies with its holder.  A worktree is kept
 * after its experiment and reset for the next one, so the data it links
 * from the cache, and the stat cache that knows those links, are not
 * made again: the next checkout writes only what differs. */
typedef struct {
	char *path; /* the worktree's root */
	int slot;   /* K */
	int lock_fd;
	bool reused; /* false: made new for this experiment */
	/* "HASH\tPATH" of each out the worktree held, linked and untouched,
	 * when the experiment before let it go cleanly (pool/K.outs). */
	dv_strvec held;
	bool whole; /* every recorded out of the base is in place */
} dv_exp_slot;

/* Take the first free worktree of the pool and bring it to commit
 * `base`: HEAD, index and git's files reset (hard), the main
 * tree's .dv/config.local copied (remotes, secrets).  One that is
 * missing, half made (no ready mark: a process killed while making it)
 * or cannot be reset is made anew.  Data outs come after, from the
 * caller's dv checkout and dv_exp_slot_prune. */
int dv_exp_slot_acquire(dv_exp_slot *out, dv_repo *repo, const char *base);
/* Remove what the base's stages do not account for from the worktree at
 * `wrepo`: untracked files, and git-ignored files and directories that
 * are neither a recorded out (with a hash), inside one, nor a directory
 * holding one, so nothing an earlier experiment made reaches this one.
 * .dv/ is left alone. */
int dv_exp_slot_prune(dv_repo *wrepo, const dv_vec *stages);
/* Check out the cached outs of `stages` (the base's) into the worktree
 * at `wrepo`, forced, leaving alone those it held as they are; sets
 * slot->whole.  Items go to `report` as dv_workspace_checkout_entry's;
 * DV_ERROR when an out could not be put in place. */
int dv_exp_slot_checkout(dv_exp_slot *slot, dv_repo *wrepo, const dv_vec *stages, dv_vec *report);
/* After an experiment whose every stage ran or was up to date, with
 * `stages` as its worktree now records them: remember its outs as held
 * for the next experiment that takes the worktree (nothing when the
 * checkout was not whole). */
int dv_exp_slot_save_held(dv_exp_slot *slot, dv_repo *repo, const dv_vec *stages);
/* Let the worktree go: kept for the next experiment, or, with `discard`
 * (an interrupted run), removed with its git administrative directory. */
void dv_exp_slot_release(dv_exp_slot *slot, dv_repo *repo, bool discard);

/* An experiment as exp show/list see it. */
typedef struct {
	char *name;
	char commit[41];
	char base[41];     /* its parent */
	int64_t time;      /* commit time, seconds */
	bool failed;
	char *message;     /* first line */
} dv_exp_info;

/* Every experiment (refs/exps/ *), oldest first; a dv_vec of dv_exp_info. */
int dv_exp_list(dv_vec *out, dv_repo *repo);
void dv_exp_list_free(dv_vec *list);
/* One experiment by name (or by refs/exps/NAME); DV_ENOTFOUND with a
 * message naming it otherwise. */
int dv_exp_lookup(dv_exp_info *out, dv_repo *repo, const char *name);
void dv_exp_info_clear(dv_exp_info *e);
/* Delete refs/exps/NAME. */
int dv_exp_delete(dv_repo *repo, const char *name);
/* Create branch `branch` at the experiment's commit (refused when the
 * branch exists). */
int dv_exp_branch(dv_repo *repo, const char *name, const char *branch);

/* Would applying lose work?  Fills `out` with the tracked files that
 * differ from HEAD (git's view: modified, deleted, staged). */
int dv_exp_workspace_changes(dv_strvec *out, dv_repo *repo);
/* Bring the experiment's files (those its commit changed against its
 * parent) into the work tree and index; the caller checks the data out
 * afterwards.  `changed` (may be NULL) receives the paths written. */
int dv_exp_apply_files(dv_strvec *changed, dv_repo *repo, const dv_exp_info *e);

/* Push refs/exps/NAME for each of `names` to git remote `remote` (a
 * remote's name or a URL); `force` replaces a different one there. */
int dv_exp_push_refs(dv_repo *repo, const char *remote, const dv_strvec *names, bool force);
/* Fetch refs/exps/NAME for each of `names` (all when none) from `remote`;
 * `fetched` receives the names now present. */
int dv_exp_fetch_refs(dv_strvec *fetched, dv_repo *repo, const char *remote, const dv_strvec *names, bool force);

#endif
