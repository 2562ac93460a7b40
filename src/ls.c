/*
 * ls.c - listing a dv repository at a revision from its git objects.
 *
 * Every file of the commit's tree (sizes from object headers) and every
 * out of its .stage files become one flat, sorted list of leaves; a
 * listing is the leaves below the path, folded into one entry per child
 * (files and directories, with summed sizes) unless recursive.  Inside a
 * tracked directory the leaves come from its manifest instead.
 */
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/ls.h"
#include "dv/stage.h"

void dv_ls_free(dv_vec *entries)
{
	for (size_t i = 0; i < entries->n; i++)
		free(dv_vec_at(entries, dv_ls_entry, i)->path);
	dv_vec_free(entries);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const dv_ls_entry *)a)->path, ((const dv_ls_entry *)b)->path);
}

static void sort_entries(dv_vec *v)
{
	if (v->n > 1)
		qsort(v->items, v->n, sizeof(dv_ls_entry), cmp_entry);
}

/* Every git file and every out with a recorded hash, repo-relative. */
static int collect_leaves(dv_vec *leaves, dv_source *s)
{
	dv_vec files = DV_VEC_INIT(dv_git_file);
	dv_buf text = DV_BUF_INIT;
	dv_repo *repo = dv_source_repo(s);
	const char *commit = dv_source_commit(s);
	int rc;

	if ((rc = dv_git_list_files(&files, repo, commit)) < 0)
		goto done;
	for (size_t i = 0; i < files.n; i++) {
		dv_git_file *f = dv_vec_at(&files, dv_git_file, i);
		dv_ls_entry *e = dv_vec_push(leaves);
		e->path = dv_strdup(f->path);
		e->size = f->size;
		e->exec = f->exec;
	}
	for (size_t i = 0; i < files.n; i++) {
		const char *p = dv_vec_at(&files, dv_git_file, i)->path;
		size_t n = strlen(p), sl = strlen(DV_STAGE_SUFFIX);
		dv_stage *st = NULL;
		if (n <= sl || strcmp(p + n - sl, DV_STAGE_SUFFIX))
			continue;
		if ((rc = dv_git_read_blob(&text, repo, commit, p)) < 0)
			goto done;
		if ((rc = dv_stage_parse(&st, p, text.ptr, text.len)) < 0) {
			rc = dv_error_wrap(rc, "in the repository '%s' at commit %.7s", dv_source_url(s), commit);
			goto done;
		}
		for (size_t j = 0; j < st->outs.n; j++) {
			dv_stage_file *o = dv_stage_out(st, j);
			char *rel;
			/* A template's outs are patterns, not paths; an out never
			 * run has nothing to list. */
			if (!o->has_hash || strstr(o->path, "${"))
				continue;
			rel = dv_stage_entry_relpath(st, o->path);
			dv_ls_entry *e = dv_vec_push(leaves);
			e->path = rel;
			e->is_dir = o->is_dir;
			e->dv = e->is_out = e->has_hash = true;
			e->hash = o->hash;
			e->size = o->has_size ? o->size : 0;
			e->files = o->has_files ? o->files : 0;
		}
		dv_stage_free(st);
	}
	sort_entries(leaves);
done:
	dv_git_files_free(&files);
	dv_buf_free(&text);
	return rc;
}

/* Fold leaves (relative to the listed directory, sorted) into one entry per
 * child: a leaf with a '/' counts towards its first component's directory. */
static void fold(dv_vec *out, const dv_vec *leaves)
{
	for (size_t i = 0; i < leaves->n; i++) {
		const dv_ls_entry *l = dv_vec_at(leaves, dv_ls_entry, i);
		const char *slash = strchr(l->path, '/');
		size_t n = slash ? (size_t)(slash - l->path) : strlen(l->path);
		dv_ls_entry *last = out->n ? dv_vec_at(out, dv_ls_entry, out->n - 1) : NULL;

		if (!slash) {
			dv_ls_entry *e = dv_vec_push(out);
			*e = *l;
			e->path = dv_strdup(l->path);
			continue;
		}
		if (!last || !last->is_dir || strlen(last->path) != n || strncmp(last->path, l->path, n)) {
			last = dv_vec_push(out);
			last->path = dv_strndup(l->path, n);
			last->is_dir = true;
			last->dv = true;
		}
		last->size += l->size;
		last->files += l->is_dir ? l->files : 1;
		last->dv = last->dv && l->dv;
		last->is_out = false;
		last->has_hash = false;
	}
	sort_entries(out);
}

/* The leaves of a tracked directory (hash `h`) below `sub` ("" for all of
 * it), relative to `sub`. */
