/* istate: the integrity state file, its inputs' lstat, and the check that nothing changed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fsatomic.h"
#include "io.h"
#include "istate.h"
#include "sha256.h"
#include "xalloc.h"

#define MAGIC "cp-integrity-state 1\n"
#define MAX_FILE ((off_t)1 << 30)

static int64_t
ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void
key_of(struct cp_fp *f, const struct stat *st)
{
	if (st == NULL) {
		f->kind = 0;
		f->dev = f->ino = f->size = 0;
		f->mtime = f->ctime = 0;
		return;
	}
	f->kind = S_ISREG(st->st_mode) ? 'f' : S_ISDIR(st->st_mode) ? 'd' : 'o';
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->mtime = ns(&st->st_mtim);
	f->ctime = ns(&st->st_ctim);
}

void
cp_fplist_add(struct cp_fplist *l, const char *path, const struct stat *st, int role)
{
	struct cp_fp *f;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	f = &l->v[l->n++];
	f->path = xstrdup(path);
	f->role = (unsigned char)role;
	key_of(f, st);
}

void
cp_fplist_take(struct cp_fplist *to, struct cp_fplist *from)
{
	for (size_t i = 0; i < from->n; i++) {
		if (to->n == to->cap) {
			to->cap = to->cap ? 2 * to->cap : 256;
			to->v = xreallocarray(to->v, to->cap, sizeof(*to->v));
		}
		to->v[to->n++] = from->v[i];
	}
	free(from->v);
	memset(from, 0, sizeof(*from));
}

void
cp_fplist_free(struct cp_fplist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->blob == NULL || l->v[i].path < l->blob || l->v[i].path >= l->blob + l->bloblen)
			free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* --- writing -------------------------------------------------------------- */

/*
 * The state goes out through a small buffer, hashed as it goes: a buffer of
 * the whole file would cost a page fault per 4 KiB before a byte is written.
 */
struct out {
	struct cp_sha256 sum;
	int fd, err;
	size_t len;
	unsigned char buf[1 << 16];
};

static void
flush_out(struct out *o)
{
	if (o->len == 0 || o->err)
		return;
	cp_sha256_update(&o->sum, o->buf, o->len);
	if (cp_io_write_all(o->fd, o->buf, o->len) == -1)
		o->err = errno;
	o->len = 0;
}

static void
put(struct out *o, const void *p, size_t n)
{
	const unsigned char *q = p;
	size_t k;

	while (n > 0) {
		if (o->len == sizeof(o->buf))
			flush_out(o);
		k = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
		memcpy(o->buf + o->len, q, k);
		o->len += k;
		q += k;
		n -= k;
	}
}

static void
put_u64(struct out *o, uint64_t v)
{
	put(o, &v, sizeof(v));
}

/* A string: its length, its bytes and a NUL. */
static void
put_str(struct out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u64(o, n);
	put(o, s ? s : "", n + 1);
}

