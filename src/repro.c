/*
 * repro.c - the executor: decide, in dependency order, which command
 * stages are stale, and run them N at a time.
 *
 * One thread, one event loop.  A stage is *evaluated* (compared with the
 * work tree) as soon as every selected upstream stage has finished, so
 * its deps are compared with what the upstream just wrote: an upstream
 * that reran but produced identical bytes leaves it up to date (early
 * cutoff) with no extra machinery.  Evaluation, run-cache restores and
 * recording happen in the loop between events; only the commands run
 * concurrently, as children in their own process groups.  poll() waits on
 * the children's output pipes and on a self-pipe written by the SIGCHLD,
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT handlers, so a signal never
 * interrupts a .stage write: the loop forwards it to the children's
 * process groups, waits for them, records nothing more, and returns.
 *
 * Deps are hashed through one memo per run (dv_ws_memo): a stage is
 * judged and its inputs recorded from one walk of each dep, and after the
 * run only its outs are hashed.  The memo forgets the paths of a stage
 * that ran or was restored, so the stages after it look again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/graph.h"
#include "dv/params.h"
#include "dv/repro.h"
#include "dv/runcache.h"
#include "dv/staleness.h"
#include "dv/transfer.h"
#include "dv/workspace.h"

/* After forwarding a signal, children get this long to exit before
 * SIGKILL (a second signal kills them at once). */
#define KILL_GRACE_MS 10000

/* ---- ${section.key} in cmd -------------------------------------------- */

static bool is_ref_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Length of the name in a "${name}" starting at p (p points at '$'), or 0
 * when it is not a param reference (no dot: a shell variable). */
static size_t ref_at(const char *p)
{
	size_t n = 0;
	bool dot = false;
	if (p[0] != '$' || p[1] != '{')
		return 0;
	for (p += 2; is_ref_char(p[n]); n++)
		dot |= p[n] == '.';
	return p[n] == '}' && dot && n > 0 && p[0] != '.' && p[n - 1] != '.' ? n : 0;
}

void dv_cmd_param_refs(dv_strvec *out, const char *cmd)
{
	for (const char *p = cmd; *p; p++) {
		size_t n = ref_at(p);
		if (!n)
			continue;
		char *name = dv_strndup(p + 2, n);
		if (dv_strvec_contains(out, name))
			free(name);
		else
			dv_strvec_push_take(out, name);
		p += n + 2;
	}
}

int dv_stage_expand_cmd(dv_buf *out, const dv_stage *st)
{
	const char *p = st->cmd ? st->cmd : "";
	dv_buf_reset(out);
	while (*p) {
		size_t n = ref_at(p);
		const char *value = NULL;
		if (!n) {
			dv_buf_putc(out, *p++);
			continue;
		}
		for (size_t i = 0; i < st->params.n && !value; i++) {
			const dv_stage_param *prm = dv_stage_param_at(st, i);
			if (strlen(prm->key) == n && !strncmp(prm->key, p + 2, n))
				value = prm->value;
		}
		if (!value)
			return dv_error(DV_ERROR, "cmd of '%s' uses '${%.*s}', which is not a param of the stage; declare it with 'dv stage add -p %.*s'",
					st->path, (int)n, p + 2, (int)n, p + 2);
		dv_buf_puts(out, value);
		p += n + 3;
	}
	return 0;
}

/* ---- signals ------------------------------------------------------------ */

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_last, sig_count;
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	if (sig != SIGCHLD) {
		sig_last = sig;
		sig_count++;
	}
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* pipe full: the loop is awake already */
	}
	errno = saved;
}

typedef struct {
	struct sigaction old[NFORWARDED + 1];
	sigset_t mask;
} saved_signals;

static int signals_install(saved_signals *saved)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return dv_error_errno(DV_ERROR, "cannot create a pipe");
	sig_last = sig_count = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, &saved->old[i]);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, &saved->old[NFORWARDED]);
	/* A caller may hold the signals blocked until these handlers are in
	 * place (an experiment told to stop just before its repro): one that
	 * is pending arrives now, and nothing is started. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&sa.sa_mask, forwarded[i]);
	sigprocmask(SIG_UNBLOCK, &sa.sa_mask, &saved->mask);
	return 0;
}

static void signals_restore(saved_signals *saved)
{
	sigprocmask(SIG_SETMASK, &saved->mask, NULL);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &saved->old[i], NULL);
	sigaction(SIGCHLD, &saved->old[NFORWARDED], NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

static void block_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* ---- the run ------------------------------------------------------------ */

