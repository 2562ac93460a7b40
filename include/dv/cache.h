/*
 * cache.h - the content-addressed object cache (SPEC "Repository layout"):
 *     <dir>/files/xxh128/ab/cdef...        file object
 *     <dir>/files/xxh128/ab/cdef....dir    directory manifest
 *
 * Objects are immutable and read-only (0444); every object enters under a
 * temporary name and is renamed into place only when complete, so a reader
 * never sees a partial object.  Workspace files are materialised from
 * objects by the configured link types, tried in order (cache.type:
 * reflink, hardlink, symlink, copy), falling back to the next on failure.
 */
#ifndef DV_CACHE_H
#define DV_CACHE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/types.h>

#include "dv/buf.h"
#include "dv/hash.h"

typedef enum {
	DV_LINK_REFLINK,
	DV_LINK_HARDLINK,
	DV_LINK_SYMLINK,
	DV_LINK_COPY,
} dv_link_type;

typedef struct dv_cache {
	char *dir;       /* absolute */
	char *tmpdir;    /* <dir>/tmp... scratch on the same file system */
	char *dvdir;     /* the repository's .dv, whose quarantine/ takes corrupt
			  * objects; NULL for a scratch cache (they stay put) */
	dv_link_type types[4];
	int ntypes;
	/* Learnt at run time and shared by worker threads; a thread that
	 * has not seen another's finding yet merely repeats the work. */
	_Atomic int no_reflink;            /* FICLONE failed: file system lacks it */
	_Atomic int reflink_probed;        /* FICLONE tried once before hashing */
	_Atomic int no_tmpfile;            /* O_TMPFILE or /proc linking failed */
	_Atomic unsigned char prefix_ready[256]; /* files/xxh128/XX exists */
	/* <dir>/files/xxh128 opened (fd + 1; 0: not yet), so dv_cache_has
	 * looks up "XX/<30 hex>" and not the whole path again. */
	_Atomic int objects_fd;
	/* <dvdir>/o, the short way to files/xxh128 that work-tree symlinks
	 * take: 0 not looked at yet, 1 in place, -1 not usable (links are
	 * then absolute). */
	_Atomic int alias_state;
} dv_cache;

/* `types` is a cache.type list ("reflink,copy"); NULL means the default. */
int dv_cache_open(dv_cache **out, const char *dir, const char *types);
void dv_cache_free(dv_cache *c);
int dv_cache_parse_types(dv_link_type *types, int *ntypes, const char *spec);

void dv_cache_object_path(dv_buf *out, const dv_cache *c, const dv_hash *h, bool is_dir);
/* The path below the cache root ("files/xxh128/ab/cd...[.dir]"), as used
 * on remotes too. */
void dv_cache_object_relpath(dv_buf *out, const dv_hash *h, bool is_dir);
/* <dir>/files/xxh128 as a directory descriptor (O_PATH), opened on first
 * use and owned by the cache; -1 while it does not exist.  Lookups of
 * "XX/<30 hex>" relative to it skip the cache's own path. */
int dv_cache_objects_fd(const dv_cache *c);
bool dv_cache_has(const dv_cache *c, const dv_hash *h, bool is_dir);

/* cache.type symlink.  A work-tree link to an object reads
 * "../../.dv/o/XX/<30 hex>" (as many "../" as the link is deep below the
 * work tree), through <dvdir>/o, itself a link to the objects' directory:
 * under 60 bytes, so ext4 keeps the target inside the inode instead of a
 * block of its own (half the cost of making the link), and the work tree
 * can move.  Links whose work tree cannot have the alias (no .dv, a
 * file in its way) are absolute, as links made before it are.
 * The target a symlink at `dest` (absolute) to `obj` (the object's
 * path) gets; the first call puts the alias in place. */
void dv_cache_link_target(dv_buf *out, dv_cache *c, const char *dest, const char *obj);
/* Length of an object's name below files/xxh128: "XX/<30 hex>". */
#define DV_CACHE_OBJ_REL_LEN (DV_HASH_HEXLEN + 1)
/* Is `target`, read from the symlink at absolute `path`, dv's link to a
 * file object (either form)?  Then `obj_rel` (DV_CACHE_OBJ_REL_LEN + 1 bytes)
 * receives "XX/<30 hex>".  The short form counts only while the alias
 * points where dv put it: otherwise it is a link like any other. */
bool dv_cache_link_object(dv_cache *c, const char *path, const char *target, char *obj_rel);
/* The start every short-form link target has in directory `dir` (absolute):
 * "../" once per level below the work tree, then ".dv/o/", into `out`
 * (`cap` bytes); returns its length, or 0 when links there cannot have the
 * short form (no alias, or `dir` outside the work tree).  A target that
 * starts so and goes on with a valid "XX/<30 hex>" is dv's link to that
 * object (dv_cache_is_obj_rel), as dv_cache_link_object would find. */
size_t dv_cache_link_prefix(dv_cache *c, const char *dir, char *out, size_t cap);
/* Room for any such start: a path within PATH_MAX is at most 2,048 levels. */
#define DV_CACHE_LINK_PREFIX_MAX (3 * 2048 + 8)
bool dv_cache_is_obj_rel(const char *rest);