int
cp_istate_save(const char *path, const struct stat *plane, const char *opts,
    const struct cp_integrity *r, const struct cp_fplist *fps)
{
	unsigned char sum[CP_SHA256_LEN];
	struct cp_atomic a;
	struct out *b;
	size_t i;
	int e;

	if (cp_atomic_open(&a, path, 0644) == -1)
		return -1;
	a.nosync = 1;
	fflush(a.fp);
	b = xcalloc(1, sizeof(*b));	/* the digest context starts empty */
	b->fd = fileno(a.fp);
	b->err = 0;
	b->len = 0;
	if (cp_sha256_init(&b->sum) == -1)
		b->err = ENOMEM;
	put(b, MAGIC, strlen(MAGIC));
	put_u64(b, (uint64_t)plane->st_dev);
	put_u64(b, (uint64_t)plane->st_ino);
	put_str(b, opts);
	put_u64(b, fps->n);
	for (i = 0; i < fps->n; i++) {
		const struct cp_fp *f = &fps->v[i];

		put_str(b, f->path);
		put_u64(b, f->dev);
		put_u64(b, f->ino);
		put_u64(b, f->size);
		put_u64(b, (uint64_t)f->mtime);
		put_u64(b, (uint64_t)f->ctime);
		put_u64(b, (uint64_t)f->kind | (uint64_t)f->role << 8);
	}
	put_u64(b, r->nrows);
	for (i = 0; i < r->nrows; i++) {
		const struct cp_integrity_row *row = &r->rows[i];

		put_str(b, row->id);
		put_str(b, row->path);
		put_str(b, row->expected);
		put_str(b, row->actual);
		put_u64(b, (uint64_t)row->status);
		put_u64(b, (uint64_t)row->type);
	}
	put_u64(b, r->nfiles);
	for (i = 0; i < r->nfiles; i++) {
		put_str(b, r->files[i].path);
		put_u64(b, r->files[i].size);
		put(b, r->files[i].digest, CP_SHA256_LEN);
	}
	put_u64(b, r->norphans);
	for (i = 0; i < r->norphans; i++)
		put_str(b, r->orphans[i]);
	put_u64(b, r->nchain);
	for (i = 0; i < r->nchain; i++)
		put_str(b, r->chain[i]);
	put_u64(b, (uint64_t)r->manifest);
	put_str(b, r->scheme);
	put_str(b, r->manifest_root);
	put_u64(b, r->manifest_root != NULL);
	put_str(b, r->manifest_error);
	put_u64(b, r->manifest_error != NULL);
	put_str(b, r->root);
	flush_out(b);
	if (!b->err && cp_sha256_final(&b->sum, sum) == -1)
		b->err = ENOMEM;
	if (!b->err && cp_io_write_all(b->fd, sum, sizeof(sum)) == -1)
		b->err = errno;
	cp_sha256_free(&b->sum);
	e = b->err;
	free(b);
	if (e != 0) {
		cp_atomic_abort(&a);
		errno = e;
		return -1;
	}
	return cp_atomic_commit(&a);
}

/* --- reading -------------------------------------------------------------- */

static uint64_t
get_u64(struct cp_istate_cur *c)
{
	uint64_t v = 0;

	if (c->bad || (size_t)(c->end - c->p) < sizeof(v)) {
		c->bad = 1;
		return 0;
	}
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	return v;
}

/* A string in place (NUL-terminated in the buffer), or NULL when the state is bad. */
static char *
get_str(struct cp_istate_cur *c)
{
	uint64_t n = get_u64(c);
	char *s = c->p;

	if (c->bad || n >= (uint64_t)(c->end - c->p) || s[n] != '\0' || memchr(s, '\0', n)) {
		c->bad = 1;
		return NULL;
	}
	c->p += n + 1;
	return s;
}

static void
get_bytes(struct cp_istate_cur *c, void *out, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
}

/* A count of items of at least min bytes each, which the rest of the buffer can hold. */
static size_t
get_count(struct cp_istate_cur *c, size_t min)
{
	uint64_t n = get_u64(c);

	if (c->bad || n > (uint64_t)(c->end - c->p) / min) {
		c->bad = 1;
		return 0;
	}
	return (size_t)n;
}

/* Copy s (at most max bytes, with its NUL) into out; bad when it does not fit or is missing. */
static void
get_fixed(struct cp_istate_cur *c, char *out, size_t max)
{
	const char *s = get_str(c);

	if (s == NULL || strlen(s) > max) {
		c->bad = 1;
		*out = '\0';
		return;
	}
	strcpy(out, s);
}

/* The inputs, first in the file so that checking them can start at once. */
static void
parse_fps(struct cp_istate_cur *c, struct cp_fplist *fps)
{
	size_t i, n;

	n = get_count(c, 9 + 6 * 8);
	fps->v = xcalloc(n ? n : 1, sizeof(*fps->v));
	fps->cap = n ? n : 1;
	for (i = 0; i < n && !c->bad; i++) {
		struct cp_fp *f = &fps->v[fps->n++];
		uint64_t kr;

		f->path = get_str(c);
		f->dev = get_u64(c);
		f->ino = get_u64(c);
		f->size = get_u64(c);
		f->mtime = (int64_t)get_u64(c);
		f->ctime = (int64_t)get_u64(c);
		kr = get_u64(c);
		f->kind = (unsigned char)(kr & 0xff);
		f->role = (unsigned char)(kr >> 8 & 0xff);
	}
}

