/*
 * pack.c - the pack and index format (pack.h, dv-remote(5)): writing a
 * pack into a local temp file, parsing and checking indexes, looking
 * objects up, and grouping wanted objects into few byte ranges.
 *
 * The index is text, one line per object, because it is read once per
 * remote and then cached: at ~50 bytes an object, 600,000 objects make a
 * 30 MB index, which parses in a fraction of a second, and a human can
 * read it with curl when something is wrong.  Its last line is a checksum
 * of everything before it, so a torn or damaged index is refused instead
 * of promising objects at wrong offsets.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/pack.h"

#define INDEX_HEADER "dv-pack-index 1\n"

void dv_pack_set_init(dv_pack_set *set)
{
	set->packs = (dv_vec)DV_VEC_INIT(dv_pack_info);
	set->entries = (dv_vec)DV_VEC_INIT(dv_pack_entry);
}

void dv_pack_set_free(dv_pack_set *set)
{
	dv_vec_free(&set->packs);
	dv_vec_free(&set->entries);
}

static bool is_hex_name(const char *s, size_t len)
{
	if (len != DV_HASH_HEXLEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void dv_pack_key(dv_buf *out, const char *name, const char *ext)
{
	dv_buf_reset(out);
	dv_buf_printf(out, DV_PACK_DIR "%s.%s", name, ext);
}

bool dv_pack_parse_key(char name[DV_HASH_HEXLEN + 1], const char **ext, const char *relpath)
{
	size_t dl = strlen(DV_PACK_DIR);
	const char *p = relpath + dl, *dot;

	if (strncmp(relpath, DV_PACK_DIR, dl) != 0 || !(dot = strchr(p, '.')) ||
	    !is_hex_name(p, (size_t)(dot - p)))
		return false;
	if (strcmp(dot, ".pack") && strcmp(dot, ".idx") && strcmp(dot, ".dead"))
		return false;
	memcpy(name, p, DV_HASH_HEXLEN);
	name[DV_HASH_HEXLEN] = '\0';
	*ext = dot + 1;
	return true;
}

/* Parse an unsigned decimal that ends at `stop`; advances *p. */
static bool take_u64(uint64_t *out, const char **p, char stop)
{
	char *end;
	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*out = strtoull(*p, &end, 10);
	if (errno || *end != stop)
		return false;
	*p = end + 1;
	return true;
}

static int cmp_entry(const dv_pack_entry *a, const dv_pack_entry *b)
{
	int c = memcmp(a->hash.bytes, b->hash.bytes, sizeof(a->hash.bytes));
	if (c)
		return c;
	return (int)a->is_dir - (int)b->is_dir;
}

/* The first line is `header` with another version number after its last
 * space ("dv-pack-index 2"). */
static bool newer_version(const char *text, size_t len, const char *header)
{
	size_t stem = strlen(header) - 2; /* up to the version's digits: "dv-pack-index " */
	return len > stem && !strncmp(text, header, stem) && strncmp(text, header, strlen(header)) != 0 &&
	       text[stem] >= '0' && text[stem] <= '9';
}

static int first_line_len(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	size_t n = nl ? (size_t)(nl - text) : len;
	return n > 40 ? 40 : (int)n;
}

