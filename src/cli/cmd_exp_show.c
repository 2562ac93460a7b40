/*
 * cmd_exp_show.c - `dv exp show`: one row per commit of the branch (and
 * the workspace), each followed by the experiments that started from it
 * and the queued or running ones; columns for every param and metric.
 *
 * Params and metrics of a commit are read as `dv params diff` and `dv
 * metrics show` read any revision; a commit never changes, so what was
 * read is kept in .dv/tmp/exp-show.json by commit id and a table of a
 * thousand experiments is read once.  On a terminal the table fits its
 * width (80 columns when unknown): columns whose values are all the same
 * go first, then params from the right, then metrics; a cell that differs
 * from the commit its experiment started from is shown in bold.
 */
#include <git2.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_exp.h"
#include "dv/error.h"
#include "dv/exp.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/json_out.h"
#include "dv/metrics.h"
#include "dv/queue.h"

/* One value: its text as the file holds it, and a number when it is one. */
typedef struct {
	char *text;
	bool is_number;
	double num;
} cell;

typedef struct {
	char *col;     /* "P\tfile\tkey" or "M\tfile\tkey" */
} colkey;

typedef struct {
	char *label;      /* shown in the first column */
	char *name;       /* experiment name, branch, short id or "workspace" */
	char rev[41];     /* commit ("" for the workspace and queued entries) */
	char base[41];    /* experiments: the commit they started from */
	int64_t time;
	const char *state;
	bool is_exp;
	int parent_row;   /* experiments: the row of their base (-1: none) */
	json_t *values;   /* {"P\tfile\tkey": {"t": text, "n": number?}} */
} row;

/* ---- reading a revision, through the cache ------------------------------- */

static void add_tables(json_t *values, const dv_vec *tables, char kind)
{
	for (size_t i = 0; i < tables->n; i++) {
		const dv_metrics *m = *dv_vec_at(tables, dv_metrics *, i);
		for (size_t k = 0; k < m->items.n; k++) {
			const dv_metric *it = dv_vec_at(&m->items, dv_metric, k);
			char *key = dv_asprintf("%c\t%s\t%s", kind, m->file, it->key);
			json_t *v = json_object();
			json_object_set_new(v, "t", json_string(it->text));
			if (it->is_number)
				json_object_set_new(v, "n", json_real(it->num));
			json_object_set_new(values, key, v);
			free(key);
		}
	}
}

static json_t *read_values(dv_repo *repo, const char *rev)
{
	dv_vec params = DV_VEC_INIT(dv_metrics *), metrics = DV_VEC_INIT(dv_metrics *);
	json_t *values = json_object();

	if (dv_params_collect(&params, repo, rev) == 0)
		add_tables(values, &params, 'P');
	if (dv_metrics_collect(&metrics, repo, rev) == 0)
		add_tables(values, &metrics, 'M');
	dv_metrics_vec_free(&params);
	dv_metrics_vec_free(&metrics);
	return values;
}

typedef struct {
	json_t *memo;     /* commit id -> values */
	json_t *used;     /* what this table read: what is written back, so
			   * removed experiments do not pile up */
	bool dirty;
	char *path;
} show_cache;

static void cache_open(show_cache *c, dv_repo *repo)
{
	c->path = dv_asprintf("%s/tmp/exp-show.json", repo->dvdir);
	c->memo = json_load_file(c->path, 0, NULL);
	if (!json_is_object(c->memo)) {
		json_decref(c->memo);
		c->memo = json_object();
	}
	c->used = json_object();
	c->dirty = false;
}

static void cache_close(show_cache *c)
{
	if (c->dirty || json_object_size(c->used) != json_object_size(c->memo)) {
		char *text = json_dumps(c->used, JSON_COMPACT);
		/* Losing it only costs a re-read: no fsync. */
		if (text && dv_mkdir_parent(c->path) == 0)
			dv_write_file_atomic_nosync(c->path, text, strlen(text), 0644);
		free(text);
	}
	json_decref(c->memo);
	json_decref(c->used);
	free(c->path);
}