/* Everything after the inputs: the report. */
static void
parse_report(struct cp_istate_cur *c, struct cp_integrity *r)
{
	size_t i, n;
	char *s;

	n = get_count(c, 4 * 9 + 16);
	r->rows = xcalloc(n ? n : 1, sizeof(*r->rows));
	for (i = 0; i < n && !c->bad; i++) {
		struct cp_integrity_row *row = &r->rows[r->nrows++];

		row->id = get_str(c);
		row->path = get_str(c);
		row->expected = get_str(c);
		get_fixed(c, row->actual, CP_SHA256_HEXLEN);
		row->status = (int)get_u64(c);
		row->type = (int)get_u64(c);
	}
	n = get_count(c, 9 + 8 + CP_SHA256_LEN);
	r->files = xcalloc(n ? n : 1, sizeof(*r->files));
	for (i = 0; i < n && !c->bad; i++) {
		struct cp_integrity_file *f = &r->files[r->nfiles++];

		f->path = get_str(c);
		f->size = get_u64(c);
		get_bytes(c, f->digest, CP_SHA256_LEN);
	}
	n = get_count(c, 9);
	r->orphans = xcalloc(n ? n : 1, sizeof(*r->orphans));
	for (i = 0; i < n && !c->bad; i++)
		r->orphans[r->norphans++] = get_str(c);
	n = get_count(c, 9);
	r->chain = xcalloc(n ? n : 1, sizeof(*r->chain));
	for (i = 0; i < n && !c->bad; i++)
		r->chain[r->nchain++] = get_str(c);
	r->manifest = (int)get_u64(c);
	get_fixed(c, r->scheme, sizeof(r->scheme) - 1);
	s = get_str(c);
	r->manifest_root = get_u64(c) ? s : NULL;
	s = get_str(c);
	r->manifest_error = get_u64(c) ? s : NULL;
	get_fixed(c, r->root, CP_SHA256_HEXLEN);
	if (c->p != c->end)
		c->bad = 1;
}

int
cp_istate_map(const char *path, const struct stat *plane, const char *opts,
    struct cp_istate *m, struct cp_fplist *fps)
{
	struct stat st;
	char *s;
	int fd;

	memset(m, 0, sizeof(*m));
	memset(fps, 0, sizeof(*fps));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE ||
	    (size_t)st.st_size < strlen(MAGIC) + CP_SHA256_LEN) {
		close(fd);
		return 0;
	}
	/* Mapped with its pages at once: a fault per page costs more than the parsing. */
	m->len = (size_t)st.st_size;
	m->buf = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (m->buf == MAP_FAILED) {
		m->buf = NULL;
		return 0;
	}
	st.st_mtim.tv_nsec = 0;
	m->written = ns(&st.st_mtim);
	fps->blob = m->buf;
	fps->bloblen = m->len;
	m->c.p = m->buf + strlen(MAGIC);
	m->c.end = m->buf + m->len - CP_SHA256_LEN;
	if (memcmp(m->buf, MAGIC, strlen(MAGIC)) != 0 ||
	    get_u64(&m->c) != (uint64_t)plane->st_dev || get_u64(&m->c) != (uint64_t)plane->st_ino ||
	    (s = get_str(&m->c)) == NULL || strcmp(s, opts) != 0)
		goto bad;
	parse_fps(&m->c, fps);
	if (!m->c.bad)
		return 1;
bad:
	cp_fplist_free(fps);
	cp_istate_unmap(m);
	return 0;
}

