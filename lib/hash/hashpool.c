/* hashpool: a window of files hashed by worker threads, consumed in input order.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "hash/hashpool.h"

#define READ_BUF (64 * 1024)
#define WINDOW 1024		/* jobs in flight; bounds memory, keeps all cores busy */

struct worker {
	struct cp_sha256 ctx;
	unsigned char *buf;
};

/*
 * The ring: the consumer (the calling thread) queues jobs at tail and takes
 * them, finished, at head; workers claim them at assign, a batch at a time
 * so that small files do not cost a lock round trip each.  finished[] and
 * waiting are atomics: the consumer sleeps only when the job it needs is not
 * done, and a worker wakes it only then (the Dekker pattern on waiting and
 * finished, both sequentially consistent, means no wake-up is lost).
 */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work;	/* jobs were queued, or the end was reached */
	pthread_cond_t done;	/* the job the consumer waits on was finished */
	struct cp_hashjob ring[WINDOW];
	atomic_int finished[WINDOW];
	atomic_int waiting;
	uint64_t tail, assign;	/* under mu */
	int eof, idle;		/* under mu */
	int nhashers;		/* worker threads and the consumer */
	const struct cp_hashpool_opts *o;
};

static void
hash_one(struct worker *w, const struct cp_hashpool_opts *o, struct cp_hashjob *j)
{
	int fd, stdin_job = strcmp(j->path, "-") == 0;

	if (stdin_job)
		fd = STDIN_FILENO;
	else if (o->nofollow) {
		/* Only a regular file is read: never a FIFO that blocks, never through a link. */
		if (lstat(j->path, &j->st) == -1) {
			j->err = errno;
			return;
		}
		if (!S_ISREG(j->st.st_mode)) {
			j->err = S_ISDIR(j->st.st_mode) ? EISDIR : EINVAL;
			return;
		}
		if (o->cache != NULL && !o->full && cp_hashcache_lookup(o->cache, &j->st, j->digest)) {
			j->cached = 1;
			j->size = (uint64_t)j->st.st_size;
			return;
		}
		/* O_NONBLOCK: a FIFO swapped in since the lstat must not block the open. */
		fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0) {
			j->err = errno;
			return;
		}
	} else {
		if (o->cache != NULL && !o->full && stat(j->path, &j->st) == 0 &&
		    S_ISREG(j->st.st_mode) &&
		    cp_hashcache_lookup(o->cache, &j->st, j->digest)) {
			j->cached = 1;
			j->size = (uint64_t)j->st.st_size;
			return;
		}
		fd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			j->err = errno;
			return;
		}
	}
	if (fstat(fd, &j->st) == -1)
		j->err = errno;
	else if (S_ISDIR(j->st.st_mode))
		j->err = EISDIR;
	else if (o->nofollow && !S_ISREG(j->st.st_mode))
		j->err = EINVAL;
	else {
		/* Read-ahead advice pays off only beyond a few read calls. */
		if (S_ISREG(j->st.st_mode) && j->st.st_size > 4 * READ_BUF)
			posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		if (cp_sha256_fd_progress(&w->ctx, fd, w->buf, READ_BUF, j->digest, &j->size,
		    o->progress, o->progress_arg) == -1)
			j->err = errno;
	}
	if (!stdin_job)
		close(fd);
}

/* Only a regular file read whole, unchanged in size while it was read, goes into the cache. */
static void
remember(const struct cp_hashpool_opts *o, const struct cp_hashjob *j)
{
	if (o->cache != NULL && j->err == 0 && !j->cached &&
	    strcmp(j->path, "-") != 0 && S_ISREG(j->st.st_mode) &&
	    (uint64_t)j->st.st_size == j->size)
		cp_hashcache_store(o->cache, &j->st, j->digest);
}

static void
job_init(struct cp_hashjob *j, char *path, void *user)
{
	memset(j, 0, sizeof(*j));
	j->path = path;
	j->user = user;
}

static int
run_inline(const struct cp_hashpool_opts *o, cp_hashpool_next_fn next,
    cp_hashpool_done_fn done, void *arg)
{
	struct worker w = { { 0 }, xmalloc(READ_BUF) };
	struct cp_hashjob j;
	char *path;
	void *user;

	while (next(arg, &path, &user) == 1) {
		job_init(&j, path, user);
		hash_one(&w, o, &j);
		remember(o, &j);
		done(arg, &j);
		free(j.path);
	}
	cp_sha256_free(&w.ctx);
	free(w.buf);
	return 0;
}

