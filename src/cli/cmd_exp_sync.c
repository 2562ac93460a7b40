/*
 * cmd_exp_sync.c - `dv exp push GIT_REMOTE [NAME...]` and `dv exp pull
 * GIT_REMOTE NAME...`: the experiments' refs through git (sync.c), their
 * data through the default dv remote (or -r REMOTE), as `dv push` and
 * `dv fetch` move it: only what the experiments' .stage files name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_exp.h"
#include "dv/error.h"
#include "dv/exp.h"
#include "dv/transfer.h"

typedef struct {
	const char *remote;  /* -r: the dv remote */
	bool no_data;
	bool force;
} sync_args;

static int parse(sync_args *a, int argc, char **argv)
{
	static const struct option longopts[] = { { "remote", required_argument, NULL, 'r' },
						  { "no-data", no_argument, NULL, 'D' },
						  { "force", no_argument, NULL, 'f' },
						  { 0, 0, 0, 0 } };
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = cli_getopt(argc, argv, "r:f", longopts)) != -1) {
		switch (c) {
		case 'r': a->remote = optarg; break;
		case 'D': a->no_data = true; break;
		case 'f': a->force = true; break;
		case 'h': return cli_usage(cli_exp_usage());
		default: return 2;
		}
	}
	return -1;
}

/* Move the data of experiments `names` (push or fetch); prints a line. */
static int move_data(dv_repo *repo, const sync_args *a, const dv_strvec *names, bool push)
{
	dv_transfer_opts o;
	dv_transfer_report rep;
	dv_strvec revs = DV_STRVEC_INIT;
	int rc;

	memset(&o, 0, sizeof(o));
	for (size_t i = 0; i < names->n; i++)
		dv_strvec_push_take(&revs, dv_asprintf(DV_EXP_REF_PREFIX "%s", names->v[i]));
	o.remote = a->remote;
	o.revs = (const char *const *)revs.v;
	o.nrevs = revs.n;
	rc = push ? dv_push(&rep, repo, &o) : dv_fetch(&rep, repo, &o);
	for (size_t i = 0; i < rep.messages.n; i++)
		fprintf(stderr, "dv: warning: %s\n", rep.messages.v[i]);
	if (rc == 0 && !cli_quiet)
		printf("%zu file%s %s, %zu already there\n", rep.transferred, rep.transferred == 1 ? "" : "s",
		       push ? "pushed" : "fetched", rep.up_to_date);
	dv_transfer_report_free(&rep);
	dv_strvec_free(&revs);
	return rc;
}

int cli_exp_push(int argc, char **argv, dv_repo *repo)
{
	sync_args a;
	dv_strvec names = DV_STRVEC_INIT;
	int ret = parse(&a, argc, argv), rc;

	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return cli_usage_error(cli_exp_usage(), "exp push needs a GIT_REMOTE (a remote's name or a URL)");
	if (optind + 1 == argc) {
		dv_vec all;
		if ((rc = dv_exp_list(&all, repo)) < 0)
			return cli_fail(rc);
		for (size_t i = 0; i < all.n; i++)
			dv_strvec_push(&names, dv_vec_at(&all, dv_exp_info, i)->name);
		dv_exp_list_free(&all);
	}
	for (int i = optind + 1; i < argc; i++) {
		dv_exp_info e;
		if ((rc = dv_exp_lookup(&e, repo, argv[i])) < 0) {
			dv_strvec_free(&names);
			return cli_fail(rc);
		}
		dv_strvec_push(&names, e.name);
		dv_exp_info_clear(&e);
	}
	if (!names.n) {
		if (!cli_quiet)
			printf("No experiments to push\n");
		return 0;
	}
	/* Data first: a ref that arrives names data that is there. */
	if (!a.no_data && (rc = move_data(repo, &a, &names, true)) < 0) {
		dv_strvec_free(&names);
		return cli_fail(dv_error_wrap(rc, "experiments not pushed: their data could not go to the dv remote "
					      "(--no-data pushes only the refs)"));
	}
	if ((rc = dv_exp_push_refs(repo, argv[optind], &names, a.force)) < 0) {
		dv_strvec_free(&names);
		return cli_fail(rc);
	}
	if (!cli_quiet)
		for (size_t i = 0; i < names.n; i++)
			printf("Pushed experiment '%s' to %s\n", names.v[i], argv[optind]);
	dv_strvec_free(&names);
	return 0;
}

int cli_exp_pull(int argc, char **argv, dv_repo *repo)
{
	sync_args a;
	dv_strvec names = DV_STRVEC_INIT, got = DV_STRVEC_INIT;
	int ret = parse(&a, argc, argv), rc;

	if (ret >= 0)
		return ret;
	if (optind >= argc)
		return cli_usage_error(cli_exp_usage(), "exp pull needs a GIT_REMOTE and experiment NAMEs");
	for (int i = optind + 1; i < argc; i++)
		dv_strvec_push(&names, argv[i]);
	if ((rc = dv_exp_fetch_refs(&got, repo, argv[optind], &names, a.force)) < 0)
		ret = cli_fail(rc);
	else if (!a.no_data && got.n && (rc = move_data(repo, &a, &got, false)) < 0)
		ret = cli_fail(dv_error_wrap(rc, "the experiments' refs arrived, but not all their data"));
	else
		ret = 0;
	if (ret == 0 && !cli_quiet)
		for (size_t i = 0; i < got.n; i++)
			printf("Pulled experiment '%s'\n", got.v[i]);
	dv_strvec_free(&names);
	dv_strvec_free(&got);
	return ret;
}
