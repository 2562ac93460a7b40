/*
 * objects.c - the set of objects that revisions reference (dv_objset, the
 * history walk over libgit2), and listing what a cache holds.
 *
 * The tables index a dv_vec of fixed-size keys (dv_objref, git_oid) with
 * linear probing on the keys' own leading bytes: object hashes and git
 * oids are uniformly random, so no further hashing is needed, and one
 * implementation serves both key kinds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/manifest.h"
#include "dv/objects.h"
#include "dv/remote.h"
#include "dv/workspace.h"

/* --- open addressing over a dv_vec of keys ------------------------------ */

static size_t key_slot(const void *key, size_t keylen, size_t cap)
{
	uint64_t x;
	memcpy(&x, key, sizeof(x));
	x ^= ((const unsigned char *)key)[keylen - 1];
	return (size_t)((x * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

static const void *item_key(const dv_vec *items, size_t i)
{
	return (const char *)items->items + i * items->size;
}

/* The slot holding `key`, or the empty slot where it would go. */
static size_t table_find(const dv_vec *items, const uint32_t *slots, size_t cap, const void *key,
			 size_t keylen)
{
	size_t i = key_slot(key, keylen, cap);
	while (slots[i] && memcmp(item_key(items, slots[i] - 1), key, keylen))
		i = (i + 1) & (cap - 1);
	return i;
}

static void table_grow(const dv_vec *items, uint32_t **slots, size_t *cap, size_t keylen)
{
	size_t ncap = *cap ? *cap * 2 : 1024;
	uint32_t *ns = dv_calloc(ncap, sizeof(*ns));
	for (size_t i = 0; i < items->n; i++)
		ns[table_find(items, ns, ncap, item_key(items, i), keylen)] = (uint32_t)(i + 1);
	free(*slots);
	*slots = ns;
	*cap = ncap;
}

/* Add `key` (keylen bytes, the start of an item of items->size bytes);
 * true when it was not there. */
static bool table_add(dv_vec *items, uint32_t **slots, size_t *cap, const void *key, size_t keylen)
{
	size_t i;
	if ((items->n + 1) * 2 > *cap)
		table_grow(items, slots, cap, keylen);
	i = table_find(items, *slots, *cap, key, keylen);
	if ((*slots)[i])
		return false;
	memcpy(dv_vec_push(items), key, keylen);
	(*slots)[i] = (uint32_t)items->n;
	return true;
}

static bool table_has(const dv_vec *items, const uint32_t *slots, size_t cap, const void *key,
		      size_t keylen)
{
	return cap && slots[table_find(items, slots, cap, key, keylen)] != 0;
}

/* dv_objref's key: the hash and the is_dir byte (padding stays zero, as
 * dv_vec_push zeroes new slots and keys are built zeroed). */
#define OBJREF_KEYLEN (offsetof(dv_objref, is_dir) + 1)

static dv_objref objref(const dv_hash *h, bool is_dir)
{
	dv_objref r;
	memset(&r, 0, sizeof(r));
	r.hash = *h;
	r.is_dir = is_dir;
	return r;
}

bool dv_objset_add(dv_objset *s, const dv_hash *h, bool is_dir)
{
	dv_objref r = objref(h, is_dir);
	return table_add(&s->items, &s->slots, &s->cap, &r, OBJREF_KEYLEN);
}

bool dv_objset_has(const dv_objset *s, const dv_hash *h, bool is_dir)
{
	dv_objref r = objref(h, is_dir);
	return table_has(&s->items, s->slots, s->cap, &r, OBJREF_KEYLEN);
}

void dv_objset_free(dv_objset *s)
{
	dv_vec_free(&s->items);
	free(s->slots);
	s->slots = NULL;
	s->cap = 0;
}

typedef struct {
	dv_vec items; /* git_oid */
	uint32_t *slots;
	size_t cap;
} oidset;

static bool oidset_add(oidset *s, const git_oid *id)
{
	return table_add(&s->items, &s->slots, &s->cap, id, sizeof(*id));
}

static void oidset_free(oidset *s)
{
	dv_vec_free(&s->items);
	free(s->slots);
}

/* --- collecting --------------------------------------------------------- */

void dv_used_objects_init(dv_used_objects *u)
{
	memset(u, 0, sizeof(*u));
	u->objects = (dv_objset)DV_OBJSET_INIT;
	u->pending_dirs = (dv_vec)DV_VEC_INIT(dv_objref);
}

void dv_used_objects_free(dv_used_objects *u)
{
	dv_objset_free(&u->objects);
	dv_strvec_free(&u->missing_manifests);
	dv_strvec_free(&u->warnings);
	dv_vec_free(&u->pending_dirs);
	dv_strvec_free(&u->pending_labels);
}

static void add_object(dv_used_objects *u, const dv_hash *h, bool is_dir, const char *label)
{
	if (!dv_objset_add(&u->objects, h, is_dir) || !is_dir)
		return;
	*(dv_objref *)dv_vec_push(&u->pending_dirs) = objref(h, true);
	dv_strvec_push(&u->pending_labels, label);
}

void dv_objects_add_stage(dv_used_objects *u, const dv_stage *st, const char *where)
{
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *o = dv_stage_out(st, i);
		char *label;
		if (!o->cache || !o->has_hash)
			continue;
		label = o->is_dir ? dv_stage_entry_relpath(st, o->path) : NULL;
		if (label && where) {
			char *l = dv_asprintf("%s at %s", label, where);
			free(label);
			label = l;
		}
		add_object(u, &o->hash, o->is_dir, label ? label : "");
		free(label);
	}
}

/* The fallback for a .stage text that does not parse: keep every hash it
 * names, so nothing it may reference is ever deleted for a typo. */
static void add_hash_tokens(dv_used_objects *u, const char *text, size_t len, const char *label)
{
	static const char prefix[] = DV_HASH_PREFIX;
	const size_t plen = sizeof(prefix) - 1;
	const char *p = text, *end = text + len;

	while ((p = memmem(p, (size_t)(end - p), prefix, plen)) != NULL) {
		dv_hash h;
		p += plen;
		if ((size_t)(end - p) < DV_HASH_HEXLEN || dv_hash_from_hex(&h, p, DV_HASH_HEXLEN) < 0)
			continue;
		p += DV_HASH_HEXLEN;
		bool is_dir = (size_t)(end - p) >= 4 && !memcmp(p, ".dir", 4);
		add_object(u, &h, is_dir, label);
	}
	dv_error_clear();
}

static void add_stage_text(dv_used_objects *u, const char *stage_path, const char *text, size_t len,
			   const char *where)
{
	dv_stage *st = NULL;

	u->stage_blobs++;
	if (dv_stage_parse(&st, stage_path, text, len) == 0) {
		dv_objects_add_stage(u, st, where);
		dv_stage_free(st);
		return;
	}
	char *label = dv_asprintf("%s%s%s", stage_path, where ? " at " : "", where ? where : "");
	dv_strvec_push_take(&u->warnings, dv_asprintf("%s: %s (kept every hash it names)", label,
						      dv_error_last()));
	add_hash_tokens(u, text, len, label);
	free(label);
}

static int collect_workspace(dv_used_objects *u, dv_repo *repo)
{
	dv_strvec paths = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT, abs = DV_BUF_INIT;
	int rc;

	if ((rc = dv_workspace_find_stages(&paths, repo)) < 0)
		goto done;
	for (size_t i = 0; i < paths.n; i++) {
		dv_repo_abspath(&abs, repo, paths.v[i]);
		if ((rc = dv_read_file(&text, abs.ptr)) < 0)
			goto done;
		add_stage_text(u, paths.v[i], text.ptr, text.len, NULL);
	}
done:
	dv_strvec_free(&paths);
	dv_buf_free(&text);
	dv_buf_free(&abs);
	return rc;
}

typedef struct {
	dv_used_objects *u;
	git_repository *git;
	oidset commits, trees, blobs;
	char where[16];
} history;

static bool has_stage_suffix(const char *name)
{
	size_t n = strlen(name), s = strlen(DV_STAGE_SUFFIX);
	return n > s && !memcmp(name + n - s, DV_STAGE_SUFFIX, s);
}

static int walk_tree(history *h, const git_oid *tree_id, dv_buf *prefix)
{
	git_tree *tree = NULL;
	size_t keep = prefix->len;
	int rc = 0;

	if (!oidset_add(&h->trees, tree_id))
		return 0;
	if (git_tree_lookup(&tree, h->git, tree_id) < 0)
		return dv_git_error("cannot read a git tree");
	for (size_t i = 0, n = git_tree_entrycount(tree); i < n && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);
		git_object_t type = git_tree_entry_type(e);

		if (type == GIT_OBJECT_TREE) {
			dv_buf_printf(prefix, "%s/", name);
			rc = walk_tree(h, git_tree_entry_id(e), prefix);
			dv_buf_truncate(prefix, keep);
		} else if (type == GIT_OBJECT_BLOB && has_stage_suffix(name) &&
			   oidset_add(&h->blobs, git_tree_entry_id(e))) {
			git_blob *blob = NULL;
			if (git_blob_lookup(&blob, h->git, git_tree_entry_id(e)) < 0) {
				rc = dv_git_error("cannot read a git blob");
				break;
			}
			dv_buf_puts(prefix, name);
			add_stage_text(h->u, prefix->ptr, git_blob_rawcontent(blob),
				       (size_t)git_blob_rawsize(blob), h->where);
			dv_buf_truncate(prefix, keep);
			git_blob_free(blob);
		}
	}
	git_tree_free(tree);
	return rc;
}

static int walk_commit(history *h, const git_oid *id)
{
	git_commit *commit = NULL;
	dv_buf prefix = DV_BUF_INIT;
	int rc;

	if (!oidset_add(&h->commits, id))
		return 0;
	if (git_commit_lookup(&commit, h->git, id) < 0)
		return dv_git_error("cannot read a git commit");
	h->u->commits++;
	git_oid_tostr(h->where, 8, id);
	rc = walk_tree(h, git_commit_tree_id(commit), &prefix);
	git_commit_free(commit);
	dv_buf_free(&prefix);
	return rc;
}

/* A ref or oid peeled to its commit; refs to blobs or trees are skipped. */
static int walk_object(history *h, const git_oid *id)
{
	git_object *obj = NULL, *commit = NULL;
	int rc = 0;

	if (git_object_lookup(&obj, h->git, id, GIT_OBJECT_ANY) < 0)
		return dv_git_error("cannot read a git object");
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0)
		rc = walk_commit(h, git_object_id(commit));
	git_error_clear();
	git_object_free(commit);
	git_object_free(obj);
	return rc;
}

