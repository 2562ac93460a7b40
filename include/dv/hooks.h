/*
 * hooks.h - putting dv's git hooks in place and taking them out again
 * (`dv install` / `dv uninstall`).
 *
 * The hooks (hooks/pre-commit, post-checkout, pre-push) are small POSIX sh
 * scripts that call dv.  Installing copies each into git's hooks
 * directory (core.hooksPath when set, relative to the work tree as git
 * reads it; else the common git directory's hooks/), with the absolute
 * path of the installing dv filled in as a fallback for when dv is not on
 * PATH.  A hook that is already there and is not dv's is kept: it is
 * renamed to <hook>.dv-chained and dv's hook runs it first, passing its
 * arguments and stdin, and stopping when it fails.  dv's own hooks carry
 * a "# dv-hook: NAME" line, so installing again only refreshes them, and
 * uninstalling removes exactly those and renames the chained hooks back,
 * bytes and mode untouched.
 */
#ifndef DV_HOOKS_H
#define DV_HOOKS_H

#include <stdbool.h>

#include "dv/buf.h"
#include "dv/repo.h"

#define DV_HOOK_CHAINED_SUFFIX ".dv-chained"

/* The hooks dv installs, NULL-terminated. */
extern const char *const dv_hook_names[];

typedef enum {
	DV_HOOK_INSTALLED,  /* there was no hook */
	DV_HOOK_CHAINED,    /* a hook was there: kept as NAME.dv-chained */
	DV_HOOK_UPDATED,    /* dv's hook was there, older: refreshed */
	DV_HOOK_UNCHANGED,  /* dv's hook was there, identical */
	DV_HOOK_REMOVED,    /* uninstall: dv's hook removed, nothing to restore */
	DV_HOOK_RESTORED,   /* uninstall: the chained hook is back in place */
	DV_HOOK_NOT_OURS,   /* uninstall: the hook there is not dv's: left alone */
	DV_HOOK_ABSENT,     /* uninstall: no hook at all */
} dv_hook_action;

typedef struct {
	const char *name;   /* one of dv_hook_names */
	dv_hook_action action;
	char *path;         /* the hook file */
} dv_hook_result;

void dv_hook_results_free(dv_vec *results);

/* git's hooks directory for this repository (absolute). */
int dv_hooks_dir(char **out, dv_repo *repo);
/* Install from `scripts_dir` (holding pre-commit, post-checkout, pre-push);
 * `dv_path` (absolute, may be NULL) becomes the scripts' fallback dv.
 * Appends one dv_hook_result per hook to `results`.  A hook that is not
 * dv's while NAME.dv-chained exists too is refused before anything changes. */
int dv_hooks_install(dv_vec *results, dv_repo *repo, const char *scripts_dir, const char *dv_path);
int dv_hooks_uninstall(dv_vec *results, dv_repo *repo);

/* The .stage merge driver (dv-install(1)): `merge.dv.driver` in the
 * repository's .git/config runs `DV merge-driver %O %A %B %P` (DV: the
 * absolute `dv_path`, or "dv" from PATH when NULL), and the line
 * DV_MERGE_ATTR in the work tree's .gitattributes routes *.stage files to
 * it; .gitattributes is staged in git (core.autostage) so the team shares
 * it.  `*changed` tells whether anything had to change.  Uninstall takes
 * out the config keys and exactly that line (the file too if nothing else
 * is left in it). */
#define DV_MERGE_ATTR "*.stage merge=dv"
int dv_merge_driver_install(bool *changed, dv_repo *repo, const char *dv_path);
int dv_merge_driver_uninstall(bool *changed, dv_repo *repo);

/* Does the file at `path` hold dv's hook `name`? */
bool dv_hook_is_ours(const char *path, const char *name);

#endif
