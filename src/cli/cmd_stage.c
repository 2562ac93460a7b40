/*
 * cmd_stage.c - `dv stage add` (declare a command stage: NAME.stage in the
 * current directory) and `dv stage list`.
 *
 * `stage add` validates everything it can before writing: the name is
 * unique in the repository, every path stays inside it, every param
 * exists in its file, and the new stage fits the graph (no duplicate or
 * overlapping outs, no cycle), so a bad stage never reaches `dv repro`.
 * Nothing runs here; the stage is recorded as never run.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/graph.h"
#include "dv/lock.h"
#include "dv/metrics.h"
#include "dv/params.h"
#include "dv/repro.h"
#include "dv/staleness.h"
#include "dv/workspace.h"
#include "plots_cli.h"

static const char *const usage[] = {
	"dv stage add -n NAME [-d DEP]... [-o OUT]... [-O OUT_NOCACHE]... [-p [FILE:]KEY[,KEY...]]...\n"
	"                    [-m METRIC]... [--plot PLOT [-x FIELD] [-y FIELD]... [-t TEMPLATE]\n"
	"                    [--title TEXT] [--x-label TEXT] [--y-label TEXT]]... [--persist]\n"
	"                    [--always-changed] [--desc TEXT] [-f] [--] CMD...",
	"dv stage list [--all] [--json]",
	NULL,
};

static bool valid_name(const char *name)
{
	if (!*name || *name == '.' || *name == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.'))
			return false;
	return true;
}

/* A dep or out as typed (relative to the current directory, which is the
 * stage's): must stay inside the repository; stored normalised. */
static int entry_path(char **out, dv_repo *repo, const char *what, const char *user)
{
	char *rel = NULL;
	int rc;

	*out = NULL;
	if (!*user)
		return dv_error(DV_EUSAGE, "empty %s path", what);
	if (user[0] == '/')
		return dv_error(DV_EUSAGE, "%s '%s' is an absolute path; give it relative to the stage's directory",
				what, user);
	if ((rc = dv_repo_relpath(&rel, repo, user)) < 0)
		return dv_error_wrap(rc, "%s '%s'", what, user);
	free(rel);
	*out = dv_path_normalize(user);
	return 0;
}

typedef struct {
	dv_stage *st;
	bool persist;
	long last_plot; /* index in outs of the latest --plot, -1 before one */
	bool y_seen;    /* the latest --plot has had a -y */
} add_ctx;

static int add_path(add_ctx *a, dv_repo *repo, int opt, const char *arg)
{
	char *path = NULL;
	dv_stage_file *f;
	int rc;

	if (cli_is_plot_option(opt)) {
		/* -x, -y, -t, --title...: properties of the --plot before them */
		if (a->last_plot < 0)
			return dv_error(DV_EUSAGE, "plot options (-x, -y, -t, --title, --x-label, --y-label) "
					"follow the --plot PATH they describe");
		return cli_plot_option_apply(&dv_stage_out(a->st, (size_t)a->last_plot)->plot_props, opt, arg,
					     &a->y_seen);
	}
	rc = entry_path(&path, repo, opt == 'd' ? "dep" : "out", arg);
	if (rc < 0)
		return rc;
	if (opt == 'd') {
		dv_stage_add_dep(a->st, path);
	} else {
		f = dv_stage_add_out(a->st, path);
		f->cache = opt == 'o';
		f->metric = opt == 'm';
		f->plot = opt == 'P';
		if (f->plot) {
			a->last_plot = (long)(a->st->outs.n - 1);
			a->y_seen = false;
		}
	}
	free(path);
	return 0;
}

/* Check "[FILE:]KEY" against its file (relative to the stage directory)
 * and declare it. */
