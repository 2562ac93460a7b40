/*
 * cmd_fsck.c - `dv fsck [-j N] [--json]`: re-hash every object in the
 * cache and check every .stage file in the work tree against it; exit 1
 * when anything is corrupt, missing or unreadable.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/fsck.h"
#include "remote_kinds.h"

static const char *const usage[] = {
	"dv fsck [-j N] [--json] [-q]",
	NULL,
};

static json_t *strvec_json(const dv_strvec *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static void print_lines(const char *label, const dv_strvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		printf("%s %s\n", label, v->v[i]);
}

int cmd_fsck(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ 0, 0, 0, 0 },
	};
	dv_fsck_report rep;
	bool as_json = false;
	int c, rc, jobs = 0;

	while ((c = cli_getopt(argc, argv, "j:", longopts)) != -1) {
		switch (c) {
		case 'j':
			if (dv_parse_jobs(&jobs, optarg, "-j") < 0)
				return cli_usage_error(usage, "%s", dv_error_last());
			break;
		case 'J':
			as_json = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if ((rc = dv_fsck(&rep, repo, jobs)) < 0) {
		dv_fsck_report_free(&rep);
		return cli_fail(rc);
	}
	if (as_json) {
		json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "objects", (json_int_t)rep.objects,
				      "bytes", (json_int_t)rep.bytes, "stages", (json_int_t)rep.stages,
				      "corrupt", strvec_json(&rep.corrupt), "missing", strvec_json(&rep.missing),
				      "bad_stages", strvec_json(&rep.bad_stages));
		json_object_set_new(o, "quarantined", strvec_json(&rep.quarantined));
		char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
		json_decref(o);
	} else {
		print_lines("corrupt:", &rep.corrupt);
		print_lines("missing:", &rep.missing);
		print_lines("unreadable:", &rep.bad_stages);
		print_lines("quarantined:", &rep.quarantined);
		if (rep.quarantined.n)
			cli_info("%zu corrupt object%s kept in .dv/quarantine for inspection (dv no longer uses them; "
				 "'rm -r .dv/quarantine' deletes them)\n", rep.quarantined.n,
				 rep.quarantined.n == 1 ? "" : "s");
		cli_info("checked %zu objects (%llu bytes) and %zu .stage files: %zu corrupt, %zu missing, %zu unreadable\n",
			 rep.objects, (unsigned long long)rep.bytes, rep.stages, rep.corrupt.n,
			 rep.missing.n, rep.bad_stages.n);
	}
	rc = rep.corrupt.n || rep.missing.n || rep.bad_stages.n ? 1 : 0;
	dv_fsck_report_free(&rep);
	return rc;
}
