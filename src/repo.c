/*
 * repo.c - finding, creating and describing a dv repository.
 *
 * dv lives in the work tree of the enclosing git repository (found as git
 * finds it, so `dv` works from any subdirectory), in <root>/.dv.  Paths
 * typed by the user are resolved against the cwd and turned into
 * normalised repo-relative paths here and nowhere else.
 */
#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/repo.h"
#include "dv/statcache.h"
#include "dv/dircache.h"
#include "dv/treecache.h"
#include "dv/dvignore.h"
#include "dv/workspace.h"

static const char dv_gitignore_text[] =
	"# dv's scratch space, cache and per-clone settings stay out of git.\n"
	"/*\n"
	"!/config\n"
	"!/.gitignore\n";

static const char dv_config_text[] =
	"# dv settings shared through git; see dv-config(5).\n"
	"# Per-clone settings and secrets go in .dv/config.local (dv config --local).\n";

/* Find the git work tree enclosing `start` with libgit2; absolute, no
 * trailing '/'.  `flags`: GIT_REPOSITORY_OPEN_* */
static int open_git(git_repository **git, char **root, const char *start, unsigned flags)
{
	const char *workdir;
	char *real;
	size_t n;

	dv_git_global_init();
	/* GIT_CEILING_DIRECTORIES bounds the search as it does for git. */
	if (git_repository_open_ext(git, start, flags, getenv("GIT_CEILING_DIRECTORIES")) < 0)
		return dv_error(DV_ENOTFOUND, "not a git repository (or any parent up to /): run 'git init' first");
	workdir = git_repository_workdir(*git);
	if (!workdir) {
		dv_error(DV_ERROR, "'%s' is a bare git repository: dv needs a work tree", git_repository_path(*git));
		git_repository_free(*git);
		*git = NULL;
		return DV_ERROR;
	}
	real = realpath(workdir, NULL);
	if (!real)
		real = dv_strdup(workdir);
	n = strlen(real);
	while (n > 1 && real[n - 1] == '/')
		real[--n] = '\0';
	*root = real;
	return 0;
}

static bool is_ceiling(const char *dir)
{
	const char *list = getenv("GIT_CEILING_DIRECTORIES");
	bool hit = false;

	while (list && *list && !hit) {
		size_t n = strcspn(list, ":");
		char *entry = dv_strndup(list, n), *real;
		while (n > 1 && entry[n - 1] == '/')
			entry[--n] = '\0';
		real = realpath(entry, NULL);
		hit = !strcmp(dir, entry) || (real && !strcmp(dir, real));
		free(real);
		free(entry);
		list += n + (list[n] == ':');
	}
	return hit;
}

/* The work tree enclosing `start` when the layout is plain: the nearest
 * directory holding a .git, on the same file system, below any ceiling,
 * with no git environment variables set.  Anything else (a bare
 * repository, the inside of a .git, GIT_DIR, ...) is left to libgit2:
 * false. */
static bool find_root_plain(char **root, const char *start)
{
	static const char *const env[] = { "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR",
					   "GIT_OBJECT_DIRECTORY", "GIT_INDEX_FILE", NULL };
	dv_buf p = DV_BUF_INIT;
	struct stat st;
	char *dir;
	dev_t dev;
	bool found = false;

	for (int i = 0; env[i]; i++)
		if (getenv(env[i]))
			return false;
	if (!(dir = realpath(start, NULL)))
		return false;
	if (strstr(dir, "/.git/") || !strcmp(dv_path_basename(dir), ".git") || stat(dir, &st) < 0)
		goto done;
	dev = st.st_dev;
	for (;;) {
		char *parent;
		dv_path_join(&p, dir, ".git");
		if (lstat(p.ptr, &st) == 0) {
			found = true;
			break;
		}
		dv_path_join(&p, dir, "HEAD");
		if (stat(p.ptr, &st) == 0) /* perhaps a git directory itself */
			break;
		if (!strcmp(dir, "/"))
			break;
		parent = dv_path_dirname(dir);
		if (is_ceiling(parent) || stat(parent, &st) < 0 || st.st_dev != dev) {
			free(parent);
			break;
		}
		free(dir);
		dir = parent;
	}
done:
	dv_buf_free(&p);
	if (found)
		*root = dir;
	else
		free(dir);
	return found;
}