int dv_pack_set_add_index(dv_pack_set *set, const char *text, size_t len, const char *name,
			  const char *origin)
{
	const char *p = text, *end = text + len, *trailer;
	size_t hl = strlen(INDEX_HEADER), first = set->entries.n;
	uint64_t size = 0, count = 0, payload = 0;
	char hex[DV_HASH_HEXLEN + 1];
	dv_pack_info *info;
	dv_hash sum;
	const char *why = NULL;
	size_t line = 1;

	/* Another version is no damage: a newer dv wrote it, and may change
	 * anything after the first line, the checksum included. */
	if (newer_version(text, len, INDEX_HEADER))
		return dv_error(DV_ERROR, "pack index %s is not version 1 (first line '%.*s'): a newer dv wrote it; "
				"upgrade dv to read this remote", origin, first_line_len(text, len), text);
	/* The checksum line first: nothing else is trusted without it. */
	if (len < hl + 38 || text[len - 1] != '\n') {
		why = "it is truncated";
		goto bad;
	}
	trailer = end - 1;
	while (trailer > text && trailer[-1] != '\n')
		trailer--;
	dv_hash_buffer(&sum, text, (size_t)(trailer - text));
	dv_hash_to_hex(hex, &sum);
	if ((size_t)(end - trailer) != 4 + DV_HASH_HEXLEN + 1 || strncmp(trailer, "end ", 4) ||
	    memcmp(trailer + 4, hex, DV_HASH_HEXLEN) != 0) {
		why = "its checksum line does not match its contents";
		goto bad;
	}
	if (strncmp(p, INDEX_HEADER, hl) != 0) {
		why = "it is not a version 1 index (first line 'dv-pack-index 1')";
		goto bad;
	}
	p += hl;
	line++;
	if (strncmp(p, "pack ", 5) != 0 || strncmp(p + 5, name, DV_HASH_HEXLEN) != 0 ||
	    p[5 + DV_HASH_HEXLEN] != ' ') {
		why = "its 'pack' line names another pack";
		goto bad;
	}
	p += 6 + DV_HASH_HEXLEN;
	if (!take_u64(&size, &p, ' ') || !take_u64(&count, &p, '\n')) {
		why = "its 'pack' line is malformed";
		goto bad;
	}
	for (uint64_t i = 0; i < count; i++) {
		dv_pack_entry *e;
		const char *sp;
		line++;
		if (p >= trailer || !(sp = memchr(p, ' ', (size_t)(trailer - p)))) {
			why = "it lists fewer objects than its 'pack' line says";
			goto bad;
		}
		e = dv_vec_push(&set->entries);
		e->pack = (uint32_t)set->packs.n;
		e->is_dir = sp - p == DV_HASH_HEXLEN + 4 && !strncmp(p + DV_HASH_HEXLEN, ".dir", 4);
		if ((sp - p != DV_HASH_HEXLEN && !e->is_dir) || dv_hash_from_hex(&e->hash, p, DV_HASH_HEXLEN) < 0) {
			why = "an object name is malformed";
			goto bad;
		}
		p = sp + 1;
		if (!take_u64(&e->offset, &p, ' ') || !take_u64(&e->length, &p, '\n')) {
			why = "an offset or length is malformed";
			goto bad;
		}
		if (e->offset < DV_PACK_MAGIC_LEN || e->length > size || e->offset > size - e->length) {
			why = "an object lies outside the pack";
			goto bad;
		}
		if (i > 0 && cmp_entry(e - 1, e) >= 0) {
			why = "its objects are not sorted";
			goto bad;
		}
		payload += e->length;
	}
	if (p != trailer) {
		why = "it lists more objects than its 'pack' line says";
		goto bad;
	}
	info = dv_vec_push(&set->packs);
	memcpy(info->name, name, DV_HASH_HEXLEN + 1);
	info->size = size;
	info->payload = payload;
	info->count = (size_t)count;
	return 0;
bad:
	set->entries.n = first;
	return dv_error(DV_ECORRUPT, "pack index %s is damaged (line %zu: %s): "
			"delete it from the remote, then 'dv push' packs its objects again", origin, line, why);
}

static int cmp_entry_qsort(const void *a, const void *b)
{
	int c = cmp_entry(a, b);
	if (c)
		return c;
	/* Deterministic among copies: the older pack (lower index) first. */
	return (int)((const dv_pack_entry *)a)->pack - (int)((const dv_pack_entry *)b)->pack;
}

void dv_pack_set_sort(dv_pack_set *set)
{
	if (set->entries.n)
		qsort(set->entries.items, set->entries.n, sizeof(dv_pack_entry), cmp_entry_qsort);
}

const dv_pack_entry *dv_pack_set_find(const dv_pack_set *set, const dv_hash *h, bool is_dir)
{
	dv_pack_entry key;
	size_t lo = 0, hi = set->entries.n;

	key.hash = *h;
	key.is_dir = is_dir;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_entry(dv_vec_at(&set->entries, dv_pack_entry, mid), &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < set->entries.n && cmp_entry(dv_vec_at(&set->entries, dv_pack_entry, lo), &key) == 0)
		return dv_vec_at(&set->entries, dv_pack_entry, lo);
	return NULL;
}