typedef enum { N_WAITING, N_READY, N_RUNNABLE, N_RUNNING, N_DONE, N_FAILED } node_state;

typedef struct {
	size_t node;
	pid_t pid;
	int fd[2];        /* stdout, stderr pipes; -1 when inherited or closed */
	dv_buf partial[2];
} job;

typedef struct {
	dv_repo *repo;
	const dv_repro_opts *opts;
	dv_repro_summary *sum;
	dv_vec stages;
	dv_graph *g;
	bool *selected, *forced, *would_run;
	size_t *pending;
	node_state *state;
	dv_vec *changes;        /* per node: the report that made it run */
	size_t *ready;          /* evaluated next, smallest topo position first */
	size_t nready;
	size_t *runnable;       /* stale, waiting for a job slot */
	size_t nrunnable;
	job *jobs;
	size_t njobs;
	dv_params_set *params;
	dv_ws_memo *memo;       /* what this run hashed, by path */
	dv_strvec to_stage;
	bool stop, interrupted;
	int seen_signals;
	int64_t kill_deadline_ns;
	char *first_failure;
} run;

static void emit(run *r, dv_repro_event_kind kind, size_t node, const char *text, int stream)
{
	static const dv_vec none = DV_VEC_INIT(dv_change);
	bool has_node = node != (size_t)-1;
	dv_repro_event ev = { kind, has_node ? r->g->nodes[node].stage : NULL, text, stream,
			      has_node ? &r->changes[node] : &none, has_node && r->forced[node] };
	if (r->opts->callback)
		r->opts->callback(r->opts->ctx, &ev);
}

/* Pop the smallest topological position from a queue of nodes. */
static size_t queue_pop(run *r, size_t *q, size_t *n)
{
	size_t best = 0;
	for (size_t i = 1; i < *n; i++)
		if (r->g->nodes[q[i]].topo < r->g->nodes[q[best]].topo)
			best = i;
	size_t x = q[best];
	q[best] = q[--*n];
	return x;
}

static void finish_ok(run *r, size_t x)
{
	const dv_graph_node *node = &r->g->nodes[x];
	r->state[x] = N_DONE;
	for (size_t k = 0; k < node->ndown; k++) {
		size_t d = node->down[k];
		if (r->selected[d] && --r->pending[d] == 0) {
			r->state[d] = N_READY;
			r->ready[r->nready++] = d;
		}
	}
}

static void fail(run *r, size_t x, const char *msg)
{
	const dv_stage *st = r->g->nodes[x].stage;
	r->state[x] = N_FAILED;
	r->sum->failed++;
	if (!r->first_failure)
		r->first_failure = dv_asprintf("stage '%s' failed: %s", st->name, msg);
	emit(r, DV_REPRO_FAILED, x, msg, 0);
	if (!r->opts->keep_going)
		r->stop = true;
}

static void fail_with_error(run *r, size_t x)
{
	char *msg = dv_strdup(dv_error_last());
	fail(r, x, msg);
	free(msg);
}

/* New params values may have been written by the stage that just ran. */
static void forget_params(run *r)
{
	dv_params_set_free(r->params);
	r->params = dv_params_set_new(r->repo, NULL);
}

static int store(run *r, dv_stage *st)
{
	return dv_stage_store(r->repo, st, &r->to_stage);
}

static bool upstream_would_run(run *r, size_t x, size_t *which)
{
	const dv_graph_node *node = &r->g->nodes[x];
	for (size_t k = 0; k < node->nup; k++) {
		if (r->would_run[node->up[k]]) {
			*which = node->up[k];
			return true;
		}
	}
	return false;
}

static bool has_change(const dv_vec *changes, dv_change_kind kind)
{
	for (size_t i = 0; i < changes->n; i++)
		if (dv_vec_at(changes, dv_change, i)->kind == kind)
			return true;
	return false;
}

/* A stage about to run (or be restored from the run-cache) must not write
 * a cached out git tracks: git and dv would both claim it.  Checked only
 * for stages that run, so an up-to-date pipeline never opens git.  An
 * uncached out (-O, metrics) is git's to track. */