/* The background open of the git repository (repo.h). */
struct dv_repo_git_open {
	pthread_t thread;
	pthread_mutex_t mu;
	bool joined;
	char *root;
	git_repository *git;
	int rc;
	char *error;
};

static void *git_open_main(void *arg)
{
	struct dv_repo_git_open *o = arg;
	char *root = NULL;

	o->rc = open_git(&o->git, &root, o->root, GIT_REPOSITORY_OPEN_NO_SEARCH);
	if (o->rc == 0 && strcmp(root, o->root) != 0)
		o->rc = dv_error(DV_ERROR, "git's work tree '%s' is not '%s': set GIT_DIR to say which "
				 "repository dv should use", root, o->root);
	if (o->rc < 0)
		o->error = dv_strdup(dv_error_last());
	free(root);
	return NULL;
}

static void start_git_open(dv_repo *repo, bool background)
{
	struct dv_repo_git_open *o = dv_calloc(1, sizeof(*o));

	o->root = dv_strdup(repo->root);
	pthread_mutex_init(&o->mu, NULL);
	if (!background || pthread_create(&o->thread, NULL, git_open_main, o) != 0) {
		git_open_main(o);
		o->joined = true;
	}
	repo->git_open = o;
}

/* Whoever comes first starts the open, even from parallel workers. */
static pthread_mutex_t git_open_mu = PTHREAD_MUTEX_INITIALIZER;

static void ensure_git_open(dv_repo *repo, bool background)
{
	pthread_mutex_lock(&git_open_mu);
	/* git_open first: once it is set, only its owner writes repo->git. */
	if (!repo->git_open && !repo->git)
		start_git_open(repo, background);
	pthread_mutex_unlock(&git_open_mu);
}

void dv_repo_git_prefetch(dv_repo *repo)
{
	ensure_git_open(repo, true);
}

struct git_repository *dv_repo_git(dv_repo *repo)
{
	struct dv_repo_git_open *o;

	ensure_git_open(repo, false);
	o = repo->git_open;
	if (o) {
		pthread_mutex_lock(&o->mu);
		if (!o->joined) {
			pthread_join(o->thread, NULL);
			o->joined = true;
		}
		if (o->git) {
			repo->git = o->git;
			o->git = NULL;
		}
		pthread_mutex_unlock(&o->mu);
		if (!repo->git) {
			dv_error(o->rc < 0 ? o->rc : DV_ERROR, "%s",
				 o->error ? o->error : "cannot open the git repository");
			return NULL;
		}
	}
	if (!repo->git)
		dv_error(DV_ERROR, "cannot open the git repository of '%s'", repo->root);
	return repo->git;
}

static int compute_prefix(dv_repo *repo)
{
	char cwd[PATH_MAX];
	char *real;

	if (!getcwd(cwd, sizeof(cwd)))
		return dv_error_errno(DV_ERROR, "cannot read the current directory");
	real = realpath(cwd, NULL);
	repo->prefix = dv_path_relative_to(real ? real : cwd, repo->root);
	free(real);
	if (!repo->prefix)
		repo->prefix = dv_strdup("");
	return 0;
}

/* In a linked git worktree (`git worktree add`, or an experiment's
 * temporary one) <root>/.git is a file naming the worktree's git
 * directory, whose `commondir` leads back to the main repository's .git.
 * The main work tree's cache is then the one to use: starting an empty
 * cache there would fetch or rebuild everything the main tree has.  NULL
 * when `root` is no linked worktree, or its main tree has no .dv. */