static int walk_head(history *h)
{
	git_oid id;
	/* An unborn HEAD (no commit yet) references nothing. */
	if (git_reference_name_to_id(&id, h->git, "HEAD") < 0) {
		git_error_clear();
		return 0;
	}
	return walk_object(h, &id);
}

static int walk_refs(history *h, const char *glob)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int rc = 0, err;

	if (git_reference_iterator_glob_new(&it, h->git, glob) < 0)
		return dv_git_error("cannot list git refs");
	while (rc == 0 && (err = git_reference_next(&ref, it)) == 0) {
		git_reference *resolved = NULL;
		if (git_reference_resolve(&resolved, ref) == 0)
			rc = walk_object(h, git_reference_target(resolved));
		git_error_clear();
		git_reference_free(resolved);
		git_reference_free(ref);
	}
	if (rc == 0 && err != GIT_ITEROVER)
		rc = dv_git_error("cannot list git refs");
	git_reference_iterator_free(it);
	return rc;
}

static int walk_all_commits(history *h)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = 0, err;

	if (git_revwalk_new(&walk, h->git) < 0)
		return dv_git_error("cannot walk the git history");
	git_revwalk_sorting(walk, GIT_SORT_NONE);
	/* Every ref (branches, tags, remote-tracking branches, the stash):
	 * a glob skips refs that do not lead to a commit. */
	if (git_revwalk_push_head(walk) < 0)
		git_error_clear();
	if (git_revwalk_push_glob(walk, "refs/*") < 0)
		git_error_clear();
	while (rc == 0 && (err = git_revwalk_next(&id, walk)) == 0)
		rc = walk_commit(h, &id);
	if (rc == 0 && err != GIT_ITEROVER)
		rc = dv_git_error("cannot walk the git history");
	git_revwalk_free(walk);
	return rc;
}

