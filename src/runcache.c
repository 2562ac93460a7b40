/*
 * runcache.c - remembering what a stage produced for given inputs, and
 * restoring it instead of running the command again.
 *
 * An entry is a small text file, one line per out:
 *     dv-run 1
 *     xxh128:<hex>[.dir] <size> <files> <path>
 * (path as the stage writes it, git-quoted when it needs to be).  The key
 * folds in the definition hash, so a changed cmd or flag never matches an
 * old entry.  A restore first checks that every object (and for a
 * directory every file of its manifest) is in the cache, so it either
 * restores all outs or touches nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/manifest.h"
#include "dv/runcache.h"
#include "dv/staleness.h"
#include "dv/workspace.h"

#define RUN_MAGIC "dv-run 1"
/* Uncached outs are copied into the cache for the run-cache; past this
 * size an uncached out is not worth it (and was declared uncached for a
 * reason), so the stage is not run-cached. */
#define RUN_MAX_UNCACHED (64u << 20)

bool dv_runcache_eligible(const dv_stage *st)
{
	if (!st->cmd || st->always_changed || !st->outs.n)
		return false;
	for (size_t i = 0; i < st->outs.n; i++)
		if (dv_stage_out(st, i)->persist)
			return false;
	return true;
}

void dv_runcache_key(dv_hash *out, const dv_stage *st)
{
	dv_buf b = DV_BUF_INIT;
	dv_hash def;
	char text[64];

	dv_stage_def_hash(&def, st);
	dv_buf_puts(&b, RUN_MAGIC);
	dv_buf_add(&b, "", 1);
	dv_buf_add(&b, def.bytes, sizeof(def.bytes));
	for (size_t i = 0; i < st->deps.n; i++) {
		const dv_stage_file *d = dv_stage_dep(st, i);
		dv_hash_format(text, sizeof(text), &d->hash, d->is_dir);
		dv_buf_printf(&b, "D%s", d->has_hash ? text : "-");
		dv_buf_add(&b, "", 1);
	}
	for (size_t i = 0; i < st->params.n; i++) {
		const dv_stage_param *p = dv_stage_param_at(st, i);
		dv_buf_printf(&b, "P%s", p->value ? p->value : "");
		dv_buf_add(&b, "", 1);
	}
	dv_hash_buffer(out, b.ptr, b.len);
	dv_buf_free(&b);
}

static void entry_path(dv_buf *out, dv_repo *repo, const dv_stage *st)
{
	dv_hash key;
	char hex[DV_HASH_HEXLEN + 1];

	dv_runcache_key(&key, st);
	dv_hash_to_hex(hex, &key);
	dv_buf_reset(out);
	dv_buf_printf(out, "%s/runs/%.2s/%s", repo->cache->dir, hex, hex + 2);
}

/* Copy an uncached file out into the cache so a restore can find it. */
static int cache_uncached(dv_repo *repo, const char *relpath, const dv_stage_file *o)
{
	dv_buf abs = DV_BUF_INIT, data = DV_BUF_INIT;
	dv_hash h;
	int rc = 0;

	if (dv_cache_has(repo->cache, &o->hash, false))
		return 0;
	dv_repo_abspath(&abs, repo, relpath);
	if ((rc = dv_read_file(&data, abs.ptr)) < 0)
		goto done;
	if ((rc = dv_cache_add_buffer(&h, repo->cache, data.ptr, data.len, false)) < 0)
		goto done;
	if (!dv_hash_equal(&h, &o->hash))
		rc = dv_error(DV_ECHANGED, "'%s' changed while it was being recorded", relpath);
done:
	dv_buf_free(&abs);
	dv_buf_free(&data);
	return rc;
}

int dv_runcache_save(dv_repo *repo, const dv_stage *st)
{
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT;
	int rc = 0;

	if (!dv_runcache_eligible(st))
		return 0;
	dv_buf_puts(&text, RUN_MAGIC "\n");
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *o = dv_stage_out(st, i);
		char hash[64];
		if (!o->has_hash)
			goto done;
		if (!o->cache) {
			char *rel;
			if (o->is_dir || o->size > RUN_MAX_UNCACHED)
				goto done; /* not run-cacheable: skip quietly */
			rel = dv_stage_entry_relpath(st, o->path);
			rc = cache_uncached(repo, rel, o);
			free(rel);
			if (rc < 0)
				goto done;
		}
		dv_hash_format(hash, sizeof(hash), &o->hash, o->is_dir);
		dv_buf_printf(&text, "%s %llu %llu ", hash, (unsigned long long)o->size,
			      (unsigned long long)o->files);
		dv_quote_path(&text, o->path);
		dv_buf_putc(&text, '\n');
	}
	entry_path(&path, repo, st);
	if ((rc = dv_mkdir_parent(path.ptr)) == 0)
		rc = dv_write_file_atomic(path.ptr, text.ptr, text.len, 0444);
done:
	dv_buf_free(&path);
	dv_buf_free(&text);
	return rc;
}

typedef struct {
	char *path;
	dv_hash hash;
	bool is_dir;
	uint64_t size, files;
} run_out;

static void run_outs_free(dv_vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(dv_vec_at(v, run_out, i)->path);
	dv_vec_free(v);
}

