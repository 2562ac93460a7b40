/*
 * dvignore.h - the .dvignore files: paths dv leaves out of tracked
 * directories, `dv add` and the search for .stage files, as DVC does.
 *
 * A .dvignore may sit in any directory and holds gitignore patterns
 * relative to that directory (`#` comments, `!` re-includes, a trailing
 * `/` for directories only, a `/` elsewhere anchors the pattern, `**`
 * spans directories).  A deeper file's rules come after its parents', and
 * the last rule that matches decides; a directory left out leaves out
 * everything below it (a `!` cannot bring its files back, as in git).
 *
 * Files are read on first use, once per directory, and kept for the
 * command's life; lookups are safe from the walk's threads.
 */
#ifndef DV_DVIGNORE_H
#define DV_DVIGNORE_H

#include <stdbool.h>

#include "dv/repo.h"

#define DV_DVIGNORE_FILE ".dvignore"

typedef struct dv_dvignore dv_dvignore;

/* The rule that decided about a path (for `dv check-ignore -d`). */
typedef struct {
	const char *file;    /* repo-relative .dvignore path */
	unsigned line;
	const char *pattern; /* as written, `!` included */
	bool negated;        /* a `!` rule: the path is not ignored */
} dv_dvignore_why;

/* The repository's .dvignore rules, loaded on first use and freed by
 * dv_repo_free(). */
dv_dvignore *dv_repo_dvignore(dv_repo *repo);

int dv_dvignore_new(dv_dvignore **out, const char *root);
void dv_dvignore_free(dv_dvignore *ig);

/* Is repo-relative `relpath` (a directory when `is_dir`) left out, by its
 * own rules or because a directory above it is?  `why` (may be NULL)
 * receives the deciding rule, file NULL when none matched. */
int dv_dvignore_check(bool *ignored, dv_dvignore_why *why, dv_dvignore *ig, const char *relpath, bool is_dir);

/* For a walk, which already left out ignored directories: the rules that
 * apply to the entries of repo-relative directory `dir` (NULL: none, the
 * common case, so the walk pays nothing per entry), and whether the entry
 * `name` is ignored by them. */
typedef struct dv_dvignore_dir dv_dvignore_dir;
const dv_dvignore_dir *dv_dvignore_rules_for(dv_dvignore *ig, const char *dir);
bool dv_dvignore_dir_ignores(const dv_dvignore_dir *rules, const char *name, bool is_dir);

#endif
