/*
 * merge.c - three-way merge of a .stage file (the `*.stage` merge driver).
 *
 * git's line merge sees a tracked directory as one hash line: two
 * branches that changed different files of it conflict, and the markers
 * then break every dv command.  Here the stage is merged as data: its
 * settings, deps and params are one block (a stage that ran on both sides
 * with different inputs is a real conflict), each out is merged by path,
 * and a directory out changed on both sides is merged file by file from
 * the three manifests.  Only the merged manifest is written (to the
 * cache); the files themselves are already there or come with 'dv pull'.
 * A real conflict falls back to git's own line merge (libgit2), so the
 * user sees the usual markers in the file.
 */
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/manifest.h"
#include "dv/merge.h"
#include "dv/stage.h"

typedef struct {
	dv_repo *repo;
	const dv_stage *ours; /* for paths in messages */
	dv_strvec *conflicts;
	bool clean;
} merge_ctx;

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Flags a new version of the data leaves alone. */
static bool flags_eq(const dv_stage_file *a, const dv_stage_file *b)
{
	return a->cache == b->cache && a->persist == b->persist && a->metric == b->metric &&
	       a->plot == b->plot;
}

static bool file_eq(const dv_stage_file *a, const dv_stage_file *b)
{
	return str_eq(a->path, b->path) && flags_eq(a, b) && a->has_hash == b->has_hash &&
	       (!a->has_hash || (dv_hash_equal(&a->hash, &b->hash) && a->is_dir == b->is_dir)) &&
	       a->has_size == b->has_size && (!a->has_size || a->size == b->size) &&
	       a->has_files == b->has_files && (!a->has_files || a->files == b->files);
}

static bool files_eq(const dv_vec *a, const dv_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!file_eq(dv_vec_at(a, dv_stage_file, i), dv_vec_at(b, dv_stage_file, i)))
			return false;
	return true;
}

static bool params_eq(const dv_vec *a, const dv_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const dv_stage_param *x = dv_vec_at(a, dv_stage_param, i), *y = dv_vec_at(b, dv_stage_param, i);
		if (!str_eq(x->file, y->file) || !str_eq(x->key, y->key) || !str_eq(x->value, y->value))
			return false;
	}
	return true;
}

static bool source_eq(const dv_stage_source *a, const dv_stage_source *b)
{
	if (!a || !b)
		return a == b;
	return str_eq(a->url, b->url) && str_eq(a->rev, b->rev) && str_eq(a->rev_lock, b->rev_lock) &&
	       str_eq(a->path, b->path) && str_eq(a->etag, b->etag) && a->has_size == b->has_size &&
	       a->size == b->size && a->has_mtime == b->has_mtime && a->mtime == b->mtime;
}

/* Everything but the outs: the block one side changes as a whole. */
static bool rest_eq(const dv_stage *a, const dv_stage *b)
{
	return a->is_command == b->is_command && str_eq(a->cmd, b->cmd) && str_eq(a->desc, b->desc) &&
	       a->always_changed == b->always_changed && a->frozen == b->frozen &&
	       a->has_def_hash == b->has_def_hash &&
	       (!a->has_def_hash || dv_hash_equal(&a->def_hash, &b->def_hash)) &&
	       files_eq(&a->deps, &b->deps) && params_eq(&a->params, &b->params) &&
	       source_eq(a->source, b->source);
}

static const dv_stage_file *find_out(const dv_stage *st, const char *path)
{
	for (size_t i = 0; st && i < st->outs.n; i++)
		if (!strcmp(dv_stage_out(st, i)->path, path))
			return dv_stage_out(st, i);
	return NULL;
}

static dv_stage_file *push_copy(dv_vec *outs, const dv_stage_file *f)
{
	dv_stage_file *n = dv_vec_push(outs);
	*n = *f;
	n->path = dv_strdup(f->path);
	return n;
}

static void conflict(merge_ctx *m, const char *fmt, const char *what)
{
	m->clean = false;
	if (m->conflicts)
		dv_strvec_push_take(m->conflicts, dv_asprintf(fmt, what));
}