static char *linked_worktree_cache(const char *root)
{
	dv_buf p = DV_BUF_INIT, text = DV_BUF_INIT;
	char *gitdir = NULL, *common = NULL, *out = NULL;
	size_t n;

	dv_path_join(&p, root, ".git");
	if (!dv_is_dir(p.ptr) && dv_read_file(&text, p.ptr) == 0 && !strncmp(text.ptr, "gitdir: ", 8)) {
		n = strcspn(text.ptr + 8, "\r\n");
		gitdir = dv_strndup(text.ptr + 8, n);
		if (gitdir[0] != '/') {
			char *abs = dv_asprintf("%s/%s", root, gitdir);
			free(gitdir);
			gitdir = abs;
		}
		dv_path_join(&p, gitdir, "commondir");
		dv_buf_reset(&text);
		if (dv_read_file(&text, p.ptr) == 0) {
			text.ptr[strcspn(text.ptr, "\r\n")] = '\0';
			if (text.ptr[0] == '/')
				dv_buf_set(&p, text.ptr);
			else
				dv_path_join(&p, gitdir, text.ptr);
			common = realpath(p.ptr, NULL);
		}
	}
	if (common && !strcmp(dv_path_basename(common), ".git")) {
		char *main_root = dv_path_dirname(common);
		dv_path_join(&p, main_root, ".dv/cache");
		if (strcmp(main_root, root) && dv_is_dir(p.ptr))
			out = dv_buf_detach(&p);
		free(main_root);
	}
	free(common);
	free(gitdir);
	dv_buf_free(&text);
	dv_buf_free(&p);
	return out;
}

static int open_cache(dv_repo *repo)
{
	const char *dir = dv_config_get(repo->config, "cache.dir");
	const char *types = dv_config_get(repo->config, "cache.type");
	dv_buf path = DV_BUF_INIT;
	int rc;

	if (dir && *dir) {
		/* Relative cache.dir is relative to .dv, as DVC's is to .dvc. */
		if (dir[0] == '/')
			dv_buf_set(&path, dir);
		else
			dv_path_join(&path, repo->dvdir, dir);
	} else {
		char *shared = linked_worktree_cache(repo->root);
		if (shared)
			dv_buf_set(&path, shared);
		else
			dv_path_join(&path, repo->dvdir, "cache");
		free(shared);
	}
	rc = dv_cache_open(&repo->cache, path.ptr, types);
	if (rc < 0)
		dv_error_wrap(rc, "cannot use the cache");
	else
		repo->cache->dvdir = dv_strdup(repo->dvdir);
	dv_buf_free(&path);
	return rc;
}

int dv_repo_reload_config(dv_repo *repo)
{
	dv_config *cfg = NULL;
	int rc = dv_config_load(&cfg, repo->dvdir);
	if (rc < 0)
		return rc;
	dv_config_free(repo->config);
	repo->config = cfg;
	dv_cache_free(repo->cache);
	repo->cache = NULL;
	return open_cache(repo);
}

