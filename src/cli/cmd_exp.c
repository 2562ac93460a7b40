/*
 * cmd_exp.c - `dv exp`: run, list, apply, branch, remove, save, diff (and
 * the hidden __run-entry a sweep's child process runs); `exp show` is in
 * cmd_exp_show.c, `exp push/pull` in cmd_exp_sync.c.
 *
 * One experiment without --temp, -j or --queue runs here in the
 * workspace, as `dvc exp run` does; everything else becomes entries that
 * the runner (queue.c) hands to child processes, each in its own
 * worktree, so this file only words what they report.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_exp.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/exp.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/lock.h"
#include "dv/params.h"
#include "dv/queue.h"
#include "dv/repro.h"
#include "dv/slurm.h"
#include "dv/workspace.h"
#include "metrics_cli.h"

static const char *const usage[] = {
	"dv exp run [TARGET...] [-S [FILE:]KEY=VALUE[,VALUE...]]... [-n NAME] [-m MSG] [-j N] [--temp]\n"
	"                  [--queue] [-k] [--random N [--seed S]] [--executor local|slurm]",
	"dv exp show [--md | --csv | --json] [--sort-by KEY] [--sort-order asc|desc] [--only-changed]\n"
	"                  [--precision N] [-A] [--keep REGEX] [--drop REGEX]",
	"dv exp diff A [B]",
	"dv exp list [--names-only]",
	"dv exp apply [-f] NAME",
	"dv exp branch NAME BRANCH",
	"dv exp remove (NAME... | --all | --queued)",
	"dv exp save [-n NAME] [-m MSG]",
	"dv exp push GIT_REMOTE [NAME...] [--no-data]",
	"dv exp pull GIT_REMOTE NAME... [--no-data]",
	NULL,
};

const char *const *cli_exp_usage(void)
{
	return usage;
}

int cli_exp_exe(char *exe, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", exe, size - 1);
	if (n < 0)
		return dv_error_errno(DV_ERROR, "cannot find the dv binary to run experiments with");
	exe[n] = '\0';
	return 0;
}

static int parse_jobs(int *out, const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);
	if (*end || n < 1 || n > 256)
		return cli_usage_error(usage, "-j needs a number of experiments from 1 to 256, not '%s'", arg);
	*out = (int)n;
	return 0;
}

/* ---- exp run ------------------------------------------------------------- */

typedef struct {
	bool prefix;
} run_print_ctx;

static void on_exp_event(void *vctx, const dv_exp_event *ev)
{
	run_print_ctx *ctx = vctx;

	switch (ev->kind) {
	case DV_EXP_STARTED:
		if (!cli_quiet)
			printf("Running experiment '%s'\n", ev->name);
		break;
	case DV_EXP_OUTPUT:
		if (cli_quiet)
			return;
		if (ctx->prefix)
			printf("[%s] %s\n", ev->name, ev->text);
		else
			printf("%s\n", ev->text);
		break;
	case DV_EXP_DONE:
		if (!cli_quiet)
			printf("Experiment '%s' done: its commit is on refs/exps/%s\n", ev->name, ev->name);
		break;
	case DV_EXP_FAILED:
		fprintf(stderr, "Experiment '%s' failed (recorded as failed): 'dv queue logs %s' shows its log\n",
			ev->name, ev->name);
		break;
	case DV_EXP_ERROR:
		fprintf(stderr, "dv: error: experiment '%s' did not run: %s ('dv queue logs %s')\n", ev->name,
			ev->text ? ev->text : "", ev->name);
		break;
	case DV_EXP_INTERRUPTED:
		fprintf(stderr, "Experiment '%s' stopped, not recorded\n", ev->name);
		break;
	}
	fflush(stdout);
}

