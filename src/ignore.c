/*
 * ignore.c - the .gitignore entries that keep tracked data out of git.
 *
 * dv writes "/name" into the .gitignore of the data's own directory (as
 * DVC does): the entry moves with the directory and reads clearly in a
 * diff.  Lines are matched exactly; other lines are never touched.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/ignore.h"

/* The .gitignore path (repo-relative) and the entry for relpath. */
static void entry_for(dv_buf *gitignore, dv_buf *line, const char *relpath)
{
	char *dir = dv_path_dirname(relpath);
	dv_path_join(gitignore, dir, ".gitignore");
	dv_buf_reset(line);
	dv_buf_putc(line, '/');
	dv_buf_puts(line, dv_path_basename(relpath));
	free(dir);
}

/* Offset of the line equal to `line` in text, or -1. */
static long find_line(const dv_buf *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text->ptr; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !memcmp(p, line, n))
			return p - text->ptr;
		p = end ? end + 1 : NULL;
	}
	return -1;
}

/* Read a .gitignore dv is about to rewrite.  One that is a symlink is
 * refused: its target's bytes (a key, another repository's file) would be
 * copied into a file git stages and pushes. */
static int read_gitignore(dv_buf *text, const char *abs, const char *rel)
{
	struct stat st;
	if (lstat(abs, &st) == 0 && !S_ISREG(st.st_mode))
		return dv_error(DV_ERROR, "'%s' is not a regular file (a symlink?): dv does not write through it; "
				"replace it with a plain .gitignore", rel);
	return dv_read_file(text, abs);
}

int dv_gitignore_add(char **gitignore_out, dv_repo *repo, const char *relpath)
{
	dv_buf rel = DV_BUF_INIT, line = DV_BUF_INIT, abs = DV_BUF_INIT, text = DV_BUF_INIT;
	int rc = 0;

	entry_for(&rel, &line, relpath);
	dv_repo_abspath(&abs, repo, rel.ptr);
	rc = read_gitignore(&text, abs.ptr, rel.ptr);
	if (rc < 0 && rc != DV_ENOTFOUND)
		goto done;
	rc = 0;
	if (find_line(&text, line.ptr) < 0) {
		if (text.len && text.ptr[text.len - 1] != '\n')
			dv_buf_putc(&text, '\n');
		dv_buf_printf(&text, "%s\n", line.ptr);
		rc = dv_write_file_atomic(abs.ptr, text.ptr, text.len, 0644);
	}
	if (rc == 0 && gitignore_out)
		*gitignore_out = dv_buf_detach(&rel);
done:
	dv_buf_free(&rel);
	dv_buf_free(&line);
	dv_buf_free(&abs);
	dv_buf_free(&text);
	return rc;
}

int dv_gitignore_remove(char **gitignore_out, dv_repo *repo, const char *relpath)
{
	dv_buf rel = DV_BUF_INIT, line = DV_BUF_INIT, abs = DV_BUF_INIT, text = DV_BUF_INIT;
	long at;
	int rc;

	entry_for(&rel, &line, relpath);
	dv_repo_abspath(&abs, repo, rel.ptr);
	rc = read_gitignore(&text, abs.ptr, rel.ptr);
	if (rc == DV_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	at = find_line(&text, line.ptr);
	if (at >= 0) {
		dv_buf out = DV_BUF_INIT;
		size_t skip = line.len + (text.ptr[at + (long)line.len] == '\n');
		dv_buf_add(&out, text.ptr, (size_t)at);
		dv_buf_puts(&out, text.ptr + at + (long)skip);
		/* An emptied .gitignore that dv made goes away entirely. */
		if (out.len == 0)
			rc = dv_remove_tree(abs.ptr);
		else
			rc = dv_write_file_atomic(abs.ptr, out.ptr, out.len, 0644);
		dv_buf_free(&out);
		if (rc == 0 && gitignore_out)
			*gitignore_out = dv_buf_detach(&rel);
	}
done:
	dv_buf_free(&rel);
	dv_buf_free(&line);
	dv_buf_free(&abs);
	dv_buf_free(&text);
	return rc;
}