static int add_param(dv_stage *st, dv_repo *repo, dv_params_set *set, const char *spec)
{
	char *file = NULL, *key = NULL, *norm = NULL, *rel = NULL;
	const dv_params *p = NULL;
	dv_buf dir = DV_BUF_INIT;
	int rc;

	dv_repo_abspath(&dir, repo, st->dir);
	dv_param_spec_split(&file, &key, spec, dv_params_default_file(dir.ptr));
	if (!*key || !*file) {
		rc = dv_error(DV_EUSAGE, "bad param '%s': expected [FILE:]SECTION.KEY", spec);
		goto done;
	}
	if ((rc = entry_path(&norm, repo, "params file", file)) < 0)
		goto done;
	rel = dv_stage_entry_relpath(st, norm);
	rc = dv_params_set_get(&p, set, rel);
	if (rc == DV_ENOTFOUND) {
		rc = dv_error(DV_ENOTFOUND, "params file '%s' does not exist (for param '%s')", rel, key);
		goto done;
	}
	if (rc < 0)
		goto done;
	if (!dv_params_get(p, key)) {
		rc = dv_error(DV_ENOTFOUND, "param '%s' is not in '%s'; add it there first", key, rel);
		goto done;
	}
	for (size_t i = 0; i < st->params.n; i++) {
		dv_stage_param *q = dv_stage_param_at(st, i);
		if (!strcmp(q->file, norm) && !strcmp(q->key, key))
			goto done; /* declared twice: once is enough */
	}
	dv_stage_add_param(st, norm, key, NULL);
done:
	free(file);
	free(key);
	free(norm);
	free(rel);
	dv_buf_free(&dir);
	return rc;
}

static int add_params_arg(dv_stage *st, dv_repo *repo, dv_params_set *set, const char *arg)
{
	char *list = dv_strdup(arg), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(list, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save))
		rc = add_param(st, repo, set, t);
	free(list);
	return rc;
}

/* Every ${section.key} in cmd must be a param; one not declared with -p
 * is declared from the default params file, as DVC tracks interpolated
 * params. */
static int declare_cmd_params(dv_stage *st, dv_repo *repo, dv_params_set *set)
{
	dv_strvec refs = DV_STRVEC_INIT;
	int rc = 0;

	dv_cmd_param_refs(&refs, st->cmd);
	for (size_t i = 0; i < refs.n && rc == 0; i++) {
		bool known = false;
		for (size_t j = 0; j < st->params.n && !known; j++)
			known = !strcmp(dv_stage_param_at(st, j)->key, refs.v[i]);
		if (!known && (rc = add_param(st, repo, set, refs.v[i])) < 0)
			rc = dv_error_wrap(rc, "cmd uses '${%s}'", refs.v[i]);
	}
	dv_strvec_free(&refs);
	return rc;
}

/* Name unique, file free (or -f), and the graph still valid with it. */
static int check_against_repo(dv_repo *repo, dv_stage *st, bool force)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_graph *g = NULL;
	bool replaced = false;
	int rc;

	if ((rc = dv_workspace_load_stages(&stages, repo)) < 0)
		goto done;
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage **slot = dv_vec_at(&stages, dv_stage *, i);
		if (!strcmp((*slot)->path, st->path)) {
			if (!force) {
				rc = dv_error(DV_EEXISTS, "'%s' already exists; use -f to overwrite it", st->path);
				goto done;
			}
			if ((*slot)->is_command)
				dv_stage_carry_over(st, *slot);
			dv_stage_free(*slot);
			*slot = st;
			replaced = true;
		} else if (!strcmp((*slot)->name, st->name)) {
			rc = dv_error(DV_EEXISTS, "stage name '%s' is already used by '%s'; names are unique in the repository",
				      st->name, (*slot)->path);
			goto done;
		}
	}
	if (!replaced)
		*(dv_stage **)dv_vec_push(&stages) = st;
	rc = dv_graph_build(&g, &stages);
	if (rc < 0)
		dv_error_wrap(rc, "cannot add stage '%s'", st->name);
	/* `st` belongs to the caller: take it out before freeing. */
	for (size_t i = 0; i < stages.n; i++)
		if (*dv_vec_at(&stages, dv_stage *, i) == st)
			*dv_vec_at(&stages, dv_stage *, i) = NULL;
done:
	dv_graph_free(g);
	for (size_t i = 0; i < stages.n; i++)
		dv_stage_free(*dv_vec_at(&stages, dv_stage *, i));
	dv_vec_free(&stages);
	return rc;
}

static void join_cmd(dv_buf *out, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (i)
			dv_buf_putc(out, ' ');
		dv_buf_puts(out, argv[i]);
	}
}

