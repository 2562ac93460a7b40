/*
 * diff.c - data files that differ between two revisions (or a revision and
 * the work tree): outs first, manifests only for outs that changed, one
 * merge over paths, renames paired by hash.
 */
#include <stdlib.h>
#include <string.h>

#include "dv/cache.h"
#include "dv/diff.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/manifest.h"
#include "dv/stage.h"
#include "dv/workspace.h"

/* One cached out as one side has it. */
typedef struct {
	char *path;            /* repo-relative */
	dv_hash hash;
	bool is_dir;
	uint64_t size;
	dv_manifest *listing;  /* the work tree's listing of a directory, owned */
} side_out;

/* One data file (or an unexpandable directory) of one side. */
typedef struct {
	char *path;
	dv_hash hash;
	uint64_t size;
	unsigned mode;  /* 0 when unknown (file outs record no mode) */
	bool is_dir;
} side_file;

const char *dv_diff_kind_name(dv_diff_kind k)
{
	static const char *const names[] = { "added", "deleted", "modified", "renamed" };
	return names[k];
}

void dv_diff_result_free(dv_diff_result *r)
{
	for (size_t i = 0; i < r->entries.n; i++) {
		dv_diff_entry *e = dv_vec_at(&r->entries, dv_diff_entry, i);
		free(e->path);
		free(e->old_path);
	}
	dv_vec_free(&r->entries);
	dv_strvec_free(&r->warnings);
}

static void outs_free(dv_vec *outs)
{
	for (size_t i = 0; i < outs->n; i++) {
		side_out *o = dv_vec_at(outs, side_out, i);
		free(o->path);
		if (o->listing) {
			dv_manifest_free(o->listing);
			free(o->listing);
		}
	}
	dv_vec_free(outs);
}

static void files_free(dv_vec *files)
{
	for (size_t i = 0; i < files->n; i++)
		free(dv_vec_at(files, side_file, i)->path);
	dv_vec_free(files);
}

static void add_stage_outs(dv_vec *outs, const dv_stage *st)
{
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *f = dv_stage_out(st, i);
		side_out *o;
		if (!f->cache || !f->has_hash)
			continue;
		o = dv_vec_push(outs);
		o->path = dv_stage_entry_relpath(st, f->path);
		o->hash = f->hash;
		o->is_dir = f->is_dir;
		o->size = f->size;
	}
}

static int collect_revision(dv_vec *outs, dv_repo *repo, const char *rev)
{
	dv_strvec paths = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT;
	int rc;

	/* Before the first commit HEAD tracks nothing, as in git diff. */
	if (dv_git_rev_is_unborn(repo, rev))
		return 0;
	if ((rc = dv_git_list_tree(&paths, repo, rev, DV_STAGE_SUFFIX)) < 0)
		goto done;
	for (size_t i = 0; i < paths.n; i++) {
		dv_stage *st = NULL;
		if ((rc = dv_git_read_blob(&text, repo, rev, paths.v[i])) < 0)
			goto done;
		if ((rc = dv_stage_parse(&st, paths.v[i], text.ptr, text.len)) < 0) {
			rc = dv_error_wrap(rc, "at revision '%s'", rev);
			goto done;
		}
		add_stage_outs(outs, st);
		dv_stage_free(st);
	}
done:
	dv_strvec_free(&paths);
	dv_buf_free(&text);
	return rc;
}