static json_t *values_at(show_cache *c, dv_repo *repo, const char *rev)
{
	json_t *v;

	if (!*rev)
		return read_values(repo, NULL);
	if ((v = json_object_get(c->memo, rev))) {
		json_object_set(c->used, rev, v);
		return json_incref(v);
	}
	v = read_values(repo, rev);
	json_object_set(c->memo, rev, v);
	json_object_set(c->used, rev, v);
	c->dirty = true;
	return v;
}

/* ---- building the rows ------------------------------------------------- */

static char *time_text(int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t)
		return dv_strdup("");
	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%b %d %H:%M", &tm);
	return dv_strdup(buf);
}

static row *push_row(dv_vec *rows, const char *label, const char *name)
{
	row *r = dv_vec_push(rows);
	r->label = dv_strdup(label);
	r->name = dv_strdup(name);
	r->parent_row = -1;
	r->state = "";
	return r;
}

static int commit_time(dv_repo *repo, const char *rev, int64_t *t)
{
	git_repository *git = dv_repo_git(repo);
	git_oid oid;
	git_commit *c = NULL;

	*t = 0;
	if (!git || git_oid_fromstr(&oid, rev) < 0 || git_commit_lookup(&c, git, &oid) < 0)
		return DV_ERROR;
	*t = (int64_t)git_commit_time(c);
	git_commit_free(c);
	return 0;
}

/* The values of a queued entry: its base's, with the overrides on top. */
static json_t *entry_values(json_t *base, const dv_exp_entry *e)
{
	json_t *v = json_deep_copy(base);
	for (size_t i = 0; i < e->overrides.n; i++) {
		char *file, *key, *value, *k;
		dv_exp_override_split(&file, &key, &value, e->overrides.v[i]);
		k = dv_asprintf("P\t%s\t%s", file, key);
		json_t *c = json_object();
		char *end;
		double d = strtod(value, &end);
		json_object_set_new(c, "t", json_string(value));
		if (end != value && !*end)
			json_object_set_new(c, "n", json_real(d));
		json_object_set_new(v, k, c);
		free(k);
		free(file);
		free(key);
		free(value);
	}
	return v;
}

/* A failed run's metrics files are whatever its base left: not its own. */
static void drop_metrics(row *r)
{
	json_t *v = json_object();
	const char *k;
	json_t *x;

	json_object_foreach(r->values, k, x)
		if (k[0] != 'M')
			json_object_set(v, k, x);
	json_decref(r->values);
	r->values = v;
}

static char *branch_label(dv_repo *repo)
{
	git_repository *git = dv_repo_git(repo);
	git_reference *head = NULL;
	char *out = NULL;

	if (git && git_repository_head(&head, git) == 0 && git_reference_is_branch(head))
		out = dv_strdup(git_reference_shorthand(head));
	git_reference_free(head);
	return out;
}