static int stage_add(int argc, char **argv, dv_repo *repo)
{
	enum { OPT_PLOT = 'P', OPT_PERSIST = 256, OPT_ALWAYS, OPT_DESC };
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "deps", required_argument, NULL, 'd' },
		{ "outs", required_argument, NULL, 'o' },
		{ "outs-no-cache", required_argument, NULL, 'O' },
		{ "params", required_argument, NULL, 'p' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "plots", required_argument, NULL, OPT_PLOT },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "persist", no_argument, NULL, OPT_PERSIST },
		{ "always-changed", no_argument, NULL, OPT_ALWAYS },
		{ "desc", required_argument, NULL, OPT_DESC },
		{ "force", no_argument, NULL, 'f' },
		CLI_PLOT_LONGOPTS,
		{ 0, 0, 0, 0 },
	};
	dv_strvec param_args = DV_STRVEC_INIT;
	dv_strvec to_stage = DV_STRVEC_INIT;
	dv_buf cmd = DV_BUF_INIT, path = DV_BUF_INIT;
	dv_params_set *set = NULL;
	const char *name = NULL, *desc = NULL;
	bool force = false, always = false;
	struct dv_lock *lock = NULL;
	add_ctx a = { NULL, false, -1, false };
	int c, rc = 0, ret = 0;
	/* Options are collected first: the stage's path needs the name. */
	dv_strvec paths = DV_STRVEC_INIT; /* "<opt char><path>" in order */

	while ((c = cli_getopt(argc, argv, "+n:d:o:O:p:m:f" CLI_PLOT_SHORTOPTS, longopts)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'd': case 'o': case 'O': case 'm': case OPT_PLOT:
		case 'x': case 'y': case 't': case 'T': case 'X': case 'Y': {
			char *item = dv_asprintf("%c%s", c, optarg);
			dv_strvec_push_take(&paths, item);
			break;
		}
		case 'p':
			dv_strvec_push(&param_args, optarg);
			break;
		case OPT_PERSIST:
			a.persist = true;
			break;
		case OPT_ALWAYS:
			always = true;
			break;
		case OPT_DESC:
			desc = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			ret = cli_usage(usage);
			goto done;
		default:
			ret = 2; /* cli_getopt named the option */
			goto done;
		}
	}
	if (!name) {
		ret = cli_usage_error(usage, "'dv stage add' needs a stage name: -n NAME");
		goto done;
	}
	if (!valid_name(name)) {
		ret = cli_usage_error(usage, "bad stage name '%s': use letters, digits, '_', '-' and '.' (not first)", name);
		goto done;
	}
	if (optind >= argc) {
		ret = cli_usage_error(usage, "'dv stage add' needs the command to run (after the options)");
		goto done;
	}
	join_cmd(&cmd, argc - optind, argv + optind);
	if (!*repo->prefix)
		dv_buf_printf(&path, "%s%s", name, DV_STAGE_SUFFIX);
	else
		dv_buf_printf(&path, "%s/%s%s", repo->prefix, name, DV_STAGE_SUFFIX);
	a.st = dv_stage_new(path.ptr);
	a.st->is_command = true;
	a.st->cmd = dv_strdup(cmd.ptr);
	a.st->desc = desc ? dv_strdup(desc) : NULL;
	a.st->always_changed = always;
	set = dv_params_set_new(repo, NULL);
	for (size_t i = 0; i < paths.n && rc == 0; i++)
		rc = add_path(&a, repo, paths.v[i][0], paths.v[i] + 1);
	if (rc == 0 && a.persist)
		for (size_t i = 0; i < a.st->outs.n; i++)
			dv_stage_out(a.st, i)->persist = true;
	for (size_t i = 0; i < param_args.n && rc == 0; i++)
		rc = add_params_arg(a.st, repo, set, param_args.v[i]);
	if (rc == 0)
		rc = declare_cmd_params(a.st, repo, set);
	if (rc < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	if (!(lock = cli_lock(repo))) {
		ret = 1;
		goto done;
	}
	/* Only the .stage file: .gitignore entries for the outs come when
	 * the stage first runs (their directories may not exist yet). */
	dv_strvec_push(&to_stage, a.st->path);
	if ((rc = check_against_repo(repo, a.st, force)) < 0 ||
	    (rc = dv_stage_save(a.st, repo->root)) < 0 ||
	    (rc = dv_stage_git_add(repo, &to_stage)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	cli_info("Added stage '%s' in '%s'; run it with 'dv repro %s'\n", name, a.st->path, name);
done:
	dv_lock_release(lock);
	dv_stage_free(a.st);
	dv_params_set_free(set);
	dv_strvec_free(&paths);
	dv_strvec_free(&param_args);
	dv_strvec_free(&to_stage);
	dv_buf_free(&cmd);
	dv_buf_free(&path);
	return ret;
}

static json_t *files_json(const dv_stage *st, const dv_vec *files)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < files->n; i++) {
		char *rel = dv_stage_entry_relpath(st, dv_vec_at(files, dv_stage_file, i)->path);
		json_array_append_new(arr, json_string(rel));
		free(rel);
	}
	return arr;
}

