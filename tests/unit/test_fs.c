/* fs: atomic writes leave no temp files, path normalisation and containment. */
#include <dirent.h>
#include <sys/stat.h>

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

TEST(normalize_paths)
{
	struct { const char *in, *out; } cases[] = {
		{ "a/b/../c", "a/c" }, { "./a//b/", "a/b" }, { "a/..", "." },
		{ "../x", "../x" }, { "a/../../x", "../x" }, { "/a/./b/../c", "/a/c" },
		{ "/..", "/" }, { "", "." },
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
	  aborted_tmpfile_is_removed, normalize_paths, relative_to_and_within, dirname_basename_join,
	  buf_printf_grows)
