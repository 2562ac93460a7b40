/*
 * cache.c - the content-addressed object store and the link types that
 * materialise objects in the work tree.
 *
 * Objects enter under a temp name in their final directory and are renamed
 * into place, so a reader never sees a partial object; they are made
 * read-only because a hardlinked or symlinked workspace file IS the object.
 * Objects are not fsynced one by one (20,000 fsyncs would dominate `dv add`
 * of a directory); they are named by their content and verified through the
 * stat cache before use, so a torn object after a crash is detected, never
 * trusted.
 *
 * Link-mode add (dv_cache_add_by_link), and why it survives kill -9 at any
 * instant.  Per regular file, after the walk's one stat:
 *     open, read (one, for a file under 1 MiB), fchmod 0444, then
 *     hardlink: link(file, obj)
 *     symlink, adding a directory: [journal record], rename(file, obj)
 *         (RENAME_NOREPLACE), symlink(target, file)
 *     symlink, otherwise: link(file, obj), symlink(target, tmp),
 *         rename(tmp, file)
 *     then fstat, close.
 * With link(), the workspace name is never without the bytes: before it
 * the name is the file; between link() and the rename it is the same
 * inode under two names (workspace and cache); the rename swaps in, in one
 * step, a symlink to that inode's cache name.  A crash leaves each file as
 * it was (perhaps read-only), or also in the cache, or done, plus at most
 * a temp symlink ".NAME.tmp-<pid>-<n>" that the next locking command
 * removes (recover.c: its writer is dead).
 * A directory's symlink add moves each file instead, one directory entry
 * fewer (about 6 of 35 us of ext4 work a file here): between the rename
 * and the symlink the work tree lacks the file, whose bytes are in the
 * cache, and the add's journal (addjournal.h) names the path.  Its record
 * is a store into a shared mapping made before the rename, so a killed
 * process (whose page cache stays) leaves it; the next command that takes
 * the lock links every recorded path that is missing while its object is
 * there, before it looks at the work tree.  A full disk that denies the
 * symlink gets the file renamed back (no new inode needed); on the link
 * path, the object name is dropped instead, since the file is made
 * writable again and must not stay an object too.  When the
 * object's name is taken already, the rename refuses and the link path
 * below decides, as for a single file.
 * The rerun of `dv add` finishes: a file still plain is added (when link()
 * finds the name taken by this same inode, there is nothing to redo), a
 * file already a symlink into the cache is taken as the object it names.
 * A name taken by another inode (the same bytes added before, or a
 * corrupt object) is replaced by the file just hashed to it (link to a
 * temp name, rename over): the user's copy is never dropped in favour of
 * an object nobody checked.
 * The object is read-only before it has its name, so no crash leaves a
 * writable object.  The final fstat is needed because link counts and
 * renames move the ctime the stat cache keys on; it also shows (mtime,
 * size) whether the bytes changed after the walk, and then the file is put
 * back and the object name taken back.  Nothing is fsynced, the journal
 * included: this is about a killed process (the page cache survives it),
 * as for every other object (see above).
 * The symlink's target is the short form "../.dv/o/XX/<30 hex>" (see
 * dv_cache_link_target): the alias .dv/o is put in place, by a temp link
 * renamed over, before the first work-tree link that needs it is made, so
 * no crash leaves a link that climbs to a missing alias.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/fs.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/addjournal.h"
#include "dv/bgwrite.h"
#include "dv/cache.h"
#include "dv/progress.h"
#include "dv/error.h"
#include "dv/fs.h"

#define OBJECT_MODE 0444
/* From this size on, a copy into the cache writes on a thread of its own. */
#define BGWRITE_MIN (16u << 20)

static const struct {
	const char *name;
	dv_link_type type;
} link_names[] = {
	{ "reflink", DV_LINK_REFLINK },
	{ "hardlink", DV_LINK_HARDLINK },
	{ "symlink", DV_LINK_SYMLINK },
	{ "copy", DV_LINK_COPY },
};

int dv_cache_parse_types(dv_link_type *types, int *ntypes, const char *spec)
{
	char *copy = dv_strdup(spec), *save = NULL;
	int n = 0, rc = 0;

	for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		size_t i;
		for (i = 0; i < sizeof(link_names) / sizeof(link_names[0]); i++)
			if (!strcmp(tok, link_names[i].name))
				break;
		if (i == sizeof(link_names) / sizeof(link_names[0])) {
			rc = dv_error(DV_ERROR, "invalid cache.type '%s': use a list of reflink, hardlink, symlink, copy", tok);
			goto done;
		}
		if (n < 4)
			types[n++] = link_names[i].type;
	}
	if (n == 0)
		rc = dv_error(DV_ERROR, "invalid cache.type '%s': use a list of reflink, hardlink, symlink, copy", spec);
	*ntypes = n;
done:
	free(copy);
	return rc;
}

int dv_cache_open(dv_cache **out, const char *dir, const char *types)
{
	dv_cache *c = dv_calloc(1, sizeof(*c));
	dv_buf tmp = DV_BUF_INIT;
	int rc;

	c->dir = dv_strdup(dir);
	if ((rc = dv_cache_parse_types(c->types, &c->ntypes, types ? types : "reflink,copy")) < 0) {
		dv_cache_free(c);
		return rc;
	}
	dv_path_join(&tmp, dir, "tmp");
	c->tmpdir = dv_buf_detach(&tmp);
	/* Remembered per process only: a later run may use another disk. */
	*out = c;
	return 0;
}

void dv_cache_free(dv_cache *c)
{
	if (!c)
		return;
	if (c->objects_fd > 0)
		close(c->objects_fd - 1);
	free(c->dir);
	free(c->tmpdir);
	free(c->dvdir);
	free(c);
}

void dv_cache_object_relpath(dv_buf *out, const dv_hash *h, bool is_dir)
{
	char hex[DV_HASH_HEXLEN + 1];
	dv_hash_to_hex(hex, h);
	dv_buf_reset(out);
	dv_buf_printf(out, "files/xxh128/%.2s/%s%s", hex, hex + 2, is_dir ? ".dir" : "");
}

void dv_cache_object_path(dv_buf *out, const dv_cache *c, const dv_hash *h, bool is_dir)
{
	char hex[DV_HASH_HEXLEN + 1];
	dv_hash_to_hex(hex, h);
	dv_buf_reset(out);
	dv_buf_printf(out, "%s/files/xxh128/%.2s/%s%s", c->dir, hex, hex + 2, is_dir ? ".dir" : "");
}