static int build_rows(dv_vec *rows, dv_repo *repo, bool all_branches, int max_commits)
{
	dv_strvec commits = DV_STRVEC_INIT;
	dv_vec exps, queued;
	show_cache cache;
	char head[41] = "";
	char *branch = branch_label(repo);
	int rc;

	if ((rc = all_branches ? dv_git_list_commits(&commits, repo) : dv_git_list_history(&commits, repo)) < 0)
		return rc;
	if ((rc = dv_exp_list(&exps, repo)) < 0) {
		dv_strvec_free(&commits);
		return rc;
	}
	if (dv_queue_list(&queued, repo) < 0)
		queued = (dv_vec)DV_VEC_INIT(dv_exp_entry);
	dv_git_resolve(head, repo, "HEAD");
	cache_open(&cache, repo);
	{
		row *w = push_row(rows, "workspace", "workspace");
		w->values = values_at(&cache, repo, "");
	}
	for (size_t i = 0; i < commits.n && (max_commits < 0 || (int)i < max_commits); i++) {
		const char *id = commits.v[i];
		char shortid[8];
		size_t crow = rows->n;
		row *r;
		snprintf(shortid, sizeof(shortid), "%.7s", id);
		r = push_row(rows, !strcmp(id, head) && branch ? branch : shortid,
			     !strcmp(id, head) && branch ? branch : shortid);
		memcpy(r->rev, id, 41);
		commit_time(repo, id, &r->time);
		r->values = values_at(&cache, repo, id);
		for (size_t k = 0; k < exps.n; k++) {
			dv_exp_info *e = dv_vec_at(&exps, dv_exp_info, k);
			char *label;
			if (strcmp(e->base, id))
				continue;
			label = dv_asprintf("  %s", e->name);
			r = push_row(rows, label, e->name);
			free(label);
			memcpy(r->rev, e->commit, 41);
			memcpy(r->base, e->base, 41);
			r->time = e->time;
			r->state = e->failed ? "failed" : "done";
			r->is_exp = true;
			r->parent_row = (int)crow;
			r->values = values_at(&cache, repo, e->commit);
			if (e->failed)
				drop_metrics(r);
		}
		for (size_t k = 0; k < queued.n; k++) {
			dv_exp_entry *q = dv_vec_at(&queued, dv_exp_entry, k);
			char *label;
			if (strcmp(q->base, id))
				continue;
			label = dv_asprintf("  %s", q->name);
			r = push_row(rows, label, q->name);
			free(label);
			memcpy(r->base, q->base, 41);
			r->time = q->created_ns / 1000000000;
			r->state = q->running ? "running" : "queued";
			r->is_exp = true;
			r->parent_row = (int)crow;
			r->values = entry_values(dv_vec_at(rows, row, crow)->values, q);
		}
	}
	cache_close(&cache);
	dv_exp_list_free(&exps);
	dv_queue_list_free(&queued);
	dv_strvec_free(&commits);
	free(branch);
	return 0;
}

static void rows_free(dv_vec *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		row *r = dv_vec_at(rows, row, i);
		free(r->label);
		free(r->name);
		json_decref(r->values);
	}
	dv_vec_free(rows);
}

/* ---- columns ------------------------------------------------------------- */

typedef struct {
	char *id;        /* the values key */
	char *title;
	char kind;       /* 'P' or 'M' */
	bool changed;    /* not the same in every row */
	bool shown;
} column;

