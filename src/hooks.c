/*
 * hooks.c - installing and uninstalling dv's git hooks, chaining whatever
 * hook was there before.
 *
 * Every step that could lose a user's hook is checked for every hook
 * before the first change (a second foreign hook where the chained name
 * is taken), and each hook changes by rename and atomic write, so a
 * failure leaves each hook either as it was or fully dv's.
 */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/hooks.h"
#include "dv/staleness.h" /* dv_stage_git_add: staging honours core.autostage */

const char *const dv_hook_names[] = { "pre-commit", "post-checkout", "pre-push", NULL };

#define FALLBACK_LINE "dv_fallback=''\n"

void dv_hook_results_free(dv_vec *results)
{
	for (size_t i = 0; i < results->n; i++)
		free(dv_vec_at(results, dv_hook_result, i)->path);
	dv_vec_free(results);
}

int dv_hooks_dir(char **out, dv_repo *repo)
{
	git_repository *git;
	git_config *cfg = NULL;
	git_buf value = { 0 };
	dv_buf path = DV_BUF_INIT;
	int rc = 0;

	if (!(git = dv_repo_git(repo)))
		return DV_ERROR;
	if (git_repository_config_snapshot(&cfg, git) < 0)
		return dv_git_error("cannot read the git config");
	if (git_config_get_path(&value, cfg, "core.hooksPath") == 0 && value.ptr && *value.ptr) {
		/* git runs hooks from the top of the work tree, so that is what
		 * a relative core.hooksPath is relative to. */
		if (value.ptr[0] == '/')
			dv_buf_set(&path, value.ptr);
		else
			dv_path_join(&path, repo->root, value.ptr);
	} else {
		git_error_clear();
		dv_path_join(&path, git_repository_commondir(git), "hooks");
	}
	*out = dv_path_normalize(path.ptr);
	git_buf_dispose(&value);
	git_config_free(cfg);
	dv_buf_free(&path);
	return rc;
}

bool dv_hook_is_ours(const char *path, const char *name)
{
	dv_buf text = DV_BUF_INIT;
	char *marker = dv_asprintf("\n# dv-hook: %s\n", name);
	bool ours = dv_read_file(&text, path) == 0 && strstr(text.ptr, marker) != NULL;

	dv_error_clear();
	free(marker);
	dv_buf_free(&text);
	return ours;
}

