/*
 * doctor.h - what `dv doctor` reports: dv's version and the libraries it
 * runs with, which link types work between the cache and the work tree on
 * this machine, the file systems involved, and whether each remote can be
 * reached.  Each answer is found by trying, not by reading settings.
 */
#ifndef DV_DOCTOR_H
#define DV_DOCTOR_H

#include <stdbool.h>

#include "dv/buf.h"
#include "dv/cache.h"
#include "dv/config.h"

/* "libgit2 1.5.1", "jansson 2.14", ... for the libraries linked into dv,
 * then those of the network module (libcurl, libarchive), or one line
 * saying why that module cannot be loaded (and 'net_ok' false). */
void dv_doctor_libraries(dv_strvec *out, bool *net_ok);

/* Try each link type (indexed by dv_link_type) from a new file in
 * `cache_tmp` to a name in `work_dir` (both existing directories); the
 * probe files are removed. */
int dv_doctor_link_types(bool works[4], const char *cache_tmp, const char *work_dir);

/* The file system type holding `path` ("ext4", "xfs", "btrfs", "tmpfs",
 * ..., or its magic number in hex). */
void dv_doctor_fs_type(dv_buf *out, const char *path);

/* Can remote `name` be reached now?  0, or <0 with the reason set.  For a
 * directory remote: the directory exists; for the others, one request. */
int dv_doctor_remote_check(const dv_config *cfg, const char *name, const char *repo_root);

#endif
