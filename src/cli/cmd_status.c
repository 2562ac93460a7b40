/*
 * cmd_status.c - `dv status`: what changed in tracked data (per file, also
 * inside tracked directories) and in command stages (cmd, deps, outs,
 * params).  Nothing is read that the stat cache can answer.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/cache.h"
#include "dv/error.h"
#include "dv/git.h"
#include "dv/config.h"
#include "dv/fs.h"
#include "dv/manifest.h"
#include "dv/params.h"
#include "dv/pool.h"
#include "dv/staleness.h"
#include "dv/transfer.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv status [TARGET...] [--json] [--exit-code] [-q]",
	"dv status -c [-r REMOTE] [-j N] [TARGET...] [--json] [--exit-code]",
	NULL,
};

typedef struct {
	const char *label; /* "modified", "added", "deleted", "not in cache", ... */
	char *path;        /* may be NULL (e.g. "cmd changed") */
} change_line;

static void add_line(dv_vec *lines, const char *label, const char *path)
{
	change_line *l = dv_vec_push(lines);
	l->label = label;
	l->path = path ? dv_strdup(path) : NULL;
}

static void lines_free(dv_vec *lines)
{
	for (size_t i = 0; i < lines->n; i++)
		free(dv_vec_at(lines, change_line, i)->path);
	dv_vec_free(lines);
}

/* A file holding only the first bytes of its recorded object is the
 * leftover of an interrupted checkout, not an edit to commit. */
static const char *modified_label(dv_repo *repo, const dv_hash *now, uint64_t size, const dv_manifest_entry *was)
{
	return size < was->size && dv_workspace_is_cut_copy(repo, now, size, &was->hash) ? "incomplete" : "modified";
}

/* For a modified directory, name the files that differ, comparing the
 * recorded manifest (if its object is in the cache) with the work tree. */
static int dir_changes(dv_vec *lines, dv_repo *repo, const dv_stage_file *out, const char *rel)
{
	dv_buf text = DV_BUF_INIT, p = DV_BUF_INIT;
	dv_manifest old = DV_MANIFEST_INIT, now = DV_MANIFEST_INIT;
	dv_ws_state ws;
	int rc;

	if ((rc = dv_workspace_hash(&ws, repo, rel, &now)) < 0)
		goto done;
	if (dv_cache_read(&text, repo->cache, &out->hash, true) < 0 ||
	    dv_manifest_parse(&old, text.ptr, text.len, rel) < 0) {
		add_line(lines, "modified", rel);
		goto done;
	}
	for (size_t i = 0, j = 0; i < old.entries.n || j < now.entries.n;) {
		dv_manifest_entry *a = i < old.entries.n ? dv_vec_at(&old.entries, dv_manifest_entry, i) : NULL;
		dv_manifest_entry *b = j < now.entries.n ? dv_vec_at(&now.entries, dv_manifest_entry, j) : NULL;
		int cmp = !a ? 1 : !b ? -1 : strcmp(a->path, b->path);
		if (cmp < 0) {
			dv_path_join(&p, rel, a->path);
			add_line(lines, "deleted", p.ptr);
			i++;
		} else if (cmp > 0) {
			dv_path_join(&p, rel, b->path);
			add_line(lines, "added", p.ptr);
			j++;
		} else {
			if (!dv_hash_equal(&a->hash, &b->hash) || a->mode != b->mode) {
				dv_path_join(&p, rel, a->path);
				add_line(lines, modified_label(repo, &b->hash, b->size, a), p.ptr);
			}
			i++, j++;
		}
	}
done:
	dv_error_clear();
	dv_manifest_free(&old);
	dv_manifest_free(&now);
	dv_buf_free(&text);
	dv_buf_free(&p);
	return rc;
}

