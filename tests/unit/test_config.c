/* Config: the four levels and their order, git-style subsections, the
 * textual writer keeping everything else, secrets, unknown keys, and
 * malformed files named by file and line. */
#include <sys/stat.h>

#include "dv/config.h"
#include "dv/fs.h"
#include "test.h"

static char *path_in_tmp(const char *name)
{
	return dv_asprintf("%s/%s", test_tmpdir(), name);
}

static void write_text(const char *path, const char *text)
{
	CHECK_OK(dv_mkdir_parent(path));
	CHECK_OK(dv_write_file_atomic(path, text, strlen(text), 0644));
}

static char *read_text(const char *path)
{
	dv_buf b = DV_BUF_INIT;
	CHECK_OK(dv_read_file(&b, path));
	return dv_buf_detach(&b);
}

/* A fresh repo-level directory and system/global files for one test. */
typedef struct {
	char *dvdir, *system, *global, *repo, *local;
} levels;

static void levels_init(levels *l, const char *name)
{
	char *base = path_in_tmp(name);
	l->dvdir = dv_asprintf("%s/.dv", base);
	l->system = dv_asprintf("%s/etc/dv/config", base);
	l->global = dv_asprintf("%s/home/.config/dv/config", base);
	l->repo = dv_asprintf("%s/config", l->dvdir);
	l->local = dv_asprintf("%s/config.local", l->dvdir);
	CHECK_OK(dv_mkdir_p(l->dvdir, 0777));
	setenv("DV_CONFIG_SYSTEM", l->system, 1);
	setenv("DV_CONFIG_GLOBAL", l->global, 1);
	free(base);
}

static void levels_free(levels *l)
{
	free(l->dvdir);
	free(l->system);
	free(l->global);
	free(l->repo);
	free(l->local);
}

TEST(later_levels_win)
{
	levels l;
	dv_config *cfg = NULL;
	bool b;

	levels_init(&l, "layering");
	write_text(l.system, "[core]\nremote = sys\nautostage = false\n[cache]\ntype = copy\n");
	write_text(l.global, "[core]\nremote = glob\n[cache]\nprotected = yes\n");
	write_text(l.repo, "# committed\n[core]\nremote = repo\n");
	write_text(l.local, "[core]\nremote = local\n");
	CHECK_OK(dv_config_load(&cfg, l.dvdir));
	if (!cfg)
		goto done;
	CHECK_STR(dv_config_get(cfg, "core.remote"), "local");
	CHECK_STR(dv_config_get_at_level(cfg, "core.remote", DV_CONFIG_REPO), "repo");
	CHECK_STR(dv_config_get_at_level(cfg, "core.remote", DV_CONFIG_SYSTEM), "sys");
	CHECK_STR(dv_config_get(cfg, "cache.type"), "copy");
	CHECK(dv_config_get(cfg, "cache.dir") == NULL);
	CHECK_OK(dv_config_get_bool(cfg, "core.autostage", true, &b));
	CHECK(!b);
	CHECK_OK(dv_config_get_bool(cfg, "cache.protected", false, &b));
	CHECK(b);
	CHECK_OK(dv_config_get_bool(cfg, "remote.x.jobs", true, &b));
	CHECK(b);
	CHECK_INT(dv_config_count(cfg), 7);
	CHECK_INT(dv_config_entry_at(cfg, 0)->level, DV_CONFIG_SYSTEM);
	CHECK_INT(dv_config_entry_at(cfg, 0)->line, 2);
	CHECK_INT(dv_config_entry_at(cfg, 5)->level, DV_CONFIG_REPO);
	CHECK_INT(dv_config_entry_at(cfg, 5)->line, 3);
	CHECK_INT(dv_config_entry_at(cfg, 6)->level, DV_CONFIG_LOCAL);
	CHECK_STR(dv_config_level_file(cfg, DV_CONFIG_GLOBAL), l.global);
	dv_config_free(cfg);

	/* Outside a repository only system and global are read. */
	CHECK_OK(dv_config_load(&cfg, NULL));
	if (cfg) {
		CHECK_STR(dv_config_get(cfg, "core.remote"), "glob");
		CHECK(dv_config_level_file(cfg, DV_CONFIG_REPO) == NULL);
	}
done:
	dv_config_free(cfg);
	levels_free(&l);
}

