/*
 * git.c - libgit2 glue: the index (core.autostage), blobs and trees at a
 * revision.  libgit2 1.5's git_error_last() may return NULL, so every
 * libgit2 failure goes through dv_git_error() which copes with that.
 */
#include <git2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"

/* libgit2's init parses the system's CA bundle (~5 ms): done once, by
 * the first code that needs git, which many commands never do.  A
 * shutdown undoes it, and the next dv_git_global_init starts libgit2
 * again: main() shuts down as it returns, and a process that runs dv's
 * main more than once (fuzz_cli) must not go on with libgit2 torn down.
 * The flag is read without the lock first, as repo opens call this. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool initialised;

void dv_git_global_init(void)
{
	if (initialised)
		return;
	pthread_mutex_lock(&init_lock);
	if (!initialised) {
		git_libgit2_init();
		initialised = true;
	}
	pthread_mutex_unlock(&init_lock);
}

void dv_git_global_shutdown(void)
{
	pthread_mutex_lock(&init_lock);
	if (initialised) {
		git_libgit2_shutdown();
		initialised = false;
	}
	pthread_mutex_unlock(&init_lock);
}

int dv_git_error(const char *what)
{
	const git_error *e = git_error_last();
	return dv_error(DV_ERROR, "%s: %s", what, e && e->message ? e->message : "unknown git error");
}

int dv_git_stage_paths(dv_repo *repo, const dv_strvec *paths)
{
	git_index *index = NULL;
	git_repository *git;
	dv_buf abs = DV_BUF_INIT, note = DV_BUF_INIT;
	char pid[32];
	bool noted;
	int rc = 0, wrc;

	if (!paths->n)
		return 0;
	if (!(git = dv_repo_git(repo)))
		return DV_ERROR;
	if (git_repository_index(&index, git) < 0)
		return dv_git_error("cannot open the git index");
	/* Pick up changes other tools (git add) made since we opened it. */
	git_index_read(index, 0);
	for (size_t i = 0; i < paths->n; i++) {
		dv_repo_abspath(&abs, repo, paths->v[i]);
		if (dv_path_exists(abs.ptr)) {
			if (git_index_add_bypath(index, paths->v[i]) < 0) {
				rc = dv_git_error("cannot stage in git");
				goto done;
			}
		} else if (git_index_remove_bypath(index, paths->v[i]) < 0) {
			rc = dv_git_error("cannot unstage in git");
			goto done;
		}
	}
	/* A SIGKILL inside git_index_write leaves .git/index.lock, which
	 * stops every git command; this note tells the next dv that the lock
	 * is its dead predecessor's (dv_recover_git_index_lock). */
	dv_path_join(&note, repo->dvdir, DV_GIT_INDEX_NOTE);
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	noted = dv_write_file_atomic(note.ptr, pid, strlen(pid), 0644) == 0;
	if (!noted)
		dv_error_clear();
	wrc = git_index_write(index);
	if (noted)
		unlink(note.ptr);
	if (wrc < 0) {
		/* Usually a running git (or a crashed one's index.lock): the
		 * data is safe, only the staging is left to do. */
		const git_error *e = git_error_last();
		dv_buf_reset(&abs);
		for (size_t i = 0; i < paths->n && i < 4; i++)
			dv_buf_printf(&abs, " %s", paths->v[i]);
		if (paths->n > 4)
			dv_buf_puts(&abs, " ...");
		rc = dv_error(DV_ERROR, "cannot write the git index: %s; once git is done (or the stale "
			      ".git/index.lock is removed), stage the files with 'git add%s'",
			      e && e->message ? e->message : "unknown git error", abs.ptr);
	}
done:
	git_index_free(index);
	dv_buf_free(&abs);
	dv_buf_free(&note);
	return rc;
}

int dv_git_unstaged(dv_strvec *out, dv_repo *repo, const dv_strvec *paths)
{
	const unsigned wt = GIT_STATUS_WT_NEW | GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_DELETED |
			    GIT_STATUS_WT_TYPECHANGE;
	git_repository *git;

	if (!(git = dv_repo_git(repo)))
		return DV_ERROR;
	for (size_t i = 0; i < paths->n; i++) {
		unsigned flags = 0;
		/* An ignored or absent path is not git's to stage. */
		if (git_status_file(&flags, git, paths->v[i]) < 0) {
			git_error_clear();
			continue;
		}
		if ((flags & wt) && !(flags & GIT_STATUS_IGNORED))
			dv_strvec_push(out, paths->v[i]);
	}
	return 0;
}

