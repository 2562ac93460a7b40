/*
 * progress.h - progress on long work: the bar itself (dv_progress_*,
 * declared with the remote interface that first used it, remote.h) and
 * the byte counts every command prints the same way.
 */
#ifndef DV_PROGRESS_H
#define DV_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* The bar itself; its constructor is declared in remote.h. */
typedef struct dv_progress dv_progress;

/* "512 B", "1.5 KiB", "2.0 GiB". */
void dv_format_bytes(char *out, size_t n, double bytes);

/* What the bar counts ("objects" unless set; "files" for local work). */
void dv_progress_set_unit(dv_progress *p, const char *unit);

/* Erase the bar's line (if drawn) before other output goes to the
 * terminal; the next update draws it again. */
void dv_progress_clear(dv_progress *p);

/*
 * Local work (add, commit, checkout, status) feeds one bar from deep
 * inside: the read and copy loops report bytes, the workspace reports
 * files, and both announce what they are about to do, so the totals grow
 * as the work is discovered (a file the stat cache knows is never read
 * and never counted).  The CLI makes the bar active for the length of a
 * command; a bar that is not drawn (not a terminal) is never made active,
 * and then all of these cost one atomic load.
 */
void dv_progress_set_active(dv_progress *p); /* NULL: none */
dv_progress *dv_progress_active(void);
/* `objects` more files and `bytes` more bytes to go. */
void dv_progress_expect(uint64_t objects, uint64_t bytes);
/* The rest of the regular file open at `fd`, from its offset, is about to
 * be read (one fstat, only while a bar is active). */
void dv_progress_io_expect_fd(int fd);
/* `bytes` were read or copied. */
void dv_progress_io(uint64_t bytes);
/* One announced file is finished. */
void dv_progress_file_done(void);

#endif
