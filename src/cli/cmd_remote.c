/*
 * cmd_remote.c - `dv remote add/list/modify/rename/remove/default`: the
 * [remote "NAME"] sections of the config and core.remote.
 *
 * Remotes live in the committed .dv/config so a clone knows where the data
 * is; --local keeps one (or one setting, e.g. a credential) in the clone's
 * own .dv/config.local.  Credentials are refused in .dv/config outright.
 * A relative directory URL is stored relative to the repository root,
 * whatever directory the command was typed in.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/config.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/lock.h"
#include "dv/remote.h"

static const char *const usage[] = {
	"dv remote add [-d] [--local] [-f] NAME URL",
	"dv remote list [--json]",
	"dv remote modify [--local] NAME KEY VALUE",
	"dv remote modify [--local] --unset NAME KEY",
	"dv remote rename OLD NEW",
	"dv remote remove NAME",
	"dv remote default [--local] [NAME | --unset]",
	NULL,
};

typedef struct {
	bool local, set_default, force, unset, json;
} remote_opts;

static int parse(remote_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "local", no_argument, NULL, 'L' },
		{ "default", no_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "unset", no_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "dfu", longopts)) != -1) {
		switch (c) {
		case 'L': o->local = true; break;
		case 'd': o->set_default = true; break;
		case 'f': o->force = true; break;
		case 'u': o->unset = true; break;
		case 'J': o->json = true; break;
		case 'h': return cli_usage(usage);
		default: return 2; /* cli_getopt named the option */
		}
	}
	return -1;
}

/* A changed .dv/config goes into the git index (core.autostage), so the
 * next commit shares the remote with the team. */
static int stage_config(dv_repo *repo)
{
	dv_strvec paths = DV_STRVEC_INIT;
	bool autostage = true;
	int rc;

	if ((rc = dv_config_get_bool(repo->config, "core.autostage", true, &autostage)) < 0 || !autostage)
		return rc;
	dv_strvec_push(&paths, ".dv/config");
	rc = dv_git_stage_paths(repo, &paths);
	dv_strvec_free(&paths);
	return rc;
}

/* Write (or unset, value NULL) one key in .dv/config or .dv/config.local,
 * under the repository lock. */
static int write_key(dv_repo *repo, bool local, const char *key, const char *value)
{
	dv_buf path = DV_BUF_INIT;
	struct dv_lock *lock;
	int rc;

	if (!(lock = cli_lock(repo)))
		return DV_ELOCKED;
	if ((rc = dv_config_path(&path, local ? DV_CONFIG_LOCAL : DV_CONFIG_REPO, repo->dvdir)) == 0)
		rc = dv_config_write(path.ptr, key, value);
	if (rc == 0 && !local)
		rc = stage_config(repo);
	dv_lock_release(lock);
	dv_buf_free(&path);
	return rc;
}

static bool remote_exists(const dv_repo *repo, const char *name)
{
	return dv_remote_config(repo->config, name, "url") != NULL;
}

static int no_such_remote(const char *name)
{
	return cli_error("no remote named '%s'; see 'dv remote list'", name);
}

/* Check a URL and turn a relative directory path typed in a subdirectory
 * into one relative to the repository root (how it is read back). */
static int normalize_url(char **out, const dv_repo *repo, const char *url)
{
	const char *kind = dv_remote_url_kind(url);
	int rc;

	if ((rc = dv_remote_url_check(url, repo->root)) < 0)
		return cli_fail(rc);
	if (!strcmp(kind, "local") && url[0] != '/' && url[0] != '~' && strncmp(url, "file://", 7) &&
	    repo->prefix && *repo->prefix) {
		char *joined = dv_asprintf("%s/%s", repo->prefix, url);
		*out = dv_path_normalize(joined);
		free(joined);
	} else {
		*out = dv_strdup(url);
	}
	return 0;
}

static int remote_add(dv_repo *repo, const remote_opts *o, int argc, char **argv)
{
	char *key = NULL, *url = NULL;
	int rc;

	if (argc != 2)
		return cli_usage_error(usage, "'dv remote add' takes NAME and URL");
	if ((rc = dv_config_check_remote_name(argv[0])) < 0)
		return cli_fail(rc);
	if (remote_exists(repo, argv[0]) && !o->force)
		return cli_error("remote '%s' already exists (%s); use -f to overwrite it", argv[0],
				 dv_remote_config(repo->config, argv[0], "url"));
	if (normalize_url(&url, repo, argv[1]))
		return 1;
	key = dv_asprintf("remote.%s.url", argv[0]);
	rc = write_key(repo, o->local, key, url);
	if (rc == 0 && o->set_default) {
		rc = write_key(repo, o->local, "core.remote", argv[0]);
		if (rc == 0)
			cli_info("'%s' is now the default remote\n", argv[0]);
	}
	free(key);
	free(url);
	return rc < 0 ? (rc == DV_ELOCKED ? 1 : cli_fail(rc)) : 0;
}

