/*
 * config.h - dv's settings (SPEC "Config"): INI files read with inih, in
 * order /etc/dv/config, ~/.config/dv/config, .dv/config, .dv/config.local,
 * later wins.  Keys are "section.key", or "remote.NAME.key" for a git-style
 * subsection [remote "NAME"].
 *
 * The writer edits a file in place textually, so other sections, keys and
 * comments survive, and replaces it atomically; .dv/config.local, which
 * holds credentials, is left mode 0600 by every write.
 */
#ifndef DV_CONFIG_H
#define DV_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"

typedef enum {
	DV_CONFIG_SYSTEM = 0,
	DV_CONFIG_GLOBAL,
	DV_CONFIG_REPO,
	DV_CONFIG_LOCAL,
	DV_CONFIG_LEVELS
} dv_config_level;

typedef struct {
	char *key;   /* "core.remote", "remote.origin.url" */
	char *value;
	dv_config_level level;
	int line;    /* in the level's file */
} dv_config_entry;

typedef struct dv_config dv_config;

/* Load every level; `dvdir` (the repo's .dv directory) may be NULL outside
 * a repository.  Environment: DV_CONFIG_SYSTEM / DV_CONFIG_GLOBAL override
 * the first two paths (tests use them), else /etc/dv/config and
 * $XDG_CONFIG_HOME/dv/config or ~/.config/dv/config. */
int dv_config_load(dv_config **out, const char *dvdir);
void dv_config_free(dv_config *cfg);

/* The winning value, or NULL. */
const char *dv_config_get(const dv_config *cfg, const char *key);
/* Parse a boolean (true/false/yes/no/on/off/1/0); missing → dflt. */
int dv_config_get_bool(const dv_config *cfg, const char *key, bool dflt, bool *out);
/* Every entry, in file order, all levels (later levels later). */
size_t dv_config_count(const dv_config *cfg);
const dv_config_entry *dv_config_entry_at(const dv_config *cfg, size_t i);
/* Names of configured remotes, sorted. */
void dv_config_remote_names(dv_strvec *out, const dv_config *cfg);

/* File path for a level. */
int dv_config_path(dv_buf *out, dv_config_level level, const char *dvdir);
/* The file a loaded level came from (NULL for repo levels outside a repo). */
const char *dv_config_level_file(const dv_config *cfg, dv_config_level level);
/* "system", "global", "repo", "local". */
const char *dv_config_level_name(dv_config_level level);
/* Whole number >= 0 (jobs, port); missing → dflt. */
int dv_config_get_uint(const dv_config *cfg, const char *key, unsigned long dflt, unsigned long *out);
/* The winning value of `key` among the entries of one level, or NULL. */
const char *dv_config_get_at_level(const dv_config *cfg, const char *key, dv_config_level level);

/* Is this a key dv knows?  Unknown keys are an error naming the key. */
int dv_config_check_key(const char *key);
/* Keys that hold secrets may only be written to config.local / global. */
bool dv_config_key_is_secret(const char *key);
/* Is `value` acceptable for the known `key` (booleans, numbers, cache.type
 * lists, remote names)?  The loader checks every value this way. */
int dv_config_check_value(const char *key, const char *value);
/* A duration such as "24h", "30m", "1h30m", "7d" (units s m h d w) or
 * "0", in nanoseconds; errors name `key`. */
int dv_config_parse_duration(int64_t *ns_out, const char *text, const char *key);
/* gc.remote_grace in nanoseconds: DV_REMOTE_GRACE_DEFAULT_NS unless set
 * ("0" turns it off).  gc -c keeps remote objects younger than this, and
 * a packed remote keeps a retired pack that long (dv-remote(5)). */
#define DV_REMOTE_GRACE_DEFAULT_NS (24LL * 3600 * 1000000000LL)
int dv_config_remote_grace(int64_t *ns_out, const dv_config *cfg);
/* Remote names: [A-Za-z0-9._-], short enough that [remote "NAME"] fits
 * inih's 49-byte section names (at most DV_CONFIG_REMOTE_NAME_MAX bytes). */
#define DV_CONFIG_REMOTE_NAME_MAX 40
int dv_config_check_remote_name(const char *name);

/* Set (value != NULL) or unset (value == NULL) `key` in the file at `path`,
 * keeping everything else; the file is created if missing.  Unsetting a key
 * that is not there is DV_ENOTFOUND.  Atomic. */
int dv_config_write(const char *path, const char *key, const char *value);
/* Remove a whole section, e.g. remote "NAME" (for `dv remote remove`). */
int dv_config_remove_section(const char *path, const char *section, const char *subsection);
/* Rename remote OLD to NEW in the repository's files (.dv/config and
 * .dv/config.local under `dvdir`): every [remote "OLD"] header, and a
 * core.remote naming OLD.  Both files are read and checked before either
 * is written, and if the second cannot be replaced the first gets its old
 * text back.  DV_ENOTFOUND when neither file holds [remote "OLD"];
 * DV_EEXISTS when one holds [remote "NEW"].  `changed` (may be NULL)
 * tells, per level, which files were rewritten. */
int dv_config_rename_remote(bool changed[DV_CONFIG_LEVELS], const char *dvdir, const char *old_name,
			    const char *new_name);

#endif
