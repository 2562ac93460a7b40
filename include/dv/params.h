/*
 * params.h - parameter files flattened to dotted keys -> value text, from
 * the work tree or from a git revision, and edits of one value that keep
 * the rest of the file byte for byte.
 *
 * The format follows the extension: YAML (.yaml, .yml; libyaml), JSON
 * (.json; jansson), INI (.ini, .cfg, .conf; the system inih).  Nested
 * mappings give keys "a.b.c"; a mapping below the top is also a param of
 * its own (its whole value, so a stage may depend on "train"); a list is
 * one value, written "[1, 2, \"a\"]".  Values compare by value
 * (dv_param_values_equal): 0.1 equals 0.10 and [1, 2] equals [1.0, 2], so
 * reformatting a file does not make stages stale.  A params set memoises
 * files by path so a pipeline of 200 stages reading one file parses it once.
 */
#ifndef DV_PARAMS_H
#define DV_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dv/buf.h"
#include "dv/repo.h"

/* The default params file of a stage, relative to the stage's directory:
 * params.yaml when it exists there, else params.ini (as DVC users expect). */
#define DV_PARAMS_DEFAULT_YAML "params.yaml"
#define DV_PARAMS_DEFAULT_FILE "params.ini"
/* DV_PARAMS_DEFAULT_YAML if `dir` (absolute, or relative to the current
 * directory; "" for the current one) holds it, else DV_PARAMS_DEFAULT_FILE. */
const char *dv_params_default_file(const char *dir);

typedef enum {
	DV_PARAMS_INI,
	DV_PARAMS_YAML,
	DV_PARAMS_JSON,
} dv_params_format;

/* The format of a params file by its extension; an unsupported one is an
 * error naming it ("'p.toml': TOML params files are not supported ..."). */
int dv_params_format_of(dv_params_format *out, const char *path);

/* The format a file's extension names, upper-cased for messages ("TOML"
 * for "p.toml"), or NULL without an extension; the caller frees it. */
char *dv_file_format_name(const char *path);

typedef struct {
	char *key;   /* "section.key"; keys before any section are bare */
	char *value;
	bool composite; /* a whole mapping (YAML/JSON); not shown by diffs */
} dv_param_kv;

typedef struct {
	char *name;  /* for messages: the path as the user knows it */
	dv_vec kv;   /* dv_param_kv, sorted by key, unique */
} dv_params;

/* Parse params text in the format of `name`'s extension; `name` names the
 * file in errors ("cannot read 'params.ini' line 4: ...").  INI: lines
 * longer than inih's limit are refused (inih would cut them silently), a
 * key repeated on an indented line continues the value (joined with one
 * space), a key repeated later in the same section replaces the earlier
 * value.  YAML and JSON: the top level must be a mapping. */
int dv_params_parse(dv_params **out, const char *name, const char *text, size_t len);
/* YAML or JSON text as a tree whose top level is a mapping (errors name
 * `name` and the line). */
int dv_params_load_tree(json_t **out, dv_params_format fmt, const char *name, const char *text, size_t len);
/* A value as dv records it: strings as they are (quoted inside lists and
 * mappings), numbers in their shortest exact form, lists "[1, 2]",
 * mappings {"k": v}. */
void dv_params_value_text(dv_buf *out, json_t *v, bool quote_strings);
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

/* Split a `-p` argument item "[FILE:]KEY" (FILE defaulting to `dflt`). */
void dv_param_spec_split(char **file, char **key, const char *spec, const char *dflt);

/* Do two recorded values mean the same?  Equal text, or both numbers of
 * equal value, or lists/mappings (as dv writes them) equal item by item. */
bool dv_param_values_equal(const char *a, const char *b);

/* Set the value of `key` in params text (format by `name`), keeping every
 * other byte: comments, blank lines, key order, quoting style.  `value` is
 * written as YAML/JSON reads it back: a number, true/false/null or a
 * [list] as it is, anything else as a string (quoted where needed).  The
 * key must exist already (DV_ENOTFOUND otherwise). */
int dv_params_edit_text(dv_buf *out, const char *name, const char *text, size_t len, const char *key,
			const char *value);
/* The same on the file at `path` (replaced atomically); `name` for errors. */
int dv_params_edit_file(const char *path, const char *name, const char *key, const char *value);

#endif
