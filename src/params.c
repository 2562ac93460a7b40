/*
 * params.c - INI params files flattened to "section.key" -> value.
 *
 * Parsing goes through dv_ini_parse (the system inih behind the checks
 * that keep its compiled-in limits from mangling a file silently), so a
 * params file is read exactly as the stage's own program reads it with
 * inih: values as written, inline "; comments" cut.  Entries are collected
 * in file order and reduced to one value per key at the end (a later
 * assignment wins), which keeps the callback trivial and the lookup a
 * binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/ini.h"
#include "dv/params.h"

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

	*out = NULL;
	if ((rc = dv_ini_parse(name, text, len, 0, on_item, &ps)) < 0)
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
	dv_param_kv probe = { (char *)key, NULL };
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

void dv_param_spec_split(char **file, char **key, const char *spec)
{
	const char *colon = strrchr(spec, ':');
	if (colon) {
		*file = dv_strndup(spec, (size_t)(colon - spec));
		*key = dv_strdup(colon + 1);
	} else {
		*file = dv_strdup(DV_PARAMS_DEFAULT_FILE);
		*key = dv_strdup(spec);
	}
}