/* Does anything (a file, a dangling symlink) sit at `path`? */
static bool occupied(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* The hook's text with the fallback dv filled in. */
static int hook_text(dv_buf *out, const char *scripts_dir, const char *name, const char *dv_path)
{
	dv_buf src = DV_BUF_INIT, path = DV_BUF_INIT;
	char *marker = dv_asprintf("\n# dv-hook: %s\n", name);
	const char *line;
	int rc;

	dv_path_join(&path, scripts_dir, name);
	if ((rc = dv_read_file(&src, path.ptr)) < 0) {
		rc = dv_error_wrap(rc, "cannot read dv's %s hook", name);
		goto done;
	}
	line = strstr(src.ptr, "\n" FALLBACK_LINE);
	if (!strstr(src.ptr, marker) || !line) {
		rc = dv_error(DV_ERROR, "'%s' is not dv's %s hook (no '# dv-hook: %s' or '%s' line)",
			      path.ptr, name, name, "dv_fallback=''");
		goto done;
	}
	line++;
	dv_buf_reset(out);
	dv_buf_add(out, src.ptr, (size_t)(line - src.ptr));
	dv_buf_puts(out, "dv_fallback=");
	dv_buf_put_shell_quoted(out, dv_path ? dv_path : "");
	dv_buf_putc(out, '\n');
	dv_buf_puts(out, line + strlen(FALLBACK_LINE));
done:
	free(marker);
	dv_buf_free(&src);
	dv_buf_free(&path);
	return rc;
}

static int write_hook(const char *path, const dv_buf *text)
{
	int rc = dv_write_file_atomic(path, text->ptr, text->len, 0755);
	/* The umask may have taken the execute bits; git skips a hook
	 * without them. */
	if (rc == 0 && chmod(path, 0755) < 0)
		rc = dv_error_errno(DV_ERROR, "cannot make '%s' executable", path);
	return rc;
}

static dv_hook_result *add_result(dv_vec *results, const char *name, dv_hook_action action,
				  const char *path)
{
	dv_hook_result *r = dv_vec_push(results);
	r->name = name;
	r->action = action;
	r->path = dv_strdup(path);
	return r;
}

static int install_one(dv_vec *results, const char *dir, const char *name, const dv_buf *text)
{
	dv_buf path = DV_BUF_INIT, chained = DV_BUF_INIT, current = DV_BUF_INIT;
	dv_hook_action action = DV_HOOK_INSTALLED;
	int rc = 0;

	dv_path_join(&path, dir, name);
	dv_buf_printf(&chained, "%s%s", path.ptr, DV_HOOK_CHAINED_SUFFIX);
	if (occupied(path.ptr)) {
		if (dv_hook_is_ours(path.ptr, name)) {
			bool same = dv_read_file(&current, path.ptr) == 0 && current.len == text->len &&
				    !memcmp(current.ptr, text->ptr, text->len);
			dv_error_clear();
			if (same) {
				add_result(results, name, DV_HOOK_UNCHANGED, path.ptr);
				goto done;
			}
			action = DV_HOOK_UPDATED;
		} else {
			if (rename(path.ptr, chained.ptr) < 0) {
				rc = dv_error_errno(DV_ERROR, "cannot keep the existing hook '%s' as '%s'",
						    path.ptr, chained.ptr);
				goto done;
			}
			action = DV_HOOK_CHAINED;
		}
	}
	if ((rc = write_hook(path.ptr, text)) < 0) {
		if (action == DV_HOOK_CHAINED && rename(chained.ptr, path.ptr) < 0)
			rc = dv_error_wrap(rc, "your hook is now '%s' (moving it back failed too)", chained.ptr);
		goto done;
	}
	add_result(results, name, action, path.ptr);
done:
	dv_buf_free(&path);
	dv_buf_free(&chained);
	dv_buf_free(&current);
	return rc;
}

int dv_hooks_install(dv_vec *results, dv_repo *repo, const char *scripts_dir, const char *dv_path)
{
	dv_buf texts[3] = { DV_BUF_INIT, DV_BUF_INIT, DV_BUF_INIT };
	dv_buf path = DV_BUF_INIT;
	char *dir = NULL;
	int rc;

	if ((rc = dv_hooks_dir(&dir, repo)) < 0)
		goto done;
	/* Check everything first, so a refusal changes nothing. */
	for (int i = 0; dv_hook_names[i]; i++) {
		const char *name = dv_hook_names[i];
		if ((rc = hook_text(&texts[i], scripts_dir, name, dv_path)) < 0)
			goto done;
		dv_path_join(&path, dir, name);
		if (occupied(path.ptr) && !dv_hook_is_ours(path.ptr, name)) {
			dv_buf_puts(&path, DV_HOOK_CHAINED_SUFFIX);
			if (occupied(path.ptr)) {
				rc = dv_error(DV_EEXISTS, "cannot install the %s hook: '%s/%s' is not dv's, "
					      "and '%s', where dv keeps the hook it replaces, is taken "
					      "already; merge or remove one of the two, then run 'dv install' again",
					      name, dir, name, path.ptr);
				goto done;
			}
		}
	}
	if ((rc = dv_mkdir_p(dir, 0755)) < 0)
		goto done;
	for (int i = 0; dv_hook_names[i]; i++)
		if ((rc = install_one(results, dir, dv_hook_names[i], &texts[i])) < 0)
			goto done;
done:
	for (int i = 0; i < 3; i++)
		dv_buf_free(&texts[i]);
	dv_buf_free(&path);
	free(dir);
	return rc;
}

static int uninstall_one(dv_vec *results, const char *dir, const char *name)
{
	dv_buf path = DV_BUF_INIT, chained = DV_BUF_INIT;
	dv_hook_action action;
	int rc = 0;

	dv_path_join(&path, dir, name);
	dv_buf_printf(&chained, "%s%s", path.ptr, DV_HOOK_CHAINED_SUFFIX);
	if (occupied(path.ptr) && !dv_hook_is_ours(path.ptr, name)) {
		add_result(results, name, DV_HOOK_NOT_OURS, path.ptr);
		goto done;
	}
	/* rename() replaces dv's hook with the chained one in one step; a
	 * hook that was never chained is simply removed. */
	if (occupied(chained.ptr)) {
		if (rename(chained.ptr, path.ptr) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot put '%s' back as '%s'", chained.ptr, path.ptr);
			goto done;
		}
		action = DV_HOOK_RESTORED;
	} else if (occupied(path.ptr)) {
		if (unlink(path.ptr) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot remove '%s'", path.ptr);
			goto done;
		}
		action = DV_HOOK_REMOVED;
	} else {
		action = DV_HOOK_ABSENT;
	}
	add_result(results, name, action, path.ptr);
done:
	dv_buf_free(&path);
	dv_buf_free(&chained);
	return rc;
}

int dv_hooks_uninstall(dv_vec *results, dv_repo *repo)
{
	char *dir = NULL;
	int rc;

	if ((rc = dv_hooks_dir(&dir, repo)) < 0)
		return rc;
	for (int i = 0; dv_hook_names[i] && rc == 0; i++)
		rc = uninstall_one(results, dir, dv_hook_names[i]);
	free(dir);
	return rc;
}

/* ---- the .stage merge driver ------------------------------------------ */

static int local_git_config(git_config **out, dv_repo *repo)
{
	git_repository *git;
	git_config *all = NULL;
	int rc = 0;

	*out = NULL;
	if (!(git = dv_repo_git(repo)))
		return DV_ERROR;
	if (git_repository_config(&all, git) < 0 ||
	    git_config_open_level(out, all, GIT_CONFIG_LEVEL_LOCAL) < 0)
		rc = dv_git_error("cannot open the repository's git config");
	git_config_free(all);
	return rc;
}

/* Find DV_MERGE_ATTR as a line of `text`: its start, or NULL. */
static const char *find_attr_line(const dv_buf *text)
{
	size_t n = strlen(DV_MERGE_ATTR);
	for (const char *p = text->ptr; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, DV_MERGE_ATTR, n) && (p[n] == '\n' || p[n] == '\0'))
			return p;
	return NULL;
}

