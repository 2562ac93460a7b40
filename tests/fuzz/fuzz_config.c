/*
 * fuzz_config.c - the config reader and writer round trip (src/config.c
 * over src/ini.c and inih).
 *
 * The input is an operation and a file:
 *     byte 0      the operation: set, unset, remove [remote "origin"], or
 *                 rename remote origin to "renamed"
 *     byte 1      which key (of KEYS below) set and unset act on
 *     bytes 2..   the value for set, up to the first NUL; the rest is the
 *                 file (.dv/config.local, where every key may be written)
 * The file is loaded as dv loads it.  When the reader refuses it, the
 * writer may do what it likes short of crashing (it is run anyway).  When
 * the reader takes it, the writer's result must read back as exactly the
 * change asked for: the key holds the new value (or is gone), and every
 * other entry, in order, holds what it held before.  A refused write must
 * leave the file's bytes as they were.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "dv/config.h"
#include "dv/fs.h"
#include "fuzz.h"

static const char *const KEYS[] = {
	"core.remote", "core.autostage", "cache.dir", "cache.type", "cache.protected",
	"remote.origin.url", "remote.origin.jobs", "remote.origin.port", "remote.origin.secret_access_key",
	"remote.renamed.url", "remote.a.b-c.region", "remote.x_1.user",
};
#define NKEYS (sizeof(KEYS) / sizeof(KEYS[0]))

enum { OP_SET, OP_UNSET, OP_REMOVE_SECTION, OP_RENAME, OP_COUNT };

static char *dvdir;  /* a private temporary .dv directory */
static char *path;   /* dvdir/config.local */

