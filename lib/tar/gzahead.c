/* gzahead: inflate on one core while the reader scans, hashes and writes on the other (issue 22).
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "tar/gzahead.h"

/* How long the reader sleeps between looks at cancel while it waits for a slot. */
#define CANCEL_POLL_NS (50 * 1000 * 1000)
/* The compressed bytes not yet hashed: HBLOCKS copies of what the thread read, HBLOCK bytes each. */
#define HBLOCKS 64
#define HBLOCK (64 * 1024)

struct slot {
	unsigned char *buf;
	ssize_t n;		/* what cp_gzin_read returned */
	uint64_t bytes_in;	/* compressed bytes read by then */
};

/* Compressed bytes read, to be hashed in order by whichever thread has time. */
struct hblock {
	unsigned char *buf;
	size_t n;
};

struct cp_gzahead {
	struct cp_gzin *g;
	size_t chunk;
	unsigned nslot;
	struct slot *ring;
	volatile sig_atomic_t *cancel;
	pthread_t thread;
	int stop[2];		/* a pipe: a byte written stops the thread's read (cp_gzin_stopfd) */
	pthread_mutex_t mu;
	pthread_cond_t filled;	/* the thread filled a slot */
	pthread_cond_t freed;	/* the reader gave one back, or asks the thread to stop */
	uint64_t tail;		/* under mu: slots filled */
	uint64_t head;		/* under mu: slots given back */
	int stopping;		/* under mu */
	/*
	 * The archive's digest.  Inflating is the longer half of the work, so
	 * the thread copies what it reads into hq; the reader hashes it while
	 * it waits for a piece, the thread itself only when it is a whole ring
	 * ahead or hq is full.  hash_mu is held while a block is hashed, so
	 * blocks go in in order.  Free hashes what is left.
	 */
	struct cp_sha256 *hash;
	struct hblock hq[HBLOCKS];
	uint64_t hq_tail;	/* under mu: blocks queued */
	uint64_t hq_head;	/* under mu: blocks hashed */
	int hash_failed;	/* under mu */
	pthread_mutex_t hash_mu;
	/* The reader's own: */
	int holding;		/* it holds ring[head % nslot] */
	int ended;		/* it took the last slot (n <= 0) */
	ssize_t last;		/* that slot's n */
	uint64_t bytes_in;	/* the compressed bytes read up to the last piece taken */
	struct cp_err err;	/* "interrupted", else gzin's error once ended */
};

/*
 * Hash queued blocks in order, up to max of them (0: until none is left).
 * With wait, take hash_mu even if the other thread holds it; without, give
 * way to it.  Returns how many blocks were hashed.
 */
static unsigned
hash_some(struct cp_gzahead *a, unsigned max, int wait)
{
	struct hblock *b;
	unsigned k = 0;
	int failed = 0;

	if (wait)
		pthread_mutex_lock(&a->hash_mu);
	else if (pthread_mutex_trylock(&a->hash_mu) != 0)
		return 0;
	for (; max == 0 || k < max; k++) {
		pthread_mutex_lock(&a->mu);
		if (a->hq_head == a->hq_tail) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		/* hq_head's block stays put until hq_head moves: the thread writes only at hq_tail. */
		b = &a->hq[a->hq_head % HBLOCKS];
		pthread_mutex_unlock(&a->mu);
		failed = cp_sha256_update(a->hash, b->buf, b->n) == -1;
		pthread_mutex_lock(&a->mu);
		a->hq_head++;
		a->hash_failed |= failed;
		pthread_mutex_unlock(&a->mu);
	}
	pthread_mutex_unlock(&a->hash_mu);
	return k;
}

/* A thread with nothing else to do, mu held: hash a block if there is one and the other is not at it.  Returns 1 if it did. */
static int
idle_hash(struct cp_gzahead *a)
{
	unsigned k;

	if (a->hq_head == a->hq_tail)
		return 0;
	pthread_mutex_unlock(&a->mu);
	k = hash_some(a, 1, 0);
	pthread_mutex_lock(&a->mu);
	return k > 0;
}

/* gzin's tap, on the thread: queue a copy of what was read (hashing the oldest first when hq is full). */
static int
queue_read(void *v, const void *buf, size_t n)
{
	struct cp_gzahead *a = v;
	const unsigned char *p = buf;
	struct hblock *b;
	size_t k;
	int failed;

	while (n > 0) {
		pthread_mutex_lock(&a->mu);
		while (a->hq_tail - a->hq_head == HBLOCKS) {
			pthread_mutex_unlock(&a->mu);
			hash_some(a, 1, 1);
			pthread_mutex_lock(&a->mu);
		}
		b = &a->hq[a->hq_tail % HBLOCKS];
		pthread_mutex_unlock(&a->mu);
		k = n < HBLOCK ? n : HBLOCK;
		memcpy(b->buf, p, k);
		b->n = k;
		p += k;
		n -= k;
		pthread_mutex_lock(&a->mu);
		a->hq_tail++;
		failed = a->hash_failed;
		/* A reader waiting for a piece can hash this meanwhile. */
		pthread_cond_signal(&a->filled);
		pthread_mutex_unlock(&a->mu);
		if (failed)
			return -1;
	}
	return 0;
}