static int check_dvdir(const dv_repo *repo)
{
	struct stat st;
	char *real = NULL;
	int rc = 0;

	if (lstat(repo->dvdir, &st) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	if (dv_repo_link_place(repo, repo->dvdir, &real, NULL) != DV_LINK_INSIDE)
		rc = dv_error(DV_ERROR, "'%s/.dv' is a symlink to '%s', outside the work tree or into .git: dv does not "
			      "use it (remove the link and run 'dv init'; cache.dir moves the cache)",
			      repo->root, real ? real : "?");
	free(real);
	return rc;
}

int dv_repo_open(dv_repo **out, const char *start_dir)
{
	dv_repo *repo = dv_calloc(1, sizeof(*repo));
	dv_buf p = DV_BUF_INIT;
	int rc;

	*out = NULL;
	if (!find_root_plain(&repo->root, start_dir ? start_dir : ".") &&
	    (rc = open_git(&repo->git, &repo->root, start_dir ? start_dir : ".", 0)) < 0)
		goto fail;
	dv_path_join(&p, repo->root, ".dv");
	repo->dvdir = dv_buf_detach(&p);
	if (!dv_is_dir(repo->dvdir)) {
		rc = dv_error(DV_ENOTFOUND, "'%s' is not a dv repository: run 'dv init' first", repo->root);
		goto fail;
	}
	/* A cloned repository may carry .dv as a symlink (into .git, or out
	 * of the tree): dv would then write its cache and state there. */
	if ((rc = check_dvdir(repo)) < 0)
		goto fail;
	if ((rc = compute_prefix(repo)) < 0)
		goto fail;
	if ((rc = dv_config_load(&repo->config, repo->dvdir)) < 0)
		goto fail;
	if ((rc = open_cache(repo)) < 0)
		goto fail;
	*out = repo;
	return 0;
fail:
	dv_repo_free(repo);
	return rc;
}

static int write_if_missing(const char *path, const char *text, bool force)
{
	if (!force && dv_path_exists(path))
		return 0;
	return dv_write_file_atomic(path, text, strlen(text), 0644);
}

int dv_repo_init(dv_repo **out, const char *start_dir, bool force)
{
	git_repository *git = NULL;
	char *root = NULL;
	dv_buf dvdir = DV_BUF_INIT, p = DV_BUF_INIT;
	dv_strvec staged = DV_STRVEC_INIT;
	dv_repo *repo = NULL;
	bool autostage = true;
	int rc;

	*out = NULL;
	if ((rc = open_git(&git, &root, start_dir ? start_dir : ".", 0)) < 0)
		goto done;
	dv_path_join(&dvdir, root, ".dv");
	if (dv_path_exists(dvdir.ptr) && !force) {
		rc = dv_error(DV_EEXISTS, "'%s' already exists: use 'dv init -f' to initialise it again", dvdir.ptr);
		goto done;
	}
	if ((rc = dv_mkdir_p(dvdir.ptr, 0777)) < 0)
		goto done;
	dv_path_join(&p, dvdir.ptr, "config");
	if ((rc = write_if_missing(p.ptr, dv_config_text, false)) < 0)
		goto done;
	dv_path_join(&p, dvdir.ptr, ".gitignore");
	if ((rc = write_if_missing(p.ptr, dv_gitignore_text, force)) < 0)
		goto done;
	dv_path_join(&p, dvdir.ptr, "tmp");
	if ((rc = dv_mkdir_p(p.ptr, 0777)) < 0)
		goto done;
	git_repository_free(git);
	git = NULL;
	if ((rc = dv_repo_open(&repo, start_dir)) < 0)
		goto done;
	if ((rc = dv_mkdir_p(repo->cache->dir, 0777)) < 0)
		goto done;
	dv_strvec_push(&staged, ".dv/config");
	dv_strvec_push(&staged, ".dv/.gitignore");
	/* core.autostage = false in the system or global config: stage
	 * nothing here either. */
	if ((rc = dv_config_get_bool(repo->config, "core.autostage", true, &autostage)) < 0 ||
	    (autostage && (rc = dv_git_stage_paths(repo, &staged)) < 0))
		goto done;
	*out = repo;
	repo = NULL;
done:
	dv_repo_free(repo);
	git_repository_free(git);
	free(root);
	dv_buf_free(&dvdir);
	dv_buf_free(&p);
	dv_strvec_free(&staged);
	return rc;
}

void dv_repo_free(dv_repo *repo)
{
	if (!repo)
		return;
	/* Losing either cache only costs a re-read next time. */
	dv_repo_save_statcache(repo);
	dv_statcache_free(repo->statcache);
	dv_dircache_free(repo->dircache);
	dv_treecache_free(repo->treecache);
	dv_dvignore_free(repo->dvignore);
	dv_cache_free(repo->cache);
	dv_config_free(repo->config);
	if (repo->git_open) {
		struct dv_repo_git_open *o = repo->git_open;
		if (!o->joined)
			pthread_join(o->thread, NULL);
		git_repository_free(o->git);
		pthread_mutex_destroy(&o->mu);
		free(o->root);
		free(o->error);
		free(o);
	}
	git_repository_free(repo->git);
	free(repo->root);
	free(repo->dvdir);
	free(repo->prefix);
	free(repo);
}

/* Opened on first use, which may be inside a parallel loop: the lock makes
 * sure only one thread loads it. */
struct dv_statcache *dv_repo_statcache(dv_repo *repo)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct dv_statcache *sc;

	pthread_mutex_lock(&mu);
	if (!repo->statcache) {
		dv_buf p = DV_BUF_INIT;
		dv_path_join(&p, repo->dvdir, "state");
		dv_statcache_open(&repo->statcache, p.ptr);
		dv_buf_free(&p);
	}
	sc = repo->statcache;
	pthread_mutex_unlock(&mu);
	return sc;
}