/* The manifest of a directory out, empty for no out (or a file out). */
static int load_manifest(dv_manifest *out, merge_ctx *m, const dv_stage_file *f, const char *rel,
			 const char *side)
{
	dv_buf text = DV_BUF_INIT;
	char name[64];
	int rc;

	if (!f || !f->has_hash || !f->is_dir)
		return 0;
	dv_hash_format(name, sizeof(name), &f->hash, true);
	if ((rc = dv_cache_read(&text, m->repo->cache, &f->hash, true)) < 0)
		rc = dv_error(rc, "cannot merge '%s' file by file: %s manifest '%s' is not in the cache; "
			      "'dv fetch' it (git merge --abort, dv fetch --all-commits), then merge again",
			      rel, side, name);
	else
		rc = dv_manifest_parse(out, text.ptr, text.len, name);
	dv_buf_free(&text);
	return rc;
}

static bool entry_eq(const dv_manifest_entry *a, const dv_manifest_entry *b)
{
	return dv_hash_equal(&a->hash, &b->hash) && a->mode == b->mode;
}

static void add_path_once(dv_strvec *paths, const dv_manifest *man)
{
	for (size_t i = 0; i < man->entries.n; i++)
		dv_strvec_push(paths, dv_vec_at(&man->entries, dv_manifest_entry, i)->path);
}

/* One directory out changed on both sides: merge its files three ways.
 * A file changed on one side only takes that side; the same file changed
 * differently on both (or deleted on one, changed on the other) is a
 * conflict. */
static int merge_dir(merge_ctx *m, dv_vec *result, const dv_stage_file *o, const dv_stage_file *a,
		     const dv_stage_file *b)
{
	dv_manifest mo = DV_MANIFEST_INIT, ma = DV_MANIFEST_INIT, mb = DV_MANIFEST_INIT, mr = DV_MANIFEST_INIT;
	dv_strvec paths = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT, p = DV_BUF_INIT;
	char *rel = dv_stage_entry_relpath(m->ours, a->path);
	bool clean = true;
	int rc;

	if ((rc = load_manifest(&mo, m, o, rel, "the common ancestor's")) < 0 ||
	    (rc = load_manifest(&ma, m, a, rel, "our")) < 0 ||
	    (rc = load_manifest(&mb, m, b, rel, "their")) < 0) {
		conflict(m, "%s", dv_error_last());
		dv_error_clear();
		rc = 0;
		goto done;
	}
	add_path_once(&paths, &mo);
	add_path_once(&paths, &ma);
	add_path_once(&paths, &mb);
	dv_strvec_sort(&paths);
	for (size_t i = 0; i < paths.n; i++) {
		const dv_manifest_entry *eo, *ea, *eb, *take = NULL;
		if (i && !strcmp(paths.v[i], paths.v[i - 1]))
			continue;
		eo = dv_manifest_find(&mo, paths.v[i]);
		ea = dv_manifest_find(&ma, paths.v[i]);
		eb = dv_manifest_find(&mb, paths.v[i]);
		if (ea && eb && entry_eq(ea, eb))
			take = ea;
		else if (eo && ea && entry_eq(eo, ea))
			take = eb; /* ours unchanged: theirs (NULL: deleted there) */
		else if (eo && eb && entry_eq(eo, eb))
			take = ea;
		else if (!eo && (!ea || !eb))
			take = ea ? ea : eb; /* added on one side only */
		else {
			dv_path_join(&p, rel, paths.v[i]);
			conflict(m, "'%s' changed differently on both sides", p.ptr);
			clean = false;
			continue;
		}
		if (take)
			dv_manifest_add(&mr, take->path, &take->hash, take->size, take->mode);
	}
	if (clean) {
		dv_stage_file *f = push_copy(result, a);
		dv_manifest_serialize(&text, &mr);
		if ((rc = dv_cache_add_buffer(&f->hash, m->repo->cache, text.ptr, text.len, true)) < 0)
			goto done;
		f->is_dir = true;
		f->has_size = true;
		f->size = dv_manifest_total_size(&mr);
		f->has_files = true;
		f->files = mr.entries.n;
	}
done:
	dv_manifest_free(&mo);
	dv_manifest_free(&ma);
	dv_manifest_free(&mb);
	dv_manifest_free(&mr);
	dv_strvec_free(&paths);
	dv_buf_free(&text);
	dv_buf_free(&p);
	free(rel);
	return rc;
}

