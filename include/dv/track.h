/*
 * track.h - data stages (the .stage files `dv add` writes): loading an
 * existing one for an update or starting a new one.
 */
#ifndef DV_TRACK_H
#define DV_TRACK_H

#include "dv/buf.h"
#include "dv/repo.h"
#include "dv/stage.h"

/* Load the data stage at repo-relative `stage_path`, or a new empty one if
 * the file does not exist; a command stage there is an error. */
int dv_track_load_data_stage(dv_stage **out, dv_repo *repo, const char *stage_path);

#endif
