/*
 * slurm.c - the Slurm executor of `dv repro` (see slurm.h for the design).
 *
 * dv talks to Slurm only through its commands (sbatch, squeue, scontrol,
 * scancel), as a user would: no library, no daemon of ours, nothing that
 * needs Slurm's accounting.  What runs where is decided by the plan of a
 * dry run (the stages that are stale now and those downstream of them);
 * whether a planned stage really runs is decided on its node, after its
 * upstream, by `dv repro -s`, which is what keeps early cutoff.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/graph.h"
#include "dv/slurm.h"
#include "dv/staleness.h"
#include "dv/workspace.h"

extern char **environ;

/* The exit code a job's first line uses when its node cannot see the work
 * tree or the cache. */
#define EXIT_NO_SHARED_STORAGE 97

typedef enum { J_PLANNED, J_QUEUED, J_RUNNING, J_DONE, J_FAILED, J_CANCELLED } job_state;

typedef struct {
	size_t node;     /* in the graph */
	char *before;    /* the .stage text before the run */
	char *id;        /* the Slurm job id once submitted */
	dv_strvec after; /* ids of the planned upstream jobs */
	job_state state;
	bool attached;   /* submitted by an earlier run */
} sjob;

typedef struct {
	dv_repo *repo;
	const dv_repro_opts *opts;
	dv_repro_summary *sum;
	const char *dv_exe;
	dv_vec stages;
	dv_graph *g;
	dv_vec jobs; /* sjob */
	dv_strvec plan; /* stage paths a dry run would run, in order */
	dv_strvec to_stage;
	char *jobs_file;
	char *log_dir;
	char *first_failure;
	bool stop;
} srun;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* ---- running Slurm's commands ------------------------------------------ */

/* Run argv (searched in PATH), its stdout and stderr into `out`; returns
 * the exit status (>= 0) or an error. */