/* The sweep's points as entries; queued ones wait for `dv queue start`. */
static int run_entries(dv_repo *repo, const dv_vec *grid, const char *base, const char *name, const char *msg,
		       char *const *targets, size_t ntargets, const char *executor, bool keep_going, bool queue,
		       int jobs)
{
	dv_strvec names = DV_STRVEC_INIT;
	int *fds = dv_calloc(grid->n ? grid->n : 1, sizeof(int));
	int rc = 0, ret = 0;
	char exe[4096];
	struct timespec ts;

	for (size_t i = 0; i < grid->n; i++) {
		dv_exp_entry e;
		memset(&e, 0, sizeof(e));
		if (name && grid->n == 1)
			e.name = dv_strdup(name);
		else if (name)
			e.name = dv_asprintf("%s-%zu", name, i + 1);
		else
			e.name = dv_exp_name_generate(repo);
		if (name && dv_exp_name_taken(repo, e.name)) {
			rc = dv_error(DV_EEXISTS, "experiment '%s' exists already: choose another -n, or "
				      "'dv exp remove %s'", e.name, e.name);
			dv_exp_entry_clear(&e);
			break;
		}
		memcpy(e.base, base, 41);
		e.message = msg ? dv_strdup(msg) : NULL;
		for (size_t k = 0; k < dv_vec_at(grid, dv_strvec, i)->n; k++)
			dv_strvec_push(&e.overrides, dv_vec_at(grid, dv_strvec, i)->v[k]);
		for (size_t k = 0; k < ntargets; k++)
			dv_strvec_push(&e.targets, targets[k]);
		e.executor = executor ? dv_strdup(executor) : NULL;
		e.keep_going = keep_going;
		e.queued = queue;
		clock_gettime(CLOCK_REALTIME, &ts);
		e.created_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		rc = dv_exp_entry_create(repo, &e, queue ? NULL : &fds[names.n]);
		if (rc == 0) {
			dv_strvec_push(&names, e.name);
			if (queue && !cli_quiet) {
				printf("Queued experiment '%s'", e.name);
				for (size_t k = 0; k < e.overrides.n; k++)
					printf("%s%s", k ? ", " : " (", strchr(e.overrides.v[k], ':') + 1);
				printf("%s\n", e.overrides.n ? ")" : "");
			}
		}
		dv_exp_entry_clear(&e);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		/* Nothing has run: take back what this command wrote. */
		for (size_t i = 0; i < names.n; i++) {
			char *p = dv_exp_entry_path(repo, names.v[i], !queue);
			unlink(p);
			free(p);
			if (!queue)
				close(fds[i]);
		}
		ret = cli_fail(rc);
	} else if (queue) {
		if (!cli_quiet)
			printf("Run them with 'dv queue start'.\n");
	} else if ((rc = cli_exp_exe(exe, sizeof(exe))) < 0) {
		ret = cli_fail(rc);
	} else {
		run_print_ctx pctx = { jobs > 1 };
		dv_exp_runner_opts o = { .exe = exe, .jobs = jobs, .names = names.v, .lock_fds = fds, .n = names.n,
					 .callback = on_exp_event, .ctx = &pctx };
		dv_exp_runner_summary sum;
		rc = dv_exp_runner_run(&sum, repo, &o);
		if (!cli_quiet && grid->n > 1)
			printf("%zu experiment%s done, %zu failed%s\n", sum.done, sum.done == 1 ? "" : "s", sum.failed,
			       sum.errors ? ", some did not run" : "");
		if (rc == DV_EINTR) {
			cli_fail(rc);
			ret = 128 + (sum.sig ? sum.sig : SIGINT);
		} else if (rc < 0) {
			ret = cli_fail(rc);
		} else {
			ret = sum.failed ? 1 : 0;
		}
	}
	dv_strvec_free(&names);
	free(fds);
	return ret;
}

