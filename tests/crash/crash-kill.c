/*
 * crash-kill.c - run a command and SIGKILL it, and everything it started,
 * a given number of microseconds after it began: the kill -9 harness's
 * (tests/crash/run.sh) way of stopping dv at an exact, repeatable moment.
 *
 *   crash-kill USEC CMD [ARG...]   run CMD; kill its whole process tree
 *                                  USEC microseconds after the fork
 *                                  (0: never, just time it)
 *   crash-kill pick SEED N         print a number in [0, N) drawn from SEED
 *                                  (splitmix64), so trials are repeatable
 *                                  without relying on awk's or sh's random
 *
 * The tree, not only dv: a machine that dies takes dv's children (ssh, the
 * commands of repro stages) with it, and a stage command left running
 * would race the rerun the harness starts next.  Orphans are caught by
 * making this process a child subreaper, so a grandchild whose parent was
 * killed is re-parented here and killed too.
 *
 * Prints one line on stdout: "killed USEC" when the kill landed (the
 * microseconds the command ran), or "exited RC USEC" when the command
 * finished first.  The command's own stdout goes to stderr, so that line
 * is all stdout holds.  Exit status 0 either way; 2 on bad usage or when the
 * command cannot be started.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The parent pid of `pid` from /proc, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	pid_t ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		/* "pid (comm) state ppid": comm may hold spaces and ')' */
		char *p = strrchr(buf, ')');
		if (p && sscanf(p + 1, " %*c %d", &ppid) != 1)
			ppid = -1;
	}
	fclose(f);
	return ppid;
}

/* SIGKILL every process whose parent chain reaches us; returns how many. */
static int kill_descendants(void)
{
	pid_t self = getpid();
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name), q = pid;
		if (pid <= 0 || pid == self)
			continue;
		for (int depth = 0; q > 1 && q != self && depth < 64; depth++)
			q = parent_of(q);
		if (q == self && kill(pid, SIGKILL) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int run(int64_t delay_us, char **argv)
{
	int64_t start = now_us();
	int status = 0, pidfd;
	pid_t pid;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = fork();
	if (pid < 0) {
		perror("crash-kill: fork");
		return 2;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(2, 1); /* stdout is the verdict's alone */
		execvp(argv[0], argv);
		fprintf(stderr, "crash-kill: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (delay_us > 0) {
		struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
		int ready = 0;
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			/* No handlers are installed, so no EINTR to retry. */
			ready = ppoll(&p, 1, &ts, NULL);
		} else {
			nanosleep(&ts, NULL);
		}
		if (ready == 0 && waitpid(pid, &status, WNOHANG) == 0) {
			int64_t ran = now_us() - start;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			/* Until none are left: a child may fork while we look. */
			while (kill_descendants() > 0)
				while (waitpid(-1, NULL, WNOHANG) > 0)
					;
			while (waitpid(-1, NULL, 0) > 0)
				;
			printf("killed %" PRId64 "\n", ran);
			return 0;
		}
	}
	waitpid(pid, &status, 0);
	{
		int64_t ran = now_us() - start;
		/* Leftover daemons of the command (none expected) go too. */
		while (kill_descendants() > 0)
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		printf("exited %d %" PRId64 "\n",
		       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ran);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "pick")) {
		uint64_t x = strtoull(argv[2], NULL, 10);
		uint64_t n = strtoull(argv[3], NULL, 10);
		printf("%" PRIu64 "\n", n ? splitmix64(&x) % n : 0);
		return 0;
	}
	if (argc >= 3) {
		char *end;
		long long us = strtoll(argv[1], &end, 10);
		if (*end == '\0' && us >= 0) {
			setvbuf(stdout, NULL, _IOLBF, 0);
			return run(us, argv + 2);
		}
	}
	fprintf(stderr, "usage: crash-kill USEC CMD [ARG...] | crash-kill pick SEED N\n");
	return 2;
}