int dv_cache_objects_fd(const dv_cache *c)
{
	dv_cache *lc = (dv_cache *)c; /* a run-time finding, like no_reflink */
	int fd = atomic_load(&lc->objects_fd), expected = 0, mine;
	dv_buf p = DV_BUF_INIT;

	if (fd > 0)
		return fd - 1;
	dv_buf_printf(&p, "%s/files/xxh128", c->dir);
	mine = open(p.ptr, O_PATH | O_DIRECTORY | O_CLOEXEC);
	dv_buf_free(&p);
	if (mine < 0)
		return -1;
	if (atomic_compare_exchange_strong(&lc->objects_fd, &expected, mine + 1))
		return mine;
	close(mine); /* another thread was first */
	return expected - 1;
}

bool dv_cache_has(const dv_cache *c, const dv_hash *h, bool is_dir)
{
	char hex[DV_HASH_HEXLEN + 1], rel[DV_HASH_HEXLEN + 8];
	dv_buf p = DV_BUF_INIT;
	int fd = dv_cache_objects_fd(c);
	bool ok;

	/* Relative to the objects' directory: an up-to-date status or repro
	 * asks this for every out, and the kernel's lookup of the cache's
	 * own path, component by component, was a third of each call. */
	if (fd >= 0) {
		dv_hash_to_hex(hex, h);
		snprintf(rel, sizeof(rel), "%.2s/%s%s", hex, hex + 2, is_dir ? ".dir" : "");
		return faccessat(fd, rel, F_OK, 0) == 0;
	}
	dv_cache_object_path(&p, c, h, is_dir);
	ok = access(p.ptr, F_OK) == 0;
	dv_buf_free(&p);
	return ok;
}

/* ---- the work tree's symlinks to objects --------------------------------- */

#define ALIAS_NAME "o"
#define OBJECTS_SUB "/files/xxh128"

static pthread_mutex_t alias_lock = PTHREAD_MUTEX_INITIALIZER;

/* What <dvdir>/o should read: relative when the cache lives inside .dv
 * (the default), so a moved work tree keeps its links. */
static void alias_want(dv_buf *out, const dv_cache *c)
{
	size_t n = strlen(c->dvdir);
	dv_buf_reset(out);
	if (!strncmp(c->dir, c->dvdir, n) && c->dir[n] == '/' && c->dir[n + 1])
		dv_buf_printf(out, "%s" OBJECTS_SUB, c->dir + n + 1);
	else
		dv_buf_printf(out, "%s" OBJECTS_SUB, c->dir);
}

/* 1 when <dvdir>/o reads `want`; 0 when it is missing or a symlink to
 * elsewhere (ours to replace); -1 when something else is there. */
static int alias_check(const char *alias, const char *want)
{
	char target[4096];
	ssize_t n = readlink(alias, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		return strcmp(target, want) == 0;
	}
	return errno == ENOENT ? 0 : -1;
}

/* The alias in place (made = true: put it there if it is not). */
static bool alias_ready(dv_cache *c, bool make)
{
	dv_buf alias = DV_BUF_INIT, want = DV_BUF_INIT, tmp = DV_BUF_INIT;
	int state = atomic_load(&c->alias_state);

	if (state || !c->dvdir)
		return state > 0;
	pthread_mutex_lock(&alias_lock);
	if ((state = c->alias_state) == 0) {
		int now;
		dv_path_join(&alias, c->dvdir, ALIAS_NAME);
		alias_want(&want, c);
		now = alias_check(alias.ptr, want.ptr);
		if (now == 0 && make) {
			/* A temp link renamed over: a crash leaves the old
			 * alias or the new one, never none. */
			dv_tmpfile_name(&tmp, alias.ptr);
			dv_tmpfile_register(tmp.ptr);
			if (symlink(want.ptr, tmp.ptr) == 0 && rename(tmp.ptr, alias.ptr) == 0)
				now = 1;
			else
				unlink(tmp.ptr);
			dv_tmpfile_unregister(tmp.ptr);
			if (now != 1)
				now = -1;
		}
		/* Only reading: a missing or stray alias stays undecided, for
		 * a later call that makes links to fix. */
		if (now != 0)
			atomic_store(&c->alias_state, state = now > 0 ? 1 : -1);
	}
	pthread_mutex_unlock(&alias_lock);
	dv_buf_free(&alias);
	dv_buf_free(&want);
	dv_buf_free(&tmp);
	return state > 0;
}

/* How many directories `path` lies below the work tree that holds
 * `dvdir`; -1 when it is not inside it. */
static int depth_below_root(const char *dvdir, const char *path)
{
	const char *slash = strrchr(dvdir, '/');
	size_t n = slash ? (size_t)(slash - dvdir) : 0;
	int depth = 0;

	if (!slash || strcmp(slash, "/.dv") || strncmp(path, dvdir, n) || path[n] != '/')
		return -1;
	for (const char *p = path + n + 1; *p; p++)
		if (*p == '/')
			depth++;
	return depth;
}

/* The start of a short-form target for a link `depth` directories below
 * the work tree: "../" per level, then ".dv/o/", into `out`
 * (DV_CACHE_LINK_PREFIX_MAX bytes); its length, or 0 when too deep. */
static size_t short_prefix(int depth, char *out)
{
	static const char tail[] = ".dv/" ALIAS_NAME "/";
	size_t len = 0;

	if ((size_t)depth * 3 + sizeof(tail) > DV_CACHE_LINK_PREFIX_MAX)
		return 0;
	for (int i = 0; i < depth; i++, len += 3)
		memcpy(out + len, "../", 3);
	memcpy(out + len, tail, sizeof(tail));
	return len + sizeof(tail) - 1;
}

void dv_cache_link_target(dv_buf *out, dv_cache *c, const char *dest, const char *obj)
{
	size_t n = strlen(c->dir), sub = strlen(OBJECTS_SUB "/");
	int depth = c->dvdir ? depth_below_root(c->dvdir, dest) : -1;

	char prefix[DV_CACHE_LINK_PREFIX_MAX];
	size_t len;

	dv_buf_reset(out);
	if (depth >= 0 && !strncmp(obj, c->dir, n) && !strncmp(obj + n, OBJECTS_SUB "/", sub) &&
	    strlen(obj + n + sub) == DV_CACHE_OBJ_REL_LEN && (len = short_prefix(depth, prefix)) &&
	    alias_ready(c, true)) {
		dv_buf_add(out, prefix, len);
		dv_buf_puts(out, obj + n + sub);
		return;
	}
	dv_buf_puts(out, obj);
}

/* Lower-case hex digits, by a table: with random digits the range tests'
 * branches were mispredicted half the time, and a symlinked 20,000-file
 * status spent 4 ms of CPU here. */
static const unsigned char is_lower_hex[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
};

