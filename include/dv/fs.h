/*
 * fs.h - file-system primitives every module shares: the one atomic-write
 * helper (temp file, fsync, rename, fsync of the directory), whole-file reads,
 * recursive mkdir/remove, lexical path handling, and the registry of temp
 * files that a signal handler removes so an interrupted command leaves
 * nothing half-written.
 */
#ifndef DV_FS_H
#define DV_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "dv/buf.h"

/* Write `len` bytes to `path` atomically: readers see the old file or the
 * new one, never a torn one, even across a crash or full disk. */
int dv_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same without fsync: readers still never see a torn file, but a crash
 * may leave the old contents, zeros or nothing.  For caches whose every
 * record is checked against the file system (the stat cache), where a 1 MiB
 * fsync per command would cost more than the cache saves. */
int dv_write_file_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode);
/* Files below `dir` (absolute; NULL: none) are a scratch tree's, which a
 * crash discards as a whole: dv_write_file_atomic skips their fsyncs too.
 * An experiment's worktree under .dv/ is one (exp.h).  Set it before any
 * thread starts; it holds for the process. */
void dv_fs_set_scratch_dir(const char *dir);

/* Open a temp file beside `final_path` (same directory, so rename is atomic);
 * the temp path is registered for removal on a signal.  `tmp_out` receives
 * its path.  Finish with dv_tmpfile_commit() or dv_tmpfile_abort(). */
int dv_tmpfile_open(int *fd_out, dv_buf *tmp_out, const char *final_path, mode_t mode);
/* A fresh temp name beside `final_path` (pid + counter: unique within the
 * process, and O_EXCL settles the rest), for links made under a temp name. */
void dv_tmpfile_name(dv_buf *out, const char *final_path);
/* Whether a directory entry's name is one dv_tmpfile_name makes. */
bool dv_tmpfile_is_name(const char *name);
/* Whether `name` in the directory open as `dfd` is a temp file whose
 * writer is gone: named exactly as dv_tmpfile_name makes names, its pid
 * no longer running, and (for a writer in another pid namespace) not
 * locked by a live dv_new_file_open.  Such a file was left by a dv killed
 * mid-write (SIGKILL, a crash) and is safe to remove at any time. */
bool dv_tmpfile_is_stale(int dfd, const char *name);
/* Remove the stale temp files directly in `dir` (not below), adding their
 * number to *removed; a missing `dir` holds none. */
int dv_tmpfile_sweep_dir(size_t *removed, const char *dir);
/* fsync, close, rename onto final_path, fsync the directory. */
int dv_tmpfile_commit(int fd, const char *tmp_path, const char *final_path);
/* Close and rename without fsync: for cache objects, which are named by
 * their content and re-verified on use, so durability is traded for speed
 * (as git does for loose objects by default). */
int dv_tmpfile_commit_nosync(int fd, const char *tmp_path, const char *final_path);
void dv_tmpfile_abort(int fd, const char *tmp_path);

/* Write a local cache file (.dv/state, .dv/dirs) through a temp file and
 * rename it over `path` without fsync: what a crash loses is only worked
 * out again.  `next` appends the next record to `out` and returns false
 * when there are no more; the bytes go out through a 64 KiB buffer, so a
 * large cache is never copied whole. */
int dv_write_cache_file(const char *path, bool (*next)(void *ctx, dv_buf *out), void *ctx);
/* Map such a file privately (`writable`: changes stay in this process),
 * when it holds at least `min_len` bytes and starts with the 8 bytes of
 * `magic`; NULL otherwise (a missing or foreign file is an empty cache).
 * *len receives its length; munmap it when done. */
void *dv_map_cache_file(const char *path, const char *magic, size_t min_len, bool writable, size_t *len);

/* Create `path`, which must not exist (O_EXCL), in exactly `mode`, for a
 * work-tree file written in place: it is registered like a temp file, so a
 * signal removes it half-written.  Returns the fd, or -1 with errno set.
 * Finish with dv_new_file_done() (keep it) or dv_tmpfile_abort(). */
int dv_new_file_open(const char *path, mode_t mode);
/* Close and keep the file; -1 with errno set when close fails (then the
 * file is removed). */
int dv_new_file_done(int fd, const char *path);

/* An unnamed file (O_TMPFILE) in the directory of `path`, in exactly
 * `mode`, for a work-tree file that must appear whole or not at all: it
 * gets its name from dv_anon_file_link once written, so even SIGKILL
 * leaves neither a partial file nor a temp file behind.  -1 with errno set;
 * EOPNOTSUPP or EISDIR mean the file system cannot (use a temp name). */