/* One experiment in the workspace: edit, repro, record. */
static int run_in_workspace(dv_repo *repo, const dv_strvec *overrides, const char *base, const char *name_arg,
			    const char *msg, char *const *targets, size_t ntargets, const char *executor,
			    bool keep_going)
{
	dv_repro_opts opts = { .jobs = 1 };
	dv_repro_summary sum;
	cli_repro_print_ctx pctx = { false, keep_going, false };
	struct dv_lock *lock;
	char *name = NULL;
	char commit[41];
	int rc, ret;

	if (name_arg && dv_exp_name_taken(repo, name_arg))
		return cli_error("experiment '%s' exists already: choose another -n, or 'dv exp remove %s'", name_arg,
				 name_arg);
	if (!(lock = cli_lock(repo)))
		return 1;
	if ((rc = dv_exp_overrides_apply(repo, overrides)) < 0) {
		dv_lock_release(lock);
		return cli_fail(rc);
	}
	opts.targets = (const char *const *)targets;
	opts.ntargets = ntargets;
	opts.keep_going = keep_going;
	opts.callback = cli_repro_print_event;
	opts.ctx = &pctx;
	pctx.slurm = executor && !strcmp(executor, "slurm");
	if (pctx.slurm) {
		char exe[4096];
		rc = cli_exp_exe(exe, sizeof(exe));
		if (rc == 0)
			rc = dv_slurm_repro(&sum, repo, &opts, exe);
	} else {
		rc = dv_repro(&sum, repo, &opts);
	}
	dv_repo_save_statcache(repo);
	if (rc == DV_EINTR) {
		dv_lock_release(lock);
		cli_fail(rc);
		fprintf(stderr, "Experiment not recorded.\n");
		return 128 + (sum.sig ? sum.sig : SIGINT);
	}
	if (rc < 0)
		fprintf(stderr, "dv: error: %s\n", dv_error_last());
	name = name_arg ? dv_strdup(name_arg) : dv_exp_name_generate(repo);
	ret = dv_exp_record(commit, repo, base, name, msg, rc < 0);
	dv_lock_release(lock);
	if (ret < 0) {
		free(name);
		return cli_fail(ret);
	}
	if (rc < 0)
		fprintf(stderr, "Experiment '%s' failed (recorded as failed on refs/exps/%s)\n", name, name);
	else if (!cli_quiet)
		printf("Experiment '%s' done: its commit %.7s is on refs/exps/%s\n", name, commit, name);
	free(name);
	return rc < 0 ? 1 : 0;
}

