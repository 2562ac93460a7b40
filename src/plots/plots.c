/*
 * plots.c - which plots a repository has at which revisions, their data
 * read like metrics (work tree, git tree, or cache), metric trends across
 * commits, and the files `dv plots show` writes.
 *
 * A plot is defined by the [out] entries marked `plot = true` of every
 * revision shown; where revisions disagree on its properties the last
 * revision named wins (the work tree in `dv plots diff`), as a user
 * editing the properties wants to see the new definition applied to old
 * data too.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/graph.h"
#include "dv/json_out.h"
#include "dv/metrics.h"
#include "dv/plots.h"
#include "dv/pool.h"
#include "dv/workspace.h"

typedef struct {
	char *relpath;
	const dv_plot_props *props;  /* borrowed from a stage; NULL: defaults */
	const dv_stage_file **outs;  /* per revision: the declaring out, or NULL */
	bool declared;               /* a plot out somewhere (else a bare target) */
} plot_def;

static bool is_workspace(const char *rev)
{
	return !rev || !strcmp(rev, DV_REV_WORKSPACE);
}

static plot_def *find_def(dv_vec *defs, const char *relpath)
{
	for (size_t i = 0; i < defs->n; i++)
		if (!strcmp(dv_vec_at(defs, plot_def, i)->relpath, relpath))
			return dv_vec_at(defs, plot_def, i);
	return NULL;
}

static plot_def *add_def(dv_vec *defs, const char *relpath, size_t nrevs)
{
	plot_def *d = dv_vec_push(defs);
	d->relpath = dv_strdup(relpath);
	d->outs = dv_calloc(nrevs ? nrevs : 1, sizeof(*d->outs));
	return d;
}

/* "data/train log.csv" -> "data_train_log": a file name for the SVG. */
static char *svg_name(const dv_vec *plots, const char *relpath)
{
	const char *dot = strrchr(relpath, '.'), *slash = strrchr(relpath, '/');
	size_t len = dot && (!slash || dot > slash) && dot != relpath ? (size_t)(dot - relpath)
								    : strlen(relpath);
	dv_buf name = DV_BUF_INIT;
	size_t base;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)relpath[i];
		dv_buf_putc(&name, isalnum(c) || c == '-' || c == '_' || c == '.' ? (char)c : '_');
	}
	if (!name.len)
		dv_buf_puts(&name, "plot");
	base = name.len;
	for (int k = 2;; k++) {
		bool taken = false;
		for (size_t i = 0; i < plots->n && !taken; i++)
			taken = !strcmp((*dv_vec_at(plots, dv_plot *, i))->name, name.ptr);
		if (!taken)
			break;
		dv_buf_truncate(&name, base);
		dv_buf_printf(&name, "-%d", k);
	}
	return dv_buf_detach(&name);
}

static void warn(dv_strvec *warnings, const char *rev_label, bool several, const char *msg)
{
	if (several)
		dv_strvec_push_take(warnings, dv_asprintf("%s: %s", rev_label, msg));
	else
		dv_strvec_push(warnings, msg);
}

/* One plot across the revisions: its texts at git revisions read in
 * order on the caller's thread (libgit2 objects are not shared between
 * threads), then the workspace's file read, parsed and charted on a
 * worker, as reading and parsing numbers is all of the cost. */
typedef struct {
	const plot_def *d;
	dv_buf *texts;     /* per revision; .ptr NULL: no data there */
	char **paths;      /* per revision: the workspace file the worker reads */
	char **errs;       /* per revision: why it has no series (a warning) */
	char *build_err;
	dv_plot *plot;
} chart_job;

typedef struct {
	chart_job *jobs;
	const char *const *revs;
	size_t nrevs;
} chart_batch;

static const char *rev_label(const char *rev)
{
	return is_workspace(rev) ? DV_REV_WORKSPACE : rev;
}

/* After reading revision r's text: a missing file at one side of a diff
 * has no series there; any other failure is a warning. */
static void chart_loaded(chart_job *job, size_t r, size_t nrevs, int rc)
{
	if (rc < 0) {
		if (rc != DV_ENOTFOUND || nrevs == 1)
			job->errs[r] = dv_strdup(dv_error_last());
		dv_buf_free(&job->texts[r]);
	} else if (!job->texts[r].ptr) {
		dv_buf_puts(&job->texts[r], ""); /* an empty file is data too */
	}
}