TEST(global_path_follows_the_environment)
{
	dv_buf p = DV_BUF_INIT;
	char *saved = getenv("DV_CONFIG_GLOBAL") ? strdup(getenv("DV_CONFIG_GLOBAL")) : NULL;

	unsetenv("DV_CONFIG_GLOBAL");
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	CHECK_OK(dv_config_path(&p, DV_CONFIG_GLOBAL, NULL));
	CHECK_STR(p.ptr, "/xdg/dv/config");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	CHECK_OK(dv_config_path(&p, DV_CONFIG_GLOBAL, NULL));
	CHECK_STR(p.ptr, "/home/u/.config/dv/config");
	setenv("DV_CONFIG_GLOBAL", "/g/config", 1);
	CHECK_OK(dv_config_path(&p, DV_CONFIG_GLOBAL, NULL));
	CHECK_STR(p.ptr, "/g/config");
	unsetenv("DV_CONFIG_SYSTEM");
	CHECK_OK(dv_config_path(&p, DV_CONFIG_SYSTEM, NULL));
	CHECK_STR(p.ptr, "/etc/dv/config");
	CHECK_OK(dv_config_path(&p, DV_CONFIG_LOCAL, "/r/.dv"));
	CHECK_STR(p.ptr, "/r/.dv/config.local");
	CHECK_FAILS(dv_config_path(&p, DV_CONFIG_REPO, NULL), "not in a dv repository");
	if (saved)
		setenv("DV_CONFIG_GLOBAL", saved, 1);
	free(saved);
	dv_buf_free(&p);
}

TEST(subsections_and_indented_keys)
{
	levels l;
	dv_config *cfg = NULL;
	dv_strvec names = DV_STRVEC_INIT;

	levels_init(&l, "subsections");
	write_text(l.repo,
		   "[remote \"origin\"]\n"
		   "\turl = s3://bucket/prefix\n"
		   "\tendpoint = http://127.0.0.1:9000\n"
		   "  region = \"  us-east-1 \"\n"
		   "[remote \"my.backup\"]\n"
		   "url = /mnt/backup ; a comment\n"
		   "[remote \"origin\"]\n"
		   "jobs = 8\n");
	write_text(l.local, "[remote \"origin\"]\nsecret_access_key = s3cr3t\n");
	CHECK_OK(dv_config_load(&cfg, l.dvdir));
	if (cfg) {
		CHECK_STR(dv_config_get(cfg, "remote.origin.url"), "s3://bucket/prefix");
		CHECK_STR(dv_config_get(cfg, "remote.origin.endpoint"), "http://127.0.0.1:9000");
		CHECK_STR(dv_config_get(cfg, "remote.origin.region"), "  us-east-1 ");
		CHECK_STR(dv_config_get(cfg, "remote.origin.jobs"), "8");
		CHECK_STR(dv_config_get(cfg, "remote.my.backup.url"), "/mnt/backup");
		CHECK_STR(dv_config_get(cfg, "remote.origin.secret_access_key"), "s3cr3t");
		dv_config_remote_names(&names, cfg);
		CHECK_INT(names.n, 2);
		if (names.n == 2) {
			CHECK_STR(names.v[0], "my.backup");
			CHECK_STR(names.v[1], "origin");
		}
		unsigned long jobs = 0;
		CHECK_OK(dv_config_get_uint(cfg, "remote.origin.jobs", 4, &jobs));
		CHECK_INT(jobs, 8);
		CHECK_OK(dv_config_get_uint(cfg, "remote.other.jobs", 4, &jobs));
		CHECK_INT(jobs, 4);
	}
	dv_strvec_free(&names);
	dv_config_free(cfg);
	levels_free(&l);
}