static int check_outs_untracked(run *r, const dv_stage *st)
{
	int rc = 0;
	for (size_t j = 0; j < st->outs.n && rc == 0; j++) {
		char *rel, *then;
		if (!dv_stage_out(st, j)->cache)
			continue;
		rel = dv_stage_entry_relpath(st, dv_stage_out(st, j)->path);
		then = dv_asprintf("dv repro %s", st->name);
		rc = dv_git_refuse_tracked(r->repo, rel, then);
		free(then);
		free(rel);
	}
	return rc;
}

static void evaluate(run *r, size_t x)
{
	dv_stage *st = r->g->nodes[x].stage;
	dv_vec *changes = &r->changes[x];
	size_t up;
	int rc;

	if (!st->is_command) {
		finish_ok(r, x); /* data stages have nothing to run */
		return;
	}
	if (r->opts->dry && upstream_would_run(r, x, &up)) {
		char *why = dv_asprintf("upstream stage '%s' would run", r->g->nodes[up].stage->name);
		r->would_run[x] = true;
		emit(r, DV_REPRO_WOULD_RUN, x, why, 0);
		free(why);
		finish_ok(r, x);
		return;
	}
	if ((rc = dv_stage_changes_with(changes, r->repo, st, r->params, r->memo)) < 0) {
		fail_with_error(r, x);
		return;
	}
	if (!r->forced[x] && !dv_changes_stale(changes)) {
		if (has_change(changes, DV_CHG_OUT_NOT_CACHED) && !r->opts->dry) {
			/* Committing the outs writes links: what the memo
			 * holds of them is the new state. */
			rc = dv_stage_record_with(r->repo, st, r->params, r->memo);
			dv_ws_memo_forget_stage(r->memo, st);
			if (rc < 0 || store(r, st) < 0) {
				fail_with_error(r, x);
				return;
			}
			dv_ws_memo_put_outs(r->memo, st);
			emit(r, DV_REPRO_NOT_CACHED, x, NULL, 0);
		} else {
			emit(r, DV_REPRO_UNCHANGED, x, NULL, 0);
		}
		r->sum->unchanged++;
		finish_ok(r, x);
		return;
	}
	if (st->frozen) {
		emit(r, DV_REPRO_FROZEN, x, NULL, 0);
		finish_ok(r, x);
		return;
	}
	if (r->opts->dry) {
		r->would_run[x] = true;
		emit(r, DV_REPRO_WOULD_RUN, x, NULL, 0);
		finish_ok(r, x);
		return;
	}
	if (check_outs_untracked(r, st) < 0 || dv_stage_record_inputs(r->repo, st, r->params, r->memo) < 0) {
		fail_with_error(r, x);
		return;
	}
	if (!r->opts->no_run_cache && !r->forced[x]) {
		rc = dv_runcache_restore(r->repo, st);
		if (rc != 0)
			dv_ws_memo_forget_stage(r->memo, st);
		if (rc == 1) {
			dv_stage_def_hash(&st->def_hash, st);
			st->has_def_hash = true;
			rc = store(r, st);
			if (rc == 0) {
				emit(r, DV_REPRO_RESTORED, x, NULL, 0);
				r->sum->restored++;
				forget_params(r);
				finish_ok(r, x);
				return;
			}
		}
		if (rc < 0) {
			fail_with_error(r, x);
			return;
		}
	}
	r->state[x] = N_RUNNABLE;
	r->runnable[r->nrunnable++] = x;
}

/* ---- before a run: outs ------------------------------------------------- */

/* A persistent out linked from the read-only cache must become a private,
 * writable copy before the command appends to it. */
