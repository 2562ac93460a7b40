/* fs: atomic writes leave no temp files, temp files of killed writers are
 * told from live ones, path normalisation and containment. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dv/fs.h"
#include "test.h"

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

TEST(atomic_write_replaces_and_leaves_nothing_else)
{
	char dir[4200], path[4300];
	dv_buf b = DV_BUF_INIT;
	snprintf(dir, sizeof(dir), "%s/atomic", test_tmpdir());
	CHECK_OK(dv_mkdir_p(dir, 0777));
	snprintf(path, sizeof(path), "%s/file", dir);
	CHECK_OK(dv_write_file_atomic(path, "one", 3, 0644));
	CHECK_OK(dv_write_file_atomic(path, "two!", 4, 0600));
	CHECK_OK(dv_read_file(&b, path));
	CHECK_STR(b.ptr, "two!");
	CHECK_INT(count_entries(dir), 1);
	dv_buf_free(&b);
}

TEST(atomic_write_into_missing_dir_fails_cleanly)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/no/such/dir/file", test_tmpdir());
	CHECK_FAILS(dv_write_file_atomic(path, "x", 1, 0644), "no/such/dir/file");
}

TEST(aborted_tmpfile_is_removed)
{
	char dir[4200], path[4300];
	dv_buf tmp = DV_BUF_INIT;
	int fd;
	snprintf(dir, sizeof(dir), "%s/abort", test_tmpdir());
	CHECK_OK(dv_mkdir_p(dir, 0777));
	snprintf(path, sizeof(path), "%s/final", dir);
	CHECK_OK(dv_tmpfile_open(&fd, &tmp, path, 0644));
	CHECK_INT(count_entries(dir), 1);
	/* The signal handler's path: every registered temp goes. */
	dv_tmpfiles_remove_all();
	CHECK_INT(count_entries(dir), 0);
	close(fd);
	dv_tmpfile_unregister(tmp.ptr);
	dv_buf_free(&tmp);
}

/* A pid that ran and is gone (reaped), for names of "killed" writers. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void touch_at(const char *dir, const char *name)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	close(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
}

static bool exists_at(const char *dir, const char *name)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return dv_path_exists(path);
}

TEST(temp_file_of_a_killed_writer_is_stale)
{
	char dir[4200], path[4300];
	dv_buf tmp = DV_BUF_INIT;
	const char *base;
	pid_t child;
	int fd, dfd, pipefd[2];

	snprintf(dir, sizeof(dir), "%s/killed", test_tmpdir());
	CHECK_OK(dv_mkdir_p(dir, 0777));
	snprintf(path, sizeof(path), "%s/object", dir);
	/* A child opens a temp file as dv does and is SIGKILLed mid-write. */
	CHECK(pipe(pipefd) == 0);
	child = fork();
	if (child == 0) {
		if (dv_tmpfile_open(&fd, &tmp, path, 0644) == 0)
			(void)!write(pipefd[1], tmp.ptr, tmp.len);
		close(pipefd[1]);
		pause();
		_exit(1);
	}
	close(pipefd[1]);
	dv_buf_grow(&tmp, 4096);
	tmp.len = (size_t)read(pipefd[0], tmp.ptr, 4095);
	tmp.ptr[tmp.len] = '\0';
	close(pipefd[0]);
	base = dv_path_basename(tmp.ptr);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	/* Alive, it is not stale; killed, it is, and a sweep removes it. */
	CHECK(!dv_tmpfile_is_stale(dfd, base));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	CHECK(dv_path_exists(tmp.ptr));
	CHECK(dv_tmpfile_is_stale(dfd, base));
	/* Our own live temp file is never stale. */
	CHECK_OK(dv_tmpfile_open(&fd, &tmp, path, 0644));
	CHECK(!dv_tmpfile_is_stale(dfd, dv_path_basename(tmp.ptr)));
	dv_tmpfile_abort(fd, tmp.ptr);
	close(dfd);
	dv_buf_free(&tmp);
}

