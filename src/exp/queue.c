/*
 * queue.c - the experiment queue under .dv/exps/ and the runner that
 * runs its entries in child processes (see queue.h for the protocol:
 * entries are JSON files, taken by flock + rename, recovered when their
 * lock is free).
 *
 * Each experiment runs in a process of its own (`dv exp __run-entry`),
 * in its own process group, so one experiment's crash, a stage's stray
 * signal or an exec'd program's global state never reaches the runner or
 * the other experiments; the runner only copies output and waits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/exp.h"
#include "dv/fs.h"
#include "dv/queue.h"

/* ---- entries ----------------------------------------------------------- */

void dv_exp_entry_clear(dv_exp_entry *e)
{
	free(e->name);
	free(e->message);
	free(e->executor);
	dv_strvec_free(&e->overrides);
	dv_strvec_free(&e->targets);
	memset(e, 0, sizeof(*e));
}

char *dv_exp_entry_path(dv_repo *repo, const char *name, bool running)
{
	return dv_asprintf("%s/exps/%s/%s.json", repo->dvdir, running ? "running" : "queue", name);
}

char *dv_exp_log_path(dv_repo *repo, const char *name)
{
	return dv_asprintf("%s/exps/logs/%s.log", repo->dvdir, name);
}

static json_t *strvec_json(const dv_strvec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static void json_strvec(dv_strvec *out, json_t *a)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			dv_strvec_push(out, json_string_value(v));
}

static char *entry_text(const dv_exp_entry *e)
{
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "base", json_string(e->base));
	if (e->message)
		json_object_set_new(o, "message", json_string(e->message));
	json_object_set_new(o, "overrides", strvec_json(&e->overrides));
	json_object_set_new(o, "targets", strvec_json(&e->targets));
	if (e->executor)
		json_object_set_new(o, "executor", json_string(e->executor));
	json_object_set_new(o, "keep_going", json_boolean(e->keep_going));
	json_object_set_new(o, "queued", json_boolean(e->queued));
	json_object_set_new(o, "created_ns", json_integer(e->created_ns));
	text = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

int dv_exp_entry_load(dv_exp_entry *out, const char *path)
{
	dv_buf text = DV_BUF_INIT;
	json_t *o = NULL;
	const char *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dv_read_file(&text, path)) < 0)
		goto done;
	o = json_loadb(text.ptr, text.len, 0, NULL);
	if (!o || !json_is_object(o) || !(s = json_string_value(json_object_get(o, "name"))) ||
	    !json_string_value(json_object_get(o, "base")) ||
	    strlen(json_string_value(json_object_get(o, "base"))) != 40) {
		rc = dv_error(DV_ECORRUPT, "cannot read experiment entry '%s': not an entry dv wrote; remove it", path);
		goto done;
	}
	out->name = dv_strdup(s);
	memcpy(out->base, json_string_value(json_object_get(o, "base")), 41);
	if ((s = json_string_value(json_object_get(o, "message"))))
		out->message = dv_strdup(s);
	if ((s = json_string_value(json_object_get(o, "executor"))))
		out->executor = dv_strdup(s);
	json_strvec(&out->overrides, json_object_get(o, "overrides"));
	json_strvec(&out->targets, json_object_get(o, "targets"));
	out->keep_going = json_is_true(json_object_get(o, "keep_going"));
	out->queued = json_is_true(json_object_get(o, "queued"));
	out->created_ns = json_integer_value(json_object_get(o, "created_ns"));
done:
	json_decref(o);
	dv_buf_free(&text);
	return rc;
}

static int make_dirs(dv_repo *repo)
{
	static const char *const dirs[] = { "queue", "running", "logs", NULL };
	dv_buf p = DV_BUF_INIT;
	int rc = 0;

	for (int i = 0; dirs[i] && rc == 0; i++) {
		dv_buf_printf(&p, "%s/exps/%s", repo->dvdir, dirs[i]);
		rc = dv_mkdir_p(p.ptr, 0777);
		dv_buf_reset(&p);
	}
	dv_buf_free(&p);
	return rc;
}

