/*
 * graph.c - the stage graph: producers of every dep, validation, and a
 * deterministic topological order.
 *
 * Every out (repo-relative) goes into one array sorted bytewise.  A dep's
 * producers are then (a) an out equal to the dep or to one of its parent
 * directories (one binary search per path component) and (b) the outs
 * below the dep when the dep is a directory: strings sharing the prefix
 * "dep/" are contiguous in bytewise order, so that is one binary search
 * and a scan.  The same lookups find duplicate and nested outs.  Kahn's
 * algorithm with a min-heap on the stage index gives a topological order
 * that is stable (ties go by .stage path) so repro and dag print the same
 * order every time.
 */
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/graph.h"
#include "dv/targets.h"
#include "dv/template.h"
#include "dv/workspace.h"

typedef struct {
	char *path;
	size_t stage;
} out_ref;

struct dv_graph_outs {
	out_ref *refs;
	size_t n;
};

static int cmp_ref(const void *a, const void *b)
{
	const out_ref *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (x->stage < y->stage ? -1 : x->stage > y->stage);
}

/* First index whose path is >= key, bytewise. */
static size_t lower_bound(const struct dv_graph_outs *o, const char *key)
{
	size_t lo = 0, hi = o->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(o->refs[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static long find_exact(const struct dv_graph_outs *o, const char *path)
{
	size_t i = lower_bound(o, path);
	return i < o->n && !strcmp(o->refs[i].path, path) ? (long)i : -1;
}

/* The out equal to `path` or to one of its parent directories, or -1;
 * `skip_self` looks at proper parents only. */
static long find_covering(const struct dv_graph_outs *o, const char *path, bool skip_self)
{
	char *p = dv_strdup(path);
	long hit = -1;
	size_t len = strlen(p);

	if (!skip_self)
		hit = find_exact(o, p);
	while (hit < 0 && len > 0) {
		while (len > 0 && p[len - 1] != '/')
			len--;
		if (len == 0)
			break;
		p[--len] = '\0';
		hit = find_exact(o, p);
	}
	free(p);
	return hit;
}

/* Range [*begin, *end) of outs strictly below directory `dir`. */
static void find_below(const struct dv_graph_outs *o, const char *dir, size_t *begin, size_t *end)
{
	size_t i, n;
	char *prefix;

	if (!*dir || !strcmp(dir, ".")) {
		*begin = 0;
		*end = o->n;
		return;
	}
	prefix = dv_asprintf("%s/", dir);
	n = strlen(prefix);
	i = lower_bound(o, prefix);
	*begin = i;
	while (i < o->n && !strncmp(o->refs[i].path, prefix, n))
		i++;
	*end = i;
	free(prefix);
}

typedef struct {
	size_t *v;
	size_t n, cap;
} idx_list;

static void idx_push(idx_list *l, size_t x)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4;
		l->v = dv_realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = x;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static void idx_sort_unique(idx_list *l)
{
	size_t w = 0;
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_size);
	for (size_t r = 0; r < l->n; r++)
		if (!w || l->v[w - 1] != l->v[r])
			l->v[w++] = l->v[r];
	l->n = w;
}

static const char *stage_path(const dv_graph *g, size_t i)
{
	return g->nodes[i].stage->path;
}

static int index_outs(dv_graph *g)
{
	struct dv_graph_outs *o = dv_calloc(1, sizeof(*o));
	size_t total = 0;

	g->outs = o;
	for (size_t i = 0; i < g->n; i++)
		total += g->nodes[i].stage->outs.n;
	o->refs = dv_calloc(total ? total : 1, sizeof(*o->refs));
	for (size_t i = 0; i < g->n; i++) {
		dv_stage *st = g->nodes[i].stage;
		for (size_t j = 0; j < st->outs.n; j++) {
			o->refs[o->n].path = dv_stage_entry_relpath(st, dv_stage_out(st, j)->path);
			o->refs[o->n].stage = i;
			o->n++;
		}
	}
	if (o->n > 1)
		qsort(o->refs, o->n, sizeof(*o->refs), cmp_ref);
	for (size_t i = 0; i < o->n; i++) {
		const out_ref *r = &o->refs[i];
		long outer;
		if (i + 1 < o->n && !strcmp(r->path, o->refs[i + 1].path)) {
			if (r->stage == o->refs[i + 1].stage)
				return dv_error(DV_ERROR, "'%s' lists out '%s' twice", stage_path(g, r->stage), r->path);
			return dv_error(DV_ERROR, "out '%s' is produced by two stages, '%s' and '%s'; remove it from one",
					r->path, stage_path(g, r->stage), stage_path(g, o->refs[i + 1].stage));
		}
		if ((outer = find_covering(o, r->path, true)) >= 0)
			return dv_error(DV_ERROR, "out '%s' of '%s' is inside out '%s' of '%s'; an out cannot overlap another",
					r->path, stage_path(g, r->stage), o->refs[outer].path,
					stage_path(g, o->refs[outer].stage));
	}
	return 0;
}

static int link_edges(dv_graph *g)
{
	struct dv_graph_outs *o = g->outs;
	idx_list *up = dv_calloc(g->n ? g->n : 1, sizeof(*up));
	idx_list *down = dv_calloc(g->n ? g->n : 1, sizeof(*down));
	int rc = 0;

	for (size_t b = 0; b < g->n && rc == 0; b++) {
		dv_stage *st = g->nodes[b].stage;
		for (size_t j = 0; j < st->deps.n && rc == 0; j++) {
			char *dep = dv_stage_entry_relpath(st, dv_stage_dep(st, j)->path);
			long hit = find_covering(o, dep, false);
			size_t lo, hi;
			if (hit >= 0) {
				if (o->refs[hit].stage == b)
					rc = dv_error(DV_ERROR, "cycle in the stage graph: '%s' depends on its own out '%s'",
						      st->path, o->refs[hit].path);
				idx_push(&up[b], o->refs[hit].stage);
			}
			find_below(o, dep, &lo, &hi);
			for (size_t k = lo; k < hi && rc == 0; k++) {
				if (o->refs[k].stage == b)
					rc = dv_error(DV_ERROR, "cycle in the stage graph: '%s' depends on '%s', which holds its own out '%s'",
						      st->path, dep, o->refs[k].path);
				idx_push(&up[b], o->refs[k].stage);
			}
			free(dep);
		}
	}
	for (size_t b = 0; b < g->n; b++) {
		idx_sort_unique(&up[b]);
		for (size_t k = 0; k < up[b].n; k++)
			idx_push(&down[up[b].v[k]], b);
	}
	for (size_t i = 0; i < g->n; i++) {
		/* down lists are built in increasing b: already sorted, unique */
		g->nodes[i].up = up[i].v;
		g->nodes[i].nup = up[i].n;
		g->nodes[i].down = down[i].v;
		g->nodes[i].ndown = down[i].n;
	}
	free(up);
	free(down);
	return rc;
}

/* A min-heap of stage indices, so ready stages come out by .stage path. */
typedef struct {
	size_t *v;
	size_t n;
} heap;

static void heap_push(heap *h, size_t x)
{
	size_t i = h->n++;
	h->v[i] = x;
	while (i > 0 && h->v[(i - 1) / 2] > h->v[i]) {
		size_t p = (i - 1) / 2, t = h->v[p];
		h->v[p] = h->v[i];
		h->v[i] = t;
		i = p;
	}
}

static size_t heap_pop(heap *h)
{
	size_t top = h->v[0], i = 0;
	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;
		if (l < h->n && h->v[l] < h->v[m])
			m = l;
		if (r < h->n && h->v[r] < h->v[m])
			m = r;
		if (m == i)
			break;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
	return top;
}

/* Nodes left with unmet producers all sit on or behind a cycle: walk up
 * from one until a node repeats, then print the loop producer-first. */
static int report_cycle(const dv_graph *g, const size_t *pending)
{
	size_t start = 0, *seen_at, *path, len = 0, cur;
	dv_buf msg = DV_BUF_INIT;
	int rc;

	while (start < g->n && !pending[start])
		start++;
	seen_at = dv_malloc(g->n * sizeof(*seen_at));
	path = dv_malloc((g->n + 1) * sizeof(*path));
	for (size_t i = 0; i < g->n; i++)
		seen_at[i] = (size_t)-1;
	cur = start;
	while (seen_at[cur] == (size_t)-1) {
		seen_at[cur] = len;
		path[len++] = cur;
		for (size_t k = 0; k < g->nodes[cur].nup; k++) {
			if (pending[g->nodes[cur].up[k]]) {
				cur = g->nodes[cur].up[k];
				break;
			}
		}
	}
	/* path[seen_at[cur]..len) is the loop, consumer before producer. */
	dv_buf_printf(&msg, "%s", stage_path(g, cur));
	for (size_t k = len; k-- > seen_at[cur];)
		dv_buf_printf(&msg, " -> %s", stage_path(g, path[k]));
	rc = dv_error(DV_ERROR, "cycle in the stage graph: %s (each stage's out is a dep of the next)", msg.ptr);
	dv_buf_free(&msg);
	free(seen_at);
	free(path);
	return rc;
}

static int topo_sort(dv_graph *g)
{
	size_t *pending = dv_calloc(g->n ? g->n : 1, sizeof(*pending));
	heap h = { dv_malloc((g->n ? g->n : 1) * sizeof(size_t)), 0 };
	size_t done = 0;
	int rc = 0;

	g->order = dv_malloc((g->n ? g->n : 1) * sizeof(*g->order));
	for (size_t i = 0; i < g->n; i++) {
		pending[i] = g->nodes[i].nup;
		if (!pending[i])
			heap_push(&h, i);
	}
	while (h.n) {
		size_t x = heap_pop(&h);
		g->nodes[x].topo = done;
		g->order[done++] = x;
		for (size_t k = 0; k < g->nodes[x].ndown; k++)
			if (--pending[g->nodes[x].down[k]] == 0)
				heap_push(&h, g->nodes[x].down[k]);
	}
	if (done < g->n)
		rc = report_cycle(g, pending);
	free(pending);
	free(h.v);
	return rc;
}

int dv_graph_build(dv_graph **out, const dv_vec *stages)
{
	dv_graph *g = dv_calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	g->n = stages->n;
	g->nodes = dv_calloc(g->n ? g->n : 1, sizeof(*g->nodes));
	for (size_t i = 0; i < g->n; i++)
		g->nodes[i].stage = *dv_vec_at(stages, dv_stage *, i);
	if ((rc = index_outs(g)) < 0 || (rc = link_edges(g)) < 0 || (rc = topo_sort(g)) < 0) {
		dv_graph_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void dv_graph_free(dv_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		free(g->nodes[i].up);
		free(g->nodes[i].down);
	}
	if (g->outs) {
		for (size_t i = 0; i < g->outs->n; i++)
			free(g->outs->refs[i].path);
		free(g->outs->refs);
		free(g->outs);
	}
	free(g->nodes);
	free(g->order);
	free(g);
}

long dv_graph_find(const dv_graph *g, const char *path)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->nodes[i].stage->path, path))
			return (long)i;
	return -1;
}