static int exp_run(int argc, char **argv, dv_repo *repo)
{
	enum { OPT_TEMP = 256, OPT_QUEUE, OPT_RANDOM, OPT_SEED, OPT_EXECUTOR };
	static const struct option longopts[] = {
		{ "set-param", required_argument, NULL, 'S' },
		{ "name", required_argument, NULL, 'n' },
		{ "message", required_argument, NULL, 'm' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "temp", no_argument, NULL, OPT_TEMP },
		{ "queue", no_argument, NULL, OPT_QUEUE },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "random", required_argument, NULL, OPT_RANDOM },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "executor", required_argument, NULL, OPT_EXECUTOR },
		{ 0, 0, 0, 0 },
	};
	dv_vec sweeps = DV_VEC_INIT(dv_exp_sweep), grid = DV_VEC_INIT(dv_strvec);
	const char *name = NULL, *msg = NULL, *executor = NULL;
	const char *dflt_file;
	bool temp = false, queue = false, keep_going = false, seeded = false;
	long random_n = 0;
	unsigned long long seed = 0;
	int jobs = 0, c, ret = 0, rc;
	dv_strvec sets = DV_STRVEC_INIT;
	char base[41];
	char *root_dir = dv_asprintf("%s/", repo->root);

	while ((c = cli_getopt(argc, argv, "S:n:m:j:k", longopts)) != -1) {
		char *end;
		switch (c) {
		case 'S':
			dv_strvec_push(&sets, optarg);
			break;
		case 'n':
			name = optarg;
			break;
		case 'm':
			msg = optarg;
			break;
		case 'j':
			if ((ret = parse_jobs(&jobs, optarg)) != 0)
				goto done;
			break;
		case OPT_TEMP:
			temp = true;
			break;
		case OPT_QUEUE:
			queue = true;
			break;
		case 'k':
			keep_going = true;
			break;
		case OPT_RANDOM:
			random_n = strtol(optarg, &end, 10);
			if (*end || random_n < 1) {
				ret = cli_usage_error(usage, "--random needs a number of experiments, not '%s'", optarg);
				goto done;
			}
			break;
		case OPT_SEED:
			seed = strtoull(optarg, &end, 10);
			if (*end || !*optarg) {
				ret = cli_usage_error(usage, "--seed needs a whole number, not '%s'", optarg);
				goto done;
			}
			seeded = true;
			break;
		case OPT_EXECUTOR:
			executor = optarg;
			if (strcmp(executor, "local") && strcmp(executor, "slurm")) {
				ret = cli_usage_error(usage, "unknown executor '%s': use local or slurm", executor);
				goto done;
			}
			break;
		case 'h':
			ret = cli_usage(usage);
			goto done;
		default:
			ret = 2;
			goto done;
		}
	}
	if (seeded && !random_n) {
		ret = cli_usage_error(usage, "--seed goes with --random N");
		goto done;
	}
	if (name && !dv_exp_name_valid(name)) {
		ret = cli_usage_error(usage, "'%s' cannot name an experiment: use letters, digits, '-', '_' and '.'",
				      name);
		goto done;
	}
	if (!executor)
		executor = dv_config_get(repo->config, "exec.executor");
	/* What a killed run left (its worktree, its entry) goes first. */
	dv_queue_recover(repo, NULL);
	dflt_file = dv_params_default_file(root_dir);
	for (size_t i = 0; i < sets.n; i++) {
		dv_exp_sweep *s = dv_vec_push(&sweeps);
		if ((rc = dv_exp_sweep_parse(s, sets.v[i], dflt_file)) < 0) {
			sweeps.n--;
			ret = cli_usage_error(usage, "%s", dv_error_last());
			goto done;
		}
	}
	if (!seeded)
		seed = (unsigned long long)time(NULL);
	dv_exp_grid(&grid, sweeps.items, sweeps.n, (size_t)random_n, seed);
	if ((rc = dv_git_resolve(base, repo, "HEAD")) < 0) {
		ret = cli_error("experiments start from a commit: commit the pipeline first ('git commit')");
		goto done;
	}
	if (grid.n == 1 && !temp && !queue && jobs <= 1) {
		/* The workspace's own params files are what this run edits. */
		if ((rc = dv_exp_overrides_check(repo, NULL, dv_vec_at(&grid, dv_strvec, 0))) < 0) {
			ret = cli_fail(rc);
			goto done;
		}
		ret = run_in_workspace(repo, dv_vec_at(&grid, dv_strvec, 0), base, name, msg, argv + optind,
				       (size_t)(argc - optind), executor, keep_going);
		goto done;
	}
	/* Every point is checked before the first one runs. */
	for (size_t i = 0; i < grid.n; i++)
		if ((rc = dv_exp_overrides_check(repo, base, dv_vec_at(&grid, dv_strvec, i))) < 0) {
			ret = cli_fail(rc);
			goto done;
		}
	ret = run_entries(repo, &grid, base, name, msg, argv + optind, (size_t)(argc - optind), executor,
			  keep_going, queue, jobs < 1 ? 1 : jobs);
done:
	for (size_t i = 0; i < sweeps.n; i++)
		dv_exp_sweep_free(dv_vec_at(&sweeps, dv_exp_sweep, i));
	dv_vec_free(&sweeps);
	dv_exp_grid_free(&grid);
	dv_strvec_free(&sets);
	free(root_dir);
	return ret;
}

/* ---- __run-entry: one experiment in its worktree (a child of the runner) -- */

static volatile sig_atomic_t entry_stop;

static void on_entry_signal(int sig)
{
	entry_stop = sig;
}

