/*
 * staleness.c - the change report of a command stage, the definition hash,
 * and recording a stage's current state (after a run or for `dv commit`).
 *
 * Comparisons go through dv_workspace_compare, i.e. the stat cache: an
 * up-to-date pipeline costs one stat per dep and out and no reads, which
 * is what makes `dv repro` on 200 up-to-date stages take milliseconds.
 * Params files are read through a memoising dv_params_set so a params.ini
 * shared by every stage is parsed once per command.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/ignore.h"
#include "dv/params.h"
#include "dv/pool.h"
#include "dv/staleness.h"
#include "dv/workspace.h"

const char *dv_change_kind_name(dv_change_kind kind)
{
	switch (kind) {
	case DV_CHG_NEVER_RUN: return "never run";
	case DV_CHG_ALWAYS: return "always changed";
	case DV_CHG_CMD: return "cmd changed";
	case DV_CHG_DEP_MODIFIED: return "dep modified";
	case DV_CHG_DEP_DELETED: return "dep deleted";
	case DV_CHG_OUT_MODIFIED: return "out modified";
	case DV_CHG_OUT_DELETED: return "out deleted";
	case DV_CHG_OUT_NOT_CACHED: return "out not in cache";
	case DV_CHG_PARAM_CHANGED: return "param changed";
	case DV_CHG_PARAM_DELETED: return "param deleted";
	case DV_CHG_PARAM_NEW: return "param new";
	}
	return "changed";
}

bool dv_change_makes_stale(dv_change_kind kind)
{
	return kind != DV_CHG_OUT_NOT_CACHED;
}

bool dv_changes_stale(const dv_vec *changes)
{
	for (size_t i = 0; i < changes->n; i++)
		if (dv_change_makes_stale(dv_vec_at(changes, dv_change, i)->kind))
			return true;
	return false;
}

static void add_change(dv_vec *out, dv_change_kind kind, char *what_owned)
{
	dv_change *c = dv_vec_push(out);
	c->kind = kind;
	c->what = what_owned;
}

void dv_changes_free(dv_vec *changes)
{
	for (size_t i = 0; i < changes->n; i++)
		free(dv_vec_at(changes, dv_change, i)->what);
	dv_vec_free(changes);
}

/* Each field ends with a NUL and each entry with a tag byte, so no two
 * different definitions serialise to the same bytes. */
void dv_stage_def_hash(dv_hash *out, const dv_stage *st)
{
	dv_buf b = DV_BUF_INIT;

	dv_buf_puts(&b, "dv-stage-def 1");
	dv_buf_add(&b, "\0C", 2);
	dv_buf_add(&b, st->cmd ? st->cmd : "", strlen(st->cmd ? st->cmd : "") + 1);
	for (size_t i = 0; i < st->deps.n; i++) {
		const char *p = dv_stage_dep(st, i)->path;
		dv_buf_putc(&b, 'D');
		dv_buf_add(&b, p, strlen(p) + 1);
	}
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *o = dv_stage_out(st, i);
		dv_buf_putc(&b, 'O');
		dv_buf_add(&b, o->path, strlen(o->path) + 1);
		dv_buf_printf(&b, "%c%c%c%c", o->cache ? 'c' : '-', o->persist ? 'p' : '-',
			      o->metric ? 'm' : '-', o->plot ? 'g' : '-');
	}
	for (size_t i = 0; i < st->params.n; i++) {
		const dv_stage_param *p = dv_stage_param_at(st, i);
		dv_buf_putc(&b, 'P');
		dv_buf_add(&b, p->file, strlen(p->file) + 1);
		dv_buf_add(&b, p->key, strlen(p->key) + 1);
	}
	dv_hash_buffer(out, b.ptr, b.len);
	dv_buf_free(&b);
}

/* ---- the memo of one repro's hashes --------------------------------- */

typedef struct {
	char *rel;
	dv_ws_state ws;
} memo_entry;

struct dv_ws_memo {
	dv_vec entries; /* memo_entry; a run has few deps, so a list */
	bool frozen;    /* sorted by rel, read-only: shared among threads */
};

dv_ws_memo *dv_ws_memo_new(void)
{
	dv_ws_memo *m = dv_calloc(1, sizeof(*m));
	m->entries = (dv_vec)DV_VEC_INIT(memo_entry);
	return m;
}