static int remote_list(dv_repo *repo, const remote_opts *o)
{
	dv_strvec names = DV_STRVEC_INIT;
	const char *def = dv_config_get(repo->config, "core.remote");
	json_t *arr = o->json ? json_array() : NULL;

	dv_config_remote_names(&names, repo->config);
	for (size_t i = 0; i < names.n; i++) {
		const char *url = dv_remote_config(repo->config, names.v[i], "url");
		bool is_default = def && !strcmp(def, names.v[i]);
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s?, s:b}", "name", names.v[i], "url", url,
							     "default", is_default));
		else
			printf("%s\t%s%s\n", names.v[i], url ? url : "(no url)", is_default ? "\t(default)" : "");
	}
	if (arr) {
		char *text = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(arr);
	}
	dv_strvec_free(&names);
	return 0;
}

static int remote_modify(dv_repo *repo, const remote_opts *o, int argc, char **argv)
{
	char *key = NULL, *url = NULL;
	const char *value;
	int rc;

	if (argc != (o->unset ? 2 : 3))
		return cli_usage_error(usage, o->unset ? "'dv remote modify --unset' takes NAME and KEY"
						       : "'dv remote modify' takes NAME, KEY and VALUE");
	if (!remote_exists(repo, argv[0]))
		return no_such_remote(argv[0]);
	key = dv_asprintf("remote.%s.%s", argv[0], argv[1]);
	value = o->unset ? NULL : argv[2];
	if ((rc = dv_config_check_key(key)) < 0 || (value && (rc = dv_config_check_value(key, value)) < 0)) {
		rc = cli_fail(rc);
		goto done;
	}
	if (value && !o->local && dv_config_key_is_secret(key)) {
		rc = cli_error("'%s' is a secret and .dv/config is committed to git: use "
			       "'dv remote modify --local %s %s VALUE' (it goes to .dv/config.local), or "
			       "the AWS_* variables or ~/.aws/credentials", argv[1], argv[0], argv[1]);
		goto done;
	}
	if (value && !strcmp(argv[1], "url")) {
		if (normalize_url(&url, repo, value)) {
			rc = 1;
			goto done;
		}
		value = url;
	}
	rc = write_key(repo, o->local, key, value);
	if (rc == DV_ENOTFOUND)
		rc = cli_error("'%s' is not set in %s", key, o->local ? ".dv/config.local" : ".dv/config");
	else if (rc < 0)
		rc = rc == DV_ELOCKED ? 1 : cli_fail(rc);
done:
	free(key);
	free(url);
	return rc;
}

/* A remote known only from the user's or system config cannot be renamed
 * or removed here. */
static int not_in_repository(const dv_repo *repo, const char *name)
{
	if (!remote_exists(repo, name))
		return no_such_remote(name);
	return cli_error("remote '%s' is not defined in this repository's .dv/config or "
			 ".dv/config.local; see 'dv config --list --show-origin'", name);
}

/* After a rename, a default remote that comes from the user's or system
 * config (which other repositories read too) still names the old one. */
static void warn_outer_default(const dv_repo *repo, const char *old_name)
{
	static const dv_config_level outer[] = { DV_CONFIG_GLOBAL, DV_CONFIG_SYSTEM };

	if (dv_config_get_at_level(repo->config, "core.remote", DV_CONFIG_LOCAL) ||
	    dv_config_get_at_level(repo->config, "core.remote", DV_CONFIG_REPO))
		return;
	for (size_t i = 0; i < sizeof(outer) / sizeof(outer[0]); i++) {
		const char *def = dv_config_get_at_level(repo->config, "core.remote", outer[i]);
		if (!def)
			continue;
		if (!strcmp(def, old_name))
			fprintf(stderr, "dv: warning: core.remote in '%s' still names '%s'; "
				"'dv remote default NAME' sets this repository's own\n",
				dv_config_level_file(repo->config, outer[i]), old_name);
		return;
	}
}

static int remote_rename(dv_repo *repo, const remote_opts *o, int argc, char **argv)
{
	bool changed[DV_CONFIG_LEVELS];
	dv_strvec names = DV_STRVEC_INIT;
	struct dv_lock *lock;
	bool known, taken;
	int rc;

	if (argc != 2)
		return cli_usage_error(usage, "'dv remote rename' takes OLD and NEW");
	/* Like remove, rename acts on both repository files at once: a remote
	 * and its credentials must keep one name. */
	if (o->local || o->set_default || o->force || o->unset || o->json)
		return cli_usage_error(usage, "'dv remote rename' takes no options: it renames the remote "
				       "in .dv/config and .dv/config.local alike");
	dv_config_remote_names(&names, repo->config);
	known = dv_strvec_contains(&names, argv[0]);
	taken = dv_strvec_contains(&names, argv[1]);
	dv_strvec_free(&names);
	if (!known)
		return no_such_remote(argv[0]);
	if ((rc = dv_config_check_remote_name(argv[1])) < 0)
		return cli_fail(rc);
	if (!strcmp(argv[0], argv[1]))
		return cli_error("remote '%s' already has that name", argv[0]);
	if (taken)
		return cli_error("remote '%s' already exists; remove it first with 'dv remote remove %s'",
				 argv[1], argv[1]);
	if (!(lock = cli_lock(repo)))
		return 1;
	rc = dv_config_rename_remote(changed, repo->dvdir, argv[0], argv[1]);
	if (rc == 0 && changed[DV_CONFIG_REPO])
		rc = stage_config(repo);
	dv_lock_release(lock);
	if (rc == DV_ENOTFOUND)
		return not_in_repository(repo, argv[0]);
	if (rc < 0)
		return cli_fail(rc);
	warn_outer_default(repo, argv[0]);
	return 0;
}

