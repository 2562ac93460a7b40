/*
 * mlerr.c - the last-error message (see mlerr.h).
 *
 * Thread-local so that a future multi-threaded caller cannot see another
 * thread's failure; fixed size because a message is one line and an
 * allocation failure must still be reportable.
 */
#include "mlerr.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

int ml_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return -1;
}

const char *ml_error_last(void)
{
	return last_error;
}

int ml_report(const char *prog)
{
	fprintf(stderr, "%s: error: %s\n", prog, last_error);
	return 1;
}
