/*
 * buf.h - the one growable byte buffer and the one string vector used
 * everywhere in dv, so no module grows its own realloc loop.
 *
 * A dv_buf is always NUL-terminated (ptr is never NULL after init), so its
 * contents can be passed straight to functions taking C strings.
 */
#ifndef DV_BUF_H
#define DV_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *ptr;
	size_t len;
	size_t cap;
} dv_buf;

extern char dv_buf__empty[];
#define DV_BUF_INIT { dv_buf__empty, 0, 0 }

void dv_buf_init(dv_buf *b);
void dv_buf_grow(dv_buf *b, size_t extra);
void dv_buf_add(dv_buf *b, const void *data, size_t len);
void dv_buf_puts(dv_buf *b, const char *s);
void dv_buf_putc(dv_buf *b, char c);
void dv_buf_printf(dv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dv_buf_vprintf(dv_buf *b, const char *fmt, va_list ap);
void dv_buf_set(dv_buf *b, const char *s);
/* Append s single-quoted for sh ('it'\''s'), safe in any shell command. */
void dv_buf_put_shell_quoted(dv_buf *b, const char *s);
void dv_buf_truncate(dv_buf *b, size_t len);
void dv_buf_reset(dv_buf *b); /* len = 0, keeps the allocation */
char *dv_buf_detach(dv_buf *b); /* caller owns the result; b is reset */
void dv_buf_free(dv_buf *b);

typedef struct {
	char **v;
	size_t n;
	size_t cap;
} dv_strvec;

#define DV_STRVEC_INIT { NULL, 0, 0 }

void dv_strvec_push(dv_strvec *sv, const char *s);   /* copies s */
void dv_strvec_push_take(dv_strvec *sv, char *s);     /* takes ownership */
/* Takes ownership; frees `s` instead when an equal string is there. */
void dv_strvec_push_take_once(dv_strvec *sv, char *s);
void dv_strvec_sort(dv_strvec *sv);                   /* bytewise */
int dv_strvec_contains(const dv_strvec *sv, const char *s);
bool dv_strvec_sorted_has(const dv_strvec *sv, const char *s); /* after dv_strvec_sort */
void dv_strvec_free(dv_strvec *sv);

/* Strings that live as long as the pool, packed into shared blocks
 * instead of one malloc each (a 20,000-file walk's paths took twice the
 * memory, and fresh memory is what a walk pays most for). */
typedef struct {
	dv_strvec blocks;
	char *cur;   /* free space in the last block */
	size_t left;
} dv_strpool;

#define DV_STRPOOL_INIT { DV_STRVEC_INIT, NULL, 0 }
/* A NUL-terminated copy of s[0, n), valid until dv_strpool_free. */
char *dv_strpool_add(dv_strpool *p, const char *s, size_t n);
/* Move every string of `from` into `into` (`from` is left empty). */
void dv_strpool_take(dv_strpool *into, dv_strpool *from);
void dv_strpool_free(dv_strpool *p);

/* The calling thread's scratch buffer for streaming I/O, DV_IO_BUFFER_SIZE
 * bytes, freed when the thread exits.  One per thread, shared by every
 * module: never hold it across a call into another dv function. */
#define DV_IO_BUFFER_SIZE ((1u << 20) + 1)
char *dv_io_buffer(void);

/* A vector of fixed-size elements, for structs. */
typedef struct {
	void *items;
	size_t n;
	size_t cap;
	size_t size;
} dv_vec;

#define DV_VEC_INIT(type) { NULL, 0, 0, sizeof(type) }
void *dv_vec_push(dv_vec *v);         /* returns a zeroed new slot */
#define dv_vec_at(v, type, i) (&((type *)(v)->items)[i])
void dv_vec_free(dv_vec *v);

#endif
