/*
 * transfer.c - push, fetch, cloud status: deciding WHICH objects move,
 * leaving HOW to the remote backends (remote.h).
 *
 * The set of objects is built once, deduplicated by object path (the same
 * file in ten commits or ten directories moves once): outs of the target
 * stages, the files listed by each directory manifest, and with
 * --all-commits whatever dv_objects_collect (objects.h, shared with gc)
 * finds in history.  Entries keep the path they were reached through, so
 * a missing object is named as the user knows it.
 *
 * push --verify-remote then fetches the remote's copies of the objects
 * that were already there into a scratch cache (each re-hashed by
 * dv_transfer_adopt, as any fetch), and pushes the cache's copy over
 * every corrupt one.
 *
 * Order matters for an interrupted push: files go before the manifests
 * that list them and run-cache entries last, so a remote never holds a
 * manifest or run entry whose objects are not there yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/git.h"
#include "dv/fs.h"
#include "dv/manifest.h"
#include "dv/objects.h"
#include "dv/remote.h"
#include "dv/statcache.h"
#include "dv/transfer.h"
#include "dv/workspace.h"
#include "remote_kinds.h"

/* --- a string-keyed set (open addressing) ------------------------------ */

typedef struct {
	char **keys;
	size_t *vals;
	size_t n, cap;
} strmap;

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Returns the slot for `key` (existing or empty). */
static size_t strmap_slot(const strmap *m, const char *key)
{
	size_t i = (size_t)str_hash(key) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static bool strmap_get(const strmap *m, const char *key, size_t *val)
{
	size_t i;
	if (!m->cap)
		return false;
	i = strmap_slot(m, key);
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}

/* Insert unless present; true when inserted. */
static bool strmap_put(strmap *m, const char *key, size_t val)
{
	size_t i;
	if ((m->n + 1) * 2 > m->cap) {
		strmap old = *m;
		m->cap = old.cap ? old.cap * 2 : 1024;
		m->keys = dv_calloc(m->cap, sizeof(*m->keys));
		m->vals = dv_calloc(m->cap, sizeof(*m->vals));
		for (size_t j = 0; j < old.cap; j++) {
			if (!old.keys[j])
				continue;
			i = strmap_slot(m, old.keys[j]);
			m->keys[i] = old.keys[j];
			m->vals[i] = old.vals[j];
		}
		free(old.keys);
		free(old.vals);
	}
	i = strmap_slot(m, key);
	if (m->keys[i])
		return false;
	m->keys[i] = dv_strdup(key);
	m->vals[i] = val;
	m->n++;
	return true;
}

static void strmap_free(strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* --- the set of objects ----------------------------------------------- */

typedef struct {
	char *relpath;  /* files/xxh128/ab/... or runs/ab/... */
	char *label;    /* repo-relative path it was reached through (messages) */
	dv_hash hash;
	bool is_dir;
	bool is_run;
	bool expanded;  /* a manifest whose files were added */
	uint64_t size;
} obj;

typedef struct {
	dv_vec objs; /* obj */
	strmap index;
} objset;

#define OBJSET_INIT { DV_VEC_INIT(obj), { NULL, NULL, 0, 0 } }
#define OBJ(s, i) dv_vec_at(&(s)->objs, obj, i)

static void objset_free(objset *s)
{
	for (size_t i = 0; i < s->objs.n; i++) {
		free(OBJ(s, i)->relpath);
		free(OBJ(s, i)->label);
	}
	dv_vec_free(&s->objs);
	strmap_free(&s->index);
}

static void objset_add_object(objset *s, const dv_hash *h, bool is_dir, uint64_t size,
			      const char *label)
{
	dv_buf rel = DV_BUF_INIT;
	obj *o;

	dv_cache_object_relpath(&rel, h, is_dir);
	if (strmap_put(&s->index, rel.ptr, s->objs.n)) {
		o = dv_vec_push(&s->objs);
		o->relpath = dv_buf_detach(&rel);
		o->label = label ? dv_strdup(label) : NULL;
		o->hash = *h;
		o->is_dir = is_dir;
		o->size = size;
	}
	dv_buf_free(&rel);
}

static void objset_add_run(objset *s, const char *relpath)
{
	if (strmap_put(&s->index, relpath, s->objs.n)) {
		obj *o = dv_vec_push(&s->objs);
		o->relpath = dv_strdup(relpath);
		o->is_run = true;
	}
}

static void add_stage_file(objset *s, const dv_stage *st, const dv_stage_file *f)
{
	char *label = dv_stage_entry_relpath(st, f->path);
	objset_add_object(s, &f->hash, f->is_dir, f->is_dir ? 0 : f->size, label);
	free(label);
}

static void add_stage(objset *s, const dv_stage *st, bool with_deps)
{
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *o = dv_stage_out(st, i);
		if (o->cache && o->has_hash)
			add_stage_file(s, st, o);
	}
	for (size_t i = 0; with_deps && i < st->deps.n; i++) {
		const dv_stage_file *d = dv_stage_dep(st, i);
		if (d->has_hash)
			add_stage_file(s, st, d);
	}
}

static bool in_cache(const dv_cache *c, const obj *o)
{
	if (o->is_run) {
		dv_buf p = DV_BUF_INIT;
		bool there;
		dv_path_join(&p, c->dir, o->relpath);
		there = dv_path_exists(p.ptr);
		dv_buf_free(&p);
		return there;
	}
	return dv_cache_has(c, &o->hash, o->is_dir);
}

/* in_cache for many objects: a prefix directory (files/xxh128/XX) found
 * missing once answers for all its objects, so a fresh clone's fetch asks
 * 256 questions instead of one per object.  Valid for one round only:
 * the round's own transfer creates prefix directories. */
typedef struct {
	signed char prefix[256]; /* 0 unknown, 1 there, -1 missing */
} prefix_memo;

static bool in_cache_memo(const dv_cache *c, const obj *o, prefix_memo *memo)
{
	signed char *state = &memo->prefix[o->hash.bytes[0]];

	if (!o->is_run && *state == 0) {
		dv_buf p = DV_BUF_INIT;
		char *dir;
		dv_cache_object_path(&p, c, &o->hash, o->is_dir);
		dir = dv_path_dirname(p.ptr);
		*state = dv_is_dir(dir) ? 1 : -1;
		free(dir);
		dv_buf_free(&p);
	}
	if (!o->is_run && *state < 0)
		return false;
	return in_cache(c, o);
}

/* Add the files of every manifest in the cache not expanded yet; returns
 * how many manifests are still unread (not in the cache). */
static int expand_manifests(size_t *unread, objset *s, const dv_cache *c)
{
	dv_buf text = DV_BUF_INIT, label = DV_BUF_INIT;
	int rc = 0;

	*unread = 0;
	for (size_t i = 0; i < s->objs.n; i++) {
		dv_manifest m = DV_MANIFEST_INIT;
		obj *o = OBJ(s, i);
		char *dir_label;
		if (!o->is_dir || o->expanded)
			continue;
		if (!dv_cache_has(c, &o->hash, true)) {
			(*unread)++;
			continue;
		}
		o->expanded = true;
		if ((rc = dv_cache_read(&text, c, &o->hash, true)) < 0 ||
		    (rc = dv_manifest_parse(&m, text.ptr, text.len, o->relpath)) < 0)
			break;
		o->size = text.len; /* the manifest's own bytes, for progress */
		/* The vector may move as files are added: copy what we need. */
		dir_label = o->label ? dv_strdup(o->label) : NULL;
		for (size_t j = 0; j < m.entries.n; j++) {
			dv_manifest_entry *e = dv_vec_at(&m.entries, dv_manifest_entry, j);
			dv_buf_reset(&label);
			if (dir_label)
				dv_buf_printf(&label, "%s/%s", dir_label, e->path);
			objset_add_object(s, &e->hash, false, e->size, dir_label ? label.ptr : NULL);
		}
		free(dir_label);
		dv_manifest_free(&m);
	}
	dv_buf_free(&text);
	dv_buf_free(&label);
	return rc;
}

/* --- run-cache entries -------------------------------------------------- */

/* The objects a run-cache entry names: after its first line, each line
 * starts with the out's hash (runcache.c writes "<hash> <size> <files>
 * <path>"). */
static void add_run_objects(objset *s, const dv_cache *c, const char *relpath)
{
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT;
	const char *p;

	dv_path_join(&path, c->dir, relpath);
	if (dv_read_file(&text, path.ptr) == 0 && (p = strchr(text.ptr, '\n')) != NULL) {
		for (p++; *p; ) {
			const char *end = p + strcspn(p, " \n");
			char *word = dv_strndup(p, (size_t)(end - p));
			dv_hash h;
			bool is_dir;
			if (dv_hash_parse(&h, &is_dir, word) == 0)
				objset_add_object(s, &h, is_dir, 0, NULL);
			free(word);
			p = strchr(p, '\n');
			if (!p)
				break;
			p++;
		}
	}
	dv_error_clear();
	dv_buf_free(&path);
	dv_buf_free(&text);
}

/* The cached outs of every .stage file in the trees of opts->revs. */
static int collect_revs(objset *s, dv_repo *repo, const dv_transfer_opts *opts)
{
	dv_buf text = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < opts->nrevs && rc == 0; i++) {
		dv_strvec paths = DV_STRVEC_INIT;
		rc = dv_git_list_tree(&paths, repo, opts->revs[i], ".stage");
		for (size_t k = 0; k < paths.n && rc == 0; k++) {
			dv_stage *st = NULL;
			dv_buf_reset(&text);
			if ((rc = dv_git_read_blob(&text, repo, opts->revs[i], paths.v[k])) < 0)
				break;
			/* A .stage an old commit got wrong moves nothing. */
			if (dv_stage_parse(&st, paths.v[k], text.ptr, text.len) == 0)
				add_stage(s, st, false);
			dv_stage_free(st);
		}
		dv_strvec_free(&paths);
	}
	dv_buf_free(&text);
	return rc;
}

