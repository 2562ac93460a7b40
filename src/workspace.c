/*
 * workspace.c - tracked paths between the work tree and the cache.
 *
 * Hashing goes through the stat cache, so an unchanged file costs one
 * stat; directory files that must be read are spread over all cores.
 * Committing a file hashes it in the same pass that copies it into the
 * cache when the bytes have to move anyway.  Checkout never overwrites a
 * workspace file whose bytes are not in the cache (that would lose data)
 * unless forced, and verifies every object before it reaches the work
 * tree (through the stat cache, so each object is read once, ever).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/addjournal.h"
#include "dv/cache.h"
#include "dv/dircache.h"
#include "dv/treecache.h"
#include "dv/dvignore.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/pool.h"
#include "dv/progress.h"
#include "dv/statcache.h"
#include "dv/targets.h"
#include "dv/template.h"
#include "dv/workspace.h"

/* ---- walking a directory -------------------------------------------- */

/* The stat fields a walk keeps, 64 bytes where a struct stat takes 144:
 * a walk holds one per file, and a 20,000-file status spent more time
 * moving and faulting in those records than in its own code. */
typedef struct {
	uint64_t dev, ino, size;
	struct timespec mtim, ctim;
	uint32_t mode, nlink;
} file_stat;

static void file_stat_keep(file_stat *o, const struct stat *st)
{
	o->dev = (uint64_t)st->st_dev;
	o->ino = (uint64_t)st->st_ino;
	o->size = (uint64_t)st->st_size;
	o->mtim = st->st_mtim;
	o->ctim = st->st_ctim;
	o->mode = (uint32_t)st->st_mode;
	o->nlink = (uint32_t)st->st_nlink;
}

static void file_stat_expand(struct stat *st, const file_stat *o)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = (dev_t)o->dev;
	st->st_ino = (ino_t)o->ino;
	st->st_size = (off_t)o->size;
	st->st_mtim = o->mtim;
	st->st_ctim = o->ctim;
	st->st_mode = (mode_t)o->mode;
	st->st_nlink = (nlink_t)o->nlink;
}

typedef struct {
	char *rel;      /* relative to the walked directory (in the walk's pool) */
	file_stat st;   /* stat (links followed) */
	dv_hash hash;
	uint64_t size;
	bool known;     /* hash from the stat cache */
	bool plain;     /* a regular file itself, not a symlink to one */
	int rc;
	char *error;
} walk_file;

/* One directory of a walk: its files, and its subdirectories for the next
 * level.  Entries are stat'ed relative to the directory's descriptor, so
 * the kernel does not walk the whole path again for each file. */
typedef struct {
	const dv_repo *repo;
	dv_dvignore *ignore; /* .dvignore rules: what the walk leaves out */
	char *abs;
	char *rel;
	dv_vec files;      /* walk_file */
	dv_strpool names;  /* the files' rel paths */
	dv_strvec subdirs; /* names, sorted */
	size_t first_child; /* the job of subdirs.v[0]; the others follow it */
	bool alone;        /* the only directory of its level */
	int rc;
	char *error;
} walk_dir_job;

/*
 * A symlink met inside a tracked directory.  dv's own links (cache.type
 * symlink) point into the cache and are followed after one readlink.  A
 * link to a file elsewhere in the work tree is followed as the file.  A
 * link out of the work tree, into .git or .dv, or to a directory is
 * refused: following it would put bytes dv does not own into the cache
 * (and onto remotes), or walk in circles.
 */

/* `obj_rel` (DV_CACHE_OBJ_REL_LEN + 1 bytes) receives "XX/<30 hex>" when the
 * link at `abs`, reading `target`, is dv's own to a file object, so its
 * target can be stat'ed relative to the objects' directory; "" otherwise. */
static int check_walk_link(const dv_repo *repo, const char *abs, char *obj_rel, const char *target)
{
	const char *cache = repo->cache ? repo->cache->dir : NULL;
	const char *shown = abs + strlen(repo->root) + 1;
	char *real = NULL, *inside = NULL;
	dv_link_place place;
	struct stat st;
	int rc = 0;

	obj_rel[0] = '\0';
	if (cache && dv_cache_link_object(repo->cache, abs, target, obj_rel))
		return 0;
	if (cache && target[0] == '/' && !strstr(target, "/../") && !strstr(target, "/./")) {
		size_t len = strlen(cache);
		if (!strncmp(target, cache, len) && target[len] == '/')
			return 0; /* into the cache, not an object: as dangling */
	}
	place = dv_repo_link_place(repo, abs, &real, &inside);
	if (place == DV_LINK_DANGLING)
		return 0; /* nothing to track, the caller skips it */
	if (place != DV_LINK_INSIDE)
		rc = dv_error(DV_ERROR, "'%s' is a symlink to '%s', outside the work tree: dv does not follow it "
			      "(copy the file in, or remove the link)", shown, real);
	else if (stat(real, &st) == 0 && S_ISDIR(st.st_mode))
		rc = dv_error(DV_ERROR, "'%s' is a symlink to the directory '%s': dv tracks files, not links to "
			      "directories (replace it with the directory, or remove it)", shown, inside);
	free(real);
	free(inside);
	return rc;
}

/* One name of a directory being scanned, and what its stat found. */
typedef struct {
	const char *name;   /* in the scan's pool, or the listing's */
	const char *target; /* a link's target, from the listing */
	char *read_target;  /* a link's target, read by this scan */
	unsigned char type; /* d_type */
	bool ignored;       /* left out by .dvignore: listed, not stat'ed */
	enum { ENTRY_SKIP, ENTRY_FILE, ENTRY_DIR, ENTRY_ERROR } kind;
	bool link;
	file_stat st;
	char *error;
} scan_entry;

typedef struct {
	walk_dir_job *j;
	int dirfd;
	scan_entry *entries;
	/* What dv's short-form links in this directory start with (see
	 * dv_cache_link_prefix); prefix_len 0: none can. */
	char prefix[DV_CACHE_LINK_PREFIX_MAX];
	size_t prefix_len;
} scan_ctx;

static void entry_fail(scan_entry *e)
{
	e->kind = ENTRY_ERROR;
	e->error = dv_strdup(dv_error_last());
}

/* The link `e` of a scanned directory: its target read (unless the
 * listing has it) and judged, `obj_rel` set when it is dv's own.  False
 * (with e failed) when it is one dv refuses.  dv's short-form links, every
 * file of a symlinked tree, are told by their prefix without a path
 * built or a syscall (they were a tenth of a symlinked status). */
static bool own_link(scan_ctx *c, scan_entry *e, char *obj_rel)
{
	char buf[4096], childabs[4096];
	const char *target = e->target;

	if (!target) {
		ssize_t n = readlinkat(c->dirfd, e->name, buf, sizeof(buf) - 1);
		if (n < 0) {
			size_t root = strlen(c->j->repo->root);
			dv_error_errno(DV_ERROR, "cannot read the symlink '%s/%s'", c->j->abs + root + (c->j->abs[root] == '/'),
				       e->name);
			entry_fail(e);
			return false;
		}
		buf[n] = '\0';
		target = buf;
		e->read_target = dv_strdup(buf);
	}
	if (target && c->prefix_len && !strncmp(target, c->prefix, c->prefix_len) &&
	    dv_cache_is_obj_rel(target + c->prefix_len)) {
		memcpy(obj_rel, target + c->prefix_len, DV_CACHE_OBJ_REL_LEN + 1);
		return true;
	}
	if ((size_t)snprintf(childabs, sizeof(childabs), "%s/%s", c->j->abs, e->name) >= sizeof(childabs)) {
		errno = ENAMETOOLONG;
		dv_error_errno(DV_ERROR, "cannot read '%s/%s'", c->j->abs, e->name);
		entry_fail(e);
		return false;
	}
	if (check_walk_link(c->j->repo, childabs, obj_rel, target) < 0) {
		entry_fail(e);
		return false;
	}
	return true;
}