/* The same for the listings of directories. */
struct dv_dircache *dv_repo_dircache(dv_repo *repo)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct dv_dircache *dc;

	pthread_mutex_lock(&mu);
	if (!repo->dircache) {
		dv_buf p = DV_BUF_INIT;
		dv_path_join(&p, repo->dvdir, "dirs");
		dv_dircache_open(&repo->dircache, p.ptr);
		dv_buf_free(&p);
	}
	dc = repo->dircache;
	pthread_mutex_unlock(&mu);
	return dc;
}

/* And the hashes of walked directories by their walk's digest. */
struct dv_treecache *dv_repo_treecache(dv_repo *repo)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct dv_treecache *tc;

	pthread_mutex_lock(&mu);
	if (!repo->treecache) {
		dv_buf p = DV_BUF_INIT;
		dv_path_join(&p, repo->dvdir, "trees");
		dv_treecache_open(&repo->treecache, p.ptr);
		dv_buf_free(&p);
	}
	tc = repo->treecache;
	pthread_mutex_unlock(&mu);
	return tc;
}

int dv_repo_save_statcache(dv_repo *repo)
{
	int rc = repo->dircache ? dv_dircache_save(repo->dircache) : 0;
	if (repo->treecache && dv_treecache_save(repo->treecache) < 0)
		rc = -1;
	if (repo->statcache && dv_statcache_save(repo->statcache) < 0)
		rc = -1;
	return rc;
}

void dv_repo_abspath(dv_buf *out, const dv_repo *repo, const char *relpath)
{
	if (!relpath[0] || !strcmp(relpath, "."))
		dv_buf_set(out, repo->root);
	else
		dv_path_join(out, repo->root, relpath);
}

dv_link_place dv_repo_link_place(const dv_repo *repo, const char *abs, char **real_out, char **inside_out)
{
	char *real = realpath(abs, NULL), *realroot, *inside = NULL;
	dv_link_place place;

	if (!real) {
		place = DV_LINK_DANGLING;
		goto out;
	}
	/* The root itself may lie behind a symlink (/tmp -> /private/tmp). */
	realroot = realpath(repo->root, NULL);
	inside = dv_path_relative_to(real, realroot ? realroot : repo->root);
	free(realroot);
	if (!inside)
		place = DV_LINK_OUTSIDE;
	else if (!*inside || dv_path_has_git_component(inside) || dv_path_is_within(inside, ".dv"))
		place = DV_LINK_PROTECTED;
	else
		place = DV_LINK_INSIDE;
out:
	if (real_out)
		*real_out = real;
	else
		free(real);
	if (inside_out)
		*inside_out = inside;
	else
		free(inside);
	return place;
}

/* `abs` is the symlink at `rel` (a prefix of `path`); `final`: it is the
 * last component. */
static int check_link(const dv_repo *repo, const char *path, const char *rel, const char *abs, bool final)
{
	char *real = NULL, *inside = NULL, *in_cache = NULL;
	dv_link_place place = dv_repo_link_place(repo, abs, &real, &inside);
	int rc = 0;

	if (place == DV_LINK_DANGLING) {
		/* Nothing behind a final link: there is nothing to read. */
		if (final && errno == ENOENT)
			return 0;
		return dv_error_errno(DV_ERROR, "'%s' leads through the symlink '%s', which cannot be resolved; "
				      "replace it with a directory", path, rel);
	}
	if (final && repo->cache && place != DV_LINK_INSIDE) {
		char *realcache = realpath(repo->cache->dir, NULL);
		in_cache = realcache ? dv_path_relative_to(real, realcache) : NULL;
		free(realcache);
		if (in_cache && *in_cache)
			place = DV_LINK_INSIDE; /* dv's own link (cache.type symlink) */
	}
	if (place == DV_LINK_OUTSIDE)
		rc = dv_error(DV_ERROR, "'%s' leads through the symlink '%s' to '%s', outside the repository: "
			      "dv does not follow it (replace the link with a directory or remove it)", path, rel, real);
	else if (place == DV_LINK_PROTECTED)
		rc = dv_error(DV_ERROR, "'%s' leads through the symlink '%s' into '%s', which dv never writes: "
			      "remove the link", path, rel, *inside ? inside : ".");
	free(real);
	free(inside);
	free(in_cache);
	return rc;
}