static int data_stage_changes(dv_vec *lines, dv_repo *repo, const dv_stage *st, dv_ws_memo *memo)
{
	for (size_t i = 0; i < st->outs.n; i++) {
		const dv_stage_file *out = dv_stage_out(st, i);
		char *rel = dv_stage_entry_relpath(st, out->path);
		dv_ws_state ws;
		int rc = dv_ws_memo_hash(&ws, memo, repo, rel);
		if (rc == 0)
			rc = dv_workspace_compare_state(out, &ws);
		if (rc == DV_WS_MODIFIED && out->is_dir && ws.is_dir)
			rc = dir_changes(lines, repo, out, rel);
		else if (rc == DV_WS_MODIFIED && out->has_size && !ws.is_dir && !out->is_dir) {
			dv_manifest_entry was = { .hash = out->hash, .size = out->size };
			add_line(lines, modified_label(repo, &ws.hash, ws.size, &was), rel);
		} else if (rc == DV_WS_MODIFIED)
			add_line(lines, "modified", rel);
		else if (rc == DV_WS_DELETED)
			add_line(lines, "deleted", rel);
		else if (rc == DV_WS_NEW)
			add_line(lines, "not committed", rel);
		else if (rc == DV_WS_SAME && out->cache && !dv_cache_has(repo->cache, &out->hash, out->is_dir))
			add_line(lines, "not in cache", rel);
		free(rel);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const char *command_label(dv_change_kind k)
{
	switch (k) {
	case DV_CHG_NEVER_RUN: return "never run";
	case DV_CHG_ALWAYS: return "always changed";
	case DV_CHG_CMD: return "changed cmd";
	case DV_CHG_DEP_MODIFIED: return "modified dep";
	case DV_CHG_DEP_DELETED: return "missing dep";
	case DV_CHG_OUT_MODIFIED: return "modified out";
	case DV_CHG_OUT_DELETED: return "deleted out";
	case DV_CHG_OUT_NOT_CACHED: return "not in cache";
	case DV_CHG_PARAM_CHANGED: return "changed param";
	case DV_CHG_PARAM_DELETED: return "deleted param";
	case DV_CHG_PARAM_NEW: return "new param";
	}
	return dv_change_kind_name(k);
}

static int command_stage_changes(dv_vec *lines, dv_repo *repo, const dv_stage *st, dv_ws_memo *memo)
{
	dv_vec changes = DV_VEC_INIT(dv_change);
	dv_buf abs = DV_BUF_INIT;
	dv_params_set *set = dv_params_set_new(repo, NULL);
	int rc = dv_stage_changes_with(&changes, repo, st, set, memo);
	dv_params_set_free(set);
	for (size_t i = 0; rc == 0 && i < changes.n; i++) {
		dv_change *c = dv_vec_at(&changes, dv_change, i);
		add_line(lines, command_label(c->kind), c->what);
		/* A stage that never ran compares no deps; one that is not
		 * there is still worth naming before 'dv repro' trips on it. */
		for (size_t j = 0; c->kind == DV_CHG_NEVER_RUN && j < st->deps.n; j++) {
			char *rel = dv_stage_entry_relpath(st, dv_stage_dep(st, j)->path);
			dv_repo_abspath(&abs, repo, rel);
			if (!dv_path_exists(abs.ptr))
				add_line(lines, "missing dep", rel);
			free(rel);
		}
	}
	dv_changes_free(&changes);
	dv_buf_free(&abs);
	return rc;
}

/* One stage's report, worked out on any thread. */
typedef struct {
	dv_vec lines; /* change_line */
	int rc;
	char *error;
} stage_found;

typedef struct {
	dv_repo *repo;
	const dv_vec *stages;
	stage_found *found;
	dv_ws_memo *memo; /* frozen: the paths several stages name */
} changes_ctx;

static void stage_changes_one(void *arg, size_t i)
{
	changes_ctx *ctx = arg;
	const dv_stage *st = *dv_vec_at(ctx->stages, dv_stage *, i);
	stage_found *f = &ctx->found[i];

	f->lines = (dv_vec)DV_VEC_INIT(change_line);
	f->rc = st->is_command ? command_stage_changes(&f->lines, ctx->repo, st, ctx->memo)
			       : data_stage_changes(&f->lines, ctx->repo, st, ctx->memo);
	if (f->rc < 0)
		f->error = dv_strdup(dv_error_last());
}

/* With core.autostage = false nothing dv writes is staged: name what a
 * 'git add' still has to record (.stage files, the .gitignore files next
 * to the data, .dv/config, .gitattributes).  One line, no colon at the
 * end: the pre-commit hook reads the lines above it. */
static int print_unstaged(dv_repo *repo, const dv_vec *stages)
{
	dv_strvec cand = DV_STRVEC_INIT, unstaged = DV_STRVEC_INIT;
	dv_buf line = DV_BUF_INIT;
	bool autostage = true;
	int rc;

	if ((rc = dv_config_get_bool(repo->config, "core.autostage", true, &autostage)) < 0 || autostage)
		return rc;
	dv_strvec_push_take_once(&cand, dv_strdup(".dv/config"));
	dv_strvec_push_take_once(&cand, dv_strdup(".gitattributes"));
	dv_strvec_push_take_once(&cand, dv_strdup(".gitignore"));
	for (size_t i = 0; i < stages->n; i++)
		dv_stage_written_paths(&cand, *dv_vec_at(stages, dv_stage *, i));
	if ((rc = dv_git_unstaged(&unstaged, repo, &cand)) == 0 && unstaged.n) {
		for (size_t i = 0; i < unstaged.n; i++) {
			char *shown = dv_repo_display_path(repo, unstaged.v[i]);
			dv_buf_printf(&line, " %s", shown);
			free(shown);
		}
		printf("core.autostage is false, so dv staged nothing in git; to record these files: git add%s\n",
		       line.ptr);
	}
	dv_strvec_free(&cand);
	dv_strvec_free(&unstaged);
	dv_buf_free(&line);
	return rc;
}

/* `dv status -c`: the cache against a remote, in DVC's words: "new" is in
 * the cache but not on the remote (push it), "deleted" is on the remote
 * only (pull it), "missing" is in neither. */
static int cloud_status(dv_repo *repo, const dv_transfer_opts *opts, bool as_json, bool exit_code)
{
	dv_vec items = DV_VEC_INIT(dv_cloud_status);
	char *remote = NULL;
	json_t *json = NULL;
	size_t changed = 0;
	int rc;

	if ((rc = dv_cloud_status_collect(&items, &remote, repo, opts)) < 0) {
		rc = cli_fail(rc);
		goto done;
	}
	if (as_json)
		json = json_object();
	for (size_t i = 0; i < items.n; i++) {
		dv_cloud_status *cs = dv_vec_at(&items, dv_cloud_status, i);
		const char *what = cs->in_cache && cs->on_remote ? NULL
				 : cs->in_cache ? "new" : cs->on_remote ? "deleted" : "missing";
		if (!what)
			continue;
		changed++;
		if (json) {
			json_object_set_new(json, cs->path, json_string(what));
		} else if (!cli_quiet) {
			char *shown = dv_repo_display_path(repo, cs->path);
			char label[16];
			snprintf(label, sizeof(label), "%s:", what);
			printf("\t%-16s %s%s\n", label, shown, cs->is_dir ? "/" : "");
			free(shown);
		}
	}
	if (json) {
		char *text = json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
	} else if (!changed && !cli_quiet) {
		printf("Cache and remote '%s' are in sync.\n", remote ? remote : "?");
	}
	rc = exit_code && changed ? 1 : 0;
done:
	json_decref(json);
	dv_cloud_status_free(&items);
	free(remote);
	return rc;
}

int cmd_status(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "exit-code", no_argument, NULL, 'E' },
		{ "cloud", no_argument, NULL, 'c' },
		{ "remote", required_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },
		{ 0, 0, 0, 0 },
	};
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_transfer_opts topts = { 0 };
	json_t *json = NULL;
	struct dv_progress *progress = NULL;
	stage_found *found = NULL;
	dv_ws_memo *memo = NULL;
	bool as_json = false, exit_code = false, cloud = false;
	size_t changed = 0;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "cr:j:", longopts)) != -1) {
		switch (c) {
		case 'J':
			as_json = true;
			break;
		case 'E':
			exit_code = true;
			break;
		case 'c':
			cloud = true;
			break;
		case 'r':
			topts.remote = optarg;
			break;
		case 'j':
			topts.jobs = atoi(optarg);
			if (topts.jobs < 1)
				return cli_usage_error(usage, "-j needs a positive number, not '%s'", optarg);
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if ((topts.remote || topts.jobs) && !cloud)
		return cli_usage_error(usage, "-r and -j go with -c (--cloud)");
	if (cloud) {
		topts.targets = argv + optind;
		topts.ntargets = (size_t)(argc - optind);
		return cloud_status(repo, &topts, as_json, exit_code);
	}
	if ((rc = dv_workspace_load_targets(&stages, repo, argv + optind, (size_t)(argc - optind))) < 0)
		return cli_fail(rc);
	if (as_json)
		json = json_object();
	progress = cli_progress_begin("Hashing");
	found = dv_calloc(stages.n ? stages.n : 1, sizeof(*found));
	memo = dv_ws_memo_new();
	/* A failed walk is left for the stages that name the path to report. */
	(void)dv_ws_memo_prefill_shared(memo, repo, &stages);
	{
		changes_ctx ctx = { repo, &stages, found, memo };
		/* Each stage's stats are its own: the stages are shared among
		 * the cores (2,000 stages are 4,000 stats and 2,000 files to
		 * read); the report keeps their order. */
		dv_parallel_for(stages.n, stages.n < 16 ? 1 : 0, stage_changes_one, &ctx);
	}
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		dv_vec lines = found[i].lines;
		found[i].lines = (dv_vec)DV_VEC_INIT(change_line);
		if ((rc = found[i].rc) < 0) {
			lines_free(&lines);
			rc = cli_fail(dv_error(rc, "%s", found[i].error));
			goto done;
		}
		if (lines.n) {
			changed++;
			if (json) {
				json_t *arr = json_array();
				for (size_t j = 0; j < lines.n; j++) {
					change_line *l = dv_vec_at(&lines, change_line, j);
					json_t *o = json_object();
					json_object_set_new(o, "change", json_string(l->label));
					if (l->path)
						json_object_set_new(o, "path", json_string(l->path));
					json_array_append_new(arr, o);
				}
				json_object_set_new(json, st->path, arr);
			} else if (!cli_quiet) {
				char *shown = dv_repo_display_path(repo, st->path);
				cli_progress_clear();
				printf("%s:%s\n", shown, st->frozen ? " (frozen)" : "");
				free(shown);
				for (size_t j = 0; j < lines.n; j++) {
					change_line *l = dv_vec_at(&lines, change_line, j);
					if (l->path) {
						char *p = dv_repo_display_path(repo, l->path);
						char label[32];
						snprintf(label, sizeof(label), "%s:", l->label);
						printf("\t%-16s %s\n", label, p);
						free(p);
					} else {
						printf("\t%s\n", l->label);
					}
				}
			}
		}
		lines_free(&lines);
	}
	cli_progress_end(progress);
	progress = NULL;
	if (json) {
		char *text = json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
	} else if (!changed && !cli_quiet) {
		printf(stages.n ? "Data and pipelines are up to date.\n" : "There are no data or pipelines tracked in this project yet.\n");
	}
	if (!json && !cli_quiet && (rc = print_unstaged(repo, &stages)) < 0) {
		rc = cli_fail(rc);
		goto done;
	}
	rc = exit_code && changed ? 1 : 0;
done:
	cli_progress_end(progress);
	for (size_t i = 0; found && i < stages.n; i++) {
		lines_free(&found[i].lines);
		free(found[i].error);
	}
	free(found);
	dv_ws_memo_free(memo);
	json_decref(json);
	dv_stages_free(&stages);
	dv_repo_save_statcache(repo);
	return rc;
}