static int merge_out(merge_ctx *m, dv_vec *result, const dv_stage_file *o, const dv_stage_file *a,
		     const dv_stage_file *b)
{
	const char *path = a ? a->path : b ? b->path : o->path;
	char *rel;

	if (!a && !b)
		return 0; /* deleted on both sides */
	if (a && b && file_eq(a, b))
		push_copy(result, a);
	else if (o && a && file_eq(o, a))
		b ? (void)push_copy(result, b) : (void)0; /* ours unchanged: theirs, or gone */
	else if (o && b && file_eq(o, b))
		a ? (void)push_copy(result, a) : (void)0;
	else if (!o && (!a || !b))
		(a || b) ? (void)push_copy(result, a ? a : b) : (void)0; /* added on one side */
	else if (a && b && a->has_hash && b->has_hash && a->is_dir && b->is_dir && flags_eq(a, b) &&
		 (!o || !o->has_hash || o->is_dir))
		return merge_dir(m, result, o, a, b);
	else {
		rel = dv_stage_entry_relpath(m->ours, path);
		conflict(m, a && b ? "'%s' changed differently on both sides"
				   : "'%s' deleted on one side and changed on the other", rel);
		free(rel);
	}
	return 0;
}

static void outs_free(dv_vec *outs)
{
	for (size_t i = 0; i < outs->n; i++)
		free(dv_vec_at(outs, dv_stage_file, i)->path);
	dv_vec_free(outs);
}

/* Merge parsed stages; `*merged` is NULL when m->clean turned false. */
static int merge_stages(dv_stage **merged, merge_ctx *m, const dv_stage *o, const dv_stage *a,
			const dv_stage *b, const dv_buf *ours, const dv_buf *theirs)
{
	const dv_buf *rest_from = NULL;
	dv_vec outs = DV_VEC_INIT(dv_stage_file);
	dv_stage *r = NULL;
	int rc = 0;

	*merged = NULL;
	if (rest_eq(a, b) || (o && rest_eq(o, b)))
		rest_from = ours;
	else if (o && rest_eq(o, a))
		rest_from = theirs;
	else
		conflict(m, "the [stage], [dep] or [param] entries of '%s' changed differently on both sides",
			 a->path);
	/* Every out path once: ours in order, then theirs, then the base's
	 * (those deleted on a side). */
	for (size_t i = 0; rc == 0 && i < a->outs.n; i++) {
		const char *p = dv_stage_out(a, i)->path;
		rc = merge_out(m, &outs, find_out(o, p), dv_stage_out(a, i), find_out(b, p));
	}
	for (size_t i = 0; rc == 0 && i < b->outs.n; i++) {
		const char *p = dv_stage_out(b, i)->path;
		if (!find_out(a, p))
			rc = merge_out(m, &outs, find_out(o, p), NULL, dv_stage_out(b, i));
	}
	for (size_t i = 0; rc == 0 && o && i < o->outs.n; i++) {
		const char *p = dv_stage_out(o, i)->path;
		if (!find_out(a, p) && !find_out(b, p))
			rc = merge_out(m, &outs, dv_stage_out(o, i), NULL, NULL);
	}
	if (rc < 0 || !m->clean)
		goto done;
	if ((rc = dv_stage_parse(&r, a->path, rest_from->ptr, rest_from->len)) < 0)
		goto done;
	outs_free(&r->outs);
	r->outs = outs;
	outs = (dv_vec)DV_VEC_INIT(dv_stage_file);
	*merged = r;
done:
	outs_free(&outs);
	return rc;
}

