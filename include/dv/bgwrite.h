/*
 * bgwrite.h - a writer thread for one file: buffers handed over in order
 * are written while the caller reads and hashes the next one, so copying a
 * large file into the cache costs about one pass instead of two.
 */
#ifndef DV_BGWRITE_H
#define DV_BGWRITE_H

#include <stddef.h>

typedef struct dv_bgwriter dv_bgwriter;

/* Start writing to `fd` (which stays the caller's).  Never fails: without
 * a thread the writes happen in dv_bgwriter_submit. */
dv_bgwriter *dv_bgwriter_new(int fd);
/* A free buffer of DV_IO_CHUNK bytes (waits until one is written out). */
char *dv_bgwriter_buffer(dv_bgwriter *w);
/* Queue `len` bytes of a buffer from dv_bgwriter_buffer; -1 (errno set)
 * once any write has failed. */
int dv_bgwriter_submit(dv_bgwriter *w, char *buf, size_t len);
/* Wait for every queued write and free the writer; -1 (errno set) if any
 * write failed. */
int dv_bgwriter_finish(dv_bgwriter *w);

#endif