/* The objects the options ask for, before manifests are expanded. */
static int collect(objset *s, dv_repo *repo, const dv_transfer_opts *opts)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	int rc;

	if (opts->all_commits) {
		/* History (every commit of every ref) and the work tree, read by
		 * the module gc uses too, so both agree on what is referenced. */
		dv_used_objects u;
		if (opts->ntargets)
			return dv_error(DV_EUSAGE, "--all-commits takes no targets: it moves what every commit references");
		dv_used_objects_init(&u);
		rc = dv_objects_collect(&u, repo, DV_SCOPE_WORKSPACE | DV_SCOPE_COMMITS);
		for (size_t i = 0; rc == 0 && i < dv_objset_count(&u.objects); i++) {
			const dv_objref *o = dv_objset_at(&u.objects, i);
			objset_add_object(s, &o->hash, o->is_dir, 0, NULL);
		}
		dv_used_objects_free(&u);
		return rc;
	}
	if (opts->nrevs)
		return collect_revs(s, repo, opts);
	if ((rc = dv_workspace_load_targets(&stages, repo, opts->targets, opts->ntargets)) < 0)
		goto done;
	for (size_t i = 0; i < stages.n; i++)
		add_stage(s, *dv_vec_at(&stages, dv_stage *, i), false);
done:
	dv_stages_free(&stages);
	return rc;
}