static int run_entry(int argc, char **argv, dv_repo *repo)
{
	dv_exp_entry e;
	dv_repo *wrepo = NULL;
	dv_exp_slot slot = { .lock_fd = -1 };
	char *path;
	dv_repro_opts opts = { .jobs = 1 };
	dv_repro_summary sum;
	cli_repro_print_ctx pctx = { false, false, false };
	struct sigaction sa;
	sigset_t stops, unblocked;
	int rc, status = 3;
	bool failed = false;

	if (argc != 3)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_entry_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	sigprocmask(SIG_SETMASK, NULL, &unblocked);
	path = dv_exp_entry_path(repo, argv[1], true);
	if ((rc = dv_exp_entry_load(&e, path)) < 0) {
		free(path);
		return cli_fail(rc);
	}
	printf("Experiment '%s' from %.7s", e.name, e.base);
	for (size_t k = 0; k < e.overrides.n; k++)
		printf("%s%s", k ? ", " : ": ", strchr(e.overrides.v[k], ':') ? strchr(e.overrides.v[k], ':') + 1
									 : e.overrides.v[k]);
	printf("\n");
	fflush(stdout);
	if ((rc = dv_exp_slot_acquire(&slot, repo, e.base)) < 0 || (rc = dv_repo_open(&wrepo, slot.path)) < 0 ||
	    (chdir(slot.path) < 0 && (rc = dv_error_errno(DV_ERROR, "cannot enter '%s'", slot.path)) < 0)) {
		cli_fail(rc);
		goto done;
	}
	/* The worktree is scratch: a crash leaves it to the next reset, and
	 * what the experiment yields is its commit.  Its params and .stage
	 * files skip the fsyncs the user's own get (6 of them per run). */
	dv_fs_set_scratch_dir(slot.path);
	{
		/* The data recorded at the base, linked from the shared cache:
		 * stages whose inputs the overrides leave alone stay up to date.
		 * In a kept worktree the stat cache knows the links already made,
		 * so only what differs is written. */
		dv_vec stages = DV_VEC_INIT(dv_stage *), report = DV_VEC_INIT(dv_checkout_item);
		rc = dv_workspace_load_stages(&stages, wrepo);
		if (rc == 0 && slot.reused)
			rc = dv_exp_slot_prune(wrepo, &stages);
		/* An out that cannot be put in place is the stages' to report. */
		if (rc == 0)
			dv_exp_slot_checkout(&slot, wrepo, &stages, &report);
		dv_checkout_report_free(&report);
		dv_stages_free(&stages);
		/* Saved now, the links just made are trusted by the repro below
		 * instead of read again. */
		if (rc == 0)
			dv_repo_save_statcache(wrepo);
		if (rc == 0)
			rc = dv_exp_overrides_apply(wrepo, &e.overrides);
		if (rc < 0) {
			cli_fail(rc);
			goto done;
		}
	}
	/* The stop signals wait, blocked, from here until repro's handlers
	 * take them: one that came between this check and those handlers
	 * would otherwise only set entry_stop while the stages ran to their
	 * end. */
	sigprocmask(SIG_BLOCK, &stops, NULL);
	if (entry_stop)
		goto done;
	opts.targets = (const char *const *)e.targets.v;
	opts.ntargets = e.targets.n;
	opts.keep_going = e.keep_going;
	opts.callback = cli_repro_print_event;
	opts.ctx = &pctx;
	pctx.keep_going = e.keep_going;
	if (e.executor && !strcmp(e.executor, "slurm")) {
		char exe[4096];
		pctx.slurm = true;
		sigprocmask(SIG_SETMASK, &unblocked, NULL);
		rc = cli_exp_exe(exe, sizeof(exe));
		if (rc == 0)
			rc = dv_slurm_repro(&sum, wrepo, &opts, exe);
	} else {
		rc = dv_repro(&sum, wrepo, &opts);
	}
	sigprocmask(SIG_SETMASK, &unblocked, NULL); /* what came meanwhile sets entry_stop */
	dv_repo_save_statcache(wrepo);
	if (rc == DV_EINTR || entry_stop)
		goto done;
	if (rc < 0) {
		fprintf(stderr, "dv: error: %s\n", dv_error_last());
		failed = true;
	}
	if ((rc = dv_exp_record(NULL, wrepo, e.base, e.name, e.message, failed)) < 0) {
		cli_fail(rc);
		goto done;
	}
	status = failed ? 1 : 0;
	if (!failed) {
		dv_vec stages = DV_VEC_INIT(dv_stage *);
		if (dv_workspace_load_stages(&stages, wrepo) == 0)
			dv_exp_slot_save_held(&slot, repo, &stages);
		dv_stages_free(&stages);
	}
done:
	if (status > 1 && entry_stop)
		status = 128 + entry_stop;
	dv_repo_free(wrepo);
	dv_fs_set_scratch_dir(NULL);
	if (chdir(repo->root) < 0) {
		/* the removal below uses absolute paths */
	}
	/* Kept for the next experiment, unless this one was cut short: then
	 * nothing half-made stays (a kill -9 leaves it for the next reset). */
	dv_exp_slot_release(&slot, repo, status > 1);
	/* The entry goes last: while it exists, a recovery knows this run did
	 * not finish.  An interrupted queued experiment waits again. */
	if (status > 1 && e.queued) {
		char *back = dv_exp_entry_path(repo, e.name, false);
		if (rename(path, back) < 0)
			unlink(path);
		free(back);
	} else {
		unlink(path);
	}
	fflush(stdout);
	dv_exp_entry_clear(&e);
	free(path);
	return status;
}