static int manifest_leaves(dv_vec *leaves, dv_source *s, const dv_hash *h, const char *sub)
{
	dv_manifest m = DV_MANIFEST_INIT;
	size_t n = strlen(sub);
	int rc;

	if ((rc = dv_source_manifest(&m, s, h)) < 0)
		return rc;
	for (size_t i = 0; i < m.entries.n; i++) {
		const dv_manifest_entry *me = dv_vec_at(&m.entries, dv_manifest_entry, i);
		if (n && (strncmp(me->path, sub, n) || me->path[n] != '/'))
			continue;
		dv_ls_entry *e = dv_vec_push(leaves);
		e->path = dv_strdup(me->path + (n ? n + 1 : 0));
		e->dv = e->has_hash = true;
		e->hash = me->hash;
		e->size = me->size;
		e->exec = me->mode == 0755;
	}
	dv_manifest_free(&m);
	return 0;
}

/* A recursive listing shows files: a tracked directory's come from its
 * manifest; when that cannot be had, the directory stands for them. */
static void expand_dirs(dv_vec *out, dv_source *s, const dv_vec *leaves)
{
	dv_vec inner = DV_VEC_INIT(dv_ls_entry);
	for (size_t i = 0; i < leaves->n; i++) {
		const dv_ls_entry *l = dv_vec_at(leaves, dv_ls_entry, i);
		if (l->is_dir && l->has_hash && manifest_leaves(&inner, s, &l->hash, "") == 0) {
			for (size_t k = 0; k < inner.n; k++) {
				dv_ls_entry *e = dv_vec_push(out);
				*e = *dv_vec_at(&inner, dv_ls_entry, k);
				e->path = dv_asprintf("%s/%s", l->path, e->path);
				free(dv_vec_at(&inner, dv_ls_entry, k)->path);
			}
			inner.n = 0;
			continue;
		}
		dv_error_clear();
		dv_ls_entry *e = dv_vec_push(out);
		*e = *l;
		e->path = dv_strdup(l->path);
	}
	dv_vec_free(&inner);
	sort_entries(out);
}

int dv_ls(dv_vec *out, dv_source *s, const char *path, bool recursive)
{
	dv_vec leaves = DV_VEC_INIT(dv_ls_entry), below = DV_VEC_INIT(dv_ls_entry);
	char *norm = dv_path_normalize(path && *path ? path : ".");
	const dv_ls_entry *exact = NULL, *owner = NULL;
	size_t n;
	int rc;

	out->size = sizeof(dv_ls_entry);
	if (!strcmp(norm, "."))
		norm[0] = '\0';
	if (norm[0] == '/' || !strcmp(norm, "..") || !strncmp(norm, "../", 3)) {
		rc = dv_error(DV_EUSAGE, "'%s' is not a path inside the repository", path);
		goto done;
	}
	n = strlen(norm);
	if ((rc = collect_leaves(&leaves, s)) < 0)
		goto done;
	for (size_t i = 0; i < leaves.n; i++) {
		const dv_ls_entry *l = dv_vec_at(&leaves, dv_ls_entry, i);
		if (n && !strcmp(l->path, norm)) {
			exact = l;
		} else if (n && l->is_dir && l->has_hash && dv_path_is_within(norm, l->path)) {
			owner = l;
		} else if (!n || (!strncmp(l->path, norm, n) && l->path[n] == '/')) {
			dv_ls_entry *e = dv_vec_push(&below);
			*e = *l;
			e->path = dv_strdup(l->path + (n ? n + 1 : 0));
		}
	}
	if (exact && !exact->is_dir) {
		dv_ls_entry *e = dv_vec_push(out);
		*e = *exact;
		e->path = dv_strdup(dv_path_basename(exact->path));
		goto done;
	}
	if (exact || owner) {
		const dv_ls_entry *d = exact ? exact : owner;
		dv_ls_free(&below);
		below = (dv_vec)DV_VEC_INIT(dv_ls_entry);
		if ((rc = manifest_leaves(&below, s, &d->hash, exact ? "" : norm + strlen(d->path) + 1)) < 0)
			goto done;
		if (!exact) {
			/* A file inside the tracked directory lists as itself. */
			dv_manifest m = DV_MANIFEST_INIT;
			if (!below.n && (rc = dv_source_manifest(&m, s, &d->hash)) == 0) {
				dv_manifest_entry *me = dv_manifest_find(&m, norm + strlen(d->path) + 1);
				if (me) {
					dv_ls_entry *e = dv_vec_push(out);
					e->path = dv_strdup(dv_path_basename(norm));
					e->dv = e->has_hash = true;
					e->hash = me->hash;
					e->size = me->size;
					e->exec = me->mode == 0755;
				}
			}
			dv_manifest_free(&m);
			if (rc < 0 || out->n)
				goto done;
		}
	}
	if (!below.n && !exact) {
		rc = dv_error(DV_ENOTFOUND, "'%s' is not in the repository '%s' at commit %.7s", path,
			      dv_source_url(s), dv_source_commit(s));
		goto done;
	}
	if (recursive)
		expand_dirs(out, s, &below);
	else
		fold(out, &below);
done:
	dv_ls_free(&leaves);
	dv_ls_free(&below);
	free(norm);
	return rc;
}