/* --- the remote side ------------------------------------------------------ */

static int open_remote(dv_remote **out, dv_repo *repo, const dv_transfer_opts *opts)
{
	int rc = dv_remote_open(out, repo->config, opts->remote, repo->root);
	if (rc == 0 && opts->jobs > 0)
		(*out)->jobs = opts->jobs;
	return rc;
}

/* What the remote has, for each object in s: one listing, or one question
 * per object where the kind cannot list (HTTP). */
static int remote_presence(bool *present, dv_remote *r, const objset *s, bool runs)
{
	dv_strvec have = DV_STRVEC_INIT;
	int rc = r->ops->list(r, &have, "files/");

	if (rc == 0 && runs)
		rc = r->ops->list(r, &have, "runs/");
	if (rc == DV_ENOTFOUND) {
		dv_error_clear();
		for (size_t i = 0; i < s->objs.n; i++)
			if ((rc = r->ops->exists(r, OBJ(s, i)->relpath, &present[i])) < 0)
				break;
		goto done;
	}
	if (rc < 0)
		goto done;
	dv_strvec_sort(&have);
	for (size_t i = 0; i < s->objs.n; i++) {
		present[i] = dv_strvec_sorted_has(&have, OBJ(s, i)->relpath);
	}
done:
	dv_strvec_free(&have);
	return rc;
}

static void note(dv_transfer_report *rep, const obj *o, const char *fmt, const char *detail)
{
	char hash[64];
	dv_buf line = DV_BUF_INIT;
	if (o->is_run)
		snprintf(hash, sizeof(hash), "run-cache entry %s", o->relpath);
	else
		dv_hash_format(hash, sizeof(hash), &o->hash, o->is_dir);
	dv_buf_printf(&line, fmt, o->label ? o->label : hash, detail);
	if (o->label) {
		dv_buf_printf(&line, " (%s)", hash);
	}
	dv_strvec_push_take(&rep->messages, dv_buf_detach(&line));
	dv_buf_free(&line);
}

