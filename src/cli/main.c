/*
 * main.c - dv's entry point: global options, the command table, dispatch,
 * help.  Each command lives in its own cmd_<name>.c.
 *
 * `dv CMD -h` prints the short usage; `dv help CMD` and `dv CMD --help`
 * show the full man page dv-CMD(1), as git does.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/git.h"
#include "dv/lock.h"
#include "dv/suggest.h"

int cli_quiet;
int cli_verbose;

static const struct dv_command commands[] = {
#define DV_COMMAND(name, fn, flags, summary) { name, fn, flags, summary },
#include "commands.def"
#undef DV_COMMAND
};

static int cmd_help(int argc, char **argv, dv_repo *repo);
static int cmd_version(int argc, char **argv, dv_repo *repo);

static const struct dv_command builtins[] = {
	{ "help", cmd_help, 0, "show help for dv or a command" },
	{ "version", cmd_version, 0, "print dv's version" },
};

static const struct dv_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(builtins[i].name, name))
			return &builtins[i];
	return NULL;
}

/* "'x' is not a dv command", with the closest command when one is near. */
static int not_a_command(const char *name)
{
	const char *names[sizeof(commands) / sizeof(commands[0]) + sizeof(builtins) / sizeof(builtins[0])];
	size_t n = 0;
	const char *best;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		names[n++] = commands[i].name;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		names[n++] = builtins[i].name;
	if ((best = dv_suggest(name, names, n)) != NULL)
		return cli_usage_error(NULL, "'%s' is not a dv command; did you mean 'dv %s'?", name, best);
	return cli_usage_error(NULL, "'%s' is not a dv command; see 'dv help'", name);
}

static void print_overview(FILE *out)
{
	fprintf(out, "usage: dv [-C DIR] [-q | -v] <command> [<args>]\n\n"
		     "dv: data version control inside git\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "   %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'dv help <command>' or 'man dv-<command>' shows a command's manual.\n");
}

static int show_man_page(const char *page)
{
	/* Prefer the installed page; fall back to the source tree's copy so a
	 * build that was never installed still shows the same text. */
	char *cmd = dv_asprintf("man %s 2>/dev/null || man -l '%s/man/%s.1' 2>/dev/null",
				page, DV_SOURCE_DIR, page);
	int rc = system(cmd);
	free(cmd);
	if (rc != 0)
		return cli_error("no manual page for '%s': is man-db installed? ('dv %s -h' shows the usage)",
				 page, page + 3);
	return 0;
}

static int cmd_help(int argc, char **argv, dv_repo *repo)
{
	char page[128];
	(void)repo;
	if (argc < 2) {
		print_overview(stdout);
		return 0;
	}
	if (!find_command(argv[1]))
		return not_a_command(argv[1]);
	snprintf(page, sizeof(page), "dv-%s", argv[1]);
	return show_man_page(page);
}

static int cmd_version(int argc, char **argv, dv_repo *repo)
{
	(void)argc, (void)argv, (void)repo;
	printf("dv version %s\n", DV_VERSION);
	return 0;
}

static void on_signal(int sig)
{
	/* Whatever was being written lives under a temp name: remove it, then
	 * die of the same signal so the parent sees what happened. */
	dv_tmpfiles_remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signal_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	const struct dv_command *cmd;
	dv_repo *repo = NULL;
	int i = 1, rc;

	install_signal_handlers();
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-C")) {
			if (++i >= argc)
				return cli_usage_error(NULL, "-C needs a directory");
			if (chdir(argv[i]) < 0)
				return cli_error("cannot change to '%s': %s", argv[i], strerror(errno));
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli_quiet = 1;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli_verbose++;
		} else if (!strcmp(a, "--version")) {
			return cmd_version(0, NULL, NULL);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_overview(stdout);
			return 0;
		} else {
			return cli_usage_error(NULL, "unknown option '%s'; see 'dv help'", a);
		}
	}
	if (i >= argc) {
		print_overview(stderr);
		return 2;
	}
	cmd = find_command(argv[i]);
	if (!cmd)
		return not_a_command(argv[i]);
	argc -= i;
	argv += i;
	/* `dv CMD --help` or `dv CMD SUBCMD --help` shows the manual; a
	 * --help further on belongs to something else (the CMD of `dv stage
	 * add -n x grep --help`). */
	if ((argc > 1 && !strcmp(argv[1], "--help")) ||
	    (argc > 2 && argv[1][0] != '-' && !strcmp(argv[2], "--help"))) {
		char page[128];
		snprintf(page, sizeof(page), "dv-%s", cmd->name);
		return show_man_page(page);
	}

	/* libgit2 starts on first use (dv_repo_git), which status never makes. */
	if (cmd->flags & CMD_NEED_REPO) {
		/* -h must work outside a repository too. */
		int wants_help = 0;
		for (int j = 1; j < argc && strcmp(argv[j], "--"); j++)
			if (!strcmp(argv[j], "-h"))
				wants_help = 1;
		if (!wants_help && (rc = dv_repo_open(&repo, NULL)) < 0) {
			rc = cli_fail(rc);
			goto done;
		}
	}
	rc = cmd->fn(argc, argv, repo);
done:
	dv_repo_free(repo);
	dv_git_global_shutdown();
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "dv: error: cannot write output: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;
}