static void check_load_error(const char *repo_text, const char *where, const char *what)
{
	levels l;
	dv_config *cfg = NULL;

	levels_init(&l, "malformed");
	write_text(l.repo, repo_text);
	CHECK_FAILS(dv_config_load(&cfg, l.dvdir), where);
	CHECK(cfg == NULL);
	if (!strstr(dv_error_last(), what)) {
		fprintf(stderr, "    message: %s\n    lacks:   %s\n", dv_error_last(), what);
		CHECK(0);
	}
	dv_config_free(cfg);
	levels_free(&l);
}

TEST(malformed_files_name_file_and_line)
{
	char long_line[300];

	check_load_error("[core]\nremote = a\n[cache\n", "config' line 3:", "missing ']'");
	check_load_error("[core]\n\nremote\n", "config' line 3:", "expected 'key = value'");
	check_load_error("remote = a\n", "config' line 1:", "before any section");
	check_load_error("[core]\nfoo = 1\n", "config' line 2:", "unknown config key 'core.foo'");
	check_load_error("[core]\nfoo = 1\n", "line 2", "cache.type");
	check_load_error("[colour]\nui = auto\n", "config' line 1:", "unknown section");
	check_load_error("[remote]\nurl = x\n", "config' line 1:", "needs a name");
	check_load_error("[remote origin]\nurl = x\n", "config' line 1:", "[remote \"NAME\"]");
	check_load_error("[remote \"a b\"]\nurl = x\n", "config' line 1:", "invalid remote name");
	check_load_error("[remote \"0123456789012345678901234567890123456789x\"]\nurl = x\n",
			 "config' line 1:", "longer than 49 bytes");
	check_load_error("[core \"x\"]\nremote = a\n", "config' line 1:", "no subsections");
	check_load_error("[core]\nautostage = maybe\n", "config' line 2:", "true or false");
	check_load_error("[cache]\ntype = reflink,teleport\n", "config' line 2:", "cache.type");
	check_load_error("[remote \"r\"]\nport = 70000\n", "config' line 2:", "from 1 to 65535");
	check_load_error("[remote \"r\"]\njobs = 0\n", "config' line 2:", "whole number");
	check_load_error("[core]\nremote = \"bad\\q\"\n", "config' line 2:", "unknown escape");
	memset(long_line, 'x', sizeof(long_line));
	memcpy(long_line, "[cache]\ndir = ", 14);
	strcpy(long_line + 8 + 200, "\n");
	check_load_error(long_line, "config' line 2:", "longer than the 199 bytes");
	check_load_error("[remote \"r\"]\nsecret_access_key = k\n", "config' line 2:", "--local");
}

TEST(keys_are_checked)
{
	CHECK_OK(dv_config_check_key("core.remote"));
	CHECK_OK(dv_config_check_key("cache.type"));
	CHECK_OK(dv_config_check_key("remote.origin.url"));
	CHECK_OK(dv_config_check_key("remote.a.b-c_d.session_token"));
	CHECK_FAILS(dv_config_check_key("core.foo"), "unknown config key 'core.foo'");
	CHECK(strstr(dv_error_last(), "remote.NAME.{url,") != NULL);
	CHECK_FAILS(dv_config_check_key("remote.origin.colour"), "unknown config key");
	CHECK_FAILS(dv_config_check_key("remote.url"), "needs a remote name");
	CHECK_FAILS(dv_config_check_key("core"), "not a config key");
	CHECK_FAILS(dv_config_check_key("core."), "not a config key");
	CHECK_FAILS(dv_config_check_key("remote.a/b.url"), "invalid remote name");
	CHECK_OK(dv_config_check_key("remote.0123456789012345678901234567890123456789.url"));
	CHECK_FAILS(dv_config_check_key("remote.0123456789012345678901234567890123456789x.url"),
		    "longer than 40 bytes");
	CHECK(dv_config_key_is_secret("remote.s3.secret_access_key"));
	CHECK(dv_config_key_is_secret("remote.s3.session_token"));
	CHECK(!dv_config_key_is_secret("remote.s3.access_key_id"));
	CHECK(!dv_config_key_is_secret("core.remote"));
	CHECK_OK(dv_config_check_value("cache.type", "hardlink, symlink,copy"));
	CHECK_FAILS(dv_config_check_value("cache.type", ""), "cache.type");
	CHECK_FAILS(dv_config_check_value("core.remote", "a b"), "invalid remote name");
	CHECK_OK(dv_config_check_value("remote.r.port", "22"));
	CHECK_FAILS(dv_config_check_value("remote.r.port", "22x"), "whole number");
	CHECK_OK(dv_config_check_remote_name("a.b_c-1"));
	CHECK_FAILS(dv_config_check_remote_name("-r"), "invalid remote name");
	CHECK_FAILS(dv_config_check_remote_name(""), "empty");
}

