/* gzout: deterministic gzip in independent blocks (pigz's scheme), compressed by worker threads.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/io.h"
#include "base/xalloc.h"
#include "tar/gzout.h"

#define DICT 32768	/* deflate's window: what a block may refer back to */

enum { EMPTY, QUEUED, BUSY, DONE };

/* One block on its way through the ring: filled, queued, compressed, written. */
struct slot {
	unsigned char *in;
	size_t inlen;
	unsigned char *dict;
	size_t dictlen;
	unsigned char *out;
	size_t outlen, outcap;
	unsigned long crc;
	int last, state, err;
};

struct cp_gzout {
	int fd, level, err;
	struct slot *slots;
	size_t nslots;
	size_t fill;		/* the slot being filled */
	size_t head;		/* the oldest slot not yet written */
	size_t qhead, nqueued;	/* the workers' queue, in ring order */
	unsigned long crc;
	uint64_t total;
	int header_done;
	z_stream zs;		/* the calling thread's stream, when there are no workers */
	int zs_ok;
	pthread_t *threads;
	int nthreads, stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
};

static int
deflate_init(z_stream *zs, int level)
{
	memset(zs, 0, sizeof(*zs));
	return deflateInit2(zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

/* Deflate one block on its own, primed with its dictionary; the last block ends the stream. */
static int
compress_slot(z_stream *zs, struct slot *s)
{
	int rc;

	if (deflateReset(zs) != Z_OK)
		return -1;
	if (s->dictlen > 0 && deflateSetDictionary(zs, s->dict, (uInt)s->dictlen) != Z_OK)
		return -1;
	zs->next_in = s->in;
	zs->avail_in = (uInt)s->inlen;
	s->outlen = 0;
	for (;;) {
		if (s->outcap - s->outlen < 1024) {
			s->outcap *= 2;
			s->out = xrealloc(s->out, s->outcap);
		}
		zs->next_out = s->out + s->outlen;
		zs->avail_out = (uInt)(s->outcap - s->outlen);
		rc = deflate(zs, s->last ? Z_FINISH : Z_SYNC_FLUSH);
		s->outlen = s->outcap - zs->avail_out;
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -1;
		/* A sync flush is complete once deflate leaves output space unused. */
		if (!s->last && zs->avail_in == 0 && zs->avail_out > 0)
			break;
	}
	s->crc = crc32(0L, s->in, (uInt)s->inlen);
	return 0;
}

static void *
worker(void *arg)
{
	struct cp_gzout *z = arg;
	struct slot *s;
	z_stream zs;
	int ok = deflate_init(&zs, z->level) == 0;

	pthread_mutex_lock(&z->mu);
	for (;;) {
		while (!z->stop && z->nqueued == 0)
			pthread_cond_wait(&z->work, &z->mu);
		if (z->nqueued == 0)
			break;
		s = &z->slots[z->qhead];
		z->qhead = (z->qhead + 1) % z->nslots;
		z->nqueued--;
		s->state = BUSY;
		pthread_mutex_unlock(&z->mu);
		s->err = !ok || compress_slot(&zs, s) == -1;
		pthread_mutex_lock(&z->mu);
		s->state = DONE;
		pthread_cond_broadcast(&z->done);
	}
	pthread_mutex_unlock(&z->mu);
	if (ok)
		deflateEnd(&zs);
	return NULL;
}

static int
write_header(struct cp_gzout *z)
{
	/* RFC 1952: no flags, mtime 0, XFL as zlib sets it for the level, OS 3 (Unix). */
	unsigned char h[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };

	h[8] = z->level == 9 ? 2 : z->level < 2 ? 4 : 0;
	z->header_done = 1;
	return cp_io_write_all(z->fd, h, sizeof(h));
}

/* Write the oldest block once it is compressed (waiting for it if wait is set). */
static int
flush_head(struct cp_gzout *z, int wait)
{
	struct slot *s = &z->slots[z->head];

	if (s->state == EMPTY || s->state == QUEUED || s->state == BUSY) {
		if (!wait || s->state == EMPTY)
			return 1;
		pthread_mutex_lock(&z->mu);
		while (s->state != DONE)
			pthread_cond_wait(&z->done, &z->mu);
		pthread_mutex_unlock(&z->mu);
	}
	if (s->err) {
		errno = ENOMEM;
		return -1;
	}
	if (!z->header_done && write_header(z) == -1)
		return -1;
	if (cp_io_write_all(z->fd, s->out, s->outlen) == -1)
		return -1;
	z->crc = crc32_combine(z->crc, s->crc, (z_off_t)s->inlen);
	s->state = EMPTY;
	s->inlen = 0;
	z->head = (z->head + 1) % z->nslots;
	return 0;
}

/* Hand the filled slot to a worker (or compress it here), then move to the next slot. */
static int
dispatch(struct cp_gzout *z, int last)
{
	struct slot *s = &z->slots[z->fill], *next;
	size_t keep;
	int rc;

	s->last = last;
	if (z->nthreads == 0) {
		s->err = compress_slot(&z->zs, s) == -1;
		s->state = DONE;
	} else {
		pthread_mutex_lock(&z->mu);
		s->state = QUEUED;
		z->nqueued++;
		pthread_cond_signal(&z->work);
		pthread_mutex_unlock(&z->mu);
	}
	if (last)
		return 0;
	z->fill = (z->fill + 1) % z->nslots;
	next = &z->slots[z->fill];
	while (next->state != EMPTY)
		if ((rc = flush_head(z, 1)) == -1)
			return -1;
	/* The previous block's input stays intact until its slot is reused, after this one. */
	keep = s->inlen < DICT ? s->inlen : DICT;
	memcpy(next->dict, s->in + s->inlen - keep, keep);
	next->dictlen = keep;
	while ((rc = flush_head(z, 0)) == 0)
		;
	return rc == -1 ? -1 : 0;
}

struct cp_gzout *
cp_gzout_new(int fd, int level, int jobs)
{
	struct cp_gzout *z = xcalloc(1, sizeof(*z));
	size_t i;

	z->fd = fd;
	z->level = level;
	z->crc = crc32(0L, Z_NULL, 0);
	if (deflate_init(&z->zs, level) == -1) {
		free(z);
		errno = ENOMEM;
		return NULL;
	}
	z->zs_ok = 1;
	z->nslots = jobs > 1 ? (size_t)jobs * 2 + 2 : 2;
	z->slots = xcalloc(z->nslots, sizeof(*z->slots));
	for (i = 0; i < z->nslots; i++) {
		z->slots[i].in = xmalloc(CP_GZOUT_BLOCK);
		z->slots[i].dict = xmalloc(DICT);
		z->slots[i].outcap = deflateBound(&z->zs, CP_GZOUT_BLOCK) + 1024;
		z->slots[i].out = xmalloc(z->slots[i].outcap);
	}
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->work, NULL);
	pthread_cond_init(&z->done, NULL);
	if (jobs > 1) {
		z->threads = xcalloc((size_t)jobs, sizeof(*z->threads));
		for (; z->nthreads < jobs; z->nthreads++)
			if (pthread_create(&z->threads[z->nthreads], NULL, worker, z) != 0)
				break;
	}
	return z;
}

int
cp_gzout_write(struct cp_gzout *z, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	struct slot *s;
	size_t take;

	if (z->err) {
		errno = z->err;
		return -1;
	}
	while (n > 0) {
		s = &z->slots[z->fill];
		take = CP_GZOUT_BLOCK - s->inlen;
		if (take > n)
			take = n;
		memcpy(s->in + s->inlen, p, take);
		s->inlen += take;
		p += take;
		n -= take;
		z->total += take;
		if (s->inlen == CP_GZOUT_BLOCK && dispatch(z, 0) == -1) {
			z->err = errno ? errno : EIO;
			return -1;
		}
	}
	return 0;
}

int
cp_gzout_finish(struct cp_gzout *z)
{
	unsigned char t[8];
	uint32_t isize = (uint32_t)z->total;
	int i, rc;

	if (z->err) {
		errno = z->err;
		return -1;
	}
	if (dispatch(z, 1) == -1)
		goto fail;
	while ((rc = flush_head(z, 1)) == 0)
		;
	if (rc == -1)
		goto fail;
	for (i = 0; i < 4; i++) {
		t[i] = (unsigned char)(z->crc >> (8 * i));
		t[4 + i] = (unsigned char)(isize >> (8 * i));
	}
	if (cp_io_write_all(z->fd, t, sizeof(t)) == -1)
		goto fail;
	return 0;
fail:
	z->err = errno ? errno : EIO;
	return -1;
}

void
cp_gzout_free(struct cp_gzout *z)
{
	size_t i;
	int t;

	if (z == NULL)
		return;
	pthread_mutex_lock(&z->mu);
	z->stop = 1;
	pthread_cond_broadcast(&z->work);
	pthread_mutex_unlock(&z->mu);
	for (t = 0; t < z->nthreads; t++)
		pthread_join(z->threads[t], NULL);
	free(z->threads);
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->work);
	pthread_cond_destroy(&z->done);
	if (z->zs_ok)
		deflateEnd(&z->zs);
	for (i = 0; i < z->nslots; i++) {
		free(z->slots[i].in);
		free(z->slots[i].dict);
		free(z->slots[i].out);
	}
	free(z->slots);
	free(z);
}