typedef struct {
	size_t item;  /* the first item that failed this way */
	size_t count;
} fail_group;

/* The transfer items for objects idx[0..n) of s, all pending. */
static dv_transfer *make_items(uint64_t *total, const objset *s, const size_t *idx, size_t n)
{
	dv_transfer *items = dv_calloc(n ? n : 1, sizeof(*items));

	*total = 0;
	for (size_t i = 0; i < n; i++) {
		const obj *o = OBJ(s, idx[i]);
		items[i].relpath = dv_strdup(o->relpath);
		items[i].hash = o->hash;
		items[i].is_dir = o->is_dir;
		items[i].size = o->size;
		items[i].status = 1;
		*total += o->size;
	}
	return items;
}

/* Push or fetch objects idx[0..n) of s as one batch; fold results into rep. */
static int move_batch(dv_transfer_report *rep, dv_remote *r, dv_repo *repo, objset *s,
		      const size_t *idx, size_t n, bool push)
{
	dv_cache *c = repo->cache;
	dv_transfer *items;
	dv_progress *p;
	uint64_t total = 0;
	strmap groups = { NULL, NULL, 0, 0 };
	dv_vec failures = DV_VEC_INIT(fail_group);
	char *what;
	int rc, first = 0;

	if (n == 0)
		return 0;
	items = make_items(&total, s, idx, n);
	what = dv_asprintf(push ? "Pushing to '%s'" : "Fetching from '%s'", r->name);
	p = dv_progress_new(what, n, total);
	rc = push ? r->ops->push(r, c, items, n, p) : r->ops->fetch(r, c, items, n, p);
	dv_progress_done(p);
	free(what);
	if (rc < 0 && !*dv_error_last())
		dv_error(rc, "the transfer with remote '%s' failed", r->name);
	for (size_t i = 0; i < n; i++) {
		const obj *o = OBJ(s, idx[i]);
		if (items[i].status == 1) {
			/* Left pending: fails with the call's own error. */
			dv_transfer_fail(&items[i], rc < 0 ? rc : DV_ERROR);
		}
		if (items[i].status == 0 && !push && items[i].st.st_ino && dv_transfer_is_object(&items[i]))
			/* The first checkout then trusts the object it just got. */
			dv_statcache_put_written(dv_repo_statcache(repo), &items[i].st, &items[i].hash);
		if (items[i].status == 0) {
			rep->transferred++;
			rep->bytes += o->size;
		} else if (items[i].status == DV_ENOTFOUND && !push) {
			rep->missing++;
			note(rep, o, "'%s' is not on remote '%s'", r->name);
		} else {
			size_t g;
			rep->failed++;
			if (!first)
				first = dv_error(items[i].status, "%s", items[i].error);
			if (strmap_get(&groups, items[i].error, &g)) {
				dv_vec_at(&failures, fail_group, g)->count++;
			} else {
				fail_group *fg = dv_vec_push(&failures);
				fg->item = i;
				fg->count = 1;
				strmap_put(&groups, items[i].error, failures.n - 1);
			}
		}
	}
	/* One line per distinct failure: a lost connection fails every
	 * object alike and is said once. */
	for (size_t g = 0; g < failures.n; g++) {
		fail_group *fg = dv_vec_at(&failures, fail_group, g);
		const obj *o = OBJ(s, idx[fg->item]);
		if (fg->count == 1) {
			note(rep, o, "'%s': %s", items[fg->item].error);
		} else {
			dv_strvec_push_take(&rep->messages,
					    dv_asprintf("%s (%zu objects, e.g. '%s')", items[fg->item].error,
							fg->count, o->label ? o->label : o->relpath));
		}
	}
	strmap_free(&groups);
	dv_vec_free(&failures);
	dv_transfers_free(items, n);
	return first;
}

void dv_transfer_report_free(dv_transfer_report *rep)
{
	dv_strvec_free(&rep->messages);
	dv_strvec_free(&rep->warnings);
	memset(rep, 0, sizeof(*rep));
}

/* --- push --verify-remote ---------------------------------------------------- */

