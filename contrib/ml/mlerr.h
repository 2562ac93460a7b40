/*
 * mlerr.h - the last-error message shared by dv's native ML programs.
 *
 * The modules under contrib/ml never print and never exit: they return -1
 * and leave a one-line message here, so that each program decides how to
 * report it (`dv-train: error: <message>`) and the unit tests can compare
 * the exact text a user would see.
 */
#ifndef DV_ML_MLERR_H
#define DV_ML_MLERR_H

/* Records a printf-style message as the last error and returns -1, so a
 * failure reads `return ml_fail("cannot open '%s'", path);`. */
int ml_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The message of the last ml_fail() in this thread ("" if none). */
const char *ml_error_last(void);

/* Prints `prog: error: <last error>` on stderr and returns 1, the exit
 * status of a failed run. */
int ml_report(const char *prog);

#endif
