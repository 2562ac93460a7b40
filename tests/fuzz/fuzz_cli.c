/*
 * fuzz_cli.c - dv's command line: the global options, the command table
 * and every command's option and argument handling, driven through dv's
 * real main() (compiled as dv_cli_main) in-process, so libFuzzer sees the
 * coverage of everything a command line reaches.
 *
 * The input is the argument vector: NUL-separated arguments after "dv"
 * ("status\0--json\0-c" is `dv status --json -c`).  Each input runs in a
 * fresh copy of a small repository made once at start-up (git and dv
 * initialised; a file and a directory tracked and pushed to a directory
 * remote; a command stage that has run; an uncommitted change), so the
 * commands get past "not a dv repository" and parse against real state,
 * and one input never sees what another did.
 *
 * Why a sandbox rather than a parse-only mode: dv's commands parse and act
 * in one function, as git's do, and a parse-only switch through all of them
 * would test a path dv never takes.  So the commands really run, and what
 * they could do beyond the copy is taken away with Landlock before the
 * first input: files may be written only below the fuzzer's temp directory
 * and the directory it was started in (its corpus and crash files), no
 * program may be executed (no `sh -c` from repro, no man, ssh or git), and
 * no TCP connection made (Landlock ABI 4 and later).  The one program
 * allowed is llvm-symbolizer, which ASan runs to print a crash's stack.
 * Without Landlock (Linux before 5.13) the target refuses to start.
 */
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <git2.h>
#include <limits.h>
#include <linux/landlock.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "dv/buf.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "fuzz.h"

int dv_cli_main(int argc, char **argv);

#define MAX_ARGS 32
/* The exit status without Landlock: run.sh reports the target skipped.
 * (libFuzzer's own are 77 for a crash and 70 for a timeout.) */
#define DV_FUZZ_NO_SANDBOX 78

static char base[PATH_MAX];     /* the fuzzer's private temp directory */
static char work[PATH_MAX];     /* base/work: the repository each input runs in */
static char tmpl[PATH_MAX];     /* base/template: what work is reset to */
static int start_dir = -1;      /* where the fuzzer started (corpus, crashes) */

/* ---- the repository copy ------------------------------------------- */

/* A command may leave a directory read-only (a protected cache, say):
 * make every directory writable before removing depth first. */
static int make_writable(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && (st->st_mode & 0700) != 0700)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static void remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (nftw(path, make_writable, 32, FTW_PHYS) < 0 || nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) < 0) {
		fprintf(stderr, "fuzz_cli: cannot remove '%s'\n", path);
		abort();
	}
}

static size_t copy_from_len;
static const char *copy_to;

static int copy_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	dv_buf dst = DV_BUF_INIT, data = DV_BUF_INIT;
	int rc = 0;

	(void)ftw;
	dv_buf_printf(&dst, "%s%s", copy_to, path + copy_from_len);
	if (type == FTW_D) {
		rc = mkdir(dst.ptr, 0700);
	} else if (type == FTW_SL) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			rc = -1;
		else
			target[n] = '\0', rc = symlink(target, dst.ptr);
	} else if (type == FTW_F) {
		rc = dv_read_file(&data, path) < 0 ||
		     dv_write_file_atomic_nosync(dst.ptr, data.ptr, data.len, st->st_mode & 07777) < 0 ? -1 : 0;
	}
	dv_buf_free(&dst);
	dv_buf_free(&data);
	return rc;
}

/* Directories are copied writable and given their modes afterwards. */
static int fix_dir_mode(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	dv_buf dst = DV_BUF_INIT;
	(void)ftw;
	if (type == FTW_DP) {
		dv_buf_printf(&dst, "%s%s", copy_to, path + copy_from_len);
		chmod(dst.ptr, st->st_mode & 07777);
	}
	dv_buf_free(&dst);
	return 0;
}

static void copy_tree(const char *from, const char *to)
{
	copy_from_len = strlen(from);
	copy_to = to;
	if (nftw(from, copy_one, 32, FTW_PHYS) < 0 || nftw(from, fix_dir_mode, 32, FTW_PHYS | FTW_DEPTH) < 0) {
		fprintf(stderr, "fuzz_cli: cannot copy '%s' to '%s'\n", from, to);
		abort();
	}
	dv_error_clear();
}

