/*
 * cmd_repro.c - `dv repro`: run the stale stages (the executor is
 * src/repro.c); this file only turns its events into lines for the user.
 *
 * With -j 1 a command writes straight to the terminal; with more jobs
 * every line it writes comes back through the executor and is printed
 * here with a "[name] " prefix, flushed line by line, so lines of
 * concurrent stages interleave but never mix.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/config.h"
#include "dv/error.h"
#include "dv/lock.h"
#include "dv/repro.h"
#include "dv/slurm.h"
#include "dv/staleness.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv repro [TARGET... | -P] [-f] [-s] [-n | --dry] [--downstream] [-j N] [-k | --keep-going]\n"
	"                [--no-run-cache] [--pull [-r REMOTE]] [--executor local|slurm] [-q | -v]",
	NULL,
};

static void print_changes(const dv_vec *changes)
{
	for (size_t i = 0; i < changes->n; i++) {
		const dv_change *c = dv_vec_at(changes, dv_change, i);
		printf("    %s%s%s\n", dv_change_kind_name(c->kind), c->what ? ": " : "", c->what ? c->what : "");
	}
}

void cli_repro_print_event(void *vctx, const dv_repro_event *ev)
{
	cli_repro_print_ctx *ctx = vctx;
	const char *name = ev->stage ? ev->stage->name : NULL;

	if (ev->kind == DV_REPRO_PULLED) {
		if (!cli_quiet)
			printf("Pull: %s\n", ev->text);
		return;
	}
	switch (ev->kind) {
	case DV_REPRO_OUTPUT: {
		FILE *f = ev->stream == 2 ? stderr : stdout;
		fprintf(f, "[%s] %s\n", name, ev->text);
		fflush(f);
		return;
	}
	case DV_REPRO_FAILED:
		/* The last failure is also the command's final error line. */
		if (ctx->keep_going || ctx->prefix)
			fprintf(stderr, "Stage '%s' failed: %s\n", name, ev->text);
		return;
	case DV_REPRO_SKIPPED:
		if (!cli_quiet)
			fprintf(stderr, "Stage '%s' not run: %s\n", name, ev->text);
		return;
	default:
		break;
	}
	if (cli_quiet)
		return;
	switch (ev->kind) {
	case DV_REPRO_UNCHANGED:
		printf("Stage '%s' didn't change, skipping\n", name);
		break;
	case DV_REPRO_NOT_CACHED:
		printf("Stage '%s' didn't change; committed its outs to the cache\n", name);
		break;
	case DV_REPRO_FROZEN:
		printf("Stage '%s' is frozen, not running it\n", name);
		if (cli_verbose)
			print_changes(ev->changes);
		break;
	case DV_REPRO_WOULD_RUN:
		if (ctx->slurm) {
			printf("Would submit stage '%s':\n> %s\n", name, ev->text);
			break;
		}
		printf("Would run stage '%s'%s%s%s:\n> %s\n", name, ev->forced ? " (forced)" : "",
		       ev->text ? ": " : "", ev->text ? ev->text : "", ev->stage->cmd);
		print_changes(ev->changes);
		break;
	case DV_REPRO_QUEUED:
		printf("Stage '%s' queued as Slurm job %s\n", name, ev->text);
		break;
	case DV_REPRO_START:
		if (ctx->slurm) {
			printf("Stage '%s' running\n", name);
			break;
		}
		printf("Running stage '%s'%s:\n> %s\n", name, ev->forced ? " (forced)" : "", ev->text);
		if (cli_verbose)
			print_changes(ev->changes);
		break;
	case DV_REPRO_RESTORED:
		printf("Stage '%s' restored from the run-cache (same cmd, deps and params ran before)\n", name);
		break;
	case DV_REPRO_DONE:
		if (ctx->prefix || ctx->slurm)
			printf("Stage '%s' done\n", name);
		break;
	default:
		break;
	}
	fflush(stdout);
}