int dv_git_refuse_tracked(dv_repo *repo, const char *relpath, const char *then)
{
	git_index *index = NULL;
	git_repository *git;
	dv_buf prefix = DV_BUF_INIT;
	const git_index_entry *e = NULL;
	size_t pos;
	int rc = 0;

	if (!(git = dv_repo_git(repo)))
		return DV_ERROR;
	if (git_repository_index(&index, git) < 0)
		return dv_git_error("cannot open the git index");
	git_index_read(index, 0);
	if (git_index_get_bypath(index, relpath, 0)) {
		rc = dv_error(DV_EEXISTS, "'%s' is tracked by git already (a path is tracked by git or by dv, "
			      "not both): 'git rm --cached %s' stops git tracking it (the file stays), "
			      "then '%s'", relpath, relpath, then);
		goto done;
	}
	/* Below a directory, dv's own .stage and .gitignore files (of data
	 * tracked inside it) are git's by design: they do not count. */
	dv_buf_printf(&prefix, "%s/", relpath);
	if (git_index_find_prefix(&pos, index, prefix.ptr) == 0) {
		for (; (e = git_index_get_byindex(index, pos)) && !strncmp(e->path, prefix.ptr, prefix.len); pos++) {
			const char *base = strrchr(e->path, '/') + 1;
			size_t n = strlen(base);
			if (strcmp(base, ".gitignore") && !(n > 6 && !strcmp(base + n - 6, ".stage")))
				break;
		}
		if (e && strncmp(e->path, prefix.ptr, prefix.len))
			e = NULL;
	}
	if (e)
		rc = dv_error(DV_EEXISTS, "'%s' holds files tracked by git already ('%s'; a path is tracked by "
			      "git or by dv, not both): 'git rm -r --cached %s' stops git tracking them (the "
			      "files stay), then '%s'", relpath, e->path, relpath, then);
	git_error_clear();
done:
	git_index_free(index);
	dv_buf_free(&prefix);
	return rc;
}

bool dv_git_rev_is_unborn(dv_repo *repo, const char *rev)
{
	git_repository *git;
	return !strcmp(rev, "HEAD") && (git = dv_repo_git(repo)) && git_repository_head_unborn(git) == 1;
}

/* Every revision fails to parse before the first commit; saying so spares
 * the user wondering whether they mistyped it. */
static int unknown_rev(dv_repo *repo, const char *rev)
{
	if (git_repository_head_unborn(dv_repo_git(repo)) == 1)
		return dv_error(DV_ENOTFOUND, "unknown git revision '%s' (the repository has no commits yet)",
				rev);
	return dv_error(DV_ENOTFOUND, "unknown git revision '%s'", rev);
}

static int tree_at(git_tree **out, dv_repo *repo, const char *rev)
{
	git_repository *git = dv_repo_git(repo);
	git_object *obj = NULL;
	int rc;

	if (!git)
		return DV_ERROR;
	if (git_revparse_single(&obj, git, rev) < 0)
		return unknown_rev(repo, rev);
	rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_TREE);
	git_object_free(obj);
	if (rc < 0)
		return dv_error(DV_ERROR, "git revision '%s' does not name a tree", rev);
	return 0;
}

int dv_git_read_blob(dv_buf *out, dv_repo *repo, const char *rev, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int rc;

	if ((rc = tree_at(&tree, repo, rev)) < 0)
		return rc;
	if (git_tree_entry_bypath(&entry, tree, path) < 0) {
		rc = dv_error(DV_ENOTFOUND, "'%s' is not in revision '%s'", path, rev);
		goto done;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
	    git_blob_lookup(&blob, dv_repo_git(repo), git_tree_entry_id(entry)) < 0) {
		rc = dv_error(DV_ERROR, "'%s' in revision '%s' is not a file", path, rev);
		goto done;
	}
	dv_buf_reset(out);
	dv_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	rc = 0;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	return rc;
}

struct list_ctx {
	dv_strvec *out;
	const char *suffix;
	size_t suffix_len;
};

static int collect_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct list_ctx *ctx = payload;
	const char *name = git_tree_entry_name(entry);
	size_t n = strlen(name);

	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;
	if (n >= ctx->suffix_len && !strcmp(name + n - ctx->suffix_len, ctx->suffix))
		dv_strvec_push_take(ctx->out, dv_asprintf("%s%s", root, name));
	return 0;
}