void dv_ws_memo_free(dv_ws_memo *memo)
{
	if (!memo)
		return;
	for (size_t i = 0; i < memo->entries.n; i++)
		free(dv_vec_at(&memo->entries, memo_entry, i)->rel);
	dv_vec_free(&memo->entries);
	free(memo);
}

static int cmp_memo_entry(const void *a, const void *b)
{
	return strcmp(((const memo_entry *)a)->rel, ((const memo_entry *)b)->rel);
}

static memo_entry *memo_find(dv_ws_memo *memo, const char *rel)
{
	if (memo && memo->frozen) {
		memo_entry key = { (char *)rel, { 0 } };
		return memo->entries.n ? bsearch(&key, memo->entries.items, memo->entries.n, sizeof(key), cmp_memo_entry)
				       : NULL;
	}
	for (size_t i = 0; memo && i < memo->entries.n; i++)
		if (!strcmp(dv_vec_at(&memo->entries, memo_entry, i)->rel, rel))
			return dv_vec_at(&memo->entries, memo_entry, i);
	return NULL;
}

static void memo_put(dv_ws_memo *memo, const char *rel, const dv_ws_state *ws)
{
	memo_entry *e = memo_find(memo, rel);
	if (!memo || memo->frozen)
		return;
	if (!e) {
		e = dv_vec_push(&memo->entries);
		e->rel = dv_strdup(rel);
	}
	e->ws = *ws;
}

int dv_ws_memo_hash(dv_ws_state *out, dv_ws_memo *memo, dv_repo *repo, const char *relpath)
{
	const memo_entry *e = memo_find(memo, relpath);
	int rc;

	if (e) {
		*out = e->ws;
		return 0;
	}
	if ((rc = dv_workspace_hash(out, repo, relpath, NULL)) == 0)
		memo_put(memo, relpath, out);
	return rc;
}

/* dv status: the directories that more than one stage names (the data a
 * `dv add` tracks and the stage that reads it; one stage's out and the
 * next one's dep) are walked once, before the stages are judged on all
 * cores against the frozen memo. */
typedef struct {
	dv_repo *repo;
	char **rel;
	dv_ws_state *ws;
	int *rc;
	char **error;
} prefill_ctx;

static void prefill_one(void *arg, size_t i)
{
	prefill_ctx *c = arg;
	if ((c->rc[i] = dv_workspace_hash(&c->ws[i], c->repo, c->rel[i], NULL)) < 0)
		c->error[i] = dv_strdup(dv_error_last());
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dv_ws_memo_prefill_shared(dv_ws_memo *memo, dv_repo *repo, const dv_vec *stages)
{
	dv_strvec all = DV_STRVEC_INIT, shared = DV_STRVEC_INIT;
	prefill_ctx c = { repo, NULL, NULL, NULL, NULL };
	int rc = 0;

	for (size_t i = 0; i < stages->n; i++) {
		const dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		const dv_vec *lists[2] = { &st->deps, &st->outs };
		for (int k = 0; k < 2; k++)
			for (size_t j = 0; j < lists[k]->n; j++) {
				const dv_stage_file *f = dv_vec_at(lists[k], dv_stage_file, j);
				/* A file costs one stat: walking it twice on all
				 * cores beats a serial pass first. */
				if (f->is_dir)
					dv_strvec_push_take(&all, dv_stage_entry_relpath(st, f->path));
			}
	}
	if (all.n > 1)
		qsort(all.v, all.n, sizeof(*all.v), cmp_str_ptr);
	for (size_t i = 1; i < all.n; i++)
		if (!strcmp(all.v[i], all.v[i - 1]) && (!shared.n || strcmp(shared.v[shared.n - 1], all.v[i])))
			dv_strvec_push(&shared, all.v[i]);
	if (shared.n) {
		c.rel = shared.v;
		c.ws = dv_calloc(shared.n, sizeof(*c.ws));
		c.rc = dv_calloc(shared.n, sizeof(*c.rc));
		c.error = dv_calloc(shared.n, sizeof(*c.error));
		dv_parallel_for(shared.n, shared.n < 16 ? 1 : 0, prefill_one, &c);
		for (size_t i = 0; i < shared.n; i++) {
			if (c.rc[i] < 0 && rc == 0)
				rc = dv_error(c.rc[i], "%s", c.error[i]);
			if (c.rc[i] == 0)
				memo_put(memo, shared.v[i], &c.ws[i]);
			free(c.error[i]);
		}
		free(c.ws);
		free(c.rc);
		free(c.error);
	}
	dv_strvec_free(&all);
	dv_strvec_free(&shared);
	if (memo->entries.n > 1)
		qsort(memo->entries.items, memo->entries.n, sizeof(memo_entry), cmp_memo_entry);
	memo->frozen = true;
	return rc;
}

/* Forget `rel`, what lies inside it and what holds it. */
static void memo_forget(dv_ws_memo *memo, const char *rel)
{
	for (size_t i = 0; i < memo->entries.n;) {
		memo_entry *e = dv_vec_at(&memo->entries, memo_entry, i);
		if (dv_path_is_within(e->rel, rel) || dv_path_is_within(rel, e->rel)) {
			free(e->rel);
			*e = *dv_vec_at(&memo->entries, memo_entry, --memo->entries.n);
			continue;
		}
		i++;
	}
}

void dv_ws_memo_forget_stage(dv_ws_memo *memo, const dv_stage *st)
{
	const dv_vec *lists[2] = { &st->deps, &st->outs };

	if (!memo)
		return;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < lists[k]->n; i++) {
			char *rel = dv_stage_entry_relpath(st, dv_vec_at(lists[k], dv_stage_file, i)->path);
			memo_forget(memo, rel);
			free(rel);
		}
}