/* ---- list, remove, apply, branch, save, diff ----------------------------- */

static int exp_list(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = { { "names-only", no_argument, NULL, 'N' }, { 0, 0, 0, 0 } };
	dv_vec list, queued;
	bool names_only = false;
	const char *last_base = "";
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (c == 'N')
			names_only = true;
		else if (c == 'h')
			return cli_usage(usage);
		else
			return 2;
	}
	if ((rc = dv_exp_list(&list, repo)) < 0)
		return cli_fail(rc);
	for (size_t i = 0; i < list.n; i++) {
		dv_exp_info *e = dv_vec_at(&list, dv_exp_info, i);
		if (names_only) {
			printf("%s\n", e->name);
			continue;
		}
		if (strcmp(last_base, e->base))
			printf("%.7s:\n", e->base);
		last_base = e->base;
		printf("\t%s%s\n", e->name, e->failed ? " (failed)" : "");
	}
	if (!names_only && dv_queue_list(&queued, repo) == 0) {
		for (size_t i = 0; i < queued.n; i++) {
			dv_exp_entry *q = dv_vec_at(&queued, dv_exp_entry, i);
			printf("%.7s:\n\t%s (%s)\n", q->base, q->name, q->running ? "running" : "queued");
		}
		dv_queue_list_free(&queued);
	}
	dv_exp_list_free(&list);
	return 0;
}

static void remove_log(dv_repo *repo, const char *name)
{
	char *log = dv_exp_log_path(repo, name);
	unlink(log);
	free(log);
}