static const char hand_written[] =
	"# my settings\n"
	"[core]\n"
	"\tremote = origin   ; the default\n"
	"\n"
	"; storage\n"
	"[remote \"origin\"]\n"
	"\turl = s3://bucket\n"
	"\tregion = eu-west-1\n"
	"\n"
	"[cache]\n"
	"type = copy\n";

TEST(writer_edits_only_the_key)
{
	char *path = path_in_tmp("writer/config"), *text;

	write_text(path, hand_written);
	/* Replace a value: only its line changes, indentation kept. */
	CHECK_OK(dv_config_write(path, "remote.origin.region", "us-east-1"));
	text = read_text(path);
	CHECK_STR(text, "# my settings\n[core]\n\tremote = origin   ; the default\n\n; storage\n"
			"[remote \"origin\"]\n\turl = s3://bucket\n\tregion = us-east-1\n\n[cache]\ntype = copy\n");
	free(text);
	/* A new key goes after the section's last key, indented alike. */
	CHECK_OK(dv_config_write(path, "remote.origin.endpoint", "http://h:9000"));
	text = read_text(path);
	CHECK_STR(text, "# my settings\n[core]\n\tremote = origin   ; the default\n\n; storage\n"
			"[remote \"origin\"]\n\turl = s3://bucket\n\tregion = us-east-1\n"
			"\tendpoint = http://h:9000\n\n[cache]\ntype = copy\n");
	free(text);
	/* A new section is appended after a blank line; values that need it
	 * are quoted. */
	CHECK_OK(dv_config_write(path, "remote.backup.url", "/mnt/b ; c"));
	text = read_text(path);
	CHECK(strstr(text, "type = copy\n\n[remote \"backup\"]\nurl = \"/mnt/b \\x3b c\"\n") != NULL);
	free(text);
	/* Unset drops the line; an emptied section goes too. */
	CHECK_OK(dv_config_write(path, "remote.backup.url", NULL));
	CHECK_OK(dv_config_write(path, "remote.origin.endpoint", NULL));
	CHECK_OK(dv_config_write(path, "remote.origin.region", "eu-west-1"));
	text = read_text(path);
	CHECK_STR(text, hand_written);
	free(text);
	CHECK_OK(dv_config_write(path, "cache.type", NULL));
	text = read_text(path);
	CHECK_STR(text, "# my settings\n[core]\n\tremote = origin   ; the default\n\n; storage\n"
			"[remote \"origin\"]\n\turl = s3://bucket\n\tregion = eu-west-1\n");
	free(text);
	CHECK_INT(dv_config_write(path, "cache.type", NULL), DV_ENOTFOUND);
	CHECK(strstr(dv_error_last(), "not set") != NULL);
	/* A mistyped key can still be removed. */
	CHECK_OK(dv_config_write(path, "core.remtoe", "x"));
	CHECK_OK(dv_config_write(path, "core.remtoe", NULL));
	text = read_text(path);
	CHECK(strstr(text, "remtoe") == NULL);
	free(text);
	free(path);
}

