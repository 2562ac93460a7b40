/*
 * remote_ssh.c - a remote on any host reachable with the system `ssh`
 * (ssh://[user@]host[:port]/path, [user@]host:path).
 *
 * The remote side needs nothing but a POSIX shell and tar.  Each command
 * opens ONE ssh connection that runs a small request loop (REMOTE_SCRIPT
 * below) and sends it requests, one line each:
 *   list DIR...   every object file below DIR, then the line "<dv:end>"
 *   young STAMP DIR...  those modified after STAMP (touch -t, UTC), then
 *                 "<dv:end>" ("<dv:fail> WHY" first when it cannot tell)
 *   exists PATH   "yes" or "no"
 *   get PATH...   a tar stream of those that exist, then "<dv:end>"
 *   fetch         (last) reads paths from stdin, answers one tar stream
 *   put ID        (last) reads one tar stream, extracts it into tmp/,
 *                 deletes the paths its last entry .dv-reject lists (objects
 *                 whose bytes push found corrupt on the way out), renames
 *                 everything into place, then "<dv:ok>"
 *   rm            (last) reads paths from stdin and deletes them
 *   stale STAMP   the temp files and upload directories (tmp/dv-put-*) of
 *                 killed pushes with nothing modified after STAMP, then
 *                 "<dv:end>"
 *   rmtmp         (last) reads such paths from stdin and deletes them
 *                 (nothing else: the remote checks each path's form)
 * So a push is one listing and one tar stream over one connection, and a
 * fetch is one tar stream: many objects per round trip, never one
 * connection per object.  Tar streams are written and read with
 * libarchive.  Uploads land in tmp/dv-put-ID first and are renamed into
 * place only after tar has read the whole stream, so a push that is cut
 * off leaves no partial object under a final name; a rerun sends the rest.
 * Large pushes go in batches, each its own stream, so an interrupted one
 * keeps the batches that finished.
 *
 * A `get` answer is read 512 bytes at a time so libarchive never reads past
 * the end of the tar stream into the next answer.
 *
 * The ssh program is `ssh`, or the shell command in DV_SSH_COMMAND (as git's
 * GIT_SSH_COMMAND), always with BatchMode=yes so it never prompts.
 */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/remote.h"
#include "remote_kinds.h"

extern char **environ;

/* jobs: threads storing received objects (file creation is the cost). */
#define SSH_DEFAULT_JOBS 4
/* A push batch: each is one tar stream, renamed into place as a whole. */
#define BATCH_BYTES (2ULL << 30)
#define BATCH_OBJECTS 100000
/* Up to this many objects are fetched with `get`, which keeps the
 * connection open for further requests; more go in one final `fetch`. */
#define GET_MAX 128
/* The tar entry listing the corrupt objects of a push stream (see
 * REMOTE_SCRIPT's put). */
#define REJECT_LIST ".dv-reject"

static const char REMOTE_SCRIPT[] =
	"R=$1\n"
	"mvfiles() {\n"
	"	s=$1 d=$2\n"
	"	set --\n"
	"	for f in \"$s\"/* \"$s\"/.[!.]*; do\n"
	"		if [ -f \"$f\" ]; then set -- \"$@\" \"$f\"; fi\n"
	"	done\n"
	"	if [ $# -gt 0 ]; then mv -f \"$@\" \"$d/\"; fi\n"
	"}\n"
	"stampref() {\n"
	"	ref=tmp/.dv-ref-$$\n"
	"	if mkdir -p tmp && TZ=UTC0 touch -t \"$1\" \"$ref\"; then return 0; fi\n"
	"	echo \"<dv:fail> cannot make a file of time $1 in $R/tmp to compare ages with\"\n"
	"	return 1\n"
	"}\n"
	"while IFS= read -r c; do\n"
	"	case $c in\n"
	"	'list '*)\n"
	"		(cd \"$R\" 2>/dev/null || exit 0\n"
	"		 for p in ${c#list }; do\n"
	"			if [ -d \"$p\" ]; then find \"$p\" -type f ! -name '.*'; fi\n"
	"		 done)\n"
	"		echo '<dv:end>' ;;\n"
	"	'young '*)\n"
	"		set -- ${c#young }; s=$1; shift\n"
	"		(cd \"$R\" 2>/dev/null || exit 0\n"
	"		 stampref \"$s\" || exit 0\n"
	"		 for p in \"$@\"; do\n"
	"			if [ -d \"$p\" ]; then find \"$p\" -type f ! -name '.*' -newer \"$ref\"; fi\n"
	"		 done\n"
	"		 rm -f \"$ref\")\n"
	"		echo '<dv:end>' ;;\n"
	"	'stale '*)\n"
	"		(cd \"$R\" 2>/dev/null || exit 0\n"
	"		 stampref \"${c#stale }\" || exit 0\n"
	"		 for t in tmp/dv-put-*; do\n"
	"			if [ -d \"$t\" ] && [ -z \"$(find \"$t\" -newer \"$ref\" | head -n 1)\" ]; then echo \"$t\"; fi\n"
	"		 done\n"
	"		 if [ -d files ]; then find files -type f -name '.*.tmp-*' ! -newer \"$ref\"; fi\n"
	"		 rm -f \"$ref\")\n"
	"		echo '<dv:end>' ;;\n"
	"	'exists '*)\n"
	"		if [ -f \"$R/${c#exists }\" ]; then echo yes; else echo no; fi ;;\n"
	"	'stat '*)\n"
	"		f=\"$R/${c#stat }\"\n"
	"		if [ -f \"$f\" ]; then echo \"<dv:stat> $(wc -c <\"$f\") $(date -r \"$f\" +%s)\"; else echo '<dv:none>'; fi ;;\n"
	"	'cat '*)\n"
	"		exec cat \"$R/${c#cat }\" ;;\n"
	"	'get '*)\n"
	"		(cd \"$R\" 2>/dev/null || exec tar cf - -T /dev/null\n"
	"		 exec tar cf - ${c#get }) 2>/dev/null\n"
	"		echo; echo '<dv:end>' ;;\n"
	"	fetch)\n"
	"		cd \"$R\" 2>/dev/null || exec tar cf - -T /dev/null\n"
	"		exec tar cf - -T - ;;\n"
	"	'put '*)\n"
	"		mkdir -p \"$R/tmp\" && cd \"$R\" || exit 1\n"
	"		T=tmp/dv-put-${c#put }\n"
	"		mkdir \"$T\" || exit 1\n"
	"		if ! (cd \"$T\" && exec tar xof -); then rm -rf \"$T\"; exit 1; fi\n"
	"		if [ -f \"$T/.dv-reject\" ]; then\n"
	"			while IFS= read -r f; do rm -f \"$T/$f\"; done <\"$T/.dv-reject\"\n"
	"			rm -f \"$T/.dv-reject\"\n"
	"		fi\n"
	"		find tmp/. ! -name . -prune -name 'dv-put-*' -mtime +0 -exec rm -rf {} + 2>/dev/null\n"
	"		for d in $(cd \"$T\" && find . -type d); do\n"
	"			d=${d#./}\n"
	"			if [ \"$d\" = . ] || [ ! -d \"$T/$d\" ]; then continue; fi\n"
	"			case $d in */*) p=${d%/*} ;; *) p=. ;; esac\n"
	"			if [ ! -e \"$d\" ] && mv \"$T/$d\" \"$p/\" 2>/dev/null; then continue; fi\n"
	"			mkdir -p \"$d\" && mvfiles \"$T/$d\" \"$d\" || exit 1\n"
	"		done\n"
	"		rm -rf \"$T\"\n"
	"		echo '<dv:ok>'\n"
	"		exit 0 ;;\n"
	"	rmtmp)\n"
	"		cd \"$R\" 2>/dev/null || { echo '<dv:ok>'; exit 0; }\n"
	"		while IFS= read -r p; do\n"
	"			case $p in *..*) continue ;; tmp/dv-put-*|files/*/.*.tmp-*) rm -rf \"$p\" ;; esac\n"
	"		done\n"
	"		echo '<dv:ok>'\n"
	"		exit 0 ;;\n"
	"	rm)\n"
	"		cd \"$R\" 2>/dev/null || { echo '<dv:ok>'; exit 0; }\n"
	"		xargs rm -f && echo '<dv:ok>'\n"
	"		exit ;;\n"
	"	*) echo \"dv: unknown request '$c'\" >&2; exit 2 ;;\n"
	"	esac\n"
	"done\n";