/* A batch of remote objects to re-hash: about this many bytes or objects,
 * so the scratch cache they pass through stays small. */
#define VERIFY_BATCH_BYTES (1ULL << 30)
#define VERIFY_BATCH_OBJECTS 10000

/* Fetch objects idx[0..n) of s from r into a scratch cache, where
 * dv_transfer_adopt re-hashes each; the scratch copies are then
 * dropped.  Indices whose remote copy is corrupt (or gone) are added to
 * `bad`. */
static int verify_batch(dv_transfer_report *rep, dv_vec *bad, dv_remote *r, dv_repo *repo,
			const objset *s, const size_t *idx, size_t n)
{
	dv_buf dir = DV_BUF_INIT;
	dv_cache *scratch = NULL;
	dv_transfer *items;
	dv_progress *p;
	uint64_t total;
	char *what;
	int rc, first = 0;

	dv_path_join(&dir, repo->cache->tmpdir, "verify");
	dv_buf_printf(&dir, "-%ld", (long)getpid());
	if ((rc = dv_remove_tree(dir.ptr)) < 0 || (rc = dv_mkdir_p(dir.ptr, 0755)) < 0 ||
	    (rc = dv_cache_open(&scratch, dir.ptr, "copy")) < 0) {
		dv_buf_free(&dir);
		return rc;
	}
	items = make_items(&total, s, idx, n);
	what = dv_asprintf("Verifying '%s'", r->name);
	p = dv_progress_new(what, n, total);
	rc = r->ops->fetch(r, scratch, items, n, p);
	dv_progress_done(p);
	free(what);
	for (size_t i = 0; i < n; i++) {
		const obj *o = OBJ(s, idx[i]);
		if (items[i].status == 1)
			dv_transfer_fail(&items[i], rc < 0 ? rc : DV_ERROR);
		if (items[i].status == 0) {
			rep->verified++;
		} else if (items[i].status == DV_ECORRUPT || items[i].status == DV_ENOTFOUND) {
			rep->verified++;
			rep->remote_corrupt++;
			*(size_t *)dv_vec_push(bad) = idx[i];
		} else {
			rep->failed++;
			if (!first)
				first = dv_error(items[i].status, "%s", items[i].error);
			note(rep, o, "'%s': cannot verify it: %s", items[i].error);
		}
	}
	dv_transfers_free(items, n);
	dv_remove_tree(dir.ptr);
	dv_cache_free(scratch);
	dv_buf_free(&dir);
	return first;
}

/* Re-hash the remote's copies of the objects s needs that were already
 * there (push sent the others, hashed on the way out), and replace each
 * corrupt one with the cache's copy (itself hashed as it is sent). */
static int verify_remote(dv_transfer_report *rep, dv_remote *r, dv_repo *repo, objset *s,
			 const bool *present)
{
	dv_vec want = DV_VEC_INIT(size_t), bad = DV_VEC_INIT(size_t), fix = DV_VEC_INIT(size_t);
	dv_transfer_report fixed;
	uint64_t bytes = 0;
	size_t start = 0;
	int rc, first = 0;

	for (size_t i = 0; i < s->objs.n; i++)
		if (present[i] && !OBJ(s, i)->is_run)
			*(size_t *)dv_vec_push(&want) = i;
	for (size_t i = 0; i <= want.n; i++) {
		if (i < want.n && i - start < VERIFY_BATCH_OBJECTS && (i == start || bytes < VERIFY_BATCH_BYTES)) {
			bytes += OBJ(s, *dv_vec_at(&want, size_t, i))->size;
			continue;
		}
		if (i > start) {
			rc = verify_batch(rep, &bad, r, repo, s, dv_vec_at(&want, size_t, start), i - start);
			if (rc < 0 && !first)
				first = rc;
		}
		start = i;
		bytes = 0;
		if (i < want.n)
			i--; /* this one opens the next batch */
	}
	for (size_t i = 0; i < bad.n; i++) {
		size_t k = *dv_vec_at(&bad, size_t, i);
		if (in_cache(repo->cache, OBJ(s, k))) {
			*(size_t *)dv_vec_push(&fix) = k;
		} else {
			rep->failed++;
			note(rep, OBJ(s, k), "'%s': remote '%s' holds a corrupt copy and the cache has none to "
			     "replace it with: push it from a clone that has it", r->name);
		}
	}
	memset(&fixed, 0, sizeof(fixed));
	rc = move_batch(&fixed, r, repo, s, fix.items, fix.n, true);
	if (rc < 0 && !first)
		first = rc;
	rep->replaced += fixed.transferred;
	rep->failed += fixed.failed + fixed.missing;
	for (size_t i = 0; i < fixed.messages.n; i++)
		dv_strvec_push(&rep->messages, fixed.messages.v[i]);
	dv_transfer_report_free(&fixed);
	if (!first && rep->remote_corrupt > rep->replaced)
		first = dv_error(DV_ECORRUPT, "remote '%s' holds %zu corrupt object%s that could not be replaced",
				 r->name, rep->remote_corrupt - rep->replaced,
				 rep->remote_corrupt - rep->replaced == 1 ? "" : "s");
	dv_vec_free(&want);
	dv_vec_free(&bad);
	dv_vec_free(&fix);
	return first;
}

