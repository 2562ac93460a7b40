/*
 * template.h - stage templates: a .stage file with a `foreach` list or a
 * [matrix] section stands for one stage per item (DVC's foreach/matrix).
 *
 *   [matrix]                        [stage]
 *   model = cnn, xgb                foreach = us, eu
 *   lr = 0.1, 0.01                  cmd = ./prep ${item}
 *   [stage]
 *   cmd = ./train ${item.model} ${item.lr}
 *
 * expand to train@cnn-0.1, train@cnn-0.01, train@xgb-0.1, train@xgb-0.01
 * (keys in file order, the first varying slowest) and prep@us, prep@eu,
 * with ${item} / ${item.KEY} replaced in cmd, desc, dep and out paths and
 * param files and keys.
 *
 * Each instance is an ordinary stage whose .stage file is NAME@ITEM.stage
 * beside the template: repro records the instance's state there (full and
 * canonical, so git diffs read as for any stage), and nothing but its
 * recorded hashes and values is taken from it: the definition always
 * comes from the template.  The template file itself is never written by
 * dv.  Instance files whose item the template no longer lists are
 * ignored (remove them with git rm).
 *
 * dv_stage_parse strips the template lines (replacing them with comments,
 * so line numbers in errors stay right) before the ordinary parse; the
 * loaders then call dv_stages_expand_templates on what they read.  An
 * instance is made by substituting its item into that text and parsing
 * the result as NAME@ITEM.stage, so every key a .stage file may hold
 * carries over, and errors name the instance.  Items are restricted to
 * letters, digits and "._+-" so they substitute into INI text,
 * paths and file names unharmed.
 */
#ifndef DV_TEMPLATE_H
#define DV_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "dv/buf.h"

struct dv_stage;

typedef struct dv_stage_template {
	dv_strvec keys;     /* [matrix] keys in file order; none for foreach */
	dv_vec lists;       /* dv_strvec per key (one for foreach): the items */
	char *text;         /* the file without its template lines */
	size_t len;
} dv_stage_template;

/* If `text` is a template, set *out (else NULL) and put into `stripped`
 * the text without the template lines.  Errors name `stage_path` and line. */
int dv_template_strip(dv_stage_template **out, dv_buf *stripped, const char *stage_path, const char *text,
		      size_t len);
void dv_stage_template_free(dv_stage_template *t);

/* The instances of template stage `tmpl` (dv_stage*, appended to `out`),
 * without recorded state. */
int dv_stage_template_expand(dv_vec *out, const struct dv_stage *tmpl);

/* Replace every template in `stages` (dv_stage*) by its instances, each
 * carrying what its NAME@ITEM.stage file in `stages` recorded; those
 * files are consumed, and a template's stale ones dropped. */
int dv_stages_expand_templates(dv_vec *stages);

/* "train@a-b" -> does it name an instance of the template at `tmpl_path`
 * ("dir/train.stage")? */
bool dv_stage_is_instance_of(const struct dv_stage *st, const char *tmpl_path);

#endif
