/*
 * error.h - status codes and the thread-local last-error message.
 *
 * Every libdv function returns an int: 0 on success, a negative DV_E* code
 * on failure, after recording a one-line, git-style message (lowercase, the
 * subject quoted, no final full stop) that the CLI prints as
 * "dv: error: <message>".  The library itself never prints or exits.
 */
#ifndef DV_ERROR_H
#define DV_ERROR_H

enum {
	DV_OK = 0,
	DV_ERROR = -1,     /* generic failure */
	DV_ENOTFOUND = -2, /* a named thing does not exist */
	DV_EEXISTS = -3,   /* a named thing already exists */
	DV_EUSAGE = -4,    /* the caller asked for something invalid (exit 2) */
	DV_ELOCKED = -5,   /* another process holds the repository lock */
	DV_ECORRUPT = -6,  /* bytes do not match their recorded hash */
	DV_EINTR = -7,     /* interrupted by a signal */
	DV_ECHANGED = -8,  /* refused: would lose a workspace change */
	DV_ECONFLICT = -9, /* a file holds unresolved git merge-conflict markers */
};

/* Record a message; returns `code` so callers can `return dv_error(...)`. */
int dv_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(errno)" (errno read before anything else). */
int dv_error_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the current message with more context: "<prefix>: <old message>". */
int dv_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last message recorded on this thread ("" when none). */
const char *dv_error_last(void);
void dv_error_clear(void);

/* Allocation that cannot fail: out of memory aborts, as git's xmalloc does. */
#include <stddef.h>
void *dv_malloc(size_t n);
void *dv_calloc(size_t n, size_t size);
void *dv_realloc(void *p, size_t n);
char *dv_strdup(const char *s);
char *dv_strndup(const char *s, size_t n);
char *dv_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