int dv_objects_collect(dv_used_objects *u, dv_repo *repo, unsigned scope)
{
	history h;
	int rc = 0;

	memset(&h, 0, sizeof(h));
	h.u = u;
	/* The work tree alone needs no git (and spares opening it). */
	if (scope & ~(unsigned)DV_SCOPE_WORKSPACE) {
		h.git = dv_repo_git(repo);
		if (!h.git)
			return DV_ERROR;
	}
	h.commits.items = (dv_vec)DV_VEC_INIT(git_oid);
	h.trees.items = (dv_vec)DV_VEC_INIT(git_oid);
	h.blobs.items = (dv_vec)DV_VEC_INIT(git_oid);

	if ((scope & DV_SCOPE_WORKSPACE) && (rc = collect_workspace(u, repo)) < 0)
		goto done;
	if (scope & DV_SCOPE_COMMITS) {
		if ((rc = walk_all_commits(&h)) < 0)
			goto done;
	} else if (scope & (DV_SCOPE_BRANCHES | DV_SCOPE_TAGS)) {
		if ((rc = walk_head(&h)) < 0)
			goto done;
		if ((scope & DV_SCOPE_BRANCHES) && (rc = walk_refs(&h, "refs/heads/*")) < 0)
			goto done;
		if ((scope & DV_SCOPE_TAGS) && (rc = walk_refs(&h, "refs/tags/*")) < 0)
			goto done;
	}
	/* An experiment's tip only: its base is a commit of a branch. */
	if ((scope & DV_SCOPE_EXPERIMENTS) && !(scope & DV_SCOPE_COMMITS) && (rc = walk_refs(&h, "refs/exps/*")) < 0)
		goto done;
	rc = dv_objects_expand_manifests(u, repo->cache);
done:
	oidset_free(&h.commits);
	oidset_free(&h.trees);
	oidset_free(&h.blobs);
	return rc;
}