static int make_private(const char *abs)
{
	struct stat st, target;
	int rc = 0;

	if (lstat(abs, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(abs);
		struct dirent *e;
		dv_buf child = DV_BUF_INIT;
		if (!d)
			return dv_error_errno(DV_ERROR, "cannot open directory '%s'", abs);
		while (rc == 0 && (e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			dv_path_join(&child, abs, e->d_name);
			rc = make_private(child.ptr);
		}
		closedir(d);
		dv_buf_free(&child);
		return rc;
	}
	if (stat(abs, &target) < 0 || !S_ISREG(target.st_mode))
		return 0;
	if (S_ISLNK(st.st_mode) || st.st_nlink > 1 || !(st.st_mode & S_IWUSR))
		rc = dv_copy_file(abs, abs, (target.st_mode & 0777) | S_IWUSR);
	return rc;
}

static int prepare_outs(run *r, const dv_stage *st)
{
	dv_buf abs = DV_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < st->outs.n && rc == 0; i++) {
		const dv_stage_file *o = dv_stage_out(st, i);
		char *rel = dv_stage_entry_relpath(st, o->path);
		/* Removing or making an out private must not reach through a
		 * symlink out of the tree (the .stage may be a stranger's). */
		if ((rc = dv_repo_check_path(r->repo, rel, 0)) < 0) {
			free(rel);
			break;
		}
		dv_repo_abspath(&abs, r->repo, rel);
		if (o->persist)
			rc = make_private(abs.ptr);
		else
			rc = dv_remove_tree(abs.ptr);
		if (rc == 0)
			rc = dv_mkdir_parent(abs.ptr);
		free(rel);
	}
	dv_buf_free(&abs);
	return rc;
}

/* ---- children ----------------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int spawn(pid_t *pid_out, int fds[2], const char *dir, const char *cmd, bool piped)
{
	int p_out[2] = { -1, -1 }, p_err[2] = { -1, -1 };
	int devnull = -1;
	sigset_t old;
	pid_t pid;

	fds[0] = fds[1] = -1;
	if (piped && (pipe2(p_out, O_CLOEXEC) < 0 || pipe2(p_err, O_CLOEXEC) < 0)) {
		close_fd(&p_out[0]), close_fd(&p_out[1]);
		return dv_error_errno(DV_ERROR, "cannot create a pipe");
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fflush(NULL); /* nothing buffered may be written twice */
	block_signals(&old);
	pid = fork();
	if (pid == 0) {
		/* The child: default signal handling, its own process group,
		 * stdin from /dev/null (it is not in the terminal's foreground
		 * group, so reading the terminal would stop it). */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		for (size_t i = 0; i < NFORWARDED; i++)
			sigaction(forwarded[i], &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		setpgid(0, 0);
		if (devnull >= 0)
			dup2(devnull, 0);
		if (piped) {
			dup2(p_out[1], 1);
			dup2(p_err[1], 2);
		}
		if (chdir(dir) < 0) {
			dprintf(2, "dv: error: cannot enter '%s': %s\n", dir, strerror(errno));
			_exit(127);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		dprintf(2, "dv: error: cannot run /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid); /* both sides, so kill(-pid) works at once */
	sigprocmask(SIG_SETMASK, &old, NULL);
	close_fd(&devnull);
	close_fd(&p_out[1]);
	close_fd(&p_err[1]);
	if (pid < 0) {
		close_fd(&p_out[0]);
		close_fd(&p_err[0]);
		return dv_error_errno(DV_ERROR, "cannot start a process");
	}
	fds[0] = p_out[0];
	fds[1] = p_err[0];
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	*pid_out = pid;
	return 0;
}

static void launch(run *r, size_t x)
{
	dv_stage *st = r->g->nodes[x].stage;
	dv_buf cmd = DV_BUF_INIT, dir = DV_BUF_INIT;
	job *j;

	if (prepare_outs(r, st) < 0 || dv_stage_expand_cmd(&cmd, st) < 0) {
		fail_with_error(r, x);
		goto done;
	}
	if (*st->dir)
		dv_repo_abspath(&dir, r->repo, st->dir);
	else
		dv_buf_set(&dir, r->repo->root);
	emit(r, DV_REPRO_START, x, cmd.ptr, 0);
	j = &r->jobs[r->njobs];
	memset(j, 0, sizeof(*j));
	j->node = x;
	dv_buf_init(&j->partial[0]);
	dv_buf_init(&j->partial[1]);
	if (spawn(&j->pid, j->fd, dir.ptr, cmd.ptr, r->opts->jobs > 1) < 0) {
		fail_with_error(r, x);
		goto done;
	}
	r->njobs++;
	r->state[x] = N_RUNNING;
done:
	dv_buf_free(&cmd);
	dv_buf_free(&dir);
}

/* Hand complete lines to the callback; at EOF, the unterminated rest. */
static void emit_lines(run *r, job *j, int s, bool eof)
{
	dv_buf *b = &j->partial[s];
	size_t start = 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->ptr[i] != '\n')
			continue;
		b->ptr[i] = '\0';
		emit(r, DV_REPRO_OUTPUT, j->node, b->ptr + start, s + 1);
		start = i + 1;
	}
	if (eof && start < b->len) {
		emit(r, DV_REPRO_OUTPUT, j->node, b->ptr + start, s + 1);
		start = b->len;
	}
	memmove(b->ptr, b->ptr + start, b->len - start);
	dv_buf_truncate(b, b->len - start);
}

/* Read what is there without blocking; close at EOF (or when `final`,
 * after the child exited: a background grandchild may hold the pipe
 * open forever, and dv must not wait for it). */
static void drain(run *r, job *j, int s, bool final)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = j->fd[s] >= 0 ? read(j->fd[s], chunk, sizeof(chunk)) : 0;
		if (n > 0) {
			dv_buf_add(&j->partial[s], chunk, (size_t)n);
			emit_lines(r, j, s, false);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || final || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			emit_lines(r, j, s, true);
			close_fd(&j->fd[s]);
		}
		return;
	}
}