/* ---- running dv ----------------------------------------------------- */

extern int optind, opterr;

/* One dv command line, as a fresh process would run it. */
static int run_dv(int argc, char **argv)
{
	optind = 0; /* getopt starts over */
	cli_quiet = 0;
	cli_verbose = 0;
	if (chdir(work) < 0)
		abort();
	return dv_cli_main(argc, argv);
}

static void setup_dv(const char *const *args)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	argv[argc++] = (char *)"dv";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	if (run_dv(argc, argv) != 0) {
		fprintf(stderr, "fuzz_cli: setting up the repository: 'dv %s' failed\n", argv[1]);
		abort();
	}
}

static void setup_sh(const char *cmd)
{
	dv_buf b = DV_BUF_INIT;
	dv_buf_printf(&b, "cd '%s' && { %s; } >/dev/null 2>&1", work, cmd);
	if (system(b.ptr) != 0) {
		fprintf(stderr, "fuzz_cli: setting up the repository: '%s' failed\n", cmd);
		abort();
	}
	dv_buf_free(&b);
}

static void write_file(const char *name, const char *text)
{
	dv_buf path = DV_BUF_INIT;
	dv_path_join(&path, work, name);
	if (dv_mkdir_parent(path.ptr) < 0 || dv_write_file_atomic_nosync(path.ptr, text, strlen(text), 0644) < 0)
		abort();
	dv_buf_free(&path);
}

static void make_template(void)
{
	dv_buf store = DV_BUF_INIT;

	dv_path_join(&store, base, "work/store");
	if (mkdir(work, 0700) < 0)
		abort();
	/* No sample hooks: fewer files to copy for every input. */
	setup_sh("git init -q -b main . && rm -rf .git/hooks/* && "
		 "git config user.email fuzz@example.com && git config user.name fuzz");
	setup_dv((const char *const[]){ "init", "-q", NULL });
	write_file("data.csv", "a,b\n1,2\n");
	write_file("images/a.png", "not really a png\n");
	write_file("images/sub/b.png", "nor this\n");
	write_file("params.ini", "[train]\nlambda = 0.1\n");
	setup_dv((const char *const[]){ "add", "-q", "data.csv", "images", NULL });
	setup_dv((const char *const[]){ "remote", "add", "-d", "store", store.ptr, NULL });
	setup_dv((const char *const[]){ "stage", "add", "-q", "-n", "train", "-d", "data.csv", "-p",
					"train.lambda", "-o", "model.bin", "-m", "metrics.json", "--",
					"cp data.csv model.bin && echo '{\"auc\": 0.5}' > metrics.json", NULL });
	setup_dv((const char *const[]){ "repro", "-q", NULL });
	setup_dv((const char *const[]){ "push", "-q", NULL });
	/* Packed: fewer files to copy for every input. */
	setup_sh("git add -A && git commit -q -m init && git tag v1 && git gc -q");
	write_file("data.csv", "a,b\n1,2\n3,4\n");
	dv_buf_free(&store);
	copy_tree(work, tmpl);
}

/* ---- the sandbox ------------------------------------------------------ */

/* Rights newer than the installed <linux/landlock.h> may know of. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define NET_BIND_TCP (1ULL << 0)
#define NET_CONNECT_TCP (1ULL << 1)

/* struct landlock_ruleset_attr as of ABI 4 (the network field added). */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};

static void add_rule(int ruleset, const char *path, uint64_t rights)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = rights };
	struct stat st;

	rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (rule.parent_fd < 0)
		return; /* not on this system: nothing to allow */
	/* Rights that only make sense on a directory may not be given on a file. */
	if (fstat(rule.parent_fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rule.allowed_access &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				       LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
				       LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0) {
		perror("fuzz_cli: landlock_add_rule");
		abort();
	}
	close(rule.parent_fd);
}

