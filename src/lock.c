/*
 * lock.c - the repository lock: flock(2) on .dv/lock.
 *
 * flock is released by the kernel when the holder dies, so there is no
 * stale-lock cleanup to get wrong.  The holder writes its pid into the
 * file so the waiter can name it, and empties it on release: a pid still
 * there when we get the lock means its holder died holding it (SIGKILL, a
 * crash), which is when its leftovers are worth looking for.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dv/buf.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/lock.h"

struct dv_lock {
	int fd;
	long killed_holder; /* pid found in the file on taking it; 0: none */
	struct timespec killed_since; /* when it wrote its pid: took the lock */
};

int dv_lock_acquire(dv_lock **out, const char *dvdir, int timeout_ms)
{
	dv_buf path = DV_BUF_INIT;
	int fd, waited = 0;
	char pid[32];

	dv_path_join(&path, dvdir, "lock");
	fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		int rc = dv_error_errno(DV_ERROR, "cannot open the lock '%s'", path.ptr);
		dv_buf_free(&path);
		return rc;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 50 * 1000000L };
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int rc = dv_error_errno(DV_ERROR, "cannot lock '%s'", path.ptr);
			close(fd);
			dv_buf_free(&path);
			return rc;
		}
		if (waited >= timeout_ms) {
			char holder[32] = "";
			ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
			holder[n > 0 ? n : 0] = '\0';
			holder[strcspn(holder, "\n")] = '\0';
			close(fd);
			dv_error(DV_ELOCKED, "the repository is locked by another dv process (pid %s, lock '%s'): wait for it to finish",
				 holder[0] ? holder : "unknown", path.ptr);
			dv_buf_free(&path);
			return DV_ELOCKED;
		}
		nanosleep(&ts, NULL);
		waited += 50;
	}
	*out = dv_calloc(1, sizeof(**out));
	{
		struct stat st;
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		if (fstat(fd, &st) == 0)
			(*out)->killed_since = st.st_mtim;
	}
	(*out)->fd = fd;
	(*out)->killed_holder = atol(pid);
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, strlen(pid), 0);
	dv_buf_free(&path);
	return 0;
}

long dv_lock_killed_holder(const dv_lock *lock)
{
	return lock->killed_holder;
}

struct timespec dv_lock_killed_since(const dv_lock *lock)
{
	return lock->killed_since;
}

void dv_lock_release(dv_lock *lock)
{
	if (!lock)
		return;
	/* Leave the file: unlinking it would race with a waiter that has
	 * already opened it. */
	(void)!ftruncate(lock->fd, 0);
	close(lock->fd);
	free(lock);
}
