/*
 * stage.h - .stage files (SPEC ".stage format"): parse with the system inih,
 * write canonically (fixed section and key order) and atomically.
 *
 * A data stage (`dv add`) has [out] entries only; a command stage
 * (`dv stage add`) has a [stage] section with cmd, and [dep], [param], [out]
 * entries.  Paths inside are relative to the directory holding the .stage
 * file.  Values that inih would mangle (a ';' after blank, leading/trailing
 * blanks, control characters, surrounding quotes) are written as C-escaped
 * double-quoted strings; long cmd/desc values are folded onto indented
 * continuation lines and joined with one space on reading.
 */
#ifndef DV_STAGE_H
#define DV_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "dv/buf.h"
#include "dv/hash.h"
#include "dv/ini.h" /* DV_INI_MAX_LINE, dv_ini_quote_value, dv_ini_unquote_value */

#define DV_STAGE_SUFFIX ".stage"

/* How an out marked `plot = true` is drawn (dv-plots(1)): the [out] keys
 * template, x, y (repeated, one field a line), title, x_label, y_label.
 * Unset fields are NULL (y empty); the plots module picks defaults. */
typedef struct {
	char *template; /* one of dv_plot_templates */
	char *x;
	dv_strvec y;
	char *title;
	char *x_label;
	char *y_label;
} dv_plot_props;

/* The plot templates, NULL-terminated: linear, scatter, smooth, bar,
 * confusion, confusion_normalized. */
extern const char *const dv_plot_templates[];
/* Index of `name` in dv_plot_templates, or -1. */
int dv_plot_template_index(const char *name);
/* An empty dv_plot_props (free with dv_plot_props_free). */
dv_plot_props *dv_plot_props_new(void);
dv_plot_props *dv_plot_props_dup(const dv_plot_props *p);
void dv_plot_props_free(dv_plot_props *p);
/* Do the props hold anything? (NULL: no) */
bool dv_plot_props_any(const dv_plot_props *p);

typedef struct {
	char *path;     /* relative to the stage's directory */
	bool has_hash;  /* false: declared but never run / never committed */
	dv_hash hash;
	bool is_dir;    /* hash names a manifest (".dir") */
	bool has_size;
	uint64_t size;
	bool has_files;
	uint64_t files; /* number of files, directories only */
	bool cache;     /* outs: default true */
	bool persist;
	bool metric;
	bool plot;
	dv_plot_props *plot_props; /* outs: owned; NULL when no property is set */
} dv_stage_file;

typedef struct {
	char *file;  /* params file, relative to the stage's directory */
	char *key;   /* "section.key" */
	char *value; /* recorded value; NULL when never run */
} dv_stage_param;

/* [source]: where `dv import` took a data stage's out from, so
 * `dv update` can follow it. */
typedef struct {
	char *url;      /* the source repository, as given to dv import */
	char *rev;      /* the revision asked for; NULL: the default branch */
	char *rev_lock; /* the commit it resolved to (40 hex) */
	char *path;     /* the path in the source repository; NULL for a URL
			 * (`dv import-url`: s3://, http(s)://, ssh://) */
	/* A URL's state when fetched, what `dv update` compares: the
	 * store's ETag (when it gives one), size and mtime (seconds). */
	char *etag;
	bool has_size, has_mtime;
	uint64_t size;
	int64_t mtime;
} dv_stage_source;

/* [slurm]: what a command stage asks of the cluster when `dv repro
 * --executor slurm` submits it (sbatch options; NULL: the config's
 * exec.slurm.* default, or Slurm's).  Not part of the definition hash:
 * where a stage runs does not change what it computes. */
#define DV_SLURM_KEYS 6
extern const char *const dv_stage_slurm_keys[DV_SLURM_KEYS]; /* partition cpus mem time gres args */