void dv_ws_memo_put_outs(dv_ws_memo *memo, const dv_stage *st)
{
	if (!memo)
		return;
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *o = dv_stage_out(st, i);
		dv_ws_state ws = { true, o->is_dir, o->hash, o->size, o->files };
		char *rel;
		if (!o->has_hash)
			continue;
		rel = dv_stage_entry_relpath(st, o->path);
		memo_put(memo, rel, &ws);
		free(rel);
	}
}

/* ---- the change report ------------------------------------------------ */

static int compare_file(dv_vec *out, dv_repo *repo, const dv_stage *st, const dv_stage_file *f,
			bool is_out, dv_ws_memo *memo)
{
	char *rel = dv_stage_entry_relpath(st, f->path);
	dv_ws_state now;
	int r = dv_ws_memo_hash(&now, memo, repo, rel);

	if (r < 0) {
		free(rel);
		return r;
	}
	r = dv_workspace_compare_state(f, &now);
	switch (r) {
	case DV_WS_SAME:
		if (is_out && f->cache && !dv_cache_has(repo->cache, &f->hash, f->is_dir)) {
			add_change(out, DV_CHG_OUT_NOT_CACHED, rel);
			return 0;
		}
		break;
	case DV_WS_DELETED:
		add_change(out, is_out ? DV_CHG_OUT_DELETED : DV_CHG_DEP_DELETED, rel);
		/* Gone from the work tree is only stale; gone from the cache
		 * too means the .stage names bytes nobody here has. */
		if (is_out && f->cache && f->has_hash && !dv_cache_has(repo->cache, &f->hash, f->is_dir))
			add_change(out, DV_CHG_OUT_NOT_CACHED, dv_strdup(rel));
		return 0;
	case DV_WS_MODIFIED:
	case DV_WS_NEW:
		add_change(out, is_out ? DV_CHG_OUT_MODIFIED : DV_CHG_DEP_MODIFIED, rel);
		return 0;
	}
	free(rel);
	return 0;
}

int dv_stage_changes_with(dv_vec *out, dv_repo *repo, const dv_stage *st, dv_params_set *params,
			  dv_ws_memo *memo)
{
	int rc = 0;
	dv_hash def;

	if (st->always_changed)
		add_change(out, DV_CHG_ALWAYS, NULL);
	if (!st->has_def_hash) {
		/* Nothing recorded to compare with: listing every dep as
		 * "modified" would only be noise. */
		add_change(out, DV_CHG_NEVER_RUN, NULL);
		return 0;
	}
	dv_stage_def_hash(&def, st);
	if (!dv_hash_equal(&def, &st->def_hash))
		add_change(out, DV_CHG_CMD, NULL);
	for (size_t i = 0; i < st->deps.n && rc == 0; i++)
		rc = compare_file(out, repo, st, dv_stage_dep(st, i), false, memo);
	for (size_t i = 0; i < st->params.n && rc == 0; i++) {
		const dv_stage_param *p = dv_stage_param_at(st, i);
		char *file = dv_stage_entry_relpath(st, p->file);
		const dv_params *pf = NULL;
		const char *now = NULL;
		rc = dv_params_set_get(&pf, params, file);
		if (rc == DV_ENOTFOUND)
			rc = 0;
		if (rc == 0) {
			now = dv_params_get(pf, p->key);
			if (!p->value)
				add_change(out, DV_CHG_PARAM_NEW, dv_asprintf("%s:%s", file, p->key));
			else if (!now)
				add_change(out, DV_CHG_PARAM_DELETED, dv_asprintf("%s:%s", file, p->key));
			else if (!dv_param_values_equal(now, p->value))
				add_change(out, DV_CHG_PARAM_CHANGED, dv_asprintf("%s:%s", file, p->key));
		}
		free(file);
	}
	for (size_t i = 0; i < st->outs.n && rc == 0; i++)
		rc = compare_file(out, repo, st, dv_stage_out(st, i), true, memo);
	return rc;
}