static int collect_workspace(dv_vec *outs, dv_repo *repo)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_vec recorded = DV_VEC_INIT(side_out);
	int rc;

	if ((rc = dv_workspace_load_stages(&stages, repo)) < 0)
		goto done;
	for (size_t i = 0; i < stages.n; i++)
		add_stage_outs(&recorded, *dv_vec_at(&stages, dv_stage *, i));
	/* The work tree side is what is on disk, not what .stage records. */
	for (size_t i = 0; i < recorded.n; i++) {
		side_out *r = dv_vec_at(&recorded, side_out, i);
		dv_manifest *listing = dv_calloc(1, sizeof(*listing));
		dv_ws_state ws;
		dv_manifest_init(listing);
		if ((rc = dv_workspace_hash(&ws, repo, r->path, listing)) < 0) {
			dv_manifest_free(listing);
			free(listing);
			goto done;
		}
		if (!ws.exists) {
			dv_manifest_free(listing);
			free(listing);
			continue;
		}
		side_out *o = dv_vec_push(outs);
		o->path = dv_strdup(r->path);
		o->hash = ws.hash;
		o->is_dir = ws.is_dir;
		o->size = ws.size;
		if (ws.is_dir) {
			o->listing = listing;
		} else {
			dv_manifest_free(listing);
			free(listing);
		}
	}
done:
	outs_free(&recorded);
	dv_stages_free(&stages);
	return rc;
}

/* qsort of a dv_vec; an empty one has no items pointer to hand over. */
static void sort_vec(dv_vec *v, int (*cmp)(const void *, const void *))
{
	if (v->n > 1)
		qsort(v->items, v->n, v->size, cmp);
}

static int cmp_out_path(const void *a, const void *b)
{
	return strcmp(((const side_out *)a)->path, ((const side_out *)b)->path);
}

static int cmp_file_path(const void *a, const void *b)
{
	return strcmp(((const side_file *)a)->path, ((const side_file *)b)->path);
}

static void push_file(dv_vec *files, char *path, const dv_hash *h, uint64_t size, unsigned mode,
		      bool is_dir)
{
	side_file *f = dv_vec_push(files);
	f->path = path;
	f->hash = *h;
	f->size = size;
	f->mode = mode;
	f->is_dir = is_dir;
}

static void push_listing(dv_vec *files, const char *dir, const dv_manifest *m)
{
	for (size_t i = 0; i < m->entries.n; i++) {
		const dv_manifest_entry *e = dv_vec_at(&m->entries, dv_manifest_entry, i);
		push_file(files, dv_asprintf("%s/%s", dir, e->path), &e->hash, e->size, e->mode, false);
	}
}

/* The listing of a directory out: its own (work tree) or its manifest
 * from the cache.  1 when there is one, 0 when the manifest is missing
 * (with a warning), <0 on a corrupt or malformed manifest. */
static int out_listing(const dv_manifest **out, dv_manifest *scratch, dv_diff_result *res,
		       dv_repo *repo, const side_out *o)
{
	dv_buf text = DV_BUF_INIT;
	char name[64];
	int rc;

	if (o->listing) {
		*out = o->listing;
		return 1;
	}
	dv_hash_format(name, sizeof(name), &o->hash, true);
	rc = dv_cache_read(&text, repo->cache, &o->hash, true);
	if (rc == DV_ENOTFOUND) {
		dv_strvec_push_take(&res->warnings, dv_asprintf("the manifest of '%s' (%s) is not in "
			"the cache, so its files are compared as a whole; 'dv fetch' brings it",
			o->path, name));
		dv_error_clear();
		rc = 0;
	} else if (rc == 0 && (rc = dv_manifest_parse(scratch, text.ptr, text.len, name)) == 0) {
		*out = scratch;
		rc = 1;
	}
	dv_buf_free(&text);
	return rc;
}

static void push_whole(dv_vec *files, const side_out *o)
{
	push_file(files, dv_strdup(o->path), &o->hash, o->size, 0, o->is_dir);
}

/* Add the files of a changed out (`oa` and/or `ob`, at the same path) to
 * each side's list.  When a directory's files cannot be listed, the pair
 * is compared whole, so it shows as one modified directory rather than as
 * a deleted directory and a crowd of added files. */