int cmd_repro(int argc, char **argv, dv_repo *repo)
{
	enum { OPT_DOWNSTREAM = 256, OPT_NO_RUN_CACHE, OPT_PULL, OPT_EXECUTOR };
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "single-item", no_argument, NULL, 's' },
		{ "dry", no_argument, NULL, 'n' },
		{ "downstream", no_argument, NULL, OPT_DOWNSTREAM },
		{ "jobs", required_argument, NULL, 'j' },
		{ "keep-going", no_argument, NULL, 'k' },
		{ "no-run-cache", no_argument, NULL, OPT_NO_RUN_CACHE },
		{ "pull", no_argument, NULL, OPT_PULL },
		{ "remote", required_argument, NULL, 'r' },
		{ "all-pipelines", no_argument, NULL, 'P' },
		{ "executor", required_argument, NULL, OPT_EXECUTOR },
		{ 0, 0, 0, 0 },
	};
	dv_repro_opts opts = { .jobs = 1 };
	dv_repro_summary sum;
	cli_repro_print_ctx ctx = { false, false, false };
	struct dv_lock *lock = NULL;
	bool all_pipelines = false;
	const char *executor = NULL;
	/* Set in the environment of the Slurm jobs dv submits: the submitting
	 * dv holds the repository lock for them and stages their .stage
	 * files in git when all are done. */
	bool in_slurm_job = getenv("DV_SLURM_JOB") != NULL;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "fsnj:kr:P", longopts)) != -1) {
		switch (c) {
		case 'f':
			opts.force = true;
			break;
		case 's':
			opts.single = true;
			break;
		case 'n':
			opts.dry = true;
			break;
		case OPT_DOWNSTREAM:
			opts.downstream = true;
			break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024)
				return cli_usage_error(usage, "-j needs a number of jobs from 1 to 1024, not '%s'", optarg);
			opts.jobs = (int)n;
			break;
		}
		case 'k':
			opts.keep_going = true;
			break;
		case OPT_NO_RUN_CACHE:
			opts.no_run_cache = true;
			break;
		case OPT_PULL:
			opts.pull = true;
			break;
		case 'r':
			opts.remote = optarg;
			break;
		case 'P':
			all_pipelines = true;
			break;
		case OPT_EXECUTOR:
			executor = optarg;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (opts.remote && !opts.pull)
		return cli_usage_error(usage, "-r names the remote for --pull");
	if (opts.single && opts.downstream)
		return cli_usage_error(usage, "-s and --downstream do not go together");
	if (all_pipelines && (optind < argc || opts.single || opts.downstream))
		return cli_usage_error(usage, "-P runs every pipeline: give no TARGET, -s or --downstream");
	if ((opts.single || opts.downstream) && optind >= argc)
		return cli_usage_error(usage, "%s needs a TARGET", opts.single ? "-s" : "--downstream");
	opts.targets = (const char *const *)argv + optind;
	opts.ntargets = (size_t)(argc - optind);
	opts.callback = cli_repro_print_event;
	opts.ctx = &ctx;
	ctx.prefix = opts.jobs > 1;
	ctx.keep_going = opts.keep_going;
	if (!executor)
		executor = dv_config_get(repo->config, "exec.executor");
	if (executor && strcmp(executor, "local") && strcmp(executor, "slurm"))
		return cli_usage_error(usage, "unknown executor '%s': use local or slurm", executor);
	ctx.slurm = executor && !strcmp(executor, "slurm") && !in_slurm_job;
	if (ctx.slurm && opts.pull)
		return cli_usage_error(usage, "--pull runs locally: pull first, then repro --executor slurm");
	opts.no_git_stage = in_slurm_job;
	if (!opts.dry && !in_slurm_job && !(lock = cli_lock(repo)))
		return 1;
	if (ctx.slurm) {
		char exe[4096];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0) {
			dv_lock_release(lock);
			return cli_fail(dv_error_errno(DV_ERROR, "cannot find the dv binary for the Slurm jobs"));
		}
		exe[n] = '\0';
		rc = dv_slurm_repro(&sum, repo, &opts, exe);
	} else {
		rc = dv_repro(&sum, repo, &opts);
	}
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	if (rc == DV_EINTR) {
		cli_fail(rc);
		return 128 + (sum.sig ? sum.sig : SIGINT);
	}
	if (rc < 0)
		return cli_fail(rc);
	if (!cli_quiet && !opts.dry && sum.ran + sum.restored == 0 && sum.unchanged)
		printf("Data and pipelines are up to date.\n");
	return 0;
}
