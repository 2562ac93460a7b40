/*
 * url_cli.h - the part of `dv update` that follows a URL source (data
 * from `dv import-url`), shared with cmd_get.c's update of imports from
 * repositories.
 */
#ifndef DV_URL_CLI_H
#define DV_URL_CLI_H

#include "dv/repo.h"
#include "dv/stage.h"

/* Fetch the stage's URL again when it changed (ETag, else size and mtime)
 * or the work tree lacks the recorded data; print what happened.  The
 * changed .stage goes into `to_stage`. */
int cli_update_url(dv_repo *repo, dv_stage *st, dv_strvec *to_stage);

#endif