/* Add (or, with `remove`, take out) the attribute line; stage the file. */
static int edit_gitattributes(bool *changed, dv_repo *repo, bool remove)
{
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT;
	dv_strvec staged = DV_STRVEC_INIT;
	const char *line;
	int rc = 0;

	dv_path_join(&path, repo->root, ".gitattributes");
	if (dv_path_exists(path.ptr) && (rc = dv_read_file(&text, path.ptr)) < 0)
		goto done;
	line = text.ptr ? find_attr_line(&text) : NULL;
	if (!remove && !line) {
		if (text.len && text.ptr[text.len - 1] != '\n')
			dv_buf_putc(&text, '\n');
		dv_buf_puts(&text, DV_MERGE_ATTR "\n");
	} else if (remove && line) {
		size_t at = (size_t)(line - text.ptr), n = strlen(DV_MERGE_ATTR);
		if (at + n < text.len)
			n++; /* its newline */
		memmove(text.ptr + at, text.ptr + at + n, text.len - at - n + 1);
		text.len -= n;
	} else {
		goto done;
	}
	*changed = true;
	if (remove && strspn(text.ptr, " \t\n") == text.len) {
		if (unlink(path.ptr) < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot remove '%s'", path.ptr);
			goto done;
		}
	} else if ((rc = dv_write_file_atomic(path.ptr, text.ptr, text.len, 0644)) < 0) {
		goto done;
	}
	dv_strvec_push(&staged, ".gitattributes");
	rc = dv_stage_git_add(repo, &staged);
done:
	dv_buf_free(&path);
	dv_buf_free(&text);
	dv_strvec_free(&staged);
	return rc;
}

int dv_merge_driver_install(bool *changed, dv_repo *repo, const char *dv_path)
{
	git_config *cfg = NULL;
	git_buf old = { 0 };
	dv_buf driver = DV_BUF_INIT;
	int rc;

	*changed = false;
	if ((rc = local_git_config(&cfg, repo)) < 0)
		return rc;
	if (dv_path)
		dv_buf_put_shell_quoted(&driver, dv_path);
	else
		dv_buf_puts(&driver, "dv");
	dv_buf_puts(&driver, " merge-driver %O %A %B %P");
	if (git_config_get_string_buf(&old, cfg, "merge.dv.driver") < 0 || strcmp(old.ptr, driver.ptr)) {
		git_error_clear();
		if (git_config_set_string(cfg, "merge.dv.name", "dv: .stage files, directory outs file by file") < 0 ||
		    git_config_set_string(cfg, "merge.dv.driver", driver.ptr) < 0) {
			rc = dv_git_error("cannot register the merge driver in the git config");
			goto done;
		}
		*changed = true;
	}
	rc = edit_gitattributes(changed, repo, false);
done:
	git_buf_dispose(&old);
	git_config_free(cfg);
	dv_buf_free(&driver);
	return rc;
}

int dv_merge_driver_uninstall(bool *changed, dv_repo *repo)
{
	static const char *const keys[] = { "merge.dv.driver", "merge.dv.name" };
	git_config *cfg = NULL;
	int rc;

	*changed = false;
	if ((rc = local_git_config(&cfg, repo)) < 0)
		return rc;
	for (size_t i = 0; i < 2; i++) {
		int grc = git_config_delete_entry(cfg, keys[i]);
		if (grc == 0)
			*changed = true;
		else if (grc != GIT_ENOTFOUND) {
			rc = dv_git_error("cannot take the merge driver out of the git config");
			goto done;
		}
		git_error_clear();
	}
	rc = edit_gitattributes(changed, repo, true);
done:
	git_config_free(cfg);
	return rc;
}