static void chart_read(chart_job *job, dv_repo *repo, const char *const *revs, const bool *readable,
		       size_t nrevs)
{
	const plot_def *d = job->d;

	job->texts = dv_calloc(nrevs, sizeof(*job->texts));
	job->errs = dv_calloc(nrevs, sizeof(*job->errs));
	job->paths = dv_calloc(nrevs, sizeof(*job->paths));
	for (size_t r = 0; r < nrevs; r++) {
		if (!readable[r] || (d->declared && !d->outs[r]))
			continue; /* not a plot at this revision */
		if (is_workspace(revs[r])) {
			dv_buf path = DV_BUF_INIT;
			dv_repo_abspath(&path, repo, d->relpath);
			job->paths[r] = dv_buf_detach(&path);
			continue;
		}
		/* a bare target (no plot out declares it) is the file itself */
		chart_loaded(job, r, nrevs,
			     d->outs[r] ? dv_read_out_at(&job->texts[r], repo, revs[r], d->relpath, d->outs[r])
					: dv_git_read_blob(&job->texts[r], repo, revs[r], d->relpath));
	}
}

static void chart_parse(void *ctx, size_t i)
{
	chart_batch *b = ctx;
	chart_job *job = &b->jobs[i];
	dv_plot_source *src = dv_calloc(b->nrevs, sizeof(*src));
	size_t found = 0;

	for (size_t r = 0; r < b->nrevs; r++) {
		dv_plot_table *t = NULL;
		src[r].label = rev_label(b->revs[r]);
		if (job->paths[r]) {
			chart_loaded(job, r, b->nrevs, dv_read_file(&job->texts[r], job->paths[r]));
			free(job->paths[r]);
		}
		if (!job->texts[r].ptr)
			continue;
		if (dv_plot_table_parse(&t, job->d->relpath, job->texts[r].ptr, job->texts[r].len) < 0)
			job->errs[r] = dv_strdup(dv_error_last());
		else
			found++;
		src[r].table = t;
		dv_buf_free(&job->texts[r]);
	}
	/* named once the order of the page is known (chart_emit) */
	if (found && dv_plot_build(&job->plot, job->d->relpath, job->d->relpath, job->d->props, src, b->nrevs) < 0)
		job->build_err = dv_strdup(dv_error_last());
	for (size_t r = 0; r < b->nrevs; r++)
		dv_plot_table_free((dv_plot_table *)src[r].table);
	free(src);
}

static void chart_emit(dv_vec *out, dv_strvec *warnings, chart_job *job, const char *const *revs, size_t nrevs)
{
	for (size_t r = 0; r < nrevs; r++)
		if (job->errs[r]) {
			warn(warnings, rev_label(revs[r]), nrevs > 1, job->errs[r]);
			free(job->errs[r]);
		}
	if (job->build_err)
		dv_strvec_push_take(warnings, job->build_err);
	if (job->plot) {
		free(job->plot->name);
		job->plot->name = svg_name(out, job->d->relpath);
		*(dv_plot **)dv_vec_push(out) = job->plot;
	}
	free(job->errs);
	free(job->texts);
	free(job->paths);
}

/* Chart `n` plots: read a few at a time (bounded memory), parse and build
 * them in parallel, and add them to `out` in order. */
static void chart_all(dv_vec *out, dv_strvec *warnings, dv_repo *repo, const plot_def *const *defs, size_t n,
		      const char *const *revs, const bool *readable, size_t nrevs)
{
	int jobs = dv_pool_default_jobs();
	size_t batch = (size_t)jobs * 4;
	chart_batch b = { dv_calloc(batch, sizeof(chart_job)), revs, nrevs };

	for (size_t at = 0; at < n; at += batch) {
		size_t k = n - at < batch ? n - at : batch;
		memset(b.jobs, 0, batch * sizeof(chart_job));
		for (size_t i = 0; i < k; i++) {
			b.jobs[i].d = defs[at + i];
			chart_read(&b.jobs[i], repo, revs, readable, nrevs);
		}
		dv_parallel_for(k, jobs, chart_parse, &b);
		for (size_t i = 0; i < k; i++)
			chart_emit(out, warnings, &b.jobs[i], revs, nrevs);
	}
	free(b.jobs);
}