int
cp_istate_finish(struct cp_istate *m, struct cp_integrity *r)
{
	unsigned char sum[CP_SHA256_LEN];

	memset(r, 0, sizeof(*r));
	cp_sha256(m->buf, m->len - CP_SHA256_LEN, sum);
	if (memcmp(sum, m->buf + m->len - CP_SHA256_LEN, CP_SHA256_LEN) != 0)
		return 0;
	r->blob = m->buf;
	r->bloblen = m->len;
	parse_report(&m->c, r);
	if (m->c.bad) {
		r->blob = NULL;	/* still the mapping's: cp_istate_unmap */
		cp_integrity_free(r);
		return 0;
	}
	m->buf = NULL;		/* r's now */
	return 1;
}

void
cp_istate_unmap(struct cp_istate *m)
{
	if (m->buf != NULL)
		munmap(m->buf, m->len);
	m->buf = NULL;
}

/* --- checking ------------------------------------------------------------- */

struct slice {
	int rootfd;
	struct cp_fplist *fps;
	size_t from, to;
	int64_t written;
	unsigned char *verdict;	/* per entry: 0 same, 'F' rehash, 'X' whole run */
};

static void *
check_slice(void *arg)
{
	struct slice *s = arg;
	struct cp_fp now;
	struct stat st;

	for (size_t i = s->from; i < s->to; i++) {
		struct cp_fp *f = &s->fps->v[i];
		int same;

		key_of(&now, fstatat(s->rootfd, f->path, &st,
		    f->role == 'L' ? 0 : AT_SYMLINK_NOFOLLOW) == 0 ? &st : NULL);
		same = now.kind == f->kind && now.dev == f->dev && now.ino == f->ino &&
		    now.size == f->size && now.mtime == f->mtime && now.ctime == f->ctime;
		if (same && (f->kind == 0 || (f->mtime < s->written && f->ctime < s->written)))
			continue;
		if (f->role == 'F' && now.kind == 'f') {
			s->verdict[i] = 'F';
			f->dev = now.dev, f->ino = now.ino, f->size = now.size;
			f->mtime = now.mtime, f->ctime = now.ctime;
		} else
			s->verdict[i] = 'X';
	}
	return NULL;
}

int
cp_istate_check(int rootfd, struct cp_fplist *fps, int64_t written, int jobs,
    size_t **changed, size_t *nchanged)
{
	struct slice s[16];
	pthread_t t[16];
	int started[16] = { 0 };
	unsigned char *verdict = xcalloc(fps->n ? fps->n : 1, 1);
	size_t i, n = 0;
	int k, ok = 1;

	if (jobs < 1)
		jobs = 1;
	if (jobs > 16)
		jobs = 16;
	if ((size_t)jobs > fps->n / 256 + 1)
		jobs = (int)(fps->n / 256 + 1);	/* threads only pay for themselves on many paths */
	for (k = 0; k < jobs; k++) {
		s[k].rootfd = rootfd;
		s[k].fps = fps;
		s[k].from = fps->n * (size_t)k / (size_t)jobs;
		s[k].to = fps->n * (size_t)(k + 1) / (size_t)jobs;
		s[k].written = written;
		s[k].verdict = verdict;
		if (k > 0)
			started[k] = pthread_create(&t[k], NULL, check_slice, &s[k]) == 0;
		if (!started[k] && k > 0)
			check_slice(&s[k]);
	}
	check_slice(&s[0]);
	for (k = 1; k < jobs; k++)
		if (started[k])
			pthread_join(t[k], NULL);
	*changed = NULL;
	for (i = 0; i < fps->n; i++) {
		if (verdict[i] == 'X')
			ok = 0;
		else if (verdict[i] == 'F') {
			if (n % 64 == 0)
				*changed = xreallocarray(*changed, n + 64, sizeof(**changed));
			(*changed)[n++] = i;
		}
	}
	free(verdict);
	*nchanged = n;
	if (!ok) {
		free(*changed);
		*changed = NULL;
		*nchanged = 0;
	}
	return ok;
}