typedef struct {
	pid_t pid;
	int in;   /* ssh's stdin, -1 once closed */
	int out;  /* ssh's stdout */
	int err;  /* memfd holding ssh's stderr (never blocks, never fills) */
	bool final; /* a last request was sent: no more requests */
	bool exited;
	int wstatus;
	char buf[65536];
	size_t pos, len;
} ssh_session;

typedef struct {
	dv_remote base;
	dv_ssh_url u;
	char *root;     /* the path on the remote host ("." for the login dir) */
	char *user;     /* URL's, else remote.NAME.user */
	int port;       /* URL's, else remote.NAME.port */
	char *keyfile;  /* remote.NAME.keyfile */
	ssh_session *s; /* the open connection, if any */
} ssh_remote;

/* --- the ssh process -------------------------------------------------- */

static void build_argv(dv_strvec *argv, const ssh_remote *sr, const char *remote_cmd)
{
	const char *custom = getenv("DV_SSH_COMMAND");
	char port[16];

	if (custom && *custom) {
		/* Like GIT_SSH_COMMAND: a shell command line, given our arguments. */
		char *line = dv_asprintf("%s \"$@\"", custom);
		dv_strvec_push(argv, "/bin/sh");
		dv_strvec_push(argv, "-c");
		dv_strvec_push_take(argv, line);
		dv_strvec_push(argv, "dv-ssh");
	} else {
		dv_strvec_push(argv, "ssh");
	}
	dv_strvec_push(argv, "-o");
	dv_strvec_push(argv, "BatchMode=yes");
	dv_strvec_push(argv, "-T");
	dv_strvec_push(argv, "-x");
	if (sr->port) {
		snprintf(port, sizeof(port), "%d", sr->port);
		dv_strvec_push(argv, "-p");
		dv_strvec_push(argv, port);
	}
	if (sr->user) {
		dv_strvec_push(argv, "-l");
		dv_strvec_push(argv, sr->user);
	}
	if (sr->keyfile) {
		dv_strvec_push(argv, "-i");
		dv_strvec_push(argv, sr->keyfile);
		dv_strvec_push(argv, "-o");
		dv_strvec_push(argv, "IdentitiesOnly=yes");
	}
	dv_strvec_push(argv, sr->u.host);
	dv_strvec_push(argv, remote_cmd);
	/* NULL-terminate for posix_spawn. */
	dv_strvec_push(argv, "");
	free(argv->v[argv->n - 1]);
	argv->v[--argv->n] = NULL;
}

/* The last meaningful line ssh or the remote shell wrote to stderr. */
static char *session_stderr(ssh_session *s)
{
	dv_buf all = DV_BUF_INIT;
	char chunk[4096], *line = NULL;
	ssize_t n;

	if (lseek(s->err, 0, SEEK_SET) < 0)
		return NULL;
	while ((n = read(s->err, chunk, sizeof(chunk))) > 0)
		dv_buf_add(&all, chunk, (size_t)n);
	for (char *p = strtok(all.ptr, "\r\n"); p; p = strtok(NULL, "\r\n")) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || strstr(p, "Exiting with failure status"))
			continue;
		free(line);
		line = dv_strndup(p, 300);
	}
	dv_buf_free(&all);
	return line;
}

static void session_wait(ssh_session *s)
{
	if (s->exited)
		return;
	while (waitpid(s->pid, &s->wstatus, 0) < 0)
		if (errno != EINTR) {
			s->wstatus = 0;
			break;
		}
	s->exited = true;
}

static void session_close_input(ssh_session *s)
{
	if (s->in >= 0) {
		close(s->in);
		s->in = -1;
	}
}

/* Stop reading: an ssh still writing then fails instead of blocking, so
 * waiting for it cannot hang. */