int dv_exp_entry_create(dv_repo *repo, const dv_exp_entry *e, int *lock_fd)
{
	char *path = dv_exp_entry_path(repo, e->name, lock_fd != NULL), *text = entry_text(e);
	dv_buf tmp = DV_BUF_INIT;
	int fd = -1, rc;

	if ((rc = make_dirs(repo)) < 0)
		goto done;
	/* Written under a temp name, locked, then linked in place: the entry
	 * appears whole, and already locked when it is a sweep's own. */
	if ((rc = dv_tmpfile_open(&fd, &tmp, path, 0644)) < 0)
		goto done;
	if ((rc = dv_write_all(fd, text, strlen(text))) < 0 || fsync(fd) < 0) {
		rc = rc < 0 ? rc : dv_error_errno(DV_ERROR, "cannot write '%s'", path);
		dv_tmpfile_abort(fd, tmp.ptr);
		fd = -1;
		goto done;
	}
	if (lock_fd && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot lock '%s'", path);
		dv_tmpfile_abort(fd, tmp.ptr);
		fd = -1;
		goto done;
	}
	/* link() refuses an existing name: two sweeps never share one. */
	if (link(tmp.ptr, path) < 0) {
		rc = dv_error_errno(errno == EEXIST ? DV_EEXISTS : DV_ERROR, "cannot create experiment entry '%s'",
				    path);
		dv_tmpfile_abort(fd, tmp.ptr);
		fd = -1;
		goto done;
	}
	unlink(tmp.ptr);
	dv_tmpfile_unregister(tmp.ptr);
	dv_fsync_dir_of(path);
	if (lock_fd) {
		*lock_fd = fd;
		fd = -1;
	}
done:
	if (fd >= 0)
		close(fd);
	dv_buf_free(&tmp);
	free(text);
	free(path);
	return rc;
}

static int list_dir_json(dv_strvec *names, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : dv_error_errno(DV_ERROR, "cannot list '%s'", dir);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 5 && !strcmp(de->d_name + n - 5, ".json") && de->d_name[0] != '.')
			dv_strvec_push_take(names, dv_strndup(de->d_name, n - 5));
	}
	closedir(d);
	dv_strvec_sort(names);
	return 0;
}

int dv_queue_recover(dv_repo *repo, size_t *n)
{
	dv_strvec names = DV_STRVEC_INIT;
	char *dir = dv_asprintf("%s/exps/running", repo->dvdir);
	int rc = list_dir_json(&names, dir);

	if (n)
		*n = 0;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		char *path = dv_exp_entry_path(repo, names.v[i], true);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		dv_exp_entry e;
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (fd >= 0)
				close(fd);
			free(path);
			continue; /* its runner is alive */
		}
		/* Gone while we looked, or a runner finished with it. */
		if (!dv_path_exists(path) || dv_exp_entry_load(&e, path) < 0) {
			close(fd);
			free(path);
			continue;
		}
		/* Its pool worktree is reset by the next experiment that takes it. */
		if (e.queued) {
			char *back = dv_exp_entry_path(repo, e.name, false);
			if (rename(path, back) < 0)
				rc = dv_error_errno(DV_ERROR, "cannot put '%s' back in the queue", path);
			free(back);
		} else {
			unlink(path);
		}
		if (n)
			(*n)++;
		dv_exp_entry_clear(&e);
		close(fd);
		free(path);
	}
	dv_strvec_free(&names);
	free(dir);
	return rc;
}

