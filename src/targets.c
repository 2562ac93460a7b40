/*
 * targets.c - a user's TARGET as a set of stages (globs, templates,
 * directories), shared by repro, dag, status and the commands that load
 * their targets through dv_workspace_load_targets.
 *
 * Matching works on stages already loaded (templates expanded), so a glob
 * sees instances exactly as status lists them.  The single-stage
 * resolution (names, .stage files, outputs) stays in workspace.c; this
 * file only adds the forms that name several stages, tried in an order
 * that lets a real path always win over a directory of stages.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/stage.h"
#include "dv/suggest.h"
#include "dv/targets.h"
#include "dv/template.h"
#include "dv/workspace.h"

#define STAGE_AT(v, i) (*dv_vec_at((v), dv_stage *, (i)))

static void push_index(dv_vec *out, size_t i)
{
	*(size_t *)dv_vec_push(out) = i;
}

static size_t match_glob(dv_vec *out, const dv_vec *stages, const char *target)
{
	size_t found = 0;
	bool by_path = strchr(target, '/') != NULL;

	for (size_t i = 0; i < stages->n; i++) {
		const dv_stage *st = STAGE_AT(stages, i);
		bool hit = fnmatch(target, st->name, 0) == 0;
		if (!hit && by_path) {
			char *p = dv_strndup(st->path, strlen(st->path) - strlen(DV_STAGE_SUFFIX));
			hit = fnmatch(target, p, FNM_PATHNAME) == 0;
			free(p);
		}
		if (hit) {
			push_index(out, i);
			found++;
		}
	}
	return found;
}

/* Instances named TARGET@... (a template's name). */
static size_t match_instances(dv_vec *out, const dv_vec *stages, const char *target)
{
	size_t n = strlen(target), found = 0;
	for (size_t i = 0; i < stages->n; i++) {
		const dv_stage *st = STAGE_AT(stages, i);
		if (!strncmp(st->name, target, n) && st->name[n] == '@') {
			push_index(out, i);
			found++;
		}
	}
	return found;
}

static size_t match_path(dv_vec *out, const dv_vec *stages, const char *stage_path)
{
	size_t found = 0;
	for (size_t i = 0; i < stages->n; i++) {
		const dv_stage *st = STAGE_AT(stages, i);
		if (!strcmp(st->path, stage_path) || dv_stage_is_instance_of(st, stage_path)) {
			push_index(out, i);
			found++;
		}
	}
	return found;
}

static size_t match_directory(dv_vec *out, const dv_vec *stages, dv_repo *repo, const char *target)
{
	dv_buf abs = DV_BUF_INIT;
	char *rel = NULL;
	size_t found = 0;

	if (dv_repo_relpath(&rel, repo, target) == 0) {
		dv_repo_abspath(&abs, repo, rel);
		if (dv_is_dir(abs.ptr))
			for (size_t i = 0; i < stages->n; i++)
				if (!*rel || !strcmp(rel, ".") || dv_path_is_within(STAGE_AT(stages, i)->path, rel)) {
					push_index(out, i);
					found++;
				}
	}
	dv_error_clear();
	free(rel);
	dv_buf_free(&abs);
	return found;
}

/* Append "; did you mean 'NAME'?" to the last error when a stage name is
 * close to `target`. */
static int with_suggestion(int rc, const dv_vec *stages, const char *target)
{
	const char **names = dv_malloc((stages->n + 1) * sizeof(char *));
	const char *best;

	for (size_t i = 0; i < stages->n; i++)
		names[i] = STAGE_AT(stages, i)->name;
	best = dv_suggest(target, names, stages->n);
	if (best) {
		char *msg = dv_strdup(dv_error_last());
		rc = dv_error(rc, "%s; did you mean '%s'?", msg, best);
		free(msg);
	}
	free(names);
	return rc;
}

int dv_stages_match(dv_vec *out, const dv_vec *stages, dv_repo *repo, const char *target)
{
	char *path = NULL;
	int rc = 0;

	if (strpbrk(target, "*?[")) {
		if (!match_glob(out, stages, target))
			rc = dv_error(DV_ENOTFOUND, "no stage matches '%s' (see 'dv stage list')", target);
		return rc;
	}
	for (size_t i = 0; i < stages->n; i++)
		if (!strcmp(STAGE_AT(stages, i)->name, target)) {
			push_index(out, i);
			return 0;
		}
	if (!strchr(target, '/') && match_instances(out, stages, target))
		return 0;
	if ((rc = dv_workspace_resolve_target(&path, repo, target)) == 0) {
		if (!match_path(out, stages, path))
			rc = dv_error(DV_ENOTFOUND, "'%s' is not a stage", target);
	} else {
		char *msg = dv_strdup(dv_error_last());
		if (match_directory(out, stages, repo, target))
			rc = 0;
		else
			rc = with_suggestion(dv_error(rc, "%s", msg), stages, target);
		free(msg);
	}
	free(path);
	return rc;
}

int dv_stages_load_matching(dv_vec *out, dv_repo *repo, char *const *targets, size_t n)
{
	dv_vec all = DV_VEC_INIT(dv_stage *), hits = DV_VEC_INIT(size_t);
	bool *picked = NULL;
	int rc;

	out->size = sizeof(dv_stage *);
	if ((rc = dv_workspace_load_stages(&all, repo)) < 0)
		goto done;
	picked = dv_calloc(all.n + 1, sizeof(bool));
	for (size_t t = 0; t < n && rc == 0; t++)
		rc = dv_stages_match(&hits, &all, repo, targets[t]);
	for (size_t h = 0; h < hits.n; h++)
		picked[*dv_vec_at(&hits, size_t, h)] = true;
	for (size_t i = 0; i < all.n; i++) {
		if (rc == 0 && picked[i]) {
			*(dv_stage **)dv_vec_push(out) = STAGE_AT(&all, i);
			STAGE_AT(&all, i) = NULL;
		}
	}
done:
	dv_stages_free(&all); /* dv_stage_free(NULL) is a no-op */
	dv_vec_free(&hits);
	free(picked);
	return rc;
}
