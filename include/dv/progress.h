/*
 * progress.h - progress on long work: the bar itself (dv_progress_*,
 * declared with the remote interface that first used it, remote.h) and
 * the byte counts every command prints the same way.
 */
#ifndef DV_PROGRESS_H
#define DV_PROGRESS_H

#include <stddef.h>

/* "512 B", "1.5 KiB", "2.0 GiB". */
void dv_format_bytes(char *out, size_t n, double bytes);

#endif