bool dv_cache_is_obj_rel(const char *rest)
{
	unsigned bad = 0;

	if (strlen(rest) != DV_CACHE_OBJ_REL_LEN || rest[2] != '/')
		return false;
	for (size_t i = 0; i < DV_CACHE_OBJ_REL_LEN; i++)
		bad |= (unsigned)(i != 2) & !is_lower_hex[(unsigned char)rest[i]];
	return !bad;
}

bool dv_cache_link_object(dv_cache *c, const char *path, const char *target, char *obj_rel)
{
	const char *rest = NULL;
	int depth;

	if (target[0] == '/') {
		size_t n = strlen(c->dir), sub = strlen(OBJECTS_SUB "/");
		if (!strncmp(target, c->dir, n) && !strncmp(target + n, OBJECTS_SUB "/", sub))
			rest = target + n + sub;
	} else if (c->dvdir && (depth = depth_below_root(c->dvdir, path)) >= 0) {
		char prefix[DV_CACHE_LINK_PREFIX_MAX];
		size_t len = short_prefix(depth, prefix);
		if (len && !strncmp(target, prefix, len) && alias_ready(c, false))
			rest = target + len;
	}
	if (!rest || !dv_cache_is_obj_rel(rest))
		return false;
	memcpy(obj_rel, rest, DV_CACHE_OBJ_REL_LEN + 1);
	return true;
}

size_t dv_cache_link_prefix(dv_cache *c, const char *dir, char *out, size_t cap)
{
	dv_buf child = DV_BUF_INIT;
	size_t len;
	int depth;

	/* The depth of a file in `dir`, as dv_cache_link_object counts it. */
	dv_path_join(&child, dir, "x");
	depth = c->dvdir ? depth_below_root(c->dvdir, child.ptr) : -1;
	dv_buf_free(&child);
	if (depth < 0 || cap < DV_CACHE_LINK_PREFIX_MAX || !(len = short_prefix(depth, out)) || !alias_ready(c, false))
		return 0;
	return len;
}

/* Open a temp file in the object's own directory (same file system, so the
 * final rename is atomic). */
static int object_tmp_open(int *fd, dv_buf *tmp, const char *objpath)
{
	int rc = dv_tmpfile_open(fd, tmp, objpath, OBJECT_MODE);
	if (rc == 0)
		return 0;
	if (dv_mkdir_parent(objpath) < 0)
		return DV_ERROR;
	return dv_tmpfile_open(fd, tmp, objpath, OBJECT_MODE);
}

/* Make sure files/xxh128/XX exists (once per prefix per process).  The
 * prefix directory itself is tried first: only the first object of a new
 * cache has to create its parents. */
static int ensure_prefix_dir(dv_cache *c, const dv_hash *h, const char *objpath)
{
	char *dir;
	int rc = 0;

	if (c->prefix_ready[h->bytes[0]])
		return 0;
	dir = dv_path_dirname(objpath);
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		rc = dv_mkdir_p(dir, 0777);
	free(dir);
	if (rc == 0)
		c->prefix_ready[h->bytes[0]] = 1;
	return rc;
}

/*
 * A new object is written to an anonymous O_TMPFILE and linked under its
 * name only when complete: nothing half-written can ever carry an object's
 * name, an interruption leaves no temp file behind, and no rename is paid.
 * Where O_TMPFILE or /proc is unavailable a named temp file is used.
 */
typedef struct {
	int fd;
	dv_buf tmp; /* named fallback only */
} new_object;

static int new_object_open(new_object *no, dv_cache *c)
{
	dv_buf_init(&no->tmp);
	if (!c->no_tmpfile) {
		no->fd = open(c->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, OBJECT_MODE);
		if (no->fd >= 0)
			return 0;
		c->no_tmpfile = 1;
	}
	return dv_cache_tmp_open(&no->fd, &no->tmp, c);
}

static void new_object_abort(new_object *no)
{
	if (no->tmp.len)
		dv_tmpfile_abort(no->fd, no->tmp.ptr);
	else
		close(no->fd);
	dv_buf_free(&no->tmp);
}

/* Give the object its name; an object already there is the same bytes. */
static int new_object_publish(new_object *no, dv_cache *c, const dv_hash *h, bool is_dir,
			      struct stat *st_out)
{
	dv_buf obj = DV_BUF_INIT;
	int rc = 0;

	dv_cache_object_path(&obj, c, h, is_dir);
	if ((rc = ensure_prefix_dir(c, h, obj.ptr)) < 0)
		goto fail;
	if (no->tmp.len) {
		if (fchmod(no->fd, OBJECT_MODE) < 0 || access(obj.ptr, F_OK) == 0) {
			new_object_abort(no);
			goto done;
		}
		rc = dv_tmpfile_commit_nosync(no->fd, no->tmp.ptr, obj.ptr);
		dv_buf_free(&no->tmp);
		if (rc == 0 && st_out && stat(obj.ptr, st_out) < 0)
			memset(st_out, 0, sizeof(*st_out));
		goto done;
	} else {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", no->fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, obj.ptr, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST) {
			rc = dv_error_errno(DV_ERROR, "cannot store '%s'", obj.ptr);
			goto fail;
		}
		/* The link changed ctime: the stat cache wants it as it is now. */
		if (st_out && fstat(no->fd, st_out) < 0)
			memset(st_out, 0, sizeof(*st_out));
		close(no->fd);
		goto done;
	}
fail:
	new_object_abort(no);
done:
	dv_buf_free(&obj);
	return rc;
}

/* A small file is read whole, so its name is known before anything is
 * written: an object that exists costs no write at all, and a new one is
 * created beside its final name and renamed within one directory, which
 * on ext4 is several times cheaper than an O_TMPFILE per object. */