static int exp_remove(int argc, char **argv, dv_repo *repo)
{
	enum { OPT_QUEUED = 256 };
	static const struct option longopts[] = { { "all", no_argument, NULL, 'a' },
						  { "queued", no_argument, NULL, OPT_QUEUED },
						  { 0, 0, 0, 0 } };
	bool all = false, queued = false;
	int c, ret = 0, rc;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == OPT_QUEUED)
			queued = true;
		else if (c == 'h')
			return cli_usage(usage);
		else
			return 2;
	}
	if ((all || queued) == (optind < argc))
		return cli_usage_error(usage, "exp remove takes NAMEs, or --all, or --queued");
	if (all || queued) {
		dv_vec list;
		if (all) {
			if ((rc = dv_exp_list(&list, repo)) < 0)
				return cli_fail(rc);
			for (size_t i = 0; i < list.n; i++) {
				const char *n = dv_vec_at(&list, dv_exp_info, i)->name;
				if ((rc = dv_exp_delete(repo, n)) < 0)
					ret = cli_fail(rc);
				remove_log(repo, n);
			}
			if (!cli_quiet)
				printf("Removed %zu experiment%s\n", list.n, list.n == 1 ? "" : "s");
			dv_exp_list_free(&list);
		}
		if ((rc = dv_queue_list(&list, repo)) < 0)
			return cli_fail(rc);
		for (size_t i = 0; i < list.n; i++) {
			dv_exp_entry *q = dv_vec_at(&list, dv_exp_entry, i);
			if (!q->running && (rc = dv_queue_remove(repo, q->name)) < 0)
				ret = cli_fail(rc);
		}
		dv_queue_list_free(&list);
		return ret;
	}
	for (int i = optind; i < argc; i++) {
		const char *n = argv[i];
		if (!strncmp(n, DV_EXP_REF_PREFIX, strlen(DV_EXP_REF_PREFIX)))
			n += strlen(DV_EXP_REF_PREFIX);
		rc = dv_exp_delete(repo, n);
		if (rc == DV_ENOTFOUND) {
			char *msg = dv_strdup(dv_error_last());
			rc = dv_queue_remove(repo, n);
			if (rc == DV_ENOTFOUND)
				rc = dv_error(DV_ENOTFOUND, "%s", msg);
			free(msg);
		}
		if (rc < 0) {
			ret = cli_fail(rc);
			continue;
		}
		remove_log(repo, n);
		if (!cli_quiet)
			printf("Removed experiment '%s'\n", n);
	}
	return ret;
}

static int exp_apply(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = { { "force", no_argument, NULL, 'f' }, { 0, 0, 0, 0 } };
	dv_exp_info e;
	dv_strvec changes = DV_STRVEC_INIT, written = DV_STRVEC_INIT;
	dv_vec stages = DV_VEC_INIT(dv_stage *), report = DV_VEC_INIT(dv_checkout_item);
	struct dv_lock *lock = NULL;
	bool force = false;
	int c, rc, ret = 0;

	while ((c = cli_getopt(argc, argv, "f", longopts)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return cli_usage(usage);
		else
			return 2;
	}
	if (optind + 1 != argc)
		return cli_usage_error(usage, "exp apply takes one experiment NAME");
	if ((rc = dv_exp_lookup(&e, repo, argv[optind])) < 0)
		return cli_fail(rc);
	if (!(lock = cli_lock(repo))) {
		dv_exp_info_clear(&e);
		return 1;
	}
	if (!force && (rc = dv_exp_workspace_changes(&changes, repo)) == 0 && changes.n) {
		ret = cli_error("the workspace has uncommitted changes ('%s'%s): commit or stash them, or use "
				"'dv exp apply -f %s' to overwrite them", changes.v[0], changes.n > 1 ? " and more" : "",
				e.name);
		goto done;
	}
	if (rc < 0 || (rc = dv_exp_apply_files(&written, repo, &e)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	if ((rc = dv_workspace_load_stages(&stages, repo)) < 0) {
		ret = cli_fail(rc);
		goto done;
	}
	{
		dv_checkout_opts co = { .force = force };
		cli_checkout_print_opts po = { "exp apply", false, false };
		dv_workspace_checkout_stages(repo, &stages, &co, &report);
		ret = cli_print_checkout_report(NULL, repo, &report, &po);
	}
	if (!cli_quiet)
		printf("Applied experiment '%s' (%zu file%s from git, data from the cache)\n", e.name, written.n,
		       written.n == 1 ? "" : "s");
done:
	dv_lock_release(lock);
	dv_checkout_report_free(&report);
	dv_stages_free(&stages);
	dv_strvec_free(&changes);
	dv_strvec_free(&written);
	dv_exp_info_clear(&e);
	return ret;
}

static int exp_branch(int argc, char **argv, dv_repo *repo)
{
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1)
		return c == 'h' ? cli_usage(usage) : 2;
	if (optind + 2 != argc)
		return cli_usage_error(usage, "exp branch takes an experiment NAME and a BRANCH name");
	if ((rc = dv_exp_branch(repo, argv[optind], argv[optind + 1])) < 0)
		return cli_fail(rc);
	if (!cli_quiet)
		printf("Branch '%s' made from experiment '%s'\n", argv[optind + 1], argv[optind]);
	return 0;
}

static int exp_save(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = { { "name", required_argument, NULL, 'n' },
						  { "message", required_argument, NULL, 'm' },
						  { 0, 0, 0, 0 } };
	const char *name = NULL, *msg = NULL;
	char base[41], commit[41];
	char *gen = NULL;
	struct dv_lock *lock;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "n:m:", longopts)) != -1) {
		if (c == 'n')
			name = optarg;
		else if (c == 'm')
			msg = optarg;
		else if (c == 'h')
			return cli_usage(usage);
		else
			return 2;
	}
	if (optind != argc)
		return cli_usage_error(usage, "exp save takes no arguments");
	if (name && !dv_exp_name_valid(name))
		return cli_usage_error(usage, "'%s' cannot name an experiment", name);
	if (dv_git_resolve(base, repo, "HEAD") < 0)
		return cli_error("experiments start from a commit: commit first ('git commit')");
	if (name && dv_exp_name_taken(repo, name))
		return cli_error("experiment '%s' exists already: choose another -n", name);
	if (!(lock = cli_lock(repo)))
		return 1;
	gen = name ? dv_strdup(name) : dv_exp_name_generate(repo);
	rc = dv_exp_record(commit, repo, base, gen, msg, false);
	dv_lock_release(lock);
	if (rc == 0 && !cli_quiet)
		printf("Saved the workspace as experiment '%s' (commit %.7s on refs/exps/%s)\n", gen, commit, gen);
	free(gen);
	return rc < 0 ? cli_fail(rc) : 0;
}