int dv_stage_changes(dv_vec *out, dv_repo *repo, const dv_stage *st)
{
	dv_params_set *set = dv_params_set_new(repo, NULL);
	int rc = dv_stage_changes_with(out, repo, st, set, NULL);
	dv_params_set_free(set);
	return rc;
}

void dv_stage_file_set_state(dv_stage_file *f, const dv_ws_state *ws)
{
	f->has_hash = true;
	f->hash = ws->hash;
	f->is_dir = ws->is_dir;
	f->has_size = true;
	f->size = ws->size;
	f->has_files = ws->is_dir;
	f->files = ws->is_dir ? ws->nfiles : 0;
}

static int record_file(dv_repo *repo, dv_stage *st, dv_stage_file *f, bool is_out, dv_ws_memo *memo)
{
	char *rel = dv_stage_entry_relpath(st, f->path);
	dv_ws_state ws;
	int rc = 0;

	if (is_out && f->cache) {
		/* The commit walks a cached out itself (its bytes are new, so
		 * never from the memo): here only whether it is there. */
		dv_buf abs = DV_BUF_INIT;
		struct stat sb;
		memset(&ws, 0, sizeof(ws));
		dv_repo_abspath(&abs, repo, rel);
		ws.exists = stat(abs.ptr, &sb) == 0;
		if (!ws.exists && errno != ENOENT && errno != ENOTDIR)
			rc = dv_error_errno(DV_ERROR, "cannot read '%s'", rel);
		dv_buf_free(&abs);
		if (rc < 0)
			goto done;
	} else if ((rc = is_out ? dv_workspace_hash(&ws, repo, rel, NULL) : dv_ws_memo_hash(&ws, memo, repo, rel)) < 0) {
		goto done;
	}
	if (!ws.exists) {
		rc = dv_error(DV_ENOTFOUND, is_out ? "out '%s' of '%s' does not exist: did the command write it?"
						   : "dep '%s' of '%s' does not exist",
			      rel, st->path);
		goto done;
	}
	if (is_out && f->cache)
		rc = dv_workspace_commit_entry(repo, f, rel);
	else
		dv_stage_file_set_state(f, &ws);
done:
	free(rel);
	return rc;
}

int dv_stage_record_inputs(dv_repo *repo, dv_stage *st, dv_params_set *params, dv_ws_memo *memo)
{
	int rc = 0;

	for (size_t i = 0; i < st->deps.n && rc == 0; i++)
		rc = record_file(repo, st, dv_stage_dep(st, i), false, memo);
	for (size_t i = 0; i < st->params.n && rc == 0; i++) {
		dv_stage_param *p = dv_stage_param_at(st, i);
		char *file = dv_stage_entry_relpath(st, p->file);
		const dv_params *pf = NULL;
		const char *now;
		if ((rc = dv_params_set_get(&pf, params, file)) == 0) {
			if ((now = dv_params_get(pf, p->key)) != NULL) {
				free(p->value);
				p->value = dv_strdup(now);
			} else {
				rc = dv_error(DV_ENOTFOUND, "param '%s' of '%s' is missing from '%s'; add it or remove it from the stage",
					      p->key, st->path, file);
			}
		} else if (rc == DV_ENOTFOUND) {
			rc = dv_error(DV_ENOTFOUND, "params file '%s' of '%s' does not exist", file, st->path);
		}
		free(file);
	}
	return rc;
}