int dv_git_list_tree(dv_strvec *out, dv_repo *repo, const char *rev, const char *suffix)
{
	git_tree *tree = NULL;
	struct list_ctx ctx = { out, suffix, strlen(suffix) };
	int rc;

	if ((rc = tree_at(&tree, repo, rev)) < 0)
		return rc;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, collect_entry, &ctx) < 0)
		rc = dv_git_error("cannot walk the git tree");
	git_tree_free(tree);
	dv_strvec_sort(out);
	return rc;
}

struct files_ctx {
	dv_vec *out;
	git_odb *odb;
	int rc;
};

static int collect_file(const char *root, const git_tree_entry *entry, void *payload)
{
	struct files_ctx *ctx = payload;
	git_object_t type;
	dv_git_file *f;
	size_t len;

	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return 0;
	if (git_odb_read_header(&len, &type, ctx->odb, git_tree_entry_id(entry)) < 0) {
		ctx->rc = dv_git_error("cannot read a git object");
		return -1;
	}
	f = dv_vec_push(ctx->out);
	f->path = dv_asprintf("%s%s", root, git_tree_entry_name(entry));
	f->size = len;
	f->exec = git_tree_entry_filemode(entry) == GIT_FILEMODE_BLOB_EXECUTABLE;
	return 0;
}

static int cmp_git_file(const void *a, const void *b)
{
	return strcmp(((const dv_git_file *)a)->path, ((const dv_git_file *)b)->path);
}

int dv_git_list_files(dv_vec *out, dv_repo *repo, const char *rev)
{
	git_tree *tree = NULL;
	struct files_ctx ctx = { out, NULL, 0 };
	int rc;

	out->size = sizeof(dv_git_file);
	if ((rc = tree_at(&tree, repo, rev)) < 0)
		return rc;
	if (git_repository_odb(&ctx.odb, dv_repo_git(repo)) < 0) {
		rc = dv_git_error("cannot open the git object database");
		goto done;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, collect_file, &ctx) < 0)
		rc = ctx.rc < 0 ? ctx.rc : dv_git_error("cannot walk the git tree");
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(dv_git_file), cmp_git_file);
done:
	git_odb_free(ctx.odb);
	git_tree_free(tree);
	return rc;
}

void dv_git_files_free(dv_vec *files)
{
	for (size_t i = 0; i < files->n; i++)
		free(dv_vec_at(files, dv_git_file, i)->path);
	dv_vec_free(files);
}

int dv_git_resolve(char out[41], dv_repo *repo, const char *rev)
{
	git_repository *git = dv_repo_git(repo);
	git_object *obj = NULL, *commit = NULL;
	if (!git)
		return DV_ERROR;
	if (git_revparse_single(&obj, git, rev) < 0)
		return unknown_rev(repo, rev);
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(obj);
		return dv_error(DV_ERROR, "git revision '%s' is not a commit", rev);
	}
	git_oid_tostr(out, 41, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	return 0;
}

static int list_commits(dv_strvec *out, dv_repo *repo, bool head_only)
{
	git_repository *git = dv_repo_git(repo);
	git_revwalk *walk = NULL;
	git_oid oid;
	char hex[41];
	int rc = 0, err;

	if (!git)
		return DV_ERROR;
	if (git_revwalk_new(&walk, git) < 0)
		return dv_git_error("cannot list commits");
	git_revwalk_sorting(walk, GIT_SORT_TIME);
	/* An unborn HEAD has nothing to push; refs may be missing too. */
	git_revwalk_push_head(walk);
	if (!head_only) {
		git_revwalk_push_glob(walk, "refs/heads");
		git_revwalk_push_glob(walk, "refs/tags");
	}
	while ((err = git_revwalk_next(&oid, walk)) == 0) {
		git_oid_tostr(hex, sizeof(hex), &oid);
		dv_strvec_push(out, hex);
	}
	if (err != GIT_ITEROVER)
		rc = dv_git_error("cannot list commits");
	git_revwalk_free(walk);
	return rc;
}

int dv_git_list_commits(dv_strvec *out, dv_repo *repo)
{
	return list_commits(out, repo, false);
}

int dv_git_list_history(dv_strvec *out, dv_repo *repo)
{
	return list_commits(out, repo, true);
}