static int by_id(const void *a, const void *b)
{
	const column *x = a, *y = b;
	/* params before metrics ('P' > 'M', so reversed), then file, key */
	if (x->kind != y->kind)
		return x->kind == 'P' ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void collect_columns(dv_vec *cols, const dv_vec *rows)
{
	json_t *seen = json_object();

	for (size_t i = 0; i < rows->n; i++) {
		const char *k;
		json_t *v;
		json_object_foreach(dv_vec_at(rows, row, i)->values, k, v) {
			column *c;
			if (json_object_get(seen, k))
				continue;
			json_object_set_new(seen, k, json_true());
			c = dv_vec_push(cols);
			c->id = dv_strdup(k);
			c->kind = k[0];
			c->shown = true;
		}
	}
	json_decref(seen);
	if (cols->n)
		qsort(cols->items, cols->n, sizeof(column), by_id);
	/* Titles: the key alone, or file:key when two files share a key. */
	for (size_t i = 0; i < cols->n; i++) {
		column *c = dv_vec_at(cols, column, i);
		const char *file = c->id + 2, *key = strchr(file, '\t') + 1;
		bool clash = false;
		for (size_t j = 0; j < cols->n && !clash; j++) {
			const char *o = dv_vec_at(cols, column, j)->id + 2;
			clash = j != i && !strcmp(strchr(o, '\t') + 1, key);
		}
		c->title = clash ? dv_asprintf("%.*s:%s", (int)(key - 1 - file), file, key) : dv_strdup(key);
		/* Unchanged: the same wherever it is set (a commit before the
		 * param existed does not make it change). */
		const char *first = NULL;
		for (size_t r = 0; r < rows->n && !c->changed; r++) {
			json_t *v = json_object_get(dv_vec_at(rows, row, r)->values, c->id);
			const char *t = v ? json_string_value(json_object_get(v, "t")) : NULL;
			if (!t)
				continue;
			if (!first)
				first = t;
			c->changed = strcmp(first, t) != 0;
		}
	}
}

static void columns_free(dv_vec *cols)
{
	for (size_t i = 0; i < cols->n; i++) {
		free(dv_vec_at(cols, column, i)->id);
		free(dv_vec_at(cols, column, i)->title);
	}
	dv_vec_free(cols);
}

static column *find_column(dv_vec *cols, const char *name)
{
	for (size_t i = 0; i < cols->n; i++) {
		column *c = dv_vec_at(cols, column, i);
		const char *file = c->id + 2, *key = strchr(file, '\t') + 1;
		char *fk = dv_asprintf("%.*s:%s", (int)(key - 1 - file), file, key);
		bool hit = !strcmp(c->title, name) || !strcmp(fk, name) || !strcmp(key, name);
		free(fk);
		if (hit)
			return c;
	}
	return NULL;
}

/* ---- sorting ------------------------------------------------------------- */

static const char *sort_col;
static int sort_desc;

static int cmp_rows(const void *a, const void *b)
{
	json_t *x = json_object_get(((const row *)a)->values, sort_col);
	json_t *y = json_object_get(((const row *)b)->values, sort_col);
	json_t *nx = x ? json_object_get(x, "n") : NULL, *ny = y ? json_object_get(y, "n") : NULL;
	int r;

	/* Rows without the value go last, whatever the order. */
	if (!x || !y)
		return !x - !y;
	if (nx && ny) {
		double dx = json_real_value(nx), dy = json_real_value(ny);
		r = dx < dy ? -1 : dx > dy;
	} else {
		r = strcmp(json_string_value(json_object_get(x, "t")), json_string_value(json_object_get(y, "t")));
	}
	return sort_desc ? -r : r;
}

/* Sort the experiments under each commit, leaving the commits in order. */
static void sort_rows(dv_vec *rows, const char *col, bool desc)
{
	size_t i = 0;

	sort_col = col;
	sort_desc = desc;
	while (i < rows->n) {
		size_t j = i;
		while (j < rows->n && dv_vec_at(rows, row, j)->is_exp)
			j++;
		if (j - i > 1)
			qsort(dv_vec_at(rows, row, i), j - i, sizeof(row), cmp_rows);
		i = j > i ? j : i + 1;
	}
}

/* ---- output -------------------------------------------------------------- */

static void cell_text(dv_buf *out, const row *r, const column *c, int precision)
{
	json_t *v = json_object_get(r->values, c->id);
	dv_metric m;

	if (!v) {
		dv_buf_puts(out, r->is_exp || !*r->rev ? "-" : "");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.text = (char *)json_string_value(json_object_get(v, "t"));
	m.is_number = json_object_get(v, "n") != NULL;
	m.num = m.is_number ? json_real_value(json_object_get(v, "n")) : 0;
	dv_metric_format_value(out, &m, precision);
}

static bool cell_changed(const dv_vec *rows, const row *r, const column *c)
{
	json_t *a, *b;
	const char *ta, *tb;

	if (r->parent_row < 0)
		return false;
	a = json_object_get(r->values, c->id);
	b = json_object_get(dv_vec_at(rows, row, (size_t)r->parent_row)->values, c->id);
	ta = a ? json_string_value(json_object_get(a, "t")) : "";
	tb = b ? json_string_value(json_object_get(b, "t")) : "";
	return strcmp(ta ? ta : "", tb ? tb : "") != 0;
}

static void print_json(const dv_vec *rows, const dv_vec *cols)
{
	dv_buf out = DV_BUF_INIT;
	dv_json_writer w;

	dv_json_init(&w, &out);
	dv_json_array_begin(&w, false);
	for (size_t i = 0; i < rows->n; i++) {
		const row *r = dv_vec_at(rows, row, i);
		dv_json_object_begin(&w);
		dv_json_key(&w, "name");
		dv_json_string(&w, r->name);
		dv_json_key(&w, "rev");
		dv_json_string(&w, *r->rev ? r->rev : NULL);
		dv_json_key(&w, "experiment");
		dv_json_raw(&w, r->is_exp ? "true" : "false");
		dv_json_key(&w, "baseline");
		dv_json_string(&w, *r->base ? r->base : NULL);
		dv_json_key(&w, "created");
		if (r->time)
			dv_json_number(&w, (double)r->time);
		else
			dv_json_raw(&w, "null");
		dv_json_key(&w, "state");
		dv_json_string(&w, *r->state ? r->state : NULL);
		for (int kind = 0; kind < 2; kind++) {
			const char *prev_file = NULL;
			size_t pl = 0;
			dv_json_key(&w, kind ? "metrics" : "params");
			dv_json_object_begin(&w);
			for (size_t k = 0; k < cols->n; k++) {
				const column *c = dv_vec_at(cols, column, k);
				const char *file = c->id + 2, *key = strchr(file, '\t') + 1;
				json_t *v = json_object_get(r->values, c->id);
				if (!c->shown || c->kind != (kind ? 'M' : 'P') || !v)
					continue;
				if (!prev_file || (size_t)(key - 1 - file) != pl || strncmp(prev_file, file, pl)) {
					char *f = dv_strndup(file, (size_t)(key - 1 - file));
					if (prev_file)
						dv_json_object_end(&w);
					dv_json_key(&w, f);
					dv_json_object_begin(&w);
					free(f);
					prev_file = file;
					pl = (size_t)(key - 1 - file);
				}
				dv_json_key(&w, key);
				if (json_object_get(v, "n") && isfinite(json_real_value(json_object_get(v, "n"))))
					dv_json_raw(&w, json_string_value(json_object_get(v, "t")));
				else
					dv_json_string(&w, json_string_value(json_object_get(v, "t")));
			}
			if (prev_file)
				dv_json_object_end(&w);
			dv_json_object_end(&w);
		}
		dv_json_object_end(&w);
	}
	dv_json_array_end(&w);
	dv_json_finish(&w);
	fputs(out.ptr, stdout);
	dv_buf_free(&out);
}

static void csv_field(dv_buf *out, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		dv_buf_puts(out, s);
		return;
	}
	dv_buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"')
			dv_buf_putc(out, '"');
		dv_buf_putc(out, *s);
	}
	dv_buf_putc(out, '"');
}