static void session_close_output(ssh_session *s)
{
	if (s->out >= 0) {
		close(s->out);
		s->out = -1;
	}
}

/* Record why the connection failed, as well as can be told: ssh's own
 * exit status 255 means it never got (or lost) the connection. */
static int session_error(ssh_remote *sr, ssh_session *s, const char *doing)
{
	char *why;
	int code;

	/* Called once a read or write on ssh's pipes failed: ssh has gone or
	 * is going, and has said why on stderr. */
	session_close_input(s);
	session_close_output(s);
	session_wait(s);
	why = session_stderr(s);
	code = WIFEXITED(s->wstatus) ? WEXITSTATUS(s->wstatus) : -1;
	if (code == 255)
		dv_error(DV_ERROR, "cannot %s remote '%s' over ssh (%s): %s", doing, sr->base.name,
			 sr->u.host, why ? why : "ssh failed");
	else if (WIFSIGNALED(s->wstatus))
		dv_error(DV_ERROR, "cannot %s remote '%s': ssh was killed by signal %d", doing,
			 sr->base.name, WTERMSIG(s->wstatus));
	else
		dv_error(DV_ERROR, "cannot %s remote '%s' (%s): %s", doing, sr->base.name,
			 sr->u.host, why ? why : "the connection was lost");
	free(why);
	return DV_ERROR;
}

static void session_free(ssh_session *s)
{
	if (!s)
		return;
	/* EOF on its input ends the remote request loop (or cuts an
	 * unfinished upload short, which then keeps nothing); a closed output
	 * stops a download we no longer want. */
	session_close_input(s);
	session_close_output(s);
	session_wait(s);
	close(s->err);
	free(s);
}

static int session_start(ssh_session **out, ssh_remote *sr)
{
	dv_buf cmd = DV_BUF_INIT;
	dv_strvec argv = DV_STRVEC_INIT;
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, err = -1, rc;
	ssh_session *s = NULL;
	pid_t pid;

	err = memfd_create("dv-ssh-stderr", MFD_CLOEXEC);
	if (err < 0 || pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot start ssh");
		goto fail;
	}
	dv_buf_puts(&cmd, "sh -c ");
	dv_buf_put_shell_quoted(&cmd, REMOTE_SCRIPT);
	dv_buf_puts(&cmd, " dv-remote ");
	dv_buf_put_shell_quoted(&cmd, sr->root);
	build_argv(&argv, sr, cmd.ptr);

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	rc = posix_spawnp(&pid, argv.v[0], &fa, NULL, argv.v, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		rc = dv_error_errno(DV_ERROR, "cannot run '%s' for remote '%s' (is OpenSSH installed?)",
				    argv.v[0], sr->base.name);
		goto fail;
	}
	close(in[0]);
	close(outp[1]);
	s = dv_calloc(1, sizeof(*s));
	s->pid = pid;
	s->in = in[1];
	s->out = outp[0];
	s->err = err;
	*out = s;
	rc = 0;
	goto done;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (err >= 0)
		close(err);
done:
	dv_strvec_free(&argv);
	dv_buf_free(&cmd);
	return rc;
}

/* The open connection for a further request, opening one if needed. */
static int session_get(ssh_session **out, ssh_remote *sr)
{
	int rc;
	if (sr->s && (sr->s->final || sr->s->exited)) {
		session_free(sr->s);
		sr->s = NULL;
	}
	if (!sr->s && (rc = session_start(&sr->s, sr)) < 0)
		return rc;
	*out = sr->s;
	return 0;
}

static int session_send(ssh_remote *sr, ssh_session *s, const char *data, size_t len, const char *doing)
{
	if (s->in < 0 || dv_write_all(s->in, data, len) < 0)
		return session_error(sr, s, doing);
	return 0;
}