static void remove_dir(void)
{
	unlink(path);
	rmdir(dvdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* run.sh's directory, or tmpfs when there is one: the writer fsyncs
	 * every file it writes. */
	const char *const parents[] = { getenv("DV_FUZZ_TMPDIR"), "/dev/shm", "/tmp" };
	dv_buf p = DV_BUF_INIT;

	(void)argc, (void)argv;
	for (size_t i = 0; i < 3 && !dvdir; i++) {
		if (!parents[i] || !*parents[i])
			continue;
		dv_buf_printf(&p, "%s/dv-fuzz-config-XXXXXX", parents[i]);
		if (mkdtemp(p.ptr))
			dvdir = dv_buf_detach(&p);
		dv_buf_reset(&p);
	}
	if (!dvdir)
		abort();
	atexit(remove_dir);
	dv_path_join(&p, dvdir, "config.local");
	path = dv_buf_detach(&p);
	/* Only this file is loaded: no system or global config. */
	setenv("DV_CONFIG_SYSTEM", "/nonexistent/dv-fuzz", 1);
	setenv("DV_CONFIG_GLOBAL", "/nonexistent/dv-fuzz", 1);
	return 0;
}

/* The entries of the loaded file, or NULL when the reader refuses it. */
static dv_config *load(void)
{
	dv_config *cfg = NULL;
	if (dv_config_load(&cfg, dvdir) < 0)
		dv_error_clear();
	return cfg;
}

/* Is `key` one of remote "origin"'s?  A remote's name may hold dots
 * ("remote.a.b.url" is remote "a.b"), so "remote.origin..url" is remote
 * "origin."'s, which neither operation on "origin" touches. */
static bool of_origin(const char *key)
{
	return !strncmp(key, "remote.origin.", 14) && !strchr(key + 14, '.');
}

/* What an entry of the old file becomes after the operation; NULL: gone. */
static const char *expected_key(int op, const char *key, const char *target, char *buf, size_t bufsize)
{
	switch (op) {
	case OP_SET:
	case OP_UNSET:
		return strcmp(key, target) ? key : NULL;
	case OP_REMOVE_SECTION:
		return of_origin(key) ? NULL : key;
	default:
		if (!of_origin(key))
			return key;
		snprintf(buf, bufsize, "remote.renamed.%s", key + 14);
		return buf;
	}
}

/* Compare `after` with `before` changed by the operation. */
static void check_result(int op, const char *target, const char *value, const dv_config *before,
			 const dv_config *after)
{
	size_t j = 0;
	char buf[256];

	for (size_t i = 0; i < dv_config_count(before); i++) {
		const dv_config_entry *b = dv_config_entry_at(before, i), *a;
		const char *k = expected_key(op, b->key, target, buf, sizeof(buf));
		const char *v = b->value;
		if (!k)
			continue;
		if (op == OP_RENAME && !strcmp(b->key, "core.remote") && !strcmp(v, "origin"))
			v = "renamed";
		/* After a set, other entries of the key are gone: skip them. */
		while (j < dv_config_count(after) && op == OP_SET &&
		       !strcmp(dv_config_entry_at(after, j)->key, target))
			j++;
		FUZZ_CHECK(j < dv_config_count(after), "entry '%s' = '%s' is gone", k, v);
		a = dv_config_entry_at(after, j++);
		FUZZ_CHECK(!strcmp(a->key, k) && !strcmp(a->value, v),
			   "entry '%s' = '%s' reads back as '%s' = '%s'", k, v, a->key, a->value);
	}
	for (; j < dv_config_count(after); j++) {
		const dv_config_entry *a = dv_config_entry_at(after, j);
		FUZZ_CHECK(op == OP_SET && !strcmp(a->key, target), "new entry '%s' = '%s'", a->key, a->value);
	}
	if (op == OP_SET)
		FUZZ_CHECK(dv_config_get(after, target) && !strcmp(dv_config_get(after, target), value),
			   "'%s' was set to '%s' but reads back as '%s'", target, value,
			   dv_config_get(after, target) ? dv_config_get(after, target) : "(unset)");
	if (op == OP_UNSET)
		FUZZ_CHECK(!dv_config_get(after, target), "'%s' was unset but reads back as '%s'", target,
			   dv_config_get(after, target));
}

static int run_op(int op, const char *key, const char *value)
{
	switch (op) {
	case OP_SET:
		return dv_config_write(path, key, value);
	case OP_UNSET:
		return dv_config_write(path, key, NULL);
	case OP_REMOVE_SECTION:
		return dv_config_remove_section(path, "remote", "origin");
	default:
		return dv_config_rename_remote(NULL, dvdir, "origin", "renamed");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_config *before = NULL, *after = NULL;
	dv_buf file_before = DV_BUF_INIT, file_after = DV_BUF_INIT;
	const char *key, *nul;
	char *value = NULL;
	int op, rc;

	if (size < 2)
		return 0;
	op = data[0] % OP_COUNT;
	key = KEYS[data[1] % NKEYS];
	nul = memchr(data + 2, '\0', size - 2);
	if (!nul)
		return 0;
	value = dv_strndup((const char *)data + 2, (size_t)(nul - (const char *)data - 2));
	if (dv_write_file_atomic_nosync(path, nul + 1, size - (size_t)(nul + 1 - (const char *)data), 0600) < 0)
		abort();
	/* dv config checks a value before it writes it, as here. */
	if (op == OP_SET && dv_config_check_value(key, value) < 0)
		op = OP_UNSET;
	before = load();
	dv_read_file(&file_before, path);
	rc = run_op(op, key, value);
	if (!before)
		goto done; /* the reader refused the file: nothing to agree with */
	if (rc < 0) {
		dv_read_file(&file_after, path);
		FUZZ_CHECK(file_before.len == file_after.len &&
			   !memcmp(file_before.ptr, file_after.ptr, file_before.len),
			   "a refused operation %d changed the file", op);
		goto done;
	}
	after = load();
	FUZZ_CHECK(after != NULL, "the reader refuses what the writer wrote (operation %d, key %s):\n%s",
		   op, key, (dv_read_file(&file_after, path), file_after.ptr));
	check_result(op, key, value, before, after);
done:
	dv_config_free(before);
	dv_config_free(after);
	dv_buf_free(&file_before);
	dv_buf_free(&file_after);
	free(value);
	dv_error_clear();
	return 0;
}
