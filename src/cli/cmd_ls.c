/*
 * cmd_ls.c - `dv ls [REPO] [PATH] [--rev R] [-R] [--dv-only] [--json]`:
 * what a dv repository (this one, another directory, or a git URL) holds
 * at a revision, git files and dv-tracked data alike, with sizes, without
 * fetching data (a remote repository is cloned bare: git objects only).
 *
 * Text output is one entry a line: who tracks it (dv or git), its size,
 * its path relative to PATH (directories end with '/'); --json gives the
 * same as an array of objects with exact byte counts and the hashes.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/get.h"
#include "dv/ls.h"
#include "dv/progress.h"

static const char *const usage[] = {
	"dv ls [REPO] [PATH] [--rev REV] [-R] [--dv-only] [--json]",
	NULL,
};

static json_t *entry_json(const dv_ls_entry *e)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "path", e->path, "type", e->is_dir ? "dir" : "file",
			      "tracked_by", e->dv ? "dv" : "git", "size", (json_int_t)e->size);
	if (e->is_dir)
		json_object_set_new(o, "files", json_integer((json_int_t)e->files));
	if (e->has_hash) {
		char h[80];
		dv_hash_format(h, sizeof(h), &e->hash, e->is_dir);
		json_object_set_new(o, "hash", json_string(h));
	}
	if (e->exec)
		json_object_set_new(o, "executable", json_true());
	return o;
}

int cmd_ls(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "rev", required_argument, NULL, 'r' },
		{ "recursive", no_argument, NULL, 'R' },
		{ "dv-only", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	const char *rev = NULL, *url = ".", *path = "";
	bool recursive = false, dv_only = false, as_json = false;
	dv_vec entries = DV_VEC_INIT(dv_ls_entry);
	dv_source *src = NULL;
	json_t *arr = NULL;
	int c, rc;

	(void)repo;
	while ((c = cli_getopt(argc, argv, "R", longopts)) != -1) {
		switch (c) {
		case 'r':
			rev = optarg;
			break;
		case 'R':
			recursive = true;
			break;
		case 'D':
			dv_only = true;
			break;
		case 'J':
			as_json = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2;
		}
	}
	if (argc - optind > 2)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind + 2]);
	if (optind < argc)
		url = argv[optind];
	if (optind + 1 < argc)
		path = argv[optind + 1];
	if ((rc = dv_source_open(&src, url, rev, NULL, NULL)) < 0 || (rc = dv_ls(&entries, src, path, recursive)) < 0)
		goto done;
	if (as_json)
		arr = json_array();
	for (size_t i = 0; i < entries.n; i++) {
		const dv_ls_entry *e = dv_vec_at(&entries, dv_ls_entry, i);
		char size[32];
		if (dv_only && !e->dv)
			continue;
		if (arr) {
			json_array_append_new(arr, entry_json(e));
			continue;
		}
		dv_format_bytes(size, sizeof(size), (double)e->size);
		printf("%-3s %10s  %s%s\n", e->dv ? "dv" : "git", size, e->path, e->is_dir ? "/" : "");
	}
	if (arr) {
		char *text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
	}
done:
	json_decref(arr);
	dv_ls_free(&entries);
	dv_source_free(src);
	return rc < 0 ? cli_fail(rc) : 0;
}