const dv_pack_info *dv_pack_set_pack(const dv_pack_set *set, uint32_t pack)
{
	return dv_vec_at(&set->packs, dv_pack_info, pack);
}

int dv_pack_cache_load(dv_pack_set *set, const char *dir, const char *name)
{
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT;
	int rc = DV_ENOTFOUND;

	if (dir) {
		dv_buf_printf(&path, "%s/%s.idx", dir, name);
		if ((rc = dv_read_file(&text, path.ptr)) == 0)
			rc = dv_pack_set_add_index(set, text.ptr, text.len, name, path.ptr);
	}
	if (rc < 0)
		dv_error_clear(); /* not kept yet, or damaged: the caller downloads it */
	dv_buf_free(&path);
	dv_buf_free(&text);
	return rc;
}

void dv_pack_cache_keep(const char *dir, const char *name, const dv_buf *text)
{
	dv_buf path = DV_BUF_INIT;

	if (!dir)
		return;
	dv_buf_printf(&path, "%s/%s.idx", dir, name);
	if (dv_mkdir_p(dir, 0777) < 0 || dv_write_file_atomic_nosync(path.ptr, text->ptr, text->len, 0644) < 0)
		dv_error_clear();
	dv_buf_free(&path);
}

/* The record of what one remote listed: "remote-<hash of its URL>.list",
 * in the packs/list format. */
#define SEEN_PREFIX "remote-"
#define SEEN_SUFFIX ".list"

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

/* Add the names `path` records to `keep` (a missing or damaged record
 * keeps nothing: its remote downloads again what it needs). */
static void add_seen(dv_strvec *keep, const char *path)
{
	dv_buf text = DV_BUF_INIT;
	if (dv_read_file(&text, path) < 0 || dv_pack_list_parse(keep, text.ptr, text.len, path) < 0)
		dv_error_clear();
	dv_buf_free(&text);
}

void dv_pack_cache_prune(const char *dir, const char *remote_url, const dv_strvec *listed)
{
	dv_buf path = DV_BUF_INIT, text = DV_BUF_INIT;
	dv_strvec keep = DV_STRVEC_INIT;
	char key[64];
	dv_hash h;
	DIR *d;
	struct dirent *e;

	if (!dir)
		return;
	dv_hash_buffer(&h, remote_url, strlen(remote_url));
	dv_hash_format(key, sizeof(key), &h, false);
	dv_buf_printf(&path, "%s/" SEEN_PREFIX "%s" SEEN_SUFFIX, dir, strchr(key, ':') + 1);
	dv_pack_list_format(&text, listed);
	if (dv_mkdir_p(dir, 0777) < 0 || dv_write_file_atomic_nosync(path.ptr, text.ptr, text.len, 0644) < 0) {
		dv_error_clear(); /* without the record, pruning could drop what this remote lists */
		goto done;
	}
	if (!(d = opendir(dir)))
		goto done;
	/* Every remote's last listing, this one's included (just written). */
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, SEEN_PREFIX, strlen(SEEN_PREFIX)) || !has_suffix(e->d_name, SEEN_SUFFIX))
			continue;
		dv_buf_reset(&path);
		dv_buf_printf(&path, "%s/%s", dir, e->d_name);
		add_seen(&keep, path.ptr);
	}
	dv_strvec_sort(&keep);
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		char name[DV_HASH_HEXLEN + 1];
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || n != DV_HASH_HEXLEN + 4 || !has_suffix(e->d_name, ".idx"))
			continue;
		memcpy(name, e->d_name, DV_HASH_HEXLEN);
		name[DV_HASH_HEXLEN] = '\0';
		if (!dv_strvec_sorted_has(&keep, name))
			(void)unlinkat(dirfd(d), e->d_name, 0); /* a cache: a failure costs nothing */
	}
	closedir(d);
done:
	dv_strvec_free(&keep);
	dv_buf_free(&path);
	dv_buf_free(&text);
}

#define LIST_HEADER "dv-pack-list 1\n"

void dv_pack_list_format(dv_buf *out, const dv_strvec *names)
{
	dv_buf_reset(out);
	dv_buf_puts(out, LIST_HEADER);
	for (size_t i = 0; i < names->n; i++)
		dv_buf_printf(out, "%s\n", names->v[i]);
}