static int expand_pair(dv_vec *files_a, dv_vec *files_b, dv_diff_result *res, dv_repo *repo,
		       const side_out *oa, const side_out *ob)
{
	dv_manifest sa = DV_MANIFEST_INIT, sb = DV_MANIFEST_INIT;
	const dv_manifest *la = NULL, *lb = NULL;
	bool whole;
	int rc = 0;

	if (oa && oa->is_dir && (rc = out_listing(&la, &sa, res, repo, oa)) < 0)
		goto done;
	if (ob && ob->is_dir && (rc = out_listing(&lb, &sb, res, repo, ob)) < 0)
		goto done;
	whole = (oa && oa->is_dir && !la) || (ob && ob->is_dir && !lb);
	if (oa) {
		if (la && !whole)
			push_listing(files_a, oa->path, la);
		else
			push_whole(files_a, oa);
	}
	if (ob) {
		if (lb && !whole)
			push_listing(files_b, ob->path, lb);
		else
			push_whole(files_b, ob);
	}
done:
	dv_manifest_free(&sa);
	dv_manifest_free(&sb);
	return rc;
}

static dv_diff_entry *add_entry(dv_diff_result *res, dv_diff_kind kind, const char *path)
{
	dv_diff_entry *e = dv_vec_push(&res->entries);
	e->kind = kind;
	e->path = dv_strdup(path);
	return e;
}

static void set_old(dv_diff_entry *e, const side_file *f)
{
	e->has_old = true;
	e->old_hash = f->hash;
	e->old_size = f->size;
	e->is_dir |= f->is_dir;
}

static void set_new(dv_diff_entry *e, const side_file *f)
{
	e->has_new = true;
	e->new_hash = f->hash;
	e->new_size = f->size;
	e->is_dir |= f->is_dir;
}

static void merge_files(dv_diff_result *res, dv_vec *a, dv_vec *b)
{
	sort_vec(a, cmp_file_path);
	sort_vec(b, cmp_file_path);
	for (size_t i = 0, j = 0; i < a->n || j < b->n;) {
		side_file *fa = i < a->n ? dv_vec_at(a, side_file, i) : NULL;
		side_file *fb = j < b->n ? dv_vec_at(b, side_file, j) : NULL;
		int c = !fa ? 1 : !fb ? -1 : strcmp(fa->path, fb->path);
		if (c < 0) {
			set_old(add_entry(res, DV_DIFF_DELETED, fa->path), fa);
			i++;
		} else if (c > 0) {
			set_new(add_entry(res, DV_DIFF_ADDED, fb->path), fb);
			j++;
		} else {
			if (!dv_hash_equal(&fa->hash, &fb->hash) || fa->is_dir != fb->is_dir ||
			    (fa->mode && fb->mode && fa->mode != fb->mode)) {
				dv_diff_entry *e = add_entry(res, DV_DIFF_MODIFIED, fa->path);
				set_old(e, fa);
				set_new(e, fb);
			}
			i++, j++;
		}
	}
}

static int cmp_entry_old_hash(const void *a, const void *b)
{
	const dv_diff_entry *x = *(dv_diff_entry *const *)a, *y = *(dv_diff_entry *const *)b;
	int c = memcmp(x->old_hash.bytes, y->old_hash.bytes, sizeof(x->old_hash.bytes));
	return c ? c : strcmp(x->path, y->path);
}

/* A deleted and an added file with the same bytes are one rename; each
 * deleted file pairs with at most one added file, in path order. */