static int exp_diff(int argc, char **argv, dv_repo *repo)
{
	cli_metrics_args a;
	dv_exp_info ea, eb;
	char *ra = NULL, *rb = NULL;
	int c, rc, ret;

	memset(&eb, 0, sizeof(eb));
	while ((c = cli_getopt(argc, argv, "", NULL)) != -1)
		return c == 'h' ? cli_usage(usage) : 2;
	if (optind >= argc || argc - optind > 2)
		return cli_usage_error(usage, "exp diff takes an experiment A and optionally B");
	if ((rc = dv_exp_lookup(&ea, repo, argv[optind])) < 0)
		return cli_fail(rc);
	ra = dv_asprintf("exps/%s", ea.name);
	if (optind + 1 < argc) {
		/* B is an experiment or any git revision. */
		if (dv_exp_lookup(&eb, repo, argv[optind + 1]) == 0)
			rb = dv_asprintf("exps/%s", eb.name);
		else
			rb = dv_strdup(argv[optind + 1]);
	} else {
		rb = dv_strndup(ea.base, 7);
	}
	memset(&a, 0, sizeof(a));
	a.rev_a = rb;
	a.rev_b = ra;
	a.precision = -1;
	printf("Params:\n");
	fflush(stdout);
	ret = cli_metrics_diff(repo, &a, dv_params_collect, "Param", false);
	printf("\nMetrics:\n");
	fflush(stdout);
	if (ret == 0)
		ret = cli_metrics_diff(repo, &a, dv_metrics_collect, "Metric", true);
	dv_exp_info_clear(&ea);
	dv_exp_info_clear(&eb);
	free(ra);
	free(rb);
	return ret;
}

int cmd_exp(int argc, char **argv, dv_repo *repo)
{
	static const cli_subcommand subs[] = {
		{ "run", exp_run },	  { "show", cli_exp_show },   { "list", exp_list },
		{ "remove", exp_remove }, { "apply", exp_apply },     { "branch", exp_branch },
		{ "save", exp_save },	  { "diff", exp_diff },	      { "push", cli_exp_push },
		{ "pull", cli_exp_pull }, { "__run-entry", run_entry },
	};

	return cli_run_subcommand(argc, argv, repo, subs, sizeof(subs) / sizeof(subs[0]), usage,
				  "run, show, list, diff, apply, branch, remove, save, push or pull");
}
