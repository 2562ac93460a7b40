/*
 * doctor.c - the facts `dv doctor` prints, each found by trying it here:
 * link types by making a probe file and linking it, remotes by one
 * request, library versions by asking the libraries (the network module's
 * through its own exported function, so dv does not link libcurl).
 */
#include <fcntl.h>
#include <git2.h>
#include <jansson.h>
#include <linux/fs.h>
#include <nettle/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <xxhash.h>
#include <yaml.h>

#include "dv/doctor.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/remote.h"
#include "remote_kinds.h"

void dv_doctor_libraries(dv_strvec *out, bool *net_ok)
{
	int major, minor, rev;
	unsigned xxh = XXH_versionNumber();
	dv_strvec net = DV_STRVEC_INIT;

	git_libgit2_version(&major, &minor, &rev);
	dv_strvec_push_take(out, dv_asprintf("libgit2 %d.%d.%d", major, minor, rev));
	dv_strvec_push_take(out, dv_asprintf("xxHash %u.%u.%u", xxh / 10000, xxh / 100 % 100, xxh % 100));
	dv_strvec_push_take(out, dv_asprintf("jansson %s", jansson_version_str()));
	dv_strvec_push_take(out, dv_asprintf("libyaml %s", yaml_get_version_string()));
	dv_strvec_push_take(out, dv_asprintf("nettle %d.%d", nettle_version_major(), nettle_version_minor()));
	dv_strvec_push(out, "inih (the system's; it reports no version)");
	*net_ok = dv_remote_module_versions(&net) == 0;
	if (*net_ok) {
		for (size_t i = 0; i < net.n; i++)
			dv_strvec_push(out, net.v[i]);
	} else {
		dv_strvec_push_take(out, dv_asprintf("network remotes: %s", dv_error_last()));
		dv_error_clear();
	}
	dv_strvec_free(&net);
}

/* One probe: link `src` to `dst` by `type`; true when it worked. */
static bool try_link(dv_link_type type, const char *src, const char *dst)
{
	bool ok = false;
	int in, outfd;

	unlink(dst);
	switch (type) {
	case DV_LINK_HARDLINK:
		ok = link(src, dst) == 0;
		break;
	case DV_LINK_SYMLINK:
		ok = symlink(src, dst) == 0;
		break;
	case DV_LINK_REFLINK:
	case DV_LINK_COPY:
		if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
			break;
		if ((outfd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) >= 0) {
			ok = type == DV_LINK_REFLINK ? ioctl(outfd, FICLONE, in) == 0
						     : dv_copy_fd(outfd, in, 5, NULL) == 0;
			close(outfd);
		}
		close(in);
		break;
	}
	unlink(dst);
	dv_error_clear();
	return ok;
}

int dv_doctor_link_types(bool works[4], const char *cache_tmp, const char *work_dir)
{
	dv_buf src = DV_BUF_INIT, dst = DV_BUF_INIT;
	int rc = 0;

	dv_buf_printf(&src, "%s/.dv-doctor-%ld", cache_tmp, (long)getpid());
	dv_buf_printf(&dst, "%s/.dv-doctor-%ld", work_dir, (long)getpid());
	if ((rc = dv_write_file_atomic_nosync(src.ptr, "probe", 5, 0444)) == 0) {
		for (int t = DV_LINK_REFLINK; t <= DV_LINK_COPY; t++)
			works[t] = try_link((dv_link_type)t, src.ptr, dst.ptr);
		unlink(src.ptr);
	}
	dv_buf_free(&src);
	dv_buf_free(&dst);
	return rc;
}

void dv_doctor_fs_type(dv_buf *out, const char *path)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} known[] = {
		{ 0xEF53, "ext4" },         { 0x58465342, "xfs" },   { 0x9123683E, "btrfs" },
		{ 0x01021994, "tmpfs" },    { 0x794C7630, "overlay" }, { 0x6969, "nfs" },
		{ 0x2FC12FC1, "zfs" },      { 0xFF534D42, "cifs" },  { 0x65735546, "fuse" },
		{ 0x4D44, "vfat" },         { 0x5346544E, "ntfs" },  { 0xF2F52010, "f2fs" },
		{ 0x6A656A63, "fakeowner" },
	};
	struct statfs sf;

	dv_buf_reset(out);
	if (statfs(path, &sf) < 0) {
		dv_buf_puts(out, "unknown");
		return;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if ((unsigned long)sf.f_type == known[i].magic) {
			dv_buf_puts(out, known[i].name);
			return;
		}
	}
	dv_buf_printf(out, "type 0x%lx", (unsigned long)sf.f_type);
}

int dv_doctor_remote_check(const dv_config *cfg, const char *name, const char *repo_root)
{
	dv_remote *r = NULL;
	char *path = NULL;
	bool there = false;
	int rc;

	if ((rc = dv_remote_open(&r, cfg, name, repo_root)) < 0)
		return rc;
	if (!strcmp(r->ops->kind, "local")) {
		if ((rc = dv_remote_local_path(&path, r->url, repo_root)) == 0 && !dv_is_dir(path))
			rc = dv_error(DV_ENOTFOUND, "the directory '%s' does not exist", path);
	} else {
		/* One request for an object nobody has: an answer, even "no",
		 * proves the remote is reachable and the credentials work. */
		rc = r->ops->exists(r, "files/xxh128/00/dv-doctor-probe", &there);
	}
	free(path);
	dv_remote_free(r);
	return rc;
}