long dv_graph_find_name(const dv_graph *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->nodes[i].stage->name, name))
			return (long)i;
	return -1;
}

int dv_graph_target(size_t *out, const dv_graph *g, dv_repo *repo, const char *target)
{
	long i = strchr(target, '/') ? -1 : dv_graph_find_name(g, target);
	if (i < 0) {
		char *path = NULL;
		int rc = dv_workspace_resolve_target(&path, repo, target);
		if (rc < 0)
			return rc;
		i = dv_graph_find(g, path);
		free(path);
		if (i < 0)
			return dv_error(DV_ENOTFOUND, "'%s' is not a stage", target);
	}
	*out = (size_t)i;
	return 0;
}

int dv_graph_targets(dv_vec *out, const dv_graph *g, dv_repo *repo, const char *target)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	int rc;

	for (size_t i = 0; i < g->n; i++)
		*(dv_stage **)dv_vec_push(&stages) = g->nodes[i].stage;
	rc = dv_stages_match(out, &stages, repo, target);
	dv_vec_free(&stages);
	return rc;
}

long dv_graph_producer(const dv_graph *g, const char *path)
{
	long hit = find_covering(g->outs, path, false);
	return hit < 0 ? -1 : (long)g->outs->refs[hit].stage;
}

bool dv_graph_dep_has_producer(const dv_graph *g, const char *relpath)
{
	size_t lo, hi;
	if (find_covering(g->outs, relpath, false) >= 0)
		return true;
	find_below(g->outs, relpath, &lo, &hi);
	return lo < hi;
}

