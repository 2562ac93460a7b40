/*
 * progress.c - the transfer progress bar shared by every remote kind:
 * objects, bytes, rate and ETA on one redrawn stderr line.
 *
 * Backends report from many threads (or one curl loop), so counters are
 * atomics and only one thread at a time draws, at most ten times a second;
 * nothing is drawn for transfers that finish within the first half second,
 * so quick commands stay quiet.  Drawing is the one place the library
 * writes to the terminal, as SPEC asks of progress bars: stderr only, and
 * only when it is a terminal.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dv/error.h"
#include "dv/fs.h"
#include "dv/progress.h"
#include "dv/remote.h"

#define FIRST_DRAW_NS 500000000LL
#define REDRAW_NS 100000000LL

struct dv_progress {
	char *what;
	const char *unit; /* "objects", "files" */
	_Atomic uint64_t total_objects, total_bytes;
	_Atomic uint64_t objects, bytes;
	int64_t start_ns;
	int64_t first_draw_ns; /* quiet this long (tests shorten it) */
	_Atomic int64_t last_draw_ns;
	atomic_flag drawing;
	bool draw;
	bool forced; /* DV_PROGRESS=1: draw at once, and always the final line */
	bool sized;  /* the byte total was known at the start */
	bool drawn;
	uint64_t kill_after;
};

static _Atomic int progress_enabled = 1;

void dv_progress_enable(bool on)
{
	progress_enabled = on;
}

static bool want_drawing(bool *forced)
{
	const char *env = getenv("DV_PROGRESS");
	*forced = false;
	if (env && *env)
		return (*forced = strcmp(env, "0") != 0);
	return progress_enabled && isatty(STDERR_FILENO);
}

dv_progress *dv_progress_new(const char *what, uint64_t total_objects, uint64_t total_bytes)
{
	dv_progress *p = dv_calloc(1, sizeof(*p));
	const char *kill_after = getenv("DV_TEST_KILL_AFTER");
	const char *delay = getenv("DV_TEST_PROGRESS_DELAY_MS");

	p->what = dv_strdup(what);
	p->unit = "objects";
	p->total_objects = total_objects;
	p->total_bytes = total_bytes;
	p->sized = total_bytes > 0;
	p->start_ns = dv_now_ns();
	p->first_draw_ns = delay && *delay ? strtoll(delay, NULL, 10) * 1000000LL : FIRST_DRAW_NS;
	p->draw = want_drawing(&p->forced);
	atomic_flag_clear(&p->drawing);
	if (kill_after && *kill_after)
		p->kill_after = strtoull(kill_after, NULL, 10);
	return p;
}

void dv_format_bytes(char *out, size_t n, double b)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

static void put_eta(char *out, size_t n, double secs_left)
{
	uint64_t left = (uint64_t)secs_left;
	snprintf(out, n, ", ETA %u:%02u", (unsigned)(left / 60), (unsigned)(left % 60));
}

static void draw(dv_progress *p, int64_t now, bool final)
{
	uint64_t objects = p->objects, bytes = p->bytes;
	uint64_t total_objects = p->total_objects, total_bytes = p->total_bytes;
	double secs = (double)(now - p->start_ns) / 1e9;
	char done[32], total[32], rate[32], eta[32] = "", amount[72];
	double bps = secs > 0 ? (double)bytes / secs : 0;
	char line[256];
	unsigned percent = 100;
	/* Bytes measure the work when their total was known from the start
	 * (a transfer) or there is one file (a 10 GiB add); local work on many
	 * files learns each file's size only as it opens it, so there the
	 * files count, and the bytes are shown as done so far. */
	bool by_bytes = total_bytes && (p->sized || total_objects <= 1);

	dv_format_bytes(done, sizeof(done), (double)bytes);
	dv_format_bytes(total, sizeof(total), (double)total_bytes);
	dv_format_bytes(rate, sizeof(rate), bps);
	if (by_bytes)
		snprintf(amount, sizeof(amount), "%s/%s", done, total);
	else
		snprintf(amount, sizeof(amount), "%s", done);
	/* Either count is capped: totals may grow late.  No estimate in the
	 * first second: a few files say little about the rest. */
	if (by_bytes && bytes < total_bytes) {
		percent = (unsigned)(100 * (double)bytes / (double)total_bytes);
		if (!final && bps > 0 && secs >= 1)
			put_eta(eta, sizeof(eta), (double)(total_bytes - bytes) / bps);
	} else if (!by_bytes && total_objects && objects < total_objects) {
		percent = (unsigned)(100 * objects / total_objects);
		if (!final && objects > 0 && secs >= 1)
			put_eta(eta, sizeof(eta), secs * (double)(total_objects - objects) / (double)objects);
	}
	snprintf(line, sizeof(line), "\r%s: %3u%% %llu/%llu %s, %s, %s/s%s\033[K%s", p->what, percent,
		 (unsigned long long)objects, (unsigned long long)total_objects, p->unit, amount, rate, eta,
		 final ? "\n" : "");
	/* One write per line, so lines from other output never interleave
	 * inside it. */
	if (write(STDERR_FILENO, line, strlen(line)) < 0) {
		/* Nothing useful to do about a lost progress line. */
	}
	p->drawn = true;
}

