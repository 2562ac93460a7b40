/*
 * error.c - the thread-local last-error message and abort-on-OOM allocators.
 *
 * The message lives in a fixed thread-local buffer so that recording an
 * error never allocates (and so never fails while reporting a failure).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"

static _Thread_local char last_error[1024];

int dv_error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return code;
}

int dv_error_errno(int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	len = strlen(last_error);
	/* The one errno whose fix is the user's, and always the same. */
	snprintf(last_error + len, sizeof(last_error) - len, ": %s%s", strerror(saved),
		 saved == ENOSPC || saved == EDQUOT ? " (free some space there and run it again)" : "");
	errno = saved;
	return code;
}

int dv_error_wrap(int code, const char *fmt, ...)
{
	char old[sizeof(last_error)];
	va_list ap;
	size_t len;

	memcpy(old, last_error, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	len = strlen(last_error);
	if (old[0])
		snprintf(last_error + len, sizeof(last_error) - len, ": %s", old);
	return code;
}

const char *dv_error_last(void)
{
	return last_error;
}

void dv_error_clear(void)
{
	last_error[0] = '\0';
}

static void *oom(void)
{
	static const char msg[] = "dv: fatal: out of memory\n";
	fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

void *dv_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom();
}

void *dv_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	return p ? p : oom();
}

void *dv_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom();
}

char *dv_strdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom();
}

char *dv_strndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	return p ? p : oom();
}

char *dv_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *out;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&out, fmt, ap);
	va_end(ap);
	return rc < 0 ? oom() : out;
}