typedef struct dv_stage {
	char *path;  /* the .stage file, relative to the repository root */
	char *dir;   /* its directory, relative to the root ("" at the root) */
	char *name;  /* file name without ".stage" */
	bool is_command; /* has a [stage] section */
	char *cmd;   /* NULL for data stages */
	char *desc;
	bool always_changed;
	bool frozen;
	/* [stage] hash: the hash of the stage's definition (cmd, dep paths,
	 * out paths and flags, param keys) when it last ran or was committed,
	 * so an edited cmd makes the stage stale (DVC's stage md5 did this). */
	bool has_def_hash;
	dv_hash def_hash;
	dv_vec deps;   /* dv_stage_file */
	dv_vec outs;   /* dv_stage_file */
	dv_vec params; /* dv_stage_param */
	dv_stage_source *source; /* data stages from `dv import`; NULL otherwise */
	struct dv_stage_template *tmpl; /* foreach/[matrix] template; NULL otherwise (template.h) */
	char *slurm[DV_SLURM_KEYS]; /* [slurm] values, in dv_stage_slurm_keys order */
} dv_stage;

#define dv_stage_dep(st, i) dv_vec_at(&(st)->deps, dv_stage_file, i)
#define dv_stage_out(st, i) dv_vec_at(&(st)->outs, dv_stage_file, i)
#define dv_stage_param_at(st, i) dv_vec_at(&(st)->params, dv_stage_param, i)

/* A new empty stage for the .stage file at repo-relative `stage_path`. */
dv_stage *dv_stage_new(const char *stage_path);
/* Parse text (from the work tree or a git blob).  `stage_path` is
 * repo-relative and used for the stage's name, dir and error messages
 * ("cannot read 'x.stage' line 3: ..."). */
int dv_stage_parse(dv_stage **out, const char *stage_path, const char *text, size_t len);
/* The first line (1-based) of `text` that is a git merge-conflict marker
 * ("<<<<<<< ", "=======", ">>>>>>> ", "||||||| "), or 0.  dv_stage_parse
 * refuses such text with DV_ECONFLICT and a message naming the way out. */
int dv_stage_conflict_line(const char *text, size_t len);
/* Does `text` have a [stage] section (a command stage), even unparsable? */
bool dv_stage_text_is_command(const char *text, size_t len);
/* Read <root>/<stage_path> and parse it. */
int dv_stage_load(dv_stage **out, const char *root, const char *stage_path);
/* The same for a file dv_workspace_find_stages listed (a regular file):
 * read without asking its size first (dv_read_listed_file). */
int dv_stage_load_listed(dv_stage **out, const char *root, const char *stage_path);
/* Canonical text; fails (naming the path) if a path cannot fit on a line. */
int dv_stage_serialize(dv_buf *out, const dv_stage *st);
/* Serialise and write atomically to <root>/<st->path>. */
int dv_stage_save(const dv_stage *st, const char *root);
void dv_stage_free(dv_stage *st);
/* Set (replacing) the [source] of a data stage; rev may be NULL. */
void dv_stage_set_source(dv_stage *st, const char *url, const char *rev, const char *rev_lock,
			 const char *path);

dv_stage_file *dv_stage_add_dep(dv_stage *st, const char *path);
dv_stage_file *dv_stage_add_out(dv_stage *st, const char *path); /* cache = true */
dv_stage_param *dv_stage_add_param(dv_stage *st, const char *file, const char *key, const char *value);

/* Repo-relative path of an entry: dir + "/" + entry path, normalised. */
char *dv_stage_entry_relpath(const dv_stage *st, const char *entry_path);
/* May `entry_path` (relative to the stage's directory) appear in this stage?
 * Refuses empty and absolute paths, paths leaving the repository through
 * "..", the repository root itself, and paths inside .git or .dv.  The
 * message names the path, without the file (callers add context). */
int dv_stage_check_entry_path(const dv_stage *st, const char *entry_path);

/* cmd and desc are folded onto indented lines so lines stay within this
 * width where word boundaries allow (longer words up to DV_INI_MAX_LINE). */
#define DV_STAGE_FOLD_WIDTH 79

#endif