int dv_pack_list_parse(dv_strvec *names, const char *text, size_t len, const char *origin)
{
	size_t hl = strlen(LIST_HEADER), line = 1;
	const char *p = text + hl, *end = text + len;

	if (newer_version(text, len, LIST_HEADER))
		return dv_error(DV_ERROR, "pack list %s is not version 1 (first line '%.*s'): a newer dv wrote it; "
				"upgrade dv to read this remote", origin, first_line_len(text, len), text);
	if (len < hl || strncmp(text, LIST_HEADER, hl) != 0)
		return dv_error(DV_ECORRUPT, "pack list %s is not a version 1 list (first line 'dv-pack-list 1')",
				origin);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line++;
		if (!nl || !is_hex_name(p, (size_t)(nl - p)))
			return dv_error(DV_ECORRUPT, "pack list %s line %zu is not a pack name", origin, line);
		dv_strvec_push_take(names, dv_strndup(p, (size_t)(nl - p)));
		p = nl + 1;
	}
	return 0;
}

/* --- writing ------------------------------------------------------------- */

int dv_pack_writer_open(dv_pack_writer *w, const char *dir)
{
	dv_buf final = DV_BUF_INIT;
	int rc;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->entries = (dv_vec)DV_VEC_INIT(dv_pack_entry);
	dv_path_join(&final, dir, "pack");
	if ((rc = dv_mkdir_p(dir, 0777)) == 0)
		rc = dv_tmpfile_open(&w->fd, &w->tmp_path, final.ptr, 0600);
	dv_buf_free(&final);
	if (rc < 0)
		return rc;
	return dv_pack_writer_add(w, NULL, false, DV_PACK_MAGIC, DV_PACK_MAGIC_LEN);
}

static int writer_put(dv_pack_writer *w, const void *data, size_t len)
{
	if (dv_write_all(w->fd, data, len) < 0)
		return dv_error_errno(DV_ERROR, "cannot write the pack '%s'", w->tmp_path.ptr);
	w->size += len;
	return 0;
}

static void writer_record(dv_pack_writer *w, const dv_hash *h, bool is_dir, uint64_t off, uint64_t len)
{
	dv_pack_entry *e = dv_vec_push(&w->entries);
	e->hash = *h;
	e->is_dir = is_dir;
	e->offset = off;
	e->length = len;
}

static int corrupt_source(const dv_hash *want, const dv_hash *got, bool is_dir, const char *where)
{
	char w[64], g[64];
	dv_hash_format(w, sizeof(w), want, is_dir);
	dv_hash_format(g, sizeof(g), got, false);
	return dv_error(DV_ECORRUPT, "object '%s' (%s) is corrupt (its bytes hash to '%s'): it was not "
			"packed; check the cache with 'dv fsck'", w, where, g);
}

int dv_pack_writer_add(dv_pack_writer *w, const dv_hash *h, bool is_dir, const void *data, size_t len)
{
	uint64_t off = w->size;
	int rc;

	if (h) {
		dv_hash got;
		dv_hash_buffer(&got, data, len);
		if (!dv_hash_equal(&got, h))
			return corrupt_source(h, &got, is_dir, "read from the remote");
	}
	if ((rc = writer_put(w, data, len)) < 0)
		return rc;
	if (h)
		writer_record(w, h, is_dir, off, len);
	return 0;
}

int dv_pack_writer_add_file(dv_pack_writer *w, dv_hash *got_out, const dv_hash *h, bool is_dir,
			    const char *path)
{
	uint64_t off = w->size;
	dv_hasher *check = dv_hasher_new();
	char *buf = dv_io_buffer();
	dv_hash got;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = dv_error_errno(errno == ENOENT ? DV_ENOTFOUND : DV_ERROR, "cannot open '%s' to pack it", path);
		goto done;
	}
	for (;;) {
		ssize_t n = read(fd, buf, DV_IO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = dv_error_errno(DV_ERROR, "cannot read '%s'", path);
			break;
		}
		if (n == 0)
			break;
		dv_hasher_update(check, buf, (size_t)n);
		if ((rc = writer_put(w, buf, (size_t)n)) < 0)
			break;
	}
	close(fd);
	if (rc == 0) {
		dv_hasher_final(&got, check);
		if (got_out)
			*got_out = got;
		if (!dv_hash_equal(&got, h))
			rc = corrupt_source(h, &got, is_dir, path);
	}
	if (rc < 0) {
		/* Take the bytes back out: the pack holds only what its index
		 * lists (its name is hashed from the file at the end). */
		if (ftruncate(w->fd, (off_t)off) < 0 || lseek(w->fd, (off_t)off, SEEK_SET) < 0)
			rc = dv_error_errno(DV_ERROR, "cannot truncate the pack '%s'", w->tmp_path.ptr);
		w->size = off;
		goto done;
	}
	writer_record(w, h, is_dir, off, w->size - off);