int dv_objects_expand_manifests(dv_used_objects *u, const dv_cache *cache)
{
	dv_buf text = DV_BUF_INIT;
	dv_vec still = DV_VEC_INIT(dv_objref);
	dv_strvec still_labels = DV_STRVEC_INIT;
	size_t done_upto = 0;

	dv_strvec_free(&u->missing_manifests);
	/* Expanding may queue nothing new (manifests list files only), but
	 * loop on the count anyway so the invariant does not depend on it. */
	while (done_upto < u->pending_dirs.n) {
		size_t i = done_upto++;
		dv_objref dir = *dv_vec_at(&u->pending_dirs, dv_objref, i);
		const char *label = u->pending_labels.v[i];
		dv_manifest m = DV_MANIFEST_INIT;
		char name[64];
		int rc;

		dv_hash_format(name, sizeof(name), &dir.hash, true);
		rc = dv_cache_read(&text, cache, &dir.hash, true);
		if (rc == 0)
			rc = dv_manifest_parse(&m, text.ptr, text.len, name);
		if (rc < 0) {
			const char *why = rc == DV_ENOTFOUND ? "not in the cache" : dv_error_last();
			dv_strvec_push_take(&u->missing_manifests,
					    dv_asprintf("%s (%s): %s", name, *label ? label : "?", why));
			*(dv_objref *)dv_vec_push(&still) = dir;
			dv_strvec_push(&still_labels, label);
			dv_error_clear();
			continue;
		}
		for (size_t j = 0; j < m.entries.n; j++)
			dv_objset_add(&u->objects, &dv_vec_at(&m.entries, dv_manifest_entry, j)->hash, false);
		dv_manifest_free(&m);
	}
	dv_vec_free(&u->pending_dirs);
	dv_strvec_free(&u->pending_labels);
	u->pending_dirs = still;
	u->pending_labels = still_labels;
	dv_buf_free(&text);
	return 0;
}