static void mark_walk(const dv_graph *g, size_t start, bool *mark, bool up)
{
	size_t *stack = dv_malloc((g->n + 1) * sizeof(*stack)), n = 0;

	if (!mark[start]) {
		mark[start] = true;
		stack[n++] = start;
	}
	while (n) {
		const dv_graph_node *node = &g->nodes[stack[--n]];
		size_t cnt = up ? node->nup : node->ndown;
		const size_t *next = up ? node->up : node->down;
		for (size_t k = 0; k < cnt; k++) {
			if (!mark[next[k]]) {
				mark[next[k]] = true;
				stack[n++] = next[k];
			}
		}
	}
	free(stack);
}

void dv_graph_mark_upstream(const dv_graph *g, size_t start, bool *mark)
{
	mark_walk(g, start, mark, true);
}

void dv_graph_mark_downstream(const dv_graph *g, size_t start, bool *mark)
{
	mark_walk(g, start, mark, false);
}

int dv_stages_load_at(dv_vec *out, dv_repo *repo, const char *rev)
{
	dv_strvec paths = DV_STRVEC_INIT;
	dv_buf text = DV_BUF_INIT;
	int rc;

	if (!rev)
		return dv_workspace_load_stages(out, repo);
	if ((rc = dv_git_list_tree(&paths, repo, rev, DV_STAGE_SUFFIX)) < 0)
		goto done;
	for (size_t i = 0; i < paths.n; i++) {
		dv_stage *st = NULL;
		if (!strcmp(dv_path_basename(paths.v[i]), DV_STAGE_SUFFIX))
			continue;
		if ((rc = dv_git_read_blob(&text, repo, rev, paths.v[i])) < 0)
			goto done;
		if ((rc = dv_stage_parse(&st, paths.v[i], text.ptr, text.len)) < 0) {
			rc = dv_error_wrap(rc, "at revision '%s'", rev);
			goto done;
		}
		*(dv_stage **)dv_vec_push(out) = st;
	}
	rc = dv_stages_expand_templates(out);
done:
	dv_strvec_free(&paths);
	dv_buf_free(&text);
	return rc;
}