static bool target_matches(const dv_strvec *targets, const char *relpath)
{
	if (!targets || !targets->n)
		return true;
	for (size_t i = 0; i < targets->n; i++) {
		size_t n = strlen(targets->v[i]);
		if (!strcmp(targets->v[i], relpath) ||
		    (!strncmp(targets->v[i], relpath, n) && relpath[n] == '/'))
			return true;
	}
	return false;
}

int dv_plots_collect(dv_vec *out, dv_strvec *warnings, dv_repo *repo, const char *const *revs,
		     size_t nrevs, const dv_strvec *targets)
{
	dv_vec *stages = dv_calloc(nrevs ? nrevs : 1, sizeof(*stages));
	bool *readable = dv_calloc(nrevs ? nrevs : 1, sizeof(*readable));
	dv_vec defs = DV_VEC_INIT(plot_def), todo = DV_VEC_INIT(const plot_def *);
	int rc = 0;

	for (size_t r = 0; r < nrevs; r++) {
		const char *rev = is_workspace(revs[r]) ? NULL : revs[r];
		stages[r] = (dv_vec)DV_VEC_INIT(dv_stage *);
		if (rev && dv_git_rev_is_unborn(repo, rev))
			continue; /* HEAD before the first commit: nothing there */
		readable[r] = true;
		if ((rc = dv_stages_load_at(&stages[r], repo, rev)) < 0)
			goto done;
		for (size_t i = 0; i < stages[r].n; i++) {
			const dv_stage *st = *dv_vec_at(&stages[r], dv_stage *, i);
			for (size_t j = 0; j < st->outs.n; j++) {
				const dv_stage_file *o = dv_stage_out(st, j);
				char *rel;
				plot_def *d;
				if (!o->plot)
					continue;
				rel = dv_stage_entry_relpath(st, o->path);
				if (target_matches(targets, rel)) {
					if (!(d = find_def(&defs, rel)))
						d = add_def(&defs, rel, nrevs);
					d->declared = true;
					d->outs[r] = o;
					if (o->plot_props)
						d->props = o->plot_props; /* the last revision wins */
				}
				free(rel);
			}
		}
	}
	/* targets no plot out declares: the files themselves, default look */
	for (size_t i = 0; targets && i < targets->n; i++) {
		bool covered = false;
		for (size_t k = 0; k < defs.n && !covered; k++)
			covered = target_matches(&(dv_strvec){ &targets->v[i], 1, 1 },
						 dv_vec_at(&defs, plot_def, k)->relpath);
		if (!covered)
			add_def(&defs, targets->v[i], nrevs);
	}
	for (size_t i = 0; i < defs.n; i++) {
		const plot_def *d = dv_vec_at(&defs, plot_def, i);
		bool dir = false;
		for (size_t r = 0; r < nrevs; r++)
			dir = dir || (d->outs[r] && d->outs[r]->is_dir);
		if (dir)
			dv_strvec_push_take(warnings, dv_asprintf("'%s' is a directory; name the plot files "
								  "inside it as outs to draw them", d->relpath));
		else
			*(const plot_def **)dv_vec_push(&todo) = d;
	}
	chart_all(out, warnings, repo, (const plot_def *const *)todo.items, todo.n, revs, readable, nrevs);
	dv_vec_free(&todo);
	if (rc == 0 && targets && targets->n)
		for (size_t i = 0; i < defs.n; i++) {
			const plot_def *d = dv_vec_at(&defs, plot_def, i);
			bool drawn = false;
			for (size_t k = 0; k < out->n && !drawn; k++)
				drawn = !strcmp((*dv_vec_at(out, dv_plot *, k))->source, d->relpath);
			if (!drawn && !d->declared && warnings->n == 0)
				rc = dv_error(DV_ENOTFOUND, "'%s' does not exist%s", d->relpath,
					      nrevs == 1 && is_workspace(revs[0]) ? "" : " at the revisions given");
		}
done:
	for (size_t i = 0; i < defs.n; i++) {
		free(dv_vec_at(&defs, plot_def, i)->relpath);
		free(dv_vec_at(&defs, plot_def, i)->outs);
	}
	dv_vec_free(&defs);
	for (size_t r = 0; r < nrevs; r++)
		dv_stages_free(&stages[r]);
	free(stages);
	free(readable);
	return rc;
}

