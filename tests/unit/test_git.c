/* git glue: libgit2's process-wide start and stop. */
#include <git2.h>

#include "dv/fs.h"
#include "dv/git.h"
#include "test.h"

/* dv's main() shuts libgit2 down as it returns.  A process that runs it
 * again (the CLI fuzzer runs it once per input) must get a working libgit2
 * from the next dv_git_global_init, not one torn down underneath it. */
TEST(init_after_shutdown_starts_libgit2_again)
{
	git_repository *repo = NULL;
	git_index *index = NULL;
	char *dir = dv_asprintf("%s/restart", test_tmpdir());
	char *file = dv_asprintf("%s/a.txt", dir);

	dv_git_global_init();
	dv_git_global_shutdown();
	dv_git_global_init();
	/* libgit2 counts its users: dv's and this one make two. */
	CHECK_INT(git_libgit2_init(), 2);
	git_libgit2_shutdown();

	CHECK_INT(git_repository_init(&repo, dir, 0), 0);
	CHECK_OK(dv_write_file_atomic(file, "a\n", 2, 0644));
	CHECK_INT(repo ? git_repository_index(&index, repo) : -1, 0);
	CHECK_INT(index ? git_index_add_bypath(index, "a.txt") : -1, 0);
	git_index_free(index);
	git_repository_free(repo);
	dv_git_global_shutdown();
	dv_git_global_shutdown(); /* a second shutdown is harmless */
	free(dir);
	free(file);
}

TEST_MAIN(init_after_shutdown_starts_libgit2_again)