static void scan_entry_stat(void *arg, size_t i)
{
	scan_ctx *c = arg;
	scan_entry *e = &c->entries[i];
	char obj_rel[DV_CACHE_OBJ_REL_LEN + 1] = "";
	const char *name = e->name;
	struct stat st;
	int at;

	if (e->ignored || e->type == DT_DIR)
		return;
	e->link = e->type == DT_LNK;
	if (e->type == DT_LNK || e->type == DT_UNKNOWN) {
		if (!e->link && fstatat(c->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			e->link = S_ISLNK(st.st_mode);
		if (e->link && !own_link(c, e, obj_rel))
			return;
	}
	/* dv's own link (cache.type symlink): its target is looked up from
	 * the objects' directory, not along the cache's whole path again (a
	 * symlinked 20,000-file status spent more in those lookups than in
	 * the stats). */
	if (*obj_rel && (at = dv_cache_objects_fd(c->j->repo->cache)) >= 0)
		name = obj_rel;
	else
		at = c->dirfd;
	if (fstatat(at, name, &st, 0) < 0) {
		/* A dangling symlink has no bytes to track. */
		if (errno != ENOENT) {
			dv_error_errno(DV_ERROR, "cannot read '%s/%s'", c->j->abs, e->name);
			entry_fail(e);
		}
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		e->kind = ENTRY_DIR;
	} else if (S_ISREG(st.st_mode)) {
		e->kind = ENTRY_FILE;
		file_stat_keep(&e->st, &st);
	}
}

/* From this many names on, a directory that is alone at its level of the
 * walk (a flat 20,000-file dataset) has its stats shared among the
 * cores; smaller ones, or several at once, are one thread's each. */
#define SCAN_SPLIT_MIN 2048

static int cmp_scan_entry(const void *a, const void *b)
{
	return strcmp(((const scan_entry *)a)->name, ((const scan_entry *)b)->name);
}

static void entry_push(dv_vec *entries, const dv_dvignore_dir *ignore, const char *name, unsigned char type,
		       const char *target)
{
	scan_entry *se = dv_vec_push(entries);
	se->name = name;
	se->type = type;
	se->target = target;
	/* Left out by name before anything is followed. */
	se->ignored = dv_dvignore_dir_ignores(ignore, name, type == DT_DIR);
	if (type == DT_DIR)
		se->kind = ENTRY_DIR;
}

/* The entries of the directory open at `fd` (stat `dst`) as its listing
 * in .dv/dirs has them, sorted; false when there is none to trust. */
static bool entries_listed(dv_vec *entries, dv_dircache *dc, const struct stat *dst,
			   const dv_dvignore_dir *ignore)
{
	const char *listing;
	size_t len, pos = 0;
	dv_dircache_entry e;

	if (!dv_dircache_lookup(dc, dst, &listing, &len))
		return false;
	while (pos < len) {
		if (!dv_dircache_next(listing, len, &pos, &e)) {
			entries->n = 0; /* damaged: the directory is read instead */
			return false;
		}
		entry_push(entries, ignore, e.name, e.type, e.target);
	}
	return true;
}

/* Read the directory open at `fd` into `entries`, sorted by name. */
static int entries_read(dv_vec *entries, dv_strpool *pool, int fd, const char *abs, const dv_dvignore_dir *ignore)
{
	DIR *d = fdopendir(dup(fd));
	struct dirent *e;

	if (!d)
		return dv_error_errno(DV_ERROR, "cannot read directory '%s'", abs);
	for (errno = 0; (e = readdir(d)) != NULL; errno = 0) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			entry_push(entries, ignore, dv_strpool_add(pool, e->d_name, strlen(e->d_name)), e->d_type, NULL);
	}
	if (errno) {
		int rc = dv_error_errno(DV_ERROR, "cannot read directory '%s'", abs);
		closedir(d);
		return rc;
	}
	closedir(d);
	/* Sorted here, on the walk's threads: the files of a directory in
	 * name order and its subdirectories too, so the whole walk comes out
	 * in path order without a sort of all its paths at the end. */
	if (entries->n > 1)
		qsort(entries->items, entries->n, sizeof(scan_entry), cmp_scan_entry);
	return 0;
}

static void scan_dir(walk_dir_job *j)
{
	int fd = open(j->abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dv_buf childrel = DV_BUF_INIT, listing = DV_BUF_INIT;
	dv_strpool pool = DV_STRPOOL_INIT;
	dv_vec entries = DV_VEC_INIT(scan_entry);
	const dv_dvignore_dir *ignore;
	dv_dircache *dc = dv_repo_dircache((dv_repo *)j->repo);
	bool listed = false;
	int64_t listed_at = 0;
	struct stat dst;
	scan_ctx ctx;

	if (fd < 0 || fstat(fd, &dst) < 0) {
		j->rc = dv_error_errno(DV_ERROR, "cannot read directory '%s'", j->abs);
		j->error = dv_strdup(dv_error_last());
		if (fd >= 0)
			close(fd);
		return;
	}
	/* The walk's directories are all <root>/<repo-relative path>. */
	ignore = dv_dvignore_rules_for(j->ignore, j->abs + strlen(j->repo->root) + (j->abs[strlen(j->repo->root)] == '/'));
	if (!(listed = entries_listed(&entries, dc, &dst, ignore))) {
		listed_at = dv_now_ns(); /* before the read: see dircache.h */
		if ((j->rc = entries_read(&entries, &pool, fd, j->abs, ignore)) < 0) {
			j->error = dv_strdup(dv_error_last());
			goto done;
		}
	}
	ctx = (scan_ctx){ .j = j, .dirfd = fd, .entries = entries.items };
	for (size_t i = 0; i < entries.n && j->repo->cache; i++) {
		unsigned char t = dv_vec_at(&entries, scan_entry, i)->type;
		if (t == DT_LNK || t == DT_UNKNOWN) {
			ctx.prefix_len = dv_cache_link_prefix(j->repo->cache, j->abs, ctx.prefix, sizeof(ctx.prefix));
			break;
		}
	}
	dv_parallel_for(entries.n, j->alone && entries.n >= SCAN_SPLIT_MIN ? 0 : 1, scan_entry_stat, &ctx);
	for (size_t i = 0; i < entries.n; i++) {
		scan_entry *se = dv_vec_at(&entries, scan_entry, i);
		if (!listed)
			dv_dircache_add(&listing, se->type, se->name, se->read_target);
		if (se->ignored || j->rc < 0) {
			/* left out */
		} else if (se->kind == ENTRY_ERROR) {
			j->rc = dv_error(DV_ERROR, "%s", se->error);
			j->error = se->error;
			se->error = NULL;
		} else if (se->kind == ENTRY_DIR) {
			/* A directory found by its stat (no d_type) is checked
			 * against .dvignore now. */
			if (se->type == DT_DIR || !dv_dvignore_dir_ignores(ignore, se->name, true))
				dv_strvec_push(&j->subdirs, se->name);
		} else if (se->kind == ENTRY_FILE) {
			walk_file *f = dv_vec_push(&j->files);
			dv_path_join(&childrel, j->rel, se->name);
			f->rel = dv_strpool_add(&j->names, childrel.ptr, childrel.len);
			f->st = se->st;
			f->plain = !se->link;
		}
		free(se->error);
		free(se->read_target);
	}
	if (!listed)
		dv_dircache_put(dc, &dst, listed_at, listing.ptr ? listing.ptr : "", listing.len);
done:
	close(fd);
	dv_vec_free(&entries);
	dv_strpool_free(&pool);
	dv_buf_free(&childrel);
	dv_buf_free(&listing);
}

/* The directories of one level of the walk: jobs lo.. of `all`. */
typedef struct {
	dv_vec *all;
	size_t lo;
} scan_level;

static void scan_one(void *ctx, size_t i)
{
	scan_level *l = ctx;
	scan_dir(dv_vec_at(l->all, walk_dir_job, l->lo + i));
}

static void walk_job_push(dv_vec *level, dv_repo *repo, const char *abs, const char *rel)
{
	walk_dir_job *j = dv_vec_push(level);
	j->repo = repo;
	j->ignore = dv_repo_dvignore(repo);
	j->abs = dv_strdup(abs);
	j->rel = dv_strdup(rel);
	j->files = (dv_vec)DV_VEC_INIT(walk_file);
}

static void walk_job_free(walk_dir_job *j)
{
	free(j->abs);
	free(j->rel);
	free(j->error);
	for (size_t i = 0; i < j->files.n; i++)
		free(dv_vec_at(&j->files, walk_file, i)->error);
	dv_vec_free(&j->files);
	dv_strpool_free(&j->names);
	dv_strvec_free(&j->subdirs);
}

/*
 * What walk_dir hands over: the files sorted by path, as pointers into the
 * directories' own arrays, which it keeps with the pool of their paths.
 * (Copying 20,000 records into one sorted array, and a string allocation
 * per path, cost a status 700 fresh pages, more than its own work.)
 */
typedef struct {
	walk_file **v;
	size_t n;
	dv_vec chunks;    /* dv_vec of walk_file, one per directory */
	dv_strpool names; /* their rel paths */
} walk_list;

#define WALK_LIST_INIT { NULL, 0, DV_VEC_INIT(dv_vec), DV_STRPOOL_INIT }

static void walk_list_free(walk_list *l)
{
	for (size_t c = 0; c < l->chunks.n; c++) {
		dv_vec *v = dv_vec_at(&l->chunks, dv_vec, c);
		for (size_t i = 0; i < v->n; i++)
			free(dv_vec_at(v, walk_file, i)->error);
		dv_vec_free(v);
	}
	dv_vec_free(&l->chunks);
	dv_strpool_free(&l->names);
	free(l->v);
	*l = (walk_list)WALK_LIST_INIT;
}

/* strcmp(name, dir + "/"): where a file's name falls among a directory's
 * subdirectories in path order ("a.txt" < "a/..." < "a0"). */
static int cmp_name_subdir(const char *name, const char *dir)
{
	while (*dir && *name == *dir)
		name++, dir++;
	return (unsigned char)*name - (unsigned char)(*dir ? *dir : '/');
}

/* Put job `ji`'s files and, in their places, its subdirectories' into
 * `out` from `k` on, in path order; returns the new k.  Recursion is as
 * deep as the tree, which PATH_MAX bounds. */
static size_t emit_sorted(walk_file **out, size_t k, dv_vec *all, size_t ji)
{
	walk_dir_job *j = dv_vec_at(all, walk_dir_job, ji);
	size_t skip = j->rel[0] ? strlen(j->rel) + 1 : 0, f = 0, d = 0;

	while (f < j->files.n || d < j->subdirs.n) {
		walk_file *wf = f < j->files.n ? dv_vec_at(&j->files, walk_file, f) : NULL;
		if (wf && (d == j->subdirs.n || cmp_name_subdir(wf->rel + skip, j->subdirs.v[d]) < 0)) {
			out[k++] = wf;
			f++;
		} else {
			k = emit_sorted(out, k, all, j->first_child + d++);
		}
	}
	return k;
}

/* Every regular file below `abs` (symlinks to files followed, within the
 * limits check_walk_link sets), sorted by path into `files` (empty).
 * The tree is read a level at a time, the directories of a level shared
 * among all cores: stat is most of the work, and it is the kernel's. */
static int walk_dir(walk_list *files, dv_repo *repo, const char *abs, const char *rel)
{
	dv_vec all = DV_VEC_INIT(walk_dir_job);
	dv_buf cabs = DV_BUF_INIT, crel = DV_BUF_INIT;
	size_t total = 0, lo = 0;
	int rc = 0;

	walk_job_push(&all, repo, abs, rel);
	while (lo < all.n && rc == 0) {
		size_t hi = all.n;
		scan_level l = { &all, lo };
		if (hi - lo == 1)
			dv_vec_at(&all, walk_dir_job, lo)->alone = true;
		dv_parallel_for(hi - lo, hi - lo < 2 ? 1 : 0, scan_one, &l);
		for (size_t i = lo; i < hi && rc == 0; i++) {
			walk_dir_job *j = dv_vec_at(&all, walk_dir_job, i);
			if (j->rc < 0) {
				rc = dv_error(j->rc, "%s", j->error);
				break;
			}
			total += j->files.n;
			j->first_child = all.n;
			/* Pushing moves the jobs: `j` is looked up again after each. */
			for (size_t d = 0, nsub = j->subdirs.n; d < nsub; d++) {
				j = dv_vec_at(&all, walk_dir_job, i);
				dv_path_join(&cabs, j->abs, j->subdirs.v[d]);
				dv_path_join(&crel, j->rel, j->subdirs.v[d]);
				walk_job_push(&all, repo, cabs.ptr, crel.ptr);
			}
		}
		lo = hi;
	}
	if (rc == 0) {
		files->v = dv_malloc((total ? total : 1) * sizeof(*files->v));
		files->n = emit_sorted(files->v, 0, &all, 0);
		/* The records stay where the scan put them; the list owns them. */
		for (size_t i = 0; i < all.n; i++) {
			walk_dir_job *j = dv_vec_at(&all, walk_dir_job, i);
			if (j->files.n) {
				*(dv_vec *)dv_vec_push(&files->chunks) = j->files;
				dv_strpool_take(&files->names, &j->names);
				j->files = (dv_vec)DV_VEC_INIT(walk_file);
			}
		}
	}
	for (size_t i = 0; i < all.n; i++)
		walk_job_free(dv_vec_at(&all, walk_dir_job, i));
	dv_vec_free(&all);
	dv_buf_free(&cabs);
	dv_buf_free(&crel);
	return rc;
}

/* ---- a parallel-for over the files of a directory ----------------------- */

/* `i`: the file's index in the walk; `journal`: the add's (NULL: none). */
typedef void (*file_job)(dv_repo *repo, const char *dirabs, walk_file *f, size_t i, dv_addjournal *journal);

typedef struct {
	dv_repo *repo;
	const char *dirabs;
	walk_list *files;
	file_job job;
	dv_addjournal *journal;
} files_ctx;

static void files_one(void *arg, size_t i)
{
	files_ctx *ctx = arg;
	ctx->job(ctx->repo, ctx->dirabs, ctx->files->v[i], i, ctx->journal);
}

/* Do paths a and b lie in the same directory? */
static bool same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	if (!sa || !sb)
		return !sa && !sb;
	return sa - a == sb - b && !strncmp(a, b, (size_t)(sa - a));
}

static bool files_same_dir(void *arg, size_t i)
{
	files_ctx *ctx = arg;
	return same_dir(ctx->files->v[i]->rel, ctx->files->v[i - 1]->rel);
}

static void run_parallel(dv_repo *repo, const char *dirabs, walk_list *files, file_job job,
			 dv_addjournal *journal)
{
	files_ctx ctx = { repo, dirabs, files, job, journal };
	/* Threads pay off only with enough files to share; each takes whole
	 * directories where it can (see dv_parallel_for_runs). */
	dv_parallel_for_runs(files->n, files->n < 64 ? 1 : 0, files_same_dir, files_one, &ctx);
}

static int first_file_error(const walk_list *files)
{
	for (size_t i = 0; i < files->n; i++) {
		const walk_file *f = files->v[i];
		if (f->rc < 0)
			return dv_error(f->rc, "%s", f->error ? f->error : "failed");
	}
	return 0;
}

static void record_file_error(walk_file *f, int rc)
{
	f->rc = rc;
	f->error = dv_strdup(dv_error_last());
}

/* ---- hashing ------------------------------------------------------------ */

static unsigned mode_of(const struct stat *st)
{
	return (st->st_mode & S_IXUSR) ? 0755 : 0644;
}

static void hash_job(dv_repo *repo, const char *dirabs, walk_file *f, size_t i, dv_addjournal *journal)
{
	dv_buf abs = DV_BUF_INIT;
	int rc;
	(void)i, (void)journal;
	if (f->known)
		return;
	dv_path_join(&abs, dirabs, f->rel);
	rc = dv_statcache_hash_file(&f->hash, dv_repo_statcache(repo), abs.ptr, NULL, NULL);
	if (rc < 0)
		record_file_error(f, rc);
	dv_progress_file_done();
	dv_buf_free(&abs);
}

static void build_manifest(dv_manifest *m, walk_list *files)
{
	for (size_t i = 0; i < files->n; i++) {
		walk_file *f = files->v[i];
		dv_manifest_add(m, f->rel, &f->hash, f->st.size, (f->st.mode & S_IXUSR) ? 0755 : 0644);
	}
}

/*
 * The passes over a walk's sorted files that follow it, on all cores a run
 * of FILES_RUN files at a time: the stat cache lookups, and the manifest
 * lines the directory's hash is taken over.  Done on one thread after the
 * walk, they were a fifth of a 20,000-file status.
 */
#define FILES_RUN 256

typedef struct {
	walk_list *files;
	dv_statcache *sc;
	size_t *unknown;  /* per run: files the cache did not know */
	uint64_t *bytes;  /* per run: their sizes' sum */
	dv_buf *text;     /* per run: its manifest lines */
} runs_pass;

static size_t run_len(const runs_pass *p, size_t r)
{
	size_t lo = r * FILES_RUN;
	return p->files->n - lo < FILES_RUN ? p->files->n - lo : FILES_RUN;
}

static int64_t ts_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void lookup_run(void *arg, size_t r)
{
	runs_pass *p = arg;
	walk_file **v = p->files->v + r * FILES_RUN;
	size_t n = run_len(p, r);
	dv_stat_key keys[FILES_RUN] = { { 0 } }; /* all set below; gcc cannot tell */
	dv_hash hashes[FILES_RUN];
	bool hit[FILES_RUN];

	for (size_t i = 0; i < n; i++) {
		const file_stat *st = &v[i]->st;
		keys[i] = (dv_stat_key){ st->dev, st->ino, st->size, ts_ns(st->mtim), ts_ns(st->ctim) };
		p->bytes[r] += st->size;
	}
	p->unknown[r] = n - dv_statcache_lookup_keys(p->sc, keys, n, hashes, hit);
	for (size_t i = 0; i < n; i++) {
		v[i]->known = hit[i];
		if (hit[i])
			v[i]->hash = hashes[i];
	}
}

static void lines_run(void *arg, size_t r)
{
	runs_pass *p = arg;
	walk_file **v = p->files->v + r * FILES_RUN;
	size_t n = run_len(p, r);

	dv_buf_grow(&p->text[r], n * 80);
	for (size_t i = 0; i < n; i++)
		dv_manifest_line(&p->text[r], v[i]->rel, &v[i]->hash, v[i]->st.size, v[i]->st.mode);
}

/* The walk's digest (treecache.h): each file's path, stat key and mode
 * bit, in walk order, which is the manifest's; and the sizes' sum.  Fed
 * to the hasher through a small buffer: a 1.5 MB one was fresh pages to
 * fault in, a third of the time saved. */
static void walk_digest(dv_hash *digest, uint64_t *size, const walk_list *files)
{
	char buf[32768];
	size_t len = 0;
	dv_hasher *hs = dv_hasher_new();

	dv_hasher_update(hs, "dv-walk-1", 10); /* the manifest format it stands for */
	*size = 0;
	for (size_t i = 0; i < files->n; i++) {
		const walk_file *f = files->v[i];
		uint64_t key[6] = { f->st.dev, f->st.ino, f->st.size, (uint64_t)ts_ns(f->st.mtim),
				    (uint64_t)ts_ns(f->st.ctim), (f->st.mode & S_IXUSR) != 0 };
		size_t n = strlen(f->rel) + 1;
		if (len + n + sizeof(key) > sizeof(buf)) {
			dv_hasher_update(hs, buf, len);
			len = 0;
		}
		if (n + sizeof(key) > sizeof(buf)) { /* a path longer than the buffer */
			dv_hasher_update(hs, f->rel, n);
		} else {
			memcpy(buf + len, f->rel, n);
			len += n;
		}
		memcpy(buf + len, key, sizeof(key));
		len += sizeof(key);
		*size += f->st.size;
	}
	dv_hasher_update(hs, buf, len);
	dv_hasher_final(digest, hs);
	dv_hasher_free(hs);
}

int dv_workspace_hash(dv_ws_state *out, dv_repo *repo, const char *relpath, dv_manifest *manifest)
{
	dv_buf abs = DV_BUF_INIT, text = DV_BUF_INIT;
	walk_list files = WALK_LIST_INIT;
	dv_manifest local = DV_MANIFEST_INIT;
	dv_manifest *m = manifest ? manifest : &local;
	runs_pass pass = { 0 };
	dv_hash digest;
	size_t unknown = 0, nruns = 0;
	struct stat st;
	int rc = 0, jobs;

	memset(out, 0, sizeof(*out));
	dv_repo_abspath(&abs, repo, relpath);
	if (stat(abs.ptr, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			rc = dv_error_errno(DV_ERROR, "cannot read '%s'", relpath);
		goto done;
	}
	out->exists = true;
	if (!S_ISDIR(st.st_mode)) {
		dv_progress_expect(1, 0);
		rc = dv_statcache_hash_stat(&out->hash, dv_repo_statcache(repo), abs.ptr, &st, NULL);
		dv_progress_file_done();
		out->size = (uint64_t)st.st_size;
		goto done;
	}
	out->is_dir = true;
	if ((rc = walk_dir(&files, repo, abs.ptr, "")) < 0)
		goto done;
	/* Only the hash is wanted, and this very tree had it before: no
	 * stat-cache lookup, no manifest line. */
	if (!manifest && (rc = first_file_error(&files)) == 0) {
		walk_digest(&digest, &out->size, &files);
		if (dv_treecache_lookup(dv_repo_treecache(repo), &digest, &out->hash)) {
			dv_progress_expect(0, 0);
			out->nfiles = files.n;
			goto done;
		}
		out->size = 0; /* the lookups add them up again */
	}
	if (rc < 0)
		goto done;
	nruns = (files.n + FILES_RUN - 1) / FILES_RUN;
	jobs = nruns < 2 ? 1 : 0;
	pass = (runs_pass){ &files, dv_repo_statcache(repo), dv_calloc(nruns + 1, sizeof(size_t)),
			    dv_calloc(nruns + 1, sizeof(uint64_t)), NULL };
	dv_parallel_for(nruns, jobs, lookup_run, &pass);
	for (size_t r = 0; r < nruns; r++) {
		unknown += pass.unknown[r];
		out->size += pass.bytes[r];
	}
	dv_progress_expect(unknown, 0); /* only the files that will be read */
	if (unknown) /* no threads started only to find nothing to read */
		run_parallel(repo, abs.ptr, &files, hash_job, NULL);
	if ((rc = first_file_error(&files)) < 0)
		goto done;
	if (manifest) {
		build_manifest(m, &files);
		dv_manifest_serialize(&text, m);
		dv_hash_buffer(&out->hash, text.ptr, text.len);
	} else {
		/* Only the hash is wanted: the lines go straight into the
		 * hasher (walk_dir sorted the files as a manifest sorts). */
		dv_hasher *hs = dv_hasher_new();
		pass.text = dv_calloc(nruns + 1, sizeof(dv_buf));
		dv_parallel_for(nruns, jobs, lines_run, &pass);
		for (size_t r = 0; r < nruns; r++)
			dv_hasher_update(hs, pass.text[r].ptr, pass.text[r].len);
		dv_hasher_final(&out->hash, hs);
		dv_hasher_free(hs);
		/* Every file known to the stat cache: the digest trusts no more
		 * than it did. */
		if (!unknown)
			dv_treecache_put(dv_repo_treecache(repo), &digest, &out->hash);
	}
	out->nfiles = files.n;
done:
	if (pass.text)
		for (size_t r = 0; r < nruns; r++)
			dv_buf_free(&pass.text[r]);
	free(pass.text);
	free(pass.unknown);
	free(pass.bytes);
	walk_list_free(&files);
	dv_manifest_free(&local);
	dv_buf_free(&abs);
	dv_buf_free(&text);
	return rc;
}

/* ---- committing ---------------------------------------------------------- */

/* Is the workspace file at `abs` already the kind of link cache.type asks
 * for, pointing at `obj`? */
static bool is_linked(dv_cache *c, dv_link_type type, const char *abs, const char *obj)
{
	struct stat a, b;
	if (type == DV_LINK_HARDLINK)
		return lstat(abs, &a) == 0 && stat(obj, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	if (type == DV_LINK_SYMLINK) {
		char target[4096], rel[DV_CACHE_OBJ_REL_LEN + 1];
		ssize_t n = readlink(abs, target, sizeof(target) - 1);
		size_t len = strlen(obj);
		if (n < 0)
			return false;
		target[n] = '\0';
		/* Either form (see dv_cache_link_target) names the object. */
		return dv_cache_link_object(c, abs, target, rel) && len > DV_CACHE_OBJ_REL_LEN &&
		       !strcmp(rel, obj + len - DV_CACHE_OBJ_REL_LEN);
	}
	return true; /* reflink or copy: any file with the right bytes will do */
}

/* Put one workspace file into the cache and leave the work tree holding
 * the configured kind of link to it.  `before` is the file's stat when the
 * caller has it (NULL: stat here); `plain`: it is a regular file, not a
 * symlink (then hardlink and symlink modes take the fast path). */
static int commit_file(dv_repo *repo, const char *abs, const dv_hash *known, dv_hash *hash,
		       uint64_t *size, const struct stat *before, bool plain, dv_addjournal *journal, size_t slot)
{
	dv_cache *c = repo->cache;
	dv_buf obj = DV_BUF_INIT;
	bool linked;
	struct stat st;
	int rc;

	if (before && plain) {
		if ((rc = dv_cache_add_by_link(hash, &st, c, abs, before, known, journal, slot)) < 0)
			return rc;
		if (rc == 0) {
			*size = (uint64_t)before->st_size;
			if (st.st_ino || stat(abs, &st) == 0)
				dv_statcache_put(dv_repo_statcache(repo), &st, hash);
			return 0;
		}
	}
	if ((rc = dv_cache_add_file(hash, size, &linked, c, abs, known, before)) < 0)
		goto done;
	if (!linked) {
		dv_cache_object_path(&obj, c, hash, false);
		if (!dv_path_exists(abs) || !is_linked(c, c->types[0], abs, obj.ptr)) {
			unsigned mode = 0644;
			if (stat(abs, &st) == 0)
				mode = mode_of(&st);
			if ((rc = dv_cache_link_out(c, hash, abs, mode, NULL, NULL)) < 0)
				goto done;
		}
	}
	/* A copied-in file is untouched; linking and chmod change ctime, so
	 * then the stat cache wants the stat as it is now. */
	if (before && linked && c->types[0] != DV_LINK_HARDLINK)
		dv_statcache_put(dv_repo_statcache(repo), before, hash);
	else if (stat(abs, &st) == 0)
		dv_statcache_put(dv_repo_statcache(repo), &st, hash);
done:
	dv_buf_free(&obj);
	return rc;
}

static void commit_job(dv_repo *repo, const char *dirabs, walk_file *f, size_t i, dv_addjournal *journal)
{
	dv_buf abs = DV_BUF_INIT;
	struct stat st;
	int rc;

	dv_path_join(&abs, dirabs, f->rel);
	file_stat_expand(&st, &f->st);
	rc = commit_file(repo, abs.ptr, f->known ? &f->hash : NULL, &f->hash, &f->size, &st, f->plain, journal, i);
	if (rc < 0)
		record_file_error(f, rc);
	dv_progress_file_done();
	dv_buf_free(&abs);
}

static void set_entry(dv_stage_file *entry, const dv_hash *h, bool is_dir, uint64_t size,
		      bool has_files, uint64_t files)
{
	entry->has_hash = true;
	entry->hash = *h;
	entry->is_dir = is_dir;
	entry->has_size = true;
	entry->size = size;
	entry->has_files = has_files;
	entry->files = files;
}

int dv_workspace_commit_entry(dv_repo *repo, dv_stage_file *entry, const char *relpath)
{
	dv_buf abs = DV_BUF_INIT, text = DV_BUF_INIT;
	walk_list files = WALK_LIST_INIT;
	dv_manifest m = DV_MANIFEST_INIT;
	dv_addjournal *journal = NULL;
	char **relpaths = NULL;
	struct stat st;
	dv_hash h;
	uint64_t size = 0;
	int rc = 0;

	/* Committing reads the path into the cache (and so onto remotes) and
	 * links it back: neither may pass through a link out of the tree. */
	if ((rc = dv_repo_check_path(repo, relpath, DV_PATH_FINAL)) < 0)
		return rc;
	dv_repo_abspath(&abs, repo, relpath);
	if (stat(abs.ptr, &st) < 0) {
		rc = dv_error_errno(errno == ENOENT ? DV_ENOTFOUND : DV_ERROR, "cannot commit '%s'", relpath);
		goto done;
	}
	if (!entry->cache) {
		/* Not cached (-O, metrics): only the hash is recorded. */
		dv_ws_state ws;
		if ((rc = dv_workspace_hash(&ws, repo, relpath, NULL)) == 0)
			set_entry(entry, &ws.hash, ws.is_dir, ws.size, ws.is_dir, ws.nfiles);
		goto done;
	}
	if (!S_ISDIR(st.st_mode)) {
		struct stat lst;
		dv_hash known;
		bool have = dv_statcache_lookup(dv_repo_statcache(repo), &st, &known);
		bool plain = lstat(abs.ptr, &lst) == 0 && S_ISREG(lst.st_mode);
		dv_progress_expect(1, 0);
		if ((rc = commit_file(repo, abs.ptr, have ? &known : NULL, &h, &size, &st, plain, NULL, 0)) == 0)
			set_entry(entry, &h, false, size, false, 0);
		dv_progress_file_done();
		goto done;
	}
	if ((rc = walk_dir(&files, repo, abs.ptr, "")) < 0)
		goto done;
	for (size_t i = 0; i < files.n; i++) {
		walk_file *f = files.v[i];
		struct stat fst;
		file_stat_expand(&fst, &f->st);
		f->known = dv_statcache_lookup(dv_repo_statcache(repo), &fst, &f->hash);
		size += f->st.size;
	}
	dv_progress_expect(files.n, 0);
	/* With symlinks, each file is moved into the cache and linked back,
	 * its path journaled first (addjournal.h); without a journal, the
	 * slower link, symlink and rename (cache.c). */
	if (repo->cache->types[0] == DV_LINK_SYMLINK && files.n) {
		relpaths = dv_calloc(files.n, sizeof(char *));
		for (size_t i = 0; i < files.n; i++)
			relpaths[i] = dv_asprintf("%s/%s", relpath, files.v[i]->rel);
		if (dv_addjournal_open(&journal, repo->dvdir, (const char *const *)relpaths, files.n) < 0)
			dv_error_clear();
	}
	run_parallel(repo, abs.ptr, &files, commit_job, journal);
	dv_addjournal_close(journal);
	if ((rc = first_file_error(&files)) < 0)
		goto done;
	build_manifest(&m, &files);
	dv_manifest_serialize(&text, &m);
	if ((rc = dv_cache_add_buffer(&h, repo->cache, text.ptr, text.len, true)) < 0)
		goto done;
	set_entry(entry, &h, true, size, true, files.n);
done:
	for (size_t i = 0; relpaths && i < files.n; i++)
		free(relpaths[i]);
	free(relpaths);
	walk_list_free(&files);
	dv_manifest_free(&m);
	dv_buf_free(&abs);
	dv_buf_free(&text);
	return rc;
}

/* ---- comparing ------------------------------------------------------------ */

int dv_workspace_compare(dv_repo *repo, const dv_stage_file *entry, const char *relpath,
			 dv_ws_state *now)
{
	dv_ws_state local;
	dv_ws_state *ws = now ? now : &local;
	int rc;

	if ((rc = dv_workspace_hash(ws, repo, relpath, NULL)) < 0)
		return rc;
	return dv_workspace_compare_state(entry, ws);
}

int dv_workspace_compare_state(const dv_stage_file *entry, const dv_ws_state *ws)
{
	if (!entry->has_hash)
		return ws->exists ? DV_WS_NEW : DV_WS_DELETED;
	if (!ws->exists)
		return DV_WS_DELETED;
	if (ws->is_dir != entry->is_dir || !dv_hash_equal(&ws->hash, &entry->hash))
		return DV_WS_MODIFIED;
	return DV_WS_SAME;
}

/* ---- checking out ------------------------------------------------------------ */

/* `message` (NULL: the last error) explains FAILED and MISSING. */
static void report_add_msg(dv_vec *report, const char *path, dv_checkout_result result,
			   const char *message)
{
	dv_checkout_item *it = dv_vec_push(report);
	it->path = dv_strdup(path);
	it->result = result;
	if (result == DV_CO_FAILED || result == DV_CO_MISSING)
		it->message = dv_strdup(message ? message : dv_error_last());
}

static void report_add(dv_vec *report, const char *path, dv_checkout_result result)
{
	report_add_msg(report, path, result, NULL);
}

void dv_checkout_report_free(dv_vec *report)
{
	for (size_t i = 0; i < report->n; i++) {
		dv_checkout_item *it = dv_vec_at(report, dv_checkout_item, i);
		free(it->path);
		free(it->message);
	}
	dv_vec_free(report);
}

/* Check an object's bytes before they reach the work tree; the stat cache
 * makes this one read per object, ever. */
/* `obj_st`: the object's stat (st_ino 0 on failure). */
static int verify_object(dv_repo *repo, const dv_hash *h, const char *relpath, struct stat *obj_st)
{
	dv_buf obj = DV_BUF_INIT;
	dv_hash got;
	int rc;

	dv_cache_object_path(&obj, repo->cache, h, false);
	rc = dv_statcache_hash_file(&got, dv_repo_statcache(repo), obj.ptr, obj_st, NULL);
	if (rc < 0)
		obj_st->st_ino = 0;
	if (rc == DV_ENOTFOUND) {
		char text[64];
		dv_hash_format(text, sizeof(text), h, false);
		rc = dv_error(DV_ENOTFOUND, "object '%s' for '%s' is not in the cache: run 'dv pull' (or 'dv fetch')",
			      text, relpath);
	} else if (rc == 0 && !dv_hash_equal(&got, h)) {
		rc = dv_cache_corrupt(repo->cache, h, false, relpath);
	}
	dv_buf_free(&obj);
	return rc;
}

/* A cut-off copy is what a writer killed halfway leaves (older dv wrote
 * absent files in place): never a user's edit to keep or commit. */
bool dv_workspace_is_cut_copy(dv_repo *repo, const dv_hash *cur, uint64_t size, const dv_hash *want)
{
	dv_buf obj = DV_BUF_INIT;
	struct stat st;
	dv_hash prefix;
	bool cut = false;

	dv_cache_object_path(&obj, repo->cache, want, false);
	if (stat(obj.ptr, &st) == 0 && (uint64_t)st.st_size > size)
		cut = dv_hash_file_prefix(&prefix, obj.ptr, size) == 0 && dv_hash_equal(&prefix, cur);
	dv_buf_free(&obj);
	return cut;
}

static int cut_copy_error(const char *relpath, uint64_t size, uint64_t whole)
{
	return dv_error(DV_ECHANGED, "'%s' holds only the first %llu of the %llu bytes of its recorded version, as an "
			"interrupted checkout leaves it: run 'dv checkout %s' to restore it, or add -f to record it as it is",
			relpath, (unsigned long long)size, (unsigned long long)whole, relpath);
}

int dv_workspace_check_not_cut(dv_repo *repo, const dv_stage_file *entry, const char *relpath)
{
	dv_manifest now = DV_MANIFEST_INIT, was = DV_MANIFEST_INIT;
	dv_buf text = DV_BUF_INIT, filerel = DV_BUF_INIT;
	dv_ws_state ws;
	int rc;

	if (!entry->has_hash || !entry->cache)
		return 0;
	if ((rc = dv_workspace_hash(&ws, repo, relpath, entry->is_dir ? &now : NULL)) < 0 || !ws.exists ||
	    ws.is_dir != entry->is_dir || dv_hash_equal(&ws.hash, &entry->hash))
		goto done;
	if (!entry->is_dir) {
		if (entry->has_size && ws.size < entry->size && dv_workspace_is_cut_copy(repo, &ws.hash, ws.size, &entry->hash))
			rc = cut_copy_error(relpath, ws.size, entry->size);
		goto done;
	}
	/* A directory: its files that shrank, against the recorded manifest
	 * (when the cache has it; without it nothing can be compared). */
	if (dv_cache_read(&text, repo->cache, &entry->hash, true) < 0 ||
	    dv_manifest_parse(&was, text.ptr, text.len, relpath) < 0)
		goto done;
	for (size_t i = 0; i < now.entries.n && rc == 0; i++) {
		const dv_manifest_entry *e = dv_vec_at(&now.entries, dv_manifest_entry, i);
		const dv_manifest_entry *old = dv_manifest_find(&was, e->path);
		if (old && e->size < old->size && dv_workspace_is_cut_copy(repo, &e->hash, e->size, &old->hash)) {
			dv_path_join(&filerel, relpath, e->path);
			rc = cut_copy_error(filerel.ptr, e->size, old->size);
		}
	}
done:
	dv_manifest_free(&now);
	dv_manifest_free(&was);
	dv_buf_free(&text);
	dv_buf_free(&filerel);
	return rc;
}

/* What checking out one file would do, decided before anything changes. */
typedef enum {
	PLAN_NOTHING,
	PLAN_CREATE, /* nothing there: write in place */
	PLAN_WRITE,  /* replace what is there */
	PLAN_RELINK,
	PLAN_KEEP,
} file_plan;

static bool plan_writes(file_plan p)
{
	return p == PLAN_CREATE || p == PLAN_WRITE || p == PLAN_RELINK;
}

static int plan_file(file_plan *plan, dv_repo *repo, const dv_hash *want, const char *abs,
		     const dv_checkout_opts *opts)
{
	struct stat st;
	dv_hash cur;
	int rc;

	if (lstat(abs, &st) < 0) {
		*plan = errno == ENOENT ? PLAN_CREATE : PLAN_WRITE;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		*plan = opts->force ? PLAN_WRITE : PLAN_KEEP;
		return 0;
	}
	/* A regular file's lstat is its stat: no second one to hash it. */
	rc = S_ISREG(st.st_mode) ? dv_statcache_hash_stat(&cur, dv_repo_statcache(repo), abs, &st, NULL)
				 : dv_statcache_hash_file(&cur, dv_repo_statcache(repo), abs, &st, NULL);
	if (rc == DV_ENOTFOUND) { /* dangling symlink */
		*plan = PLAN_WRITE;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (dv_hash_equal(&cur, want)) {
		dv_buf obj = DV_BUF_INIT;
		dv_cache_object_path(&obj, repo->cache, want, false);
		*plan = opts->relink || !is_linked(repo->cache, repo->cache->types[0], abs, obj.ptr) ? PLAN_RELINK : PLAN_NOTHING;
		/* A copy with the right bytes is fine unless --relink asks; so
		 * is an executable's copy, which is all links leave for it. */
		if (!opts->relink && ((repo->cache->types[0] != DV_LINK_HARDLINK &&
				       repo->cache->types[0] != DV_LINK_SYMLINK) ||
				      (S_ISREG(st.st_mode) && (st.st_mode & 0111))))
			*plan = PLAN_NOTHING;
		dv_buf_free(&obj);
		return 0;
	}
	/* Different bytes: replace them only if nothing is lost.  A cut-off
	 * copy of the wanted object holds nothing of the user's. */
	*plan = opts->force || dv_cache_has(repo->cache, &cur, false) ||
			dv_workspace_is_cut_copy(repo, &cur, (uint64_t)st.st_size, want)
		? PLAN_WRITE
		: PLAN_KEEP;
	return 0;
}

/* `size`: the object's, from verify_object.  What checkout makes goes into
 * the stat cache stamped at save (dv_statcache_put_made), so the next
 * status does not read a freshly pulled dataset again, yet a rewrite right
 * after the checkout is still seen. */
static int write_file(dv_repo *repo, const dv_hash *h, const char *abs, unsigned mode,
		      file_plan plan, const struct stat *obj_st)
{
	struct stat st;
	int rc;

	if (plan == PLAN_CREATE) {
		rc = dv_cache_link_new(repo->cache, h, abs, mode, obj_st, &st);
	} else {
		if (lstat(abs, &st) == 0 && S_ISDIR(st.st_mode) && (rc = dv_remove_tree(abs)) < 0)
			return rc;
		rc = dv_cache_link_out(repo->cache, h, abs, mode, NULL, &st);
	}
	if (rc == 0 && st.st_ino)
		dv_statcache_put_made(dv_repo_statcache(repo), &st, h);
	return rc;
}

static int checkout_file(dv_repo *repo, const dv_hash *h, const char *relpath,
			 const dv_checkout_opts *opts, dv_vec *report)
{
	dv_buf abs = DV_BUF_INIT;
	file_plan plan;
	struct stat obj_st;
	int rc;

	dv_repo_abspath(&abs, repo, relpath);
	if ((rc = plan_file(&plan, repo, h, abs.ptr, opts)) < 0)
		goto fail;
	if (plan == PLAN_NOTHING)
		goto done;
	if (plan == PLAN_KEEP) {
		report_add(report, relpath, DV_CO_KEPT);
		goto done;
	}
	dv_progress_expect(1, 0);
	rc = verify_object(repo, h, relpath, &obj_st);
	if (rc == 0)
		rc = write_file(repo, h, abs.ptr, 0644, plan, &obj_st);
	dv_progress_file_done();
	if (rc < 0)
		goto fail;
	report_add(report, relpath, plan == PLAN_RELINK ? DV_CO_RELINKED : DV_CO_RESTORED);
	goto done;
fail:
	report_add(report, relpath, rc == DV_ENOTFOUND ? DV_CO_MISSING : DV_CO_FAILED);
done:
	dv_buf_free(&abs);
	return rc;
}

typedef struct {
	const dv_manifest_entry *me;
	file_plan plan;
	file_stat obj; /* the object's stat, once verified */
	int rc;
	char *error;
} dir_item;

typedef struct {
	dv_repo *repo;
	const char *abs; /* the directory */
	const char *relpath;
	bool existed; /* the directory was there before this checkout */
	const dv_checkout_opts *opts;
	dir_item *items;
} dir_ctx;

static void item_fail(dir_item *it, int rc)
{
	it->rc = rc;
	it->error = dv_strdup(dv_error_last());
}

/* Decide what to do with one file, and verify the object it needs. */
static bool items_same_dir(void *arg, size_t i)
{
	dir_ctx *ctx = arg;
	return same_dir(ctx->items[i].me->path, ctx->items[i - 1].me->path);
}

static void plan_item(void *arg, size_t i)
{
	dir_ctx *ctx = arg;
	dir_item *it = &ctx->items[i];
	dv_buf fileabs = DV_BUF_INIT, filerel = DV_BUF_INIT;
	int rc;

	dv_path_join(&fileabs, ctx->abs, it->me->path);
	/* Into a directory that was not there, every file is new. */
	if (!ctx->existed) {
		it->plan = PLAN_CREATE;
		rc = 0;
	} else {
		rc = plan_file(&it->plan, ctx->repo, &it->me->hash, fileabs.ptr, ctx->opts);
	}
	if (rc == 0 && plan_writes(it->plan)) {
		dv_path_join(&filerel, ctx->relpath, it->me->path);
		struct stat obj_st;
		rc = verify_object(ctx->repo, &it->me->hash, filerel.ptr, &obj_st);
		file_stat_keep(&it->obj, &obj_st);
	}
	if (rc < 0)
		item_fail(it, rc);
	if (rc < 0 || !plan_writes(it->plan))
		dv_progress_file_done(); /* nothing to write: checked is done */
	dv_buf_free(&fileabs);
	dv_buf_free(&filerel);
}

static void write_item(void *arg, size_t i)
{
	dir_ctx *ctx = arg;
	dir_item *it = &ctx->items[i];
	dv_buf fileabs = DV_BUF_INIT;
	struct stat obj_st;
	int rc;

	if (!plan_writes(it->plan))
		return;
	dv_path_join(&fileabs, ctx->abs, it->me->path);
	file_stat_expand(&obj_st, &it->obj);
	if ((rc = write_file(ctx->repo, &it->me->hash, fileabs.ptr, it->me->mode, it->plan, &obj_st)) < 0)
		item_fail(it, rc);
	dv_progress_file_done();
	dv_buf_free(&fileabs);
}

/* Report the items in manifest order; the first failure becomes the
 * error returned.  `planning`: nothing was written yet. */
static int report_items(dv_vec *report, const char *relpath, dir_item *items, size_t n, bool planning)
{
	dv_buf filerel = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		dir_item *it = &items[i];
		dv_checkout_result status;
		if (it->rc < 0) {
			status = it->rc == DV_ENOTFOUND ? DV_CO_MISSING : DV_CO_FAILED;
			if (rc == 0)
				rc = dv_error(it->rc, "%s", it->error ? it->error : "failed");
		} else if (planning) {
			continue;
		} else if (it->plan == PLAN_KEEP) {
			status = DV_CO_KEPT;
		} else if (it->plan == PLAN_NOTHING) {
			continue;
		} else {
			status = it->plan == PLAN_RELINK ? DV_CO_RELINKED : DV_CO_RESTORED;
		}
		dv_path_join(&filerel, relpath, it->me->path);
		report_add_msg(report, filerel.ptr, status, it->error ? it->error : "failed");
	}
	dv_buf_free(&filerel);
	return rc;
}

/* The subdirectories an existing tracked directory holds must be real
 * ones: a symlink planted there (say `sub -> /elsewhere` committed to git
 * inside the ignored directory) would redirect the manifest's files. Each
 * distinct directory of the (sorted) manifest is looked at once. */
static int check_manifest_dirs(const char *abs, const char *relpath, const dv_manifest *m)
{
	dv_buf seen = DV_BUF_INIT, path = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < m->entries.n && rc == 0; i++) {
		const char *p = dv_vec_at(&m->entries, dv_manifest_entry, i)->path;
		for (const char *slash = strchr(p, '/'); slash && rc == 0; slash = strchr(slash + 1, '/')) {
			size_t n = (size_t)(slash - p);
			struct stat st;
			/* Prefixes already checked for an earlier entry. */
			if (seen.len >= n && !strncmp(seen.ptr, p, n) && (seen.len == n || seen.ptr[n] == '/'))
				continue;
			dv_buf_set(&path, abs);
			dv_buf_putc(&path, '/');
			dv_buf_add(&path, p, n);
			if (lstat(path.ptr, &st) == 0 && S_ISLNK(st.st_mode))
				rc = dv_error(DV_ERROR, "'%s/%.*s' is a symlink where '%s' holds a directory: dv does not "
					      "write through it (remove the link, then rerun)", relpath, (int)n, p, relpath);
		}
		dv_buf_set(&seen, p);
		if (strrchr(seen.ptr, '/'))
			dv_buf_truncate(&seen, (size_t)(strrchr(seen.ptr, '/') - seen.ptr));
		else
			dv_buf_reset(&seen);
	}
	dv_buf_free(&seen);
	dv_buf_free(&path);
	return rc;
}

static int checkout_dir(dv_repo *repo, const dv_stage_file *entry, const char *relpath,
			const dv_checkout_opts *opts, dv_vec *report)
{
	dv_buf text = DV_BUF_INIT, abs = DV_BUF_INIT, fileabs = DV_BUF_INIT, filerel = DV_BUF_INIT;
	dv_manifest m = DV_MANIFEST_INIT;
	walk_list present = WALK_LIST_INIT;
	dir_item *items = NULL;
	dir_ctx ctx;
	struct stat st;
	bool there, existed;
	int rc;

	if ((rc = dv_cache_read(&text, repo->cache, &entry->hash, true)) < 0) {
		report_add(report, relpath, rc == DV_ENOTFOUND ? DV_CO_MISSING : DV_CO_FAILED);
		goto done;
	}
	if ((rc = dv_manifest_parse(&m, text.ptr, text.len, relpath)) < 0) {
		report_add(report, relpath, DV_CO_FAILED);
		goto done;
	}
	dv_repo_abspath(&abs, repo, relpath);
	there = lstat(abs.ptr, &st) == 0;
	existed = there && S_ISDIR(st.st_mode);
	if (there && !existed) {
		/* A file where the directory belongs. */
		dv_hash cur;
		if (!opts->force && (dv_statcache_hash_file(&cur, dv_repo_statcache(repo), abs.ptr, NULL, NULL) < 0 ||
				     !dv_cache_has(repo->cache, &cur, false))) {
			report_add(report, relpath, DV_CO_KEPT);
			goto done;
		}
		if ((rc = dv_remove_tree(abs.ptr)) < 0)
			goto done;
	}

	if (existed && (rc = check_manifest_dirs(abs.ptr, relpath, &m)) < 0) {
		report_add_msg(report, relpath, DV_CO_FAILED, dv_error_last());
		goto done;
	}
	/* Plan and verify everything first: a missing or corrupt object must
	 * leave the work tree untouched.  Both passes run on every core: the
	 * cost of a checkout is the kernel's per-file work. */
	items = dv_calloc(m.entries.n ? m.entries.n : 1, sizeof(*items));
	for (size_t i = 0; i < m.entries.n; i++)
		items[i].me = dv_vec_at(&m.entries, dv_manifest_entry, i);
	ctx = (dir_ctx){ repo, abs.ptr, relpath, existed, opts, items };
	/* The bar counts every listed file: checked and unchanged, or written */
	dv_progress_expect(m.entries.n, 0);
	dv_parallel_for(m.entries.n, m.entries.n < 64 ? 1 : 0, plan_item, &ctx);
	if ((rc = report_items(report, relpath, items, m.entries.n, true)) < 0)
		goto done;
	dv_parallel_for_runs(m.entries.n, m.entries.n < 64 ? 1 : 0, items_same_dir, write_item, &ctx);
	if ((rc = report_items(report, relpath, items, m.entries.n, false)) < 0)
		goto done;
	/* Files the manifest does not list: remove them when their bytes are
	 * safe in the cache (or with -f), otherwise keep and report them.  A
	 * directory this checkout created holds none. */
	if (existed && (rc = walk_dir(&present, repo, abs.ptr, "")) == 0) {
		for (size_t i = 0; i < present.n; i++) {
			walk_file *f = present.v[i];
			dv_hash cur;
			if (dv_manifest_find(&m, f->rel))
				continue;
			dv_path_join(&fileabs, abs.ptr, f->rel);
			dv_path_join(&filerel, relpath, f->rel);
			if (!opts->force &&
			    (dv_statcache_hash_file(&cur, dv_repo_statcache(repo), fileabs.ptr, NULL, NULL) < 0 ||
			     !dv_cache_has(repo->cache, &cur, false))) {
				report_add(report, filerel.ptr, DV_CO_KEPT);
				continue;
			}
			if (unlink(fileabs.ptr) == 0)
				report_add(report, filerel.ptr, DV_CO_RESTORED);
		}
	}
	if (m.entries.n == 0 && !dv_is_dir(abs.ptr))
		rc = dv_mkdir_p(abs.ptr, 0777);
done:
	for (size_t i = 0; items && i < m.entries.n; i++)
		free(items[i].error);
	free(items);
	walk_list_free(&present);
	dv_manifest_free(&m);
	dv_buf_free(&text);
	dv_buf_free(&abs);
	dv_buf_free(&fileabs);
	dv_buf_free(&filerel);
	return rc;
}

int dv_workspace_checkout_entry(dv_repo *repo, const dv_stage_file *entry, const char *relpath,
				const dv_checkout_opts *opts, dv_vec *report)
{
	int rc;

	if (!entry->has_hash)
		return 0;
	/* A .stage file comes from whoever wrote the repository: its path
	 * must not lead the write out of the work tree or into .git. */
	if ((rc = dv_repo_check_path(repo, relpath, 0)) < 0) {
		report_add_msg(report, relpath, DV_CO_FAILED, dv_error_last());
		return rc;
	}
	if (entry->is_dir)
		return checkout_dir(repo, entry, relpath, opts, report);
	return checkout_file(repo, &entry->hash, relpath, opts, report);
}

void dv_workspace_checkout_stages(dv_repo *repo, const dv_vec *stages, const dv_checkout_opts *opts,
				  dv_vec *report)
{
	for (size_t i = 0; i < stages->n; i++) {
		dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n; j++) {
			dv_stage_file *out = dv_stage_out(st, j);
			char *rel;
			if (!out->cache || !out->has_hash)
				continue;
			rel = dv_stage_entry_relpath(st, out->path);
			dv_workspace_checkout_entry(repo, out, rel, opts, report);
			free(rel);
		}
	}
}

/* ---- finding stages ------------------------------------------------------------ */

/* Directory names a .gitignore in `abs` lists as "/name": dv's own entries
 * for tracked data, which never hold .stage files and may be huge. */
static void ignored_names(dv_strvec *out, const char *abs)
{
	dv_buf p = DV_BUF_INIT, text = DV_BUF_INIT;
	dv_path_join(&p, abs, ".gitignore");
	if (dv_read_file(&text, p.ptr) == 0) {
		char *save = NULL;
		for (char *line = strtok_r(text.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (line[0] == '/' && line[1] && !strchr(line + 1, '/') && !strchr(line + 1, '*'))
				dv_strvec_push(out, line + 1);
	}
	dv_error_clear();
	dv_buf_free(&p);
	dv_buf_free(&text);
}

static int find_stages_in(dv_strvec *out, dv_dvignore *ig, const char *abs, const char *rel)
{
	const dv_dvignore_dir *ignore = dv_dvignore_rules_for(ig, rel);
	DIR *d = opendir(abs);
	struct dirent *e;
	dv_buf child = DV_BUF_INIT, childrel = DV_BUF_INIT;
	dv_strvec skip = DV_STRVEC_INIT;
	size_t sl = strlen(DV_STAGE_SUFFIX);

	if (!d)
		return 0; /* unreadable directories hold nothing we can use */
	ignored_names(&skip, abs);
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		size_t n = strlen(name);
		bool is_dir, is_reg;
		if (name[0] == '.' && (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git") ||
				       (!*rel && !strcmp(name, ".dv"))))
			continue;
		dv_buf_reset(&childrel);
		if (*rel)
			dv_buf_printf(&childrel, "%s/", rel);
		dv_buf_puts(&childrel, name);
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			dv_path_join(&child, abs, name);
			if (lstat(child.ptr, &st) < 0)
				continue;
			is_dir = S_ISDIR(st.st_mode);
			is_reg = S_ISREG(st.st_mode);
		} else {
			is_dir = e->d_type == DT_DIR;
			is_reg = e->d_type == DT_REG;
		}
		/* As in DVC, a .dvignore hides stage files too. */
		if (dv_dvignore_dir_ignores(ignore, name, is_dir))
			continue;
		if (is_dir) {
			if (dv_strvec_contains(&skip, name))
				continue;
			dv_path_join(&child, abs, name);
			find_stages_in(out, ig, child.ptr, childrel.ptr);
		} else if (is_reg && n > sl && !strcmp(name + n - sl, DV_STAGE_SUFFIX)) {
			/* Regular files only (dv_stage_load_listed relies on it):
			 * a symlink, FIFO or device named *.stage is not a stage. */
			dv_strvec_push(out, childrel.ptr);
		}
	}
	closedir(d);
	dv_strvec_free(&skip);
	dv_buf_free(&child);
	dv_buf_free(&childrel);
	return 0;
}

int dv_workspace_find_stages(dv_strvec *out, dv_repo *repo)
{
	int rc = find_stages_in(out, dv_repo_dvignore(repo), repo->root, "");
	dv_strvec_sort(out);
	return rc;
}

int dv_workspace_load_stages(dv_vec *out, dv_repo *repo)
{
	return dv_workspace_load_stages_resolving(out, repo, NULL);
}

typedef struct {
	const char *root;
	const dv_strvec *paths;
	dv_stage **stages;
	int *rcs;
	char **errors;
} load_ctx;

static void load_one(void *arg, size_t i)
{
	load_ctx *ctx = arg;
	ctx->rcs[i] = dv_stage_load_listed(&ctx->stages[i], ctx->root, ctx->paths->v[i]);
	if (ctx->rcs[i] < 0)
		ctx->errors[i] = dv_strdup(dv_error_last());
}

int dv_workspace_load_stages_resolving(dv_vec *out, dv_repo *repo, const dv_strvec *resolving)
{
	dv_strvec paths = DV_STRVEC_INIT;
	load_ctx ctx = { repo->root, &paths, NULL, NULL, NULL };
	size_t i;
	int rc;

	out->size = sizeof(dv_stage *);
	if ((rc = dv_workspace_find_stages(&paths, repo)) < 0)
		goto done;
	/* Reading and parsing are each stage's own: spread over the cores
	 * (a repository of 2,000 stages spent half its status here), and
	 * judged in path order after, so the error is the first file's. */
	ctx.stages = dv_calloc(paths.n ? paths.n : 1, sizeof(*ctx.stages));
	ctx.rcs = dv_calloc(paths.n ? paths.n : 1, sizeof(*ctx.rcs));
	ctx.errors = dv_calloc(paths.n ? paths.n : 1, sizeof(*ctx.errors));
	dv_parallel_for(paths.n, paths.n < 64 ? 1 : 0, load_one, &ctx);
	for (i = 0; i < paths.n; i++) {
		rc = ctx.rcs[i];
		if (rc == DV_ECONFLICT && resolving && dv_strvec_contains(resolving, paths.v[i])) {
			rc = 0;
			continue;
		}
		if (rc < 0) {
			dv_error(rc, "%s", ctx.errors[i]);
			break;
		}
		*(dv_stage **)dv_vec_push(out) = ctx.stages[i];
		ctx.stages[i] = NULL;
	}
	for (i = 0; i < paths.n; i++) {
		dv_stage_free(ctx.stages[i]);
		free(ctx.errors[i]);
	}
	if (rc < 0) {
		dv_stages_free(out);
		goto done;
	}
	rc = dv_stages_expand_templates(out); /* foreach/[matrix] stages */
done:
	free(ctx.stages);
	free(ctx.rcs);
	free(ctx.errors);
	dv_strvec_free(&paths);
	return rc;
}

void dv_stages_free(dv_vec *stages)
{
	for (size_t i = 0; i < stages->n; i++)
		dv_stage_free(*dv_vec_at(stages, dv_stage *, i));
	dv_vec_free(stages);
}

dv_stage *dv_workspace_find_owner(const dv_vec *stages, const char *relpath, size_t *out_index)
{
	for (size_t i = 0; i < stages->n; i++) {
		dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n; j++) {
			char *rel = dv_stage_entry_relpath(st, dv_stage_out(st, j)->path);
			bool hit = dv_path_is_within(relpath, rel);
			free(rel);
			if (hit) {
				if (out_index)
					*out_index = j;
				return st;
			}
		}
	}
	return NULL;
}