/* Put a workspace file into the cache and return its hash and size.  If
 * `known` is given (from the stat cache) the file is not re-read when the
 * object already exists.  With a hardlink first in cache.type the file is
 * linked in (no copy); otherwise the bytes are hashed while being copied.
 * `*linked` is true when the workspace file already is what cache.type
 * wants (the object itself for hardlink; any file with these bytes for
 * reflink and copy), false when the caller must link it out again (the
 * file was moved in for symlink, or the object existed already).
 * `st` is the file's stat when the caller has one (NULL: stat here). */
int dv_cache_add_file(dv_hash *out, uint64_t *size_out, bool *linked, dv_cache *c,
		      const char *path, const dv_hash *known, const struct stat *st);
struct dv_addjournal;
/* The link-mode fast path of adding a regular workspace file (not a
 * symlink) that the caller has stat'ed (`st`, from its walk), with
 * hardlink or symlink first in cache.type: read once to hash it (not at
 * all when `known`), made read-only, hard-linked in as its object and, for
 * symlink, replaced by a symlink to it (see the crash argument at the top
 * of cache.c); with a `journal` (symlink only), moved in and linked back,
 * its path recorded in `slot` first (addjournal.h).  0: done, `*st_out` is the stat the stat cache wants
 * (st_ino 0: stat the path); 1: not handled here (an executable under
 * hardlink, another file system, not ours to chmod), use
 * dv_cache_add_file; negative: an error. */
int dv_cache_add_by_link(dv_hash *out, struct stat *st_out, dv_cache *c, const char *path,
			 const struct stat *st, const dv_hash *known, struct dv_addjournal *journal, size_t slot);
/* Put bytes (a manifest) into the cache. */
int dv_cache_add_buffer(dv_hash *out, dv_cache *c, const void *data, size_t len, bool is_dir);
/* Read an object whole (manifests). */
int dv_cache_read(dv_buf *out, const dv_cache *c, const dv_hash *h, bool is_dir);

/* Take a complete temp file (e.g. just downloaded) into the cache under
 * `expected`, after re-hashing it; a mismatch is DV_ECORRUPT naming
 * `origin` and nothing enters the cache.  The temp file is consumed.
 * `st_out` (may be NULL) receives the stored object's stat, for the stat
 * cache (zeroed when unknown). */
int dv_cache_adopt_tmp(dv_cache *c, const char *tmp_path, const dv_hash *expected,
		       bool is_dir, const char *origin, struct stat *st_out);
/* The same for bytes in memory (small fetched objects): checked before
 * anything is written, so a corrupt object costs no file at all. */
int dv_cache_store_verified(dv_cache *c, const void *data, size_t len, const dv_hash *expected,
			    bool is_dir, const char *origin, struct stat *st_out);
/* Make a temp path on the cache's file system for dv_cache_adopt_tmp. */
int dv_cache_tmp_open(int *fd_out, dv_buf *path_out, dv_cache *c);

/* Materialise object `h` at `dest` (replacing whatever is there, atomically)
 * using the configured link types; `mode` is 0644 or 0755.  `used` receives
 * the link type that worked; `st_out` (may be NULL) dest's stat as made, for
 * the stat cache (st_ino 0 when unknown). */
int dv_cache_link_out(dv_cache *c, const dv_hash *h, const char *dest, unsigned mode,
		      dv_link_type *used, struct stat *st_out);
/* The same for a `dest` that did not exist a moment ago: made in place (a
 * signal removes it half-made), with no temp name and rename.  `obj_st` is
 * the object's stat as just taken (NULL: unknown). */
int dv_cache_link_new(dv_cache *c, const dv_hash *h, const char *dest, unsigned mode,
		      const struct stat *obj_st, struct stat *st_out);
/* Re-hash an object; DV_ECORRUPT if its bytes do not match its name. */
int dv_cache_verify(const dv_cache *c, const dv_hash *h, bool is_dir);
/* Remove an object (gc). */
int dv_cache_remove(dv_cache *c, const dv_hash *h, bool is_dir);

/* Where corrupt objects are moved aside: <dvdir>/quarantine/, laid out as
 * the cache (files/xxh128/ab/cd...), so the bytes stay for a post-mortem
 * while the cache no longer has the object and the next fetch or pull
 * brings a good copy.  Nothing in dv reads it again; remove it by hand. */
#define DV_QUARANTINE_DIR "quarantine"
/* Move the object `h` aside into <dvdir>/quarantine; `*moved_to` (may be
 * NULL) receives the new path (NULL if the object had gone already). */
/* An object's bytes were found not to match its name: move it to
 * quarantine (when c->dvdir is set), so that the next fetch brings a good
 * copy instead of finding it "up to date", and return DV_ECORRUPT with a
 * message naming the object, `what` uses it (may be NULL), where it went
 * and the way out. */
int dv_cache_corrupt(const dv_cache *c, const dv_hash *h, bool is_dir, const char *what);
int dv_cache_quarantine(char **moved_to, const dv_cache *c, const dv_hash *h, bool is_dir,
			const char *dvdir);

#endif
