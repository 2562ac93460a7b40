/*
 * cmd_get.c - data from another dv repository:
 *   dv get URL PATH [-o OUT] [--rev REV]     a plain copy, untracked
 *   dv import URL PATH [-o OUT] [--rev REV]  tracked as OUT.stage, with a
 *                                            [source] section naming where
 *                                            it came from
 *   dv update [--rev REV] TARGET...          follow the source of imports
 *
 * `get` works outside a repository too (a scratch cache beside OUT is used
 * and removed); inside one the objects land in the cache, where the next
 * get of the same data finds them.  A relative local URL given to import
 * is recorded relative to the repository root, so `dv update` finds the
 * source from any directory, and from any clone laid out the same way.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "url_cli.h"
#include "dv/cache.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/get.h"
#include "dv/lock.h"
#include "dv/remote.h"
#include "dv/staleness.h"
#include "dv/workspace.h"
#include "remote_kinds.h"

static const char *const get_usage[] = {
	"dv get [-o OUT] [--rev REV] [-j N] [-q] URL PATH",
	NULL,
};

static const char *const import_usage[] = {
	"dv import [-o OUT] [--rev REV] [-j N] [-q] URL PATH",
	NULL,
};

static const char *const update_usage[] = {
	"dv update [--rev REV] [-j N] [-q] TARGET...",
	NULL,
};

typedef struct {
	const char *out;
	const char *rev;
	int jobs;
} get_args;

/* Options shared by get, import and update; -1 to go on, else the exit code. */
static int parse_args(get_args *a, int argc, char **argv, const char *const *usage, bool with_out)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "rev", required_argument, NULL, 'R' },
		{ "jobs", required_argument, NULL, 'j' },
		{ 0, 0, 0, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = cli_getopt(argc, argv, "o:j:", longopts)) != -1) {
		switch (c) {
		case 'o':
			if (!with_out)
				return cli_usage_error(usage, "-o is for get and import; update writes where the import did");
			a->out = optarg;
			break;
		case 'R':
			a->rev = optarg;
			break;
		case 'j':
			if (dv_parse_jobs(&a->jobs, optarg, "-j") < 0)
				return cli_usage_error(usage, "%s", dv_error_last());
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	dv_progress_enable(!cli_quiet);
	return -1;
}

/* Where the data goes: OUT, inside OUT when it is a directory, or the
 * last component of PATH in the cwd (as cp and DVC do). */
static char *output_path(const char *out, const char *path)
{
	char *norm = dv_path_normalize(path);
	char *dest;

	if (!out)
		dest = dv_strdup(dv_path_basename(norm));
	else if (dv_is_dir(out))
		dest = dv_asprintf("%s/%s", out, dv_path_basename(norm));
	else
		dest = dv_strdup(out);
	free(norm);
	return dest;
}

static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *joined, *norm;

	if (path[0] == '/')
		return dv_path_normalize(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return dv_path_normalize(path);
	joined = dv_asprintf("%s/%s", cwd, path);
	norm = dv_path_normalize(joined);
	free(joined);
	return norm;
}

static void report_fetch(const char *verb, const dv_source *src, const dv_source_stats *st,
			 const char *path, const char *shown)
{
	cli_info("%s %s (commit %.7s) as %s: %zu object%s, %zu fetched\n", verb, path,
		 dv_source_commit(src), shown, st->objects, st->objects == 1 ? "" : "s", st->fetched);
}

int cmd_get(int argc, char **argv, dv_repo *unused)
{
	dv_repo *repo = NULL;
	dv_source *src = NULL;
	dv_cache *cache = NULL;
	dv_source_item item;
	dv_source_stats stats;
	get_args a;
	char *dest = NULL, *scratch = NULL, *parent = NULL;
	const char *tmp_parent = NULL;
	dv_buf tmp = DV_BUF_INIT;
	int rc;

	(void)unused;
	if ((rc = parse_args(&a, argc, argv, get_usage, true)) >= 0)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error(get_usage, "get needs a repository URL and a PATH in it");
	scratch = output_path(a.out, argv[optind + 1]);
	dest = absolute(scratch);
	free(scratch);
	scratch = NULL;
	parent = dv_path_dirname(dest);
	/* Inside a dv repository its cache keeps what was fetched; outside,
	 * a scratch cache beside OUT (so links can be reflinks) goes away. */
	if (dv_repo_open(&repo, NULL) == 0) {
		dv_path_join(&tmp, repo->dvdir, "tmp");
		tmp_parent = tmp.ptr;
		rc = dv_cache_open(&cache, repo->cache->dir, "reflink,copy");
	} else {
		char *tmpl = dv_asprintf("%s/.dv-get-XXXXXX", parent);
		dv_error_clear();
		if (dv_mkdir_p(parent, 0755) < 0 || !mkdtemp(tmpl)) {
			rc = dv_error_errno(DV_ERROR, "cannot create a scratch directory in '%s'", parent);
			free(tmpl);
			goto done;
		}
		scratch = tmpl;
		tmp_parent = scratch;
		dv_path_join(&tmp, scratch, "cache");
		rc = dv_cache_open(&cache, tmp.ptr, "reflink,copy");
	}
	if (rc < 0)
		goto done;
	if ((rc = dv_source_open(&src, argv[optind], a.rev, NULL, tmp_parent)) < 0)
		goto done;
	if ((rc = dv_source_fetch(&item, &stats, src, argv[optind + 1], cache, a.jobs)) < 0)
		goto done;
	if ((rc = dv_source_write(&item, cache, dest)) < 0)
		goto done;
	{
		char *shown = a.out ? dv_strdup(a.out) : output_path(NULL, argv[optind + 1]);
		report_fetch("got", src, &stats, argv[optind + 1], shown);
		free(shown);
	}
done:
	dv_source_free(src);
	dv_cache_free(cache);
	if (scratch)
		dv_remove_tree(scratch);
	dv_repo_free(repo);
	dv_buf_free(&tmp);
	free(scratch);
	free(parent);
	free(dest);
	return rc < 0 ? cli_fail(rc) : 0;
}

/* `to` (absolute) relative to directory `from` (absolute), with ".."
 * where they part. */
static char *relative_between(const char *from, const char *to)
{
	dv_buf out = DV_BUF_INIT;
	size_t common = 0;

	for (size_t i = 0;; i++) {
		bool end_from = from[i] == '\0' || from[i] == '/';
		bool end_to = to[i] == '\0' || to[i] == '/';
		if (end_from && end_to)
			common = i;
		if (from[i] != to[i] || !from[i])
			break;
	}
	for (const char *p = from + common; *p; p++)
		if (*p == '/')
			dv_buf_puts(&out, out.len ? "/.." : "..");
	if (to[common] == '/')
		dv_buf_printf(&out, "%s%s", out.len ? "/" : "", to + common + 1);
	if (!out.len)
		dv_buf_puts(&out, ".");
	return dv_buf_detach(&out);
}

/* Bring the source's PATH into the stage's out and the work tree. */
static int import_into(dv_repo *repo, dv_stage *st, dv_source *src, const char *rev,
		       const get_args *a, dv_strvec *to_stage)
{
	dv_stage_file *out = dv_stage_out(st, 0);
	dv_source_item item;
	dv_source_stats stats;
	char *rel = dv_stage_entry_relpath(st, out->path);
	int rc;

	if ((rc = dv_source_fetch(&item, &stats, src, st->source->path, repo->cache, a->jobs)) < 0)
		goto done;
	out->has_hash = true;
	out->hash = item.hash;
	out->is_dir = item.is_dir;
	out->has_size = true;
	out->size = item.size;
	out->has_files = item.is_dir;
	out->files = item.files;
	{
		/* set_source frees the old strings: copy what it keeps. */
		char *url = dv_strdup(st->source->url), *path = dv_strdup(st->source->path);
		dv_stage_set_source(st, url, rev, dv_source_commit(src), path);
		free(url);
		free(path);
	}
	rc = cli_import_checkout(repo, st, rel);
	if (rc == 0 && (rc = dv_stage_store(repo, st, to_stage)) == 0) {
		char *shown = dv_repo_display_path(repo, rel);
		report_fetch("imported", src, &stats, st->source->path, shown);
		free(shown);
	}
done:
	free(rel);
	return rc;
}

/* Open the source a stage names: a relative local URL is relative to the
 * repository root. */
static int open_stage_source(dv_source **src, dv_repo *repo, const dv_stage *st, const char *rev)
{
	dv_buf tmp = DV_BUF_INIT;
	int rc;
	dv_path_join(&tmp, repo->dvdir, "tmp");
	rc = dv_source_open(src, st->source->url, rev, repo->root, tmp.ptr);
	dv_buf_free(&tmp);
	return rc;
}

int cmd_import(int argc, char **argv, dv_repo *repo)
{
	dv_strvec to_stage = DV_STRVEC_INIT;
	struct dv_lock *lock = NULL;
	dv_stage *st = NULL;
	dv_source *src = NULL;
	get_args a;
	char *rel = NULL, *stage_path = NULL, *url = NULL, *src_path = NULL;
	const char *user_url, *out_arg;
	int rc;

	if ((rc = parse_args(&a, argc, argv, import_usage, true)) >= 0)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error(import_usage, "import needs a repository URL and a PATH in it");
	user_url = argv[optind];
	out_arg = output_path(a.out, argv[optind + 1]);
	if ((rc = cli_import_target(&rel, &stage_path, repo, out_arg)) < 0)
		goto done;
	if (dv_source_url_is_local(user_url) && user_url[0] != '/' &&
	    user_url[0] != '~') {
		char *target = absolute(user_url);
		url = relative_between(repo->root, target);
		free(target);
	} else {
		url = dv_strdup(user_url);
	}
	if (!(lock = cli_lock(repo))) {
		rc = 1;
		goto done;
	}
	src_path = dv_path_normalize(argv[optind + 1]);
	st = dv_stage_new(stage_path);
	dv_stage_add_out(st, dv_path_basename(rel));
	dv_stage_set_source(st, url, NULL, NULL, src_path);
	/* The URL as typed is relative to the cwd; what is recorded is
	 * relative to the root, and both name the same place. */
	if ((rc = open_stage_source(&src, repo, st, a.rev)) < 0 ||
	    (rc = import_into(repo, st, src, a.rev, &a, &to_stage)) < 0)
		goto done;
	rc = dv_stage_git_add(repo, &to_stage);
done:
	dv_source_free(src);
	dv_stage_free(st);
	dv_strvec_free(&to_stage);
	free(rel);
	free(stage_path);
	free(url);
	free(src_path);
	free((char *)out_arg);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	return rc == 1 ? 1 : rc < 0 ? cli_fail(rc) : 0;
}

static int update_one(dv_repo *repo, const char *target, const get_args *a, dv_strvec *to_stage)
{
	dv_stage *st = NULL;
	dv_source *src = NULL;
	char *stage_path = NULL, *rel = NULL;
	const char *rev;
	dv_ws_state ws;
	int rc;

	if ((rc = dv_workspace_resolve_target(&stage_path, repo, target)) < 0)
		goto done;
	if ((rc = dv_stage_load(&st, repo->root, stage_path)) < 0)
		goto done;
	if (!st->source || st->outs.n != 1) {
		rc = dv_error(DV_EUSAGE, "'%s' was not written by 'dv import' or 'dv import-url': there is no source to follow",
			      stage_path);
		goto done;
	}
	if (!st->source->path) { /* dv import-url */
		if (a->rev)
			rc = dv_error(DV_EUSAGE, "'%s' follows a URL, which has no revisions: drop --rev", stage_path);
		else
			rc = cli_update_url(repo, st, to_stage);
		goto done;
	}
	rev = a->rev ? a->rev : st->source->rev;
	rel = dv_stage_entry_relpath(st, dv_stage_out(st, 0)->path);
	if ((rc = open_stage_source(&src, repo, st, rev)) < 0)
		goto done;
	/* Same commit and the work tree already matches: nothing to do. */
	if (st->source->rev_lock && !strcmp(st->source->rev_lock, dv_source_commit(src)) &&
	    dv_workspace_compare(repo, dv_stage_out(st, 0), rel, &ws) == DV_WS_SAME) {
		char *shown = dv_repo_display_path(repo, rel);
		cli_info("%s is up to date with %.7s\n", shown, dv_source_commit(src));
		free(shown);
		goto done;
	}
	rc = import_into(repo, st, src, rev, a, to_stage);
done:
	dv_source_free(src);
	dv_stage_free(st);
	free(stage_path);
	free(rel);
	return rc;
}

int cmd_update(int argc, char **argv, dv_repo *repo)
{
	dv_strvec to_stage = DV_STRVEC_INIT;
	struct dv_lock *lock;
	get_args a;
	int rc, failed = 0;

	if ((rc = parse_args(&a, argc, argv, update_usage, false)) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage_error(update_usage, "name the imported data to update (its .stage file or path)");
	if (!(lock = cli_lock(repo)))
		return 1;
	for (int i = optind; i < argc; i++)
		if ((rc = update_one(repo, argv[i], &a, &to_stage)) < 0)
			failed = cli_fail(rc);
	if ((rc = dv_stage_git_add(repo, &to_stage)) < 0)
		failed = cli_fail(rc);
	dv_strvec_free(&to_stage);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	return failed;
}
