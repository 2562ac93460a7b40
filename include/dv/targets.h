/*
 * targets.h - which stages a user's TARGET names, when it may name many:
 * a glob over stage names ('train@*'), a template (its name or its .stage
 * file: every instance), a directory (every stage whose .stage file is in
 * it), else what dv_workspace_resolve_target finds (a stage name, a .stage
 * file, a path a stage outputs).  An unknown stage name is an error that
 * offers the closest name ("did you mean 'train'?").
 */
#ifndef DV_TARGETS_H
#define DV_TARGETS_H

#include "dv/buf.h"
#include "dv/repo.h"

/* Append to `out` (size_t) the indices into `stages` (dv_stage*) of the
 * stages `target` names, in `stages` order, at least one. */
int dv_stages_match(dv_vec *out, const dv_vec *stages, dv_repo *repo, const char *target);

/* The stages `targets` name (each may name several), each once, in
 * repository order; for dv_workspace_load_targets. */
int dv_stages_load_matching(dv_vec *out, dv_repo *repo, char *const *targets, size_t n);

#endif