static void *
inflater(void *v)
{
	struct cp_gzahead *a = v;
	struct slot *s;
	ssize_t n;

	do {
		pthread_mutex_lock(&a->mu);
		while (a->tail - a->head == a->nslot && !a->stopping) {
			/* Ahead by a whole ring: the reader is the slower, hash for it. */
			if (!idle_hash(a))
				pthread_cond_wait(&a->freed, &a->mu);
		}
		if (a->stopping) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		s = &a->ring[a->tail % a->nslot];
		pthread_mutex_unlock(&a->mu);

		/* The slot is the thread's until tail moves past it. */
		n = cp_gzin_read(a->g, s->buf, a->chunk);
		s->n = n;
		s->bytes_in = cp_gzin_bytes_in(a->g);

		pthread_mutex_lock(&a->mu);
		a->tail++;
		pthread_cond_signal(&a->filled);
		pthread_mutex_unlock(&a->mu);
	} while (n > 0);
	return NULL;
}

/* Free a's memory: the pieces, the blocks to hash, a itself. */
static void
release(struct cp_gzahead *a)
{
	for (unsigned i = 0; i < a->nslot; i++)
		free(a->ring[i].buf);
	for (unsigned i = 0; i < HBLOCKS; i++)
		free(a->hq[i].buf);
	free(a->ring);
	free(a);
}

struct cp_gzahead *
cp_gzahead_new(struct cp_gzin *g, size_t chunk, unsigned slots, struct cp_sha256 *hash,
    volatile sig_atomic_t *cancel)
{
	struct cp_gzahead *a = xcalloc(1, sizeof(*a));
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	a->g = g;
	a->chunk = chunk;
	a->nslot = slots < 2 ? 2 : slots;
	a->cancel = cancel;
	a->ring = xcalloc(a->nslot, sizeof(*a->ring));
	for (unsigned i = 0; i < a->nslot; i++)
		a->ring[i].buf = xmalloc(chunk);
	a->hash = hash;
	for (unsigned i = 0; hash != NULL && i < HBLOCKS; i++)
		a->hq[i].buf = xmalloc(HBLOCK);
	if (pipe2(a->stop, O_CLOEXEC) == -1) {
		a->stop[0] = a->stop[1] = -1;
		goto fail;
	}
	cp_gzin_stopfd(g, a->stop[0]);
	if (hash != NULL)
		cp_gzin_tap(g, queue_read, a);
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->hash_mu, NULL);
	/* The reader's waits are timed (to look at cancel): on the monotonic clock, immune to date changes. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->filled, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&a->freed, NULL);
	/* Signals stay with the program's own thread, where its handlers expect them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->thread, NULL, inflater, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		return a;
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->hash_mu);
	pthread_cond_destroy(&a->filled);
	pthread_cond_destroy(&a->freed);
	cp_gzin_stopfd(g, -1);
	cp_gzin_tap(g, NULL, NULL);
	errno = rc;
fail:
	rc = errno;
	if (a->stop[0] >= 0) {
		close(a->stop[0]);
		close(a->stop[1]);
	}
	release(a);
	errno = rc;
	return NULL;
}

ssize_t
cp_gzahead_next(struct cp_gzahead *a, const void **buf, uint64_t *bytes_in)
{
	struct timespec t;
	struct slot *s;

	if (bytes_in != NULL)
		*bytes_in = a->bytes_in;
	if (a->err.msg[0] != '\0')
		return -1;
	if (a->ended)
		return a->last;
	pthread_mutex_lock(&a->mu);
	if (a->holding) {
		a->head++;
		a->holding = 0;
		pthread_cond_signal(&a->freed);
	}
	while (a->tail == a->head) {
		/* Nothing to read yet: hash what the thread read meanwhile. */
		if (idle_hash(a))
			continue;
		if (a->cancel != NULL && *a->cancel) {
			pthread_mutex_unlock(&a->mu);
			return cp_err_set(&a->err, 0, "interrupted");
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += CANCEL_POLL_NS;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&a->filled, &a->mu, &t);
	}
	s = &a->ring[a->head % a->nslot];
	a->holding = 1;
	pthread_mutex_unlock(&a->mu);
	a->bytes_in = s->bytes_in;
	if (bytes_in != NULL)
		*bytes_in = s->bytes_in;
	if (s->n <= 0) {
		/* The thread has returned: gzin's error is final, and ours to read. */
		a->ended = 1;
		a->last = s->n;
		if (s->n < 0)
			a->err = *cp_gzin_error(a->g);
		/* The end: the digest covers every byte read once the rest is hashed. */
		else if (a->hash != NULL && (hash_some(a, 0, 1), a->hash_failed)) {
			a->last = -1;
			cp_err_set(&a->err, ENOMEM, "cannot hash the archive");
		}
		return a->last;
	}
	*buf = s->buf;
	return s->n;
}

const struct cp_err *
cp_gzahead_error(const struct cp_gzahead *a)
{
	return &a->err;
}

void
cp_gzahead_free(struct cp_gzahead *a)
{
	ssize_t w;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = 1;
	pthread_cond_signal(&a->freed);
	pthread_mutex_unlock(&a->mu);
	/* A thread blocked reading a pipe wakes on this byte; one that ended never reads it. */
	do
		w = write(a->stop[1], "", 1);
	while (w == -1 && errno == EINTR);
	pthread_join(a->thread, NULL);
	cp_gzin_stopfd(a->g, -1);
	/* Whatever the end, the hash covers every byte read from fd: what follows may hash the rest. */
	if (a->hash != NULL) {
		hash_some(a, 0, 1);
		cp_gzin_tap(a->g, NULL, NULL);
	}
	close(a->stop[0]);
	close(a->stop[1]);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->hash_mu);
	pthread_cond_destroy(&a->filled);
	pthread_cond_destroy(&a->freed);
	release(a);
}
