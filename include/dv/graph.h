/*
 * graph.h - the stage graph: one node per .stage file, an edge from stage
 * A to stage B wherever an out of A is a dep of B, where B's dep lies
 * inside a directory out of A, or where B's dep is a directory holding an
 * out of A.
 *
 * Built from stages already parsed (never from data files).  Outs are
 * indexed in one sorted array, so every dep finds its producers with a
 * binary search per path component and a range scan for the outs below
 * it: building the graph of 2,000 stages costs milliseconds.  Building
 * refuses what would make "which stage produces this file" ambiguous: two
 * stages with the same out, one out inside another, and cycles (the error
 * prints the cycle).
 */
#ifndef DV_GRAPH_H
#define DV_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "dv/buf.h"
#include "dv/repo.h"
#include "dv/stage.h"

typedef struct {
	dv_stage *stage;  /* borrowed from the vector given to dv_graph_build */
	size_t *up;       /* indices of stages this one depends on, sorted, unique */
	size_t nup;
	size_t *down;     /* indices of stages depending on this one, sorted, unique */
	size_t ndown;
	size_t topo;      /* position in dv_graph.order */
} dv_graph_node;

typedef struct {
	dv_graph_node *nodes; /* same order as the stages vector */
	size_t n;
	size_t *order;        /* topological: producers first; ties by stage path */
	struct dv_graph_outs *outs; /* private: the sorted out index */
} dv_graph;

/* Build the graph of `stages` (a dv_vec of dv_stage*; the graph borrows
 * them, so free the graph first). */
int dv_graph_build(dv_graph **out, const dv_vec *stages);
void dv_graph_free(dv_graph *g);

/* Index of the stage whose .stage path is `stage_path`, or -1. */
long dv_graph_find(const dv_graph *g, const char *stage_path);
/* Index of the stage with this name, or -1. */
long dv_graph_find_name(const dv_graph *g, const char *name);
/* Index (in *out) of the stage a user TARGET names: a stage name, a
 * .stage file, or a path some stage outputs (dv_workspace_resolve_target). */
int dv_graph_target(size_t *out, const dv_graph *g, dv_repo *repo, const char *target);
/* Every stage `target` names, as indices (size_t) appended to `out`: also
 * globs, templates and directories (dv_stages_match). */
int dv_graph_targets(dv_vec *out, const dv_graph *g, dv_repo *repo, const char *target);
/* Index of the stage producing repo-relative `path` (an out equal to it or
 * a directory out containing it), or -1. */
long dv_graph_producer(const dv_graph *g, const char *path);

/* Mark (in `mark`, n bools) `start` and everything upstream / downstream
 * of it. */
void dv_graph_mark_upstream(const dv_graph *g, size_t start, bool *mark);
void dv_graph_mark_downstream(const dv_graph *g, size_t start, bool *mark);

/* Does any stage produce (or contain the producer of) dep `relpath`?  Used
 * by repro to tell a dep that will appear from one that never will. */
bool dv_graph_dep_has_producer(const dv_graph *g, const char *relpath);

/* Every stage at git revision `rev` (a dv_vec of dv_stage*), read from
 * the revision's tree; rev == NULL reads the work tree. */
int dv_stages_load_at(dv_vec *out, dv_repo *repo, const char *rev);

#endif
