/*
 * migrate.c - a DVC 3.x repository turned into a dv one (migrate.h).
 *
 * Three passes.  The first reads DVC's metadata (dvc.yaml, dvc.lock, *.dvc,
 * .dir listings) and builds every dv stage in memory, noting for each
 * recorded entry the md5 DVC wrote and the file whose bytes should have
 * it: the object in .dvc/cache when it is there, else the work tree.  The
 * second reads each distinct file once, over all cores, computing md5 and
 * XXH3-128 in the same loop; a matching object is hard-linked into dv's
 * cache (copied when the caches are on different file systems), so 2 GiB
 * of data costs one read and no write.  The third turns the results into
 * hashes and manifests, writes the .stage files, the remotes and one git
 * commit.  An entry whose bytes no longer match DVC's md5 is left
 * unrecorded: dv then reports it as changed, as DVC would have.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>
#include <nettle/md5.h>

#include "dv/cache.h"
#include "dv/config.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/ignore.h"
#include "dv/ini.h"
#include "dv/manifest.h"
#include "dv/migrate.h"
#include "dv/params.h"
#include "dv/pool.h"
#include "dv/stage.h"
#include "dv/repro.h"
#include "dv/staleness.h"
#include "dv/workspace.h"
#include "dv/template.h"
#include "dv/yaml.h"

void dv_migrate_report_free(dv_migrate_report *r)
{
	dv_strvec_free(&r->remotes);
	dv_strvec_free(&r->skipped);
}

/* ---- the files to read -------------------------------------------------- */

typedef struct {
	char md5[33];      /* expected; "" when unknown (a listing built here) */
	char *src;         /* absolute path read */
	bool from_cache;   /* src is a DVC cache object */
	bool to_cache;     /* enter dv's cache */
	/* results */
	bool ok;
	char got_md5[33];
	dv_hash xxh;
	uint64_t size;
	char *error;
} file_job;

typedef struct {
	char *rel;         /* inside the directory */
	size_t job;
	unsigned mode;
} dir_file;

typedef struct {
	dv_stage_file *entry; /* in a stage built in pass one */
	char *relpath;        /* repo-relative path of the entry */
	bool is_dir;
	char md5[33];
	size_t job;           /* files */
	dv_vec files;         /* dir_file, directories */
	bool listed_by_dvc;   /* the listing came from .dvc/cache, checked */
	bool to_cache;
	bool broken;          /* listing missing or not matching */
} entry_ref;

typedef struct {
	dv_repo *repo;
	dv_migrate_report *rep;
	dv_buf dvc_cache;       /* <root>/.dvc/cache */
	dv_vec jobs;            /* file_job */
	dv_vec refs;            /* entry_ref */
	dv_vec stages;          /* dv_stage*: to write */
	dv_strvec templates;    /* template texts to write, path then text */
	dv_strvec written;      /* repo-relative files to stage in git */
	dv_strvec names;        /* stage names taken */
	size_t *canon;          /* job -> the job that reads its object */
} migration;

static void skip(migration *m, const char *fmt, const char *a, const char *b)
{
	dv_strvec_push_take(&m->rep->skipped, dv_asprintf(fmt, a, b ? b : ""));
}

/* .dvc/cache/files/md5/ab/cdef..., or DVC 2's .dvc/cache/ab/cdef... */
static char *dvc_object_path(migration *m, const char *md5, bool is_dir)
{
	char *p = dv_asprintf("%s/files/md5/%.2s/%s%s", m->dvc_cache.ptr, md5, md5 + 2, is_dir ? ".dir" : "");
	if (!dv_path_exists(p)) {
		free(p);
		p = dv_asprintf("%s/%.2s/%s%s", m->dvc_cache.ptr, md5, md5 + 2, is_dir ? ".dir" : "");
		if (!dv_path_exists(p)) {
			free(p);
			return NULL;
		}
	}
	return p;
}

static size_t add_job(migration *m, const char *md5, const char *relpath, bool to_cache)
{
	char *obj = *md5 ? dvc_object_path(m, md5, false) : NULL;
	file_job *j;

	/* Duplicates (one object under several paths) are folded into one
	 * job before anything is read: see fold_jobs. */
	j = dv_vec_push(&m->jobs);
	snprintf(j->md5, sizeof(j->md5), "%s", md5);
	if (obj) {
		j->src = obj;
		j->from_cache = true;
	} else {
		dv_buf abs = DV_BUF_INIT;
		dv_repo_abspath(&abs, m->repo, relpath);
		j->src = dv_buf_detach(&abs);
	}
	j->to_cache = to_cache;
	return m->jobs.n - 1;
}

static migration *sort_ctx;