/* Buffered reads of ssh's stdout.  Returns bytes read, 0 at EOF, -1 on error. */
static ssize_t session_fill(ssh_session *s)
{
	ssize_t n;
	if (s->pos < s->len)
		return (ssize_t)(s->len - s->pos);
	if (s->out < 0)
		return -1;
	s->pos = s->len = 0;
	do
		n = read(s->out, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	if (n > 0)
		s->len = (size_t)n;
	return n;
}

/* One line (without its newline) into `line`; DV_ERROR at EOF. */
static int session_read_line(ssh_session *s, dv_buf *line)
{
	dv_buf_reset(line);
	for (;;) {
		char *nl;
		if (session_fill(s) <= 0)
			return DV_ERROR;
		nl = memchr(s->buf + s->pos, '\n', s->len - s->pos);
		if (nl) {
			dv_buf_add(line, s->buf + s->pos, (size_t)(nl - (s->buf + s->pos)));
			s->pos = (size_t)(nl - s->buf) + 1;
			return 0;
		}
		dv_buf_add(line, s->buf + s->pos, s->len - s->pos);
		s->pos = s->len;
	}
}

/* Read lines until `marker`; the padding of a tar stream before it is skipped. */
static int session_expect(ssh_session *s, const char *marker)
{
	dv_buf line = DV_BUF_INIT;
	int rc;
	while ((rc = session_read_line(s, &line)) == 0) {
		size_t skip = 0;
		while (skip < line.len && line.ptr[skip] == '\0')
			skip++;
		if (!strcmp(line.ptr + skip, marker))
			break;
	}
	dv_buf_free(&line);
	return rc;
}

/* --- list / exists ---------------------------------------------------- */

/* Send "VERB ARGS" and collect the answer's lines up to "<dv:end>"; a
 * "<dv:fail> WHY" line (the remote could not do it) is an error. */
static int list_request(ssh_remote *sr, dv_strvec *out, const char *verb, const char *args)
{
	dv_buf req = DV_BUF_INIT, line = DV_BUF_INIT;
	ssh_session *s;
	int rc;

	if (strchr(args, '\n'))
		return dv_error(DV_EUSAGE, "cannot %s '%s' on an SSH remote", verb, args);
	if ((rc = session_get(&s, sr)) < 0)
		goto done;
	dv_buf_printf(&req, "%s %s\n", verb, args);
	if ((rc = session_send(sr, s, req.ptr, req.len, "list")) < 0)
		goto done;
	for (;;) {
		if (session_read_line(s, &line) < 0) {
			rc = session_error(sr, s, "list");
			goto done;
		}
		if (!strcmp(line.ptr, "<dv:end>"))
			break;
		if (!strncmp(line.ptr, "<dv:fail> ", 10) && !rc)
			rc = dv_error(DV_ERROR, "remote '%s' (%s): %s", sr->base.name, sr->u.host, line.ptr + 10);
		else if (line.len)
			dv_strvec_push(out, line.ptr);
	}
done:
	dv_buf_free(&req);
	dv_buf_free(&line);
	return rc;
}

static int ssh_list(dv_remote *r, dv_strvec *out, const char *prefix)
{
	if (strchr(prefix, ' '))
		return dv_error(DV_EUSAGE, "cannot list '%s' on an SSH remote", prefix);
	return list_request((ssh_remote *)r, out, "list", prefix);
}

/* A time as `touch -t` reads it in UTC: CCYYMMDDhhmm.SS. */
static void touch_stamp(char out[32], int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y%m%d%H%M.%S", &tm);
}

/* POSIX find has no age test finer than days, so the remote touches a
 * reference file to the cut-off (one second early: -newer is strict)
 * and lists what is -newer. */
static int ssh_list_since(dv_remote *r, dv_strvec *out, const char *prefix, int64_t since_ns)
{
	char stamp[32], *args;
	int rc;

	if (strchr(prefix, ' '))
		return dv_error(DV_EUSAGE, "cannot list '%s' on an SSH remote", prefix);
	touch_stamp(stamp, since_ns - 1000000000LL);
	args = dv_asprintf("%s %s", stamp, prefix);
	rc = list_request((ssh_remote *)r, out, "young", args);
	free(args);
	return rc;
}

static int ssh_exists(dv_remote *r, const char *relpath, bool *out)
{
	ssh_remote *sr = (ssh_remote *)r;
	dv_buf req = DV_BUF_INIT, line = DV_BUF_INIT;
	ssh_session *s;
	int rc;

	if ((rc = session_get(&s, sr)) < 0)
		goto done;
	dv_buf_printf(&req, "exists %s\n", relpath);
	if ((rc = session_send(sr, s, req.ptr, req.len, "query")) < 0)
		goto done;
	if (session_read_line(s, &line) < 0) {
		rc = session_error(sr, s, "query");
		goto done;
	}
	*out = !strcmp(line.ptr, "yes");
done:
	dv_buf_free(&req);
	dv_buf_free(&line);
	return rc;
}

/* --- single files (dv import-url) ---------------------------------------- */

static int check_file_relpath(const ssh_remote *sr, const char *relpath)
{
	if (strchr(relpath, '\n') || !*relpath)
		return dv_error(DV_EUSAGE, "cannot fetch '%s' from '%s': a path with a newline (or none)", relpath,
				sr->base.url);
	return 0;
}

static int ssh_stat_file(dv_remote *r, const char *relpath, dv_remote_file_info *out)
{
	ssh_remote *sr = (ssh_remote *)r;
	dv_buf req = DV_BUF_INIT, line = DV_BUF_INIT;
	unsigned long long size;
	long long mtime;
	ssh_session *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_file_relpath(sr, relpath)) < 0 || (rc = session_get(&s, sr)) < 0)
		goto done;
	dv_buf_printf(&req, "stat %s\n", relpath);
	if ((rc = session_send(sr, s, req.ptr, req.len, "query")) < 0)
		goto done;
	if (session_read_line(s, &line) < 0) {
		rc = session_error(sr, s, "query");
		goto done;
	}
	if (!strcmp(line.ptr, "<dv:none>"))
		rc = dv_error(DV_ENOTFOUND, "there is no file '%s' under '%s' on %s", relpath, sr->root, sr->u.host);
	else if (sscanf(line.ptr, "<dv:stat> %llu %lld", &size, &mtime) != 2)
		rc = dv_error(DV_ERROR, "cannot read the size and time of '%s' on %s: '%s'", relpath, sr->u.host,
			      line.ptr);
	else {
		out->size = size;
		out->mtime = mtime;
	}
done:
	dv_buf_free(&req);
	dv_buf_free(&line);
	return rc;
}

/* `cat` is a last request: the connection carries the bytes, then ends. */
static int ssh_download(dv_remote *r, const char *relpath, int fd, dv_progress *p)
{
	ssh_remote *sr = (ssh_remote *)r;
	dv_buf req = DV_BUF_INIT;
	ssh_session *s;
	ssize_t n;
	int rc;

	if ((rc = check_file_relpath(sr, relpath)) < 0 || (rc = session_get(&s, sr)) < 0)
		goto done;
	dv_buf_printf(&req, "cat %s\n", relpath);
	if ((rc = session_send(sr, s, req.ptr, req.len, "download from")) < 0)
		goto done;
	s->final = true;
	session_close_input(s);
	while ((n = session_fill(s)) > 0) {
		if (dv_write_all(fd, s->buf + s->pos, (size_t)n) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot write the download of '%s'", relpath);
			goto done;
		}
		s->pos += (size_t)n;
		dv_progress_add(p, 0, (uint64_t)n);
	}
	session_wait(s);
	if (n < 0 || !WIFEXITED(s->wstatus) || WEXITSTATUS(s->wstatus) != 0) {
		char *why = session_stderr(s);
		rc = dv_error(DV_ERROR, "cannot download '%s' from %s: %s", relpath, sr->u.host,
			      why ? why : "the connection failed");
		free(why);
	} else {
		dv_progress_add(p, 1, 0);
	}
done:
	dv_buf_free(&req);
	return rc;
}

/* --- push: one tar stream per batch ------------------------------------- */

typedef struct {
	ssh_session *s;
	int err; /* errno of a failed write */
} tar_sink;

static la_ssize_t sink_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
	tar_sink *k = ctx;
	(void)a;
	if (k->s->in < 0 || dv_write_all(k->s->in, buf, len) < 0) {
		k->err = errno ? errno : EPIPE;
		return -1;
	}
	return (la_ssize_t)len;
}

