/*
 * yaml.h - YAML documents (params, metrics, DVC's dvc.yaml) read with
 * Debian's libyaml into jansson trees, and the byte span of one value in
 * the text so an edit can replace just those bytes.
 *
 * Everything dv does with structured data already works on jansson trees
 * (JSON metrics and params), so YAML is turned into the same tree and one
 * flattening serves both formats.  Plain scalars are typed as YAML 1.2's
 * core schema says (what ruamel.yaml, DVC's parser, does): null, booleans
 * (true/false in three spellings), integers (decimal, 0x, 0o), floats
 * (with .inf/.nan); quoted and block scalars are strings.  Anchors and
 * aliases are followed.
 */
#ifndef DV_YAML_H
#define DV_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Parse the first document of `text`; `name` names the file in errors:
 * "cannot read 'params.yaml' line 3 column 7: <libyaml's problem>".
 * An empty document gives an empty object. */
int dv_yaml_load(json_t **out, const char *name, const char *text, size_t len);

typedef struct {
	size_t start, end; /* byte offsets of the value's text: [start, end) */
	bool quoted;       /* a single- or double-quoted scalar */
	bool scalar;       /* false: a mapping or a sequence */
	int line;          /* 1-based line of start */
} dv_yaml_span;

/* Where the value of dotted `key` ("train.lr": mapping keys joined with
 * '.') is written in `text`; DV_ENOTFOUND when the document has no such
 * key, other errors as dv_yaml_load. */
int dv_yaml_find(dv_yaml_span *out, const char *name, const char *text, size_t len, const char *key);

#endif