int dv_stage_record_outs(dv_repo *repo, dv_stage *st)
{
	int rc = 0;

	for (size_t i = 0; i < st->outs.n && rc == 0; i++)
		rc = record_file(repo, st, dv_stage_out(st, i), true, NULL);
	if (rc == 0) {
		dv_stage_def_hash(&st->def_hash, st);
		st->has_def_hash = true;
	}
	return rc;
}

int dv_stage_record_with(dv_repo *repo, dv_stage *st, dv_params_set *params, dv_ws_memo *memo)
{
	int rc = dv_stage_record_inputs(repo, st, params, memo);

	return rc < 0 ? rc : dv_stage_record_outs(repo, st);
}

int dv_stage_record(dv_repo *repo, dv_stage *st)
{
	dv_params_set *set = dv_params_set_new(repo, NULL);
	int rc = dv_stage_record_with(repo, st, set, NULL);
	dv_params_set_free(set);
	return rc;
}

int dv_stage_store(dv_repo *repo, const dv_stage *st, dv_strvec *to_stage)
{
	int rc;

	/* The .gitignore entries first: a .stage recording data that git
	 * does not ignore would invite committing the data itself, while an
	 * entry whose .stage failed to land only ignores a path. */
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *o = dv_stage_out(st, i);
		char *rel, *gi = NULL;
		if (!o->cache)
			continue;
		rel = dv_stage_entry_relpath(st, o->path);
		rc = dv_gitignore_add(&gi, repo, rel);
		free(rel);
		if (rc < 0)
			return rc;
		if (gi && to_stage && !dv_strvec_contains(to_stage, gi))
			dv_strvec_push_take(to_stage, gi);
		else
			free(gi);
	}
	if ((rc = dv_stage_save(st, repo->root)) < 0)
		return rc;
	if (to_stage && !dv_strvec_contains(to_stage, st->path))
		dv_strvec_push(to_stage, st->path);
	return 0;
}

void dv_stage_written_paths(dv_strvec *out, const dv_stage *st)
{
	dv_strvec_push_take_once(out, dv_strdup(st->path));
	for (size_t j = 0; j < st->outs.n; j++) {
		const dv_stage_file *o = dv_stage_out(st, j);
		char *rel, *dir;
		if (!o->cache)
			continue;
		rel = dv_stage_entry_relpath(st, o->path);
		dir = dv_path_dirname(rel);
		dv_strvec_push_take_once(out, strcmp(dir, ".") ? dv_asprintf("%s/.gitignore", dir) : dv_strdup(".gitignore"));
		free(dir);
		free(rel);
	}
}

int dv_stage_git_add(dv_repo *repo, const dv_strvec *paths)
{
	bool autostage = true;
	int rc;

	if (!paths->n)
		return 0;
	if ((rc = dv_config_get_bool(repo->config, "core.autostage", true, &autostage)) < 0)
		return rc;
	return autostage ? dv_git_stage_paths(repo, paths) : 0;
}

static const dv_stage_file *find_file(const dv_vec *files, const char *path)
{
	for (size_t i = 0; i < files->n; i++)
		if (!strcmp(dv_vec_at(files, dv_stage_file, i)->path, path))
			return dv_vec_at(files, dv_stage_file, i);
	return NULL;
}

void dv_stage_carry_over(dv_stage *st, const dv_stage *old)
{
	const dv_vec *mine[2] = { &st->deps, &st->outs }, *theirs[2] = { &old->deps, &old->outs };

	st->has_def_hash = old->has_def_hash;
	st->def_hash = old->def_hash;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < mine[k]->n; i++) {
			dv_stage_file *f = dv_vec_at(mine[k], dv_stage_file, i);
			const dv_stage_file *o = find_file(theirs[k], f->path);
			if (o && o->has_hash) {
				f->has_hash = true;
				f->hash = o->hash;
				f->is_dir = o->is_dir;
				f->has_size = o->has_size;
				f->size = o->size;
				f->has_files = o->has_files;
				f->files = o->files;
			}
		}
	}
	for (size_t i = 0; i < st->params.n; i++) {
		dv_stage_param *p = dv_stage_param_at(st, i);
		for (size_t j = 0; j < old->params.n && !p->value; j++) {
			const dv_stage_param *q = dv_stage_param_at(old, j);
			if (q->value && !strcmp(q->file, p->file) && !strcmp(q->key, p->key))
				p->value = dv_strdup(q->value);
		}
	}
}