/* Write one object into the archive.  <0 alone fails the item (e.g. not
 * in the cache); with `*stream_broken` the stream cannot go on; with
 * `*rejected` its bytes went out but are corrupt, and the remote must
 * drop them (REJECT_LIST). */
static int add_to_archive(struct archive *a, struct archive_entry *e, dv_cache *cache,
			  dv_transfer *t, char *iobuf, uint64_t *bytes, bool *stream_broken,
			  bool *rejected)
{
	dv_buf path = DV_BUF_INIT;
	dv_hasher *hs = NULL;
	dv_hash got;
	struct stat st;
	uint64_t left;
	int fd, rc = 0;

	dv_transfer_local_path(&path, cache, t);
	fd = open(path.ptr, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (errno == ENOENT)
			rc = dv_error(DV_ENOTFOUND, "object '%s' is not in the cache", t->relpath);
		else
			rc = dv_error_errno(DV_ERROR, "cannot read '%s'", path.ptr);
		goto done;
	}
	archive_entry_clear(e);
	archive_entry_set_pathname(e, t->relpath);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		*stream_broken = true;
		rc = dv_error(DV_ERROR, "cannot write the tar stream: %s", archive_error_string(a));
		goto done;
	}
	left = (uint64_t)st.st_size;
	hs = dv_hasher_new();
	while (left > 0) {
		ssize_t n = read(fd, iobuf, left < DV_IO_CHUNK ? left : DV_IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The header promised `size` bytes: the stream cannot go on. */
			dv_error_errno(DV_ERROR, "cannot read '%s'", path.ptr);
			*stream_broken = true;
			rc = DV_ERROR;
			goto done;
		}
		/* archive_write_data drops bytes past the header's size
		 * silently: check every count. */
		if (archive_write_data(a, iobuf, (size_t)n) != n) {
			*stream_broken = true;
			rc = dv_error(DV_ERROR, "cannot write the tar stream: %s", archive_error_string(a));
			goto done;
		}
		dv_hasher_update(hs, iobuf, (size_t)n);
		left -= (uint64_t)n;
	}
	*bytes = (uint64_t)st.st_size;
	/* Checked once the bytes are in the stream (no second read); a bad
	 * one is named in the stream's reject list, so the remote drops it
	 * before anything is renamed into place. */
	dv_hasher_final(&got, hs);
	if ((rc = dv_transfer_check_sent(cache, t, &got)) < 0)
		*rejected = true;
done:
	dv_hasher_free(hs);
	if (fd >= 0)
		close(fd);
	dv_buf_free(&path);
	return rc;
}

/* The last entry of a stream that carried corrupt objects: their paths,
 * which the remote deletes from its extraction directory before renaming
 * anything into place. */
static int add_reject_list(struct archive *a, struct archive_entry *e, const dv_buf *list,
			   bool *stream_broken)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, REJECT_LIST);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)list->len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, list->ptr, list->len) != (la_ssize_t)list->len) {
		*stream_broken = true;
		return dv_error(DV_ERROR, "cannot write the tar stream: %s", archive_error_string(a));
	}
	return 0;
}

/* Items still pending share the failure just recorded. */
static void fail_pending(dv_transfer *items, size_t n, int rc)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].status == 1)
			dv_transfer_fail(&items[i], rc);
}

static int push_batch(ssh_remote *sr, dv_cache *cache, dv_transfer *items, size_t n,
		      dv_progress *p, char *iobuf)
{
	struct archive *a = NULL;
	struct archive_entry *e = archive_entry_new();
	dv_buf req = DV_BUF_INIT, line = DV_BUF_INIT, reject = DV_BUF_INIT;
	tar_sink sink = { NULL, 0 };
	bool broken = false;
	ssh_session *s;
	unsigned char id[8] = { 0 };
	int rc;

	if ((rc = session_get(&s, sr)) < 0)
		goto done;
	sink.s = s;
	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
		uint64_t v = (uint64_t)dv_now_ns() ^ ((uint64_t)getpid() << 32);
		memcpy(id, &v, sizeof(id));
	}
	dv_buf_puts(&req, "put ");
	for (size_t i = 0; i < sizeof(id); i++)
		dv_buf_printf(&req, "%02x", id[i]);
	dv_buf_putc(&req, '\n');
	s->final = true;
	if ((rc = session_send(sr, s, req.ptr, req.len, "push to")) < 0)
		goto done;

	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open(a, &sink, NULL, sink_write, NULL) != ARCHIVE_OK) {
		rc = dv_error(DV_ERROR, "cannot start a tar stream: %s", archive_error_string(a));
		goto done;
	}
	for (size_t i = 0; i < n && !broken; i++) {
		uint64_t bytes = 0;
		bool rejected = false;
		rc = add_to_archive(a, e, cache, &items[i], iobuf, &bytes, &broken, &rejected);
		if (rc < 0 && !broken)
			dv_transfer_fail(&items[i], rc);
		else if (rc == 0)
			dv_progress_add(p, 1, bytes);
		if (rejected)
			dv_buf_printf(&reject, "%s\n", items[i].relpath);
	}
	if (!broken && reject.len)
		rc = add_reject_list(a, e, &reject, &broken);
	/* Closing writes the end-of-archive blocks; without it the remote tar
	 * sees a truncated stream and keeps nothing. */
	if (!broken && archive_write_close(a) != ARCHIVE_OK) {
		broken = true;
		rc = dv_error(DV_ERROR, "cannot write the tar stream: %s", archive_error_string(a));
	}
	if (broken) {
		/* A failed write means ssh or the server went away: its reason
		 * beats libarchive's. */
		if (sink.err)
			rc = session_error(sr, s, "push to");
		goto fail_all;
	}
	session_close_input(s);
	if (session_expect(s, "<dv:ok>") < 0) {
		rc = session_error(sr, s, "push to");
		goto fail_all;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].status == 1)
			items[i].status = 0;
	rc = 0;
	goto done;
fail_all:
	fail_pending(items, n, rc);