int dv_anon_file_open(const char *path, mode_t mode);
/* Name the unnamed file `path`, which must not exist (EEXIST otherwise),
 * fill `st` (may be NULL) with its final stat, and close it: 0, or -1 with
 * errno set (the file is then gone). */
int dv_anon_file_link(int fd, const char *path, struct stat *st);

/* A temp file untouched this long has no writer left: even one writing a
 * huge object moves its mtime with every chunk.  (dv gc in the cache,
 * push and gc -c on a remote, the next write of a .stage file.) */
#define DV_STALE_TMP_NS (3600LL * 1000000000LL)

/* Remove the temp files (dv_tmpfile_name's) of files named "*SUFFIX" in
 * `dir` that a killed writer left: not modified since `before_ns`, or
 * made by a process that no longer exists (the pid is in the name).  Once
 * per directory per process, so writing many files into one directory
 * costs one listing.  `removed` counts them. */
int dv_tmpfile_sweep(size_t *removed, const char *dir, const char *suffix, int64_t before_ns);

/* Remove every registered temp file; async-signal-safe. */
void dv_tmpfiles_remove_all(void);
void dv_tmpfile_register(const char *path);
void dv_tmpfile_unregister(const char *path);

int dv_read_file(dv_buf *out, const char *path);
/* dv_read_file for a file a directory listing has just shown to be a
 * regular file (d_type): no fstat for its size, a short read taken as its
 * end (as it is for a regular file).  Opened O_NOFOLLOW | O_NONBLOCK, so
 * an entry swapped meanwhile for a symlink fails and one swapped for a
 * FIFO cannot hang the command.  One syscall a file less, for the
 * thousands of .stage files a status reads. */
int dv_read_listed_file(dv_buf *out, const char *path);
int dv_write_all(int fd, const void *data, size_t len);
int dv_fsync_dir_of(const char *path);

int dv_mkdir_p(const char *path, mode_t mode);
/* mkdir -p of the directory part of `path`. */
int dv_mkdir_parent(const char *path);
/* rm -rf; a missing path is not an error. */
int dv_remove_tree(const char *path);
/* Copy src to dst from their current offsets (copy_file_range, or through
 * memory for small or unsupported cases).  `expect` (0: unknown) is src's
 * size when the caller knows it, which spares the read that finds the end. */
int dv_copy_fd(int dst, int src, uint64_t expect, uint64_t *copied);
/* open(path, O_RDONLY) without updating the access time where the kernel
 * allows it: reading 20,000 files just written would otherwise dirty
 * 20,000 inodes once more (relatime updates an atime older than mtime). */
int dv_open_read(const char *path);
int dv_copy_file(const char *dst, const char *src, mode_t mode);

bool dv_path_exists(const char *path);
bool dv_is_dir(const char *path);

/* Join a and b with one '/', into out (replacing its contents). */
void dv_path_join(dv_buf *out, const char *a, const char *b);
/* Lexically normalise a relative or absolute path: collapse "//", "/./",
 * resolve "x/.." pairs; a leading ".." that cannot be resolved is kept. */
char *dv_path_normalize(const char *path);
/* The directory part ("." for a bare name) and the last component. */
char *dv_path_dirname(const char *path);
const char *dv_path_basename(const char *path);
/* If `path` (absolute, normalised) lies inside `root` (absolute, normalised),
 * return a newly allocated path relative to root ("" for root itself);
 * otherwise NULL. */
char *dv_path_relative_to(const char *path, const char *root);
/* Is `child` equal to `parent` or below it (both relative, normalised)? */
bool dv_path_is_within(const char *child, const char *parent);
/* Does any '/'-separated component of `path` name git's directory (".git"
 * in any letter case, which case-insensitive file systems treat alike)? */
bool dv_path_has_git_component(const char *path);

/* Nanosecond timestamps from a struct stat. */
/* A well-mixed hash of a file's identity, for the tables of the local
 * caches keyed by (device, inode). */
static inline uint64_t dv_devino_hash(uint64_t dev, uint64_t ino)
{
	uint64_t k = ino * 0x9E3779B97F4A7C15ull ^ dev * 0xC2B2AE3D27D4EB4Full;
	return k ^ (k >> 29);
}
/* Is time `t` (ns) more than `margin` before `later`?  Without overflow,
 * whatever the values: a cache file's may be anything. */
static inline bool dv_ns_before_by(int64_t t, int64_t later, int64_t margin)
{
	return later > t && (uint64_t)later - (uint64_t)t > (uint64_t)margin;
}
int64_t dv_stat_mtime_ns(const struct stat *st);
int64_t dv_stat_ctime_ns(const struct stat *st);
int64_t dv_now_ns(void);

#endif