int dv_workspace_resolve_target(char **stage_path, dv_repo *repo, const char *target)
{
	dv_buf abs = DV_BUF_INIT, cand = DV_BUF_INIT;
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	char *rel = NULL;
	size_t sl = strlen(DV_STAGE_SUFFIX), n;
	int rc;

	*stage_path = NULL;
	if ((rc = dv_repo_relpath(&rel, repo, target)) < 0)
		goto done;
	n = strlen(rel);
	dv_repo_abspath(&abs, repo, rel);
	if (n > sl && !strcmp(rel + n - sl, DV_STAGE_SUFFIX)) {
		if (!dv_path_exists(abs.ptr)) {
			rc = dv_error(DV_ENOTFOUND, "'%s' does not exist", target);
			goto done;
		}
		*stage_path = rel;
		rel = NULL;
		goto done;
	}
	dv_buf_printf(&abs, "%s", DV_STAGE_SUFFIX);
	if (dv_path_exists(abs.ptr)) {
		*stage_path = dv_asprintf("%s%s", rel, DV_STAGE_SUFFIX);
		goto done;
	}
	if ((rc = dv_workspace_load_stages(&stages, repo)) < 0)
		goto done;
	/* A stage name (names are unique in the repository). */
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		if (!strcmp(st->name, target)) {
			*stage_path = dv_strdup(st->path);
			goto done;
		}
	}
	/* A path some stage tracks or produces. */
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n; j++) {
			char *out = dv_stage_entry_relpath(st, dv_stage_out(st, j)->path);
			bool hit = !strcmp(out, rel);
			free(out);
			if (hit) {
				*stage_path = dv_strdup(st->path);
				goto done;
			}
		}
	}
	rc = dv_error(DV_ENOTFOUND, "'%s' is not tracked by dv: no '%s%s', no stage of that name, and no stage outputs it",
		      target, target, DV_STAGE_SUFFIX);