static int by_created(const void *a, const void *b)
{
	const dv_exp_entry *x = a, *y = b;
	if (x->running != y->running)
		return x->running ? -1 : 1;
	if (x->created_ns != y->created_ns)
		return x->created_ns < y->created_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

int dv_queue_list(dv_vec *out, dv_repo *repo)
{
	int rc;

	*out = (dv_vec)DV_VEC_INIT(dv_exp_entry);
	if ((rc = dv_queue_recover(repo, NULL)) < 0)
		return rc;
	for (int running = 0; running < 2; running++) {
		dv_strvec names = DV_STRVEC_INIT;
		char *dir = dv_asprintf("%s/exps/%s", repo->dvdir, running ? "running" : "queue");
		rc = list_dir_json(&names, dir);
		for (size_t i = 0; i < names.n && rc == 0; i++) {
			char *path = dv_exp_entry_path(repo, names.v[i], running);
			dv_exp_entry e;
			if (dv_exp_entry_load(&e, path) == 0) {
				e.running = running;
				*(dv_exp_entry *)dv_vec_push(out) = e;
			}
			free(path);
		}
		dv_strvec_free(&names);
		free(dir);
	}
	if (out->n)
		qsort(out->items, out->n, sizeof(dv_exp_entry), by_created);
	return rc;
}

void dv_queue_list_free(dv_vec *list)
{
	for (size_t i = 0; i < list->n; i++)
		dv_exp_entry_clear(dv_vec_at(list, dv_exp_entry, i));
	dv_vec_free(list);
}

int dv_queue_remove(dv_repo *repo, const char *name)
{
	char *path = dv_exp_entry_path(repo, name, false), *running = dv_exp_entry_path(repo, name, true);
	int rc = 0;

	if (unlink(path) < 0) {
		if (dv_path_exists(running))
			rc = dv_error(DV_ERROR, "experiment '%s' is running: 'dv queue stop --kill' stops it", name);
		else
			rc = dv_error(DV_ENOTFOUND, "no queued experiment '%s': 'dv queue status' lists them", name);
	}
	free(path);
	free(running);
	return rc;
}

/* Take the oldest waiting entry: its lock, then the rename into running/.
 * 0 with *fd = -1 when the queue is empty. */
static int claim_next(char **name, int *fd, dv_repo *repo)
{
	dv_vec list = DV_VEC_INIT(dv_exp_entry);
	int rc;

	*fd = -1;
	*name = NULL;
	if ((rc = dv_queue_list(&list, repo)) < 0)
		return rc;
	for (size_t i = 0; i < list.n && *fd < 0; i++) {
		dv_exp_entry *e = dv_vec_at(&list, dv_exp_entry, i);
		char *from = dv_exp_entry_path(repo, e->name, false), *to = dv_exp_entry_path(repo, e->name, true);
		struct stat a, b;
		int f;
		if (!e->running && (f = open(from, O_RDONLY | O_CLOEXEC)) >= 0) {
			if (flock(f, LOCK_EX | LOCK_NB) == 0 && fstat(f, &a) == 0 && stat(from, &b) == 0 &&
			    a.st_ino == b.st_ino && rename(from, to) == 0) {
				*fd = f;
				*name = dv_strdup(e->name);
			} else {
				close(f);
			}
		}
		free(from);
		free(to);
	}
	dv_queue_list_free(&list);
	return 0;
}

/* ---- the runner ---------------------------------------------------------- */

typedef struct {
	pid_t pid;
	int out;       /* read end of its stdout/stderr */
	int log;
	char *name;
	dv_buf partial;
} child;

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_seen;

static void on_runner_signal(int sig)
{
	int saved = errno;
	sig_seen = sig;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "x", 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

static const int runner_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSIGNALS (sizeof(runner_signals) / sizeof(runner_signals[0]))

static void emit(const dv_exp_runner_opts *o, dv_exp_event_kind kind, const char *name, const char *text)
{
	dv_exp_event ev = { kind, name, text };
	if (o->callback)
		o->callback(o->ctx, &ev);
}

static int spawn(child *c, dv_repo *repo, const dv_exp_runner_opts *o, const char *name, int lock_fd)
{
	int p[2];
	char *log = dv_exp_log_path(repo, name);
	char fdarg[16];

	memset(c, 0, sizeof(*c));
	c->name = dv_strdup(name);
	c->log = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	free(log);
	if (pipe2(p, O_CLOEXEC) < 0)
		return dv_error_errno(DV_ERROR, "cannot start experiment '%s'", name);
	snprintf(fdarg, sizeof(fdarg), "%d", lock_fd);
	c->pid = fork();
	if (c->pid < 0) {
		close(p[0]);
		close(p[1]);
		return dv_error_errno(DV_ERROR, "cannot start experiment '%s'", name);
	}
	if (c->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		setpgid(0, 0);
		for (size_t i = 0; i < NSIGNALS; i++)
			signal(runner_signals[i], SIG_DFL);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		fcntl(lock_fd, F_SETFD, 0);
		execl(o->exe, "dv", "-C", repo->root, "exp", "__run-entry", name, fdarg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* Never a blocking read: a signal that lands after poll() returned
	 * and before a read of a silent child would wait for that child's
	 * next line, maybe the end of its run, and meanwhile a slot freed
	 * by another could start the next experiment of a stopped sweep. */
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	c->out = p[0];
	emit(o, DV_EXP_STARTED, name, NULL);
	return 0;
}

static void child_output(child *c, const dv_exp_runner_opts *o, const char *data, size_t n)
{
	size_t start = 0;

	if (c->log >= 0 && dv_write_all(c->log, data, n) < 0) {
		close(c->log);
		c->log = -1;
	}
	dv_buf_add(&c->partial, data, n);
	for (size_t i = 0; i < c->partial.len; i++)
		if (c->partial.ptr[i] == '\n') {
			c->partial.ptr[i] = '\0';
			emit(o, DV_EXP_OUTPUT, c->name, c->partial.ptr + start);
			start = i + 1;
		}
	if (start) {
		memmove(c->partial.ptr, c->partial.ptr + start, c->partial.len - start);
		dv_buf_truncate(&c->partial, c->partial.len - start);
	}
}

/* The child is gone: judge how it ended; tidy what it could not. */
static void child_finish(child *c, dv_repo *repo, const dv_exp_runner_opts *o, dv_exp_runner_summary *sum)
{
	int status = 0;
	char *entry;

	if (c->partial.len) {
		emit(o, DV_EXP_OUTPUT, c->name, c->partial.ptr);
		dv_buf_reset(&c->partial);
	}
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		sum->done++;
		emit(o, DV_EXP_DONE, c->name, NULL);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		sum->failed++;
		emit(o, DV_EXP_FAILED, c->name, NULL);
	} else {
		bool intr = (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) ||
			    (WIFEXITED(status) && WEXITSTATUS(status) >= 128);
		char *why = WIFSIGNALED(status) ? dv_asprintf("killed by signal %d", WTERMSIG(status))
						: dv_asprintf("exit status %d", WEXITSTATUS(status));
		if (intr || sig_seen)
			emit(o, DV_EXP_INTERRUPTED, c->name, why);
		else
			emit(o, DV_EXP_ERROR, c->name, why);
		sum->errors++;
		free(why);
		/* Whatever the child left: its entry (a queued one that was
		 * interrupted waits again); a pool worktree it held is reset by
		 * the next experiment that takes it. */
		entry = dv_exp_entry_path(repo, c->name, true);
		if (dv_path_exists(entry)) {
			dv_exp_entry e;
			/* A queued experiment waits again; a sweep's own is gone. */
			if (dv_exp_entry_load(&e, entry) == 0 && e.queued) {
				char *back = dv_exp_entry_path(repo, c->name, false);
				if (rename(entry, back) < 0)
					unlink(entry);
				free(back);
			} else {
				unlink(entry);
			}
			dv_exp_entry_clear(&e);
		}
		free(entry);
	}
	if (c->log >= 0)
		close(c->log);
	close(c->out);
	dv_buf_free(&c->partial);
	free(c->name);
	memset(c, 0, sizeof(*c));
	c->out = -1;
}

int dv_exp_runner_run(dv_exp_runner_summary *sum, dv_repo *repo, const dv_exp_runner_opts *o)
{
	struct sigaction sa, old[NSIGNALS];
	child *kids = dv_calloc((size_t)o->jobs, sizeof(child));
	struct pollfd *pfd = dv_calloc((size_t)o->jobs + 1, sizeof(struct pollfd));
	size_t next = 0, nrun = 0;
	bool stopping = false, forwarded = false;
	int rc = 0;

	memset(sum, 0, sizeof(*sum));
	if ((rc = make_dirs(repo)) < 0)
		goto out;
	for (int i = 0; i < o->jobs; i++)
		kids[i].out = -1;
	sig_seen = 0;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot start the experiments");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_runner_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(runner_signals[i], &sa, &old[i]);

	for (;;) {
		int nfds = 0, timeout = -1;
		/* Start what the free slots allow. */
		/* sig_seen too: a signal that came while the children were
		 * read is handled below, but no slot it freed is filled. */
		while (!stopping && !sig_seen && nrun < (size_t)o->jobs) {
			char *name = NULL;
			int fd = -1;
			int slot = 0;
			if (o->from_queue) {
				if (claim_next(&name, &fd, repo) < 0 || fd < 0)
					break;
			} else {
				if (next >= o->n)
					break;
				name = dv_strdup(o->names[next]);
				fd = o->lock_fds[next];
				next++;
			}
			while (kids[slot].out >= 0)
				slot++;
			if (spawn(&kids[slot], repo, o, name, fd) < 0) {
				emit(o, DV_EXP_ERROR, name, dv_error_last());
				sum->errors++;
				kids[slot].out = -1;
				free(kids[slot].name);
			} else {
				nrun++;
			}
			close(fd); /* the child holds the lock now */
			free(name);
		}
		if (nrun == 0)
			break;
		pfd[nfds].fd = sig_pipe[0];
		pfd[nfds++].events = POLLIN;
		for (int i = 0; i < o->jobs; i++)
			if (kids[i].out >= 0) {
				pfd[nfds].fd = kids[i].out;
				pfd[nfds++].events = POLLIN;
			}
		if (o->from_queue && !stopping)
			timeout = 1000; /* entries queued meanwhile start in a free slot */
		if (poll(pfd, (nfds_t)nfds, timeout) < 0 && errno != EINTR) {
			rc = dv_error_errno(DV_ERROR, "cannot wait for the experiments");
			break;
		}
		if (sig_seen && !forwarded) {
			char drain[64];
			while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
				;
			stopping = true;
			/* SIGTERM to a queue runner (dv queue stop) lets the running
			 * experiments finish; anything else stops them. */
			if (!(o->from_queue && sig_seen == SIGTERM)) {
				for (int i = 0; i < o->jobs; i++)
					if (kids[i].out >= 0)
						kill(kids[i].pid, SIGINT);
				forwarded = true;
			}
			sum->interrupted = true;
			sum->sig = sig_seen;
			if (o->from_queue && sig_seen == SIGTERM)
				sig_seen = 0, forwarded = false;
		}
		for (int i = 0; i < o->jobs; i++) {
			char buf[8192];
			ssize_t r;
			if (kids[i].out < 0)
				continue;
			r = read(kids[i].out, buf, sizeof(buf));
			if (r > 0) {
				child_output(&kids[i], o, buf, (size_t)r);
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				child_finish(&kids[i], repo, o, sum);
				nrun--;
			}
		}
	}
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(runner_signals[i], &old[i], NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	/* A sweep's own entries never started (a signal came first). */
	for (; !o->from_queue && next < o->n; next++) {
		char *entry = dv_exp_entry_path(repo, o->names[next], true);
		unlink(entry);
		close(o->lock_fds[next]);
		free(entry);
	}
	if (rc == 0 && sum->interrupted && (!o->from_queue || sum->sig != SIGTERM))
		rc = dv_error(DV_EINTR, "interrupted: experiments that had not finished were not recorded");
	else if (rc == 0 && sum->errors)
		rc = dv_error(DV_ERROR, "%zu experiment%s could not run: see the log%s in .dv/exps/logs/", sum->errors,
			      sum->errors == 1 ? "" : "s", sum->errors == 1 ? "" : "s");
out:
	free(kids);
	free(pfd);
	return rc;
}

/* ---- the background runner's lock --------------------------------------- */

static char *runner_lock_path(dv_repo *repo)
{
	return dv_asprintf("%s/exps/runner.lock", repo->dvdir);
}

pid_t dv_queue_runner_pid(dv_repo *repo)
{
	char *path = runner_lock_path(repo);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t pid = 0;

	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		char buf[32] = "";
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0)
			pid = (pid_t)atol(buf);
		if (pid <= 0)
			pid = 1; /* alive, pid not written yet */
	}
	close(fd);
	return pid;
}

int dv_queue_runner_lock(dv_repo *repo, int *fd_out)
{
	char *path = runner_lock_path(repo);
	char buf[32];
	int fd, rc = 0;

	if ((rc = make_dirs(repo)) < 0)
		goto done;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot open '%s'", path);
		goto done;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		rc = dv_error(DV_ELOCKED, "a queue runner is running already ('dv queue status')");
		goto done;
	}
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, strlen(buf), 0) < 0) {
		close(fd);
		rc = dv_error_errno(DV_ERROR, "cannot write '%s'", path);
		goto done;
	}
	*fd_out = fd;
done:
	free(path);
	return rc;
}
