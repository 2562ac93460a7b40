/*
 * atomicfile.c - temporary file + fsync + rename (see atomicfile.h).
 *
 * The temporary lives in the target's directory because rename(2) is only
 * atomic within one file system.  Its name starts with the target's so a
 * leftover after a crash (kill -9 between open and rename) is recognisable.
 */
#define _POSIX_C_SOURCE 200809L
#include "atomicfile.h"
#include "mlerr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ml_atomic_open(ml_atomic *out, const char *path)
{
	size_t len = strlen(path);
	int fd;

	memset(out, 0, sizeof(*out));
	if (strcmp(path, "-") == 0) {
		out->fp = stdout;
		return 0;
	}
	out->path = strdup(path);
	out->tmp = malloc(len + sizeof(".tmp.XXXXXX"));
	if (!out->path || !out->tmp) {
		free(out->path);
		free(out->tmp);
		memset(out, 0, sizeof(*out));
		return ml_fail("out of memory");
	}
	memcpy(out->tmp, path, len);
	memcpy(out->tmp + len, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	fd = mkstemp(out->tmp);
	if (fd < 0) {
		int err = errno;
		free(out->path);
		free(out->tmp);
		memset(out, 0, sizeof(*out));
		return ml_fail("cannot create '%s': %s", path, strerror(err));
	}
	/* mkstemp makes 0600; outputs are ordinary data files, so give them
	 * the permissions open(2) would have (0666 less the umask). */
	{
		mode_t mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	out->fp = fdopen(fd, "wb");
	if (!out->fp) {
		int err = errno;
		close(fd);
		unlink(out->tmp);
		free(out->path);
		free(out->tmp);
		memset(out, 0, sizeof(*out));
		return ml_fail("cannot open '%s': %s", path, strerror(err));
	}
	return 0;
}

int ml_atomic_write(ml_atomic *f, const void *data, size_t len)
{
	if (len && fwrite(data, 1, len, f->fp) != len)
		return ml_fail("cannot write '%s': %s",
			       f->path ? f->path : "<stdout>", strerror(errno));
	return 0;
}

/* fsync the directory holding `path` so the rename itself is durable. */
static void sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd); /* best effort: some file systems refuse it */
		close(fd);
	}
	free(dir);
}

int ml_atomic_finish(ml_atomic *f)
{
	int err = 0;

	if (!f->fp)
		return f->tmp ? 0 : ml_fail("internal error: finish of a closed file");
	if (!f->tmp) { /* stdout: nothing to close */
		if (fflush(f->fp) != 0 || ferror(f->fp))
			return ml_fail("cannot write <stdout>: %s", strerror(errno));
		return 0;
	}
	errno = 0;
	if (fflush(f->fp) != 0 || ferror(f->fp) || fsync(fileno(f->fp)) != 0)
		err = errno ? errno : EIO;
	if (fclose(f->fp) != 0 && !err)
		err = errno;
	f->fp = NULL;
	if (err) {
		ml_fail("cannot write '%s': %s", f->path, strerror(err));
		ml_atomic_abort(f);
		return -1;
	}
	return 0;
}

int ml_atomic_commit(ml_atomic *f)
{
	int err = 0;

	if (ml_atomic_finish(f) < 0)
		return -1;
	if (!f->tmp) { /* stdout */
		f->fp = NULL;
		return 0;
	}
	if (rename(f->tmp, f->path) != 0) {
		err = errno;
		unlink(f->tmp);
		ml_fail("cannot rename '%s' to '%s': %s", f->tmp, f->path, strerror(err));
	} else {
		sync_parent_dir(f->path);
	}
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	return err ? -1 : 0;
}

void ml_atomic_abort(ml_atomic *f)
{
	if (f->fp && f->tmp)
		fclose(f->fp);
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	f->fp = NULL;
	f->tmp = f->path = NULL;
}

int ml_write_file_atomic(const char *path, const void *data, size_t len)
{
	ml_atomic f;

	if (ml_atomic_open(&f, path) < 0)
		return -1;
	if (ml_atomic_write(&f, data, len) < 0) {
		ml_atomic_abort(&f);
		return -1;
	}
	return ml_atomic_commit(&f);
}
