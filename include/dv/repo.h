/*
 * repo.h - a dv repository: the enclosing git work tree, its .dv
 * directory, the layered config, the cache and the user's position inside
 * the tree.
 *
 * The work tree is found by looking for .git upwards as git does (libgit2
 * decides whenever the layout is anything but plain), and the git
 * repository itself is opened on first use: libgit2's start-up costs
 * ~5 ms (it parses the system's CA bundle), which a command that does not
 * need git (status, checkout) never pays, and one that does can overlap
 * with its own work by asking for it early (dv_repo_git_prefetch).
 *
 * All paths dv records are repo-relative, normalised, '/'-separated;
 * dv_repo_relpath is the one place a user-typed path becomes one.
 */
#ifndef DV_REPO_H
#define DV_REPO_H

#include <stdbool.h>

#include "dv/buf.h"
#include "dv/config.h"

struct git_repository;
struct dv_cache;

typedef struct {
	char *root;      /* absolute work-tree path, no trailing '/' */
	char *dvdir;     /* <root>/.dv */
	char *prefix;    /* cwd relative to root ("" at the root) */
	dv_config *config;
	struct dv_cache *cache;
	struct git_repository *git; /* use dv_repo_git(): opened on first use */
	struct dv_statcache *statcache; /* opened on first use */
	struct dv_dircache *dircache;   /* the same */
	struct dv_treecache *treecache; /* the same */
	struct dv_dvignore *dvignore;   /* .dvignore rules, read on first use */
	struct dv_repo_git_open *git_open; /* the (background) open */
} dv_repo;

/* Open the repository enclosing `start_dir` (NULL: cwd).  Fails with a
 * clear message outside a git work tree or when .dv is missing. */
int dv_repo_open(dv_repo **out, const char *start_dir);
/* Create .dv/ (config, .gitignore, cache dir) in the enclosing git work
 * tree; stage .dv/config and .dv/.gitignore.  `force` re-initialises. */
int dv_repo_init(dv_repo **out, const char *start_dir, bool force);
void dv_repo_free(dv_repo *repo);

/* The git repository, opened now or waited for if prefetched; NULL with
 * the error set when it cannot be opened. */
struct git_repository *dv_repo_git(dv_repo *repo);
/* Start opening it on a second thread, for a command that will need it
 * after work of its own. */
void dv_repo_git_prefetch(dv_repo *repo);

/* Turn a user path (relative to the cwd, or absolute) into a normalised
 * repo-relative path; refuses paths outside the work tree, inside .git or
 * .dv, and symlinks whose target leaves the repository. */
int dv_repo_relpath(char **out, const dv_repo *repo, const char *user_path);
/* What dv_repo_check_path looks at besides the parent directories. */
#define DV_PATH_FINAL 1u /* relpath itself, when it is a symlink: a read */

/* Refuse a repo-relative path through which dv would read or write outside
 * the work tree: one naming a git directory or .dv, or one reached through
 * a symlink whose target leaves the work tree or enters .git or .dv.  A
 * symlink that stays inside is followed (a user's `data -> big/data`); a
 * final symlink into the cache is dv's own link.  Components that do not
 * exist are fine: dv creates them as real directories.  Every write dv
 * makes to a path a .stage file, manifest or user names passes here. */
int dv_repo_check_path(const dv_repo *repo, const char *relpath, unsigned flags);
/* Where the symlink at `abs` leads, seen from the work tree.  One rule
 * for every place that meets a link (check_path, the walk of tracked
 * directories, .dv itself), so they cannot drift apart. */
typedef enum {
	DV_LINK_INSIDE,    /* an ordinary path of the work tree */
	DV_LINK_OUTSIDE,   /* out of the work tree */
	DV_LINK_PROTECTED, /* the work tree's root, a .git directory or .dv */
	DV_LINK_DANGLING   /* nothing behind it (errno set by realpath) */
} dv_link_place;
/* `*real` (the resolved target, or NULL when dangling) and `*inside` (it
 * relative to the work tree, or NULL outside) belong to the caller; either
 * pointer may be NULL when not wanted. */
dv_link_place dv_repo_link_place(const dv_repo *repo, const char *abs, char **real, char **inside);
/* <root>/<relpath> */
void dv_repo_abspath(dv_buf *out, const dv_repo *repo, const char *relpath);
/* Path relative to the user's cwd, for messages. */
char *dv_repo_display_path(const dv_repo *repo, const char *relpath);

/* Re-read the config (after `dv config` or `dv remote` changed it). */
int dv_repo_reload_config(dv_repo *repo);

#endif