done:
	if (a)
		archive_write_free(a);
	archive_entry_free(e);
	dv_buf_free(&req);
	dv_buf_free(&line);
	dv_buf_free(&reject);
	return rc;
}

static int ssh_push(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	ssh_remote *sr = (ssh_remote *)r;
	char *iobuf = dv_malloc(DV_IO_CHUNK);
	size_t start = 0;
	int rc = 0;

	while (start < n) {
		size_t end = start;
		uint64_t bytes = 0;
		while (end < n && end - start < BATCH_OBJECTS && (end == start || bytes < BATCH_BYTES))
			bytes += items[end++].size;
		rc = push_batch(sr, cache, items + start, end - start, p, iobuf);
		/* A lost connection fails what is left too: retrying batch after
		 * batch against a dead host only repeats the error. */
		if (rc < 0 && sr->s && sr->s->exited && WIFEXITED(sr->s->wstatus) &&
		    WEXITSTATUS(sr->s->wstatus) == 255) {
			for (size_t i = end; i < n; i++)
				dv_transfer_fail(&items[i], rc);
			break;
		}
		start = end;
	}
	free(iobuf);
	return dv_transfer_first_failure(items, n);
}

/* --- fetch: one tar stream in -------------------------------------------- */

typedef struct {
	ssh_session *s;
	bool blockwise; /* hand libarchive 512 bytes at a time (see top) */
	char block[512];
} tar_source;

static la_ssize_t source_read(struct archive *a, void *ctx, const void **buf)
{
	tar_source *src = ctx;
	ssh_session *s = src->s;
	ssize_t n;
	(void)a;

	if (!src->blockwise) {
		n = session_fill(s);
		if (n <= 0)
			return n;
		*buf = s->buf + s->pos;
		s->pos = s->len;
		return n;
	}
	for (size_t got = 0; got < sizeof(src->block);) {
		size_t take;
		n = session_fill(s);
		if (n <= 0)
			return got ? (la_ssize_t)got : n;
		take = (size_t)n < sizeof(src->block) - got ? (size_t)n : sizeof(src->block) - got;
		memcpy(src->block + got, s->buf + s->pos, take);
		s->pos += take;
		got += take;
	}
	*buf = src->block;
	return sizeof(src->block);
}

static int cmp_item_path(const void *a, const void *b)
{
	const dv_transfer *x = *(dv_transfer *const *)a, *y = *(dv_transfer *const *)b;
	return strcmp(x->relpath, y->relpath);
}

static dv_transfer *find_item(dv_transfer **index, size_t n, const char *path)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(path, index[mid]->relpath);
		if (c == 0)
			return index[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Store one archive entry's data as `t` (re-hashed by dv_transfer_adopt). */
static int receive_entry(ssh_remote *sr, struct archive *a, dv_cache *cache, dv_transfer *t,
			 uint64_t *bytes, bool *stream_broken)
{
	dv_buf tmp = DV_BUF_INIT;
	const void *data;
	size_t len;
	la_int64_t offset;
	uint64_t total = 0;
	int fd = -1, rc, ar;

	if ((rc = dv_transfer_tmp_open(&fd, &tmp, cache, t)) < 0) {
		*stream_broken = true; /* the cache cannot take anything */
		goto done;
	}
	while ((ar = archive_read_data_block(a, &data, &len, &offset)) == ARCHIVE_OK) {
		if ((uint64_t)offset != total) {
			/* Sparse entries are never sent by the remote script. */
			ar = ARCHIVE_FATAL;
			break;
		}
		if (dv_write_all(fd, data, len) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot write into the cache '%s'", cache->dir);
			*stream_broken = true;
			dv_tmpfile_abort(fd, tmp.ptr);
			goto done;
		}
		total += len;
	}
	if (ar != ARCHIVE_EOF) {
		rc = dv_error(DV_ERROR, "the transfer from remote '%s' broke off in '%s': %s",
			      sr->base.name, t->relpath, archive_error_string(a));
		*stream_broken = true;
		dv_tmpfile_abort(fd, tmp.ptr);
		goto done;
	}
	if (close(fd) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot write into the cache '%s'", cache->dir);
		dv_tmpfile_abort(-1, tmp.ptr);
		goto done;
	}
	rc = dv_transfer_adopt(cache, tmp.ptr, t, &sr->base);
	*bytes = total;
done:
	dv_buf_free(&tmp);
	return rc;
}

/* Read one tar stream from the session into the cache, matching entries
 * to items; items that never arrive are not on the remote. */
/* Small objects are read whole from the stream and stored by a few writer
 * threads: creating thousands of files, not reading the stream, is what
 * costs, and it overlaps well.  Bigger ones are streamed to disk inline. */
#define SMALL_OBJECT (1u << 20)
#define QUEUE_SLOTS 64

typedef struct {
	dv_transfer *t;
	char *data;
	size_t len;
} store_job;

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	store_job q[QUEUE_SLOTS];
	size_t head, n;
	bool closed;
	ssh_remote *sr;
	dv_cache *cache;
	dv_progress *progress;
} store_pool;

static int store_bytes(ssh_remote *sr, dv_cache *cache, dv_transfer *t, const char *data, size_t len)
{
	dv_buf tmp = DV_BUF_INIT;
	int fd = -1, rc;

	if ((rc = dv_transfer_tmp_open(&fd, &tmp, cache, t)) < 0)
		goto done;
	if (dv_write_all(fd, data, len) < 0 || close(fd) < 0) {
		rc = dv_error_errno(DV_ERROR, "cannot write into the cache '%s'", cache->dir);
		dv_tmpfile_abort(-1, tmp.ptr);
		goto done;
	}
	rc = dv_transfer_adopt(cache, tmp.ptr, t, &sr->base);
done:
	dv_buf_free(&tmp);
	return rc;
}

