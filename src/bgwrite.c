/*
 * bgwrite.c - the writer thread behind dv_bgwriter.
 *
 * A handful of 1 MiB buffers cycle between the caller (fills them) and the
 * thread (writes them in submission order); the first failed write is
 * remembered and every later buffer is dropped, so the caller learns of it
 * at its next submit or at finish.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "dv/bgwrite.h"
#include "dv/error.h"
#include "dv/fs.h"
#include "dv/hash.h"

#define NBUF 4

struct dv_bgwriter {
	int fd;
	bool threaded, closing;
	int err; /* errno of the first failed write */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *bufs[NBUF];
	size_t lens[NBUF];
	int queue[NBUF], qhead, qlen; /* filled buffers, oldest first */
	int free_[NBUF], nfree;
};

/* The errno of writing buffer i, or 0; nothing is written after a
 * failure.  w->err is read here unlocked: only this writer sets it. */
static int write_one(dv_bgwriter *w, int i)
{
	if (!w->err && dv_write_all(w->fd, w->bufs[i], w->lens[i]) < 0)
		return errno ? errno : EIO;
	return 0;
}

static void *writer(void *arg)
{
	dv_bgwriter *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		int i, e;
		while (w->qlen == 0 && !w->closing)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->qlen == 0)
			break;
		i = w->queue[w->qhead];
		w->qhead = (w->qhead + 1) % NBUF;
		w->qlen--;
		pthread_mutex_unlock(&w->mu);
		e = write_one(w, i);
		pthread_mutex_lock(&w->mu);
		if (e && !w->err)
			w->err = e;
		w->free_[w->nfree++] = i;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

dv_bgwriter *dv_bgwriter_new(int fd)
{
	dv_bgwriter *w = dv_calloc(1, sizeof(*w));
	w->fd = fd;
	for (int i = 0; i < NBUF; i++) {
		w->bufs[i] = dv_malloc(DV_IO_CHUNK);
		w->free_[w->nfree++] = i;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->threaded = pthread_create(&w->thread, NULL, writer, w) == 0;
	return w;
}

char *dv_bgwriter_buffer(dv_bgwriter *w)
{
	char *buf;
	pthread_mutex_lock(&w->mu);
	while (w->nfree == 0)
		pthread_cond_wait(&w->cv, &w->mu);
	buf = w->bufs[w->free_[--w->nfree]];
	pthread_mutex_unlock(&w->mu);
	return buf;
}

int dv_bgwriter_submit(dv_bgwriter *w, char *buf, size_t len)
{
	int i = 0, err;
	while (i < NBUF - 1 && w->bufs[i] != buf)
		i++;
	w->lens[i] = len;
	pthread_mutex_lock(&w->mu);
	if (w->threaded) {
		w->queue[(w->qhead + w->qlen) % NBUF] = i;
		w->qlen++;
		pthread_cond_broadcast(&w->cv);
	} else {
		int e = write_one(w, i);
		if (e && !w->err)
			w->err = e;
		w->free_[w->nfree++] = i;
	}
	err = w->err;
	pthread_mutex_unlock(&w->mu);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int dv_bgwriter_finish(dv_bgwriter *w)
{
	int err;
	pthread_mutex_lock(&w->mu);
	w->closing = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->threaded)
		pthread_join(w->thread, NULL);
	err = w->err;
	for (int i = 0; i < NBUF; i++)
		free(w->bufs[i]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
