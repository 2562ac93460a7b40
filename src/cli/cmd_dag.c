/*
 * cmd_dag.c - `dv dag`: draw the stage graph as text, Graphviz dot,
 * Mermaid, or JSON.
 *
 * The text drawing lists the stages in pipeline order, one line each,
 * with the stages it takes its deps from: "evaluate  <- featurize,
 * train".  A tree from the sources down would draw a stage that several
 * stages feed once under each of them, with its whole subtree; a list
 * draws every stage exactly once and still shows every edge, and a
 * git-log-style lane drawing becomes unreadable on wide pipelines.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/graph.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv dag [--dot | --mermaid | --json] [TARGET...]",
	NULL,
};

/* Command stages by name, data stages by their .stage path. */
static const char *label(const dv_graph *g, size_t i)
{
	const dv_stage *st = g->nodes[i].stage;
	return st->is_command ? st->name : st->path;
}

static int cmp_topo_ctx(const void *a, const void *b, void *vg)
{
	const dv_graph *g = vg;
	size_t x = g->nodes[*(const size_t *)a].topo, y = g->nodes[*(const size_t *)b].topo;
	return x < y ? -1 : x > y;
}

/* The selected stages `i` depends on, in pipeline order. */
static size_t selected_deps(size_t *out, const dv_graph *g, const bool *sel, size_t i)
{
	size_t n = 0;
	for (size_t k = 0; k < g->nodes[i].nup; k++)
		if (sel[g->nodes[i].up[k]])
			out[n++] = g->nodes[i].up[k];
	qsort_r(out, n, sizeof(*out), cmp_topo_ctx, (void *)g);
	return n;
}

static void quote_dot(dv_buf *out, const char *s)
{
	dv_buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			dv_buf_putc(out, '\\');
		dv_buf_putc(out, *s);
	}
	dv_buf_putc(out, '"');
}

static void render_dot(dv_buf *out, const dv_graph *g, const bool *sel)
{
	dv_buf_puts(out, "strict digraph {\n");
	for (size_t k = 0; k < g->n; k++) {
		size_t i = g->order[k];
		if (!sel[i])
			continue;
		dv_buf_puts(out, "\t");
		quote_dot(out, label(g, i));
		dv_buf_puts(out, ";\n");
	}
	for (size_t k = 0; k < g->n; k++) {
		size_t i = g->order[k];
		for (size_t d = 0; sel[i] && d < g->nodes[i].ndown; d++) {
			if (!sel[g->nodes[i].down[d]])
				continue;
			dv_buf_puts(out, "\t");
			quote_dot(out, label(g, i));
			dv_buf_puts(out, " -> ");
			quote_dot(out, label(g, g->nodes[i].down[d]));
			dv_buf_puts(out, ";\n");
		}
	}
	dv_buf_puts(out, "}\n");
}

/* Mermaid ids must be plain; the label goes in quotes ("#quot;" escapes
 * a double quote in Mermaid text). */
static void render_mermaid(dv_buf *out, const dv_graph *g, const bool *sel)
{
	dv_buf_puts(out, "flowchart TD\n");
	for (size_t k = 0; k < g->n; k++) {
		size_t i = g->order[k];
		if (!sel[i])
			continue;
		dv_buf_printf(out, "\tnode%zu[\"", i);
		for (const char *s = label(g, i); *s; s++) {
			if (*s == '"')
				dv_buf_puts(out, "#quot;");
			else
				dv_buf_putc(out, *s);
		}
		dv_buf_puts(out, "\"]\n");
	}
	for (size_t k = 0; k < g->n; k++) {
		size_t i = g->order[k];
		for (size_t d = 0; sel[i] && d < g->nodes[i].ndown; d++)
			if (sel[g->nodes[i].down[d]])
				dv_buf_printf(out, "\tnode%zu-->node%zu\n", i, g->nodes[i].down[d]);
	}
}