done:
	dv_hasher_free(check);
	return rc;
}

static int cmp_entry_sort(const void *a, const void *b)
{
	return cmp_entry(a, b);
}

int dv_pack_writer_finish(dv_pack_writer *w)
{
	dv_hasher *hs = dv_hasher_new();
	char *buf = dv_io_buffer();
	char hex[DV_HASH_HEXLEN + 1];
	dv_hash h;
	int rc = 0;

	/* The name is the hash of the file as written: what a reader could
	 * check, and the same bytes always get the same name. */
	for (uint64_t off = 0; off < w->size;) {
		ssize_t n = pread(w->fd, buf, DV_IO_CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = dv_error_errno(DV_ERROR, "cannot read back the pack '%s'", w->tmp_path.ptr);
			break;
		}
		dv_hasher_update(hs, buf, (size_t)n);
		off += (uint64_t)n;
	}
	dv_hasher_final(&h, hs);
	dv_hasher_free(hs);
	if (rc < 0)
		return rc;
	dv_hash_to_hex(w->name, &h);
	if (w->entries.n)
		qsort(w->entries.items, w->entries.n, sizeof(dv_pack_entry), cmp_entry_sort);
	dv_buf_reset(&w->index);
	dv_buf_puts(&w->index, INDEX_HEADER);
	dv_buf_printf(&w->index, "pack %s %" PRIu64 " %zu\n", w->name, w->size, w->entries.n);
	for (size_t i = 0; i < w->entries.n; i++) {
		const dv_pack_entry *e = dv_vec_at(&w->entries, dv_pack_entry, i);
		dv_hash_to_hex(hex, &e->hash);
		dv_buf_printf(&w->index, "%s%s %" PRIu64 " %" PRIu64 "\n", hex, e->is_dir ? ".dir" : "",
			      e->offset, e->length);
	}
	dv_hash_buffer(&h, w->index.ptr, w->index.len);
	dv_hash_to_hex(hex, &h);
	dv_buf_printf(&w->index, "end %s\n", hex);
	return 0;
}

void dv_pack_writer_free(dv_pack_writer *w)
{
	if (w->fd >= 0)
		dv_tmpfile_abort(w->fd, w->tmp_path.ptr);
	w->fd = -1;
	dv_buf_free(&w->tmp_path);
	dv_buf_free(&w->index);
	dv_vec_free(&w->entries);
}

/* --- reading ------------------------------------------------------------- */

static int cmp_want(const void *a, const void *b)
{
	const dv_pack_entry *x = &((const dv_pack_want *)a)->e, *y = &((const dv_pack_want *)b)->e;
	if (x->pack != y->pack)
		return x->pack < y->pack ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

void dv_pack_plan_ranges(dv_vec *ranges, dv_pack_want *wants, size_t n, uint64_t gap,
			 uint64_t max_len)
{
	dv_pack_range *cur = NULL;

	if (n)
		qsort(wants, n, sizeof(*wants), cmp_want);
	for (size_t i = 0; i < n; i++) {
		const dv_pack_entry *e = &wants[i].e;
		uint64_t end = e->offset + e->length;
		if (cur && cur->pack == e->pack && e->offset <= cur->end + gap &&
		    (end > cur->end ? end : cur->end) - cur->start <= max_len) {
			if (end > cur->end)
				cur->end = end;
			cur->count++;
			continue;
		}
		cur = dv_vec_push(ranges);
		cur->pack = e->pack;
		cur->start = e->offset;
		cur->end = end;
		cur->first = i;
		cur->count = 1;
	}
}
