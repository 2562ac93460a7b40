/*
 * cmd_gc.c - `dv gc (-w | --all-branches | --all-tags | --all-commits)
 * [-c [-r REMOTE]] [-n] [-f]`: delete the objects no kept revision
 * references, from the cache and with -c from a remote.
 *
 * Deleting is the one thing dv cannot undo, so gc wants a scope named
 * explicitly, lists before it deletes (-n only lists), and asks unless -f;
 * without a terminal to ask on, it refuses rather than guess.  On a remote
 * it keeps what was pushed within gc.remote_grace, and says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dv/cache.h"
#include "dv/error.h"
#include "dv/gc.h"
#include "dv/lock.h"

static const char *const usage[] = {
	"dv gc (-w | -a | -T | -A)... [-c [-r REMOTE]] [-n] [-f] [-q]",
	NULL,
};

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

static const char *objects_word(size_t n)
{
	return n == 1 ? "object" : "objects";
}

/* A grace period as the user wrote it best: whole days, hours, minutes. */
static void format_duration(char *out, size_t n, int64_t ns)
{
	long long s = (long long)(ns / 1000000000LL);
	if (s && s % 86400 == 0)
		snprintf(out, n, "%lldd", s / 86400);
	else if (s && s % 3600 == 0)
		snprintf(out, n, "%lldh", s / 3600);
	else if (s && s % 60 == 0)
		snprintf(out, n, "%lldm", s / 60);
	else
		snprintf(out, n, "%llds", s);
}

/* The line saying which unreferenced remote objects were kept as young. */
static void print_young(const dv_gc_plan *plan, const dv_remote *remote)
{
	char grace[32];
	if (!plan->remote_young)
		return;
	format_duration(grace, sizeof(grace), plan->remote_grace_ns);
	cli_info("kept %zu unreferenced %s on remote '%s' pushed less than %s ago (gc.remote_grace): "
		 "other clones may need them\n", plan->remote_young, objects_word(plan->remote_young),
		 remote->name, grace);
}

static void print_dry_run(const dv_gc_plan *plan, const dv_remote *remote)
{
	char text[64];

	if (cli_quiet)
		return;
	for (size_t i = 0; i < plan->garbage.n; i++) {
		const dv_cached_object *o = dv_vec_at(&plan->garbage, dv_cached_object, i);
		dv_hash_format(text, sizeof(text), &o->hash, o->is_dir);
		printf("would remove %s (%llu bytes)\n", text, (unsigned long long)o->size);
	}
	for (size_t i = 0; i < plan->remote_garbage.n; i++)
		printf("would remove %s from remote '%s'\n", plan->remote_garbage.v[i], remote->name);
	for (size_t i = 0; i < plan->stale_tmp.n; i++)
		printf("would remove %s (left by an interrupted write)\n", plan->stale_tmp.v[i]);
	for (size_t i = 0; i < plan->remote_stale_tmp.n; i++)
		printf("would remove %s from remote '%s' (left by an interrupted push)\n",
		       plan->remote_stale_tmp.v[i], remote->name);
	printf("would remove %zu of %zu objects from the cache, freeing %llu bytes (%.1f MiB)",
	       plan->garbage.n, plan->cache_objects, (unsigned long long)plan->garbage_bytes,
	       mib(plan->garbage_bytes));
	if (plan->with_remote)
		printf("; %zu of %zu objects from remote '%s'", plan->remote_garbage.n,
		       plan->remote_objects, remote->name);
	if (plan->stale_tmp.n)
		printf("; %zu leftover temp file%s (%.1f MiB)", plan->stale_tmp.n,
		       plan->stale_tmp.n == 1 ? "" : "s", mib(plan->stale_tmp_bytes));
	if (plan->remote_stale_tmp.n)
		printf("; %zu leftover temp file%s from remote '%s'", plan->remote_stale_tmp.n,
		       plan->remote_stale_tmp.n == 1 ? "" : "s", remote->name);
	printf("\n");
	print_young(plan, remote);
}