/* Parse an entry; a malformed one (hand-edited, or from a future
 * version) is treated as absent rather than failing the run. */
static bool parse_entry(dv_vec *outs, const char *text)
{
	const char *p = text;
	size_t ml = strlen(RUN_MAGIC);
	dv_buf path = DV_BUF_INIT;
	bool ok = true;

	if (strncmp(p, RUN_MAGIC "\n", ml + 1))
		return false;
	p += ml + 1;
	while (*p && ok) {
		const char *nl = strchr(p, '\n');
		char hash[64];
		unsigned long long size, files;
		int used = 0;
		run_out *o;
		if (!nl || sscanf(p, "%63s %llu %llu %n", hash, &size, &files, &used) != 3 || !used) {
			ok = false;
			break;
		}
		o = dv_vec_push(outs);
		dv_buf_reset(&path);
		if (dv_hash_parse(&o->hash, &o->is_dir, hash) < 0 ||
		    dv_unquote_path(&path, p + used, (size_t)(nl - p - used)) < 0) {
			ok = false;
			break;
		}
		o->path = dv_strdup(path.ptr);
		o->size = size;
		o->files = files;
		p = nl + 1;
	}
	dv_buf_free(&path);
	return ok;
}

static bool objects_present(dv_repo *repo, const run_out *o)
{
	dv_buf text = DV_BUF_INIT;
	dv_manifest m = DV_MANIFEST_INIT;
	bool ok;

	if (!dv_cache_has(repo->cache, &o->hash, o->is_dir))
		return false;
	if (!o->is_dir)
		return true;
	ok = dv_cache_read(&text, repo->cache, &o->hash, true) == 0 &&
	     dv_manifest_parse(&m, text.ptr, text.len, "run-cache manifest") == 0;
	for (size_t i = 0; ok && i < m.entries.n; i++)
		ok = dv_cache_has(repo->cache, &dv_vec_at(&m.entries, dv_manifest_entry, i)->hash, false);
	dv_manifest_free(&m);
	dv_buf_free(&text);
	return ok;
}

static const run_out *find_run_out(const dv_vec *outs, const char *path)
{
	for (size_t i = 0; i < outs->n; i++)
		if (!strcmp(dv_vec_at(outs, run_out, i)->path, path))
			return dv_vec_at(outs, run_out, i);
	return NULL;
}

static int restore_out(dv_repo *repo, const dv_stage *st, dv_stage_file *o, const run_out *r)
{
	char *rel = dv_stage_entry_relpath(st, o->path);
	dv_buf abs = DV_BUF_INIT, obj = DV_BUF_INIT;
	dv_vec report = DV_VEC_INIT(dv_checkout_item);
	dv_checkout_opts opts = { .force = true, .relink = false };
	int rc;

	dv_ws_state ws = { true, r->is_dir, r->hash, r->size, r->files };
	dv_stage_file_set_state(o, &ws);
	dv_repo_abspath(&abs, repo, rel);
	if ((rc = dv_repo_check_path(repo, rel, 0)) < 0 || (rc = dv_mkdir_parent(abs.ptr)) < 0)
		goto done;
	if (o->cache) {
		rc = dv_workspace_checkout_entry(repo, o, rel, &opts, &report);
		for (size_t i = 0; rc == 0 && i < report.n; i++) {
			dv_checkout_item *it = dv_vec_at(&report, dv_checkout_item, i);
			if (it->result == DV_CO_FAILED || it->result == DV_CO_MISSING || it->result == DV_CO_KEPT)
				rc = dv_error(DV_ERROR, "cannot restore '%s' from the run-cache: %s", it->path,
					      it->message ? it->message : "kept");
		}
	} else {
		/* An uncached out belongs to the user (and to git): a private
		 * copy, never a link into the read-only cache. */
		dv_cache_object_path(&obj, repo->cache, &r->hash, false);
		if ((rc = dv_remove_tree(abs.ptr)) == 0)
			rc = dv_copy_file(abs.ptr, obj.ptr, 0644);
	}
done:
	dv_checkout_report_free(&report);
	dv_buf_free(&abs);
	dv_buf_free(&obj);
	free(rel);
	return rc;
}

int dv_runcache_restore(dv_repo *repo, dv_stage *st)
{
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT;
	dv_vec outs = DV_VEC_INIT(run_out);
	int rc = 0;

	if (!dv_runcache_eligible(st))
		return 0;
	entry_path(&path, repo, st);
	if (dv_read_file(&text, path.ptr) < 0 || !parse_entry(&outs, text.ptr))
		goto done; /* no entry */
	for (size_t i = 0; i < st->outs.n; i++) {
		const run_out *r = find_run_out(&outs, dv_stage_out(st, i)->path);
		if (!r || !objects_present(repo, r))
			goto done;
	}
	for (size_t i = 0; i < st->outs.n && rc == 0; i++) {
		dv_stage_file *o = dv_stage_out(st, i);
		rc = restore_out(repo, st, o, find_run_out(&outs, o->path));
	}
	if (rc == 0)
		rc = 1;
done:
	if (rc >= 0)
		dv_error_clear(); /* a missing entry is not an error */
	run_outs_free(&outs);
	dv_buf_free(&path);
	dv_buf_free(&text);
	return rc;
}
