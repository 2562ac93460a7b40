/*
 * cmd_install.c - `dv install` and `dv uninstall`: put dv's git hooks in
 * place (pre-commit, post-checkout, pre-push), keeping any hook already
 * there running, and take them out again, restoring what was there.
 *
 * The hook scripts are found beside the running dv: installed under
 * <prefix>/share/dv/hooks (next to <prefix>/bin/dv), or in the source tree
 * a build came from.  The absolute path of the running dv is written into
 * them, for when dv is not on PATH where git runs.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/hooks.h"

static const char *const install_usage[] = {
	"dv install [-q]",
	NULL,
};

static const char *const uninstall_usage[] = {
	"dv uninstall [-q]",
	NULL,
};

static char *self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return dv_strdup(buf);
}

/* The directory holding dv's hook scripts, or NULL (and a message). */
static char *find_scripts(const char *exe)
{
	dv_buf cand = DV_BUF_INIT, probe = DV_BUF_INIT;
	char *found = NULL;

	if (exe) {
		char *bindir = dv_path_dirname(exe);
		dv_buf_printf(&cand, "%s/../share/dv/hooks", bindir);
		free(bindir);
		dv_path_join(&probe, cand.ptr, "pre-commit");
		if (dv_path_exists(probe.ptr))
			found = dv_path_normalize(cand.ptr);
	}
	if (!found) {
		dv_path_join(&probe, DV_SOURCE_DIR "/hooks", "pre-commit");
		if (dv_path_exists(probe.ptr))
			found = dv_strdup(DV_SOURCE_DIR "/hooks");
	}
	if (!found)
		dv_error(DV_ENOTFOUND, "cannot find dv's hook scripts (looked in '%s' and '%s'): "
			 "reinstall dv", cand.ptr, DV_SOURCE_DIR "/hooks");
	dv_buf_free(&cand);
	dv_buf_free(&probe);
	return found;
}

static void print_results(const dv_vec *results, dv_repo *repo)
{
	for (size_t i = 0; i < results->n; i++) {
		const dv_hook_result *r = dv_vec_at(results, dv_hook_result, i);
		char *rel = dv_path_relative_to(r->path, repo->root);
		const char *shown = rel ? rel : r->path;
		switch (r->action) {
		case DV_HOOK_INSTALLED:
			cli_info("installed the %s hook: %s\n", r->name, shown);
			break;
		case DV_HOOK_CHAINED:
			cli_info("installed the %s hook: %s (the hook that was there is kept as %s%s and runs first)\n",
				 r->name, shown, shown, DV_HOOK_CHAINED_SUFFIX);
			break;
		case DV_HOOK_UPDATED:
			cli_info("updated the %s hook: %s\n", r->name, shown);
			break;
		case DV_HOOK_UNCHANGED:
			cli_info("the %s hook is installed already: %s\n", r->name, shown);
			break;
		case DV_HOOK_REMOVED:
			cli_info("removed the %s hook: %s\n", r->name, shown);
			break;
		case DV_HOOK_RESTORED:
			cli_info("removed the %s hook and put back the one it kept: %s\n", r->name, shown);
			break;
		case DV_HOOK_NOT_OURS:
			fprintf(stderr, "dv: warning: %s is not dv's %s hook: left it alone\n", shown, r->name);
			break;
		case DV_HOOK_ABSENT:
			if (cli_verbose)
				cli_info("no %s hook to remove\n", r->name);
			break;
		}
		free(rel);
	}
}

static int parse_no_args(int argc, char **argv, const char *const *usage)
{
	int c;
	while ((c = cli_getopt(argc, argv, "", NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage);
		return 2; /* cli_getopt named the option */
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	return -1;
}

int cmd_install(int argc, char **argv, dv_repo *repo)
{
	dv_vec results = DV_VEC_INIT(dv_hook_result);
	char *exe = NULL, *scripts = NULL;
	bool changed;
	int rc;

	if ((rc = parse_no_args(argc, argv, install_usage)) >= 0)
		return rc;
	exe = self_exe();
	if (!(scripts = find_scripts(exe))) {
		rc = cli_fail(DV_ENOTFOUND);
		goto done;
	}
	rc = dv_hooks_install(&results, repo, scripts, exe);
	print_results(&results, repo);
	if (rc == 0 && (rc = dv_merge_driver_install(&changed, repo, exe)) == 0)
		cli_info(changed ? "registered the .stage merge driver: .git/config (merge.dv.driver), .gitattributes (%s)\n"
				 : "the .stage merge driver is registered already (%s)\n", DV_MERGE_ATTR);
	if (rc < 0)
		rc = cli_fail(rc);
done:
	dv_hook_results_free(&results);
	free(exe);
	free(scripts);
	return rc;
}

int cmd_uninstall(int argc, char **argv, dv_repo *repo)
{
	dv_vec results = DV_VEC_INIT(dv_hook_result);
	int rc;

	if ((rc = parse_no_args(argc, argv, uninstall_usage)) >= 0)
		return rc;
	bool changed;

	rc = dv_hooks_uninstall(&results, repo);
	print_results(&results, repo);
	if (rc == 0 && (rc = dv_merge_driver_uninstall(&changed, repo)) == 0 && changed)
		cli_info("removed the .stage merge driver from .git/config and .gitattributes\n");
	if (rc < 0)
		rc = cli_fail(rc);
	dv_hook_results_free(&results);
	return rc;
}