static void *store_worker(void *arg)
{
	store_pool *sp = arg;
	for (;;) {
		store_job job;
		int rc;
		pthread_mutex_lock(&sp->mu);
		while (!sp->n && !sp->closed)
			pthread_cond_wait(&sp->not_empty, &sp->mu);
		if (!sp->n) {
			pthread_mutex_unlock(&sp->mu);
			return NULL;
		}
		job = sp->q[sp->head];
		sp->head = (sp->head + 1) % QUEUE_SLOTS;
		sp->n--;
		pthread_cond_signal(&sp->not_full);
		pthread_mutex_unlock(&sp->mu);
		rc = store_bytes(sp->sr, sp->cache, job.t, job.data, job.len);
		if (rc < 0) {
			dv_transfer_fail(job.t, rc);
		} else {
			job.t->status = 0;
			dv_progress_add(sp->progress, 1, job.len);
		}
		free(job.data);
	}
}

static void store_queue(store_pool *sp, dv_transfer *t, char *data, size_t len)
{
	pthread_mutex_lock(&sp->mu);
	while (sp->n == QUEUE_SLOTS)
		pthread_cond_wait(&sp->not_full, &sp->mu);
	sp->q[(sp->head + sp->n) % QUEUE_SLOTS] = (store_job){ t, data, len };
	sp->n++;
	pthread_cond_signal(&sp->not_empty);
	pthread_mutex_unlock(&sp->mu);
}

/* Read a small entry's data whole; <0 when the stream broke. */
static int read_small(char **out, size_t *len_out, struct archive *a, size_t size)
{
	char *data = dv_malloc(size ? size : 1);
	size_t got = 0;
	while (got < size) {
		la_ssize_t n = archive_read_data(a, data + got, size - got);
		if (n <= 0) {
			free(data);
			return DV_ERROR;
		}
		got += (size_t)n;
	}
	*out = data;
	*len_out = size;
	return 0;
}

static int receive_archive(ssh_remote *sr, ssh_session *s, bool blockwise, dv_cache *cache,
			   dv_transfer *items, size_t n, dv_progress *p)
{
	dv_transfer **index = dv_malloc((n ? n : 1) * sizeof(*index));
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	tar_source src = { s, blockwise, { 0 } };
	store_pool sp = { .sr = sr, .cache = cache, .progress = p };
	int nworkers = sr->base.jobs < 1 ? 1 : sr->base.jobs > 16 ? 16 : sr->base.jobs;
	pthread_t workers[16];
	bool broken = false;
	int rc = 0, ar = ARCHIVE_OK, started = 0;

	pthread_mutex_init(&sp.mu, NULL);
	pthread_cond_init(&sp.not_empty, NULL);
	pthread_cond_init(&sp.not_full, NULL);
	for (size_t i = 0; i < n; i++)
		index[i] = &items[i];
	qsort(index, n, sizeof(*index), cmp_item_path);
	archive_read_support_format_tar(a);
	if (archive_read_open(a, &src, NULL, source_read, NULL) != ARCHIVE_OK) {
		session_close_output(s);
		session_wait(s);
		char *why = session_stderr(s);
		rc = dv_error(DV_ERROR, "cannot fetch from remote '%s' (%s): %s", sr->base.name,
			      sr->u.host, why ? why : archive_error_string(a));
		free(why);
		broken = true;
		goto done;
	}
	for (int i = 0; i < nworkers; i++)
		if (pthread_create(&workers[i], NULL, store_worker, &sp) != 0)
			break;
		else
			started++;
	while (!broken && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);
		dv_transfer *t;
		uint64_t bytes = 0;
		while (path && path[0] == '.' && path[1] == '/')
			path += 2;
		t = path ? find_item(index, n, path) : NULL;
		if (!t || t->status != 1 || archive_entry_filetype(e) != AE_IFREG)
			continue; /* not asked for: libarchive skips its data */
		if (started && size >= 0 && size <= SMALL_OBJECT) {
			char *data;
			size_t len;
			if (read_small(&data, &len, a, (size_t)size) < 0) {
				ar = ARCHIVE_FATAL;
				break;
			}
			t->status = 2; /* queued: the writer sets the outcome */
			store_queue(&sp, t, data, len);
			continue;
		}
		rc = receive_entry(sr, a, cache, t, &bytes, &broken);
		if (rc < 0)
			dv_transfer_fail(t, rc);
		else {
			t->status = 0;
			dv_progress_add(p, 1, bytes);
		}
	}
	pthread_mutex_lock(&sp.mu);
	sp.closed = true;
	pthread_cond_broadcast(&sp.not_empty);
	pthread_mutex_unlock(&sp.mu);
	for (int i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	if (!broken && ar != ARCHIVE_EOF) {
		/* Truncated: the connection or the server went away mid-stream.
		 * (Input may belong to the list writer: only close output.) */
		char *why;
		session_close_output(s);
		session_wait(s);
		why = session_stderr(s);
		rc = dv_error(DV_ERROR, "the transfer from remote '%s' (%s) broke off: %s", sr->base.name,
			      sr->u.host, why ? why : archive_error_string(a));
		free(why);
		broken = true;
	}
done:
	archive_read_free(a);
	pthread_mutex_destroy(&sp.mu);
	pthread_cond_destroy(&sp.not_empty);
	pthread_cond_destroy(&sp.not_full);
	if (broken)
		fail_pending(items, n, rc < 0 ? rc : DV_ERROR);
	free(index);
	return broken ? (rc < 0 ? rc : DV_ERROR) : 0;
}

typedef struct {
	ssh_session *s;
	dv_transfer *items;
	size_t n;
	int err;
} list_writer;

static void *write_list(void *arg)
{
	list_writer *w = arg;
	dv_buf chunk = DV_BUF_INIT;
	for (size_t i = 0; i < w->n && !w->err; i++) {
		dv_buf_puts(&chunk, w->items[i].relpath);
		dv_buf_putc(&chunk, '\n');
		if (chunk.len >= 65536 || i + 1 == w->n) {
			if (dv_write_all(w->s->in, chunk.ptr, chunk.len) < 0)
				w->err = errno;
			dv_buf_reset(&chunk);
		}
	}
	dv_buf_free(&chunk);
	session_close_input(w->s);
	return NULL;
}

static void mark_missing(ssh_remote *sr, dv_transfer *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].status == 1) {
			dv_error(DV_ENOTFOUND, "object '%s' is not on remote '%s'", items[i].relpath,
				 sr->base.name);
			dv_transfer_fail(&items[i], DV_ENOTFOUND);
		}
}

