/*
 * transfer_cli.c - the options and the report shared by `dv push`,
 * `dv fetch` and `dv pull`, so the three commands read and answer alike.
 *
 * Missing objects do not stop a transfer: everything else still moves,
 * then each missing one is named on its own `dv: error:` line (the first
 * MAX_LISTED, then a count) and the command exits 1.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "dv/config.h"
#include "dv/error.h"
#include "dv/lock.h"
#include "dv/remote.h"
#include "transfer_cli.h"

#define MAX_LISTED 20

int cli_transfer_parse(cli_transfer_args *a, int argc, char **argv, const char *const *usage,
		       cli_transfer_kind kind)
{
	static const struct option longopts[] = {
		{ "remote", required_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "all-commits", no_argument, NULL, 'A' },
		{ "run-cache", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'J' },
		{ "force", no_argument, NULL, 'f' },
		{ "verify-remote", no_argument, NULL, 'V' },
		{ "repack", no_argument, NULL, 'P' },
		{ 0, 0, 0, 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "r:j:Af", longopts)) != -1) {
		switch (c) {
		case 'r':
			a->t.remote = optarg;
			break;
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 1024)
				return cli_usage_error(usage, "-j needs a number of jobs from 1 to 1024, not '%s'", optarg);
			a->t.jobs = (int)v;
			break;
		}
		case 'A':
			a->t.all_commits = true;
			break;
		case 'R':
			a->t.run_cache = true;
			break;
		case 'J':
			a->json = true;
			break;
		case 'P':
			if (kind != CLI_TRANSFER_PUSH)
				return cli_usage_error(usage, "unknown option '--repack' (push has it)");
			a->t.repack = true;
			break;
		case 'f':
			if (kind != CLI_TRANSFER_PULL)
				return cli_usage_error(usage, "unknown option '-f'");
			a->force = true;
			break;
		case 'V':
			if (kind != CLI_TRANSFER_PUSH)
				return cli_usage_error(usage, "unknown option '--verify-remote' (push has it)");
			a->t.verify_remote = true;
			break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	a->t.targets = argv + optind;
	a->t.ntargets = (size_t)(argc - optind);
	dv_progress_enable(!cli_quiet && !a->json);
	return -1;
}

/* The remote the command used, for messages. */
static const char *remote_name(const cli_transfer_args *a, dv_repo *repo)
{
	return a->t.remote ? a->t.remote : dv_config_get(repo->config, "core.remote");
}

static void print_json(const dv_transfer_report *rep, const cli_transfer_args *a, dv_repo *repo)
{
	const char *remote = remote_name(a, repo);
	json_t *obj = json_pack("{s:s?, s:I, s:I, s:I, s:I, s:I, s:I}", "remote", remote,
				"objects", (json_int_t)rep->objects, "up_to_date", (json_int_t)rep->up_to_date,
				"transferred", (json_int_t)rep->transferred, "bytes", (json_int_t)rep->bytes,
				"missing", (json_int_t)rep->missing, "failed", (json_int_t)rep->failed);
	if (a->t.verify_remote) {
		json_object_set_new(obj, "verified", json_integer((json_int_t)rep->verified));
		json_object_set_new(obj, "remote_corrupt", json_integer((json_int_t)rep->remote_corrupt));
		json_object_set_new(obj, "replaced", json_integer((json_int_t)rep->replaced));
	}
	if (a->t.repack)
		json_object_set_new(obj, "repacked", json_integer((json_int_t)rep->repacked));
	json_t *msgs = json_array();
	char *text;

	for (size_t i = 0; i < rep->messages.n; i++)
		json_array_append_new(msgs, json_string(rep->messages.v[i]));
	json_object_set_new(obj, "errors", msgs);
	text = json_dumps(obj, JSON_INDENT(2));
	printf("%s\n", text);
	free(text);
	json_decref(obj);
}

int cli_transfer_print(const dv_transfer_report *rep, int rc, const char *verb,
		       const cli_transfer_args *a, dv_repo *repo, bool say_idle)
{
	size_t bad = rep->missing + rep->failed;

	/* A failure before anything moved (no remote, cannot connect). */
	if (rc < 0 && !bad)
		return cli_fail(rc);
	if (a->json) {
		print_json(rep, a, repo);
		return bad ? 1 : 0;
	}
	for (size_t i = 0; i < rep->warnings.n; i++)
		fprintf(stderr, "dv: warning: %s\n", rep->warnings.v[i]);
	if (rep->stale_removed)
		cli_info("removed %zu leftover temp file%s of interrupted pushes from remote '%s'\n",
			 rep->stale_removed, rep->stale_removed == 1 ? "" : "s",
			 remote_name(a, repo));
	for (size_t i = 0; i < rep->messages.n && i < MAX_LISTED; i++)
		fprintf(stderr, "dv: error: %s\n", rep->messages.v[i]);
	if (rep->messages.n > MAX_LISTED)
		fprintf(stderr, "dv: error: ... and %zu more\n", rep->messages.n - MAX_LISTED);
	if (rep->transferred)
		cli_info("%zu object%s %s\n", rep->transferred, rep->transferred == 1 ? "" : "s", verb);
	if (rep->repacked)
		cli_info("%zu loose object%s moved into packs\n", rep->repacked, rep->repacked == 1 ? "" : "s");
	if (cli_verbose && rep->requests)
		fprintf(stderr, "%zu request%s to the remote\n", rep->requests, rep->requests == 1 ? "" : "s");
	if (!rep->transferred && !rep->repacked && !bad && !rep->remote_corrupt && say_idle)
		cli_info("Everything is up to date.\n");
	if (a->t.verify_remote)
		cli_info("verified %zu object%s on remote '%s': %zu corrupt, %zu replaced\n", rep->verified,
			 rep->verified == 1 ? "" : "s",
			 remote_name(a, repo),
			 rep->remote_corrupt, rep->replaced);
	if (bad) {
		fprintf(stderr, "dv: error: %zu object%s not %s%s\n", bad, bad == 1 ? " was" : "s were", verb,
			rep->failed ? "; a rerun retries them" : "");
		return 1;
	}
	return 0;
}

int cli_transfer_command(int argc, char **argv, dv_repo *repo, const char *const *usage, bool push)
{
	cli_transfer_args a = { 0 };
	dv_transfer_report rep;
	struct dv_lock *lock;
	int rc;

	if ((rc = cli_transfer_parse(&a, argc, argv, usage,
				     push ? CLI_TRANSFER_PUSH : CLI_TRANSFER_FETCH)) >= 0)
		return rc;
	if (!(lock = cli_lock(repo)))
		return 1;
	rc = push ? dv_push(&rep, repo, &a.t) : dv_fetch(&rep, repo, &a.t);
	rc = cli_transfer_print(&rep, rc, push ? "pushed" : "fetched", &a, repo, true);
	dv_transfer_report_free(&rep);
	dv_lock_release(lock);
	return rc;
}
