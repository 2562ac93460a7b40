/* Remote URLs, the directory backend, and the SSH backend's protocol
 * driven through a stand-in `ssh` that runs the remote command locally
 * (the real server is exercised by tests/cli/t3200-remote-ssh.sh). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "dv/cache.h"
#include "dv/fs.h"
#include "dv/remote.h"
#include "remote_kinds.h"
#include "test.h"

TEST(url_kinds_follow_the_url_forms)
{
	CHECK_STR(dv_remote_url_kind("/srv/store"), "local");
	CHECK_STR(dv_remote_url_kind("relative/dir"), "local");
	CHECK_STR(dv_remote_url_kind("../up"), "local");
	CHECK_STR(dv_remote_url_kind("~/store"), "local");
	CHECK_STR(dv_remote_url_kind("file:///srv/store"), "local");
	CHECK_STR(dv_remote_url_kind("ssh://host/path"), "ssh");
	CHECK_STR(dv_remote_url_kind("user@host:path"), "ssh");
	CHECK_STR(dv_remote_url_kind("host:/abs"), "ssh");
	/* A colon after a slash is part of a directory name, as git reads it. */
	CHECK_STR(dv_remote_url_kind("dir/with:colon"), "local");
	CHECK_STR(dv_remote_url_kind("s3://bucket/prefix"), "s3");
	CHECK_STR(dv_remote_url_kind("https://example.com/x"), "http");
	CHECK_STR(dv_remote_url_kind("http://example.com/x"), "http");
	CHECK(dv_remote_url_kind("ftp://example.com/x") == NULL);
	CHECK(dv_remote_url_kind("") == NULL);
}

TEST(ssh_urls_parse_into_user_host_port_path)
{
	dv_ssh_url u;

	CHECK_OK(dv_ssh_url_parse(&u, "ssh://alice@example.com:2222/srv/dv"));
	CHECK_STR(u.user, "alice");
	CHECK_STR(u.host, "example.com");
	CHECK_INT(u.port, 2222);
	CHECK_STR(u.path, "/srv/dv");
	dv_ssh_url_free(&u);

	CHECK_OK(dv_ssh_url_parse(&u, "ssh://example.com"));
	CHECK(u.user == NULL);
	CHECK_INT(u.port, 0);
	CHECK_STR(u.path, "");
	dv_ssh_url_free(&u);

	CHECK_OK(dv_ssh_url_parse(&u, "ssh://[::1]:22/~/store"));
	CHECK_STR(u.host, "::1");
	CHECK_INT(u.port, 22);
	CHECK_STR(u.path, "store");
	dv_ssh_url_free(&u);

	CHECK_OK(dv_ssh_url_parse(&u, "bob@host:data/store"));
	CHECK_STR(u.user, "bob");
	CHECK_STR(u.host, "host");
	CHECK_STR(u.path, "data/store");
	dv_ssh_url_free(&u);

	CHECK_OK(dv_ssh_url_parse(&u, "host:~/store"));
	CHECK_STR(u.path, "store");
	dv_ssh_url_free(&u);

	CHECK_FAILS(dv_ssh_url_parse(&u, "ssh://host:99999/x"), "invalid port");
	CHECK_FAILS(dv_ssh_url_parse(&u, "ssh://host:abc/x"), "invalid port");
	CHECK_FAILS(dv_ssh_url_parse(&u, "ssh://-oProxyCommand=x/y"), "invalid SSH URL");
	CHECK_FAILS(dv_ssh_url_parse(&u, ":path"), "invalid SSH URL");
}

TEST(directory_urls_resolve_against_the_repository_root)
{
	char *p = NULL;

	CHECK_OK(dv_remote_local_path(&p, "../store", "/work/repo"));
	CHECK_STR(p, "/work/store");
	free(p);
	CHECK_OK(dv_remote_local_path(&p, "/abs//dir/./x", "/work/repo"));
	CHECK_STR(p, "/abs/dir/x");
	free(p);
	CHECK_OK(dv_remote_local_path(&p, "file:///srv/store", NULL));
	CHECK_STR(p, "/srv/store");
	free(p);
	CHECK_OK(dv_remote_local_path(&p, "file://localhost/srv/store", NULL));
	CHECK_STR(p, "/srv/store");
	free(p);
	CHECK_FAILS(dv_remote_local_path(&p, "file://otherhost/srv", NULL), "absolute path");
	CHECK_FAILS(dv_remote_local_path(&p, "rel", NULL), "outside a repository");
}

TEST(job_counts_are_checked)
{
	int j = 0;
	CHECK_OK(dv_parse_jobs(&j, "16", "-j"));
	CHECK_INT(j, 16);
	CHECK_FAILS(dv_parse_jobs(&j, "0", "-j"), "from 1 to 1024");
	CHECK_FAILS(dv_parse_jobs(&j, "12x", "remote.r.jobs"), "remote.r.jobs");
}

/* --- a round trip through a backend ------------------------------------- */

static dv_cache *new_cache(const char *name)
{
	dv_buf dir = DV_BUF_INIT;
	dv_cache *c = NULL;
	dv_path_join(&dir, test_tmpdir(), name);
	dv_mkdir_p(dir.ptr, 0777);
	CHECK_OK(dv_cache_open(&c, dir.ptr, "copy"));
	dv_buf_free(&dir);
	return c;
}

static dv_transfer *items_for(const dv_hash *hashes, size_t n)
{
	dv_transfer *items = dv_calloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		dv_buf rel = DV_BUF_INIT;
		dv_cache_object_relpath(&rel, &hashes[i], false);
		items[i].relpath = dv_buf_detach(&rel);
		items[i].hash = hashes[i];
		items[i].status = 1;
	}
	return items;
}