/* ---- metric trends --------------------------------------------------- */

int dv_plots_metric_trends(dv_vec *out, dv_strvec *warnings, dv_repo *repo, const dv_strvec *revs)
{
	dv_strvec keys = DV_STRVEC_INIT; /* "file\nkey", first-seen order */
	dv_vec per_rev = DV_VEC_INIT(dv_vec);
	int rc = 0;

	for (size_t r = 0; r < revs->n; r++) {
		dv_vec *tables = dv_vec_push(&per_rev);
		*tables = (dv_vec)DV_VEC_INIT(dv_metrics *);
		if ((rc = dv_metrics_collect(tables, repo, revs->v[r])) < 0)
			goto done;
		for (size_t i = 0; i < tables->n; i++) {
			const dv_metrics *m = *dv_vec_at(tables, dv_metrics *, i);
			if (m->error && m->missing)
				continue; /* not produced yet at that commit: a gap in the line */
			if (m->error) {
				dv_strvec_push_take(warnings, dv_asprintf("%.12s: %s", revs->v[r] ? revs->v[r] :
									  DV_REV_WORKSPACE, m->error));
				continue;
			}
			for (size_t j = 0; j < m->items.n; j++) {
				const dv_metric *it = dv_vec_at(&m->items, dv_metric, j);
				char *k;
				if (!it->is_number)
					continue;
				k = dv_asprintf("%s\n%s", m->file, it->key);
				dv_strvec_push_take_once(&keys, k);
			}
		}
	}
	for (size_t i = 0; i < keys.n; i++) {
		char *file = dv_strdup(keys.v[i]), *key = strchr(file, '\n') + 1, *stem;
		double *x = dv_malloc(revs->n * sizeof(*x)), *y = dv_malloc(revs->n * sizeof(*y));
		dv_plot *p;
		key[-1] = 0;
		stem = dv_asprintf("metrics-%s-%s", file, key);
		{
			char *name = svg_name(out, stem);
			p = dv_plot_new(name, DV_PLOT_LINEAR);
			free(name);
		}
		p->source = dv_strdup(file);
		p->title = dv_strdup(key);
		p->x_label = dv_strdup("commit");
		p->y_label = dv_strdup(key);
		dv_strvec_push(&p->y_fields, key);
		for (size_t r = 0; r < revs->n; r++) {
			const dv_vec *tables = dv_vec_at(&per_rev, dv_vec, r);
			const dv_metric *it = NULL;
			for (size_t t = 0; t < tables->n && !it; t++) {
				const dv_metrics *m = *dv_vec_at(tables, dv_metrics *, t);
				if (!strcmp(m->file, file))
					it = dv_metrics_get(m, key);
			}
			/* commit ids short, names (exps/NAME) whole */
			dv_strvec_push_take(&p->x_categories, !revs->v[r] ? dv_strdup(DV_REV_WORKSPACE)
							       : strlen(revs->v[r]) == 40 ? dv_asprintf("%.7s", revs->v[r])
							       : dv_strdup(revs->v[r]));
			x[r] = (double)r;
			y[r] = it && it->is_number ? it->num : NAN;
		}
		dv_plot_add_series(p, key, x, y, revs->n);
		*(dv_plot **)dv_vec_push(out) = p;
		free(stem);
		free(file);
	}
done:
	for (size_t r = 0; r < per_rev.n; r++)
		dv_metrics_vec_free(dv_vec_at(&per_rev, dv_vec, r));
	dv_vec_free(&per_rev);
	dv_strvec_free(&keys);
	return rc;
}

/* ---- output ---------------------------------------------------------- */