static json_t *stage_json(const dv_stage *st)
{
	json_t *o = json_object(), *params = json_array();
	json_object_set_new(o, "name", json_string(st->name));
	json_object_set_new(o, "path", json_string(st->path));
	json_object_set_new(o, "cmd", st->cmd ? json_string(st->cmd) : json_null());
	json_object_set_new(o, "desc", st->desc ? json_string(st->desc) : json_null());
	json_object_set_new(o, "deps", files_json(st, &st->deps));
	json_object_set_new(o, "outs", files_json(st, &st->outs));
	for (size_t i = 0; i < st->params.n; i++) {
		const dv_stage_param *p = dv_stage_param_at(st, i);
		char *rel = dv_stage_entry_relpath(st, p->file);
		char *item = dv_asprintf("%s:%s", rel, p->key);
		json_array_append_new(params, json_string(item));
		free(item);
		free(rel);
	}
	json_object_set_new(o, "params", params);
	json_object_set_new(o, "frozen", json_boolean(st->frozen));
	json_object_set_new(o, "always_changed", json_boolean(st->always_changed));
	return o;
}

static int stage_list(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_strvec cells = DV_STRVEC_INIT;
	dv_buf out = DV_BUF_INIT, line = DV_BUF_INIT;
	bool all = false, json = false;
	json_t *arr = NULL;
	int c, rc, ret = 0;

	while ((c = cli_getopt(argc, argv, "a", longopts)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'J':
			json = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "'dv stage list' takes no arguments");
	if ((rc = dv_workspace_load_stages(&stages, repo)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	arr = json_array();
	for (size_t i = 0; i < stages.n; i++) {
		const dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		if (!st->is_command && !all)
			continue;
		json_array_append_new(arr, stage_json(st));
		dv_strvec_push(&cells, st->name);
		dv_strvec_push(&cells, st->path);
		dv_buf_reset(&line);
		if (st->desc) {
			dv_buf_puts(&line, st->desc);
		} else {
			dv_buf_puts(&line, st->is_command ? "Outputs " : "Tracks ");
			for (size_t j = 0; j < st->outs.n; j++) {
				char *rel = dv_stage_entry_relpath(st, dv_stage_out(st, j)->path);
				dv_buf_printf(&line, "%s%s", j ? ", " : "", rel);
				free(rel);
			}
			if (!st->outs.n)
				dv_buf_puts(&line, "nothing");
		}
		dv_strvec_push(&cells, line.ptr);
	}
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	} else {
		dv_table_format(&out, &cells, 3);
		fputs(out.ptr, stdout);
	}
done:
	json_decref(arr);
	dv_stages_free(&stages);
	dv_strvec_free(&cells);
	dv_buf_free(&out);
	dv_buf_free(&line);
	return ret;
}

int cmd_stage(int argc, char **argv, dv_repo *repo)
{
	char *sub_argv0;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "-h"))
		return argc < 2 ? cli_usage_error(usage, "'dv stage' needs a subcommand: add or list")
				: cli_usage(usage);
	if (strcmp(argv[1], "add") && strcmp(argv[1], "list"))
		return cli_usage_error(usage, "unknown subcommand 'stage %s': use add or list", argv[1]);
	/* main.c opens the repository unless it saw -h anywhere, but for
	 * `stage add` a -h may belong to CMD ("dv stage add -n x ls -h"). */
	if (!repo) {
		bool help = false;
		for (int i = 2; i < argc && argv[i][0] == '-'; i++)
			help |= !strcmp(argv[i], "-h");
		if (help)
			return cli_usage(usage);
		if ((ret = dv_repo_open(&repo, NULL)) < 0)
			return cli_fail(ret);
		ret = cmd_stage(argc, argv, repo);
		dv_repo_free(repo);
		return ret;
	}
	/* Messages say "dv stage add", not "dv add". */
	sub_argv0 = dv_asprintf("stage %s", argv[1]);
	argv[1] = sub_argv0;
	ret = !strncmp(sub_argv0, "stage add", 9) ? stage_add(argc - 1, argv + 1, repo)
						    : stage_list(argc - 1, argv + 1, repo);
	free(sub_argv0);
	return ret;
}
