/*
 * params.h - parameter files (INI, read with the system inih) flattened to
 * "section.key" -> value, from the work tree or from a git revision.
 *
 * Stages declare params by file and key (SPEC ".stage format"); staleness
 * compares the recorded value with the file's current one as strings, so
 * `0.1` -> `0.10` counts as a change (the file changed; dv does not guess
 * at numeric equivalence).  A params set memoises files by path so a
 * pipeline of 200 stages reading one params.ini parses it once.
 */
#ifndef DV_PARAMS_H
#define DV_PARAMS_H

#include <stddef.h>

#include "dv/buf.h"
#include "dv/repo.h"

/* The default params file of a stage, relative to the stage's directory. */
#define DV_PARAMS_DEFAULT_FILE "params.ini"

typedef struct {
	char *key;   /* "section.key"; keys before any section are bare */
	char *value;
} dv_param_kv;

typedef struct {
	char *name;  /* for messages: the path as the user knows it */
	dv_vec kv;   /* dv_param_kv, sorted by key, unique */
} dv_params;

/* Parse INI text; `name` names the file in errors ("cannot read
 * 'params.ini' line 4: ...").  Lines longer than inih's limit are refused
 * (inih would cut them silently).  A key repeated on an indented line
 * continues the value (joined with one space); a key repeated later in
 * the same section replaces the earlier value. */
int dv_params_parse(dv_params **out, const char *name, const char *text, size_t len);
/* Read and parse a file; DV_ENOTFOUND when it does not exist. */
int dv_params_load(dv_params **out, const char *path, const char *name);
/* The value of "section.key", or NULL. */
const char *dv_params_get(const dv_params *p, const char *key);
void dv_params_free(dv_params *p);

/* Params files by repo-relative path, read once each, from the work tree
 * (rev == NULL) or from the tree of git revision `rev`. */
typedef struct dv_params_set dv_params_set;
dv_params_set *dv_params_set_new(dv_repo *repo, const char *rev);
/* The parsed file, or NULL with DV_ENOTFOUND when it does not exist (the
 * absence is memoised too); other errors are malformed or unreadable
 * files. */
int dv_params_set_get(const dv_params **out, dv_params_set *set, const char *relpath);
void dv_params_set_free(dv_params_set *set);

/* Split a `-p` argument item "[FILE:]KEY" (FILE defaulting to params.ini). */
void dv_param_spec_split(char **file, char **key, const char *spec);

#endif