static void describe_status(dv_buf *out, int status)
{
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		dv_buf_printf(out, "command exited with status %d", code);
		if (code == 127)
			dv_buf_puts(out, " (command not found, or it could not start)");
		else if (code == 126)
			dv_buf_puts(out, " (command not executable)");
	} else if (WIFSIGNALED(status)) {
		dv_buf_printf(out, "command killed by signal %d (%s)", WTERMSIG(status),
			      strsignal(WTERMSIG(status)));
	} else {
		dv_buf_printf(out, "command ended with status 0x%x", status);
	}
}

static void job_finished(run *r, job *j, int status)
{
	size_t x = j->node;
	dv_stage *st = r->g->nodes[x].stage;

	drain(r, j, 0, true);
	drain(r, j, 1, true);
	dv_buf_free(&j->partial[0]);
	dv_buf_free(&j->partial[1]);
	*j = r->jobs[--r->njobs];
	/* Whatever the command did, what it may have written is hashed
	 * anew by the stages after it. */
	dv_ws_memo_forget_stage(r->memo, st);

	if (r->interrupted) {
		/* Whatever it wrote may be partial: record nothing. */
		r->state[x] = N_FAILED;
		emit(r, DV_REPRO_FAILED, x, "interrupted", 0);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		dv_buf msg = DV_BUF_INIT;
		describe_status(&msg, status);
		fail(r, x, msg.ptr);
		dv_buf_free(&msg);
		return;
	}
	/* The deps and params were recorded as the command found them (in
	 * evaluate); what it made is recorded now. */
	forget_params(r);
	if (dv_stage_record_outs(r->repo, st) < 0 || store(r, st) < 0) {
		fail_with_error(r, x);
		return;
	}
	dv_ws_memo_put_outs(r->memo, st);
	/* A run-cache entry is an optimisation: failing to write one must
	 * not fail a stage that ran fine. */
	if (dv_runcache_save(r->repo, st) < 0)
		dv_error_clear();
	r->sum->ran++;
	emit(r, DV_REPRO_DONE, x, NULL, 0);
	finish_ok(r, x);
}