static void enter_sandbox(void)
{
	const uint64_t write_rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
		LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
		LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
		LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |
		LANDLOCK_ACCESS_FS_TRUNCATE;
	struct ruleset_attr attr = { 0, 0 };
	size_t attr_size = sizeof(attr);
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	char real[PATH_MAX], cwd[PATH_MAX];
	int ruleset;

	if (abi < 1) {
		fprintf(stderr, "fuzz_cli: this kernel has no Landlock (Linux 5.13 or later, "
				"lsm=landlock): dv's commands cannot be kept inside the fuzzer's temp "
				"directory, so this target does not run\n");
		exit(DV_FUZZ_NO_SANDBOX);
	}
	attr.handled_access_fs = write_rights | LANDLOCK_ACCESS_FS_EXECUTE;
	if (abi < 2)
		attr.handled_access_fs &= ~LANDLOCK_ACCESS_FS_REFER;
	if (abi < 3)
		attr.handled_access_fs &= ~LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 4)
		attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP;
	else
		attr_size = sizeof(attr.handled_access_fs);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (ruleset < 0) {
		perror("fuzz_cli: landlock_create_ruleset");
		abort();
	}
	add_rule(ruleset, base, write_rights & attr.handled_access_fs);
	if (getcwd(cwd, sizeof(cwd)))
		add_rule(ruleset, cwd, write_rights & attr.handled_access_fs);
	add_rule(ruleset, "/dev/null", (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE) &
					 attr.handled_access_fs);
	/* ASan prints a crash's stack through llvm-symbolizer. */
	if (realpath("/usr/bin/llvm-symbolizer", real))
		add_rule(ruleset, real, LANDLOCK_ACCESS_FS_EXECUTE);
	if (realpath("/lib64/ld-linux-x86-64.so.2", real))
		add_rule(ruleset, real, LANDLOCK_ACCESS_FS_EXECUTE);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		perror("fuzz_cli: landlock_restrict_self");
		abort();
	}
	close(ruleset);
}

/* ---- libFuzzer's entry points -------------------------------------- */

static void remove_base(void)
{
	/* Best effort: the process is on its way out. */
	if (fchdir(start_dir) == 0 && nftw(base, make_writable, 32, FTW_PHYS) == 0)
		nftw(base, remove_one, 32, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* run.sh's directory, or tmpfs when there is one: dv fsyncs what
	 * it writes. */
	const char *const parents[] = { getenv("DV_FUZZ_TMPDIR"), "/dev/shm", "/tmp" };
	dv_buf b = DV_BUF_INIT;
	int null_fd;

	(void)argc, (void)argv;
	for (size_t i = 0; i < 3 && !base[0]; i++) {
		if (!parents[i] || !*parents[i])
			continue;
		snprintf(base, sizeof(base), "%s/dv-fuzz-cli-XXXXXX", parents[i]);
		if (!mkdtemp(base))
			base[0] = '\0';
	}
	if (!base[0])
		abort();
	snprintf(work, sizeof(work), "%s/work", base);
	snprintf(tmpl, sizeof(tmpl), "%s/template", base);
	start_dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* dv sees only this directory's settings and never a terminal. */
	dv_buf_printf(&b, "%s/home", base);
	mkdir(b.ptr, 0700);
	setenv("HOME", b.ptr, 1);
	dv_buf_reset(&b);
	dv_buf_printf(&b, "%s/system-config", base);
	setenv("DV_CONFIG_SYSTEM", b.ptr, 1);
	dv_buf_reset(&b);
	dv_buf_printf(&b, "%s/tmp", base);
	mkdir(b.ptr, 0700);
	setenv("TMPDIR", b.ptr, 1);
	setenv("GIT_CEILING_DIRECTORIES", base, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("DV_CONFIG_GLOBAL");
	unsetenv("DV_PROGRESS");
	unsetenv("DV_TEST_KILL_AFTER");
	dv_buf_free(&b);
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd < 0 || dup2(null_fd, 0) < 0)
		abort();
	close(null_fd);

	/* dv's main() shuts libgit2 down as it returns, and dv initialises it
	 * once per process: hold a reference of our own so it stays up from
	 * one input to the next. */
	git_libgit2_init();
	atexit(remove_base);
	make_template();
	if (fchdir(start_dir) < 0)
		abort();
	enter_sandbox();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[MAX_ARGS + 2];
	int argc = 0;

	/* Arguments are C strings: split at NUL, at most MAX_ARGS of them. */
	copy = dv_malloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = (char *)"dv";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS;) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	argv[argc] = NULL;

	remove_tree(work);
	copy_tree(tmpl, work);
	run_dv(argc, argv);
	fflush(stdout);
	dv_error_clear();
	if (fchdir(start_dir) < 0)
		abort();
	free(copy);
	return 0;
}
