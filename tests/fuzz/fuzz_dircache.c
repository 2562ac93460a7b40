/*
 * fuzz_dircache.c - .dv/dirs, the directory listings a walk reuses
 * (src/dircache.c): the input is the whole file.
 *
 * Any bytes load as some listings or none, never crash or leak.  Every
 * listing a lookup returns lies inside the file, and its entries, as far as
 * they parse, are names a walk may join to a path (not empty, no '/', not
 * '.' or '..'), with a target only on a symlink; re-encoded, the entries
 * that parsed are the very bytes they came from.  Saved and loaded again,
 * the cache answers every lookup with the same bytes.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/dircache.h"
#include "dv/fs.h"
#include "fuzz.h"

static char path[4096], path2[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("DV_FUZZ_TMPDIR");
	(void)argc, (void)argv;
	snprintf(path, sizeof(path), "%s/fuzz-dirs-%d", tmp ? tmp : "/tmp", (int)getpid());
	snprintf(path2, sizeof(path2), "%s.saved", path);
	return 0;
}

/* The record headers as dircache.c lays them out. */
typedef struct {
	uint64_t dev, ino;
	int64_t mtime_ns, ctime_ns, listed_at;
	uint32_t len, zero;
} head;

static void key_of(struct stat *st, const head *h)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = (dev_t)h->dev;
	st->st_ino = (ino_t)h->ino;
	st->st_mtim.tv_sec = h->mtime_ns / 1000000000;
	st->st_mtim.tv_nsec = h->mtime_ns % 1000000000;
	st->st_ctim.tv_sec = h->ctime_ns / 1000000000;
	st->st_ctim.tv_nsec = h->ctime_ns % 1000000000;
}

static void check_listing(const char *l, size_t len)
{
	dv_buf again = DV_BUF_INIT;
	dv_dircache_entry e;
	size_t pos = 0, ok_end = 0;

	while (pos < len && dv_dircache_next(l, len, &pos, &e)) {
		FUZZ_CHECK(pos <= len, "entry runs past its listing");
		FUZZ_CHECK(e.name[0] && !strchr(e.name, '/') && strcmp(e.name, ".") && strcmp(e.name, ".."),
			   "name '%s' cannot be joined to a path", e.name);
		FUZZ_CHECK(!e.target || (e.type == DT_LNK && e.target[0]), "target on a non-link");
		dv_dircache_add(&again, e.type, e.name, e.target);
		ok_end = pos;
	}
	FUZZ_CHECK(again.len == ok_end && !memcmp(again.ptr ? again.ptr : "", l, ok_end),
		   "entries do not re-encode to their bytes");
	dv_buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_dircache *dc = NULL, *dc2 = NULL;
	size_t off = 8;

	if (dv_write_file_atomic_nosync(path, data, size, 0644) < 0) {
		fprintf(stderr, "fuzz_dircache: cannot write '%s'\n", path);
		abort();
	}
	dv_dircache_open(&dc, path);
	/* Every directory the file could name: each record header's key. */
	for (off = 8; off + sizeof(head) <= size; off += 8) {
		head h;
		struct stat st;
		const char *l;
		size_t len;
		memcpy(&h, data + off, sizeof(h));
		key_of(&st, &h);
		if (!dv_dircache_lookup(dc, &st, &l, &len))
			continue;
		check_listing(l, len);
		/* A put makes the cache dirty: the save below writes it all. */
		dv_dircache_put(dc, &st, h.listed_at, l, len);
	}
	FUZZ_CHECK(dv_dircache_save(dc) == 0, "save failed");
	rename(path, path2);
	dv_dircache_open(&dc2, path2);
	for (off = 8; off + sizeof(head) <= size; off += 8) {
		head h;
		struct stat st;
		const char *l, *l2;
		size_t len, len2;
		memcpy(&h, data + off, sizeof(h));
		key_of(&st, &h);
		if (!dv_dircache_lookup(dc, &st, &l, &len))
			continue;
		FUZZ_CHECK(dv_dircache_lookup(dc2, &st, &l2, &len2) && len2 == len && !memcmp(l, l2, len),
			   "a listing changed through save and load");
	}
	dv_dircache_free(dc);
	dv_dircache_free(dc2);
	unlink(path2);
	return 0;
}