static void pair_renames(dv_diff_result *res)
{
	dv_vec deleted = DV_VEC_INIT(dv_diff_entry *);
	dv_vec kept = DV_VEC_INIT(dv_diff_entry);
	bool *gone;

	for (size_t i = 0; i < res->entries.n; i++) {
		dv_diff_entry *e = dv_vec_at(&res->entries, dv_diff_entry, i);
		if (e->kind == DV_DIFF_DELETED && !e->is_dir)
			*(dv_diff_entry **)dv_vec_push(&deleted) = e;
	}
	if (!deleted.n)
		goto done;
	sort_vec(&deleted, cmp_entry_old_hash);
	gone = dv_calloc(res->entries.n, sizeof(*gone));
	for (size_t i = 0; i < res->entries.n; i++) {
		dv_diff_entry *e = dv_vec_at(&res->entries, dv_diff_entry, i);
		size_t lo = 0, hi = deleted.n;
		if (e->kind != DV_DIFF_ADDED || e->is_dir)
			continue;
		while (lo < hi) { /* first deleted entry with this hash */
			size_t mid = lo + (hi - lo) / 2;
			dv_diff_entry *d = *dv_vec_at(&deleted, dv_diff_entry *, mid);
			if (memcmp(d->old_hash.bytes, e->new_hash.bytes, sizeof(d->old_hash.bytes)) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < deleted.n; lo++) {
			dv_diff_entry *d = *dv_vec_at(&deleted, dv_diff_entry *, lo);
			size_t di = (size_t)(d - (dv_diff_entry *)res->entries.items);
			if (!dv_hash_equal(&d->old_hash, &e->new_hash))
				break;
			if (gone[di])
				continue;
			gone[di] = true;
			e->kind = DV_DIFF_RENAMED;
			e->old_path = dv_strdup(d->path);
			e->has_old = true;
			e->old_hash = d->old_hash;
			e->old_size = d->old_size;
			break;
		}
	}
	for (size_t i = 0; i < res->entries.n; i++) {
		dv_diff_entry *e = dv_vec_at(&res->entries, dv_diff_entry, i);
		if (gone[i]) {
			free(e->path);
			continue;
		}
		*(dv_diff_entry *)dv_vec_push(&kept) = *e;
	}
	free(gone);
	dv_vec_free(&res->entries);
	res->entries = kept;
done:
	dv_vec_free(&deleted);
}

static int cmp_entry(const void *a, const void *b)
{
	const dv_diff_entry *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return strcmp(x->path, y->path);
}

int dv_diff(dv_diff_result *out, dv_repo *repo, const char *a, const char *b)
{
	dv_vec outs_a = DV_VEC_INIT(side_out), outs_b = DV_VEC_INIT(side_out);
	dv_vec files_a = DV_VEC_INIT(side_file), files_b = DV_VEC_INIT(side_file);
	int rc;

	memset(out, 0, sizeof(*out));
	out->entries = (dv_vec)DV_VEC_INIT(dv_diff_entry);
	if ((rc = collect_revision(&outs_a, repo, a)) < 0)
		goto done;
	if ((rc = b ? collect_revision(&outs_b, repo, b) : collect_workspace(&outs_b, repo)) < 0)
		goto done;

	/* Outs with the same path and hash on both sides are unchanged:
	 * skip them before reading any manifest. */
	sort_vec(&outs_a, cmp_out_path);
	sort_vec(&outs_b, cmp_out_path);
	for (size_t i = 0, j = 0; i < outs_a.n || j < outs_b.n;) {
		side_out *oa = i < outs_a.n ? dv_vec_at(&outs_a, side_out, i) : NULL;
		side_out *ob = j < outs_b.n ? dv_vec_at(&outs_b, side_out, j) : NULL;
		int c = !oa ? 1 : !ob ? -1 : strcmp(oa->path, ob->path);
		if (c < 0)
			ob = NULL, i++;
		else if (c > 0)
			oa = NULL, j++;
		else
			i++, j++;
		if (oa && ob && oa->is_dir == ob->is_dir && dv_hash_equal(&oa->hash, &ob->hash))
			continue;
		if ((rc = expand_pair(&files_a, &files_b, out, repo, oa, ob)) < 0)
			goto done;
	}
	merge_files(out, &files_a, &files_b);
	pair_renames(out);
	sort_vec(&out->entries, cmp_entry);
done:
	outs_free(&outs_a);
	outs_free(&outs_b);
	files_free(&files_a);
	files_free(&files_b);
	if (rc < 0)
		dv_diff_result_free(out);
	return rc;
}
