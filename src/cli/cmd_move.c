/*
 * cmd_move.c - `dv move SRC DST`: rename tracked data together with its
 * .stage file and .gitignore entries, as `git mv` does for source files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/ignore.h"
#include "dv/lock.h"
#include "dv/staleness.h"
#include "dv/track.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv move [-q] SRC DST",
	NULL,
};

static int move_data(dv_repo *repo, const char *src, const char *dst, dv_strvec *to_stage)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_buf from = DV_BUF_INIT, to = DV_BUF_INIT;
	dv_stage *owner, *moved = NULL;
	char *srel = NULL, *drel = NULL, *owned = NULL, *new_stage = NULL, *gitignore = NULL;
	size_t idx;
	int rc;

	if ((rc = dv_repo_relpath(&srel, repo, src)) < 0 || (rc = dv_repo_relpath(&drel, repo, dst)) < 0)
		goto done;
	dv_repo_abspath(&to, repo, drel);
	if (dv_is_dir(to.ptr)) {
		/* `dv move data.csv dir/` moves it into the directory. */
		char *inside = dv_asprintf("%s/%s", drel, dv_path_basename(srel));
		free(drel);
		drel = inside;
		dv_repo_abspath(&to, repo, drel);
	}
	if (dv_path_exists(to.ptr)) {
		rc = dv_error(DV_EEXISTS, "cannot move to '%s': it already exists", dst);
		goto done;
	}
	if ((rc = dv_workspace_load_stages(&stages, repo)) < 0)
		goto done;
	owner = dv_workspace_find_owner(&stages, srel, &idx);
	if (owner)
		owned = dv_stage_entry_relpath(owner, dv_stage_out(owner, idx)->path);
	if (!owner || strcmp(owned, srel)) {
		rc = dv_error(DV_ENOTFOUND, "cannot move '%s': it is not data tracked by dv (move the tracked path itself)", src);
		goto done;
	}
	if (owner->is_command) {
		rc = dv_error(DV_ERROR, "cannot move '%s': it is an output of stage '%s'; change that stage's cmd and outs instead",
			      src, owner->name);
		goto done;
	}
	if (owner->outs.n != 1) {
		rc = dv_error(DV_ERROR, "cannot move '%s': '%s' tracks several paths", src, owner->path);
		goto done;
	}
	new_stage = dv_asprintf("%s%s", drel, DV_STAGE_SUFFIX);
	moved = dv_stage_new(new_stage);
	{
		dv_stage_file *o = dv_stage_add_out(moved, dv_path_basename(drel));
		char *path = o->path;
		*o = *dv_stage_out(owner, idx);
		o->path = path;
		dv_stage_out(owner, idx)->plot_props = NULL; /* moved along with the rest */
	}
	if (owner->desc)
		moved->desc = dv_strdup(owner->desc);

	dv_repo_abspath(&from, repo, srel);
	if ((rc = dv_mkdir_parent(to.ptr)) < 0)
		goto done;
	if (rename(from.ptr, to.ptr) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot move '%s' to '%s'", src, dst);
		goto done;
	}
	/* dv's symlinks climb to .dv/o by as many "../" as they are deep:
	 * moved to another depth they would dangle, so they are made again. */
	if (repo->cache->types[0] == DV_LINK_SYMLINK && dv_stage_out(moved, 0)->has_hash) {
		dv_vec report = DV_VEC_INIT(dv_checkout_item);
		dv_checkout_opts opts = { false, false };
		rc = dv_workspace_checkout_entry(repo, dv_stage_out(moved, 0), drel, &opts, &report);
		for (size_t i = 0; rc == 0 && i < report.n; i++) {
			dv_checkout_item *it = dv_vec_at(&report, dv_checkout_item, i);
			if (it->result == DV_CO_FAILED || it->result == DV_CO_MISSING)
				rc = dv_error(DV_ERROR, "moved '%s', but cannot link '%s' again: %s", srel, it->path,
					      it->message ? it->message : "failed");
		}
		dv_checkout_report_free(&report);
		if (rc < 0)
			goto done;
	}
	if ((rc = dv_stage_store(repo, moved, to_stage)) < 0)
		goto done;
	dv_repo_abspath(&from, repo, owner->path);
	if (unlink(from.ptr) < 0 && errno != ENOENT) {
		rc = dv_error_errno(DV_ERROR, "cannot remove '%s'", owner->path);
		goto done;
	}
	dv_strvec_push(to_stage, owner->path);
	if ((rc = dv_gitignore_remove(&gitignore, repo, srel)) == 0 && gitignore)
		dv_strvec_push(to_stage, gitignore);
	if (rc == 0)
		cli_info("moved %s to %s (%s)\n", srel, drel, new_stage);
done:
	dv_stage_free(moved);
	dv_stages_free(&stages);
	free(srel);
	free(drel);
	free(owned);
	free(new_stage);
	free(gitignore);
	dv_buf_free(&from);
	dv_buf_free(&to);
	return rc;
}

int cmd_move(int argc, char **argv, dv_repo *repo)
{
	dv_strvec to_stage = DV_STRVEC_INIT;
	struct dv_lock *lock;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(usage, "dv move takes a source and a destination");
	if (!(lock = cli_lock(repo)))
		return 1;
	rc = move_data(repo, argv[optind], argv[optind + 1], &to_stage);
	if (rc == 0)
		rc = dv_stage_git_add(repo, &to_stage);
	if (rc < 0)
		rc = cli_fail(rc);
	dv_strvec_free(&to_stage);
	dv_lock_release(lock);
	return rc;
}