static int run_tool(dv_buf *out, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status;
	pid_t pid;
	char chunk[4096];
	ssize_t n;
	int rc;

	dv_buf_reset(out);
	if (pipe(pipefd) < 0)
		return dv_error_errno(DV_ERROR, "cannot run '%s'", argv[0]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		errno = rc;
		return dv_error_errno(DV_ERROR, "cannot run '%s' (is Slurm's client installed and on PATH?)",
				      argv[0]);
	}
	while ((n = read(pipefd[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		dv_buf_add(out, chunk, (size_t)n);
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return dv_error_errno(DV_ERROR, "cannot wait for '%s'", argv[0]);
	while (out->len && (out->ptr[out->len - 1] == '\n' || out->ptr[out->len - 1] == ' '))
		out->ptr[--out->len] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The last line of a tool's or a log's text, for an error message. */
static const char *last_line(const char *text)
{
	const char *nl = strrchr(text, '\n');
	return nl ? nl + 1 : text;
}

/* ---- the plan ------------------------------------------------------------ */

static void collect_plan(void *ctx, const dv_repro_event *ev)
{
	srun *r = ctx;
	if (ev->kind == DV_REPRO_WOULD_RUN && ev->stage)
		dv_strvec_push(&r->plan, ev->stage->path);
}

static sjob *job_of_node(srun *r, size_t node)
{
	for (size_t i = 0; i < r->jobs.n; i++)
		if (dv_vec_at(&r->jobs, sjob, i)->node == node)
			return dv_vec_at(&r->jobs, sjob, i);
	return NULL;
}

/* The planned jobs a stage waits for: its nearest planned ancestors
 * (through stages that are not planned, such as frozen ones). */
static void upstream_jobs(srun *r, size_t node, bool *seen, dv_vec *out)
{
	const dv_graph_node *n = &r->g->nodes[node];
	for (size_t k = 0; k < n->nup; k++) {
		size_t u = n->up[k];
		sjob *j;
		if (seen[u])
			continue;
		seen[u] = true;
		if ((j = job_of_node(r, u)) != NULL)
			*(sjob **)dv_vec_push(out) = j;
		else
			upstream_jobs(r, u, seen, out);
	}
}

static int make_plan(srun *r)
{
	dv_repro_opts dry = *r->opts;
	dv_repro_summary drysum;
	int rc;

	dry.dry = true;
	dry.callback = collect_plan;
	dry.ctx = r;
	if ((rc = dv_repro(&drysum, r->repo, &dry)) < 0)
		return rc;
	for (size_t i = 0; i < r->plan.n; i++) {
		long node = dv_graph_find(r->g, r->plan.v[i]);
		dv_buf abs = DV_BUF_INIT, text = DV_BUF_INIT;
		sjob *j;
		if (node < 0)
			continue;
		j = dv_vec_push(&r->jobs);
		memset(j, 0, sizeof(*j));
		j->node = (size_t)node;
		j->after = (dv_strvec)DV_STRVEC_INIT;
		dv_repo_abspath(&abs, r->repo, r->plan.v[i]);
		if (dv_read_file(&text, abs.ptr) == 0)
			j->before = dv_buf_detach(&text);
		dv_buf_free(&abs);
		dv_buf_free(&text);
	}
	return 0;
}

/* ---- submitting ------------------------------------------------------------ */

static const char *resource(srun *r, const dv_stage *st, int k)
{
	char key[64];
	if (st->slurm[k])
		return st->slurm[k];
	snprintf(key, sizeof(key), "exec.slurm.%s", dv_stage_slurm_keys[k]);
	return dv_config_get(r->repo->config, key);
}

/* The job's script: check that this node sees the work tree and the
 * cache at the same paths, then let dv judge and run the one stage. */
static void job_script(dv_buf *out, srun *r, const dv_stage *st)
{
	dv_buf dvdir = DV_BUF_INIT;
	dv_path_join(&dvdir, r->repo->root, ".dv");
	dv_buf_puts(out, "if ! test -d ");
	dv_buf_put_shell_quoted(out, dvdir.ptr);
	dv_buf_puts(out, " || ! test -d ");
	dv_buf_put_shell_quoted(out, r->repo->cache->dir);
	dv_buf_puts(out, "; then echo \"dv: error: node $(hostname) cannot see the work tree ");
	dv_buf_put_shell_quoted(out, r->repo->root);
	dv_buf_puts(out, " or its cache: dv on Slurm needs both on storage the nodes share, at the same path\" >&2; ");
	dv_buf_printf(out, "exit %d; fi; DV_SLURM_JOB=1 exec ", EXIT_NO_SHARED_STORAGE);
	dv_buf_put_shell_quoted(out, r->dv_exe);
	dv_buf_puts(out, " -C ");
	dv_buf_put_shell_quoted(out, r->repo->root);
	dv_buf_puts(out, " repro -s");
	if (r->opts->force)
		dv_buf_puts(out, " -f");
	if (r->opts->no_run_cache)
		dv_buf_puts(out, " --no-run-cache");
	dv_buf_puts(out, " ");
	dv_buf_put_shell_quoted(out, st->path);
	dv_buf_free(&dvdir);
}

static void sbatch_argv(dv_strvec *argv, srun *r, sjob *j, bool dry)
{
	static const char *const flags[DV_SLURM_KEYS] = { "--partition", "--cpus-per-task", "--mem",
							  "--time", "--gres", NULL };
	const dv_stage *st = r->g->nodes[j->node].stage;
	dv_buf b = DV_BUF_INIT;

	dv_strvec_push(argv, "sbatch");
	dv_strvec_push(argv, "--parsable");
	dv_strvec_push_take(argv, dv_asprintf("--job-name=dv:%s", st->name));
	dv_strvec_push_take(argv, dv_asprintf("--chdir=%s", r->repo->root));
	dv_strvec_push_take(argv, dv_asprintf("--output=%s/%s.%%j.log", r->log_dir, st->name));
	/* A job whose upstream failed is cancelled by Slurm rather than left
	 * pending for ever. */
	dv_strvec_push(argv, "--kill-on-invalid-dep=yes");
	if (j->after.n) {
		dv_buf_puts(&b, "--dependency=afterok");
		for (size_t i = 0; i < j->after.n; i++)
			dv_buf_printf(&b, ":%s", j->after.v[i]);
		dv_strvec_push_take(argv, dv_buf_detach(&b));
	}
	for (int k = 0; k < DV_SLURM_KEYS; k++) {
		const char *v = resource(r, st, k);
		if (!v || !*v)
			continue;
		if (flags[k]) {
			dv_strvec_push_take(argv, dv_asprintf("%s=%s", flags[k], v));
		} else { /* args: extra sbatch arguments, split at blanks */
			char *copy = dv_strdup(v), *save = NULL;
			for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
				dv_strvec_push(argv, t);
			free(copy);
		}
	}
	dv_strvec_push(argv, "--wrap");
	job_script(&b, r, st);
	dv_strvec_push_take(argv, dv_buf_detach(&b));
	(void)dry;
}

static void emit(srun *r, dv_repro_event_kind kind, sjob *j, const char *text)
{
	static const dv_vec none = DV_VEC_INIT(dv_change);
	dv_repro_event ev = { kind, r->g->nodes[j->node].stage, text, 0, &none, r->opts->force };
	if (r->opts->callback)
		r->opts->callback(r->opts->ctx, &ev);
}

static int save_jobs_file(srun *r)
{
	dv_buf text = DV_BUF_INIT;
	int rc;
	for (size_t i = 0; i < r->jobs.n; i++) {
		sjob *j = dv_vec_at(&r->jobs, sjob, i);
		if (j->id)
			dv_buf_printf(&text, "%s %s\n", j->id, r->g->nodes[j->node].stage->path);
	}
	rc = dv_write_file_atomic(r->jobs_file, text.ptr ? text.ptr : "", text.len, 0644);
	dv_buf_free(&text);
	return rc;
}

static int submit_all(srun *r)
{
	dv_buf out = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < r->jobs.n && rc == 0; i++) {
		sjob *j = dv_vec_at(&r->jobs, sjob, i);
		dv_vec ups = DV_VEC_INIT(sjob *);
		bool *seen = dv_calloc(r->g->n, sizeof(bool));
		dv_strvec argv = DV_STRVEC_INIT;
		int status;

		if (j->attached)
			goto next;
		upstream_jobs(r, j->node, seen, &ups);
		for (size_t k = 0; k < ups.n; k++) {
			sjob *u = *dv_vec_at(&ups, sjob *, k);
			dv_strvec_push_take(&j->after, r->opts->dry ? dv_asprintf("<%s>", r->g->nodes[u->node].stage->name)
								   : dv_strdup(u->id));
		}
		sbatch_argv(&argv, r, j, r->opts->dry);
		if (r->opts->dry) {
			dv_buf line = DV_BUF_INIT;
			for (size_t k = 0; k < argv.n; k++) {
				bool plain = strspn(argv.v[k], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
								"0123456789-_=:/.,%<>@+") == strlen(argv.v[k]);
				if (k)
					dv_buf_putc(&line, ' ');
				if (plain)
					dv_buf_puts(&line, argv.v[k]);
				else
					dv_buf_put_shell_quoted(&line, argv.v[k]);
			}
			emit(r, DV_REPRO_WOULD_RUN, j, line.ptr);
			dv_buf_free(&line);
			goto next;
		}
		dv_strvec_push(&argv, "");
		free(argv.v[argv.n - 1]);
		argv.v[--argv.n] = NULL;
		status = run_tool(&out, argv.v);
		if (status < 0) {
			rc = status;
		} else if (status != 0 || !out.len || strspn(out.ptr, "0123456789;") != out.len) {
			rc = dv_error(DV_ERROR, "sbatch refused stage '%s': %s", r->g->nodes[j->node].stage->name,
				      out.len ? last_line(out.ptr) : "no job id");
		} else {
			/* --parsable prints "id" or "id;cluster". */
			j->id = dv_strndup(out.ptr, strcspn(out.ptr, ";"));
			j->state = J_QUEUED;
			emit(r, DV_REPRO_QUEUED, j, j->id);
		}
	next:
		dv_strvec_free(&argv);
		dv_vec_free(&ups);
		free(seen);
	}
	if (!r->opts->dry) {
		int src = save_jobs_file(r);
		if (rc == 0)
			rc = src;
	}
	dv_buf_free(&out);
	return rc;
}

/* ---- waiting --------------------------------------------------------------- */

static void cancel_unfinished(srun *r)
{
	dv_strvec argv = DV_STRVEC_INIT;
	dv_buf out = DV_BUF_INIT;

	dv_strvec_push(&argv, "scancel");
	for (size_t i = 0; i < r->jobs.n; i++) {
		sjob *j = dv_vec_at(&r->jobs, sjob, i);
		if (j->id && (j->state == J_QUEUED || j->state == J_RUNNING))
			dv_strvec_push(&argv, j->id);
	}
	if (argv.n > 1) {
		dv_strvec_push(&argv, "");
		free(argv.v[argv.n - 1]);
		argv.v[--argv.n] = NULL;
		if (run_tool(&out, argv.v) < 0)
			dv_error_clear();
	}
	dv_strvec_free(&argv);
	dv_buf_free(&out);
}

/* `scontrol show job -o ID`'s value of KEY ("JobState", "ExitCode"). */
static char *job_field(const char *id, const char *key)
{
	char *argv[] = { "scontrol", "show", "job", "-o", (char *)id, NULL };
	dv_buf out = DV_BUF_INIT, pat = DV_BUF_INIT;
	char *value = NULL, *at;

	if (run_tool(&out, argv) == 0) {
		dv_buf_printf(&pat, " %s=", key);
		if ((at = strstr(out.ptr, pat.ptr)) != NULL) {
			at += pat.len;
			value = dv_strndup(at, strcspn(at, " \n"));
		}
	}
	dv_error_clear();
	dv_buf_free(&out);
	dv_buf_free(&pat);
	return value;
}

static void job_failed(srun *r, sjob *j, const char *state)
{
	const dv_stage *st = r->g->nodes[j->node].stage;
	char *code = job_field(j->id, "ExitCode");
	dv_buf logtext = DV_BUF_INIT, msg = DV_BUF_INIT, logpath = DV_BUF_INIT;
	int exit_code = code ? atoi(code) : -1;

	dv_buf_printf(&logpath, "%s/%s.%s.log", r->log_dir, st->name, j->id);
	bool have_log = dv_read_file(&logtext, logpath.ptr) == 0;
	if (have_log) {
		while (logtext.len && logtext.ptr[logtext.len - 1] == '\n')
			logtext.ptr[--logtext.len] = '\0';
	}
	dv_error_clear();
	/* The job's dv said why in its own words: no second "dv: error:". */
	if (logtext.len && !strncmp(last_line(logtext.ptr), "dv: error: ", 11)) {
		size_t at = (size_t)(last_line(logtext.ptr) - logtext.ptr);
		memmove(logtext.ptr + at, logtext.ptr + at + 11, logtext.len - at - 11 + 1);
		logtext.len -= 11;
	}
	if (!have_log)
		/* Slurm could not even open the log in the work tree: the node
		 * does not see it (or not at this path). */
		dv_buf_printf(&msg, "Slurm job %s %s (exit code %s) before it started, leaving no log at %s: node "
			      "cannot see the work tree '%s'? dv on Slurm needs the work tree and the cache on storage "
			      "the nodes share, at the same path", j->id, state, code ? code : "?", logpath.ptr,
			      r->repo->root);
	else if (exit_code == EXIT_NO_SHARED_STORAGE)
		dv_buf_printf(&msg, "%s (Slurm job %s; log: %s)", logtext.len ? last_line(logtext.ptr) : "no shared storage",
			      j->id, logpath.ptr);
	else
		dv_buf_printf(&msg, "Slurm job %s %s (exit code %s)%s%s; log: %s", j->id, state, code ? code : "?",
			      logtext.len ? ": " : "", logtext.len ? last_line(logtext.ptr) : "", logpath.ptr);
	j->state = J_FAILED;
	r->sum->failed++;
	if (!r->first_failure)
		r->first_failure = dv_asprintf("stage '%s' failed: %s", st->name, msg.ptr);
	emit(r, DV_REPRO_FAILED, j, msg.ptr);
	if (!r->opts->keep_going)
		r->stop = true;
	free(code);
	dv_buf_free(&logtext);
	dv_buf_free(&msg);
	dv_buf_free(&logpath);
}

/* A job that ended well: did its stage run (its .stage changed), or was
 * it up to date on the node (early cutoff)? */
static void job_done(srun *r, sjob *j)
{
	const dv_stage *st = r->g->nodes[j->node].stage;
	dv_buf abs = DV_BUF_INIT, now = DV_BUF_INIT;
	bool changed;

	dv_repo_abspath(&abs, r->repo, st->path);
	changed = dv_read_file(&now, abs.ptr) < 0 || !j->before || strcmp(now.ptr ? now.ptr : "", j->before);
	dv_error_clear();
	j->state = J_DONE;
	if (changed) {
		r->sum->ran++;
		dv_stage_written_paths(&r->to_stage, st);
		emit(r, DV_REPRO_DONE, j, NULL);
	} else {
		r->sum->unchanged++;
		emit(r, DV_REPRO_UNCHANGED, j, NULL);
	}
	dv_buf_free(&abs);
	dv_buf_free(&now);
}

static void job_state_seen(srun *r, sjob *j, const char *state)
{
	if (!strcmp(state, "PENDING") || !strcmp(state, "REQUEUED") || !strcmp(state, "SUSPENDED"))
		return;
	if (!strcmp(state, "RUNNING") || !strcmp(state, "CONFIGURING") || !strcmp(state, "COMPLETING")) {
		if (j->state == J_QUEUED) {
			j->state = J_RUNNING;
			emit(r, DV_REPRO_START, j, r->g->nodes[j->node].stage->cmd);
		}
		return;
	}
	if (!strcmp(state, "COMPLETED")) {
		job_done(r, j);
	} else if (!strcmp(state, "CANCELLED")) {
		j->state = J_CANCELLED;
		r->sum->skipped++;
		emit(r, DV_REPRO_SKIPPED, j, r->first_failure ? "cancelled after a failure upstream or elsewhere"
							     : "its Slurm job was cancelled");
	} else {
		job_failed(r, j, state);
	}
}

static bool unfinished(const sjob *j)
{
	return j->state == J_QUEUED || j->state == J_RUNNING;
}

/* One look at every unfinished job. */
static int poll_jobs(srun *r, size_t *left)
{
	dv_buf ids = DV_BUF_INIT, out = DV_BUF_INIT;
	int status, rc = 0;

	*left = 0;
	for (size_t i = 0; i < r->jobs.n; i++) {
		sjob *j = dv_vec_at(&r->jobs, sjob, i);
		if (unfinished(j))
			dv_buf_printf(&ids, "%s%s", ids.len ? "," : "", j->id);
	}
	if (!ids.len)
		goto done;
	{
		char *argv[] = { "squeue", "-h", "-t", "all", "-o", "%i %T", "-j", ids.ptr, NULL };
		if ((status = run_tool(&out, argv)) < 0) {
			rc = status;
			goto done;
		}
	}
	for (size_t i = 0; i < r->jobs.n; i++) {
		sjob *j = dv_vec_at(&r->jobs, sjob, i);
		bool found = false;
		if (!unfinished(j))
			continue;
		for (const char *p = out.ptr; p && *p;) {
			size_t idlen = strcspn(p, " ");
			const char *eol = strchr(p, '\n');
			if (idlen == strlen(j->id) && !strncmp(p, j->id, idlen) && p[idlen] == ' ') {
				char *state = dv_strndup(p + idlen + 1, (eol ? (size_t)(eol - p) : strlen(p)) - idlen - 1);
				found = true;
				job_state_seen(r, j, state);
				free(state);
				break;
			}
			p = eol ? eol + 1 : NULL;
		}
		if (!found) {
			/* Gone from the controller's memory: ask once more. */
			char *state = job_field(j->id, "JobState");
			job_state_seen(r, j, state ? state : "VANISHED");
			free(state);
		}
		if (unfinished(j))
			(*left)++;
	}
done:
	dv_buf_free(&ids);
	dv_buf_free(&out);
	return rc;
}

static int wait_jobs(srun *r)
{
	unsigned long poll_ms = 250;
	size_t left;
	int rc;

	dv_config_get_uint(r->repo->config, "exec.slurm.poll_ms", 250, &poll_ms);
	dv_error_clear();
	for (;;) {
		if (got_signal) {
			cancel_unfinished(r);
			r->sum->interrupted = true;
			r->sum->sig = got_signal;
			return 0;
		}
		if ((rc = poll_jobs(r, &left)) < 0)
			return rc;
		if (r->stop && left) {
			cancel_unfinished(r);
			r->stop = false; /* cancelled jobs come back as CANCELLED */
		}
		if (!left)
			return 0;
		struct timespec ts = { (time_t)(poll_ms / 1000), (long)(poll_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* ---- a run killed earlier ---------------------------------------------------- */

/* Jobs an earlier, killed run submitted and that are still queued or
 * running: wait for them before planning, so no stage runs twice at once;
 * those that finished meanwhile recorded their stages themselves. */
static int attach_earlier(srun *r)
{
	dv_buf text = DV_BUF_INIT;
	int rc = 0;

	if (dv_read_file(&text, r->jobs_file) < 0) {
		dv_error_clear();
		return 0;
	}
	for (char *line = strtok(text.ptr, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		long node;
		sjob *j;
		if (!sp)
			continue;
		*sp = '\0';
		if ((node = dv_graph_find(r->g, sp + 1)) < 0)
			continue;
		j = dv_vec_push(&r->jobs);
		memset(j, 0, sizeof(*j));
		j->node = (size_t)node;
		j->after = (dv_strvec)DV_STRVEC_INIT;
		j->id = dv_strdup(line);
		j->state = J_QUEUED;
		j->attached = true;
		j->before = dv_strdup(""); /* whatever it did, stage its .stage */
	}
	if (r->jobs.n) {
		size_t left;
		/* Only the jobs still alive are waited for and reported. */
		if ((rc = poll_jobs(r, &left)) == 0 && left)
			rc = wait_jobs(r);
	}
	dv_buf_free(&text);
	return rc;
}

static void jobs_free(dv_vec *jobs)
{
	for (size_t i = 0; i < jobs->n; i++) {
		sjob *j = dv_vec_at(jobs, sjob, i);
		free(j->before);
		free(j->id);
		dv_strvec_free(&j->after);
	}
	dv_vec_free(jobs);
}

int dv_slurm_repro(dv_repro_summary *summary, dv_repo *repo, const dv_repro_opts *opts, const char *dv_exe)
{
	srun r;
	struct sigaction sa, old_int, old_term;
	dv_buf p = DV_BUF_INIT;
	int rc;

	memset(summary, 0, sizeof(*summary));
	memset(&r, 0, sizeof(r));
	r.repo = repo;
	r.opts = opts;
	r.sum = summary;
	r.dv_exe = dv_exe;
	r.stages = (dv_vec)DV_VEC_INIT(dv_stage *);
	r.jobs = (dv_vec)DV_VEC_INIT(sjob);
	r.plan = (dv_strvec)DV_STRVEC_INIT;
	r.to_stage = (dv_strvec)DV_STRVEC_INIT;
	dv_path_join(&p, repo->dvdir, "tmp/slurm-jobs");
	r.jobs_file = dv_buf_detach(&p);
	dv_path_join(&p, repo->dvdir, "tmp/slurm");
	r.log_dir = dv_buf_detach(&p);
	if ((rc = dv_mkdir_p(r.log_dir, 0777)) < 0)
		goto done;
	if ((rc = dv_workspace_load_stages(&r.stages, repo)) < 0 || (rc = dv_graph_build(&r.g, &r.stages)) < 0)
		goto done;

	got_signal = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	if (!opts->dry && (rc = attach_earlier(&r)) < 0)
		goto restore;
	if (!summary->interrupted) {
		/* The attached jobs are finished: plan afresh. */
		jobs_free(&r.jobs);
		r.jobs = (dv_vec)DV_VEC_INIT(sjob);
		if ((rc = make_plan(&r)) < 0)
			goto restore;
		if ((rc = submit_all(&r)) < 0) {
			cancel_unfinished(&r);
			goto restore;
		}
		if (!opts->dry)
			rc = wait_jobs(&r);
	}
	if (rc == 0 && !opts->dry) {
		/* Every job has ended: nothing of this run is left to attach. */
		if (unlink(r.jobs_file) < 0 && errno != ENOENT)
			dv_error_clear();
	}
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (r.to_stage.n) {
		int grc = dv_stage_git_add(repo, &r.to_stage);
		if (rc == 0)
			rc = grc;
	}
	if (rc == 0 && summary->interrupted)
		rc = dv_error(DV_EINTR, "interrupted by signal %d (%s); its Slurm jobs were cancelled, stages "
			      "that finished were recorded", summary->sig, strsignal(summary->sig));
	else if (rc == 0 && summary->failed)
		rc = summary->failed == 1 ? dv_error(DV_ERROR, "%s", r.first_failure)
					  : dv_error(DV_ERROR, "%zu stages failed; the first: %s", summary->failed,
						     r.first_failure);
done:
	jobs_free(&r.jobs);
	dv_strvec_free(&r.plan);
	dv_strvec_free(&r.to_stage);
	dv_graph_free(r.g);
	dv_stages_free(&r.stages);
	free(r.jobs_file);
	free(r.log_dir);
	free(r.first_failure);
	return rc;
}