static int cmp_job_md5(const void *a, const void *b)
{
	const file_job *x = dv_vec_at(&sort_ctx->jobs, file_job, *(const size_t *)a);
	const file_job *y = dv_vec_at(&sort_ctx->jobs, file_job, *(const size_t *)b);
	int c = strcmp(x->md5, y->md5);
	return c ? c : (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

/* Every job whose md5 another job has already is read by that one. */
static void fold_jobs(migration *m)
{
	size_t n = m->jobs.n, *order = dv_malloc((n + 1) * sizeof(size_t));
	m->canon = dv_malloc((n + 1) * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		order[i] = m->canon[i] = i;
	sort_ctx = m;
	if (n > 1)
		qsort(order, n, sizeof(size_t), cmp_job_md5);
	for (size_t k = 1; k < n; k++) {
		file_job *prev = dv_vec_at(&m->jobs, file_job, m->canon[order[k - 1]]);
		file_job *j = dv_vec_at(&m->jobs, file_job, order[k]);
		if (*j->md5 && !strcmp(j->md5, prev->md5)) {
			m->canon[order[k]] = m->canon[order[k - 1]];
			prev->to_cache |= j->to_cache;
			if (!prev->from_cache && j->from_cache) {
				free(prev->src);
				prev->src = dv_strdup(j->src);
				prev->from_cache = true;
			}
		}
	}
	free(order);
}

static file_job *job_of(migration *m, size_t i)
{
	return dv_vec_at(&m->jobs, file_job, m->canon[i]);
}

static bool is_md5(const char *s)
{
	return s && strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

static unsigned workspace_mode(migration *m, const char *relpath)
{
	dv_buf abs = DV_BUF_INIT;
	struct stat st;
	unsigned mode = 0644;
	dv_repo_abspath(&abs, m->repo, relpath);
	if (stat(abs.ptr, &st) == 0 && (st.st_mode & 0100))
		mode = 0755;
	dv_buf_free(&abs);
	return mode;
}

static void md5_hex(char out[33], const void *data, size_t len)
{
	struct md5_ctx ctx;
	uint8_t digest[MD5_DIGEST_SIZE];
	md5_init(&ctx);
	md5_update(&ctx, len, data);
	md5_digest(&ctx, sizeof(digest), digest);
	for (int k = 0; k < 16; k++)
		snprintf(out + 2 * k, 3, "%02x", digest[k]);
}

/* A directory's listing from DVC's .dir object (checked against its md5). */
static void listing_from_cache(migration *m, entry_ref *r, bool to_cache)
{
	char *obj = dvc_object_path(m, r->md5, true);
	dv_buf text = DV_BUF_INIT;
	char hex[33];
	json_t *list = NULL, *item;
	size_t i;

	if (!obj || dv_read_file(&text, obj) < 0) {
		r->broken = true;
		skip(m, "'%s': its listing (%s.dir) is not in .dvc/cache; run 'dvc pull' first for it to be recorded",
		     r->relpath, r->md5);
		goto done;
	}
	md5_hex(hex, text.ptr, text.len);
	list = json_loadb(text.ptr, text.len, 0, NULL);
	if (strcmp(hex, r->md5) || !json_is_array(list)) {
		r->broken = true;
		skip(m, "'%s': .dvc/cache holds a damaged listing %s.dir", r->relpath, r->md5);
		goto done;
	}
	r->listed_by_dvc = true;
	json_array_foreach(list, i, item) {
		const char *rel = json_string_value(json_object_get(item, "relpath"));
		const char *md5 = json_string_value(json_object_get(item, "md5"));
		dir_file *f;
		char *path;
		if (!rel || !is_md5(md5)) {
			r->broken = true;
			skip(m, "'%s': listing %s.dir has an entry without relpath or md5", r->relpath, r->md5);
			break;
		}
		path = dv_asprintf("%s/%s", r->relpath, rel);
		f = dv_vec_push(&r->files);
		f->rel = dv_strdup(rel);
		f->job = add_job(m, md5, path, to_cache);
		f->mode = workspace_mode(m, path);
		free(path);
	}
done:
	json_decref(list);
	dv_buf_free(&text);
	free(obj);
}

/* A directory not in DVC's cache (a dep such as src/): listed from the work
 * tree, its md5s computed by the jobs and the listing's md5 checked after. */
static int walk_listing(migration *m, entry_ref *r, const char *abs, const char *rel)
{
	struct dirent **names = NULL;
	int n = scandir(abs, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *cabs = dv_asprintf("%s/%s", abs, name);
		char *crel = *rel ? dv_asprintf("%s/%s", rel, name) : dv_strdup(name);
		struct stat st;
		if (strcmp(name, ".") && strcmp(name, "..") && stat(cabs, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				walk_listing(m, r, cabs, crel);
			} else if (S_ISREG(st.st_mode)) {
				char *path = dv_asprintf("%s/%s", r->relpath, crel);
				dir_file *f = dv_vec_push(&r->files);
				f->rel = dv_strdup(crel);
				f->job = add_job(m, "", path, false);
				f->mode = (st.st_mode & 0100) ? 0755 : 0644;
				free(path);
			}
		}
		free(cabs);
		free(crel);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* Note that `entry` (of a stage being built) was recorded by DVC as md5
 * (".dir" for directories): its bytes are read in the second pass. */
static void want_entry(migration *m, dv_stage_file *entry, const char *relpath, const char *md5_text, bool to_cache)
{
	entry_ref *r = dv_vec_push(&m->refs);
	size_t n = md5_text ? strlen(md5_text) : 0;

	r->entry = entry;
	r->to_cache = to_cache;
	r->relpath = dv_strdup(relpath);
	r->files = (dv_vec)DV_VEC_INIT(dir_file);
	r->is_dir = n == 36 && !strcmp(md5_text + 32, ".dir");
	if (n < 32 || !(n == 32 || r->is_dir)) {
		r->broken = true;
		return;
	}
	snprintf(r->md5, sizeof(r->md5), "%.32s", md5_text);
	if (!is_md5(r->md5)) {
		r->broken = true;
		return;
	}
	if (!r->is_dir) {
		r->job = add_job(m, r->md5, relpath, to_cache);
		return;
	}
	char *obj = dvc_object_path(m, r->md5, true);
	if (obj || to_cache) {
		listing_from_cache(m, r, to_cache);
	} else {
		dv_buf abs = DV_BUF_INIT;
		dv_repo_abspath(&abs, m->repo, relpath);
		if (walk_listing(m, r, abs.ptr, "") < 0)
			r->broken = true;
		dv_buf_free(&abs);
	}
	free(obj);
}

/* ---- the second pass: read every file once ------------------------------ */

static void link_into_cache(migration *m, file_job *j)
{
	dv_buf dst = DV_BUF_INIT;
	dv_cache_object_path(&dst, m->repo->cache, &j->xxh, false);
	if (dv_cache_has(m->repo->cache, &j->xxh, false))
		goto done;
	if (dv_mkdir_parent(dst.ptr) == 0 && link(j->src, dst.ptr) == 0)
		goto done;
	if (errno == EEXIST)
		goto done;
	/* Another file system, or links refused: a copy, checked on entry. */
	{
		bool linked;
		dv_hash h;
		uint64_t size;
		if (dv_cache_add_file(&h, &size, &linked, m->repo->cache, j->src, &j->xxh, NULL) < 0)
			j->error = dv_strdup(dv_error_last());
	}
done:
	dv_buf_free(&dst);
}

static void run_job(void *ctx, size_t i)
{
	migration *m = ctx;
	file_job *j = dv_vec_at(&m->jobs, file_job, i);
	if (m->canon[i] != i)
		return; /* another job reads the same object */
	struct md5_ctx md5;
	uint8_t digest[MD5_DIGEST_SIZE];
	dv_hasher *hs;
	char *buf;
	int fd;

	if ((fd = open(j->src, O_RDONLY | O_CLOEXEC)) < 0) {
		j->error = dv_asprintf("cannot read '%s': %s", j->src, strerror(errno));
		return;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	hs = dv_hasher_new();
	buf = dv_malloc(1 << 20);
	md5_init(&md5);
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			j->error = dv_asprintf("cannot read '%s': %s", j->src, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		md5_update(&md5, (size_t)n, (const uint8_t *)buf);
		dv_hasher_update(hs, buf, (size_t)n);
		j->size += (uint64_t)n;
	}
	close(fd);
	free(buf);
	dv_hasher_final(&j->xxh, hs);
	dv_hasher_free(hs);
	if (j->error)
		return;
	md5_digest(&md5, sizeof(digest), digest);
	for (int k = 0; k < 16; k++)
		snprintf(j->got_md5 + 2 * k, 3, "%02x", digest[k]);
	j->ok = !*j->md5 || !strcmp(j->md5, j->got_md5);
	if (j->ok && j->to_cache)
		link_into_cache(m, j);
}

/* ---- the third pass: hashes, manifests ---------------------------------- */

/* DVC's listing of a directory: json.dumps(sorted by relpath,
 * sort_keys=True), whose md5 names the directory. */
static void dvc_listing_md5(char out[33], migration *m, const entry_ref *r)
{
	json_t *list = json_array();
	char *text;
	for (size_t i = 0; i < r->files.n; i++) {
		const dir_file *f = dv_vec_at(&r->files, dir_file, i);
		json_t *o = json_object();
		json_object_set_new(o, "md5", json_string(job_of(m, f->job)->got_md5));
		json_object_set_new(o, "relpath", json_string(f->rel));
		json_array_append_new(list, o);
	}
	text = json_dumps(list, JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	md5_hex(out, text, strlen(text));
	free(text);
	json_decref(list);
}

static void resolve_ref(migration *m, entry_ref *r)
{
	bool to_cache = r->to_cache;
	dv_stage_file *e = r->entry;
	if (r->broken)
		return;
	if (!r->is_dir) {
		file_job *j = job_of(m, r->job);
		if (!j->ok || j->error) {
			if (!j->error)
				skip(m, "'%s' changed since DVC recorded it (md5 %s): left for dv to report as modified",
				     r->relpath, r->md5);
			return;
		}
		e->has_hash = true;
		e->hash = j->xxh;
		e->is_dir = false;
		e->has_size = true;
		e->size = j->size;
		return;
	}
	dv_manifest man = DV_MANIFEST_INIT;
	dv_buf text = DV_BUF_INIT;
	char listing[33];
	bool ok = true;
	for (size_t i = 0; i < r->files.n && ok; i++) {
		const dir_file *f = dv_vec_at(&r->files, dir_file, i);
		const file_job *j = job_of(m, f->job);
		ok = j->ok && !j->error;
		if (ok)
			dv_manifest_add(&man, f->rel, &j->xxh, j->size, f->mode);
	}
	if (ok && !r->listed_by_dvc) {
		dvc_listing_md5(listing, m, r);
		ok = !strcmp(listing, r->md5);
	}
	if (!ok) {
		skip(m, "'%s' changed since DVC recorded it (%s.dir): left for dv to report as modified", r->relpath,
		     r->md5);
	} else {
		dv_manifest_serialize(&text, &man);
		if (to_cache)
			ok = dv_cache_add_buffer(&e->hash, m->repo->cache, text.ptr, text.len, true) == 0;
		else
			dv_hash_buffer(&e->hash, text.ptr, text.len);
		if (ok) {
			e->has_hash = e->is_dir = e->has_size = e->has_files = true;
			e->size = dv_manifest_total_size(&man);
			e->files = man.entries.n;
		}
	}
	dv_manifest_free(&man);
	dv_buf_free(&text);
}

/* ---- the first pass: DVC's metadata --------------------------------------- */

typedef struct {
	dv_vec roots; /* json_t*: params.yaml and the vars entries */
	json_t *params; /* params.yaml beside dvc.yaml (borrowed), or NULL */
} vars_set;

static void vars_free(vars_set *v)
{
	for (size_t i = 0; i < v->roots.n; i++)
		json_decref(*dv_vec_at(&v->roots, json_t *, i));
	dv_vec_free(&v->roots);
}

static json_t *vars_lookup(const vars_set *v, const char *key)
{
	for (size_t i = v->roots.n; i-- > 0;) {
		json_t *node = *dv_vec_at(&v->roots, json_t *, i);
		char *k = dv_strdup(key), *save = NULL;
		for (char *part = strtok_r(k, ".", &save); part && node; part = strtok_r(NULL, ".", &save))
			node = json_is_object(node) ? json_object_get(node, part)
			       : json_is_array(node) ? json_array_get(node, (size_t)atol(part)) : NULL;
		free(k);
		if (node)
			return node;
	}
	return NULL;
}

static int load_yaml_file(json_t **out, const char *abs, const char *name)
{
	dv_buf text = DV_BUF_INIT;
	int rc = dv_read_file(&text, abs);
	if (rc == 0)
		rc = dv_yaml_load(out, name, text.ptr, text.len);
	dv_buf_free(&text);
	return rc;
}

/* ${...} of DVC's templating: vars are written in, except ${item...} and
 * ${key} (left for dv's own templates) and, in a cmd, params the stage
 * declares (dv fills those in when the stage runs). */
static int interpolate(dv_buf *out, const char *s, const vars_set *v, const dv_strvec *keep, const char *where)
{
	dv_buf_reset(out);
	dv_buf_puts(out, "");
	while (*s) {
		const char *close;
		char *name;
		json_t *val;
		if (s[0] != '$' || s[1] != '{' || !(close = strchr(s, '}'))) {
			dv_buf_putc(out, *s++);
			continue;
		}
		name = dv_strndup(s + 2, (size_t)(close - s - 2));
		if (!strcmp(name, "item") || !strncmp(name, "item.", 5) || !strcmp(name, "key") ||
		    (keep && dv_strvec_contains(keep, name))) {
			dv_buf_add(out, s, (size_t)(close - s + 1));
		} else if ((val = vars_lookup(v, name)) != NULL) {
			dv_params_value_text(out, val, false);
		} else {
			int rc = dv_error(DV_ERROR, "%s uses '${%s}', which neither vars nor params.yaml define", where, name);
			free(name);
			return rc;
		}
		free(name);
		s = close + 1;
	}
	return 0;
}

static char *join_wdir(const char *wdir, const char *path)
{
	char *j = dv_asprintf("%s/%s", wdir, path), *n = dv_path_normalize(j);
	free(j);
	return n;
}

typedef struct {
	migration *m;
	const char *yaml_path;   /* repo-relative dvc.yaml */
	const char *dir;         /* its directory ("" at the root) */
	const char *name;        /* DVC stage name */
	const char *wdir;        /* "." by default */
	json_t *def;
	json_t *lock_stages;     /* dvc.lock "stages", or NULL */
	vars_set *vars;
} stage_src;

/* DVC's plot properties on an out (x, y, template, title, x_label,
 * y_label) are dv's [out] plot keys; a template dv does not draw is left
 * to dv's default (DVC's "simple" is dv's linear). */
static void plot_props_from(dv_stage_file *f, json_t *opts)
{
	static const char *const keys[] = { "x", "title", "x_label", "y_label" };
	dv_plot_props *pp = dv_plot_props_new();
	const char *tmpl = json_string_value(json_object_get(opts, "template"));
	json_t *y = json_object_get(opts, "y"), *v;
	size_t i;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const char *val = json_string_value(json_object_get(opts, keys[k]));
		char **field = k == 0 ? &pp->x : k == 1 ? &pp->title : k == 2 ? &pp->x_label : &pp->y_label;
		if (val)
			*field = dv_strdup(val);
	}
	if (tmpl && !strcmp(tmpl, "simple"))
		tmpl = "linear";
	if (tmpl && dv_plot_template_index(tmpl) >= 0)
		pp->template = dv_strdup(tmpl);
	if (json_is_string(y))
		dv_strvec_push(&pp->y, json_string_value(y));
	json_array_foreach(y, i, v) if (json_is_string(v)) dv_strvec_push(&pp->y, json_string_value(v));
	if (dv_plot_props_any(pp)) {
		dv_plot_props_free(f->plot_props);
		f->plot_props = pp;
	} else {
		dv_plot_props_free(pp);
	}
}

static int add_files(stage_src *s, dv_stage *st, json_t *list, bool is_out, bool metric, bool plot, dv_buf *tmp)
{
	size_t i;
	json_t *item;
	char *where = dv_asprintf("'%s' stage '%s'", s->yaml_path, s->name);
	int rc = 0;

	json_array_foreach(list, i, item) {
		const char *path = json_string_value(item);
		json_t *opts = NULL;
		dv_stage_file *f;
		char *norm;
		if (json_is_object(item) && json_object_size(item) == 1) {
			path = json_object_iter_key(json_object_iter(item));
			opts = json_object_iter_value(json_object_iter(item));
		}
		if (!path) {
			rc = dv_error(DV_ERROR, "%s: an entry that is not a path", where);
			break;
		}
		if ((rc = interpolate(tmp, path, s->vars, NULL, where)) < 0)
			break;
		norm = join_wdir(s->wdir, tmp->ptr);
		f = is_out ? dv_stage_add_out(st, norm) : dv_stage_add_dep(st, norm);
		free(norm);
		if (is_out) {
			json_t *c = json_object_get(opts, "cache"), *p = json_object_get(opts, "persist");
			f->cache = c ? json_is_true(c) : true;
			f->persist = p && json_is_true(p);
			f->metric = metric;
			f->plot = plot;
			if (plot)
				plot_props_from(f, opts);
		}
	}
	free(where);
	return rc;
}

static void add_param_key(dv_stage *st, const char *wdir, const char *file, const char *key)
{
	char *path = join_wdir(wdir, file);
	for (size_t i = 0; i < st->params.n; i++) {
		dv_stage_param *p = dv_stage_param_at(st, i);
		if (!strcmp(p->file, path) && !strcmp(p->key, key)) {
			free(path);
			return;
		}
	}
	dv_stage_add_param(st, path, key, NULL);
	free(path);
}

static json_t *lock_entry(stage_src *s, const char *name)
{
	return s->lock_stages ? json_object_get(s->lock_stages, name) : NULL;
}

static int add_params(stage_src *s, dv_stage *st, json_t *list)
{
	size_t i;
	json_t *item, *lock_params = json_object_get(lock_entry(s, s->name), "params");

	json_array_foreach(list, i, item) {
		if (json_is_string(item)) {
			add_param_key(st, s->wdir, "params.yaml", json_string_value(item));
			continue;
		}
		const char *file;
		json_t *keys;
		json_object_foreach(item, file, keys) {
			size_t k;
			json_t *key;
			if (json_is_array(keys) && json_array_size(keys)) {
				json_array_foreach(keys, k, key)
					if (json_is_string(key))
						add_param_key(st, s->wdir, file, json_string_value(key));
				continue;
			}
			/* The whole file: the keys DVC recorded (or its top level). */
			json_t *recorded = json_object_get(lock_params, file), *whole = NULL, *v;
			const char *kname;
			if (!recorded) {
				char *rel = join_wdir(s->wdir, file), *abs;
				abs = dv_asprintf("%s/%s%s%s", s->m->repo->root, s->dir, *s->dir ? "/" : "", rel);
				if (load_yaml_file(&whole, abs, rel) < 0)
					dv_error_clear();
				recorded = whole;
				free(rel);
				free(abs);
			}
			json_object_foreach(recorded, kname, v)
				add_param_key(st, s->wdir, file, kname);
			json_decref(whole);
		}
	}
	return 0;
}

/* The dv stage (template text when foreach/matrix) of one DVC stage. */
static int build_definition(dv_stage **out, stage_src *s, json_t *def, const char *stage_path)
{
	dv_stage *st = dv_stage_new(stage_path);
	dv_strvec keep = DV_STRVEC_INIT;
	dv_buf cmd = DV_BUF_INIT, tmp = DV_BUF_INIT;
	json_t *c = json_object_get(def, "cmd"), *v;
	char *where = dv_asprintf("'%s' stage '%s'", s->yaml_path, s->name);
	int rc = 0;

	*out = NULL;
	st->is_command = true;
	if (json_is_array(c)) {
		size_t i;
		json_array_foreach(c, i, v) dv_buf_printf(&cmd, "%s%s", i ? " && " : "", json_string_value(v) ? json_string_value(v) : "");
	} else if (json_is_string(c)) {
		dv_buf_puts(&cmd, json_string_value(c));
	} else {
		rc = dv_error(DV_ERROR, "%s has no cmd", where);
		goto done;
	}
	if ((v = json_object_get(def, "params")) && (rc = add_params(s, st, v)) < 0)
		goto done;
	/* ${a.b} from params.yaml stays a reference, to a param of the
	 * stage: dv fills it in at run time and reruns when it changes, as
	 * DVC's re-rendered cmd would. */
	for (const char *p = cmd.ptr; (p = strstr(p, "${")) != NULL; p += 2) {
		const char *close = strchr(p, '}');
		char *name = close ? dv_strndup(p + 2, (size_t)(close - p - 2)) : NULL;
		vars_set params_only = { DV_VEC_INIT(json_t *), NULL };
		if (name && s->vars->params && strchr(name, '.')) {
			*(json_t **)dv_vec_push(&params_only.roots) = s->vars->params;
			if (vars_lookup(&params_only, name))
				add_param_key(st, ".", "params.yaml", name);
		}
		dv_vec_free(&params_only.roots);
		free(name);
	}
	for (size_t i = 0; i < st->params.n; i++)
		dv_strvec_push(&keep, dv_stage_param_at(st, i)->key);
	if ((rc = interpolate(&tmp, cmd.ptr, s->vars, &keep, where)) < 0)
		goto done;
	st->cmd = strcmp(s->wdir, ".") ? dv_asprintf("cd %s && %s", s->wdir, tmp.ptr) : dv_strdup(tmp.ptr);
	if ((v = json_object_get(def, "desc")) && json_is_string(v))
		st->desc = dv_strdup(json_string_value(v));
	st->frozen = json_is_true(json_object_get(def, "frozen"));
	st->always_changed = json_is_true(json_object_get(def, "always_changed"));
	if ((rc = add_files(s, st, json_object_get(def, "deps"), false, false, false, &tmp)) < 0 ||
	    (rc = add_files(s, st, json_object_get(def, "outs"), true, false, false, &tmp)) < 0 ||
	    (rc = add_files(s, st, json_object_get(def, "metrics"), true, true, false, &tmp)) < 0 ||
	    (rc = add_files(s, st, json_object_get(def, "plots"), true, false, true, &tmp)) < 0)
		goto done;
	*out = st;
	st = NULL;
done:
	dv_stage_free(st);
	dv_strvec_free(&keep);
	dv_buf_free(&cmd);
	dv_buf_free(&tmp);
	free(where);
	return rc;
}

/* dvc.lock keeps a param as its key ("prepare.split: 0.2") or, for a
 * whole section, nested ("train: {lr: ...}"): find `key` either way. */
static json_t *lock_param_value(json_t *vals, const char *key)
{
	json_t *v = json_object_get(vals, key);
	for (const char *dot = strchr(key, '.'); !v && dot; dot = strchr(dot + 1, '.')) {
		char *head = dv_strndup(key, (size_t)(dot - key));
		json_t *sub = json_object_get(vals, head);
		free(head);
		if (json_is_object(sub))
			v = lock_param_value(sub, dot + 1);
	}
	return v;
}

/* What dvc.lock recorded for `st` (named `lock_name` there). */
static void fill_state(stage_src *s, dv_stage *st, const char *lock_name)
{
	json_t *lock = lock_entry(s, lock_name), *lp = json_object_get(lock, "params");
	const dv_vec *lists[2] = { &st->deps, &st->outs };
	const char *keys[2] = { "deps", "outs" };
	dv_buf expanded = DV_BUF_INIT;
	char *lock_cmd = NULL;
	json_t *lc;

	if (!lock)
		return;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			dv_stage_file *f = dv_vec_at(lists[k], dv_stage_file, i);
			size_t j;
			json_t *item;
			json_array_foreach(json_object_get(lock, keys[k]), j, item) {
				const char *p = json_string_value(json_object_get(item, "path"));
				char *norm = p ? join_wdir(s->wdir, p) : NULL;
				bool same = norm && !strcmp(norm, f->path);
				free(norm);
				if (same) {
					char *rel = dv_stage_entry_relpath(st, f->path);
					want_entry(s->m, f, rel, json_string_value(json_object_get(item, "md5")),
						   k == 1 && f->cache);
					free(rel);
					break;
				}
			}
		}
	for (size_t i = 0; i < st->params.n; i++) {
		dv_stage_param *p = dv_stage_param_at(st, i);
		const char *file;
		json_t *vals, *val = NULL;
		json_object_foreach(lp, file, vals) {
			char *norm = join_wdir(s->wdir, file);
			if (!strcmp(norm, p->file))
				val = lock_param_value(vals, p->key);
			free(norm);
			if (val)
				break;
		}
		/* A param only the cmd's ${...} named: the value that rendered
		 * the cmd DVC ran (checked below against the lock's cmd). */
		if (!val && !strcmp(p->file, "params.yaml") && s->vars->params) {
			vars_set only = { DV_VEC_INIT(json_t *), NULL };
			*(json_t **)dv_vec_push(&only.roots) = s->vars->params;
			val = vars_lookup(&only, p->key);
			dv_vec_free(&only.roots);
		}
		if (val) {
			dv_buf t = DV_BUF_INIT;
			dv_params_value_text(&t, val, false);
			p->value = dv_buf_detach(&t);
		}
	}
	/* The definition counts as run when DVC ran this very command. */
	lc = json_object_get(lock, "cmd");
	if (json_is_array(lc)) {
		dv_buf j = DV_BUF_INIT;
		size_t i;
		json_t *v;
		json_array_foreach(lc, i, v) dv_buf_printf(&j, "%s%s", i ? " && " : "", json_string_value(v) ? json_string_value(v) : "");
		lock_cmd = dv_buf_detach(&j);
	} else if (json_is_string(lc)) {
		lock_cmd = dv_strdup(json_string_value(lc));
	}
	if (lock_cmd && dv_stage_expand_cmd(&expanded, st) == 0) {
		const char *mine = expanded.ptr;
		size_t pre = strcmp(s->wdir, ".") ? strlen(s->wdir) + 7 : 0; /* "cd W && " */
		if (strlen(mine) >= pre && !strcmp(mine + pre, lock_cmd)) {
			dv_stage_def_hash(&st->def_hash, st);
			st->has_def_hash = true;
		}
	}
	dv_error_clear();
	free(lock_cmd);
	dv_buf_free(&expanded);
}

static bool claim_name(migration *m, const char *name, const char *where)
{
	if (dv_strvec_contains(&m->names, name)) {
		skip(m, "%s: a stage named '%s' exists already (dv's stage names are unique in the repository)", where, name);
		return false;
	}
	dv_strvec_push(&m->names, name);
	return true;
}

static void list_text(dv_buf *out, json_t *list, const char *prefix)
{
	size_t i;
	json_t *v;
	dv_buf_puts(out, prefix);
	json_array_foreach(list, i, v) {
		if (i)
			dv_buf_puts(out, ", ");
		dv_params_value_text(out, v, false);
	}
	dv_buf_putc(out, '\n');
}

/* ${key}, ${item} and ${item.a.b} of a foreach over a mapping, written
 * into every string of `def` (a copy) for the entry `key` -> `item`. */
static void substitute_entry(json_t *def, const char *key, json_t *item)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(def)) {
		/* Keys too: an out with options is `{"fit-${key}.txt": {...}}`. */
		json_t *rebuilt = json_object();
		json_object_foreach(def, k, v) {
			json_t *name = json_string(k);
			substitute_entry(name, key, item);
			if (json_is_string(v)) {
				json_t *n = json_string(json_string_value(v));
				substitute_entry(n, key, item);
				json_object_set_new(rebuilt, json_string_value(name), n);
			} else {
				substitute_entry(v, key, item);
				json_object_set(rebuilt, json_string_value(name), v);
			}
			json_decref(name);
		}
		json_object_clear(def);
		json_object_update(def, rebuilt);
		json_decref(rebuilt);
	} else if (json_is_array(def)) {
		json_array_foreach(def, i, v) {
			if (json_is_string(v)) {
				json_t *n = json_string(json_string_value(v));
				substitute_entry(n, key, item);
				json_array_set_new(def, i, n);
			} else {
				substitute_entry(v, key, item);
			}
		}
	} else if (json_is_string(def)) {
		dv_buf out = DV_BUF_INIT;
		const char *p = json_string_value(def), *open;
		while ((open = strstr(p, "${")) != NULL) {
			const char *close = strchr(open, '}');
			char *name = close ? dv_strndup(open + 2, (size_t)(close - open - 2)) : NULL;
			json_t *val = NULL;
			dv_buf_add(&out, p, (size_t)(open - p));
			if (name && !strcmp(name, "key")) {
				dv_buf_puts(&out, key);
			} else if (name && (!strcmp(name, "item") || !strncmp(name, "item.", 5))) {
				vars_set one = { DV_VEC_INIT(json_t *), NULL };
				json_t *wrap = json_pack("{s:O}", "item", item);
				*(json_t **)dv_vec_push(&one.roots) = wrap;
				if ((val = vars_lookup(&one, name)) != NULL)
					dv_params_value_text(&out, val, false);
				dv_vec_free(&one.roots);
				json_decref(wrap);
			}
			if (!val && !(name && !strcmp(name, "key")))
				dv_buf_add(&out, open, close ? (size_t)(close - open + 1) : strlen(open));
			free(name);
			p = close ? close + 1 : open + strlen(open);
		}
		dv_buf_puts(&out, p);
		json_string_set(def, out.ptr);
		dv_buf_free(&out);
	}
}

/* foreach over a mapping (`foreach: {uk: {epochs: 3}, us: ...}`): dv's
 * templates take lists, so each entry becomes a stage of its own, named
 * NAME@KEY as DVC names it, with ${key} and ${item...} written in. */
static int migrate_foreach_mapping(stage_src *s, json_t *foreach, json_t *def, const char *stage_path)
{
	size_t base = strlen(stage_path) - strlen(DV_STAGE_SUFFIX);
	const char *key;
	json_t *item;
	int rc = 0;

	json_object_foreach(foreach, key, item) {
		json_t *copy;
		dv_stage *st = NULL;
		char *path;
		if (!*key || strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") != strlen(key)) {
			char *what = dv_asprintf("'%s' stage '%s'", s->yaml_path, s->name);
			skip(s->m, "%s: foreach key '%s' is not converted (dv stage names take letters, digits "
			     "and ._+-)", what, key);
			free(what);
			continue;
		}
		path = dv_asprintf("%.*s@%s%s", (int)base, stage_path, key, DV_STAGE_SUFFIX);
		copy = json_deep_copy(def);
		substitute_entry(copy, key, item);
		rc = build_definition(&st, s, copy, path);
		json_decref(copy);
		free(path);
		if (rc < 0)
			return rc;
		if (!claim_name(s->m, st->name, s->yaml_path)) {
			dv_stage_free(st);
			continue;
		}
		fill_state(s, st, st->name);
		*(dv_stage **)dv_vec_push(&s->m->stages) = st;
		s->m->rep->stages++;
	}
	return 0;
}

/* foreach/matrix: a dv template, and an instance file per lock entry. */
static int migrate_template(stage_src *s, json_t *foreach, json_t *matrix, json_t *def, const char *stage_path)
{
	dv_stage *st = NULL, *tmpl = NULL;
	dv_buf text = DV_BUF_INIT, head = DV_BUF_INIT;
	dv_vec inst = DV_VEC_INIT(dv_stage *);
	int rc;

	if (json_is_string(foreach) && !strncmp(json_string_value(foreach), "${", 2)) {
		char *name = dv_strndup(json_string_value(foreach) + 2, strlen(json_string_value(foreach)) - 3);
		foreach = vars_lookup(s->vars, name);
		free(name);
	}
	if (json_is_object(foreach))
		return migrate_foreach_mapping(s, foreach, def, stage_path);
	if (foreach && !json_is_array(foreach)) {
		skip(s->m, "'%s' stage '%s': foreach over neither a list nor a mapping is not converted",
		     s->yaml_path, s->name);
		return 0;
	}
	if ((rc = build_definition(&st, s, def, stage_path)) < 0)
		goto done;
	if ((rc = dv_stage_serialize(&text, st)) < 0)
		goto done;
	if (foreach) {
		const char *at = strstr(text.ptr, "[stage]\n");
		dv_buf_add(&head, text.ptr, (size_t)(at - text.ptr) + 8);
		list_text(&head, foreach, "foreach = ");
		dv_buf_puts(&head, at + 8);
	} else {
		const char *k;
		json_t *l;
		dv_buf_puts(&head, "[matrix]\n");
		json_object_foreach(matrix, k, l) {
			dv_buf_printf(&head, "%s", k);
			list_text(&head, l, " = ");
		}
		dv_buf_printf(&head, "\n%s", text.ptr);
	}
	if ((rc = dv_stage_parse(&tmpl, stage_path, head.ptr, head.len)) < 0 ||
	    (rc = dv_stage_template_expand(&inst, tmpl)) < 0) {
		rc = dv_error_wrap(rc, "'%s' stage '%s'", s->yaml_path, s->name);
		goto done;
	}
	dv_strvec_push(&s->m->templates, stage_path);
	dv_strvec_push(&s->m->templates, head.ptr);
	for (size_t i = 0; i < inst.n; i++) {
		dv_stage *in = *dv_vec_at(&inst, dv_stage *, i);
		if (!claim_name(s->m, in->name, s->yaml_path)) {
			dv_stage_free(in);
			continue;
		}
		fill_state(s, in, in->name);
		*(dv_stage **)dv_vec_push(&s->m->stages) = in;
		s->m->rep->stages++;
	}
	inst.n = 0;
done:
	dv_stages_free(&inst);
	dv_stage_free(st);
	dv_stage_free(tmpl);
	dv_buf_free(&text);
	dv_buf_free(&head);
	return rc;
}

static int migrate_dvc_yaml(migration *m, const char *yaml_rel)
{
	dv_buf abs = DV_BUF_INIT, lockpath = DV_BUF_INIT;
	json_t *doc = NULL, *lock = NULL, *stages, *def, *v;
	vars_set vars = { DV_VEC_INIT(json_t *), NULL };
	char *dir = dv_path_dirname(yaml_rel);
	const char *name;
	int rc;

	if (!strcmp(dir, ".")) {
		free(dir);
		dir = dv_strdup("");
	}
	dv_repo_abspath(&abs, m->repo, yaml_rel);
	if ((rc = load_yaml_file(&doc, abs.ptr, yaml_rel)) < 0)
		goto done;
	dv_buf_printf(&lockpath, "%s/%s%sdvc.lock", m->repo->root, dir, *dir ? "/" : "");
	if (dv_path_exists(lockpath.ptr)) {
		char *lrel = dv_asprintf("%s%sdvc.lock", dir, *dir ? "/" : "");
		rc = load_yaml_file(&lock, lockpath.ptr, lrel);
		free(lrel);
		if (rc < 0)
			goto done;
	}
	/* vars: params.yaml beside dvc.yaml, then what `vars` lists. */
	{
		json_t *p = NULL;
		char *pp = dv_asprintf("%s/%s%sparams.yaml", m->repo->root, dir, *dir ? "/" : "");
		if (dv_path_exists(pp) && (rc = load_yaml_file(&p, pp, "params.yaml")) < 0) {
			free(pp);
			goto done;
		}
		free(pp);
		if (p)
			*(json_t **)dv_vec_push(&vars.roots) = vars.params = p;
		size_t i;
		json_array_foreach(json_object_get(doc, "vars"), i, v) {
			json_t *root = NULL;
			if (json_is_object(v)) {
				root = json_incref(v);
			} else if (json_is_string(v)) {
				char *file = dv_strdup(json_string_value(v)), *colon = strchr(file, ':');
				char *fabs;
				if (colon)
					*colon = '\0';
				fabs = dv_asprintf("%s/%s%s%s", m->repo->root, dir, *dir ? "/" : "", file);
				if (load_yaml_file(&root, fabs, file) < 0) {
					skip(m, "'%s': vars file '%s' could not be read", yaml_rel, file);
					dv_error_clear();
				}
				free(fabs);
				free(file);
			}
			if (root)
				*(json_t **)dv_vec_push(&vars.roots) = root;
		}
	}
	stages = json_object_get(doc, "stages");
	json_object_foreach(stages, name, def) {
		stage_src s = { m, yaml_rel, dir, name, ".", def, json_object_get(lock, "stages"), &vars };
		char *stage_path = dv_asprintf("%s%s%s.stage", dir, *dir ? "/" : "", name);
		json_t *fe = json_object_get(def, "foreach"), *mx = json_object_get(def, "matrix");
		json_t *body = fe ? json_object_get(def, "do") : def;
		if ((v = json_object_get(body, "wdir")) && json_is_string(v))
			s.wdir = json_string_value(v);
		if (fe || mx) {
			rc = migrate_template(&s, fe, mx, body, stage_path);
		} else if (claim_name(m, name, yaml_rel)) {
			dv_stage *st = NULL;
			if ((rc = build_definition(&st, &s, def, stage_path)) == 0) {
				fill_state(&s, st, name);
				*(dv_stage **)dv_vec_push(&m->stages) = st;
				m->rep->stages++;
			}
		}
		free(stage_path);
		if (rc < 0)
			goto done;
	}
done:
	vars_free(&vars);
	json_decref(doc);
	json_decref(lock);
	dv_buf_free(&abs);
	dv_buf_free(&lockpath);
	free(dir);
	return rc;
}

static int migrate_dvc_file(migration *m, const char *rel)
{
	dv_buf abs = DV_BUF_INIT;
	json_t *doc = NULL, *item;
	char *dir = dv_path_dirname(rel);
	size_t i;
	int rc;

	dv_repo_abspath(&abs, m->repo, rel);
	if ((rc = load_yaml_file(&doc, abs.ptr, rel)) < 0)
		goto done;
	if (json_array_size(json_object_get(doc, "deps")))
		skip(m, "'%s' was imported (dvc import); its data is migrated, not the link to its source%s", rel, NULL);
	json_array_foreach(json_object_get(doc, "outs"), i, item) {
		const char *path = json_string_value(json_object_get(item, "path"));
		json_t *c = json_object_get(item, "cache");
		char *full, *stage_path;
		dv_stage *st;
		if (!path)
			continue;
		full = strcmp(dir, ".") ? join_wdir(dir, path) : dv_path_normalize(path);
		stage_path = dv_asprintf("%s%s", full, DV_STAGE_SUFFIX);
		st = dv_stage_new(stage_path);
		dv_stage_file *f = dv_stage_add_out(st, dv_path_basename(full));
		f->cache = c ? json_is_true(c) : true;
		want_entry(m, f, full, json_string_value(json_object_get(item, "md5")), f->cache);
		*(dv_stage **)dv_vec_push(&m->stages) = st;
		m->rep->data_stages++;
		free(full);
		free(stage_path);
	}
done:
	json_decref(doc);
	dv_buf_free(&abs);
	free(dir);
	return rc;
}

/* Every *.dvc and dvc.yaml below the root, sorted (not in .git, .dv, .dvc). */
static void find_metadata(dv_strvec *out, const char *abs, const char *rel)
{
	struct dirent **names = NULL;
	int n = scandir(abs, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		if (name[0] == '.' && (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git") ||
				       !strcmp(name, ".dv") || !strcmp(name, ".dvc"))) {
			free(names[i]);
			continue;
		}
		char *cabs = dv_asprintf("%s/%s", abs, name);
		char *crel = *rel ? dv_asprintf("%s/%s", rel, name) : dv_strdup(name);
		struct stat st;
		if (lstat(cabs, &st) == 0 && S_ISDIR(st.st_mode))
			find_metadata(out, cabs, crel);
		else if (!strcmp(name, "dvc.yaml") || (len > 4 && !strcmp(name + len - 4, ".dvc")))
			dv_strvec_push(out, crel);
		free(cabs);
		free(crel);
		free(names[i]);
	}
	free(names);
}

/* ---- remotes ------------------------------------------------------------ */

typedef struct {
	migration *m;
	char *remote;       /* current [remote "NAME"] */
	char *core_remote;
} remote_ctx;

static int on_dvc_config(void *user, const dv_ini_item *it)
{
	remote_ctx *c = user;
	char sec[256];
	size_t n;

	snprintf(sec, sizeof(sec), "%s", it->section);
	n = strlen(sec);
	if (n >= 2 && sec[0] == '\'' && sec[n - 1] == '\'') { /* configobj writes ['remote "x"'] */
		memmove(sec, sec + 1, n - 2);
		sec[n - 2] = '\0';
	}
	if (!it->name) {
		free(c->remote);
		c->remote = NULL;
		if (!strncmp(sec, "remote \"", 8) && sec[strlen(sec) - 1] == '"')
			c->remote = dv_strndup(sec + 8, strlen(sec) - 9);
		return 0;
	}
	if (!strcmp(sec, "core") && !strcmp(it->name, "remote")) {
		free(c->core_remote);
		c->core_remote = dv_strdup(it->value);
	}
	if (c->remote && (!strcmp(it->name, "url") || !strcmp(it->name, "endpointurl") || !strcmp(it->name, "region")))
		dv_strvec_push_take(&c->m->rep->remotes, dv_asprintf("%s %s %s", c->remote, it->name, it->value));
	return 0;
}

static int migrate_remotes(migration *m)
{
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT, conf = DV_BUF_INIT;
	remote_ctx c = { m, NULL, NULL };
	dv_strvec raw = DV_STRVEC_INIT, done = DV_STRVEC_INIT;
	int rc = 0;

	dv_buf_printf(&path, "%s/.dvc/config", m->repo->root);
	dv_buf_printf(&conf, "%s/config", m->repo->dvdir);
	if (dv_read_file(&text, path.ptr) < 0) {
		dv_error_clear();
		goto done;
	}
	if ((rc = dv_ini_parse(".dvc/config", text.ptr, text.len, DV_INI_NO_CONTINUATION, on_dvc_config, &c)) < 0)
		goto done;
	raw = m->rep->remotes;
	m->rep->remotes = (dv_strvec)DV_STRVEC_INIT;
	for (size_t i = 0; i < raw.n && rc == 0; i++) {
		char *name = dv_strdup(raw.v[i]), *key = strchr(name, ' '), *value, *dvkey;
		*key++ = '\0';
		value = strchr(key, ' ');
		*value++ = '\0';
		if (dv_config_check_remote_name(name) < 0) {
			skip(m, "remote '%s': %s", name, dv_error_last());
			dv_error_clear();
		} else if (!strcmp(key, "url")) {
			char *url = NULL;
			if (strstr(value, "://") && strncmp(value, "s3://", 5) && strncmp(value, "ssh://", 6) &&
			    strncmp(value, "http://", 7) && strncmp(value, "https://", 8) && strncmp(value, "file://", 7))
				skip(m, "remote '%s' (%s): dv has no remote of that kind (it has local, ssh, s3 and http)", name, value);
			else
				url = value[0] == '/' || strstr(value, "://") ? dv_strdup(value) : join_wdir(".dvc", value);
			if (url) {
				dvkey = dv_asprintf("remote.%s.url", name);
				rc = dv_config_write(conf.ptr, dvkey, url);
				free(dvkey);
				dv_strvec_push_take(&m->rep->remotes, dv_asprintf("%s %s", name, url));
				dv_strvec_push(&done, name);
				free(url);
			}
		}
		free(name);
	}
	/* endpoint and region of the remotes taken over */
	for (size_t i = 0; i < raw.n && rc == 0; i++) {
		char *name = dv_strdup(raw.v[i]), *key = strchr(name, ' '), *value, *dvkey;
		*key++ = '\0';
		value = strchr(key, ' ');
		*value++ = '\0';
		if (dv_strvec_contains(&done, name) && strcmp(key, "url")) {
			dvkey = dv_asprintf("remote.%s.%s", name, !strcmp(key, "endpointurl") ? "endpoint" : key);
			rc = dv_config_write(conf.ptr, dvkey, value);
			free(dvkey);
		}
		free(name);
	}
	if (rc == 0 && c.core_remote && dv_strvec_contains(&done, c.core_remote))
		rc = dv_config_write(conf.ptr, "core.remote", c.core_remote);
done:
	free(c.remote);
	free(c.core_remote);
	dv_strvec_free(&raw);
	dv_strvec_free(&done);
	dv_buf_free(&path);
	dv_buf_free(&text);
	dv_buf_free(&conf);
	return rc;
}

/* ---- writing and committing --------------------------------------------- */

static int git_commit_index(dv_repo *repo, const char *message)
{
	git_repository *g = dv_repo_git(repo);
	git_index *idx = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_oid tree_id, commit_id, parent_id;
	int rc = 0;

	if (!g)
		return DV_ERROR;
	if (git_repository_index(&idx, g) < 0 || git_index_read(idx, 0) < 0 ||
	    git_index_write_tree(&tree_id, idx) < 0 || git_tree_lookup(&tree, g, &tree_id) < 0) {
		rc = dv_git_error("cannot write the migrated tree");
		goto done;
	}
	if (git_signature_default(&sig, g) < 0) {
		rc = dv_git_error("cannot commit: set user.name and user.email in git, or rerun with --no-commit");
		goto done;
	}
	if (git_reference_name_to_id(&parent_id, g, "HEAD") == 0 && git_commit_lookup(&parent, g, &parent_id) < 0) {
		rc = dv_git_error("cannot read HEAD");
		goto done;
	}
	if (git_commit_create_v(&commit_id, g, "HEAD", sig, sig, NULL, message, tree, parent ? 1 : 0, parent) < 0)
		rc = dv_git_error("cannot commit the migration");
done:
	git_commit_free(parent);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(idx);
	return rc;
}

static int write_results(migration *m, const dv_migrate_opts *opts)
{
	int rc = 0;

	for (size_t i = 0; i + 1 < m->templates.n && rc == 0; i += 2) {
		dv_buf abs = DV_BUF_INIT;
		dv_repo_abspath(&abs, m->repo, m->templates.v[i]);
		rc = dv_write_file_atomic(abs.ptr, m->templates.v[i + 1], strlen(m->templates.v[i + 1]), 0644);
		dv_strvec_push(&m->written, m->templates.v[i]);
		dv_buf_free(&abs);
	}
	for (size_t i = 0; i < m->stages.n && rc == 0; i++) {
		dv_stage *st = *dv_vec_at(&m->stages, dv_stage *, i);
		if ((rc = dv_stage_save(st, m->repo->root)) < 0)
			break;
		dv_strvec_push(&m->written, st->path);
		for (size_t j = 0; j < st->outs.n && rc == 0; j++) {
			char *rel = dv_stage_entry_relpath(st, dv_stage_out(st, j)->path), *gi = NULL;
			if (dv_stage_out(st, j)->cache && (rc = dv_gitignore_add(&gi, m->repo, rel)) == 0 && gi &&
			    !dv_strvec_contains(&m->written, gi))
				dv_strvec_push_take(&m->written, gi);
			else
				free(gi);
			free(rel);
		}
	}
	if (rc < 0)
		return rc;
	dv_strvec_push(&m->written, ".dv/config");
	dv_strvec_push(&m->written, ".dv/.gitignore");
	if ((rc = dv_git_stage_paths(m->repo, &m->written)) < 0)
		return rc;
	if (!opts->no_commit) {
		rc = git_commit_index(m->repo, "Migrate from DVC (dv migrate)\n\nDVC's files and .dvc/cache are "
					       "left as they were; remove them when satisfied.\n");
		m->rep->committed = rc == 0;
	}
	return rc;
}

int dv_migrate_dvc(dv_migrate_report *rep, dv_repo *repo, const dv_migrate_opts *opts)
{
	migration m;
	dv_strvec meta = DV_STRVEC_INIT;
	dv_buf dvcdir = DV_BUF_INIT;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	rep->remotes = (dv_strvec)DV_STRVEC_INIT;
	rep->skipped = (dv_strvec)DV_STRVEC_INIT;
	memset(&m, 0, sizeof(m));
	m.repo = repo;
	m.rep = rep;
	m.jobs = (dv_vec)DV_VEC_INIT(file_job);
	m.refs = (dv_vec)DV_VEC_INIT(entry_ref);
	m.stages = (dv_vec)DV_VEC_INIT(dv_stage *);
	dv_buf_init(&m.dvc_cache);
	dv_buf_printf(&dvcdir, "%s/.dvc", repo->root);
	if (!dv_is_dir(dvcdir.ptr)) {
		rc = dv_error(DV_ENOTFOUND, "'%s' is not a DVC repository: there is no .dvc directory", repo->root);
		goto done;
	}
	dv_buf_printf(&m.dvc_cache, "%s/cache", dvcdir.ptr);
	if ((rc = migrate_remotes(&m)) < 0)
		goto done;
	find_metadata(&meta, repo->root, "");
	for (size_t i = 0; i < meta.n && rc == 0; i++)
		rc = !strcmp(dv_path_basename(meta.v[i]), "dvc.yaml") ? migrate_dvc_yaml(&m, meta.v[i])
								       : migrate_dvc_file(&m, meta.v[i]);
	if (rc < 0)
		goto done;
	fold_jobs(&m);
	for (size_t i = 0; i < m.jobs.n; i++)
		m.rep->objects += m.canon[i] == i;
	dv_parallel_for(m.jobs.n, opts->jobs > 0 ? opts->jobs : dv_pool_default_jobs(), run_job, &m);
	for (size_t i = 0; i < m.jobs.n; i++) {
		file_job *j = dv_vec_at(&m.jobs, file_job, i);
		if (m.canon[i] != i)
			continue;
		if (j->error) {
			rc = dv_error(DV_ERROR, "%s", j->error);
			goto done;
		}
		m.rep->bytes += j->size;
	}
	for (size_t i = 0; i < m.refs.n; i++)
		resolve_ref(&m, dv_vec_at(&m.refs, entry_ref, i));
	rc = write_results(&m, opts);
done:
	for (size_t i = 0; i < m.jobs.n; i++) {
		free(dv_vec_at(&m.jobs, file_job, i)->src);
		free(dv_vec_at(&m.jobs, file_job, i)->error);
	}
	dv_vec_free(&m.jobs);
	for (size_t i = 0; i < m.refs.n; i++) {
		entry_ref *r = dv_vec_at(&m.refs, entry_ref, i);
		for (size_t k = 0; k < r->files.n; k++)
			free(dv_vec_at(&r->files, dir_file, k)->rel);
		dv_vec_free(&r->files);
		free(r->relpath);
	}
	dv_vec_free(&m.refs);
	dv_stages_free(&m.stages);
	dv_strvec_free(&m.templates);
	dv_strvec_free(&m.written);
	dv_strvec_free(&m.names);
	free(m.canon);
	dv_buf_free(&m.dvc_cache);
	dv_buf_free(&dvcdir);
	dv_strvec_free(&meta);
	return rc;
}