done:
	dv_stages_free(&stages);
	free(rel);
	dv_buf_free(&abs);
	dv_buf_free(&cand);
	return rc;
}

int dv_workspace_load_targets(dv_vec *out, dv_repo *repo, char *const *targets, size_t n)
{
	dv_strvec seen = DV_STRVEC_INIT;
	int rc = 0;

	out->size = sizeof(dv_stage *);
	if (n == 0)
		return dv_workspace_load_stages(out, repo);
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		dv_stage *st = NULL;
		/* Globs, templates and their instances, directories and names
		 * to correct need every stage loaded: targets.c. */
		if (strpbrk(targets[i], "*?[@") ||
		    dv_workspace_resolve_target(&path, repo, targets[i]) < 0) {
			free(path);
			dv_stages_free(out);
			dv_strvec_free(&seen);
			return dv_stages_load_matching(out, repo, targets, n);
		}
		if (dv_strvec_contains(&seen, path)) {
			free(path);
			continue;
		}
		rc = dv_stage_load(&st, repo->root, path);
		dv_strvec_push_take(&seen, path);
		if (rc < 0)
			break;
		if (st->tmpl) {
			dv_stage_free(st);
			dv_stages_free(out);
			dv_strvec_free(&seen);
			return dv_stages_load_matching(out, repo, targets, n);
		}
		*(dv_stage **)dv_vec_push(out) = st;
	}
	if (rc < 0)
		dv_stages_free(out);
	dv_strvec_free(&seen);
	return rc;
}