static void reset(dv_transfer *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		items[i].status = 1;
		free(items[i].error);
		items[i].error = NULL;
	}
}

/* Push three objects, list them, fetch them into an empty cache, then
 * corrupt one and delete one on the remote and fetch again. */
static void round_trip(dv_remote *r, const char *remote_root, const char *tag)
{
	char name[64];
	dv_cache *src, *dst;
	dv_hash h[3];
	dv_transfer *items;
	dv_strvec listed = DV_STRVEC_INIT;
	dv_buf path = DV_BUF_INIT;
	bool there = false;
	int fd;

	snprintf(name, sizeof(name), "%s-src", tag);
	src = new_cache(name);
	snprintf(name, sizeof(name), "%s-dst", tag);
	dst = new_cache(name);
	for (int i = 0; i < 3; i++) {
		char text[64];
		snprintf(text, sizeof(text), "%s object %d", tag, i);
		CHECK_OK(dv_cache_add_buffer(&h[i], src, text, strlen(text), false));
	}
	items = items_for(h, 3);
	CHECK_OK(r->ops->push(r, src, items, 3, NULL));
	for (int i = 0; i < 3; i++)
		CHECK_INT(items[i].status, 0);

	/* A temp file of an unfinished upload is not an object. */
	dv_path_join(&path, remote_root, "files/xxh128/.partial.tmp-abc");
	dv_mkdir_parent(path.ptr);
	CHECK_OK(dv_write_file_atomic(path.ptr, "x", 1, 0644));
	CHECK_OK(r->ops->list(r, &listed, "files/"));
	CHECK_INT(listed.n, 3);
	dv_strvec_sort(&listed);
	CHECK(dv_strvec_contains(&listed, items[1].relpath));
	CHECK_OK(r->ops->exists(r, items[2].relpath, &there));
	CHECK(there);
	CHECK_OK(r->ops->exists(r, "files/xxh128/00/00000000000000000000000000000", &there));
	CHECK(!there);

	reset(items, 3);
	CHECK_OK(r->ops->fetch(r, dst, items, 3, NULL));
	for (int i = 0; i < 3; i++)
		CHECK(dv_cache_has(dst, &h[i], false));

	/* Corrupt object 0 and delete object 1 on the remote. */
	dv_path_join(&path, remote_root, items[0].relpath);
	chmod(path.ptr, 0644);
	fd = open(path.ptr, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "!", 1) == 1);
	close(fd);
	dv_path_join(&path, remote_root, items[1].relpath);
	unlink(path.ptr);
	dv_cache_remove(dst, &h[0], false);
	dv_cache_remove(dst, &h[1], false);
	reset(items, 3);
	CHECK(r->ops->fetch(r, dst, items, 3, NULL) < 0);
	CHECK_INT(items[0].status, DV_ECORRUPT);
	CHECK(items[0].error && strstr(items[0].error, "is corrupt"));
	CHECK_INT(items[1].status, DV_ENOTFOUND);
	CHECK_INT(items[2].status, 0);
	CHECK(!dv_cache_has(dst, &h[0], false));

	dv_strvec_free(&listed);
	dv_buf_free(&path);
	dv_transfers_free(items, 3);
	dv_cache_free(src);
	dv_cache_free(dst);
}

TEST(directory_remote_round_trip_detects_corrupt_and_missing_objects)
{
	dv_buf root = DV_BUF_INIT;
	dv_remote *r = NULL;

	dv_path_join(&root, test_tmpdir(), "dir-remote");
	CHECK_OK(dv_remote_local_open(&r, NULL, "store", "dir-remote", root.ptr));
	r->jobs = 2;
	round_trip(r, root.ptr, "dir");
	dv_remote_free(r);
	dv_buf_free(&root);
}

TEST(ssh_protocol_round_trip_through_a_local_stand_in_for_ssh)
{
	dv_buf root = DV_BUF_INIT, fake = DV_BUF_INIT, cmd = DV_BUF_INIT, url = DV_BUF_INIT;
	dv_remote *r = NULL;
	static const char script[] =
		"#!/bin/sh\n"
		"# Stand-in for ssh: drop the options, run the command here.\n"
		"while [ $# -gt 2 ]; do shift; done\n"
		"exec sh -c \"$2\"\n";

	dv_path_join(&root, test_tmpdir(), "ssh-remote");
	dv_path_join(&fake, test_tmpdir(), "fake-ssh");
	CHECK_OK(dv_write_file_atomic(fake.ptr, script, strlen(script), 0755));
	dv_buf_printf(&cmd, "sh %s", fake.ptr);
	setenv("DV_SSH_COMMAND", cmd.ptr, 1);
	dv_buf_printf(&url, "ssh://localhost%s", root.ptr);
	CHECK_OK(dv_remote_ssh_open(&r, NULL, "ssh", url.ptr));
	if (r) {
		round_trip(r, root.ptr, "ssh");
		dv_remote_free(r);
	}
	unsetenv("DV_SSH_COMMAND");
	dv_buf_free(&root);
	dv_buf_free(&fake);
	dv_buf_free(&cmd);
	dv_buf_free(&url);
}

TEST_MAIN(url_kinds_follow_the_url_forms, ssh_urls_parse_into_user_host_port_path,
	  directory_urls_resolve_against_the_repository_root, job_counts_are_checked,
	  directory_remote_round_trip_detects_corrupt_and_missing_objects,
	  ssh_protocol_round_trip_through_a_local_stand_in_for_ssh)