/* Claim up to max queued jobs (called with mu held); returns how many, from *first. */
static uint64_t
claim(struct pool *p, uint64_t max, uint64_t *first)
{
	uint64_t n = p->tail - p->assign, batch;

	/* A share of what is queued, so that every hasher gets some. */
	batch = n / (2 * (uint64_t)p->nhashers);
	batch = batch < 1 ? 1 : batch > max ? max : batch;
	if (batch > n)
		batch = n;
	*first = p->assign;
	p->assign += batch;
	return batch;
}

static void
hash_batch(struct pool *p, struct worker *w, uint64_t first, uint64_t batch)
{
	uint64_t k;

	for (k = first; k < first + batch; k++) {
		hash_one(w, p->o, &p->ring[k % WINDOW]);
		atomic_store(&p->finished[k % WINDOW], 1);
		if (atomic_load(&p->waiting)) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

static void *
worker_main(void *v)
{
	struct pool *p = v;
	struct worker w = { { 0 }, xmalloc(READ_BUF) };
	uint64_t first, batch;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->assign == p->tail && !p->eof) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->mu);
			p->idle--;
		}
		if (p->assign == p->tail)
			break;
		batch = claim(p, 32, &first);
		pthread_mutex_unlock(&p->mu);
		hash_batch(p, &w, first, batch);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	cp_sha256_free(&w.ctx);
	free(w.buf);
	return NULL;
}

int
cp_hashpool_run(const struct cp_hashpool_opts *o, cp_hashpool_next_fn next,
    cp_hashpool_done_fn done, void *arg)
{
	struct pool *p;
	struct worker self = { { 0 }, NULL };
	pthread_t *tid;
	uint64_t head = 0, tail = 0, first, batch;
	char *path;
	void *user;
	size_t i;
	int n, started = 0, eof = 0;

	if (o->jobs <= 1)
		return run_inline(o, next, done, arg);
	p = xcalloc(1, sizeof(*p));
	p->o = o;
	p->nhashers = o->jobs;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	/* jobs - 1 threads: the consumer hashes too while it waits, so N jobs use N cores, not N + 1. */
	tid = xreallocarray(NULL, (size_t)o->jobs, sizeof(*tid));
	for (n = 0; n < o->jobs - 1; n++) {
		if (pthread_create(&tid[n], NULL, worker_main, p) != 0)
			break;	/* fewer threads still do all the work */
		started++;
	}
	p->nhashers = started + 1;
	self.buf = xmalloc(READ_BUF);

	for (;;) {
		/* Refill in bulk once half the window is free: slots past the
		 * published tail are ours alone, so no lock until publishing. */
		if (!eof && tail - head <= WINDOW / 2) {
			while (tail - head < WINDOW) {
				if (next(arg, &path, &user) != 1) {
					eof = 1;
					break;
				}
				i = tail % WINDOW;
				job_init(&p->ring[i], path, user);
				atomic_store(&p->finished[i], 0);
				tail++;
			}
			pthread_mutex_lock(&p->mu);
			p->tail = tail;
			p->eof = eof;
			if (p->idle)
				pthread_cond_broadcast(&p->work);
			pthread_mutex_unlock(&p->mu);
		}
		if (head == tail)
			break;
		i = head % WINDOW;
		if (!atomic_load(&p->finished[i])) {
			pthread_mutex_lock(&p->mu);
			if (p->assign < p->tail) {
				/* Rather than sleep, hash a little: a small batch keeps output flowing. */
				batch = claim(p, 4, &first);
				pthread_mutex_unlock(&p->mu);
				hash_batch(p, &self, first, batch);
				continue;
			}
			atomic_store(&p->waiting, 1);
			while (!atomic_load(&p->finished[i]))
				pthread_cond_wait(&p->done, &p->mu);
			atomic_store(&p->waiting, 0);
			pthread_mutex_unlock(&p->mu);
		}
		remember(o, &p->ring[i]);
		done(arg, &p->ring[i]);
		free(p->ring[i].path);
		head++;
	}
	pthread_mutex_lock(&p->mu);
	p->eof = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (n = 0; n < started; n++)
		pthread_join(tid[n], NULL);
	free(tid);
	cp_sha256_free(&self.ctx);
	free(self.buf);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
	return 0;
}
