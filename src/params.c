/*
 * params.c - params files (INI, YAML, JSON) flattened to dotted key ->
 * value text, and the comparison of recorded values.
 *
 * INI goes through dv_ini_parse (the system inih behind the checks that
 * keep its compiled-in limits from mangling a file silently), so a params
 * file is read exactly as the stage's own program reads it with inih:
 * values as written, inline "; comments" cut.  YAML (libyaml, dv_yaml_load)
 * and JSON (jansson) both become jansson trees and share one flattening.
 * Entries are collected in file order and reduced to one value per key at
 * the end (a later assignment wins), which keeps the readers trivial and
 * the lookup a binary search.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/ini.h"
#include "dv/metrics.h"
#include "dv/params.h"
#include "dv/yaml.h"

const char *dv_params_default_file(const char *dir)
{
	char *path = *dir ? dv_asprintf("%s/%s", dir, DV_PARAMS_DEFAULT_YAML) : dv_strdup(DV_PARAMS_DEFAULT_YAML);
	bool yaml = dv_path_exists(path);
	free(path);
	return yaml ? DV_PARAMS_DEFAULT_YAML : DV_PARAMS_DEFAULT_FILE;
}

int dv_params_format_of(dv_params_format *out, const char *path)
{
	const char *base = dv_path_basename(path), *dot = strrchr(base, '.');
	static const struct {
		const char *ext;
		dv_params_format fmt;
	} known[] = {
		{ ".yaml", DV_PARAMS_YAML }, { ".yml", DV_PARAMS_YAML }, { ".json", DV_PARAMS_JSON },
		{ ".ini", DV_PARAMS_INI },   { ".cfg", DV_PARAMS_INI },  { ".conf", DV_PARAMS_INI },
	};
	char *format;
	int rc;

	for (size_t i = 0; dot && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcasecmp(dot, known[i].ext)) {
			*out = known[i].fmt;
			return 0;
		}
	if (!(format = dv_file_format_name(path)))
		return dv_error(DV_EUSAGE, "params file '%s' has no extension: dv reads YAML (.yaml, .yml), "
				"JSON (.json) and INI (.ini) params files", path);
	rc = dv_error(DV_EUSAGE, "params file '%s': %s params files are not supported; dv reads YAML "
		      "(.yaml, .yml), JSON (.json) and INI (.ini)", path, format);
	free(format);
	return rc;
}

char *dv_file_format_name(const char *path)
{
	const char *base = dv_path_basename(path), *dot = strrchr(base, '.');
	char *upper;

	if (!dot || dot == base || !dot[1])
		return NULL;
	upper = dv_strdup(dot + 1);
	for (char *c = upper; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return upper;
}

typedef struct {
	dv_vec entries; /* dv_param_kv, file order */
} parse_state;

static int on_item(void *user, const dv_ini_item *item)
{
	parse_state *ps = user;
	dv_param_kv *kv;

	if (!item->name)
		return 0; /* a section header */
	if (item->continuation && ps->entries.n) {
		/* An indented line continues the value, joined with one
		 * space as in .stage files. */
		kv = dv_vec_at(&ps->entries, dv_param_kv, ps->entries.n - 1);
		char *joined = dv_asprintf("%s %s", kv->value, item->value);
		free(kv->value);
		kv->value = joined;
		return 0;
	}
	kv = dv_vec_push(&ps->entries);
	kv->key = *item->section ? dv_asprintf("%s.%s", item->section, item->name) : dv_strdup(item->name);
	kv->value = dv_strdup(item->value);
	return 0;
}

void dv_params_value_text(dv_buf *out, json_t *v, bool quote_strings)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *child;
		bool first = true;
		dv_buf_putc(out, '{');
		json_object_foreach(v, k, child) {
			json_t *ks = json_string(k);
			char *q = json_dumps(ks, JSON_ENCODE_ANY);
			dv_buf_printf(out, "%s%s: ", first ? "" : ", ", q);
			free(q);
			json_decref(ks);
			dv_params_value_text(out, child, true);
			first = false;
		}
		dv_buf_putc(out, '}');
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *child;
		dv_buf_putc(out, '[');
		json_array_foreach(v, i, child) {
			if (i)
				dv_buf_puts(out, ", ");
			dv_params_value_text(out, child, true);
		}
		dv_buf_putc(out, ']');
		break;
	}
	case JSON_STRING:
		if (quote_strings) {
			char *q = json_dumps(v, JSON_ENCODE_ANY);
			dv_buf_puts(out, q);
			free(q);
		} else {
			dv_buf_add(out, json_string_value(v), json_string_length(v));
		}
		break;
	case JSON_INTEGER:
		dv_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		dv_metrics_format_number(out, json_real_value(v));
		break;
	case JSON_TRUE:
		dv_buf_puts(out, "true");
		break;
	case JSON_FALSE:
		dv_buf_puts(out, "false");
		break;
	case JSON_NULL:
		dv_buf_puts(out, "null");
		break;
	}
}

