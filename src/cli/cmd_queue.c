/*
 * cmd_queue.c - `dv queue start/status/logs/remove/stop`: the experiments
 * `dv exp run --queue` stored, run by a background runner that outlives
 * the shell that started it (a session of its own, stdio on
 * .dv/exps/runner.log), one experiment per worktree, N at a time.
 *
 * `start` execs `dv queue __runner` detached and waits until it holds
 * the runner lock (or failed), so `status` right after it is truthful.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_exp.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/exp.h"
#include "dv/fs.h"
#include "dv/queue.h"

static const char *const usage[] = {
	"dv queue start [-j N]",
	"dv queue status",
	"dv queue logs NAME",
	"dv queue remove (NAME... | --all)",
	"dv queue stop [--kill]",
	NULL,
};

static int queue_start(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = { { "jobs", required_argument, NULL, 'j' }, { 0, 0, 0, 0 } };
	const char *jobs = "1";
	char exe[4096], fdarg[16];
	int c, rc, p[2];
	pid_t pid, running;
	char ok = 0;

	while ((c = cli_getopt(argc, argv, "j:", longopts)) != -1) {
		if (c == 'j') {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 256)
				return cli_usage_error(usage, "-j needs a number of experiments from 1 to 256, not '%s'",
						       optarg);
			jobs = optarg;
		} else {
			return c == 'h' ? cli_usage(usage) : 2;
		}
	}
	if (optind != argc)
		return cli_usage_error(usage, "queue start takes no arguments");
	if ((running = dv_queue_runner_pid(repo)) > 0) {
		if (!cli_quiet)
			printf("The queue runner is running already (pid %ld)\n", (long)running);
		return 0;
	}
	if ((rc = cli_exp_exe(exe, sizeof(exe))) < 0)
		return cli_fail(rc);
	if (pipe(p) < 0)
		return cli_error("cannot start the queue runner: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return cli_error("cannot start the queue runner: %s", strerror(errno));
	if (pid == 0) {
		/* A grandchild in a session of its own: the shell that started
		 * it may exit, and its terminal's signals never reach it. */
		char *log = dv_asprintf("%s/exps/runner.log", repo->dvdir);
		int in = open("/dev/null", O_RDONLY), out;
		close(p[0]);
		dv_mkdir_parent(log);
		out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		setsid();
		if (fork() != 0)
			_exit(0);
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
		}
		snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
		execl(exe, "dv", "-C", repo->root, "queue", "__runner", jobs, fdarg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	waitpid(pid, NULL, 0);
	if (read(p[0], &ok, 1) != 1 || ok != 'y') {
		close(p[0]);
		return cli_error("the queue runner did not start: see .dv/exps/runner.log");
	}
	close(p[0]);
	if (!cli_quiet)
		printf("Queue runner started (pid %ld, %s at a time); 'dv queue status' follows it\n",
		       (long)dv_queue_runner_pid(repo), jobs);
	return 0;
}

static void log_event(void *ctx, const dv_exp_event *ev)
{
	(void)ctx;
	switch (ev->kind) {
	case DV_EXP_STARTED: printf("started %s\n", ev->name); break;
	case DV_EXP_DONE: printf("done %s\n", ev->name); break;
	case DV_EXP_FAILED: printf("failed %s\n", ev->name); break;
	case DV_EXP_ERROR: printf("error %s: %s\n", ev->name, ev->text ? ev->text : ""); break;
	case DV_EXP_INTERRUPTED: printf("stopped %s\n", ev->name); break;
	default: return;
	}
	fflush(stdout);
}

static int queue_runner(int argc, char **argv, dv_repo *repo)
{
	dv_exp_runner_opts o = { .from_queue = true, .callback = log_event };
	dv_exp_runner_summary sum;
	char exe[4096];
	int lock_fd, ready, rc;

	if (argc != 3)
		return 2;
	o.jobs = atoi(argv[1]);
	ready = atoi(argv[2]);
	if (o.jobs < 1)
		o.jobs = 1;
	if ((rc = dv_queue_runner_lock(repo, &lock_fd)) < 0 || (rc = cli_exp_exe(exe, sizeof(exe))) < 0) {
		close(ready);
		return cli_fail(rc);
	}
	if (write(ready, "y", 1) != 1) {
		/* `start` is gone: run anyway */
	}
	close(ready);
	o.exe = exe;
	printf("runner %ld started, %d at a time\n", (long)getpid(), o.jobs);
	fflush(stdout);
	rc = dv_exp_runner_run(&sum, repo, &o);
	printf("runner %ld stopped: %zu done, %zu failed\n", (long)getpid(), sum.done, sum.failed);
	close(lock_fd);
	return rc < 0 && rc != DV_EINTR ? cli_fail(rc) : 0;
}

