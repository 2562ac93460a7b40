/*
 * cmd_import_url.c - single files from object stores and servers:
 *   dv import-url [-q] URL [OUT]   track it as OUT.stage, whose [source]
 *                                  records the URL, ETag, size and mtime
 *   dv get-url [-q] URL [OUT]      a plain download, untracked
 * and the URL half of `dv update` (cli_update_url), which fetches again
 * only when the source changed.  URLs: s3://, http(s)://, ssh://.
 *
 * OUT defaults to the URL's file name in the current directory (a name
 * of "." or ".." is refused); inside a repository OUT must stay in the
 * work tree and out of .git and .dv, checked as every path dv writes.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "url_cli.h"
#include "dv/config.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/lock.h"
#include "dv/progress.h"
#include "dv/remote.h"
#include "dv/staleness.h"
#include "dv/url_import.h"
#include "dv/workspace.h"

static const char *const import_usage[] = { "dv import-url [-q] URL [OUT]", NULL };
static const char *const get_usage[] = { "dv get-url [-q] URL [OUT]", NULL };

/* URL and OUT (the URL's file name when not given); -1 to go on. */
static int parse(char **out, int argc, char **argv, const char *const *usage)
{
	int c;

	*out = NULL;
	while ((c = cli_getopt(argc, argv, "", NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage);
		return 2;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error(usage, "name the URL of a file, and optionally where it goes");
	if (argc - optind == 2) {
		*out = dv_strdup(argv[optind + 1]);
	} else if (dv_url_file_name(out, argv[optind]) < 0) {
		return cli_usage_error(usage, "%s", dv_error_last());
	}
	dv_progress_enable(!cli_quiet);
	return -1;
}

/* Fetch the stage's URL into the cache, record it, check it out. */
static int fetch_into(dv_repo *repo, dv_stage *st, dv_url_file *f, const dv_remote_file_info *info,
		      dv_strvec *to_stage)
{
	dv_stage_file *out = dv_stage_out(st, 0);
	char *rel = dv_stage_entry_relpath(st, out->path);
	dv_progress *p = dv_progress_new("Downloading", 1, info->size);
	int rc;

	if ((rc = dv_repo_check_path(repo, rel, 0)) < 0)
		goto done;
	rc = dv_url_file_fetch(&out->hash, &out->size, f, repo->cache, p);
	dv_progress_done(p);
	if (rc < 0)
		goto done;
	out->has_hash = out->has_size = true;
	out->is_dir = out->has_files = false;
	dv_url_file_record(st, st->source->url, info);
	if ((rc = cli_import_checkout(repo, st, rel)) == 0)
		rc = dv_stage_store(repo, st, to_stage);
done:
	free(rel);
	return rc;
}

int cmd_import_url(int argc, char **argv, dv_repo *repo)
{
	dv_strvec to_stage = DV_STRVEC_INIT;
	dv_remote_file_info info = { 0, 0, NULL };
	struct dv_lock *lock = NULL;
	dv_url_file *f = NULL;
	dv_stage *st = NULL;
	char *out_arg = NULL, *rel = NULL, *stage_path = NULL;
	int rc;

	if ((rc = parse(&out_arg, argc, argv, import_usage)) >= 0)
		return rc;
	if ((rc = cli_import_target(&rel, &stage_path, repo, out_arg)) < 0)
		goto done;
	if (!(lock = cli_lock(repo))) {
		rc = 1;
		goto done;
	}
	if ((rc = dv_url_file_open(&f, repo->config, argv[optind], repo->root)) < 0 ||
	    (rc = dv_url_file_stat(&info, f)) < 0)
		goto done;
	st = dv_stage_new(stage_path);
	dv_stage_add_out(st, dv_path_basename(rel));
	dv_url_file_record(st, argv[optind], &info);
	if ((rc = fetch_into(repo, st, f, &info, &to_stage)) < 0)
		goto done;
	{
		char *shown = dv_repo_display_path(repo, rel);
		cli_info("imported %s as %s (%s)\n", argv[optind], shown, stage_path);
		free(shown);
	}
	rc = dv_stage_git_add(repo, &to_stage);
done:
	dv_remote_file_info_free(&info);
	dv_url_file_free(f);
	dv_stage_free(st);
	dv_strvec_free(&to_stage);
	free(out_arg);
	free(rel);
	free(stage_path);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	return rc == 1 ? 1 : rc < 0 ? cli_fail(rc) : 0;
}

int cli_update_url(dv_repo *repo, dv_stage *st, dv_strvec *to_stage)
{
	dv_remote_file_info info = { 0, 0, NULL };
	dv_url_file *f = NULL;
	dv_ws_state ws;
	char *rel = dv_stage_entry_relpath(st, dv_stage_out(st, 0)->path), *shown = NULL;
	int rc;

	if ((rc = dv_url_file_open(&f, repo->config, st->source->url, repo->root)) < 0 ||
	    (rc = dv_url_file_stat(&info, f)) < 0)
		goto done;
	shown = dv_repo_display_path(repo, rel);
	if (!dv_url_file_changed(st->source, &info) && dv_stage_out(st, 0)->has_hash &&
	    dv_workspace_compare(repo, dv_stage_out(st, 0), rel, &ws) == DV_WS_SAME) {
		cli_info("%s is up to date with %s\n", shown, st->source->url);
		goto done;
	}
	if ((rc = fetch_into(repo, st, f, &info, to_stage)) == 0)
		cli_info("updated %s from %s\n", shown, st->source->url);
done:
	dv_remote_file_info_free(&info);
	dv_url_file_free(f);
	free(rel);
	free(shown);
	return rc;
}

static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *joined, *norm;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return dv_path_normalize(path);
	joined = dv_asprintf("%s/%s", cwd, path);
	norm = dv_path_normalize(joined);
	free(joined);
	return norm;
}

int cmd_get_url(int argc, char **argv, dv_repo *unused)
{
	dv_config *cfg = NULL;
	dv_repo *repo = NULL;
	dv_url_file *f = NULL;
	dv_remote_file_info info = { 0, 0, NULL };
	dv_progress *p = NULL;
	char *out_arg = NULL, *dest = NULL, *rel = NULL;
	int rc;

	(void)unused;
	if ((rc = parse(&out_arg, argc, argv, get_usage)) >= 0)
		return rc;
	if (dv_is_dir(out_arg)) { /* into a directory, as cp does */
		char *name = NULL, *into = out_arg;
		if ((rc = dv_url_file_name(&name, argv[optind])) < 0)
			goto done;
		out_arg = dv_asprintf("%s/%s", into, name);
		free(into);
		free(name);
	}
	dest = absolute(out_arg);
	/* Inside a repository its settings (remotes' endpoints, keys) apply,
	 * and an OUT inside its work tree gets the checks of every path dv
	 * writes: not into .git or .dv, not through a symlink leading out. */
	if (dv_repo_open(&repo, NULL) == 0) {
		char *inside = dv_path_relative_to(dest, repo->root);
		if (inside && (rc = dv_repo_relpath(&rel, repo, out_arg)) == 0)
			rc = dv_repo_check_path(repo, rel, 0);
		free(inside);
		if (rc < 0)
			goto done;
	} else {
		dv_error_clear();
		if ((rc = dv_config_load(&cfg, NULL)) < 0)
			goto done;
	}
	if ((rc = dv_url_file_open(&f, repo ? repo->config : cfg, argv[optind], repo ? repo->root : NULL)) < 0 ||
	    (rc = dv_url_file_stat(&info, f)) < 0)
		goto done;
	p = dv_progress_new("Downloading", 1, info.size);
	rc = dv_url_file_download(f, dest, p);
	dv_progress_done(p);
	if (rc == 0)
		cli_info("got %s as %s\n", argv[optind], out_arg);
done:
	dv_remote_file_info_free(&info);
	dv_url_file_free(f);
	dv_config_free(cfg);
	dv_repo_free(repo);
	free(out_arg);
	free(dest);
	free(rel);
	return rc < 0 ? cli_fail(rc) : 0;
}
