/*
 * buf.c - growable buffer, string vector and element vector.
 *
 * Growth doubles capacity so appends are amortised O(1); an empty buffer
 * points at a shared static "" so it is a valid C string without allocating.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/buf.h"
#include "dv/error.h"

char dv_buf__empty[1];

void dv_buf_init(dv_buf *b)
{
	b->ptr = dv_buf__empty;
	b->len = b->cap = 0;
}

void dv_buf_grow(dv_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	size_t cap;

	if (want <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	if (b->cap == 0) {
		b->ptr = dv_malloc(cap);
		b->ptr[0] = '\0';
	} else {
		b->ptr = dv_realloc(b->ptr, cap);
	}
	b->cap = cap;
}

void dv_buf_add(dv_buf *b, const void *data, size_t len)
{
	dv_buf_grow(b, len);
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void dv_buf_puts(dv_buf *b, const char *s)
{
	dv_buf_add(b, s, strlen(s));
}

void dv_buf_putc(dv_buf *b, char c)
{
	dv_buf_add(b, &c, 1);
}

void dv_buf_vprintf(dv_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		dv_buf_grow(b, (size_t)n);
		vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void dv_buf_printf(dv_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dv_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void dv_buf_set(dv_buf *b, const char *s)
{
	dv_buf_reset(b);
	dv_buf_puts(b, s);
}

void dv_buf_put_shell_quoted(dv_buf *b, const char *s)
{
	dv_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			dv_buf_puts(b, "'\\''");
		else
			dv_buf_putc(b, *s);
	}
	dv_buf_putc(b, '\'');
}

void dv_buf_truncate(dv_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

void dv_buf_reset(dv_buf *b)
{
	dv_buf_truncate(b, 0);
}

char *dv_buf_detach(dv_buf *b)
{
	char *p = b->cap ? b->ptr : dv_strdup("");
	dv_buf_init(b);
	return p;
}

void dv_buf_free(dv_buf *b)
{
	if (b->cap)
		free(b->ptr);
	dv_buf_init(b);
}

void dv_strvec_push_take(dv_strvec *sv, char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = dv_realloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
}

void dv_strvec_push_take_once(dv_strvec *sv, char *s)
{
	if (dv_strvec_contains(sv, s))
		free(s);
	else
		dv_strvec_push_take(sv, s);
}

void dv_strvec_push(dv_strvec *sv, const char *s)
{
	dv_strvec_push_take(sv, dv_strdup(s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void dv_strvec_sort(dv_strvec *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
}

bool dv_strvec_sorted_has(const dv_strvec *sv, const char *s)
{
	return sv->n && bsearch(&s, sv->v, sv->n, sizeof(*sv->v), cmp_str) != NULL;
}

int dv_strvec_contains(const dv_strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

void dv_strvec_free(dv_strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void *dv_vec_push(dv_vec *v)
{
	void *slot;
	if (v->n == v->cap) {
		/* The first block holds ~128 bytes: a stage's one dep or out
		 * (72 bytes) took 576 with room for eight, and 2,000 stages'
		 * spare room cost a status ~600 fresh pages. */
		v->cap = v->cap ? v->cap * 2 : v->size >= 128 ? 1 : 128 / v->size;
		v->items = dv_realloc(v->items, v->cap * v->size);
	}
	slot = (char *)v->items + v->n * v->size;
	memset(slot, 0, v->size);
	v->n++;
	return slot;
}

void dv_vec_free(dv_vec *v)
{
	free(v->items);
	v->items = NULL;
	v->n = v->cap = 0;
}

#define STRPOOL_BLOCK 16384

char *dv_strpool_add(dv_strpool *p, const char *s, size_t n)
{
	char *out;
	if (n + 1 > p->left) {
		/* A string too long for a block gets one of its own; the
		 * current block keeps its room for the next ones. */
		size_t size = n + 1 > STRPOOL_BLOCK / 4 ? n + 1 : STRPOOL_BLOCK;
		char *block = dv_malloc(size);
		dv_strvec_push_take(&p->blocks, block);
		if (size == STRPOOL_BLOCK) {
			p->cur = block;
			p->left = size;
		} else {
			memcpy(block, s, n);
			block[n] = '\0';
			return block;
		}
	}
	out = p->cur;
	memcpy(out, s, n);
	out[n] = '\0';
	p->cur += n + 1;
	p->left -= n + 1;
	return out;
}

void dv_strpool_take(dv_strpool *into, dv_strpool *from)
{
	for (size_t i = 0; i < from->blocks.n; i++)
		dv_strvec_push_take(&into->blocks, from->blocks.v[i]);
	free(from->blocks.v);
	*from = (dv_strpool)DV_STRPOOL_INIT;
}

void dv_strpool_free(dv_strpool *p)
{
	dv_strvec_free(&p->blocks);
	*p = (dv_strpool)DV_STRPOOL_INIT;
}

static pthread_key_t io_key;
static pthread_once_t io_once = PTHREAD_ONCE_INIT;

static void io_key_create(void)
{
	/* free() runs for every thread that took a buffer, workers included. */
	pthread_key_create(&io_key, free);
}

char *dv_io_buffer(void)
{
	char *buf;
	pthread_once(&io_once, io_key_create);
	buf = pthread_getspecific(io_key);
	if (!buf) {
		buf = dv_malloc(DV_IO_BUFFER_SIZE);
		pthread_setspecific(io_key, buf);
	}
	return buf;
}