TEST(writer_round_trips_through_the_loader)
{
	levels l;
	dv_config *cfg = NULL;
	static const char *const values[] = { "  padded ", "semi ; colon", "\"quoted\"", "tab\tnew\nline" };
	char big[250];

	levels_init(&l, "writer-load");
	for (size_t i = 0; i < 4; i++) {
		CHECK_OK(dv_config_write(l.repo, "cache.dir", values[i]));
		CHECK_OK(dv_config_load(&cfg, l.dvdir));
		if (cfg)
			CHECK_STR(dv_config_get(cfg, "cache.dir"), values[i]);
		dv_config_free(cfg);
		cfg = NULL;
	}
	/* Duplicates in one file collapse to the one written. */
	write_text(l.repo, "[core]\nremote = a\n[core]\nremote = b\n");
	CHECK_OK(dv_config_write(l.repo, "core.remote", "c"));
	{
		char *text = read_text(l.repo);
		CHECK_STR(text, "[core]\n[core]\nremote = c\n");
		free(text);
	}
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_FAILS(dv_config_write(l.repo, "cache.dir", big), "too long");
	levels_free(&l);
}

/* The writer sees the lines the reader sees, whatever bytes they hold: a
 * form feed, vertical tab or carriage return is a blank to the reader
 * (isspace), so a key behind one is a key the writer must edit too. */
TEST(writer_and_reader_agree_on_every_blank)
{
	levels l;
	dv_config *cfg = NULL;
	static const char *const blanks[] = { "\f", "\v", "\r", " \f\t", "\r\f" };
	char *text;

	levels_init(&l, "writer-blanks");
	for (size_t i = 0; i < sizeof(blanks) / sizeof(blanks[0]); i++) {
		text = dv_asprintf("[core]\nremote = a\n%sremote = c\n", blanks[i]);
		write_text(l.repo, text);
		free(text);
		CHECK_OK(dv_config_write(l.repo, "core.remote", "b"));
		CHECK_OK(dv_config_load(&cfg, l.dvdir));
		if (cfg)
			CHECK_STR(dv_config_get(cfg, "core.remote"), "b");
		dv_config_free(cfg);
		cfg = NULL;
		/* ... and a header behind one is a header to both. */
		text = dv_asprintf("%s[cache]\ndir = /x\n", blanks[i]);
		write_text(l.repo, text);
		free(text);
		CHECK_OK(dv_config_write(l.repo, "cache.dir", NULL));
		CHECK_OK(dv_config_load(&cfg, l.dvdir));
		if (cfg)
			CHECK(dv_config_get(cfg, "cache.dir") == NULL);
		dv_config_free(cfg);
		cfg = NULL;
	}
	/* A file the reader refuses is not edited blind, and stays as it was. */
	write_text(l.repo, "[core]\nremote = a\nnot a key\n");
	CHECK_FAILS(dv_config_write(l.repo, "core.remote", "b"), "line 3");
	text = read_text(l.repo);
	CHECK_STR(text, "[core]\nremote = a\nnot a key\n");
	free(text);
	levels_free(&l);
}

TEST(new_files_and_secrets_get_private_modes)
{
	char *path = path_in_tmp("modes/deep/config.local");
	struct stat st;

	CHECK_OK(dv_config_write(path, "remote.s3.secret_access_key", "k"));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_OK(dv_config_write(path, "remote.s3.url", "s3://b"));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(path);
}

TEST(remove_section_keeps_the_rest)
{
	char *path = path_in_tmp("rmsection/config"), *text;

	write_text(path, "[core]\nremote = a\n\n[remote \"a\"]\nurl = /x\njobs = 2\n\n"
			 "; b is the backup\n[remote \"b\"]\nurl = /y\n");
	CHECK_OK(dv_config_remove_section(path, "remote", "a"));
	text = read_text(path);
	CHECK_STR(text, "[core]\nremote = a\n\n; b is the backup\n[remote \"b\"]\nurl = /y\n");
	free(text);
	CHECK_OK(dv_config_remove_section(path, "remote", "b"));
	text = read_text(path);
	CHECK_STR(text, "[core]\nremote = a\n\n; b is the backup\n");
	free(text);
	CHECK_INT(dv_config_remove_section(path, "remote", "b"), DV_ENOTFOUND);
	CHECK(strstr(dv_error_last(), "no section [remote \"b\"]") != NULL);
	free(path);
}

