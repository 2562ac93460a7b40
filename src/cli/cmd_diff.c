/*
 * cmd_diff.c - `dv diff [A [B]] [--json]`: data files added, deleted,
 * modified and renamed between two git revisions, or between a revision
 * (HEAD by default) and the work tree, inside tracked directories too.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "dv/diff.h"
#include "dv/error.h"
#include "dv/workspace.h"

static const char *const usage[] = {
	"dv diff [--json] [A [B]]",
	NULL,
};

static json_t *hash_json(const dv_hash *h, bool is_dir)
{
	char text[64];
	dv_hash_format(text, sizeof(text), h, is_dir);
	return json_string(text);
}

static json_t *entry_json(const dv_diff_entry *e)
{
	json_t *o = json_object();

	if (e->kind == DV_DIFF_RENAMED)
		json_object_set_new(o, "path", json_pack("{s:s, s:s}", "old", e->old_path, "new", e->path));
	else
		json_object_set_new(o, "path", json_string(e->path));
	if (e->kind == DV_DIFF_MODIFIED) {
		json_object_set_new(o, "hash", json_pack("{s:o, s:o}", "old", hash_json(&e->old_hash, e->is_dir),
							 "new", hash_json(&e->new_hash, e->is_dir)));
		json_object_set_new(o, "size", json_pack("{s:I, s:I}", "old", (json_int_t)e->old_size,
							 "new", (json_int_t)e->new_size));
	} else {
		const dv_hash *h = e->has_new ? &e->new_hash : &e->old_hash;
		json_object_set_new(o, "hash", hash_json(h, e->is_dir));
		json_object_set_new(o, "size", json_integer((json_int_t)(e->has_new ? e->new_size : e->old_size)));
	}
	if (e->is_dir)
		json_object_set_new(o, "directory", json_true());
	return o;
}

static void print_json(const dv_diff_result *res)
{
	json_t *root = json_object();
	char *text;

	for (int k = DV_DIFF_ADDED; k <= DV_DIFF_RENAMED; k++)
		json_object_set_new(root, dv_diff_kind_name((dv_diff_kind)k), json_array());
	for (size_t i = 0; i < res->entries.n; i++) {
		const dv_diff_entry *e = dv_vec_at(&res->entries, dv_diff_entry, i);
		json_array_append_new(json_object_get(root, dv_diff_kind_name(e->kind)), entry_json(e));
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(root);
}

static void print_text(const dv_diff_result *res, dv_repo *repo)
{
	size_t counts[4] = { 0 };

	for (size_t i = 0; i < res->entries.n; i++) {
		const dv_diff_entry *e = dv_vec_at(&res->entries, dv_diff_entry, i);
		char *shown = dv_repo_display_path(repo, e->path);
		char label[16];
		counts[e->kind]++;
		snprintf(label, sizeof(label), "%s:", dv_diff_kind_name(e->kind));
		if (e->kind == DV_DIFF_RENAMED) {
			char *old = dv_repo_display_path(repo, e->old_path);
			printf("%-10s %s -> %s\n", label, old, shown);
			free(old);
		} else {
			printf("%-10s %s%s\n", label, shown, e->is_dir ? "/" : "");
		}
		free(shown);
	}
	if (res->entries.n && cli_verbose)
		printf("%zu added, %zu deleted, %zu modified, %zu renamed\n", counts[DV_DIFF_ADDED],
		       counts[DV_DIFF_DELETED], counts[DV_DIFF_MODIFIED], counts[DV_DIFF_RENAMED]);
}

int cmd_diff(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	dv_diff_result res;
	bool as_json = false;
	const char *a = "HEAD", *b = NULL;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'J':
			as_json = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (argc - optind > 2)
		return cli_usage_error(usage, "too many revisions: name at most two");
	if (optind < argc)
		a = argv[optind];
	if (optind + 1 < argc)
		b = argv[optind + 1];
	if ((rc = dv_diff(&res, repo, a, b)) < 0)
		return cli_fail(rc);
	for (size_t i = 0; i < res.warnings.n; i++)
		fprintf(stderr, "dv: warning: %s\n", res.warnings.v[i]);
	if (as_json)
		print_json(&res);
	else if (!cli_quiet)
		print_text(&res, repo);
	dv_diff_result_free(&res);
	if (!b)
		dv_repo_save_statcache(repo);
	return 0;
}