/* --- what a cache holds --------------------------------------------------- */

/* "<30 hex>" or "<30 hex>.dir" under directory "ab" → hash. */
static bool parse_object_name(dv_hash *h, bool *is_dir, const char *prefix2, const char *name)
{
	char hex[DV_HASH_HEXLEN];
	size_t n = strlen(name);

	if (n == DV_HASH_HEXLEN - 2)
		*is_dir = false;
	else if (n == DV_HASH_HEXLEN + 2 && !strcmp(name + DV_HASH_HEXLEN - 2, ".dir"))
		*is_dir = true;
	else
		return false;
	memcpy(hex, prefix2, 2);
	memcpy(hex + 2, name, DV_HASH_HEXLEN - 2);
	for (size_t i = 0; i < DV_HASH_HEXLEN; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	return dv_hash_from_hex(h, hex, DV_HASH_HEXLEN) == 0;
}

bool dv_objects_parse_relpath(dv_hash *h, bool *is_dir, const char *relpath)
{
	static const char top[] = "files/xxh128/";
	char prefix2[3];

	if (strncmp(relpath, top, sizeof(top) - 1))
		return false;
	relpath += sizeof(top) - 1;
	if (strlen(relpath) < 4 || relpath[2] != '/')
		return false;
	memcpy(prefix2, relpath, 2);
	prefix2[2] = '\0';
	return parse_object_name(h, is_dir, prefix2, relpath + 3);
}

static bool is_hex2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

/* A temp file a killed writer left in `dir` (open as `dfd`), if `name` is
 * one and either was last written before `before_ns` or names a writer
 * that is gone (dv_tmpfile_is_stale: then its age does not matter). */
static void note_stale_tmp(dv_strvec *stale, uint64_t *bytes, int dfd, const char *dir,
			   const char *name, int64_t before_ns)
{
	struct stat st;
	dv_buf path = DV_BUF_INIT;

	if (!dv_tmpfile_is_name(name) || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode) ||
	    (dv_stat_mtime_ns(&st) >= before_ns && !dv_tmpfile_is_stale(dfd, name)))
		return;
	dv_path_join(&path, dir, name);
	dv_strvec_push(stale, path.ptr);
	*bytes += (uint64_t)st.st_size;
	dv_buf_free(&path);
}

/* One pass over <root>/files/xxh128/XX: what `scan` asks for (see
 * objects.h).  A cache and a directory remote share this layout. */
