/*
 * fuzz_manifest.c - the manifest parser (src/manifest.c): the listing of a
 * tracked directory, which arrives from remotes and other clones.
 *
 * Any bytes may be parsed or refused, never crash or leak.  What parses
 * must name only paths a checkout may write (relative, no '.' or '..'
 * component, no empty one), in strictly increasing order, and must come
 * back entry for entry when dv serializes and re-parses it.
 */
#include <string.h>

#include "dv/manifest.h"
#include "fuzz.h"

static void check_path(const char *p)
{
	FUZZ_CHECK(*p && *p != '/', "path '%s' is empty or absolute", p);
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		FUZZ_CHECK(n > 0 && !(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.'),
			   "path '%s' has an empty, '.' or '..' component", p);
		c += n;
		if (*c == '/')
			FUZZ_CHECK(*++c, "path '%s' ends with '/'", p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dv_manifest m, again;
	dv_buf text = DV_BUF_INIT, text2 = DV_BUF_INIT;

	if (dv_manifest_parse(&m, (const char *)data, size, "fuzz") < 0) {
		dv_error_clear();
		return 0;
	}
	for (size_t i = 0; i < m.entries.n; i++) {
		const dv_manifest_entry *e = dv_vec_at(&m.entries, dv_manifest_entry, i);
		check_path(e->path);
		FUZZ_CHECK(e->mode == 0644 || e->mode == 0755, "mode %o", e->mode);
		if (i)
			FUZZ_CHECK(strcmp(dv_vec_at(&m.entries, dv_manifest_entry, i - 1)->path, e->path) < 0,
				   "'%s' out of order", e->path);
		FUZZ_CHECK(dv_manifest_find(&m, e->path) == e, "'%s' not found by search", e->path);
	}
	dv_manifest_serialize(&text, &m);
	FUZZ_CHECK(dv_manifest_parse(&again, text.ptr, text.len, "fuzz") == 0,
		   "dv cannot read the manifest it wrote:\n%s", text.ptr);
	FUZZ_CHECK(again.entries.n == m.entries.n, "%zu entries became %zu", m.entries.n, again.entries.n);
	for (size_t i = 0; i < m.entries.n; i++) {
		const dv_manifest_entry *a = dv_vec_at(&m.entries, dv_manifest_entry, i);
		const dv_manifest_entry *b = dv_vec_at(&again.entries, dv_manifest_entry, i);
		FUZZ_CHECK(!strcmp(a->path, b->path) && a->size == b->size && a->mode == b->mode &&
			   !memcmp(&a->hash, &b->hash, sizeof(a->hash)),
			   "entry %zu '%s' changed in the round trip", i, a->path);
	}
	dv_manifest_serialize(&text2, &again);
	FUZZ_CHECK(text.len == text2.len && !memcmp(text.ptr, text2.ptr, text.len),
		   "serializing is not stable");
	dv_manifest_free(&m);
	dv_manifest_free(&again);
	dv_buf_free(&text);
	dv_buf_free(&text2);
	return 0;
}