/* A mapping gives an entry per child (and one for itself below the top,
 * so a stage can depend on a whole section); anything else is one value. */
static void flatten_tree(parse_state *ps, dv_buf *key, json_t *v, bool top)
{
	size_t keylen = key->len;
	dv_buf text = DV_BUF_INIT;
	dv_param_kv *kv;

	if (!top || !json_is_object(v)) {
		dv_params_value_text(&text, v, false);
		kv = dv_vec_push(&ps->entries);
		kv->key = dv_strdup(key->ptr);
		kv->value = dv_buf_detach(&text);
		kv->composite = json_is_object(v);
	}
	if (json_is_object(v)) {
		const char *k;
		json_t *child;
		json_object_foreach(v, k, child) {
			if (keylen)
				dv_buf_putc(key, '.');
			dv_buf_puts(key, k);
			flatten_tree(ps, key, child, false);
			dv_buf_truncate(key, keylen);
		}
	}
	dv_buf_free(&text);
}

int dv_params_load_tree(json_t **out, dv_params_format fmt, const char *name, const char *text, size_t len)
{
	json_error_t err;
	int rc;

	*out = NULL;
	if (fmt == DV_PARAMS_YAML) {
		if ((rc = dv_yaml_load(out, name, text, len)) < 0)
			return rc;
	} else {
		if (!(*out = json_loadb(text, len, 0, &err)))
			return dv_error(DV_ERROR, "cannot read '%s' line %d column %d: %s", name, err.line,
					err.column, err.text);
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return dv_error(DV_ERROR, "cannot read '%s': the top level must be a mapping of keys to values", name);
	}
	return 0;
}

static int parse_tree(parse_state *ps, dv_params_format fmt, const char *name, const char *text, size_t len)
{
	dv_buf key = DV_BUF_INIT;
	json_t *root;
	int rc;

	if ((rc = dv_params_load_tree(&root, fmt, name, text, len)) < 0)
		return rc;
	dv_buf_puts(&key, "");
	flatten_tree(ps, &key, root, true);
	json_decref(root);
	dv_buf_free(&key);
	return 0;
}

static int cmp_kv(const void *a, const void *b)
{
	const dv_param_kv *x = a, *y = b;
	return strcmp(x->key, y->key);
}

static int cmp_pos(const void *a, const void *b, void *entries)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(dv_vec_at((dv_vec *)entries, dv_param_kv, i)->key,
		       dv_vec_at((dv_vec *)entries, dv_param_kv, j)->key);
	return c ? c : (i < j ? -1 : i > j);
}

int dv_params_parse(dv_params **out, const char *name, const char *text, size_t len)
{
	parse_state ps = { DV_VEC_INIT(dv_param_kv) };
	dv_params *p = NULL;
	size_t *idx = NULL;
	int rc;

	dv_params_format fmt;

	*out = NULL;
	if ((rc = dv_params_format_of(&fmt, name)) < 0)
		goto done;
	rc = fmt == DV_PARAMS_INI ? dv_ini_parse(name, text, len, 0, on_item, &ps)
				  : parse_tree(&ps, fmt, name, text, len);
	if (rc < 0)
		goto done;
	p = dv_calloc(1, sizeof(*p));
	p->name = dv_strdup(name);
	p->kv = (dv_vec)DV_VEC_INIT(dv_param_kv);
	/* Sort positions by (key, position) and keep the last of each run,
	 * so a later assignment of a key replaces an earlier one. */
	idx = dv_malloc((ps.entries.n ? ps.entries.n : 1) * sizeof(*idx));
	for (size_t i = 0; i < ps.entries.n; i++)
		idx[i] = i;
	if (ps.entries.n > 1)
		qsort_r(idx, ps.entries.n, sizeof(*idx), cmp_pos, &ps.entries);
	for (size_t i = 0; i < ps.entries.n; i++) {
		dv_param_kv *src = dv_vec_at(&ps.entries, dv_param_kv, idx[i]);
		if (i + 1 < ps.entries.n &&
		    !strcmp(src->key, dv_vec_at(&ps.entries, dv_param_kv, idx[i + 1])->key)) {
			free(src->key);
			free(src->value);
			continue;
		}
		*(dv_param_kv *)dv_vec_push(&p->kv) = *src;
	}
	ps.entries.n = 0;
	*out = p;
done:
	for (size_t i = 0; i < ps.entries.n; i++) {
		free(dv_vec_at(&ps.entries, dv_param_kv, i)->key);
		free(dv_vec_at(&ps.entries, dv_param_kv, i)->value);
	}
	dv_vec_free(&ps.entries);
	free(idx);
	return rc;
}