static int remote_remove(dv_repo *repo, int argc, char **argv)
{
	static const dv_config_level levels[] = { DV_CONFIG_REPO, DV_CONFIG_LOCAL };
	const char *name;
	struct dv_lock *lock;
	dv_buf path = DV_BUF_INIT;
	bool removed = false;
	int rc = 0;

	if (argc != 1)
		return cli_usage_error(usage, "'dv remote remove' takes NAME");
	name = argv[0];
	if (!(lock = cli_lock(repo)))
		return 1;
	/* The section goes from both repository files, and so does a
	 * core.remote naming it. */
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]) && rc >= 0; i++) {
		const char *def = dv_config_get_at_level(repo->config, "core.remote", levels[i]);
		if ((rc = dv_config_path(&path, levels[i], repo->dvdir)) < 0)
			break;
		rc = dv_config_remove_section(path.ptr, "remote", name);
		if (rc == 0)
			removed = true;
		else if (rc == DV_ENOTFOUND)
			rc = 0;
		if (rc == 0 && def && !strcmp(def, name))
			rc = dv_config_write(path.ptr, "core.remote", NULL);
	}
	if (rc == 0 && removed)
		rc = stage_config(repo);
	dv_lock_release(lock);
	dv_buf_free(&path);
	if (rc < 0)
		return cli_fail(rc);
	if (!removed)
		return not_in_repository(repo, name);
	return 0;
}

static int remote_default(dv_repo *repo, const remote_opts *o, int argc, char **argv)
{
	int rc;

	if (argc > 1 || (o->unset && argc))
		return cli_usage_error(usage, "'dv remote default' takes one NAME, or --unset");
	if (o->unset) {
		rc = write_key(repo, o->local, "core.remote", NULL);
		if (rc == DV_ENOTFOUND)
			return cli_error("no default remote is set in %s", o->local ? ".dv/config.local" : ".dv/config");
		return rc < 0 ? (rc == DV_ELOCKED ? 1 : cli_fail(rc)) : 0;
	}
	if (argc == 0) {
		const char *def = dv_config_get(repo->config, "core.remote");
		if (!def)
			return cli_error("no default remote: set one with 'dv remote default NAME'");
		printf("%s\n", def);
		return 0;
	}
	if (!remote_exists(repo, argv[0]))
		return no_such_remote(argv[0]);
	rc = write_key(repo, o->local, "core.remote", argv[0]);
	return rc < 0 ? (rc == DV_ELOCKED ? 1 : cli_fail(rc)) : 0;
}

int cmd_remote(int argc, char **argv, dv_repo *repo)
{
	remote_opts o = { 0 };
	const char *sub;
	char *name = NULL, *argv0 = argv[0];
	int rc;

	/* Messages say "dv remote add -h", not "dv remote -h": the first
	 * word that is not an option (none of them takes a value). */
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-') {
			name = dv_asprintf("remote %s", argv[i]);
			argv[0] = name;
			break;
		}
	}
	/* getopt moves options wherever they are typed to the front, so
	 * `dv remote add -d NAME URL` and `dv remote -d add NAME URL` agree. */
	rc = parse(&o, argc, argv);
	argv[0] = argv0;
	free(name);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage_error(usage, "which subcommand: add, list, modify, rename, remove or default?");
	sub = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(sub, "add")) {
		if (o.unset || o.json)
			return cli_usage_error(usage, "'dv remote add' takes -d, --local and -f");
		return remote_add(repo, &o, argc, argv);
	}
	if (!strcmp(sub, "list")) {
		if (argc)
			return cli_usage_error(usage, "'dv remote list' takes no arguments");
		return remote_list(repo, &o);
	}
	if (!strcmp(sub, "modify"))
		return remote_modify(repo, &o, argc, argv);
	if (!strcmp(sub, "rename"))
		return remote_rename(repo, &o, argc, argv);
	if (!strcmp(sub, "remove") || !strcmp(sub, "rm"))
		return remote_remove(repo, argc, argv);
	if (!strcmp(sub, "default"))
		return remote_default(repo, &o, argc, argv);
	return cli_usage_error(usage, "unknown subcommand '%s': use add, list, modify, rename, remove or default",
			       sub);
}
