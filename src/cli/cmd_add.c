/*
 * cmd_add.c - `dv add PATH...`: put files or directories into the cache,
 * write PATH.stage beside each, ignore PATH in git, stage both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/dvignore.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/lock.h"
#include "dv/stage.h"
#include "dv/staleness.h"
#include "dv/workspace.h"
#include "dv/track.h"

static const char *const usage[] = {
	"dv add [-q] [-f] PATH...",
	NULL,
};

/* Refuse what would make two stages claim the same bytes. */
static int check_not_owned(const dv_vec *stages, const char *rel, const char *stage_path)
{
	size_t out_index;
	dv_stage *owner = dv_workspace_find_owner(stages, rel, &out_index);
	char *owned;
	int rc = 0;

	if (!owner || !strcmp(owner->path, stage_path))
		goto check_inside;
	owned = dv_stage_entry_relpath(owner, dv_stage_out(owner, out_index)->path);
	if (!strcmp(owned, rel))
		rc = dv_error(DV_ERROR, "'%s' is already an output of '%s': change that stage instead", rel,
			      owner->path);
	else
		rc = dv_error(DV_ERROR, "'%s' is inside '%s', which '%s' tracks: run 'dv add %s' to record the change",
			      rel, owned, owner->path, owned);
	free(owned);
	return rc;
check_inside:
	/* Tracking a directory that holds tracked data would track it twice. */
	for (size_t i = 0; i < stages->n; i++) {
		dv_stage *st = *dv_vec_at(stages, dv_stage *, i);
		if (!strcmp(st->path, stage_path))
			continue;
		for (size_t j = 0; j < st->outs.n; j++) {
			char *out = dv_stage_entry_relpath(st, dv_stage_out(st, j)->path);
			if (dv_path_is_within(out, rel) && strcmp(out, rel))
				rc = dv_error(DV_ERROR, "'%s' contains '%s', which '%s' already tracks: 'dv remove %s' first",
					      rel, out, st->path, st->path);
			free(out);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* A path a .dvignore leaves out is not data to track (as in DVC). */
static int refuse_dvignored(dv_repo *repo, const char *rel, const char *path, bool is_dir)
{
	dv_dvignore_why why;
	bool ignored;
	int rc;

	if ((rc = dv_dvignore_check(&ignored, &why, dv_repo_dvignore(repo), rel, is_dir)) < 0 || !ignored)
		return rc;
	return dv_error(DV_ERROR, "cannot add '%s': it is ignored by '%s' line %u ('%s'); change that file to track it",
			path, why.file, why.line, why.pattern);
}

static int add_one(dv_repo *repo, const dv_vec *stages, const char *path, bool force, dv_strvec *to_stage)
{
	dv_buf abs = DV_BUF_INIT;
	dv_stage *st = NULL;
	char *rel = NULL, *stage_path = NULL, *then;
	dv_stage_file *out;
	int rc;

	if ((rc = dv_repo_relpath(&rel, repo, path)) < 0)
		goto done;
	dv_repo_abspath(&abs, repo, rel);
	if (!dv_path_exists(abs.ptr)) {
		rc = dv_error(DV_ENOTFOUND, "cannot add '%s': no such file or directory", path);
		goto done;
	}
	if (strlen(rel) > strlen(DV_STAGE_SUFFIX) && !strcmp(rel + strlen(rel) - strlen(DV_STAGE_SUFFIX), DV_STAGE_SUFFIX)) {
		rc = dv_error(DV_EUSAGE, "cannot add '%s': .stage files are dv's own metadata, tracked by git", path);
		goto done;
	}
	if ((rc = refuse_dvignored(repo, rel, path, dv_is_dir(abs.ptr))) < 0)
		goto done;
	stage_path = dv_asprintf("%s%s", rel, DV_STAGE_SUFFIX);
	then = dv_asprintf("dv add %s", path);
	rc = dv_git_refuse_tracked(repo, rel, then);
	free(then);
	if (rc < 0)
		goto done;
	if ((rc = check_not_owned(stages, rel, stage_path)) < 0)
		goto done;
	if ((rc = dv_track_load_data_stage(&st, repo, stage_path)) < 0)
		goto done;
	out = st->outs.n ? dv_stage_out(st, 0) : dv_stage_add_out(st, dv_path_basename(rel));
	if (!force && (rc = dv_workspace_check_not_cut(repo, out, rel)) < 0)
		goto done;
	if ((rc = dv_workspace_commit_entry(repo, out, rel)) < 0)
		goto done;
	if ((rc = dv_stage_store(repo, st, to_stage)) < 0)
		goto done;
	if (!cli_quiet) {
		char *shown = dv_repo_display_path(repo, rel);
		cli_progress_clear();
		printf("added %s%s (%s)\n", shown, out->is_dir ? "/" : "", stage_path);
		free(shown);
	}
done:
	dv_stage_free(st);
	free(rel);
	free(stage_path);
	dv_buf_free(&abs);
	return rc;
}

int cmd_add(int argc, char **argv, dv_repo *repo)
{
	dv_strvec to_stage = DV_STRVEC_INIT, resolving = DV_STRVEC_INIT;
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	struct dv_lock *lock = NULL;
	struct dv_progress *progress;
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0, 0, 0, 0 },
	};
	bool force = false;
	int c, rc = 0, failed = 0;

	while ((c = cli_getopt(argc, argv, "f", longopts)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (optind >= argc)
		return cli_usage_error(usage, "nothing to add: name one or more files or directories");
	if (!(lock = cli_lock(repo)))
		return 1;
	/* git is needed at the end (core.autostage): open it while hashing. */
	dv_repo_git_prefetch(repo);
	for (int i = optind; i < argc; i++) {
		char *rel = NULL;
		if (dv_repo_relpath(&rel, repo, argv[i]) == 0)
			dv_strvec_push_take(&resolving, dv_asprintf("%s" DV_STAGE_SUFFIX, rel));
		dv_error_clear();
		free(rel);
	}
	if ((rc = dv_workspace_load_stages_resolving(&stages, repo, &resolving)) < 0) {
		failed = cli_fail(rc);
		goto done;
	}
	progress = cli_progress_begin("Adding");
	for (int i = optind; i < argc; i++) {
		if ((rc = add_one(repo, &stages, argv[i], force, &to_stage)) < 0)
			failed = cli_fail(rc);
	}
	cli_progress_end(progress);
	if ((rc = dv_stage_git_add(repo, &to_stage)) < 0)
		failed = cli_fail(rc);
done:
	dv_stages_free(&stages);
	dv_strvec_free(&to_stage);
	dv_strvec_free(&resolving);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	return failed;
}
