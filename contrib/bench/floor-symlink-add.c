/*
 * floor-symlink-add.c - the system calls a symlink-mode add of a directory
 * cannot avoid, and nothing else: bench-floors' second floor for that row.
 *
 *   floor-symlink-add TREE CACHE
 *
 * Walks TREE (readdir and one lstat a file), then on every core, a run of
 * files at a time: open, read and XXH3-128 the bytes, fchmod 0444, rename
 * into CACHE/XX/<30 hex> (RENAME_NOREPLACE), a symlink in the file's place,
 * fstat, close.  No stat cache, no manifest, no journal, no .stage: what
 * is left is the kernel's work (inode creation, two directory updates, the
 * copy out of the page cache) and the hashing.  Prints the files done.
 * Built by bench-floors with the system's cc; not part of dv.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define RUN 64

static char **paths;
static size_t npaths, cap;
static const char *cache;
static atomic_size_t next_run;
static atomic_int failed;

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d) {
		perror(dir);
		exit(2);
	}
	while ((e = readdir(d))) {
		char *p;
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0 || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			perror(dir);
			exit(2);
		}
		if (S_ISDIR(st.st_mode)) {
			walk(p);
			free(p);
		} else if (S_ISREG(st.st_mode)) {
			if (npaths == cap && !(paths = realloc(paths, (cap = cap ? 2 * cap : 1024) * sizeof(*paths))))
				exit(2);
			paths[npaths++] = p;
		} else {
			free(p);
		}
	}
	closedir(d);
}

static int one(const char *path, char *buf, size_t bufsize)
{
	char obj[4096], target[4096];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = read(fd, buf, bufsize);
	if (n < 0 || (size_t)n == bufsize) { /* the benchmark's files are small */
		close(fd);
		return -1;
	}
	XXH128_hash_t h = XXH3_128bits(buf, (size_t)n);
	snprintf(obj, sizeof(obj), "%s/%02x/%014llx%016llx", cache, (unsigned)(h.high64 >> 56),
		 (unsigned long long)(h.high64 & 0xffffffffffffffull), (unsigned long long)h.low64);
	/* A target as long as dv's ("../../.dv/o/XX/<30 hex>"): it fits in
	 * the inode, as dv's does. */
	snprintf(target, sizeof(target), "../../.dv/o/%s", obj + strlen(obj) - 33);
	if (fchmod(fd, 0444) < 0 || renameat2(AT_FDCWD, path, AT_FDCWD, obj, RENAME_NOREPLACE) < 0 ||
	    symlink(target, path) < 0 || fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void *worker(void *arg)
{
	size_t bufsize = 1u << 20;
	char *buf = malloc(bufsize);
	(void)arg;
	for (;;) {
		size_t start = atomic_fetch_add(&next_run, RUN);
		if (start >= npaths || !buf)
			break;
		for (size_t i = start; i < start + RUN && i < npaths; i++)
			if (one(paths[i], buf, bufsize) < 0) {
				perror(paths[i]);
				atomic_store(&failed, 1);
			}
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th[256];
	int nth = ncpu < 1 ? 1 : ncpu > 256 ? 256 : (int)ncpu;

	if (argc != 3) {
		fprintf(stderr, "usage: floor-symlink-add TREE CACHE\n");
		return 2;
	}
	cache = argv[2];
	for (int x = 0; x < 256; x++) {
		char d[4096];
		snprintf(d, sizeof(d), "%s/%02x", cache, x);
		if (mkdir(d, 0755) < 0 && errno != EEXIST) {
			perror(d);
			return 2;
		}
	}
	walk(argv[1]);
	for (int t = 0; t < nth; t++)
		pthread_create(&th[t], NULL, worker, NULL);
	for (int t = 0; t < nth; t++)
		pthread_join(th[t], NULL);
	printf("%zu files\n", npaths);
	return failed;
}
