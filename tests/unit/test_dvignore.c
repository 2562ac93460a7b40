/* .dvignore matching: gitignore patterns (anchored or not, directory-only,
 * negation, `**`, escapes), rules of deeper files after their parents',
 * and a left-out directory hiding everything below it. */
#include <stdio.h>
#include <sys/stat.h>

#include "dv/dvignore.h"
#include "dv/fs.h"
#include "test.h"

static char root[4200];

static void write_at(const char *rel, const char *text)
{
	dv_buf p = DV_BUF_INIT;
	dv_path_join(&p, root, rel);
	if (dv_mkdir_parent(p.ptr) == 0)
		dv_write_file_atomic(p.ptr, text, strlen(text), 0644);
	dv_buf_free(&p);
}

static bool ignored(dv_dvignore *ig, const char *path, bool is_dir)
{
	bool yes = false;
	CHECK_OK(dv_dvignore_check(&yes, NULL, ig, path, is_dir));
	return yes;
}

TEST(patterns_follow_gitignore)
{
	dv_dvignore *ig = NULL;
	snprintf(root, sizeof(root), "%s/pat", test_tmpdir());
	write_at(".dvignore", "# a comment\n*.log\n!keep.log\n/top.txt\nbuild/\ndocs/*.tmp\n**/cache/*.bin\n"
			      "\\#hash\nspace\\ \n");
	CHECK_OK(dv_dvignore_new(&ig, root));
	CHECK(ignored(ig, "a.log", false));
	CHECK(ignored(ig, "deep/er/a.log", false));
	CHECK(!ignored(ig, "deep/keep.log", false));
	CHECK(ignored(ig, "top.txt", false));
	CHECK(!ignored(ig, "sub/top.txt", false)); /* anchored */
	CHECK(ignored(ig, "build", true));
	CHECK(!ignored(ig, "build", false)); /* directory-only */
	CHECK(ignored(ig, "x/build/file", false)); /* below an ignored directory */
	CHECK(ignored(ig, "docs/a.tmp", false));
	CHECK(!ignored(ig, "docs/sub/a.tmp", false)); /* '*' stops at '/' */
	CHECK(ignored(ig, "cache/a.bin", false));
	CHECK(ignored(ig, "x/y/cache/a.bin", false));
	CHECK(!ignored(ig, "x/y/cache/sub/a.bin", false));
	CHECK(ignored(ig, "#hash", false));
	CHECK(ignored(ig, "space ", false));
	CHECK(!ignored(ig, "a.csv", false));
	dv_dvignore_free(ig);
}

TEST(deeper_files_come_later_and_report_their_rule)
{
	dv_dvignore *ig = NULL;
	dv_dvignore_why why;
	bool yes;
	snprintf(root, sizeof(root), "%s/nest", test_tmpdir());
	write_at(".dvignore", "*.csv\nraw/\n");
	write_at("data/.dvignore", "!keep.csv\n/local.txt\n");
	write_at("raw/.dvignore", "!*\n");
	CHECK_OK(dv_dvignore_new(&ig, root));
	CHECK(ignored(ig, "data/a.csv", false));
	CHECK(!ignored(ig, "data/keep.csv", false));
	CHECK(ignored(ig, "data/local.txt", false));
	CHECK(!ignored(ig, "local.txt", false));
	/* A directory left out cannot have files brought back. */
	CHECK(ignored(ig, "raw/x.txt", false));
	CHECK_OK(dv_dvignore_check(&yes, &why, ig, "data/keep.csv", false));
	CHECK(!yes && why.negated && why.line == 1);
	CHECK_STR(why.file, "data/.dvignore");
	CHECK_STR(why.pattern, "!keep.csv");
	CHECK_OK(dv_dvignore_check(&yes, &why, ig, "raw/x.txt", false));
	CHECK(yes && why.line == 2);
	CHECK_STR(why.file, ".dvignore");
	CHECK_OK(dv_dvignore_check(&yes, &why, ig, "plain.txt", false));
	CHECK(!yes && why.file == NULL);
	dv_dvignore_free(ig);
}

TEST(a_tree_without_dvignore_gives_the_walk_no_rules)
{
	dv_dvignore *ig = NULL;
	snprintf(root, sizeof(root), "%s/none", test_tmpdir());
	CHECK_OK(dv_mkdir_p(root, 0755));
	CHECK_OK(dv_dvignore_new(&ig, root));
	CHECK(dv_dvignore_rules_for(ig, "") == NULL);
	CHECK(dv_dvignore_rules_for(ig, "a/b/c") == NULL);
	CHECK(!dv_dvignore_dir_ignores(NULL, "x", false));
	dv_dvignore_free(ig);
}

TEST_MAIN(patterns_follow_gitignore, deeper_files_come_later_and_report_their_rule,
	  a_tree_without_dvignore_gives_the_walk_no_rules)