static void kill_all(run *r, int sig)
{
	for (size_t i = 0; i < r->njobs; i++)
		kill(-r->jobs[i].pid, sig);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A signal stops everything: no stage is judged or started after it. */
static void note_signal(run *r)
{
	if (!r->interrupted) {
		r->interrupted = r->stop = true;
		r->sum->interrupted = true;
		r->sum->sig = sig_last;
		r->kill_deadline_ns = mono_ns() + (int64_t)KILL_GRACE_MS * 1000000;
	}
	r->seen_signals = sig_count;
}

static void schedule(run *r)
{
	while (!r->stop) {
		if (sig_count) {
			/* Arrived while judging or recording: pass it on to
			 * what runs, start nothing more. */
			kill_all(r, sig_last);
			note_signal(r);
			break;
		}
		if (r->nready) {
			evaluate(r, queue_pop(r, r->ready, &r->nready));
		} else if (r->nrunnable && r->njobs < (size_t)r->opts->jobs) {
			launch(r, queue_pop(r, r->runnable, &r->nrunnable));
		} else {
			break;
		}
	}
}

static int event_loop(run *r)
{
	struct pollfd *pfd = dv_calloc(2 * (size_t)r->opts->jobs + 1, sizeof(*pfd));

	for (;;) {
		size_t n = 0;
		int timeout = -1;

		if (!r->interrupted)
			schedule(r);
		if (!r->njobs)
			break;
		pfd[n].fd = sig_pipe[0];
		pfd[n++].events = POLLIN;
		for (size_t i = 0; i < r->njobs; i++)
			for (int s = 0; s < 2; s++)
				if (r->jobs[i].fd[s] >= 0) {
					pfd[n].fd = r->jobs[i].fd[s];
					pfd[n++].events = POLLIN;
				}
		if (r->interrupted) {
			int64_t left = (r->kill_deadline_ns - mono_ns()) / 1000000;
			timeout = left > 0 ? (int)left : 0;
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			free(pfd);
			return dv_error_errno(DV_ERROR, "poll failed");
		}
		if (pfd[0].revents) {
			char buf[64];
			while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
				;
		}
		for (size_t i = 0; i < r->njobs; i++)
			for (int s = 0; s < 2; s++)
				if (r->jobs[i].fd[s] >= 0)
					drain(r, &r->jobs[i], s, false);
		if (sig_count != r->seen_signals) {
			/* First signal: pass it on and wait; another one, or
			 * the grace period running out: SIGKILL. */
			kill_all(r, r->interrupted ? SIGKILL : sig_last);
			note_signal(r);
		} else if (r->interrupted && mono_ns() >= r->kill_deadline_ns) {
			kill_all(r, SIGKILL);
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);
			if (pid <= 0)
				break;
			for (size_t i = 0; i < r->njobs; i++) {
				if (r->jobs[i].pid == pid) {
					job_finished(r, &r->jobs[i], status);
					break;
				}
			}
		}
	}
	free(pfd);
	return 0;
}

/* ---- setting up --------------------------------------------------------- */

/* Select target stage `i` with what -s / --downstream / neither says. */
static void select_target(run *r, size_t i)
{
	const dv_repro_opts *o = r->opts;
	if (o->downstream)
		dv_graph_mark_downstream(r->g, i, r->selected);
	else if (o->single)
		r->selected[i] = true;
	else
		dv_graph_mark_upstream(r->g, i, r->selected);
}

/* A directory target no stage outputs (`dv repro .`) means the stages
 * defined in it and below it, with what they need.  1 when `target` is
 * no directory (nothing selected); an error naming it when it holds no
 * stage. */
static int select_directory(run *r, const char *target)
{
	/* Leaves the last error alone unless it returns < 0. */
	char *abs = realpath(target, NULL), *rel = NULL;
	size_t found = 0;
	int rc = 0;

	if (!abs || !dv_is_dir(abs) || !(rel = dv_path_relative_to(abs, r->repo->root))) {
		rc = 1;
		goto done;
	}
	for (size_t i = 0; i < r->g->n; i++) {
		const dv_stage *st = r->g->nodes[i].stage;
		if (st->is_command && dv_path_is_within(st->dir, rel)) {
			found++;
			select_target(r, i);
		}
	}
	if (!found)
		rc = dv_error(DV_ENOTFOUND, "no stage in '%s' or below it, and no stage outputs it: "
			      "'dv stage list' shows the stages", target);
done:
	free(abs);
	free(rel);
	return rc;
}

static int resolve_targets(run *r)
{
	const dv_repro_opts *o = r->opts;
	int rc = 0;

	if (!o->ntargets) {
		for (size_t i = 0; i < r->g->n; i++)
			r->selected[i] = true;
		return 0;
	}
	for (size_t t = 0; t < o->ntargets && rc == 0; t++) {
		dv_vec hits = DV_VEC_INIT(size_t);
		rc = dv_graph_targets(&hits, r->g, r->repo, o->targets[t]);
		for (size_t h = 0; h < hits.n && rc == 0; h++)
			select_target(r, *dv_vec_at(&hits, size_t, h));
		dv_vec_free(&hits);
		if (rc < 0) {
			/* Not a stage, an out or a glob: a directory of stages?
			 * (1: no directory, and the target's own error stands.) */
			int src = rc, drc = select_directory(r, o->targets[t]);
			if (drc != 0)
				return drc < 0 ? drc : src;
			dv_error_clear();
			rc = 0;
		}
	}
	return rc;
}

