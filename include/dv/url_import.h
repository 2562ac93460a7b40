/*
 * url_import.h - one file at a URL (s3://, http(s)://, ssh://), as
 * `dv import-url`, `dv get-url` and `dv update` fetch it.
 *
 * The URL's directory is opened as a remote of its kind, so the same
 * code (and the same settings) as push and pull serve it: a configured
 * remote whose URL the file's URL starts with lends its settings
 * (endpoint, credentials, user, port, key); otherwise the kind's defaults
 * and the environment (AWS_* variables, ~/.ssh/config) apply.  What a
 * fetch records about the source (ETag, size, mtime) is what an update
 * compares to decide whether to fetch again.
 */
#ifndef DV_URL_IMPORT_H
#define DV_URL_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/cache.h"
#include "dv/config.h"
#include "dv/hash.h"
#include "dv/remote.h"
#include "dv/stage.h"

typedef struct dv_url_file dv_url_file;

/* Open the file `url` names; `repo_root` may be NULL (outside a repo). */
int dv_url_file_open(dv_url_file **out, const dv_config *cfg, const char *url, const char *repo_root);
void dv_url_file_free(dv_url_file *f);

/* The file's name at the end of `url` (query and fragment left out), the
 * default output; DV_EUSAGE when there is none (a directory URL) or it is
 * "." or "..". */
int dv_url_file_name(char **out, const char *url);

/* Its state now; DV_ENOTFOUND when it is not there. */
int dv_url_file_stat(dv_remote_file_info *out, dv_url_file *f);

/* Download it into `cache` (checked by re-hashing as every fetched
 * object is), giving its hash and size. */
int dv_url_file_fetch(dv_hash *hash, uint64_t *size, dv_url_file *f, dv_cache *cache, dv_progress *p);
/* Download it to `dest` (absolute; must not exist), created whole or not
 * at all. */
int dv_url_file_download(dv_url_file *f, const char *dest, dv_progress *p);

/* Has the source changed since `was` was recorded?  The ETags decide when
 * both sides have one; otherwise size and mtime. */
bool dv_url_file_changed(const dv_stage_source *was, const dv_remote_file_info *now);
/* Record `now` as the state of `url` in the stage's [source]. */
void dv_url_file_record(dv_stage *st, const char *url, const dv_remote_file_info *now);

#endif