/* ---- unprotecting -------------------------------------------------------- */

static int unprotect_file(dv_repo *repo, const char *abs)
{
	struct stat lst, st;
	dv_hash h;
	bool had_hash;

	if (lstat(abs, &lst) < 0 || stat(abs, &st) < 0)
		return dv_error_errno(DV_ERROR, "cannot unprotect '%s'", abs);
	had_hash = dv_statcache_lookup(dv_repo_statcache(repo), &st, &h);
	if (S_ISLNK(lst.st_mode) || st.st_nlink > 1) {
		/* A link shares its bytes with the cache: give the file its own. */
		int rc = dv_copy_file(abs, abs, (st.st_mode & 0777) | S_IWUSR);
		if (rc < 0)
			return rc;
	} else if (chmod(abs, (st.st_mode & 07777) | S_IWUSR) < 0) {
		return dv_error_errno(DV_ERROR, "cannot unprotect '%s'", abs);
	}
	if (had_hash && stat(abs, &st) == 0)
		dv_statcache_put(dv_repo_statcache(repo), &st, &h);
	return 0;
}

int dv_workspace_unprotect(dv_repo *repo, const char *relpath)
{
	dv_buf abs = DV_BUF_INIT, file = DV_BUF_INIT;
	walk_list files = WALK_LIST_INIT;
	int rc = 0;

	dv_repo_abspath(&abs, repo, relpath);
	if (!dv_is_dir(abs.ptr)) {
		rc = unprotect_file(repo, abs.ptr);
		goto done;
	}
	if ((rc = walk_dir(&files, repo, abs.ptr, "")) < 0)
		goto done;
	for (size_t i = 0; i < files.n && rc == 0; i++) {
		dv_path_join(&file, abs.ptr, files.v[i]->rel);
		rc = unprotect_file(repo, file.ptr);
	}
done:
	walk_list_free(&files);
	dv_buf_free(&abs);
	dv_buf_free(&file);
	return rc;
}
