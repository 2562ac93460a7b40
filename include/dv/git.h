/*
 * git.h - dv's glue to git through libgit2: staging files in the index,
 * reading blobs and trees at any revision, listing revisions.
 *
 * libgit2 errors are turned into dv errors here, so no other module
 * touches git_error_last() (which may be NULL in libgit2 1.5).
 */
#ifndef DV_GIT_H
#define DV_GIT_H

#include <stdbool.h>

#include <stdint.h>

#include "dv/buf.h"
#include "dv/repo.h"

/* Process-wide libgit2 init/shutdown: main() shuts down as it returns;
 * an init after a shutdown starts libgit2 again. */
void dv_git_global_init(void);
void dv_git_global_shutdown(void);

/* Make dv_error() carry libgit2's last message, prefixed by `what`. */
int dv_git_error(const char *what);

/* Stage repo-relative paths in the index (core.autostage): a path that
 * exists is added, one that no longer exists is removed. */
/* In .dv/, while dv_git_stage_paths writes git's index: the writer's pid. */
#define DV_GIT_INDEX_NOTE "git-index-writer"
int dv_git_stage_paths(dv_repo *repo, const dv_strvec *paths);

/* Which of `paths` (repo-relative) differ between the work tree and the
 * index (new, modified or deleted): what 'git add' would still stage.
 * Appended to `out` in the order given. */
int dv_git_unstaged(dv_strvec *out, dv_repo *repo, const dv_strvec *paths);

/* A path is tracked by git or by dv, never both (git would keep the old
 * bytes while .gitignore hides the new ones).  0 when git's index holds
 * neither repo-relative `relpath` nor anything below it; otherwise
 * DV_EEXISTS, with a message naming the path and the 'git rm --cached'
 * that hands it over, then `then` (e.g. "dv add data.csv"). */
int dv_git_refuse_tracked(dv_repo *repo, const char *relpath, const char *then);

/* Contents of `path` (repo-relative) at revision `rev` (any git rev-parse
 * expression); DV_ENOTFOUND if the path is not in that tree. */
int dv_git_read_blob(dv_buf *out, dv_repo *repo, const char *rev, const char *path);
/* Every path in the tree of `rev` whose name ends with `suffix`, sorted. */
int dv_git_list_tree(dv_strvec *out, dv_repo *repo, const char *rev, const char *suffix);
/* A file in a git tree, with its size read from the object's header (the
 * bytes are not read). */
typedef struct {
	char *path;
	uint64_t size;
	bool exec;
} dv_git_file;
/* Every file (blob: regular, executable or symlink) in the tree of `rev`,
 * sorted by path; free with dv_git_files_free. */
int dv_git_list_files(dv_vec *out /* dv_git_file */, dv_repo *repo, const char *rev);
void dv_git_files_free(dv_vec *files);
/* Every commit reachable from HEAD, a branch or a tag (40-hex ids, newest
 * first): what --all-commits means. */
int dv_git_list_commits(dv_strvec *out, dv_repo *repo);
/* Every commit reachable from HEAD only (newest first): a branch's history. */
int dv_git_list_history(dv_strvec *out, dv_repo *repo);
/* Is `rev` HEAD in a repository without commits yet?  Commands comparing
 * revisions read such a side as empty, as DVC does, instead of failing. */
bool dv_git_rev_is_unborn(dv_repo *repo, const char *rev);
/* Resolve a revision to a 40-hex commit id. */
int dv_git_resolve(char out[41], dv_repo *repo, const char *rev);

#endif