static int terminal_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && atoi(env) > 0)
		return atoi(env);
	if (!isatty(1))
		return 0;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

int cli_exp_show(int argc, char **argv, dv_repo *repo)
{
	enum { OPT_MD = 256, OPT_CSV, OPT_JSON, OPT_SORT_BY, OPT_SORT_ORDER, OPT_ONLY_CHANGED, OPT_PRECISION,
	       OPT_KEEP, OPT_DROP };
	static const struct option longopts[] = {
		{ "md", no_argument, NULL, OPT_MD },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "sort-by", required_argument, NULL, OPT_SORT_BY },
		{ "sort-order", required_argument, NULL, OPT_SORT_ORDER },
		{ "only-changed", no_argument, NULL, OPT_ONLY_CHANGED },
		{ "precision", required_argument, NULL, OPT_PRECISION },
		{ "all-branches", no_argument, NULL, 'A' },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "drop", required_argument, NULL, OPT_DROP },
		{ "num", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	const char *const *usage = cli_exp_usage();
	bool md = false, csv = false, json = false, only_changed = false, all = false, desc = false;
	const char *sort_by = NULL, *keep = NULL, *drop = NULL;
	int precision = 5, num = -1, c, rc, ret = 0;
	regex_t keep_re, drop_re;
	dv_vec rows = DV_VEC_INIT(row), cols = DV_VEC_INIT(column);
	dv_strvec cells = DV_STRVEC_INIT;
	dv_buf out = DV_BUF_INIT, t = DV_BUF_INIT;
	size_t ncols, hidden = 0;
	bool color;

	while ((c = cli_getopt(argc, argv, "An:", longopts)) != -1) {
		char *end;
		switch (c) {
		case OPT_MD: md = true; break;
		case OPT_CSV: csv = true; break;
		case OPT_JSON: json = true; break;
		case OPT_SORT_BY: sort_by = optarg; break;
		case OPT_SORT_ORDER:
			if (strcmp(optarg, "asc") && strcmp(optarg, "desc"))
				return cli_usage_error(usage, "--sort-order takes asc or desc, not '%s'", optarg);
			desc = !strcmp(optarg, "desc");
			break;
		case OPT_ONLY_CHANGED: only_changed = true; break;
		case OPT_PRECISION:
			precision = (int)strtol(optarg, &end, 10);
			if (*end || precision < 0 || precision > 17)
				return cli_usage_error(usage, "--precision takes 0 to 17 decimal places, not '%s'", optarg);
			break;
		case 'A': all = true; break;
		case OPT_KEEP: keep = optarg; break;
		case OPT_DROP: drop = optarg; break;
		case 'n':
			num = (int)strtol(optarg, &end, 10);
			if (*end || num < 1)
				return cli_usage_error(usage, "-n takes a number of commits, not '%s'", optarg);
			break;
		case 'h': return cli_usage(usage);
		default: return 2;
		}
	}
	if (md + csv + json > 1)
		return cli_usage_error(usage, "choose one of --md, --csv and --json");
	if (optind != argc)
		return cli_usage_error(usage, "exp show takes no arguments");
	if (keep && regcomp(&keep_re, keep, REG_EXTENDED | REG_NOSUB))
		return cli_usage_error(usage, "--keep: '%s' is not a regular expression", keep);
	if (drop && regcomp(&drop_re, drop, REG_EXTENDED | REG_NOSUB)) {
		if (keep)
			regfree(&keep_re);
		return cli_usage_error(usage, "--drop: '%s' is not a regular expression", drop);
	}
	if ((rc = build_rows(&rows, repo, all, num)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	collect_columns(&cols, &rows);
	if (sort_by) {
		column *sc = find_column(&cols, sort_by);
		if (!sc) {
			ret = cli_error("--sort-by '%s': no param or metric of that name ('dv exp show' lists them)",
					sort_by);
			goto done;
		}
		sort_rows(&rows, sc->id, desc);
	}
	for (size_t i = 0; i < cols.n; i++) {
		column *col = dv_vec_at(&cols, column, i);
		bool kept = keep && regexec(&keep_re, col->title, 0, NULL, 0) == 0;
		if (only_changed && !col->changed)
			col->shown = false;
		if (drop && regexec(&drop_re, col->title, 0, NULL, 0) == 0)
			col->shown = false;
		if (kept)
			col->shown = true;
	}
	if (json) {
		print_json(&rows, &cols);
		goto done;
	}
	color = !md && !csv && isatty(1) && !getenv("NO_COLOR");
	/* Fit the terminal: unchanged columns first, then params from the
	 * right, then metrics from the right. */
	if (!md && !csv) {
		int width = terminal_width();
		for (int pass = 0; width > 0 && pass < 3; pass++) {
			for (size_t k = cols.n; k-- > 0;) {
				size_t total = 0, shown = 3;
				size_t w[3] = { 10, 12, 6 };
				column *col = dv_vec_at(&cols, column, k);
				for (size_t r = 0; r < rows.n; r++) {
					const row *rw = dv_vec_at(&rows, row, r);
					if (strlen(rw->label) > w[0])
						w[0] = strlen(rw->label);
				}
				total = w[0] + w[1] + w[2];
				for (size_t j = 0; j < cols.n; j++) {
					column *cj = dv_vec_at(&cols, column, j);
					size_t cw = strlen(cj->title);
					if (!cj->shown)
						continue;
					for (size_t r = 0; r < rows.n; r++) {
						dv_buf_reset(&t);
						cell_text(&t, dv_vec_at(&rows, row, r), cj, precision);
						if (t.len > cw)
							cw = t.len;
					}
					total += cw;
					shown++;
				}
				total += 2 * (shown - 1);
				if (total <= (size_t)width)
					break;
				if (!col->shown || (keep && regexec(&keep_re, col->title, 0, NULL, 0) == 0))
					continue;
				if ((pass == 0 && !col->changed) || (pass == 1 && col->kind == 'P') || pass == 2) {
					col->shown = false;
					hidden++;
				}
			}
		}
	}
	ncols = 3;
	dv_strvec_push(&cells, "Experiment");
	dv_strvec_push(&cells, "Created");
	dv_strvec_push(&cells, "State");
	for (size_t k = 0; k < cols.n; k++)
		if (dv_vec_at(&cols, column, k)->shown) {
			dv_strvec_push(&cells, dv_vec_at(&cols, column, k)->title);
			ncols++;
		}
	for (size_t r = 0; r < rows.n; r++) {
		const row *rw = dv_vec_at(&rows, row, r);
		dv_strvec_push(&cells, csv || md ? rw->name : rw->label);
		dv_strvec_push_take(&cells, time_text(rw->time));
		dv_strvec_push(&cells, rw->state);
		for (size_t k = 0; k < cols.n; k++) {
			const column *col = dv_vec_at(&cols, column, k);
			if (!col->shown)
				continue;
			dv_buf_reset(&t);
			cell_text(&t, rw, col, precision);
			dv_strvec_push(&cells, t.ptr);
		}
	}
	if (csv) {
		for (size_t i = 0; i < cells.n; i++) {
			csv_field(&out, cells.v[i]);
			dv_buf_putc(&out, (i + 1) % ncols ? ',' : '\n');
		}
	} else if (md) {
		dv_table_format_md(&out, &cells, ncols);
	} else if (!color) {
		dv_table_format(&out, &cells, ncols);
	} else {
		/* Aligned by hand: escape codes must not count as width. */
		size_t *w = dv_calloc(ncols, sizeof(size_t));
		for (size_t i = 0; i < cells.n; i++)
			if (strlen(cells.v[i]) > w[i % ncols])
				w[i % ncols] = strlen(cells.v[i]);
		for (size_t i = 0; i < cells.n; i++) {
			size_t r = i / ncols, col = i % ncols, k = 0, shown = 0;
			bool hl = false;
			const char *pre = "";
			if (r > 0 && col >= 3) {
				for (k = 0; k < cols.n; k++)
					if (dv_vec_at(&cols, column, k)->shown && shown++ == col - 3)
						break;
				hl = cell_changed(&rows, dv_vec_at(&rows, row, r - 1), dv_vec_at(&cols, column, k));
			}
			if (r == 0)
				pre = "\033[1m";
			else if (hl)
				pre = "\033[1;33m";
			else if (col == 2 && !strcmp(cells.v[i], "failed"))
				pre = "\033[31m";
			dv_buf_printf(&out, "%s%s%s", pre, cells.v[i], *pre ? "\033[0m" : "");
			if (col + 1 == ncols)
				dv_buf_putc(&out, '\n');
			else
				dv_buf_printf(&out, "%*s", (int)(w[col] - strlen(cells.v[i]) + 2), "");
		}
		free(w);
	}
	fputs(out.ptr, stdout);
	if (hidden && !cli_quiet)
		fprintf(stderr, "(%zu column%s hidden to fit the terminal: --only-changed, --drop, --keep or --json "
			"choose what shows)\n", hidden, hidden == 1 ? "" : "s");
done:
	if (keep)
		regfree(&keep_re);
	if (drop)
		regfree(&drop_re);
	dv_strvec_free(&cells);
	dv_buf_free(&out);
	dv_buf_free(&t);
	columns_free(&cols);
	rows_free(&rows);
	return ret;
}
