/*
 * cmd_config.c - `dv config`: read, write, list and unset settings at one
 * of the four levels (system, global, repo, local).
 *
 * As in git, reading shows the winning value across levels (or one level's
 * value when a level is named) and exits 1 when the key is unset; writing
 * goes to the repository's committed .dv/config unless a level is named.
 * Secrets are refused there: they belong in .dv/config.local (--local) or
 * the user's global file.  Outside a repository only --global and --system
 * make sense, so the repository is opened only when a repo level is needed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/config.h"
#include "dv/error.h"
#include "dv/lock.h"

static const char *const usage[] = {
	"dv config [--system | --global | --project | --local] KEY [VALUE]",
	"dv config [--system | --global | --project | --local] --unset KEY",
	"dv config [--system | --global | --project | --local] --list [--show-origin] [--json]",
	NULL,
};

enum { NO_LEVEL = -1 };

typedef struct {
	int level;          /* a dv_config_level, or NO_LEVEL */
	bool unset, list, show_origin, json;
} config_opts;

static int set_level(config_opts *o, int level)
{
	if (o->level != NO_LEVEL && o->level != level)
		return cli_usage_error(usage, "choose one of --system, --global, --project and --local");
	o->level = level;
	return 0;
}

static int list_entries(const dv_config *cfg, const config_opts *o)
{
	json_t *arr = o->json ? json_array() : NULL;

	for (size_t i = 0; i < dv_config_count(cfg); i++) {
		const dv_config_entry *e = dv_config_entry_at(cfg, i);
		const char *file = dv_config_level_file(cfg, e->level);
		if (o->level != NO_LEVEL && (int)e->level != o->level)
			continue;
		if (arr) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:i}", "key", e->key,
							     "value", e->value, "level",
							     dv_config_level_name(e->level),
							     "file", file ? file : "", "line", e->line));
		} else if (o->show_origin) {
			printf("file:%s\t%s=%s\n", file ? file : "", e->key, e->value);
		} else {
			printf("%s=%s\n", e->key, e->value);
		}
	}
	if (arr) {
		char *text = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(arr);
	}
	return 0;
}

/* Why an --unset found nothing: say where the key is set instead. */
static int not_set_here(const dv_config *cfg, const char *key, dv_config_level level)
{
	static const char *const flags[] = { "--system", "--global", "--project", "--local" };

	for (int l = DV_CONFIG_LEVELS - 1; l >= 0; l--)
		if (l != (int)level && dv_config_get_at_level(cfg, key, (dv_config_level)l))
			return cli_error("'%s' is not set in '%s'; it is set in '%s' (add %s)", key,
					 dv_config_level_file(cfg, level), dv_config_level_file(cfg, l),
					 flags[l]);
	return cli_fail(DV_ENOTFOUND);
}

/* `cfg` may be NULL: a file that does not load must still be fixable. */
static int write_key(const dv_config *cfg, dv_repo *repo, const config_opts *o, const char *key,
		     const char *value)
{
	dv_config_level level = o->level == NO_LEVEL ? DV_CONFIG_REPO : (dv_config_level)o->level;
	dv_buf path = DV_BUF_INIT;
	struct dv_lock *lock = NULL;
	int rc;

	if ((rc = dv_config_path(&path, level, repo ? repo->dvdir : NULL)) < 0) {
		rc = cli_fail(rc);
		goto done;
	}
	if (value) {
		if ((rc = dv_config_check_value(key, value)) < 0) {
			rc = cli_fail(rc);
			goto done;
		}
		if (level == DV_CONFIG_REPO && dv_config_key_is_secret(key)) {
			rc = cli_error("'%s' is a secret and .dv/config is committed to git: use "
				       "'dv config --local %s VALUE' to keep it in .dv/config.local",
				       key, key);
			goto done;
		}
	}
	if (level >= DV_CONFIG_REPO && !(lock = cli_lock(repo))) {
		rc = 1;
		goto done;
	}
	rc = dv_config_write(path.ptr, key, value);
	dv_lock_release(lock);
	if (rc == DV_ENOTFOUND && !value && cfg)
		rc = not_set_here(cfg, key, level);
	else if (rc < 0)
		rc = cli_fail(rc);
done:
	dv_buf_free(&path);
	return rc;
}