static int add_small(dv_hash *out, uint64_t *size_out, dv_cache *c, int in, const char *path,
		     uint64_t expect)
{
	char *buf = dv_io_buffer();
	dv_buf obj = DV_BUF_INIT, tmp = DV_BUF_INIT;
	size_t len = 0;
	int fd, rc = 0;

	for (;;) {
		ssize_t n = read(in, buf + len, DV_IO_CHUNK + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return dv_error_errno(DV_ERROR, "cannot read '%s'", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		dv_progress_io((uint64_t)n);
		if (len > DV_IO_CHUNK) /* grew while we read: let the caller stream it */
			return 1;
		/* A regular file reads short only at its end: no second read. */
		if (len == expect)
			break;
	}
	dv_hash_buffer(out, buf, len);
	*size_out = len;
	dv_cache_object_path(&obj, c, out, false);
	if (access(obj.ptr, F_OK) == 0)
		goto done;
	if ((rc = ensure_prefix_dir(c, out, obj.ptr)) < 0 ||
	    (rc = dv_tmpfile_open(&fd, &tmp, obj.ptr, OBJECT_MODE)) < 0)
		goto done;
	if (dv_write_all(fd, buf, len) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot store '%s' in the cache '%s'", path, c->dir);
		dv_tmpfile_abort(fd, tmp.ptr);
		goto done;
	}
	rc = dv_tmpfile_commit_nosync(fd, tmp.ptr, obj.ptr);
done:
	dv_buf_free(&obj);
	dv_buf_free(&tmp);
	return rc;
}

/* Hash `path` while copying it into a new object, in one pass. */
static int add_by_copy(dv_hash *out, uint64_t *size_out, dv_cache *c, const char *path,
		       uint64_t expect_size)
{
	char *buf = dv_io_buffer();
	dv_hasher *hs = NULL;
	dv_bgwriter *bw = NULL;
	new_object no;
	uint64_t total = 0;
	int in, rc = 0;

	in = dv_open_read(path);
	if (in < 0)
		return dv_error_errno(DV_ERROR, "cannot open '%s'", path);
	dv_progress_expect(0, expect_size);
	if (expect_size <= DV_IO_CHUNK) {
		rc = add_small(out, size_out, c, in, path, expect_size);
		if (rc <= 0) {
			close(in);
			return rc;
		}
		lseek(in, 0, SEEK_SET);
		rc = 0;
	}
	if ((rc = new_object_open(&no, c)) < 0) {
		close(in);
		return dv_error_wrap(rc, "cannot store '%s' in the cache '%s'", path, c->dir);
	}
	hs = dv_hasher_new();
	if (expect_size > DV_IO_CHUNK)
		posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	/* Big files: writing chunk i overlaps reading and hashing chunk i+1. */
	if (expect_size >= BGWRITE_MIN)
		bw = dv_bgwriter_new(no.fd);
	for (;;) {
		char *b = bw ? dv_bgwriter_buffer(bw) : buf;
		ssize_t n = read(in, b, DV_IO_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = dv_error_errno(DV_ERROR, "cannot read '%s'", path);
			goto fail;
		}
		if (n == 0)
			break;
		dv_hasher_update(hs, b, (size_t)n);
		dv_progress_io((uint64_t)n);
		if ((bw ? dv_bgwriter_submit(bw, b, (size_t)n) : dv_write_all(no.fd, b, (size_t)n)) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot store '%s' in the cache '%s'", path, c->dir);
			goto fail;
		}
		total += (uint64_t)n;
	}
	if (bw) {
		int wrc = dv_bgwriter_finish(bw);
		bw = NULL;
		if (wrc < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot store '%s' in the cache '%s'", path, c->dir);
			goto fail;
		}
	}
	dv_hasher_final(out, hs);
	rc = new_object_publish(&no, c, out, false, NULL);
	*size_out = total;
	goto done;
fail:
	if (bw)
		dv_bgwriter_finish(bw);
	new_object_abort(&no);
done:
	dv_hasher_free(hs);
	close(in);
	return rc;
}

static int try_reflink(int dst, int src)
{
	return ioctl(dst, FICLONE, src);
}

/* Whether FICLONE works in this cache, learnt once per process before the
 * first file is hashed: otherwise, where it does not, that file is read
 * twice, once to name its object and again to copy it when the clone
 * fails (a 10 GiB add read 20 GiB).  The probe clones the file into an
 * unnamed temporary, which costs no data even where it works. */
static void probe_reflink(dv_cache *c, const char *path)
{
	int in, fd;

	if (c->no_reflink || atomic_exchange(&c->reflink_probed, 1))
		return;
	if ((in = dv_open_read(path)) < 0)
		return;
	fd = open(c->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, OBJECT_MODE);
	if (fd >= 0) {
		if (try_reflink(fd, in) < 0)
			c->no_reflink = 1;
		close(fd);
	}
	close(in);
}

int dv_cache_add_file(dv_hash *out, uint64_t *size_out, bool *linked, dv_cache *c,
		      const char *path, const dv_hash *known, const struct stat *given)
{
	dv_buf obj = DV_BUF_INIT, tmp = DV_BUF_INIT;
	struct stat st, lst;
	dv_link_type first = c->types[0];
	int rc = 0;

	*linked = false;
	if (given)
		st = *given;
	else if (stat(path, &st) < 0)
		return dv_error_errno(errno == ENOENT ? DV_ENOTFOUND : DV_ERROR, "cannot add '%s'", path);
	if (!S_ISREG(st.st_mode))
		return dv_error(DV_ERROR, "cannot add '%s': not a regular file", path);
	*size_out = (uint64_t)st.st_size;
	if (first == DV_LINK_REFLINK && !known)
		probe_reflink(c, path);
	for (int i = 0; i < c->ntypes && first == DV_LINK_REFLINK && c->no_reflink; i++)
		first = c->types[i];
	if (known && dv_cache_has(c, known, false)) {
		*out = *known;
		*linked = first != DV_LINK_HARDLINK && first != DV_LINK_SYMLINK;
		return 0;
	}
	if (first == DV_LINK_COPY || (first == DV_LINK_REFLINK && c->no_reflink)) {
		*linked = true;
		return add_by_copy(out, size_out, c, path, (uint64_t)st.st_size);
	}

	/* Every other type needs the hash before it can name the object. */
	if (known)
		*out = *known;
	else if ((rc = dv_hash_file(out, size_out, path)) < 0)
		goto done;
	dv_cache_object_path(&obj, c, out, false);
	if (access(obj.ptr, F_OK) == 0) {
		*linked = first != DV_LINK_HARDLINK && first != DV_LINK_SYMLINK;
		goto done;
	}
	if ((rc = ensure_prefix_dir(c, out, obj.ptr)) < 0)
		goto done;

	for (int i = 0; i < c->ntypes; i++) {
		int fd, in;
		switch (c->types[i]) {
		case DV_LINK_REFLINK:
			if (c->no_reflink)
				break;
			if ((rc = object_tmp_open(&fd, &tmp, obj.ptr)) < 0)
				goto done;
			in = dv_open_read(path);
			if (in >= 0 && try_reflink(fd, in) == 0) {
				close(in);
				rc = dv_tmpfile_commit_nosync(fd, tmp.ptr, obj.ptr);
				*linked = true;
				goto done;
			}
			if (in >= 0)
				close(in);
			dv_tmpfile_abort(fd, tmp.ptr);
			c->no_reflink = 1;
			break;
		case DV_LINK_HARDLINK:
			/* Link the workspace file itself in: no bytes move.  Not
			 * for executables: the object's 0444 would be theirs. */
			if (st.st_mode & 0111)
				break;
			if ((rc = object_tmp_open(&fd, &tmp, obj.ptr)) < 0)
				goto done;
			close(fd);
			unlink(tmp.ptr);
			if (link(path, tmp.ptr) == 0) {
				chmod(tmp.ptr, OBJECT_MODE);
				if (rename(tmp.ptr, obj.ptr) == 0) {
					dv_tmpfile_unregister(tmp.ptr);
					*linked = true;
					goto done;
				}
			}
			unlink(tmp.ptr);
			dv_tmpfile_unregister(tmp.ptr);
			break;
		case DV_LINK_SYMLINK:
			/* The workspace file will become a symlink: move it in;
			 * a symlink itself never goes in (it would be the object),
			 * nor an executable (the object's 0444 would be its mode). */
			if (!(st.st_mode & 0111) && lstat(path, &lst) == 0 && S_ISREG(lst.st_mode) &&
			    rename(path, obj.ptr) == 0) {
				chmod(obj.ptr, OBJECT_MODE);
				goto done;
			}
			break;
		case DV_LINK_COPY:
			*linked = true;
			rc = add_by_copy(out, size_out, c, path, (uint64_t)st.st_size);
			goto done;
		}
	}
	/* No configured type worked: a copy always can. */
	*linked = true;
	rc = add_by_copy(out, size_out, c, path, (uint64_t)st.st_size);
done:
	dv_buf_free(&obj);
	dv_buf_free(&tmp);
	return rc;
}

/* The bytes under `path` changed between the walk's stat and the moment
 * they got their object name (`obj`; NULL: not yet): take the name back
 * and say so.  In symlink mode the workspace name already holds the
 * symlink: the inode goes back under it first. */
static int changed_while_added(dv_link_type type, const char *path, const char *obj)
{
	dv_buf tmp = DV_BUF_INIT;

	if (type == DV_LINK_SYMLINK && obj) {
		dv_tmpfile_name(&tmp, path);
		if (link(obj, tmp.ptr) < 0 || rename(tmp.ptr, path) < 0)
			unlink(tmp.ptr);
	}
	if (obj)
		unlink(obj);
	dv_buf_free(&tmp);
	return dv_error(DV_ECHANGED, "'%s' changed while it was being added: run 'dv add' again", path);
}

/* Replace `path` by a symlink to `obj` in one step (a temp symlink
 * renamed over it). */
static int symlink_over(dv_cache *c, const char *path, const char *obj, dv_buf *tmp)
{
	dv_buf target = DV_BUF_INIT;
	int rc = 0;

	dv_cache_link_target(&target, c, path, obj);
	dv_tmpfile_name(tmp, path);
	dv_tmpfile_register(tmp->ptr);
	if (symlink(target.ptr, tmp->ptr) < 0 || rename(tmp->ptr, path) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot link '%s' to the cache", path);
		unlink(tmp->ptr);
	}
	dv_tmpfile_unregister(tmp->ptr);
	dv_buf_free(&target);
	return rc;
}

/* The journaled symlink add: `path` moved to `obj` (its record written
 * first), a symlink made in its place.  0: done; 1: not moved (the name
 * is taken, or no such rename here), the caller links instead; negative:
 * the symlink could not be made, and the file is back. */
static int move_and_link(dv_cache *c, const char *path, const char *obj, dv_addjournal *journal, size_t slot)
{
	dv_buf target = DV_BUF_INIT;
	int rc = 0;

	dv_cache_link_target(&target, c, path, obj); /* puts .dv/o in place first */
	/* The object's path ends in its "XX/<30 hex>" (dv_cache_object_path). */
	dv_addjournal_record(journal, slot, obj + strlen(obj) - DV_CACHE_OBJ_REL_LEN);
	if (renameat2(AT_FDCWD, path, AT_FDCWD, obj, RENAME_NOREPLACE) < 0) {
		dv_buf_free(&target);
		return 1;
	}
	if (symlink(target.ptr, path) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot link '%s' to the cache", path);
		/* Back where it was: a rename needs no new inode, which a full
		 * disk may have denied the symlink.  Should even that fail, the
		 * journal still names the path for the next command. */
		renameat2(AT_FDCWD, obj, AT_FDCWD, path, RENAME_NOREPLACE);
	}
	dv_buf_free(&target);
	return rc;
}

int dv_cache_add_by_link(dv_hash *out, struct stat *st_out, dv_cache *c, const char *path,
			 const struct stat *st, const dv_hash *known, dv_addjournal *journal, size_t slot)
{
	dv_link_type type = c->types[0];
	dv_buf obj = DV_BUF_INIT, tmp = DV_BUF_INIT;
	struct stat have;
	int in = -1, rc = 1;
	bool moved = false;

	st_out->st_ino = 0;
	/* An executable's mode cannot live on a shared read-only object
	 * (status would see 0444 through the link): it is copied in. */
	if ((type != DV_LINK_HARDLINK && type != DV_LINK_SYMLINK) || !S_ISREG(st->st_mode) || (st->st_mode & 0111))
		return 1;
	if (known) {
		*out = *known;
		dv_cache_object_path(&obj, c, out, false);
		/* A hardlink mode re-add: the file is the object already. */
		if (type == DV_LINK_HARDLINK && st->st_nlink > 1 && stat(obj.ptr, &have) == 0 &&
		    have.st_ino == st->st_ino && have.st_dev == st->st_dev) {
			*st_out = *st;
			rc = 0;
			goto done;
		}
	}
	if ((in = dv_open_read(path)) < 0) {
		rc = dv_error_errno(errno == ENOENT ? DV_ENOTFOUND : DV_ERROR, "cannot add '%s'", path);
		goto done;
	}
	if (!known) {
		uint64_t size;
		if ((rc = dv_hash_fd_sized(out, &size, in, path, (uint64_t)st->st_size)) < 0)
			goto done;
		if (size != (uint64_t)st->st_size) {
			rc = changed_while_added(type, path, NULL);
			goto done;
		}
		dv_cache_object_path(&obj, c, out, false);
	}
	if ((rc = ensure_prefix_dir(c, out, obj.ptr)) < 0)
		goto done;
	/* Read-only before it carries the object's name: never a writable
	 * object, even for an instant a crash could freeze. */
	if ((st->st_mode & 07777) != OBJECT_MODE && fchmod(in, OBJECT_MODE) < 0) {
		rc = 1; /* not ours to chmod: the general path copies it */
		goto done;
	}
	if (type == DV_LINK_SYMLINK && journal) {
		if ((rc = move_and_link(c, path, obj.ptr, journal, slot)) < 0) {
			fchmod(in, st->st_mode & 07777);
			goto done;
		}
		moved = rc == 0;
	}
	if (!moved && link(path, obj.ptr) < 0) {
		if (errno != EEXIST) {
			/* Another file system, or no hard links there. */
			fchmod(in, st->st_mode & 07777);
			rc = 1;
			goto done;
		}
		/* The name is taken: by this very inode (a run killed after its
		 * link: nothing to redo), or by an earlier copy of these bytes,
		 * which is checked before the workspace file gives way to it;
		 * anything else under the name (a corrupt object) is replaced
		 * by the file just hashed to it: the user's copy is never
		 * dropped for an object nobody checked. */
		bool seen = lstat(obj.ptr, &have) == 0;
		if (!seen || have.st_ino != st->st_ino || have.st_dev != st->st_dev) {
			dv_hash got;
			if (seen && S_ISREG(have.st_mode) && have.st_size == st->st_size &&
			    dv_hash_file(&got, NULL, obj.ptr) == 0 && dv_hash_equal(&got, out)) {
				close(in);
				in = -1;
				if (type == DV_LINK_HARDLINK) /* the file becomes that object */
					rc = dv_cache_link_out(c, out, path, 0644, NULL, st_out);
				else
					rc = symlink_over(c, path, obj.ptr, &tmp);
				goto done;
			}
			dv_error_clear();
			dv_tmpfile_name(&tmp, obj.ptr);
			dv_tmpfile_register(tmp.ptr);
			if (link(path, tmp.ptr) < 0 || rename(tmp.ptr, obj.ptr) < 0) {
				rc = dv_error_errno(DV_ERROR, "cannot store '%s' in the cache '%s'", path, c->dir);
				unlink(tmp.ptr);
				dv_tmpfile_unregister(tmp.ptr);
				fchmod(in, st->st_mode & 07777);
				goto done;
			}
			dv_tmpfile_unregister(tmp.ptr);
		}
	}
	if (type == DV_LINK_SYMLINK && !moved && (rc = symlink_over(c, path, obj.ptr, &tmp)) < 0) {
		/* The file stays, writable again: its inode must not stay an
		 * object too, which the user's next write would change. */
		unlink(obj.ptr);
		fchmod(in, st->st_mode & 07777);
		goto done;
	}
	/* The last link count change set the ctime the stat cache keys on;
	 * mtime and size tell whether anyone wrote since the walk. */
	rc = 0;
	if (fstat(in, st_out) < 0) {
		st_out->st_ino = 0;
	} else if (st_out->st_size != st->st_size || dv_stat_mtime_ns(st_out) != dv_stat_mtime_ns(st)) {
		st_out->st_ino = 0;
		rc = changed_while_added(type, path, obj.ptr);
		fchmod(in, st->st_mode & 07777);
	}
done:
	if (in >= 0)
		close(in);
	dv_buf_free(&obj);
	dv_buf_free(&tmp);
	return rc;
}

int dv_cache_add_buffer(dv_hash *out, dv_cache *c, const void *data, size_t len, bool is_dir)
{
	dv_buf obj = DV_BUF_INIT;
	int rc = 0;

	dv_hash_buffer(out, data, len);
	dv_cache_object_path(&obj, c, out, is_dir);
	if (access(obj.ptr, F_OK) != 0) {
		if ((rc = dv_mkdir_parent(obj.ptr)) == 0)
			rc = dv_write_file_atomic(obj.ptr, data, len, OBJECT_MODE);
	}
	dv_buf_free(&obj);
	return rc;
}

int dv_cache_read(dv_buf *out, const dv_cache *c, const dv_hash *h, bool is_dir)
{
	dv_buf obj = DV_BUF_INIT;
	dv_hash got;
	int rc;

	dv_cache_object_path(&obj, c, h, is_dir);
	rc = dv_read_file(out, obj.ptr);
	if (rc == DV_ENOTFOUND) {
		char text[64];
		dv_hash_format(text, sizeof(text), h, is_dir);
		rc = dv_error(DV_ENOTFOUND, "object '%s' is not in the cache: run 'dv fetch' or 'dv pull'", text);
	}
	if (rc == 0) {
		dv_hash_buffer(&got, out->ptr, out->len);
		if (!dv_hash_equal(&got, h))
			rc = dv_cache_corrupt(c, h, is_dir, NULL);
	}
	dv_buf_free(&obj);
	return rc;
}

int dv_cache_tmp_open(int *fd_out, dv_buf *path_out, dv_cache *c)
{
	dv_buf pending = DV_BUF_INIT;
	int rc;
	dv_path_join(&pending, c->tmpdir, "obj");
	rc = object_tmp_open(fd_out, path_out, pending.ptr);
	dv_buf_free(&pending);
	return rc;
}

static int corrupt_error(const dv_hash *expected, const dv_hash *got, bool is_dir, const char *origin)
{
	char want[64], have[64];
	dv_hash_format(want, sizeof(want), expected, is_dir);
	dv_hash_format(have, sizeof(have), got, false);
	return dv_error(DV_ECORRUPT, "object '%s' from %s is corrupt (its bytes hash to '%s'): it was not stored; repair or re-push it",
			want, origin, have);
}

/* The temp file was made by dv_tmpfile_open in the object mode, so it
 * needs no chmod; the stat is taken after the rename, which changes ctime. */
int dv_cache_adopt_tmp(dv_cache *c, const char *tmp_path, const dv_hash *expected,
		       bool is_dir, const char *origin, struct stat *st_out)
{
	dv_buf obj = DV_BUF_INIT;
	dv_hash got;
	int rc;

	if (st_out)
		memset(st_out, 0, sizeof(*st_out));
	if ((rc = dv_hash_file(&got, NULL, tmp_path)) < 0)
		goto fail;
	if (!dv_hash_equal(&got, expected)) {
		rc = corrupt_error(expected, &got, is_dir, origin);
		goto fail;
	}
	dv_cache_object_path(&obj, c, expected, is_dir);
	if ((rc = ensure_prefix_dir(c, expected, obj.ptr)) < 0)
		goto fail;
	if (rename(tmp_path, obj.ptr) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot store '%s'", obj.ptr);
		goto fail;
	}
	dv_tmpfile_unregister(tmp_path);
	if (st_out && stat(obj.ptr, st_out) < 0)
		memset(st_out, 0, sizeof(*st_out));
	dv_buf_free(&obj);
	return 0;
fail:
	unlink(tmp_path);
	dv_tmpfile_unregister(tmp_path);
	dv_buf_free(&obj);
	return rc;
}

int dv_cache_store_verified(dv_cache *c, const void *data, size_t len, const dv_hash *expected,
			    bool is_dir, const char *origin, struct stat *st_out)
{
	dv_buf obj = DV_BUF_INIT, tmp = DV_BUF_INIT;
	dv_hash got;
	int fd, rc;

	if (st_out)
		memset(st_out, 0, sizeof(*st_out));
	dv_hash_buffer(&got, data, len);
	if (!dv_hash_equal(&got, expected))
		return corrupt_error(expected, &got, is_dir, origin);
	dv_cache_object_path(&obj, c, expected, is_dir);
	if ((rc = ensure_prefix_dir(c, expected, obj.ptr)) < 0 ||
	    (rc = dv_tmpfile_open(&fd, &tmp, obj.ptr, OBJECT_MODE)) < 0)
		goto done;
	if (dv_write_all(fd, data, len) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot write to the cache '%s'", c->dir);
		dv_tmpfile_abort(fd, tmp.ptr);
		goto done;
	}
	if (rename(tmp.ptr, obj.ptr) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot store '%s'", obj.ptr);
		dv_tmpfile_abort(fd, tmp.ptr);
		goto done;
	}
	dv_tmpfile_unregister(tmp.ptr);
	if (st_out && fstat(fd, st_out) < 0)
		memset(st_out, 0, sizeof(*st_out));
	if (close(fd) < 0)
		rc = dv_error_errno(DV_ERROR, "cannot write '%s'", obj.ptr);
done:
	dv_buf_free(&obj);
	dv_buf_free(&tmp);
	return rc;
}

static _Thread_local int no_reflink_seen;

/* Fill the new file `fd` with the object's bytes: a reflink or a copy.
 * `size` is the object's (0: unknown). */
static int fill_from(int fd, dv_link_type type, const char *obj, const char *dest, uint64_t size)
{
	int in = dv_open_read(obj), rc = 0;

	if (in < 0)
		return dv_error_errno(DV_ERROR, "cannot open '%s'", obj);
	if (type == DV_LINK_REFLINK) {
		if (try_reflink(fd, in) < 0) {
			/* Not supported here: stop trying it for every file. */
			if (errno == EOPNOTSUPP || errno == EXDEV || errno == EINVAL || errno == ENOTTY)
				no_reflink_seen = 1;
			rc = dv_error_errno(DV_ERROR, "cannot reflink '%s'", dest);
		}
	} else if (dv_copy_fd(fd, in, size, NULL) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot copy '%s' to '%s'", obj, dest);
	}
	close(in);
	return rc;
}

/*
 * Create `dest` as a link of one type to `obj`, so that dest is never seen
 * half-made, whatever kills us (SIGKILL included): a copy is written under
 * a temp name renamed over dest; when dest is known to be absent (`fresh`,
 * a checkout into an empty place) it is written as an unnamed file
 * (O_TMPFILE) that gets its name only when whole, which spares the rename
 * and leaves no temp file to clean up.  A hard or symbolic link is made
 * whole by one syscall.  A truncated file under dest's name would later
 * pass for a user's edit and be committed as the data's new version.
 * Work-tree files are not fsynced one by one (git does not either): 20,000
 * fsyncs would dominate a checkout.
 */
typedef struct {
	unsigned mode;   /* 0644 or 0755 */
	bool fresh;      /* dest is known absent: make it in place */
	uint64_t size;   /* the object's size (0: unknown) */
	struct stat *st; /* if set: dest's stat once made (st_ino 0: unknown) */
	const struct stat *obj_st; /* the object's, when known: what a symlink shows */
} link_req;

static int link_one(dv_cache *c, dv_link_type type, const char *obj, const char *dest, const link_req *rq)
{
	unsigned mode = rq->mode;
	bool fresh = rq->fresh;
	dv_buf tmp = DV_BUF_INIT, target = DV_BUF_INIT;
	const char *at = dest;
	int fd, rc = 0;

	/* A hard or symbolic link shows the object's read-only mode: it
	 * cannot carry an executable bit the object lacks. */
	if ((type == DV_LINK_HARDLINK || type == DV_LINK_SYMLINK) && (mode & 0111))
		return dv_error(DV_ERROR, "cannot link executable '%s' to the cache", dest);
	if (!fresh) {
		dv_tmpfile_name(&tmp, dest);
		at = tmp.ptr;
	}
	switch (type) {
	case DV_LINK_HARDLINK:
	case DV_LINK_SYMLINK:
		dv_tmpfile_register(at);
		if (type == DV_LINK_SYMLINK)
			dv_cache_link_target(&target, c, dest, obj);
		if ((type == DV_LINK_HARDLINK ? link(obj, at) : symlink(target.ptr, at)) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot link '%s'", dest);
			dv_tmpfile_unregister(at);
			goto done;
		}
		break;
	case DV_LINK_REFLINK:
	case DV_LINK_COPY:
		if (fresh && (fd = dv_anon_file_open(dest, mode)) >= 0) {
			if ((rc = fill_from(fd, type, obj, dest, rq->size)) < 0) {
				close(fd);
				goto done;
			}
			if (dv_anon_file_link(fd, dest, rq->st) < 0)
				rc = dv_error_errno(DV_ERROR, "cannot create '%s'", dest);
			goto done;
		}
		if (fresh && errno != EOPNOTSUPP && errno != EISDIR) {
			rc = dv_error_errno(DV_ERROR, "cannot create '%s'", dest);
			goto done;
		}
		if (fresh) { /* no O_TMPFILE here: a temp name, then rename */
			fresh = false;
			dv_tmpfile_name(&tmp, dest);
			at = tmp.ptr;
		}
		if ((fd = dv_new_file_open(at, mode)) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot create '%s'", dest);
			goto done;
		}
		if ((rc = fill_from(fd, type, obj, dest, rq->size)) < 0) {
			dv_tmpfile_abort(fd, at);
			goto done;
		}
		if (dv_new_file_done(fd, at) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot write '%s'", dest);
			goto done;
		}
		dv_tmpfile_register(at); /* until renamed */
		break;
	}
	if (!fresh && rename(at, dest) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot rename into '%s'", dest);
		unlink(at);
	}
	dv_tmpfile_unregister(at);
	/* A symlink shows its object, which making the link leaves as it
	 * was: a checkout of 20,000 symlinks pays no stat to learn that. */
	if (rc == 0 && rq->st && type == DV_LINK_SYMLINK && rq->obj_st)
		*rq->st = *rq->obj_st;
	else if (rc == 0 && rq->st && (!fresh || type == DV_LINK_HARDLINK || type == DV_LINK_SYMLINK) &&
		 stat(dest, rq->st) < 0)
		rq->st->st_ino = 0;
done:
	dv_buf_free(&tmp);
	dv_buf_free(&target);
	return rc;
}

static int link_any(dv_cache *c, const char *obj, const char *dest, const link_req *rq,
		    dv_link_type *used)
{
	int rc;
	for (int i = 0; i < c->ntypes; i++) {
		if (c->types[i] == DV_LINK_REFLINK && c->no_reflink)
			continue;
		no_reflink_seen = 0;
		rc = link_one(c, c->types[i], obj, dest, rq);
		if (no_reflink_seen)
			c->no_reflink = 1;
		if (rc == 0) {
			if (used)
				*used = c->types[i];
			return 0;
		}
	}
	/* Every configured type failed (e.g. hardlink across devices): copy. */
	if ((rc = link_one(c, DV_LINK_COPY, obj, dest, rq)) == 0 && used)
		*used = DV_LINK_COPY;
	return rc;
}

/* The object's presence and dest's parent directory are checked only when
 * linking fails: a checkout of thousands of files into existing
 * directories pays no extra syscalls for them.  A retry stays `fresh` only
 * when the first attempt failed for want of dest's directory (ENOENT, the
 * object being there): dest was absent then, and nothing else of ours
 * makes it, while another thread may make the directory; after any other
 * failure, whatever caused it may have put something at dest.  Fresh
 * never replaces: had anything appeared there, the link fails. */
static int link_out(dv_cache *c, const dv_hash *h, const char *dest, link_req *rq,
		    dv_link_type *used)
{
	dv_buf obj = DV_BUF_INIT;
	char *dir = NULL;
	int rc, first_errno;

	dv_cache_object_path(&obj, c, h, false);
	if ((rc = link_any(c, obj.ptr, dest, rq, used)) == 0)
		goto done;
	first_errno = errno;
	if (access(obj.ptr, F_OK) != 0) {
		char text[64];
		dv_hash_format(text, sizeof(text), h, false);
		rc = dv_error(DV_ENOTFOUND, "object '%s' for '%s' is not in the cache: run 'dv pull'", text, dest);
		goto done;
	}
	/* Retry even when the directory exists now: another thread of a
	 * parallel checkout may have made it since our attempt failed. */
	dir = dv_path_dirname(dest);
	if (first_errno != ENOENT)
		rq->fresh = false;
	if (dv_is_dir(dir) || (rc = dv_mkdir_p(dir, 0777)) == 0)
		rc = link_any(c, obj.ptr, dest, rq, used);
done:
	free(dir);
	dv_buf_free(&obj);
	return rc;
}

int dv_cache_link_out(dv_cache *c, const dv_hash *h, const char *dest, unsigned mode,
		      dv_link_type *used, struct stat *st_out)
{
	link_req rq = { mode, false, 0, st_out, NULL };
	if (st_out)
		st_out->st_ino = 0;
	return link_out(c, h, dest, &rq, used);
}

int dv_cache_link_new(dv_cache *c, const dv_hash *h, const char *dest, unsigned mode,
		      const struct stat *obj_st, struct stat *st_out)
{
	link_req rq = { mode, true, obj_st ? (uint64_t)obj_st->st_size : 0, st_out, obj_st };
	if (st_out)
		st_out->st_ino = 0;
	return link_out(c, h, dest, &rq, NULL);
}

int dv_cache_verify(const dv_cache *c, const dv_hash *h, bool is_dir)
{
	dv_buf obj = DV_BUF_INIT;
	dv_hash got;
	int rc;

	dv_cache_object_path(&obj, c, h, is_dir);
	rc = dv_hash_file(&got, NULL, obj.ptr);
	if (rc == 0 && !dv_hash_equal(&got, h))
		rc = dv_cache_corrupt(c, h, is_dir, NULL);
	dv_buf_free(&obj);
	return rc;
}

int dv_cache_remove(dv_cache *c, const dv_hash *h, bool is_dir)
{
	dv_buf obj = DV_BUF_INIT;
	int rc = 0;
	dv_cache_object_path(&obj, c, h, is_dir);
	if (unlink(obj.ptr) < 0 && errno != ENOENT)
		rc = dv_error_errno(DV_ERROR, "cannot remove '%s'", obj.ptr);
	dv_buf_free(&obj);
	return rc;
}

int dv_cache_corrupt(const dv_cache *c, const dv_hash *h, bool is_dir, const char *what)
{
	dv_buf obj = DV_BUF_INIT, fr = DV_BUF_INIT;
	char *moved = NULL;
	int rc;

	dv_cache_object_path(&obj, c, h, is_dir);
	if (what)
		dv_buf_printf(&fr, " for '%s'", what);
	if (!c->dvdir)
		rc = dv_error(DV_ECORRUPT, "cache object '%s'%s is corrupt (its bytes no longer match its name): "
			      "remove it and run 'dv fetch'", obj.ptr, fr.ptr);
	else if (dv_cache_quarantine(&moved, c, h, is_dir, c->dvdir) < 0)
		rc = dv_error_wrap(DV_ECORRUPT, "cache object '%s'%s is corrupt (its bytes no longer match its name) "
				   "and could not be moved aside: remove it and run 'dv fetch'", obj.ptr,
				   fr.ptr);
	else
		rc = dv_error(DV_ECORRUPT, "cache object '%s'%s was corrupt (its bytes no longer match its name): "
			      "moved it to quarantine ('%s'); 'dv fetch' or 'dv pull' brings a good copy",
			      obj.ptr, fr.ptr, moved ? moved : "moved aside already");
	free(moved);
	dv_buf_free(&obj);
	dv_buf_free(&fr);
	return rc;
}

int dv_cache_quarantine(char **moved_to, const dv_cache *c, const dv_hash *h, bool is_dir,
			const char *dvdir)
{
	dv_buf obj = DV_BUF_INIT, rel = DV_BUF_INIT, dst = DV_BUF_INIT;
	int rc = 0;

	if (moved_to)
		*moved_to = NULL;
	dv_cache_object_path(&obj, c, h, is_dir);
	dv_cache_object_relpath(&rel, h, is_dir);
	dv_buf_printf(&dst, "%s/" DV_QUARANTINE_DIR "/%s", dvdir, rel.ptr);
	if ((rc = dv_mkdir_parent(dst.ptr)) < 0)
		goto done;
	if (rename(obj.ptr, dst.ptr) < 0) {
		if (errno == ENOENT)
			goto done; /* moved aside (or removed) by someone else */
		/* cache.dir on another file system: copy, then drop the object. */
		if (errno != EXDEV || (rc = dv_copy_file(dst.ptr, obj.ptr, 0444)) < 0 || unlink(obj.ptr) < 0) {
			rc = rc < 0 ? rc : dv_error_errno(DV_ERROR, "cannot move the corrupt object '%s' to '%s'",
							   obj.ptr, dst.ptr);
			goto done;
		}
	}
	if (moved_to)
		*moved_to = dv_buf_detach(&dst);
done:
	dv_buf_free(&obj);
	dv_buf_free(&rel);
	dv_buf_free(&dst);
	return rc;
}