int dv_plots_write(const dv_vec *plots, const char *dir, const char *heading)
{
	dv_buf text = DV_BUF_INIT, path = DV_BUF_INIT;
	int rc;

	if ((rc = dv_mkdir_p(dir, 0777)) < 0)
		goto done;
	for (size_t i = 0; i < plots->n; i++) {
		const dv_plot *p = *dv_vec_at(plots, dv_plot *, i);
		dv_buf_reset(&text);
		dv_buf_puts(&text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
		dv_plot_render_svg(&text, p);
		dv_buf_reset(&path);
		dv_buf_printf(&path, "%s/%s.svg", dir, p->name);
		/* reports, not data: no fsync, but never a half-written file */
		if ((rc = dv_write_file_atomic_nosync(path.ptr, text.ptr, text.len, 0644)) < 0)
			goto done;
	}
	dv_buf_reset(&text);
	dv_plot_render_html(&text, plots, heading);
	dv_buf_reset(&path);
	dv_buf_printf(&path, "%s/index.html", dir);
	rc = dv_write_file_atomic_nosync(path.ptr, text.ptr, text.len, 0644);
done:
	dv_buf_free(&text);
	dv_buf_free(&path);
	return rc;
}

static void strvec_json(dv_json_writer *w, const char *key, const dv_strvec *sv)
{
	dv_json_key(w, key);
	dv_json_array_begin(w, true);
	for (size_t i = 0; i < sv->n; i++)
		dv_json_string(w, sv->v[i]);
	dv_json_array_end(w);
}

static void numbers_json(dv_json_writer *w, const char *key, const double *v, size_t n)
{
	dv_json_key(w, key);
	dv_json_array_begin(w, true);
	for (size_t i = 0; i < n; i++)
		dv_json_number(w, v[i]);
	dv_json_array_end(w);
}

static void string_json(dv_json_writer *w, const char *key, const char *v)
{
	dv_json_key(w, key);
	dv_json_string(w, v);
}

void dv_plots_json(dv_buf *out, const dv_vec *plots)
{
	dv_json_writer w;

	dv_json_init(&w, out);
	dv_json_object_begin(&w);
	dv_json_key(&w, "plots");
	dv_json_array_begin(&w, false);
	for (size_t i = 0; i < plots->n; i++) {
		const dv_plot *p = *dv_vec_at(plots, dv_plot *, i);
		dv_json_object_begin(&w);
		string_json(&w, "name", p->name);
		string_json(&w, "source", p->source);
		string_json(&w, "template", dv_plot_templates[p->kind]);
		string_json(&w, "title", p->title);
		string_json(&w, "x", p->x_field);
		strvec_json(&w, "y", &p->y_fields);
		string_json(&w, "x_label", p->x_label);
		string_json(&w, "y_label", p->y_label);
		if (p->x_categories.n)
			strvec_json(&w, "x_categories", &p->x_categories);
		dv_json_key(&w, "series");
		dv_json_array_begin(&w, false);
		for (size_t k = 0; k < p->series.n; k++) {
			const dv_plot_series *sr = dv_vec_at(&p->series, dv_plot_series, k);
			dv_json_object_begin(&w);
			string_json(&w, "label", sr->label);
			numbers_json(&w, "x", sr->x, sr->n);
			numbers_json(&w, "y", sr->y, sr->n);
			dv_json_object_end(&w);
		}
		dv_json_array_end(&w);
		if (p->matrices.n) {
			dv_json_key(&w, "matrices");
			dv_json_array_begin(&w, false);
			for (size_t k = 0; k < p->matrices.n; k++) {
				const dv_plot_matrix *m = dv_vec_at(&p->matrices, dv_plot_matrix, k);
				dv_json_object_begin(&w);
				string_json(&w, "label", m->label);
				strvec_json(&w, "rows", &m->rows);
				strvec_json(&w, "cols", &m->cols);
				dv_json_key(&w, "cells");
				dv_json_array_begin(&w, false);
				for (size_t r = 0; r < m->rows.n; r++) {
					dv_json_array_begin(&w, true);
					for (size_t c = 0; c < m->cols.n; c++)
						dv_json_number(&w, m->cells[r * m->cols.n + c]);
					dv_json_array_end(&w);
				}
				dv_json_array_end(&w);
				dv_json_object_end(&w);
			}
			dv_json_array_end(&w);
		}
		dv_json_object_end(&w);
	}
	dv_json_array_end(&w);
	dv_json_object_end(&w);
	dv_json_finish(&w);
}