static void print_overrides(const dv_exp_entry *e)
{
	for (size_t k = 0; k < e->overrides.n; k++) {
		const char *colon = strchr(e->overrides.v[k], ':');
		printf("%s%s", k ? ", " : "  ", colon ? colon + 1 : e->overrides.v[k]);
	}
}

static int queue_status(int argc, char **argv, dv_repo *repo)
{
	dv_vec list, exps;
	pid_t pid;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1)
		return c == 'h' ? cli_usage(usage) : 2;
	if ((rc = dv_queue_list(&list, repo)) < 0)
		return cli_fail(rc);
	for (size_t i = 0; i < list.n; i++) {
		dv_exp_entry *e = dv_vec_at(&list, dv_exp_entry, i);
		printf("%-8s %s", e->running ? "running" : "queued", e->name);
		print_overrides(e);
		printf("\n");
	}
	/* Finished ones that left a log (they ran through a runner). */
	if (dv_exp_list(&exps, repo) == 0) {
		for (size_t i = 0; i < exps.n; i++) {
			dv_exp_info *e = dv_vec_at(&exps, dv_exp_info, i);
			char *log = dv_exp_log_path(repo, e->name);
			if (dv_path_exists(log))
				printf("%-8s %s\n", e->failed ? "failed" : "done", e->name);
			free(log);
		}
		dv_exp_list_free(&exps);
	}
	pid = dv_queue_runner_pid(repo);
	if (pid > 0)
		printf("Queue runner: running (pid %ld)\n", (long)pid);
	else
		printf("Queue runner: not running%s\n",
		       list.n ? " ('dv queue start' runs the queue)" : "");
	dv_queue_list_free(&list);
	return 0;
}

static int queue_logs(int argc, char **argv, dv_repo *repo)
{
	dv_buf text = DV_BUF_INIT;
	char *log;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1)
		return c == 'h' ? cli_usage(usage) : 2;
	if (optind + 1 != argc)
		return cli_usage_error(usage, "queue logs takes one experiment NAME");
	log = dv_exp_log_path(repo, argv[optind]);
	rc = dv_read_file(&text, log);
	free(log);
	if (rc < 0) {
		dv_buf_free(&text);
		return cli_error("no log of experiment '%s': only experiments run by a sweep, --temp or the queue "
				 "keep one", argv[optind]);
	}
	fwrite(text.ptr, 1, text.len, stdout);
	dv_buf_free(&text);
	return 0;
}

static int queue_remove(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = { { "all", no_argument, NULL, 'a' }, { 0, 0, 0, 0 } };
	bool all = false;
	int c, rc, ret = 0;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (c == 'a')
			all = true;
		else
			return c == 'h' ? cli_usage(usage) : 2;
	}
	if (all == (optind < argc))
		return cli_usage_error(usage, "queue remove takes NAMEs or --all");
	if (all) {
		dv_vec list;
		if ((rc = dv_queue_list(&list, repo)) < 0)
			return cli_fail(rc);
		for (size_t i = 0; i < list.n; i++) {
			dv_exp_entry *e = dv_vec_at(&list, dv_exp_entry, i);
			if (!e->running && (rc = dv_queue_remove(repo, e->name)) < 0)
				ret = cli_fail(rc);
		}
		dv_queue_list_free(&list);
		return ret;
	}
	for (int i = optind; i < argc; i++) {
		if ((rc = dv_queue_remove(repo, argv[i])) < 0)
			ret = cli_fail(rc);
		else if (!cli_quiet)
			printf("Removed '%s' from the queue\n", argv[i]);
	}
	return ret;
}

static int queue_stop(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = { { "kill", no_argument, NULL, 'K' }, { 0, 0, 0, 0 } };
	bool kill_running = false;
	pid_t pid;
	int c;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		if (c == 'K')
			kill_running = true;
		else
			return c == 'h' ? cli_usage(usage) : 2;
	}
	if ((pid = dv_queue_runner_pid(repo)) <= 1) {
		if (!cli_quiet)
			printf("The queue runner is not running\n");
		return 0;
	}
	if (kill(pid, kill_running ? SIGINT : SIGTERM) < 0)
		return cli_error("cannot stop the queue runner (pid %ld): %s", (long)pid, strerror(errno));
	if (!cli_quiet)
		printf(kill_running ? "Stopping the queue runner (pid %ld) and its running experiments; they go back "
				      "to the queue\n"
				    : "The queue runner (pid %ld) stops once its running experiments finish\n",
		       (long)pid);
	return 0;
}

int cmd_queue(int argc, char **argv, dv_repo *repo)
{
	static const cli_subcommand subs[] = {
		{ "start", queue_start }, { "status", queue_status }, { "logs", queue_logs },
		{ "remove", queue_remove }, { "stop", queue_stop }, { "__runner", queue_runner },
	};

	return cli_run_subcommand(argc, argv, repo, subs, sizeof(subs) / sizeof(subs[0]), usage,
				  "start, status, logs, remove or stop");
}
