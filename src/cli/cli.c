/*
 * cli.c - helpers shared by the commands: error and usage printing,
 * option parsing with the common flags, taking the repository lock, the
 * body of commands that change stages, and the checkout report that
 * `dv checkout` and `dv pull` print alike.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dv/addjournal.h"
#include "dv/progress.h"
#include "dv/remote.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/lock.h"
#include "dv/recover.h"
#include "dv/staleness.h"
#include "dv/workspace.h"

int cli_exit_code(int rc)
{
	if (rc >= 0)
		return rc;
	return rc == DV_EUSAGE ? 2 : 1;
}

int cli_fail(int rc)
{
	const char *msg = dv_error_last();
	cli_progress_clear();
	fprintf(stderr, "dv: error: %s\n", msg && *msg ? msg : "unknown failure");
	return cli_exit_code(rc);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;
	cli_progress_clear();
	fputs("dv: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_usage(const char *const *usage)
{
	for (size_t i = 0; usage && usage[i]; i++)
		printf("%s%s\n", i ? "   or: " : "usage: ", usage[i]);
	return 0;
}

int cli_usage_error(const char *const *usage, const char *fmt, ...)
{
	va_list ap;
	fputs("dv: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	for (size_t i = 0; usage && usage[i]; i++)
		fprintf(stderr, "%s%s\n", i ? "   or: " : "usage: ", usage[i]);
	return 2;
}

void cli_info(const char *fmt, ...)
{
	va_list ap;
	if (cli_quiet)
		return;
	cli_progress_clear();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	static struct option merged[64];
	static char shorts[128];
	static const struct option *merged_for;
	static bool merged_ready;
	int c;

	if (!merged_ready || merged_for != longopts) {
		size_t n = 0;
		for (; longopts && longopts[n].name && n < 60; n++)
			merged[n] = longopts[n];
		merged[n++] = (struct option){ "help", no_argument, NULL, 'h' };
		merged[n++] = (struct option){ "quiet", no_argument, NULL, 'q' };
		merged[n++] = (struct option){ "verbose", no_argument, NULL, 'v' };
		merged[n] = (struct option){ 0, 0, 0, 0 };
		/* A leading '+' (stop at the first non-option) is kept in
		 * front, for commands such as `stage add` whose CMD follows. */
		const char *s = shortopts ? shortopts : "";
		int posix = s[0] == '+';
		snprintf(shorts, sizeof(shorts), "%s:%shqv", posix ? "+" : "", s + posix);
		merged_for = longopts;
		merged_ready = true;
		optind = 0;
	}
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, shorts, merged, NULL);
		if (c == 'q') {
			cli_quiet = 1;
			continue;
		}
		if (c == 'v') {
			cli_verbose++;
			continue;
		}
		break;
	}
	if (c == '?') {
		if (optopt)
			fprintf(stderr, "dv: error: unknown option '-%c'; see 'dv %s -h'\n", optopt, argv[0]);
		else
			fprintf(stderr, "dv: error: unknown option '%s'; see 'dv %s -h'\n", argv[optind - 1], argv[0]);
	} else if (c == ':') {
		fprintf(stderr, "dv: error: option '%s' needs a value; see 'dv %s -h'\n", argv[optind - 1], argv[0]);
		c = '?';
	}
	return c;
}

struct dv_lock *cli_lock(dv_repo *repo)
{
	struct dv_lock *lock = NULL;
	size_t removed = 0, staged = 0, restored = 0;
	bool index_lock = false;
	int rc = dv_lock_acquire(&lock, repo->dvdir, DV_LOCK_TIMEOUT_MS);
	if (rc < 0) {
		cli_fail(rc);
		return NULL;
	}
	/* A symlink add killed (or interrupted) between moving a file into
	 * the cache and linking it back: the link goes back before the
	 * command looks at the work tree.  One opendir when there is none. */
	if (dv_addjournal_replay(&restored, repo) < 0)
		dv_error_clear();
	else if (restored && !cli_quiet)
		fprintf(stderr, "dv: an earlier dv was killed while adding: linked back %zu file%s it had moved into the cache\n",
			restored, restored == 1 ? "" : "s");
	/* The last holder was killed mid-command: what it was writing lies
	 * about under temp names.  Failing to sweep costs only disk space. */
	if (dv_lock_killed_holder(lock)) {
		if (dv_recover_tmpfiles(&removed, repo) < 0)
			dv_error_clear();
		else if (removed && !cli_quiet)
			fprintf(stderr, "dv: an earlier dv (pid %ld) was killed while writing: removed %zu temp file%s it left\n",
				dv_lock_killed_holder(lock), removed, removed == 1 ? "" : "s");
		if (dv_recover_git_index_lock(&index_lock, repo, dv_lock_killed_holder(lock)) < 0)
			dv_error_clear();
		else if (index_lock && !cli_quiet)
			fprintf(stderr, "dv: an earlier dv (pid %ld) was killed while writing git's index: removed the "
				".git/index.lock it left\n", dv_lock_killed_holder(lock));
		if (dv_recover_restage(&staged, repo) < 0)
			dv_error_clear();
		else if (staged && !cli_quiet)
			fprintf(stderr, "dv: an earlier dv (pid %ld) was killed before staging in git: staged %zu file%s it "
				"had written\n", dv_lock_killed_holder(lock), staged, staged == 1 ? "" : "s");
	}
	return lock;
}

