/* hashpool: a window of files hashed by worker threads, consumed in input order. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashpool.h"
#include "xalloc.h"

#define READ_BUF (256 * 1024)
#define WINDOW 1024		/* jobs in flight; bounds memory, keeps all cores busy */

struct worker {
	struct cp_sha256 ctx;
	unsigned char *buf;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a job was queued, or the end was reached */
	pthread_cond_t done;	/* a job was finished */
	struct cp_hashjob ring[WINDOW];
	int finished[WINDOW];
	uint64_t head, tail, assign;	/* consumed < assigned < queued */
	int eof;
	const struct cp_hashpool_opts *o;
};

static void
hash_one(struct worker *w, const struct cp_hashpool_opts *o, struct cp_hashjob *j)
{
	int fd, stdin_job = strcmp(j->path, "-") == 0;

	if (stdin_job)
		fd = STDIN_FILENO;
	else {
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
	else {
		if (S_ISREG(j->st.st_mode))
			posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		if (cp_sha256_fd(&w->ctx, fd, w->buf, READ_BUF, j->digest, &j->size) == -1)
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

static void *
worker_main(void *v)
{
	struct pool *p = v;
	struct worker w = { { 0 }, xmalloc(READ_BUF) };
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->assign == p->tail && !p->eof)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->assign == p->tail)
			break;
		i = p->assign++ % WINDOW;
		pthread_mutex_unlock(&p->mu);
		hash_one(&w, p->o, &p->ring[i]);
		pthread_mutex_lock(&p->mu);
		p->finished[i] = 1;
		pthread_cond_signal(&p->done);
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
	pthread_t *tid;
	char *path;
	void *user;
	size_t i;
	int n, started = 0, rc = 0, e = 0;

	if (o->jobs <= 1)
		return run_inline(o, next, done, arg);
	p = xcalloc(1, sizeof(*p));
	p->o = o;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	tid = xreallocarray(NULL, (size_t)o->jobs, sizeof(*tid));
	for (n = 0; n < o->jobs; n++) {
		if ((e = pthread_create(&tid[n], NULL, worker_main, p)) != 0)
			break;
		started++;
	}
	if (started == 0) {
		rc = -1;
		goto out;
	}

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->eof && p->tail - p->head < WINDOW) {
			pthread_mutex_unlock(&p->mu);
			n = next(arg, &path, &user);
			pthread_mutex_lock(&p->mu);
			if (n != 1) {
				p->eof = 1;
				pthread_cond_broadcast(&p->work);
				break;
			}
			i = p->tail % WINDOW;
			job_init(&p->ring[i], path, user);
			p->finished[i] = 0;
			p->tail++;
			pthread_cond_signal(&p->work);
		}
		if (p->head == p->tail)
			break;
		i = p->head % WINDOW;
		while (!p->finished[i])
			pthread_cond_wait(&p->done, &p->mu);
		pthread_mutex_unlock(&p->mu);
		remember(o, &p->ring[i]);
		done(arg, &p->ring[i]);
		free(p->ring[i].path);
		pthread_mutex_lock(&p->mu);
		p->head++;
	}
	pthread_mutex_unlock(&p->mu);
out:
	for (n = 0; n < started; n++)
		pthread_join(tid[n], NULL);
	free(tid);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
	if (rc == -1)
		errno = e;
	return rc;
}