void dv_progress_add(dv_progress *p, uint64_t objects, uint64_t bytes)
{
	int64_t now;

	if (!p)
		return;
	uint64_t total = atomic_fetch_add(&p->objects, objects) + objects;
	atomic_fetch_add(&p->bytes, bytes);
	if (p->kill_after && total >= p->kill_after)
		raise(SIGKILL);
	if (!p->draw)
		return;
	now = dv_now_ns();
	if ((!p->forced && now - p->start_ns < p->first_draw_ns) || now - p->last_draw_ns < REDRAW_NS)
		return;
	if (atomic_flag_test_and_set(&p->drawing))
		return; /* another thread is drawing */
	p->last_draw_ns = now;
	draw(p, now, false);
	atomic_flag_clear(&p->drawing);
}

void dv_progress_clear(dv_progress *p)
{
	/* Not while another thread draws: that line is gone at its next redraw. */
	if (!p || !p->drawn || atomic_flag_test_and_set(&p->drawing))
		return;
	if (write(STDERR_FILENO, "\r\033[K", 4) < 0) {
		/* A line not cleared is cosmetic. */
	}
	p->drawn = false;
	atomic_flag_clear(&p->drawing);
}

void dv_progress_done(dv_progress *p)
{
	if (!p)
		return;
	/* Only a bar that was shown gets its final state, ending the line. */
	if (p->draw && (p->drawn || p->forced))
		draw(p, dv_now_ns(), true);
	free(p->what);
	free(p);
}

/* ---- the bar that local file work reports to ------------------------------- */

/* One bar at a time is fed by the read and copy loops of hashing, adding
 * to the cache and checking out (dv_progress_io); NULL, the usual case
 * when nothing is drawn, costs those loops one atomic load per chunk. */
static _Atomic(dv_progress *) active;

void dv_progress_set_unit(dv_progress *p, const char *unit)
{
	if (p)
		p->unit = unit;
}

void dv_progress_set_active(dv_progress *p)
{
	/* A bar that will never be drawn is not worth a stat per file. */
	active = p && p->draw ? p : NULL;
}

dv_progress *dv_progress_active(void)
{
	return active;
}

void dv_progress_expect(uint64_t objects, uint64_t bytes)
{
	dv_progress *p = active;
	if (!p)
		return;
	atomic_fetch_add(&p->total_objects, objects);
	atomic_fetch_add(&p->total_bytes, bytes);
}

void dv_progress_io(uint64_t bytes)
{
	dv_progress *p = active;
	if (p)
		dv_progress_add(p, 0, bytes);
}

void dv_progress_io_expect_fd(int fd)
{
	struct stat st;
	off_t at;
	if (!active || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	at = lseek(fd, 0, SEEK_CUR);
	dv_progress_expect(0, (uint64_t)st.st_size - (at > 0 && at <= st.st_size ? (uint64_t)at : 0));
}

void dv_progress_file_done(void)
{
	dv_progress *p = active;
	if (p)
		dv_progress_add(p, 1, 0);
}