/* --pull: the outs the selected stages recorded, and those of the stages
 * producing their deps (data stages too), come from the remote (a dep no
 * stage produces is code git tracks, not an object to fetch); outs missing
 * from the work tree are checked out, so a stage whose results someone
 * else pushed is up to date instead of stale. */
static int pull_selected(run *r)
{
	dv_vec picked = DV_VEC_INIT(dv_stage *);
	dv_vec report = DV_VEC_INIT(dv_checkout_item);
	dv_transfer_opts topts = { .remote = r->opts->remote };
	dv_transfer_report rep;
	dv_checkout_opts copts = { .force = false, .relink = false };
	dv_buf abs = DV_BUF_INIT;
	bool *take = dv_calloc(r->g->n ? r->g->n : 1, sizeof(bool));
	char *msg;
	int rc;

	for (size_t i = 0; i < r->g->n; i++) {
		const dv_stage *st = r->g->nodes[i].stage;
		if (!r->selected[i])
			continue;
		take[i] = true;
		for (size_t j = 0; j < st->deps.n; j++) {
			char *rel = dv_stage_entry_relpath(st, dv_stage_dep(st, j)->path);
			long p = dv_graph_producer(r->g, rel);
			if (p >= 0)
				take[p] = true;
			free(rel);
		}
	}
	for (size_t i = 0; i < r->g->n; i++)
		if (take[i])
			*(dv_stage **)dv_vec_push(&picked) = r->g->nodes[i].stage;
	free(take);
	rc = dv_fetch_stages(&rep, r->repo, (dv_stage *const *)picked.items, picked.n, &topts);
	if (rc == 0) {
		msg = dv_asprintf("fetched %zu of %zu objects (%zu already in the cache, %zu on no remote)",
				  rep.transferred, rep.objects, rep.up_to_date, rep.missing);
		emit(r, DV_REPRO_PULLED, (size_t)-1, msg, 0);
		free(msg);
	}
	dv_transfer_report_free(&rep);
	for (size_t i = 0; i < picked.n && rc == 0; i++) {
		dv_stage *st = *dv_vec_at(&picked, dv_stage *, i);
		for (size_t j = 0; j < st->outs.n && rc == 0; j++) {
			dv_stage_file *o = dv_stage_out(st, j);
			char *rel = dv_stage_entry_relpath(st, o->path);
			dv_repo_abspath(&abs, r->repo, rel);
			if (o->has_hash && o->cache && !dv_path_exists(abs.ptr) &&
			    dv_cache_has(r->repo->cache, &o->hash, o->is_dir))
				rc = dv_workspace_checkout_entry(r->repo, o, rel, &copts, &report);
			free(rel);
		}
	}
	dv_checkout_report_free(&report);
	dv_vec_free(&picked);
	dv_buf_free(&abs);
	return rc;
}

/* Why selected stage `x` cannot run at all, or NULL: a dep that is not
 * there and that no stage will produce.  Such a stage fails before
 * anything runs, its downstream is skipped, and unrelated stages still
 * run. */
static char *blocked_reason(run *r, size_t x)
{
	const dv_stage *st = r->g->nodes[x].stage;
	dv_buf abs = DV_BUF_INIT;
	char *why = NULL;

	for (size_t j = 0; j < st->deps.n && !why; j++) {
		char *rel = dv_stage_entry_relpath(st, dv_stage_dep(st, j)->path);
		dv_repo_abspath(&abs, r->repo, rel);
		/* The graph answers first: a dep some stage makes needs no stat. */
		if (!dv_graph_dep_has_producer(r->g, rel) && !dv_path_exists(abs.ptr))
			why = dv_asprintf("missing dep: '%s' does not exist and no stage produces it", rel);
		free(rel);
	}
	dv_buf_free(&abs);
	return why;
}

static void fail_blocked(run *r)
{
	for (size_t k = 0; k < r->g->n; k++) {
		size_t x = r->g->order[k];
		char *why;
		if (!r->selected[x] || !r->g->nodes[x].stage->is_command || !(why = blocked_reason(r, x)))
			continue;
		r->state[x] = N_FAILED;
		r->sum->failed++;
		if (!r->first_failure)
			r->first_failure = dv_asprintf("stage '%s' cannot run: %s", r->g->nodes[x].stage->name, why);
		emit(r, DV_REPRO_FAILED, x, why, 0);
		free(why);
	}
}