int dv_repo_check_path(const dv_repo *repo, const char *relpath, unsigned flags)
{
	dv_buf abs = DV_BUF_INIT;
	size_t rootlen;
	int rc = 0;

	if (dv_path_has_git_component(relpath))
		return dv_error(DV_ERROR, "'%s' is inside a git directory, which dv never writes", relpath);
	if (dv_path_is_within(relpath, ".dv"))
		return dv_error(DV_ERROR, "'%s' is inside dv's own directory", relpath);
	dv_buf_set(&abs, repo->root);
	rootlen = abs.len + 1;
	for (const char *p = relpath; *p && rc == 0;) {
		size_t n = strcspn(p, "/");
		bool last = p[n] == '\0';
		struct stat st;

		dv_buf_putc(&abs, '/');
		dv_buf_add(&abs, p, n);
		if (last && !(flags & DV_PATH_FINAL))
			break;
		if (lstat(abs.ptr, &st) < 0) {
			/* What is missing dv creates as real directories; a file
			 * in the way fails the write later, naming it. */
			if (errno != ENOENT && errno != ENOTDIR)
				rc = dv_error_errno(DV_ERROR, "cannot stat '%s'", abs.ptr + rootlen);
			break;
		}
		if (S_ISLNK(st.st_mode))
			rc = check_link(repo, relpath, abs.ptr + rootlen, abs.ptr, last);
		p += n;
		while (*p == '/')
			p++;
	}
	dv_buf_free(&abs);
	return rc;
}

int dv_repo_relpath(char **out, const dv_repo *repo, const char *user_path)
{
	dv_buf abs = DV_BUF_INIT;
	char *norm = NULL, *rel = NULL;
	int rc = 0;

	*out = NULL;
	if (user_path[0] == '/') {
		dv_buf_set(&abs, user_path);
	} else {
		dv_repo_abspath(&abs, repo, repo->prefix);
		if (abs.ptr[abs.len - 1] != '/')
			dv_buf_putc(&abs, '/');
		dv_buf_puts(&abs, user_path);
	}
	norm = dv_path_normalize(abs.ptr);
	rel = dv_path_relative_to(norm, repo->root);
	if (!rel) {
		/* The user may have typed a path through a symlink to the repo. */
		char *real = realpath(norm, NULL);
		if (real)
			rel = dv_path_relative_to(real, repo->root);
		free(real);
	}
	if (!rel) {
		rc = dv_error(DV_EUSAGE, "'%s' is outside the repository '%s'", user_path, repo->root);
		goto done;
	}
	if (!rel[0]) {
		rc = dv_error(DV_EUSAGE, "'%s' is the repository itself: name a file or directory inside it", user_path);
		goto done;
	}
	if (dv_path_is_within(rel, ".git") || dv_path_is_within(rel, ".dv")) {
		rc = dv_error(DV_EUSAGE, "'%s' is inside dv's or git's own directory", user_path);
		goto done;
	}
	/* A symlink leading out of the repository would let dv read or
	 * overwrite files it does not own. */
	if ((rc = dv_repo_check_path(repo, rel, DV_PATH_FINAL)) < 0) {
		rc = DV_EUSAGE; /* the message stands */
		goto done;
	}
	*out = rel;
	rel = NULL;
done:
	free(norm);
	free(rel);
	dv_buf_free(&abs);
	return rc;
}

char *dv_repo_display_path(const dv_repo *repo, const char *relpath)
{
	const char *prefix = repo->prefix;
	size_t n = strlen(prefix);
	dv_buf out = DV_BUF_INIT;

	if (n == 0)
		return dv_strdup(relpath);
	if (!strncmp(relpath, prefix, n) && relpath[n] == '/')
		return dv_strdup(relpath + n + 1);
	/* Climb out of the prefix with one "../" per component. */
	for (const char *p = prefix; p; p = strchr(p + 1, '/'))
		dv_buf_puts(&out, "../");
	dv_buf_puts(&out, relpath);
	return dv_buf_detach(&out);
}