static bool same(const dv_buf *a, const dv_buf *b)
{
	return a->len == b->len && !memcmp(a->ptr, b->ptr, a->len);
}

/* git's own line merge, conflict markers and all. */
static int line_merge(dv_buf *out, bool *clean, const char *stage_path, const dv_buf *base,
		      const dv_buf *ours, const dv_buf *theirs)
{
	git_merge_file_input in[3];
	git_merge_file_options opts;
	git_merge_file_result res;
	const dv_buf *bufs[3] = { base, ours, theirs };

	dv_git_global_init();
	memset(&res, 0, sizeof(res));
	git_merge_file_options_init(&opts, GIT_MERGE_FILE_OPTIONS_VERSION);
	for (int i = 0; i < 3; i++) {
		git_merge_file_input_init(&in[i], GIT_MERGE_FILE_INPUT_VERSION);
		in[i].ptr = bufs[i]->ptr ? bufs[i]->ptr : "";
		in[i].size = bufs[i]->len;
		in[i].path = stage_path;
		in[i].mode = 0100644;
	}
	opts.ancestor_label = "base";
	opts.our_label = "ours";
	opts.their_label = "theirs";
	if (git_merge_file(&res, &in[0], &in[1], &in[2], &opts) < 0)
		return dv_git_error("cannot merge the lines of the .stage file");
	dv_buf_reset(out);
	dv_buf_add(out, res.ptr ? res.ptr : "", res.len);
	*clean = res.automergeable;
	git_merge_file_result_free(&res);
	return 0;
}

int dv_stage_merge(dv_buf *out, bool *clean, dv_strvec *conflicts, dv_repo *repo,
		   const char *stage_path, const dv_buf *base, const dv_buf *ours,
		   const dv_buf *theirs)
{
	dv_stage *o = NULL, *a = NULL, *b = NULL, *r = NULL;
	merge_ctx m = { repo, NULL, conflicts, true };
	int rc = 0;

	*clean = true;
	dv_buf_reset(out);
	/* One side unchanged (or both alike): the other side, as git would. */
	if (same(ours, theirs) || same(base, theirs)) {
		dv_buf_add(out, ours->ptr ? ours->ptr : "", ours->len);
		return 0;
	}
	if (same(base, ours)) {
		dv_buf_add(out, theirs->ptr ? theirs->ptr : "", theirs->len);
		return 0;
	}
	if ((base->len && dv_stage_parse(&o, stage_path, base->ptr, base->len) < 0) ||
	    dv_stage_parse(&a, stage_path, ours->ptr, ours->len) < 0 ||
	    dv_stage_parse(&b, stage_path, theirs->ptr, theirs->len) < 0) {
		/* Not a .stage dv understands on some side: lines are all
		 * there is to merge. */
		if (conflicts)
			dv_strvec_push(conflicts, dv_error_last());
		dv_error_clear();
		rc = line_merge(out, clean, stage_path, base, ours, theirs);
		goto done;
	}
	m.ours = a;
	if ((rc = merge_stages(&r, &m, o, a, b, ours, theirs)) < 0)
		goto done;
	if (r)
		rc = dv_stage_serialize(out, r);
	else if ((rc = line_merge(out, clean, stage_path, base, ours, theirs)) == 0 && *clean) {
		/* The lines merge but the data does not (a dep rerun on one
		 * side, a param changed on the other): mark the whole file,
		 * so every command sees the conflict. */
		dv_buf_reset(out);
		dv_buf_puts(out, "<<<<<<< ours\n");
		dv_buf_add(out, ours->ptr, ours->len);
		dv_buf_puts(out, "=======\n");
		dv_buf_add(out, theirs->ptr, theirs->len);
		dv_buf_puts(out, ">>>>>>> theirs\n");
	}
	if (rc == 0 && !m.clean)
		*clean = false;
done:
	dv_stage_free(o);
	dv_stage_free(a);
	dv_stage_free(b);
	dv_stage_free(r);
	return rc;
}
