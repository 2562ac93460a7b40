/*
 * cmd_doctor.c - `dv doctor`: what a bug report needs and what a puzzled
 * user checks first, as `dvc doctor` prints it: dv's version, the
 * platform, the libraries dv runs with; inside a repository the cache,
 * the file systems, which link types work between cache and work tree
 * here (tried, not assumed) and what cache.type will use, and whether
 * each remote answers.  Exit 1 when something is broken (a remote that
 * does not answer, the network module missing), so scripts can check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dv/cache.h"
#include "dv/config.h"
#include "dv/doctor.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/remote.h"

static const char *const usage[] = { "dv doctor", NULL };

static const char *const link_names[] = { "reflink", "hardlink", "symlink", "copy" };

static int print_repo(dv_repo *repo)
{
	dv_buf fs = DV_BUF_INIT, line = DV_BUF_INIT;
	dv_strvec names = DV_STRVEC_INIT;
	const char *types = dv_config_get(repo->config, "cache.type");
	bool works[4] = { false, false, false, false };
	int failed = 0, used = -1;

	printf("repository: %s\n", repo->root);
	dv_doctor_fs_type(&fs, repo->root);
	printf("work tree file system: %s\n", fs.ptr);
	dv_doctor_fs_type(&fs, repo->cache->dir);
	printf("cache: %s (%s)\n", repo->cache->dir, fs.ptr);
	if (dv_mkdir_p(repo->cache->dir, 0777) < 0 || dv_doctor_link_types(works, repo->cache->dir, repo->root) < 0) {
		failed = cli_fail(DV_ERROR);
	} else {
		for (int t = 0; t < 4; t++)
			dv_buf_printf(&line, "%s%s %s", t ? ", " : "", link_names[t], works[t] ? "yes" : "no");
		printf("link types between cache and work tree: %s\n", line.ptr);
		for (int i = 0; i < repo->cache->ntypes && used < 0; i++)
			if (works[repo->cache->types[i]])
				used = (int)repo->cache->types[i];
		printf("cache.type: %s (dv uses %s here)\n", types ? types : "reflink,copy (default)",
		       used >= 0 ? link_names[used] : "none of them: checkout will fail");
		if (used < 0)
			failed = 1;
	}
	dv_config_remote_names(&names, repo->config);
	if (!names.n)
		printf("remotes: none\n");
	for (size_t i = 0; i < names.n; i++) {
		dv_buf key = DV_BUF_INIT;
		const char *url;
		dv_buf_printf(&key, "remote.%s.url", names.v[i]);
		url = dv_config_get(repo->config, key.ptr);
		if (dv_doctor_remote_check(repo->config, names.v[i], repo->root) == 0) {
			printf("remote '%s' (%s): reachable\n", names.v[i], url ? url : "no url");
		} else {
			printf("remote '%s' (%s): NOT reachable: %s\n", names.v[i], url ? url : "no url",
			       dv_error_last());
			dv_error_clear();
			failed = 1;
		}
		dv_buf_free(&key);
	}
	dv_strvec_free(&names);
	dv_buf_free(&fs);
	dv_buf_free(&line);
	return failed;
}

int cmd_doctor(int argc, char **argv, dv_repo *unused)
{
	dv_strvec libs = DV_STRVEC_INIT;
	dv_repo *repo = NULL;
	struct utsname u;
	bool net_ok;
	int c, failed = 0;

	(void)unused;
	while ((c = cli_getopt(argc, argv, "", NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage);
		return 2;
	}
	if (optind < argc)
		return cli_usage_error(usage, "dv doctor takes no arguments");
	printf("dv version %s\n", DV_VERSION);
	if (uname(&u) == 0)
		printf("platform: %s %s %s, %ld CPUs\n", u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
	dv_doctor_libraries(&libs, &net_ok);
	printf("libraries:");
	for (size_t i = 0; i < libs.n; i++)
		printf("%s %s", i ? "," : "", libs.v[i]);
	printf("\n");
	if (!net_ok)
		failed = 1;
	/* Outside a repository there is nothing more to check. */
	if (dv_repo_open(&repo, NULL) == 0)
		failed |= print_repo(repo);
	else
		printf("repository: none here (%s)\n", dv_error_last());
	dv_error_clear();
	dv_repo_free(repo);
	dv_strvec_free(&libs);
	return failed;
}