/* push --repack: the objects the remote already had (and the cache holds)
 * go to the backend, which packs the small ones it stores loose. */
static int repack_remote(dv_transfer_report *rep, dv_remote *r, dv_repo *repo, const objset *s,
			 const bool *present)
{
	dv_transfer *items;
	dv_progress *p;
	size_t n = 0;
	char *what;
	int rc;

	if (!r->ops->repack)
		return dv_error(DV_EUSAGE, "remote '%s' (%s) does not store packs: --repack needs an S3 remote",
				r->name, r->ops->kind);
	items = dv_calloc(s->objs.n ? s->objs.n : 1, sizeof(*items));
	for (size_t i = 0; i < s->objs.n; i++) {
		const obj *o = OBJ(s, i);
		if (!present[i] || o->is_run || !in_cache(repo->cache, o))
			continue;
		items[n].relpath = dv_strdup(o->relpath);
		items[n].hash = o->hash;
		items[n].is_dir = o->is_dir;
		items[n++].size = o->size;
	}
	what = dv_asprintf("Repacking '%s'", r->name);
	p = dv_progress_new(what, n, 0);
	rc = r->ops->repack(r, repo->cache, items, n, p, &rep->repacked);
	dv_progress_done(p);
	free(what);
	dv_transfers_free(items, n);
	return rc;
}

int dv_push(dv_transfer_report *rep, dv_repo *repo, const dv_transfer_opts *opts)
{
	objset s = OBJSET_INIT;
	dv_remote *r = NULL;
	dv_vec files = DV_VEC_INIT(size_t), dirs = DV_VEC_INIT(size_t), runs = DV_VEC_INIT(size_t);
	dv_strvec run_paths = DV_STRVEC_INIT;
	bool *present = NULL;
	size_t unread;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = open_remote(&r, repo, opts)) < 0)
		goto done;
	if (!strcmp(r->ops->kind, "http")) {
		/* remote.h: HTTP is fetch-only; say so before any work. */
		rc = dv_error(DV_EUSAGE, "cannot push to remote '%s': HTTP remotes are read-only; push to "
			      "the directory, SSH or S3 remote the web server publishes", r->name);
		goto done;
	}
	/* What killed pushes left there: a rerun is when it is seen. */
	if (dv_remote_sweep_tmp(&rep->stale_removed, r) < 0) {
		dv_strvec_push_take(&rep->warnings, dv_asprintf("cannot remove leftover temp files from "
			"remote '%s': %s", r->name, dv_error_last()));
		dv_error_clear();
	}
	if ((rc = collect(&s, repo, opts)) < 0)
		goto done;
	if (opts->run_cache) {
		if ((rc = dv_list_files_below(&run_paths, repo->cache->dir, "runs")) < 0)
			goto done;
		for (size_t i = 0; i < run_paths.n; i++) {
			objset_add_run(&s, run_paths.v[i]);
			add_run_objects(&s, repo->cache, run_paths.v[i]);
		}
	}
	if ((rc = expand_manifests(&unread, &s, repo->cache)) < 0)
		goto done;
	present = dv_calloc(s.objs.n ? s.objs.n : 1, sizeof(*present));
	if (s.objs.n && (rc = remote_presence(present, r, &s, opts->run_cache)) < 0)
		goto done;
	rep->objects = s.objs.n;
	for (size_t i = 0; i < s.objs.n; i++) {
		obj *o = OBJ(&s, i);
		if (present[i]) {
			rep->up_to_date++;
		} else if (!in_cache(repo->cache, o)) {
			rep->missing++;
			note(rep, o, "'%s' is not in the cache%s", ", so it was not pushed");
		} else {
			*(size_t *)dv_vec_push(o->is_run ? &runs : o->is_dir ? &dirs : &files) = i;
		}
	}
	/* Files, then the manifests that list them, then run entries. */
	for (size_t i = 0; i < dirs.n; i++)
		*(size_t *)dv_vec_push(&files) = *dv_vec_at(&dirs, size_t, i);
	for (size_t i = 0; i < runs.n; i++)
		*(size_t *)dv_vec_push(&files) = *dv_vec_at(&runs, size_t, i);
	rc = move_batch(rep, r, repo, &s, files.items, files.n, true);
	if (opts->verify_remote) {
		int vrc = verify_remote(rep, r, repo, &s, present);
		if (rc == 0)
			rc = vrc;
	}
	/* After the check, so replaced copies are the ones packed. */
	if (rc == 0 && opts->repack)
		rc = repack_remote(rep, r, repo, &s, present);
