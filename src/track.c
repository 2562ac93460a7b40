/*
 * track.c - data stages, shared by add, commit, move and remove so each
 * decides the same way.
 */
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/track.h"

int dv_track_load_data_stage(dv_stage **out, dv_repo *repo, const char *stage_path)
{
	dv_buf abs = DV_BUF_INIT, text = DV_BUF_INIT;
	int rc = 0;

	dv_repo_abspath(&abs, repo, stage_path);
	if (!dv_path_exists(abs.ptr)) {
		*out = dv_stage_new(stage_path);
		goto done;
	}
	if ((rc = dv_stage_load(out, repo->root, stage_path)) == DV_ECONFLICT &&
	    dv_read_file(&text, abs.ptr) == 0 && !dv_stage_text_is_command(text.ptr, text.len)) {
		/* 'dv add' of the version wanted is how a merge conflict in a
		 * data stage is resolved: it records the workspace afresh. */
		dv_error_clear();
		*out = dv_stage_new(stage_path);
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	if ((*out)->is_command) {
		rc = dv_error(DV_ERROR, "'%s' is a command stage: change it with 'dv stage add -f' or run 'dv repro'",
			      stage_path);
		dv_stage_free(*out);
		*out = NULL;
	}
done:
	dv_buf_free(&abs);
	dv_buf_free(&text);
	return rc;
}