int cli_change_stages(dv_repo *repo, char *const *targets, size_t ntargets, cli_stage_fn fn,
		      void *ctx, const char *verb)
{
	dv_vec stages = DV_VEC_INIT(dv_stage *);
	dv_strvec to_stage = DV_STRVEC_INIT;
	struct dv_lock *lock;
	int rc, failed = 0;

	if (!(lock = cli_lock(repo)))
		return 1;
	dv_repo_git_prefetch(repo); /* for staging what changed, at the end */
	if ((rc = dv_workspace_load_targets(&stages, repo, targets, ntargets)) < 0) {
		failed = cli_fail(rc);
		goto done;
	}
	for (size_t i = 0; i < stages.n; i++) {
		dv_stage *st = *dv_vec_at(&stages, dv_stage *, i);
		if ((rc = fn(repo, st, &to_stage, ctx)) < 0)
			failed = cli_fail(rc);
		else
			cli_info("%s %s\n", verb, st->path);
	}
	if ((rc = dv_stage_git_add(repo, &to_stage)) < 0)
		failed = cli_fail(rc);
done:
	dv_stages_free(&stages);
	dv_strvec_free(&to_stage);
	dv_repo_save_statcache(repo);
	dv_lock_release(lock);
	return failed;
}

int cli_print_checkout_report(size_t *restored, dv_repo *repo, const dv_vec *report,
			      const cli_checkout_print_opts *o)
{
	size_t written = 0;
	int failed = 0;

	for (size_t i = 0; i < report->n; i++) {
		const dv_checkout_item *it = dv_vec_at(report, dv_checkout_item, i);
		char *shown = dv_repo_display_path(repo, it->path);
		switch (it->result) {
		case DV_CO_RESTORED:
			written++;
			if (!o->json)
				cli_info("M\t%s\n", shown);
			break;
		case DV_CO_RELINKED:
			if (!o->json)
				cli_info("relinked\t%s\n", shown);
			break;
		case DV_CO_KEPT:
			failed = 1;
			fprintf(stderr, "dv: error: '%s' has changes that are not in the cache: kept it; "
				"'dv commit' records them, 'dv %s -f' discards them\n", shown, o->command);
			break;
		case DV_CO_MISSING:
		case DV_CO_FAILED:
			failed = 1;
			/* A fetch names what the remote lacked, with the reason;
			 * saying it again per path would only repeat it. */
			if (it->result == DV_CO_FAILED || !o->missing_reported)
				fprintf(stderr, "dv: error: %s\n", it->message ? it->message : shown);
			break;
		case DV_CO_UNCHANGED:
			break;
		}
		free(shown);
	}
	if (restored)
		*restored = written;
	return failed;
}

struct dv_progress *cli_progress_begin(const char *what)
{
	dv_progress *p;
	if (cli_quiet)
		return NULL;
	p = dv_progress_new(what, 0, 0);
	dv_progress_set_unit(p, "files");
	dv_progress_set_active(p);
	return p;
}

void cli_progress_clear(void)
{
	dv_progress_clear(dv_progress_active());
}

void cli_progress_end(struct dv_progress *p)
{
	if (!p)
		return;
	dv_progress_set_active(NULL);
	dv_progress_clear(p);
	dv_progress_done(p);
}

int cli_import_target(char **rel, char **stage_path, dv_repo *repo, const char *out)
{
	dv_buf abs = DV_BUF_INIT;
	int rc;

	*stage_path = NULL;
	if ((rc = dv_repo_relpath(rel, repo, out)) < 0)
		return rc;
	*stage_path = dv_asprintf("%s%s", *rel, DV_STAGE_SUFFIX);
	dv_repo_abspath(&abs, repo, *stage_path);
	if (dv_path_exists(abs.ptr)) {
		rc = dv_error(DV_EEXISTS, "'%s' exists already: 'dv update %s' follows its source, "
			      "'dv remove %s' untracks it", *stage_path, *stage_path, *stage_path);
	} else {
		dv_repo_abspath(&abs, repo, *rel);
		if (dv_path_exists(abs.ptr))
			rc = dv_error(DV_EEXISTS, "'%s' exists already: remove it or name another output", *rel);
	}
	dv_buf_free(&abs);
	return rc;
}

int cli_import_checkout(dv_repo *repo, const dv_stage *st, const char *rel)
{
	dv_vec report = DV_VEC_INIT(dv_checkout_item);
	dv_checkout_opts opts = { false, false };
	int rc = 0;

	dv_workspace_checkout_entry(repo, dv_stage_out((dv_stage *)st, 0), rel, &opts, &report);
	for (size_t i = 0; i < report.n && rc == 0; i++) {
		dv_checkout_item *it = dv_vec_at(&report, dv_checkout_item, i);
		if (it->result == DV_CO_KEPT)
			rc = dv_error(DV_ECHANGED, "'%s' has changes that are not in the cache: kept it; "
				      "'dv checkout -f %s' discards them first", it->path, st->path);
		else if (it->result == DV_CO_FAILED || it->result == DV_CO_MISSING)
			rc = dv_error(DV_ERROR, "%s", it->message ? it->message : it->path);
	}
	dv_checkout_report_free(&report);
	return rc;
}

int cli_run_subcommand(int argc, char **argv, dv_repo *repo, const cli_subcommand *subs, size_t nsubs,
		       const char *const *usage, const char *what)
{
	char *sub_argv0;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "-h"))
		return argc < 2 ? cli_usage_error(usage, "'dv %s' needs a subcommand: %s", argv[0], what)
				: cli_usage(usage);
	for (size_t i = 0; i < nsubs; i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		if (!repo) /* main.c saw -h */
			return cli_usage(usage);
		sub_argv0 = dv_asprintf("%s %s", argv[0], argv[1]);
		argv[1] = sub_argv0;
		ret = subs[i].fn(argc - 1, argv + 1, repo);
		free(sub_argv0);
		return ret;
	}
	return cli_usage_error(usage, "unknown subcommand '%s %s'; see 'dv %s -h'", argv[0], argv[1], argv[0]);
}