int dv_store_scan_dir(dv_store_scan *scan, const char *root)
{
	dv_buf top = DV_BUF_INIT, sub = DV_BUF_INIT, path = DV_BUF_INIT;
	DIR *d = NULL, *sd = NULL;
	struct dirent *de, *se;
	int rc = 0;

	if (scan->stale) {
		dv_path_join(&sub, root, "tmp");
		if ((sd = opendir(sub.ptr)) != NULL) {
			while ((se = readdir(sd)) != NULL)
				note_stale_tmp(scan->stale, &scan->stale_bytes, dirfd(sd), sub.ptr,
					       se->d_name, scan->before_ns);
			closedir(sd);
			sd = NULL;
		} else if (errno != ENOENT) {
			rc = dv_error_errno(DV_ERROR, "cannot list '%s'", sub.ptr);
			goto done;
		}
	}
	dv_path_join(&top, root, "files/xxh128");
	if (!(d = opendir(top.ptr))) {
		if (errno != ENOENT)
			rc = dv_error_errno(DV_ERROR, "cannot list '%s'", top.ptr);
		goto done;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_hex2(de->d_name))
			continue;
		dv_path_join(&sub, top.ptr, de->d_name);
		if (!(sd = opendir(sub.ptr))) {
			rc = dv_error_errno(DV_ERROR, "cannot list '%s'", sub.ptr);
			goto done;
		}
		while ((se = readdir(sd)) != NULL) {
			dv_cached_object o;
			struct stat st;
			if (!parse_object_name(&o.hash, &o.is_dir, de->d_name, se->d_name)) {
				if (scan->stale)
					note_stale_tmp(scan->stale, &scan->stale_bytes, dirfd(sd), sub.ptr,
						       se->d_name, scan->before_ns);
				continue;
			}
			if (fstatat(dirfd(sd), se->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			if (!S_ISREG(st.st_mode)) {
				/* A link or a directory under an object's name is
				 * no object: whoever lists them must say so. */
				if (scan->not_files) {
					dv_path_join(&path, sub.ptr, se->d_name);
					dv_strvec_push(scan->not_files, path.ptr);
				}
				continue;
			}
			o.size = (uint64_t)st.st_size;
			if (scan->objects)
				*(dv_cached_object *)dv_vec_push(scan->objects) = o;
		}
		closedir(sd);
		sd = NULL;
	}
done:
	if (sd)
		closedir(sd);
	if (d)
		closedir(d);
	dv_buf_free(&top);
	dv_buf_free(&sub);
	dv_buf_free(&path);
	return rc;
}

int dv_cache_list_objects(dv_vec *out, const dv_cache *cache)
{
	dv_store_scan scan = { .objects = out };
	return dv_store_scan_dir(&scan, cache->dir);
}

int dv_cache_list_with_stale_tmp(dv_vec *objects, dv_strvec *stale, uint64_t *stale_bytes,
				 const dv_cache *cache, int64_t before_ns)
{
	dv_store_scan scan = { .objects = objects, .stale = stale, .before_ns = before_ns };
	int rc = dv_store_scan_dir(&scan, cache->dir);
	*stale_bytes += scan.stale_bytes;
	return rc;
}

/* --- fetching ----------------------------------------------------------- */

int dv_objects_fetch(size_t *fetched, dv_strvec *failures, dv_remote *r, dv_cache *cache,
		     const dv_objref *refs, size_t n, dv_progress *p)
{
	dv_transfer *items = dv_calloc(n ? n : 1, sizeof(*items));
	dv_buf rel = DV_BUF_INIT;
	size_t want = 0, got = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (dv_cache_has(cache, &refs[i].hash, refs[i].is_dir))
			continue;
		dv_cache_object_relpath(&rel, &refs[i].hash, refs[i].is_dir);
		items[want].relpath = dv_buf_detach(&rel);
		items[want].hash = refs[i].hash;
		items[want].is_dir = refs[i].is_dir;
		items[want].status = 1;
		want++;
	}
	if (want) {
		rc = r->ops->fetch(r, cache, items, want, p);
		for (size_t i = 0; i < want; i++) {
			if (items[i].status == 0) {
				got++;
				continue;
			}
			if (failures)
				dv_strvec_push_take(failures, dv_asprintf("%s: %s", items[i].relpath,
					items[i].error ? items[i].error : "not fetched"));
		}
		if (rc == 0 && got < want)
			rc = dv_transfer_first_failure(items, want);
	}
	if (fetched)
		*fetched = got;
	dv_transfers_free(items, want);
	dv_buf_free(&rel);
	return rc;
}