int dv_params_load(dv_params **out, const char *path, const char *name)
{
	dv_buf text = DV_BUF_INIT;
	int rc;

	*out = NULL;
	if ((rc = dv_read_file(&text, path)) < 0)
		goto done;
	rc = dv_params_parse(out, name, text.ptr, text.len);
done:
	dv_buf_free(&text);
	return rc;
}

const char *dv_params_get(const dv_params *p, const char *key)
{
	dv_param_kv probe = { (char *)key, NULL, false };
	const dv_param_kv *kv;

	if (!p || !p->kv.n)
		return NULL;
	kv = bsearch(&probe, p->kv.items, p->kv.n, sizeof(dv_param_kv), cmp_kv);
	return kv ? kv->value : NULL;
}

void dv_params_free(dv_params *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->kv.n; i++) {
		free(dv_vec_at(&p->kv, dv_param_kv, i)->key);
		free(dv_vec_at(&p->kv, dv_param_kv, i)->value);
	}
	dv_vec_free(&p->kv);
	free(p->name);
	free(p);
}

typedef struct {
	char *relpath;
	dv_params *params; /* NULL: the file does not exist */
} set_entry;

struct dv_params_set {
	dv_repo *repo;
	char *rev;
	dv_vec files; /* set_entry */
};

dv_params_set *dv_params_set_new(dv_repo *repo, const char *rev)
{
	dv_params_set *set = dv_calloc(1, sizeof(*set));
	set->repo = repo;
	set->rev = rev ? dv_strdup(rev) : NULL;
	set->files = (dv_vec)DV_VEC_INIT(set_entry);
	return set;
}

static int load_entry(dv_params **out, dv_params_set *set, const char *relpath)
{
	dv_buf text = DV_BUF_INIT;
	int rc;

	if (set->rev) {
		char *name = dv_asprintf("%s:%s", set->rev, relpath);
		rc = dv_git_read_blob(&text, set->repo, set->rev, relpath);
		if (rc == 0)
			rc = dv_params_parse(out, name, text.ptr, text.len);
		free(name);
	} else {
		dv_repo_abspath(&text, set->repo, relpath);
		rc = dv_params_load(out, text.ptr, relpath);
	}
	dv_buf_free(&text);
	return rc;
}

int dv_params_set_get(const dv_params **out, dv_params_set *set, const char *relpath)
{
	set_entry *e = NULL;
	dv_params *p = NULL;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < set->files.n; i++) {
		e = dv_vec_at(&set->files, set_entry, i);
		if (!strcmp(e->relpath, relpath)) {
			*out = e->params;
			return e->params ? 0 : dv_error(DV_ENOTFOUND, "params file '%s' does not exist", relpath);
		}
	}
	rc = load_entry(&p, set, relpath);
	if (rc < 0 && rc != DV_ENOTFOUND)
		return rc;
	e = dv_vec_push(&set->files);
	e->relpath = dv_strdup(relpath);
	e->params = p;
	*out = p;
	return p ? 0 : dv_error(DV_ENOTFOUND, "params file '%s' does not exist", relpath);
}

void dv_params_set_free(dv_params_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->files.n; i++) {
		set_entry *e = dv_vec_at(&set->files, set_entry, i);
		free(e->relpath);
		dv_params_free(e->params);
	}
	dv_vec_free(&set->files);
	free(set->rev);
	free(set);
}

void dv_param_spec_split(char **file, char **key, const char *spec, const char *dflt)
{
	const char *colon = strrchr(spec, ':');
	if (colon) {
		*file = dv_strndup(spec, (size_t)(colon - spec));
		*key = dv_strdup(colon + 1);
	} else {
		*file = dv_strdup(dflt);
		*key = dv_strdup(spec);
	}
}

static bool as_number(double *out, const char *s)
{
	char *end = NULL;
	errno = 0;
	*out = strtod(s, &end);
	return *s && end && !*end && errno == 0 && isfinite(*out) && !strchr(" \t\n", *s);
}

static bool json_values_equal(json_t *a, json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_values_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a)) {
		const char *k;
		json_t *child;
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach(a, k, child) {
			json_t *other = json_object_get(b, k);
			if (!other || !json_values_equal(child, other))
				return false;
		}
		return true;
	}
	return json_equal(a, b);
}

bool dv_param_values_equal(const char *a, const char *b)
{
	double x, y;
	bool eq = false;

	if (!strcmp(a, b))
		return true;
	if (as_number(&x, a) && as_number(&y, b))
		return x == y;
	if ((*a == '[' || *a == '{') && *a == *b) {
		json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
		eq = ja && jb && json_values_equal(ja, jb);
		json_decref(ja);
		json_decref(jb);
	}
	return eq;
}