done:
	if (r)
		rep->requests = r->requests;
	free(present);
	dv_vec_free(&files);
	dv_vec_free(&dirs);
	dv_vec_free(&runs);
	dv_strvec_free(&run_paths);
	objset_free(&s);
	dv_remote_free(r);
	return rc;
}

/* Fetch what the cache lacks among s's objects, manifests first so their
 * files can join the same transfer. */
static int fetch_set(dv_transfer_report *rep, dv_remote *r, dv_repo *repo, objset *s)
{
	dv_vec want = DV_VEC_INIT(size_t);
	bool *counted = NULL;
	size_t unread, counted_n = 0;
	int rc = 0, first = 0;

	/* Round 1: manifests not in the cache; round 2: everything else.  A
	 * manifest is only read once it is here. */
	for (int round = 0; round < 2; round++) {
		prefix_memo memo = { { 0 } };
		if ((rc = expand_manifests(&unread, s, repo->cache)) < 0)
			goto done;
		counted = dv_realloc(counted, (s->objs.n ? s->objs.n : 1) * sizeof(*counted));
		for (size_t i = counted_n; i < s->objs.n; i++)
			counted[i] = false;
		counted_n = s->objs.n;
		dv_vec_free(&want);
		for (size_t i = 0; i < s->objs.n; i++) {
			obj *o = OBJ(s, i);
			if (counted[i] || (round == 0 && !o->is_dir))
				continue;
			counted[i] = true;
			if (in_cache_memo(repo->cache, o, &memo))
				rep->up_to_date++;
			else
				*(size_t *)dv_vec_push(&want) = i;
		}
		rc = move_batch(rep, r, repo, s, want.items, want.n, false);
		if (rc < 0 && !first)
			first = rc;
	}
	if ((rc = expand_manifests(&unread, s, repo->cache)) < 0)
		goto done;
	rep->objects = s->objs.n;
	rc = first;
done:
	free(counted);
	dv_vec_free(&want);
	return rc;
}

int dv_fetch(dv_transfer_report *rep, dv_repo *repo, const dv_transfer_opts *opts)
{
	objset s = OBJSET_INIT;
	dv_remote *r = NULL;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = open_remote(&r, repo, opts)) < 0)
		goto done;
	if ((rc = collect(&s, repo, opts)) < 0)
		goto done;
	if (opts->run_cache) {
		/* Run entries first, then the objects they name join the rest. */
		objset runs = OBJSET_INIT;
		dv_strvec listed = DV_STRVEC_INIT;
		dv_vec want = DV_VEC_INIT(size_t);
		rc = r->ops->list(r, &listed, "runs/");
		if (rc == DV_ENOTFOUND)
			rc = dv_error(DV_EUSAGE, "remote '%s' cannot list its run-cache: --run-cache needs a "
				      "directory, SSH or S3 remote", r->name);
		for (size_t i = 0; rc == 0 && i < listed.n; i++) {
			objset_add_run(&runs, listed.v[i]);
			if (!in_cache(repo->cache, OBJ(&runs, runs.objs.n - 1)))
				*(size_t *)dv_vec_push(&want) = runs.objs.n - 1;
		}
		if (rc == 0)
			rc = move_batch(rep, r, repo, &runs, want.items, want.n, false);
		for (size_t i = 0; rc == 0 && i < listed.n; i++)
			add_run_objects(&s, repo->cache, listed.v[i]);
		rep->objects += runs.objs.n;
		rep->up_to_date += runs.objs.n - want.n;
		dv_vec_free(&want);
		dv_strvec_free(&listed);
		objset_free(&runs);
		if (rc < 0)
			goto done;
	}
	{
		size_t run_objects = rep->objects;
		rc = fetch_set(rep, r, repo, &s);
		rep->objects += run_objects;
	}