int cmd_config(int argc, char **argv, dv_repo *repo_in)
{
	static const struct option longopts[] = {
		{ "system", no_argument, NULL, 'S' },
		{ "global", no_argument, NULL, 'G' },
		{ "project", no_argument, NULL, 'P' },
		{ "local", no_argument, NULL, 'L' },
		{ "unset", no_argument, NULL, 'U' },
		{ "list", no_argument, NULL, 'l' },
		{ "show-origin", no_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	config_opts o = { NO_LEVEL, false, false, false, false };
	dv_repo *repo = repo_in;
	dv_config *cfg = NULL;
	const char *key = NULL, *value = NULL;
	int c, rc = 0, nargs;

	while ((c = cli_getopt(argc, argv, "l", longopts)) != -1) {
		switch (c) {
		case 'S': rc = set_level(&o, DV_CONFIG_SYSTEM); break;
		case 'G': rc = set_level(&o, DV_CONFIG_GLOBAL); break;
		case 'P': rc = set_level(&o, DV_CONFIG_REPO); break;
		case 'L': rc = set_level(&o, DV_CONFIG_LOCAL); break;
		case 'U': o.unset = true; break;
		case 'l': o.list = true; break;
		case 'O': o.show_origin = true; break;
		case 'J': o.json = true; break;
		case 'h': return cli_usage(usage);
		default: return 2;
		}
		if (rc)
			return rc;
	}
	nargs = argc - optind;
	if (o.list && (nargs || o.unset))
		return cli_usage_error(usage, "--list takes no KEY");
	if ((o.show_origin || o.json) && !o.list)
		return cli_usage_error(usage, "--show-origin and --json go with --list");
	if (!o.list && (nargs < 1 || nargs > (o.unset ? 1 : 2)))
		return cli_usage_error(usage, nargs ? "too many arguments" : "which KEY?");
	key = nargs ? argv[optind] : NULL;
	value = nargs > 1 ? argv[optind + 1] : NULL;

	/* The repo's files matter unless the user named a per-user level. */
	if (!repo && o.level != DV_CONFIG_SYSTEM && o.level != DV_CONFIG_GLOBAL) {
		rc = dv_repo_open(&repo, NULL);
		if (rc == DV_ENOTFOUND && o.level == NO_LEVEL && !value && !o.unset) {
			repo = NULL; /* reading outside a repository: system and global */
		} else if (rc == DV_ENOTFOUND) {
			rc = cli_error("%s; to change your own settings outside a repository use --global",
				       dv_error_last());
			goto done;
		} else if (rc < 0) {
			rc = cli_fail(rc);
			goto done;
		}
	}
	rc = dv_config_load(&cfg, repo ? repo->dvdir : NULL);
	if (o.unset || value) {
		/* Writing edits one file textually: a broken file, maybe the very
		 * one being fixed, must not stop it. */
		dv_error_clear();
		rc = write_key(cfg, repo, &o, key, value);
		goto done;
	}
	if (rc < 0) {
		rc = cli_fail(rc);
		goto done;
	}
	if (o.list) {
		rc = list_entries(cfg, &o);
	} else if ((rc = dv_config_check_key(key)) < 0) {
		rc = cli_fail(rc);
	} else {
		const char *v = o.level == NO_LEVEL ? dv_config_get(cfg, key)
						    : dv_config_get_at_level(cfg, key, (dv_config_level)o.level);
		if (v)
			printf("%s\n", v);
		rc = v ? 0 : 1;
	}
done:
	dv_config_free(cfg);
	if (repo != repo_in)
		dv_repo_free(repo);
	return rc;
}