/* Ask on the terminal; false (and a message) when there is none. */
static bool confirm(const dv_gc_plan *plan, const dv_remote *remote)
{
	char answer[16];

	if (!isatty(STDIN_FILENO)) {
		cli_error("refusing to delete without confirmation: stdin is not a terminal; "
			  "rerun with -f to delete, or -n to list what would go");
		return false;
	}
	fprintf(stderr, "Remove %zu %s (%.1f MiB) from the cache", plan->garbage.n,
		objects_word(plan->garbage.n), mib(plan->garbage_bytes));
	if (plan->stale_tmp.n)
		fprintf(stderr, ", %zu leftover temp file%s", plan->stale_tmp.n,
			plan->stale_tmp.n == 1 ? "" : "s");
	if (plan->with_remote)
		fprintf(stderr, " and %zu from remote '%s' (which other clones may share)",
			plan->remote_garbage.n, remote->name);
	if (plan->remote_stale_tmp.n)
		fprintf(stderr, ", %zu leftover temp file%s there", plan->remote_stale_tmp.n,
			plan->remote_stale_tmp.n == 1 ? "" : "s");
	fprintf(stderr, "? [y/N] ");
	fflush(stderr);
	if (!fgets(answer, sizeof(answer), stdin))
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

int cmd_gc(int argc, char **argv, dv_repo *repo)
{
	static const struct option longopts[] = {
		{ "workspace", no_argument, NULL, 'w' },
		{ "all-branches", no_argument, NULL, 'a' },
		{ "all-tags", no_argument, NULL, 'T' },
		{ "all-commits", no_argument, NULL, 'A' },
		{ "cloud", no_argument, NULL, 'c' },
		{ "remote", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ 0, 0, 0, 0 },
	};
	dv_gc_plan plan;
	dv_remote *remote = NULL;
	struct dv_lock *lock = NULL;
	const char *remote_name = NULL;
	bool cloud = false, dry_run = false, force = false;
	unsigned scope = 0;
	size_t removed = 0, remote_removed = 0;
	int c, rc;

	memset(&plan, 0, sizeof(plan));
	while ((c = cli_getopt(argc, argv, "waTAcr:nf", longopts)) != -1) {
		switch (c) {
		case 'w': scope |= DV_SCOPE_WORKSPACE; break;
		case 'a': scope |= DV_SCOPE_BRANCHES; break;
		case 'T': scope |= DV_SCOPE_TAGS; break;
		case 'A': scope |= DV_SCOPE_COMMITS; break;
		case 'c': cloud = true; break;
		case 'r': remote_name = optarg; break;
		case 'n': dry_run = true; break;
		case 'f': force = true; break;
		case 'h':
			return cli_usage(usage);
		default:
			return 2; /* cli_getopt named the option */
		}
	}
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (!scope)
		return cli_usage_error(usage, "gc needs a scope: name what to keep with -w (the "
				       "workspace), --all-branches, --all-tags or --all-commits");
	if (remote_name && !cloud)
		return cli_usage_error(usage, "-r names the remote to clean, which needs -c");
	if (!(lock = cli_lock(repo)))
		return 1;
	if (cloud && (rc = dv_remote_open(&remote, repo->config, remote_name, repo->root)) < 0) {
		rc = cli_fail(rc);
		goto done;
	}
	if ((rc = dv_gc_plan_make(&plan, repo, scope, remote)) < 0) {
		rc = cli_fail(rc);
		goto done;
	}
	for (size_t i = 0; i < plan.used.warnings.n; i++)
		fprintf(stderr, "dv: warning: %s\n", plan.used.warnings.v[i]);
	if (plan.used.missing_manifests.n) {
		for (size_t i = 0; i < plan.used.missing_manifests.n; i++)
			fprintf(stderr, "dv: error: cannot read manifest %s\n", plan.used.missing_manifests.v[i]);
		rc = cli_error("refusing to collect garbage: the files of %zu kept director%s are "
			       "unknown; bring the manifests with 'dv fetch%s' (or 'dv gc -c' from "
			       "the remote that has them), or keep fewer revisions",
			       plan.used.missing_manifests.n,
			       plan.used.missing_manifests.n == 1 ? "y" : "ies",
			       (scope & DV_SCOPE_COMMITS) ? " --all-commits" : "");
		goto done;
	}
	if (dry_run) {
		print_dry_run(&plan, remote);
		rc = 0;
		goto done;
	}
	if (!plan.garbage.n && !plan.remote_garbage.n && !plan.stale_tmp.n && !plan.remote_stale_tmp.n) {
		print_young(&plan, remote);
		cli_info("nothing to remove: every object is referenced by a kept revision%s\n",
			 plan.remote_young ? " or too young to judge" : "");
		/* Still let a packed remote delete packs retired longer ago
		 * than the grace (no user data: their objects are in other
		 * packs or garbage). */
		rc = remote ? dv_gc_apply(&removed, &remote_removed, repo, &plan, remote) : 0;
		if (rc < 0)
			rc = cli_fail(rc);
		goto done;
	}
	if (!force && !confirm(&plan, remote)) {
		fprintf(stderr, "nothing removed\n");
		rc = 1;
		goto done;
	}
	rc = dv_gc_apply(&removed, &remote_removed, repo, &plan, remote);
	cli_info("removed %zu %s from the cache", removed, objects_word(removed));
	if (rc == 0)
		cli_info(", freeing %llu bytes (%.1f MiB)", (unsigned long long)plan.garbage_bytes,
			 mib(plan.garbage_bytes));
	if (plan.with_remote)
		cli_info(" and %zu from remote '%s'", remote_removed, remote->name);
	if (plan.with_remote && remote->left_in_packs)
		cli_info(" (%zu left inside packs that are mostly live)", remote->left_in_packs);
	if (rc == 0 && plan.stale_tmp.n)
		cli_info("; removed %zu leftover temp file%s (%.1f MiB)", plan.stale_tmp.n,
			 plan.stale_tmp.n == 1 ? "" : "s", mib(plan.stale_tmp_bytes));
	if (rc == 0 && plan.remote_stale_tmp.n)
		cli_info("; removed %zu leftover temp file%s from remote '%s'", plan.remote_stale_tmp.n,
			 plan.remote_stale_tmp.n == 1 ? "" : "s", remote->name);
	cli_info("\n");
	if (plan.with_remote)
		print_young(&plan, remote);
	if (rc < 0)
		rc = cli_fail(rc);
done:
	dv_gc_plan_free(&plan);
	dv_remote_free(remote);
	dv_lock_release(lock);
	return rc;
}