TEST(config_local_is_private_after_every_write)
{
	levels l;
	struct stat st;

	levels_init(&l, "local-mode");
	/* Made by hand (or by an older dv) readable by all: the next write
	 * takes that away; the committed file keeps its mode. */
	write_text(l.local, "[cache]\ntype = copy\n");
	write_text(l.repo, "[cache]\ntype = copy\n");
	CHECK_OK(dv_config_write(l.local, "remote.s3.url", "s3://b"));
	CHECK(stat(l.local, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_OK(dv_config_write(l.local, "remote.s3.url", NULL));
	CHECK(stat(l.local, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_OK(dv_config_write(l.repo, "remote.s3.url", "s3://b"));
	CHECK(stat(l.repo, &st) == 0 && (st.st_mode & 0777) == 0644);
	levels_free(&l);
}

TEST(rename_remote_in_both_files)
{
	levels l;
	bool changed[DV_CONFIG_LEVELS];
	char *text;
	struct stat st;

	levels_init(&l, "rename");
	write_text(l.repo, "[core]\n\tremote = \"old\"   ; the default\n\n"
			   "  [remote \"old\"]\n\turl = /x\n[remote \"other\"]\nurl = /y\n");
	write_text(l.local, "[remote \"old\"]\nsecret_access_key = k\n");
	CHECK_OK(dv_config_rename_remote(changed, l.dvdir, "old", "new"));
	CHECK(changed[DV_CONFIG_REPO] && changed[DV_CONFIG_LOCAL]);
	text = read_text(l.repo);
	CHECK_STR(text, "[core]\n\tremote = new\n\n"
			"  [remote \"new\"]\n\turl = /x\n[remote \"other\"]\nurl = /y\n");
	free(text);
	text = read_text(l.local);
	CHECK_STR(text, "[remote \"new\"]\nsecret_access_key = k\n");
	free(text);
	CHECK(stat(l.local, &st) == 0 && (st.st_mode & 0777) == 0600);

	/* Only the file holding the name changes. */
	CHECK_OK(dv_config_rename_remote(changed, l.dvdir, "other", "third"));
	CHECK(changed[DV_CONFIG_REPO] && !changed[DV_CONFIG_LOCAL]);

	CHECK_INT(dv_config_rename_remote(NULL, l.dvdir, "nosuch", "x"), DV_ENOTFOUND);
	CHECK_FAILS(dv_config_rename_remote(NULL, l.dvdir, "new", "bad name"), "invalid remote name");
	/* A section without keys is a name already taken all the same. */
	write_text(l.local, "[remote \"new\"]\nsecret_access_key = k\n[remote \"taken\"]\n");
	CHECK_INT(dv_config_rename_remote(NULL, l.dvdir, "new", "taken"), DV_EEXISTS);

	/* A broken file stops the rename before anything is written. */
	write_text(l.local, "[remote \"new\"]\ncolour = red\n");
	CHECK_FAILS(dv_config_rename_remote(NULL, l.dvdir, "new", "newer"), "colour");
	text = read_text(l.repo);
	CHECK(strstr(text, "[remote \"new\"]") != NULL && strstr(text, "remote = new") != NULL);
	free(text);
	levels_free(&l);
}

TEST_MAIN(later_levels_win, global_path_follows_the_environment, subsections_and_indented_keys,
	  malformed_files_name_file_and_line, keys_are_checked, writer_edits_only_the_key,
	  writer_round_trips_through_the_loader, writer_and_reader_agree_on_every_blank, new_files_and_secrets_get_private_modes,
	  remove_section_keeps_the_rest, config_local_is_private_after_every_write,
	  rename_remote_in_both_files)