done:
	if (r)
		rep->requests = r->requests;
	objset_free(&s);
	dv_remote_free(r);
	return rc;
}

int dv_fetch_stages(dv_transfer_report *rep, dv_repo *repo, dv_stage *const *stages,
		    size_t nstages, const dv_transfer_opts *opts)
{
	objset s = OBJSET_INIT;
	dv_remote *r = NULL;
	int rc;

	memset(rep, 0, sizeof(*rep));
	for (size_t i = 0; i < nstages; i++)
		add_stage(&s, stages[i], false);
	if (s.objs.n == 0)
		goto done;
	if ((rc = open_remote(&r, repo, opts)) < 0)
		goto fail;
	rc = fetch_set(rep, r, repo, &s);
	goto fail;
done:
	rc = 0;
fail:
	objset_free(&s);
	dv_remote_free(r);
	return rc;
}

/* --- dv status -c ------------------------------------------------------------ */

void dv_cloud_status_free(dv_vec *items)
{
	for (size_t i = 0; i < items->n; i++)
		free(dv_vec_at(items, dv_cloud_status, i)->path);
	dv_vec_free(items);
}

int dv_cloud_status_collect(dv_vec *out, char **remote_name_out, dv_repo *repo,
			    const dv_transfer_opts *opts)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	objset s = OBJSET_INIT;
	dv_remote *r = NULL;
	bool *present = NULL;
	size_t unread;
	int rc;

	if ((rc = open_remote(&r, repo, opts)) < 0)
		goto done;
	if ((rc = dv_workspace_load_targets(&stages, repo, opts->targets, opts->ntargets)) < 0)
		goto done;
	for (size_t i = 0; i < stages.n; i++)
		add_stage(&s, *dv_vec_at(&stages, dv_stage *, i), false);
	if ((rc = expand_manifests(&unread, &s, repo->cache)) < 0)
		goto done;
	present = dv_calloc(s.objs.n ? s.objs.n : 1, sizeof(*present));
	if (s.objs.n && (rc = remote_presence(present, r, &s, false)) < 0)
		goto done;
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n; j++) {
			dv_stage_file *f = dv_stage_out(st, j);
			dv_cloud_status *cs;
			dv_buf rel = DV_BUF_INIT, text = DV_BUF_INIT;
			dv_manifest m = DV_MANIFEST_INIT;
			size_t k = 0;
			if (!f->cache || !f->has_hash)
				continue;
			cs = dv_vec_push(out);
			cs->path = dv_stage_entry_relpath(st, f->path);
			cs->hash = f->hash;
			cs->is_dir = f->is_dir;
			dv_cache_object_relpath(&rel, &f->hash, f->is_dir);
			strmap_get(&s.index, rel.ptr, &k);
			cs->in_cache = in_cache(repo->cache, OBJ(&s, k));
			cs->on_remote = present[k];
			/* A directory is complete only with all of its files. */
			if (f->is_dir && cs->in_cache && dv_cache_read(&text, repo->cache, &f->hash, true) == 0 &&
			    dv_manifest_parse(&m, text.ptr, text.len, rel.ptr) == 0) {
				for (size_t e = 0; e < m.entries.n; e++) {
					dv_manifest_entry *me = dv_vec_at(&m.entries, dv_manifest_entry, e);
					dv_buf_reset(&rel);
					dv_cache_object_relpath(&rel, &me->hash, false);
					if (!strmap_get(&s.index, rel.ptr, &k))
						continue;
					cs->in_cache = cs->in_cache && in_cache(repo->cache, OBJ(&s, k));
					cs->on_remote = cs->on_remote && present[k];
				}
			}
			dv_error_clear();
			dv_manifest_free(&m);
			dv_buf_free(&rel);
			dv_buf_free(&text);
		}
	}
	if (remote_name_out)
		*remote_name_out = dv_strdup(r->name);
done:
	free(present);
	objset_free(&s);
	dv_stages_free(&stages);
	dv_remote_free(r);
	return rc;
}