static int ssh_fetch(dv_remote *r, dv_cache *cache, dv_transfer *items, size_t n, dv_progress *p)
{
	ssh_remote *sr = (ssh_remote *)r;
	dv_buf req = DV_BUF_INIT;
	ssh_session *s;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = session_get(&s, sr)) < 0)
		goto fail_all;
	if (n <= GET_MAX) {
		/* Few objects (e.g. the manifests before their files): one
		 * request line, and the connection stays open. */
		dv_buf_puts(&req, "get");
		for (size_t i = 0; i < n; i++)
			dv_buf_printf(&req, " %s", items[i].relpath);
		dv_buf_putc(&req, '\n');
		if ((rc = session_send(sr, s, req.ptr, req.len, "fetch from")) < 0)
			goto fail_all;
		if ((rc = receive_archive(sr, s, true, cache, items, n, p)) < 0)
			goto done;
		if (session_expect(s, "<dv:end>") < 0) {
			rc = session_error(sr, s, "fetch from");
			goto done;
		}
	} else {
		list_writer w = { s, items, n, 0 };
		pthread_t writer;
		s->final = true;
		if ((rc = session_send(sr, s, "fetch\n", 6, "fetch from")) < 0)
			goto fail_all;
		/* The list goes in while the stream comes out, so neither
		 * side's pipe can fill up and stall the other. */
		if (pthread_create(&writer, NULL, write_list, &w) != 0) {
			rc = dv_error(DV_ERROR, "cannot start a thread");
			goto fail_all;
		}
		rc = receive_archive(sr, s, false, cache, items, n, p);
		pthread_join(writer, NULL);
		if (rc < 0)
			goto done;
		session_wait(s);
		if (WIFEXITED(s->wstatus) && WEXITSTATUS(s->wstatus) == 255) {
			rc = session_error(sr, s, "fetch from");
			goto fail_all;
		}
	}
	mark_missing(sr, items, n);
	rc = dv_transfer_first_failure(items, n);
	goto done;
fail_all:
	fail_pending(items, n, rc);
done:
	dv_buf_free(&req);
	return rc;
}

/* A last request ("rm", "rmtmp") followed by paths on stdin. */
static int paths_request(ssh_remote *sr, const char *verb, const dv_strvec *relpaths)
{
	dv_buf list = DV_BUF_INIT;
	ssh_session *s;
	int rc;

	if ((rc = session_get(&s, sr)) < 0)
		goto done;
	s->final = true;
	dv_buf_printf(&list, "%s\n", verb);
	for (size_t i = 0; i < relpaths->n; i++)
		dv_buf_printf(&list, "%s\n", relpaths->v[i]);
	if ((rc = session_send(sr, s, list.ptr, list.len, "remove objects from")) < 0)
		goto done;
	session_close_input(s);
	if (session_expect(s, "<dv:ok>") < 0)
		rc = session_error(sr, s, "remove objects from");
done:
	dv_buf_free(&list);
	return rc;
}

static int ssh_remove(dv_remote *r, const dv_strvec *relpaths)
{
	return paths_request((ssh_remote *)r, "rm", relpaths);
}

static int ssh_stale_tmp(dv_remote *r, dv_strvec *out, int64_t before_ns)
{
	char stamp[32];
	touch_stamp(stamp, before_ns);
	return list_request((ssh_remote *)r, out, "stale", stamp);
}

static int ssh_remove_tmp(dv_remote *r, const dv_strvec *relpaths)
{
	return paths_request((ssh_remote *)r, "rmtmp", relpaths);
}

static void ssh_free(dv_remote *r)
{
	ssh_remote *sr = (ssh_remote *)r;
	session_free(sr->s);
	dv_ssh_url_free(&sr->u);
	dv_remote_release_base(r);
	free(sr->root);
	free(sr->user);
	free(sr->keyfile);
	free(sr);
}

static const dv_remote_ops ssh_ops = {
	.kind = "ssh",
	.list = ssh_list,
	.list_since = ssh_list_since,
	.exists = ssh_exists,
	.push = ssh_push,
	.fetch = ssh_fetch,
	.remove = ssh_remove,
	.stat_file = ssh_stat_file,
	.download = ssh_download,
	.stale_tmp = ssh_stale_tmp,
	.remove_tmp = ssh_remove_tmp,
	.free = ssh_free,
};

int dv_remote_ssh_open(dv_remote **out, const dv_config *cfg, const char *name, const char *url)
{
	ssh_remote *sr = dv_calloc(1, sizeof(*sr));
	const char *v;
	int rc;

	dv_remote_init_base(&sr->base, &ssh_ops, name, url, SSH_DEFAULT_JOBS);
	if ((rc = dv_ssh_url_parse(&sr->u, url)) < 0)
		goto fail;
	sr->root = dv_strdup(sr->u.path[0] ? sr->u.path : ".");
	sr->port = sr->u.port;
	if (!sr->port && (v = dv_remote_config(cfg, name, "port"))) {
		char *what = dv_asprintf("remote.%s.port", name);
		rc = dv_remote_parse_port(&sr->port, v, strlen(v), what);
		free(what);
		if (rc < 0)
			goto fail;
	}
	v = dv_remote_config(cfg, name, "user");
	sr->user = dv_strdup(sr->u.user ? sr->u.user : v ? v : "");
	if (!sr->user[0]) {
		free(sr->user);
		sr->user = NULL;
	}
	if ((v = dv_remote_config(cfg, name, "keyfile")) && *v)
		sr->keyfile = dv_strdup(v);
	*out = &sr->base;
	return 0;
fail:
	ssh_free(&sr->base);
	return rc;
}

/* For dv doctor (dv_remote_module_versions): the module's own libraries,
 * asked here because only the module links them. */
int dv_net_library_versions(dv_strvec *out)
{
	curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	dv_strvec_push_take(out, dv_asprintf("libcurl %s (%s)", v->version, v->ssl_version ? v->ssl_version : "no TLS"));
	dv_strvec_push(out, archive_version_string());
	return 0;
}