TEST(sweep_removes_only_temp_files_of_gone_writers)
{
	char dir[4200], dead[128], live[128], locked[128];
	pid_t gone = dead_pid();
	size_t removed = 0;
	int fd;

	snprintf(dir, sizeof(dir), "%s/sweep", test_tmpdir());
	CHECK_OK(dv_mkdir_p(dir, 0777));
	snprintf(dead, sizeof(dead), ".data.csv.tmp-%lx-7", (unsigned long)gone << 32 | 0xbeefUL);
	snprintf(live, sizeof(live), ".data.csv.tmp-%lx-8", (unsigned long)getppid() << 32 | 0xbeefUL);
	/* A gone pid whose file is locked: a writer in another pid namespace. */
	snprintf(locked, sizeof(locked), ".model.bin.tmp-%lx-9", (unsigned long)gone << 32 | 0xf00dUL);
	touch_at(dir, dead);
	touch_at(dir, live);
	touch_at(dir, locked);
	/* Not ours though they look alike: a user's files stay. */
	touch_at(dir, ".notes.tmp-draft");
	touch_at(dir, ".tmp-1-2");
	touch_at(dir, "data.csv.tmp-100000000-1");
	touch_at(dir, ".x.tmp-100000000-1~");
	{
		char p[4400];
		snprintf(p, sizeof(p), "%s/%s", dir, locked);
		fd = open(p, O_RDONLY);
		CHECK(flock(fd, LOCK_EX) == 0);
	}
	CHECK_OK(dv_tmpfile_sweep_dir(&removed, dir));
	CHECK_INT(removed, 1);
	CHECK(!exists_at(dir, dead));
	CHECK(exists_at(dir, live));
	CHECK(exists_at(dir, locked));
	CHECK(exists_at(dir, ".notes.tmp-draft"));
	CHECK(exists_at(dir, ".tmp-1-2"));
	CHECK(exists_at(dir, "data.csv.tmp-100000000-1"));
	CHECK(exists_at(dir, ".x.tmp-100000000-1~"));
	/* Unlocked, the other namespace's writer is gone too. */
	close(fd);
	CHECK_OK(dv_tmpfile_sweep_dir(&removed, dir));
	CHECK_INT(removed, 2);
	CHECK(!exists_at(dir, locked));
	/* A missing directory holds none. */
	CHECK_OK(dv_tmpfile_sweep_dir(&removed, "/nonexistent/dv-sweep"));
}

TEST(normalize_paths)
{
	struct { const char *in, *out; } cases[] = {
		{ "a/b/../c", "a/c" }, { "./a//b/", "a/b" }, { "a/..", "." },
		{ "../x", "../x" }, { "a/../../x", "../x" }, { "/a/./b/../c", "/a/c" },
		{ "/..", "/" }, { "", "." }, { "../../a/..", "../.." }, { "a/b/../../..", ".." },
		{ "/a/../../b", "/b" }, { ".", "." }, { "/", "/" }, { "a/./b/.", "a/b" },
		{ "..a/b", "..a/b" }, { "a/..b/..", "a" }, { "../..", "../.." }, { "d/x.txt", "d/x.txt" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = dv_path_normalize(cases[i].in);
		CHECK_STR(n, cases[i].out);
		free(n);
	}
}

TEST(relative_to_and_within)
{
	char *r = dv_path_relative_to("/repo/data/x.csv", "/repo");
	CHECK_STR(r, "data/x.csv");
	free(r);
	r = dv_path_relative_to("/repo", "/repo/");
	CHECK_STR(r, "");
	free(r);
	CHECK(dv_path_relative_to("/repository/x", "/repo") == NULL);
	CHECK(dv_path_is_within("data/x", "data"));
	CHECK(dv_path_is_within("data", "data"));
	CHECK(!dv_path_is_within("database", "data"));
	CHECK(dv_path_is_within("anything", ""));
}

TEST(dirname_basename_join)
{
	dv_buf b = DV_BUF_INIT;
	char *d = dv_path_dirname("a/b/c");
	CHECK_STR(d, "a/b");
	free(d);
	d = dv_path_dirname("c");
	CHECK_STR(d, ".");
	free(d);
	CHECK_STR(dv_path_basename("a/b/c"), "c");
	dv_path_join(&b, ".", "x");
	CHECK_STR(b.ptr, "x");
	dv_path_join(&b, "a/", "x");
	CHECK_STR(b.ptr, "a/x");
	dv_buf_free(&b);
}

TEST(buf_printf_grows)
{
	dv_buf b = DV_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		dv_buf_printf(&b, "%04d,", i);
	CHECK_INT(b.len, 5000);
	CHECK(!strncmp(b.ptr + 4995, "0999,", 5));
	dv_buf_free(&b);
}

TEST_MAIN(atomic_write_replaces_and_leaves_nothing_else, atomic_write_into_missing_dir_fails_cleanly,
	  aborted_tmpfile_is_removed, temp_file_of_a_killed_writer_is_stale,
	  sweep_removes_only_temp_files_of_gone_writers, normalize_paths, relative_to_and_within, dirname_basename_join,
	  buf_printf_grows)