static void report_unfinished(run *r)
{
	for (size_t k = 0; k < r->g->n; k++) {
		size_t x = r->g->order[k];
		node_state s = r->state[x];
		if (!r->selected[x] || !r->g->nodes[x].stage->is_command || s == N_DONE || s == N_FAILED)
			continue;
		r->sum->skipped++;
		emit(r, DV_REPRO_SKIPPED, x, r->interrupted ? "interrupted" : "an upstream stage failed", 0);
	}
}

static void run_free(run *r)
{
	if (r->changes && r->g)
		for (size_t i = 0; i < r->g->n; i++)
			dv_changes_free(&r->changes[i]);
	free(r->changes);
	free(r->selected);
	free(r->forced);
	free(r->would_run);
	free(r->pending);
	free(r->state);
	free(r->ready);
	free(r->runnable);
	free(r->jobs);
	free(r->first_failure);
	dv_params_set_free(r->params);
	dv_ws_memo_free(r->memo);
	dv_strvec_free(&r->to_stage);
	dv_graph_free(r->g);
	dv_stages_free(&r->stages);
}

int dv_repro(dv_repro_summary *summary, dv_repo *repo, const dv_repro_opts *opts)
{
	run r;
	saved_signals saved;
	bool signals = false;
	size_t n;
	int rc;

	memset(summary, 0, sizeof(*summary));
	memset(&r, 0, sizeof(r));
	r.repo = repo;
	r.opts = opts;
	r.sum = summary;
	r.stages = (dv_vec)DV_VEC_INIT(dv_stage *);
	if (opts->jobs < 1)
		return dv_error(DV_EUSAGE, "the number of jobs must be at least 1");
	if ((rc = dv_workspace_load_stages(&r.stages, repo)) < 0)
		goto done;
	if ((rc = dv_graph_build(&r.g, &r.stages)) < 0)
		goto done;
	n = r.g->n ? r.g->n : 1;
	r.selected = dv_calloc(n, sizeof(bool));
	r.forced = dv_calloc(n, sizeof(bool));
	r.would_run = dv_calloc(n, sizeof(bool));
	r.pending = dv_calloc(n, sizeof(size_t));
	r.state = dv_calloc(n, sizeof(node_state));
	r.ready = dv_calloc(n, sizeof(size_t));
	r.runnable = dv_calloc(n, sizeof(size_t));
	r.jobs = dv_calloc((size_t)opts->jobs, sizeof(job));
	r.changes = dv_calloc(n, sizeof(dv_vec));
	for (size_t i = 0; i < r.g->n; i++)
		r.changes[i] = (dv_vec)DV_VEC_INIT(dv_change);
	r.params = dv_params_set_new(repo, NULL);
	r.memo = dv_ws_memo_new();
	if ((rc = resolve_targets(&r)) < 0)
		goto done;
	if (opts->pull && !opts->dry && (rc = pull_selected(&r)) < 0)
		goto done;
	fail_blocked(&r);
	for (size_t i = 0; i < r.g->n; i++) {
		const dv_graph_node *node = &r.g->nodes[i];
		if (!r.selected[i] || r.state[i] == N_FAILED)
			continue;
		r.forced[i] = opts->force;
		for (size_t k = 0; k < node->nup; k++)
			r.pending[i] += r.selected[node->up[k]];
		if (!r.pending[i]) {
			r.state[i] = N_READY;
			r.ready[r.nready++] = i;
		}
	}
	if (!opts->dry) {
		if ((rc = signals_install(&saved)) < 0)
			goto done;
		signals = true;
	}
	rc = event_loop(&r);
	report_unfinished(&r);
	if (r.to_stage.n && !opts->no_git_stage) {
		int grc = dv_stage_git_add(repo, &r.to_stage);
		if (rc == 0)
			rc = grc;
	}
	if (rc == 0 && r.interrupted)
		rc = dv_error(DV_EINTR, "interrupted by signal %d (%s); stages that finished were recorded",
			      r.sum->sig, strsignal(r.sum->sig));
	else if (rc == 0 && r.sum->failed)
		rc = r.sum->failed == 1 ? dv_error(DV_ERROR, "%s", r.first_failure)
					: dv_error(DV_ERROR, "%zu stages failed; the first: %s", r.sum->failed,
						   r.first_failure);
done:
	if (signals)
		signals_restore(&saved);
	run_free(&r);
	return rc;
}