static void render_json(dv_buf *out, const dv_graph *g, const bool *sel)
{
	json_t *root = json_object(), *nodes = json_array(), *edges = json_array();
	char *s;

	for (size_t k = 0; k < g->n; k++) {
		size_t i = g->order[k];
		const dv_stage *st = g->nodes[i].stage;
		json_t *n;
		if (!sel[i])
			continue;
		n = json_object();
		json_object_set_new(n, "name", json_string(st->name));
		json_object_set_new(n, "path", json_string(st->path));
		json_object_set_new(n, "command", json_boolean(st->is_command));
		json_array_append_new(nodes, n);
		for (size_t d = 0; d < g->nodes[i].ndown; d++) {
			size_t j = g->nodes[i].down[d];
			json_t *e;
			if (!sel[j])
				continue;
			e = json_object();
			json_object_set_new(e, "from", json_string(st->path));
			json_object_set_new(e, "to", json_string(g->nodes[j].stage->path));
			json_array_append_new(edges, e);
		}
	}
	json_object_set_new(root, "nodes", nodes);
	json_object_set_new(root, "edges", edges);
	s = json_dumps(root, JSON_INDENT(2));
	dv_buf_printf(out, "%s\n", s);
	free(s);
	json_decref(root);
}

static void render_text(dv_buf *out, const dv_graph *g, const bool *sel)
{
	size_t *deps = dv_malloc((g->n + 1) * sizeof(*deps)), width = 0;

	/* Align the arrows; sources (data stages, often long paths) have none. */
	for (size_t i = 0; i < g->n; i++)
		if (sel[i] && selected_deps(deps, g, sel, i) && strlen(label(g, i)) > width)
			width = strlen(label(g, i));
	for (size_t k = 0; k < g->n; k++) {
		size_t i = g->order[k], n;
		if (!sel[i])
			continue;
		n = selected_deps(deps, g, sel, i);
		if (!n) {
			dv_buf_printf(out, "%s\n", label(g, i));
			continue;
		}
		dv_buf_printf(out, "%-*s  <- ", (int)width, label(g, i));
		for (size_t d = 0; d < n; d++)
			dv_buf_printf(out, "%s%s", d ? ", " : "", label(g, deps[d]));
		dv_buf_putc(out, '\n');
	}
	free(deps);
}

int cmd_dag(int argc, char **argv, dv_repo *repo)
{
	enum { F_TEXT, F_DOT, F_MERMAID, F_JSON };
	static const struct option longopts[] = {
		{ "dot", no_argument, NULL, 'D' },
		{ "mermaid", no_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;
	dv_buf out = DV_BUF_INIT;
	bool *sel = NULL;
	int c, rc, ret = 0, format = F_TEXT;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'D':
			format = F_DOT;
			break;
		case 'M':
			format = F_MERMAID;
			break;
		case 'J':
			format = F_JSON;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if ((rc = dv_workspace_load_stages(&stages, repo)) < 0 || (rc = dv_graph_build(&g, &stages)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	sel = dv_calloc(g->n ? g->n : 1, sizeof(bool));
	for (size_t i = 0; i < g->n; i++)
		sel[i] = optind >= argc;
	for (int t = optind; t < argc; t++) {
		/* A target and everything it needs, as `dv repro TARGET` runs. */
		dv_vec hits = DV_VEC_INIT(size_t);
		rc = dv_graph_targets(&hits, g, repo, argv[t]);
		for (size_t h = 0; h < hits.n; h++)
			dv_graph_mark_upstream(g, *dv_vec_at(&hits, size_t, h), sel);
		dv_vec_free(&hits);
		if (rc < 0) {
			ret = cli_fail(rc);
			goto done;
		}
	}
	switch (format) {
	case F_DOT:
		render_dot(&out, g, sel);
		break;
	case F_MERMAID:
		render_mermaid(&out, g, sel);
		break;
	case F_JSON:
		render_json(&out, g, sel);
		break;
	default:
		render_text(&out, g, sel);
		break;
	}
	fputs(out.ptr, stdout);
done:
	free(sel);
	dv_graph_free(g);
	dv_stages_free(&stages);
	dv_buf_free(&out);
	return ret;
}
