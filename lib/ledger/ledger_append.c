/* ledger_append: appending entries under the lock (with rotation), and repairing a torn tail. */
#define _GNU_SOURCE	/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/io.h"
#include "base/xalloc.h"
#include "hash/sha256.h"
#include "ledger/ledger_int.h"
#include "text/canon.h"

#define FLUSH_AT (1024 * 1024)	/* bytes gathered before a write, in a batch */

/* Every field of an entry, in the order design.md section 5 fixes for the stored line. */
enum {
	F_EVENT_TYPE, F_SUBMISSION_ID, F_DECISION, F_REASON, F_PROMPTS, F_METADATA,
	F_ID, F_TIMESTAMP, F_PREVIOUS, F_ENTRY_HASH, NFIELDS
};
#define NEVENT F_ID	/* the event's own fields come first; the rest are the ledger's to fill */
#define NSTRINGS 4	/* the event's fields that must be strings */

static const struct field {
	const char *name;
	size_t len;
} fields[NFIELDS] = {
	{ "event_type", 10 }, { "submission_id", 13 }, { "decision", 8 }, { "reason", 6 },
	{ "prompts_used", 12 }, { "metadata", 8 }, { "id", 2 }, { "timestamp", 9 },
	{ "previous_hash", 13 }, { "entry_hash", 10 }
};

/* The field a key names, or -1. */
static int
field_of(const char *key, size_t len)
{
	for (int i = 0; i < NFIELDS; i++)
		if (fields[i].len == len && memcmp(fields[i].name, key, len) == 0)
			return i;
	return -1;
}

/* A key for a message: at most 64 bytes, quoted as JSON so that control characters cannot hide. */
static void
quote_key(char *out, size_t outlen, const char *key, size_t len)
{
	struct cp_buf b = CP_BUF_INIT;

	cp_canon_string(&b, key, len > 64 ? 64 : len);
	snprintf(out, outlen, "%s%s", b.data, len > 64 ? "..." : "");
	cp_buf_free(&b);
}

/* Check event as cp_ledger_event_check says, and point f[] at its fields (NULL when absent). */
static int
event_fields(const struct cp_jnode *event, const struct cp_jnode *f[NEVENT], struct cp_err *e)
{
	const struct cp_jnode *m, *v;
	char q[128];
	size_t k;
	int i;

	if (event->type != CP_JOBJECT) {
		cp_err_set(e, 0, "an event is a JSON object");
		return -1;
	}
	for (i = 0; i < NEVENT; i++)
		f[i] = NULL;
	for (k = 0; k < event->len; k++) {
		m = &event->u.c.kid[k];
		if ((i = field_of(m->key, m->klen)) >= NEVENT) {
			cp_err_set(e, 0, "%s is filled by the ledger, not by the event",
			    fields[i].name);
			return -1;
		}
		if (i < 0) {
			quote_key(q, sizeof(q), m->key, m->klen);
			cp_err_set(e, 0, "unknown field %s (put it in metadata)", q);
			return -1;
		}
		f[i] = m;
	}
	for (i = 0; i < NSTRINGS; i++)
		if (f[i] == NULL || f[i]->type != CP_JSTRING) {
			cp_err_set(e, 0, "%s %s", fields[i].name,
			    f[i] == NULL ? "is missing" : "is not a string");
			return -1;
		}
	if (f[F_EVENT_TYPE]->len == 0) {
		cp_err_set(e, 0, "event_type is empty");
		return -1;
	}
	if ((v = f[F_PROMPTS]) != NULL) {
		if (v->type != CP_JARRAY) {
			cp_err_set(e, 0, "prompts_used is not an array");
			return -1;
		}
		for (k = 0; k < v->len; k++)
			if (v->u.c.kid[k].type != CP_JSTRING) {
				cp_err_set(e, 0, "prompts_used[%zu] is not a string", k);
				return -1;
			}
	}
	if ((v = f[F_METADATA]) != NULL && v->type != CP_JOBJECT) {
		cp_err_set(e, 0, "metadata is not an object");
		return -1;
	}
	return 0;
}

int
cp_ledger_event_check(const struct cp_jnode *event, struct cp_err *e)
{
	const struct cp_jnode *f[NEVENT];

	return event_fields(event, f, e);
}

static int
valid_id(const char *id)
{
	return strlen(id) == 12 && strncmp(id, "LED-", 4) == 0 && cp_hex_is_lower(id + 4, 8);
}

/* Python's datetime.isoformat() of an aware UTC time: 2026-01-31T22:00:11.074330+00:00, or no fraction. */
static int
valid_timestamp(const char *t)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(t), i;

	if (n != 25 && n != 32)
		return 0;
	for (i = 0; i < 19; i++)
		if (form[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != form[i])
			return 0;
	if (n == 32) {
		if (t[19] != '.')
			return 0;
		for (i = 20; i < 26; i++)
			if (t[i] < '0' || t[i] > '9')
				return 0;
		/* isoformat leaves the fraction out when it is zero */
		if (strncmp(t + 20, "000000", 6) == 0)
			return 0;
	}
	return strcmp(t + n - 6, "+00:00") == 0;
}

/* The clock's date and time to the second, formatted once a second. */
struct clock {
	time_t sec;
	char base[20];		/* YYYY-MM-DDTHH:MM:SS */
};

static void
now_timestamp(struct clock *c, char out[40])
{
	struct timespec ts;
	struct tm tm;
	long us;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (c->base[0] == '\0' || ts.tv_sec != c->sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(c->base, sizeof(c->base), "%Y-%m-%dT%H:%M:%S", &tm);
		c->sec = ts.tv_sec;
	}
	memcpy(out, c->base, 19);
	us = ts.tv_nsec / 1000 % 1000000;
	if (us == 0) {
		memcpy(out + 19, "+00:00", 7);
		return;
	}
	out[19] = '.';
	for (i = 25; i > 19; i--, us /= 10)
		out[i] = (char)('0' + us % 10);
	memcpy(out + 26, "+00:00", 7);
}

/* Bytes from the OS CSPRNG, fetched a block at a time: one getrandom call per 64 ids. */
struct rnd {
	unsigned char buf[256];
	size_t used;		/* sizeof(buf) when empty */
};

static int
random_id(struct rnd *r, char out[16], struct cp_err *e)
{
	size_t got = 0;
	ssize_t n;

	if (r->used + 4 > sizeof(r->buf)) {
		while (got < sizeof(r->buf)) {
			if ((n = getrandom(r->buf + got, sizeof(r->buf) - got, 0)) < 0) {
				if (errno == EINTR)
					continue;
				cp_err_set(e, errno, "getrandom");
				return -1;
			}
			got += (size_t)n;
		}
		r->used = 0;
	}
	memcpy(out, "LED-", 4);
	cp_hex_encode(r->buf + r->used, 4, out + 4);
	/* Used bytes do not stay behind in memory. */
	explicit_bzero(r->buf + r->used, 4);
	r->used += 4;
	return 0;
}

/* The member of an entry for field i: the event's own node, or what the ledger fills in. */
static void
member(struct cp_jnode *m, int i, const struct cp_jnode *given, const char *s)
{
	if (given != NULL) {
		*m = *given;
		return;
	}
	memset(m, 0, sizeof(*m));
	m->key = fields[i].name;
	m->klen = fields[i].len;
	m->type = i == F_PROMPTS ? CP_JARRAY : i == F_METADATA ? CP_JOBJECT : CP_JSTRING;
	if (s != NULL) {
		m->u.s = s;
		m->len = strlen(s);
	}
}

/* The entry being made: its members, and their key order, found once (the keys never change). */
struct entry {
	struct cp_jnode m[NFIELDS];
	struct cp_jnode obj;
	const struct cp_jnode *sorted[NFIELDS - 1];
	int ready;
};

/*
 * The entry for the event whose fields are f, chained to prev: the fields
 * in the order of design.md section 5, then entry_hash over the sorted
 * canonical form of the rest.  The stored line goes to line; the
 * entry_hash to hex.
 */
static void
make_line(struct entry *e, const struct cp_jnode *f[NEVENT], const char *id, const char *ts,
    const char *prev, struct cp_buf *line, struct cp_buf *scratch, struct cp_sha256 *sha,
    char hex[CP_LEDGER_HEXLEN + 1])
{
	unsigned char h[32];
	int i;

	for (i = 0; i < NEVENT; i++)
		member(&e->m[i], i, f[i], NULL);
	member(&e->m[F_ID], F_ID, NULL, id);
	member(&e->m[F_TIMESTAMP], F_TIMESTAMP, NULL, ts);
	member(&e->m[F_PREVIOUS], F_PREVIOUS, NULL, prev);
	if (!e->ready) {
		cp_jtree_object(&e->obj, e->m, e->sorted, NFIELDS - 1);
		e->ready = 1;
	}
	e->obj.len = NFIELDS - 1;
	cp_buf_reset(scratch);
	cp_canon_dump(scratch, &e->obj, CP_CANON_SORT_KEYS, NULL);
	ledger_digest(sha, scratch->data, scratch->len, h);
	cp_hex_encode(h, sizeof(h), hex);
	/* The stored line, in document order (sorted holds only the first NFIELDS - 1). */
	member(&e->m[F_ENTRY_HASH], F_ENTRY_HASH, NULL, hex);
	e->obj.len = NFIELDS;
	cp_buf_reset(line);
	cp_canon_dump(line, &e->obj, 0, NULL);
}

/*
 * Write a new file in dir named prefix + suffix, or prefix-N + suffix when
 * that exists (N = 2, 3, ...): content written to a temporary file by
 * fill(), fsynced, then linked into place (never over an existing file) and
 * the directory fsynced.  On success *path gets the name (caller frees) and
 * *fdp, if not NULL, the open descriptor (read-write).  Returns 0 or -1.
 */
static int
publish(const char *dir, const char *prefix, const char *suffix, mode_t mode,
    int (*fill)(int fd, void *arg), void *arg, char **path, int *fdp,
    struct cp_err *e)
{
	char *tmp = xpathjoin(dir, ".cp-ledger-XXXXXX"), name[512];
	int fd, k, rc = -1;

	*path = NULL;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		cp_err_set(e, errno, "%s", dir);
		free(tmp);
		return -1;
	}
	if (fchmod(fd, mode) == -1 || fill(fd, arg) == -1 || fsync(fd) == -1) {
		cp_err_set(e, errno, "%s", tmp);
		goto out;
	}
	for (k = 1; k < 10000; k++) {
		if (k == 1)
			snprintf(name, sizeof(name), "%s%s", prefix, suffix);
		else
			snprintf(name, sizeof(name), "%s-%d%s", prefix, k, suffix);
		free(*path);
		*path = xpathjoin(dir, name);
		if (link(tmp, *path) == 0)
			break;
		if (errno != EEXIST) {
			cp_err_set(e, errno, "%s", *path);
			goto out;
		}
	}
	if (k == 10000) {
		cp_err_set(e, 0, "%s: no free name", *path);
		goto out;
	}
	if (cp_io_fsync_parent(*path) == -1) {
		cp_err_set(e, errno, "%s", dir);
		unlink(*path);
		goto out;
	}
	rc = 0;
out:
	unlink(tmp);
	free(tmp);
	if (rc == -1 || fdp == NULL)
		close(fd);
	else
		*fdp = fd;
	if (rc == -1) {
		free(*path);
		*path = NULL;
	}
	return rc;
}

/* A region this append wrote, to print afterwards or to take back on failure. */
struct span {
	int fd;
	char *path;
	off_t from, to;
	int created;
};

struct writer {
	struct lset set;
	const struct cp_ledger_opts *o;
	struct span *spans;	/* the last one is the active segment */
	size_t nspans;
	mode_t mode;		/* of new segments */
	struct cp_buf pending;	/* lines not yet written to the active segment */
	struct cp_buf line, scratch;
	struct cp_sha256 sha;
	struct entry entry;
	struct clock clock;
	struct rnd rnd;
	char prev[CP_LEDGER_HEXLEN + 1];
	int made_base;		/* created the first segment: fsync the directory */
};

static struct span *
add_span(struct writer *w, int fd, char *path, off_t at, int created)
{
	struct span *s;

	w->spans = xreallocarray(w->spans, w->nspans + 1, sizeof(*w->spans));
	s = &w->spans[w->nspans++];
	s->fd = fd;
	s->path = path;
	s->from = s->to = at;
	s->created = created;
	return s;
}

static int
flush_pending(struct writer *w, struct cp_err *e)
{
	struct span *s = &w->spans[w->nspans - 1];

	if (w->pending.len == 0)
		return 0;
	if (cp_io_write_all(s->fd, w->pending.data, w->pending.len) == -1) {
		cp_err_set(e, errno, "%s", s->path);
		return -1;
	}
	s->to += (off_t)w->pending.len;
	cp_buf_reset(&w->pending);
	return 0;
}

/* Open the segment appends go to: the last of the chain, or a new base file; its tail must be sound. */
static int
open_active(struct writer *w, struct cp_err *e)
{
	struct lset *set = &w->set;
	struct lseg *g = NULL;
	struct ltail t;
	struct stat st, st2;
	char *path;
	int fd;

	for (size_t i = 0; i < set->n; i++)
		if (set->seg[i].size > 0 || g == NULL)
			g = &set->seg[i];
	w->mode = 0666;
	if (g == NULL) {
		path = set->file ? xstrdup(set->file) : xpathjoin(set->dir, CP_LEDGER_BASE);
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0) {
			cp_err_set(e, errno, "%s", path);
			free(path);
			return -1;
		}
		if (fstat(fd, &st) == 0)
			w->mode = st.st_mode & 07777;
		w->made_base = 1;
		add_span(w, fd, path, 0, 1);
		return 0;
	}
	if (ledger_tail(g->fd, g->size, &t, e) == -1)
		return cp_err_prefix(e, "%s", g->path);
	if (t.torn || t.last_hash == NULL) {
		cp_err_set(e, 0, "%s: torn last line at byte %lld (an append cut short?): "
		    "see cp-ledger repair", g->path, (long long)t.good_end);
		free(t.last_hash);
		return -1;
	}
	snprintf(w->prev, sizeof(w->prev), "%s", t.last_hash);
	free(t.last_hash);
	fd = open(g->path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) == -1 || fstat(g->fd, &st2) == -1 ||
	    st.st_ino != st2.st_ino || st.st_dev != st2.st_dev) {
		if (fd < 0)
			cp_err_set(e, errno, "%s", g->path);
		else
			cp_err_set(e, 0, "%s: replaced while locked", g->path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	w->mode = st.st_mode & 07777;
	add_span(w, fd, xstrdup(g->path), st.st_size, 0);
	return 0;
}

struct bytes {
	const char *p;
	size_t n;
};

static int
fill_bytes(int fd, void *arg)
{
	struct bytes *b = arg;

	return cp_io_write_all(fd, b->p, b->n);
}

/* Start a new segment named after the entry's time, holding the line in w->line. */
static int
rotate(struct writer *w, const char *ts, struct cp_err *e)
{
	char prefix[64], *path;
	struct bytes b;
	int fd;

	if (flush_pending(w, e) == -1)
		return -1;
	snprintf(prefix, sizeof(prefix), "governance-%.4s%.2s%.2s-%.2s%.2s%.2s",
	    ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17);
	cp_buf_addc(&w->line, '\n');
	b.p = w->line.data;
	b.n = w->line.len;
	if (publish(w->set.dir, prefix, ".jsonl", w->mode, fill_bytes, &b, &path, &fd,
	    e) == -1)
		return -1;
	if (fcntl(fd, F_SETFL, O_APPEND) == -1) {
		cp_err_set(e, errno, "%s", path);
		close(fd);
		unlink(path);
		free(path);
		return -1;
	}
	add_span(w, fd, path, 0, 1)->to = (off_t)b.n;
	return 0;
}

static int
append_one(struct writer *w, const struct cp_jnode *event, struct cp_err *e)
{
	const struct cp_ledger_opts *o = w->o;
	struct span *s = &w->spans[w->nspans - 1];
	const struct cp_jnode *f[NEVENT];
	char id[16], ts[40], hex[CP_LEDGER_HEXLEN + 1];
	off_t size;

	if (event_fields(event, f, e) == -1)
		return -1;
	if (o->id != NULL)
		snprintf(id, sizeof(id), "%s", o->id);
	else if (random_id(&w->rnd, id, e) == -1)
		return -1;
	if (o->timestamp != NULL)
		snprintf(ts, sizeof(ts), "%s", o->timestamp);
	else
		now_timestamp(&w->clock, ts);
	make_line(&w->entry, f, id, ts, w->prev, &w->line, &w->scratch, &w->sha, hex);
	if (w->line.len > CP_LEDGER_LINE_MAX) {
		cp_err_set(e, 0, "the entry would be %zu bytes, over the %d a line may hold",
		    w->line.len, CP_LEDGER_LINE_MAX);
		return -1;
	}
	memcpy(w->prev, hex, sizeof(w->prev));
	size = s->to + (off_t)w->pending.len;
	if (o->rotate_bytes > 0 && size > 0 &&
	    (uint64_t)size + w->line.len + 1 > o->rotate_bytes)
		return rotate(w, ts, e);
	cp_buf_add(&w->pending, w->line.data, w->line.len);
	cp_buf_addc(&w->pending, '\n');
	if (w->pending.len >= FLUSH_AT)
		return flush_pending(w, e);
	return 0;
}

/* Make everything written durable. */
static int
commit(struct writer *w, struct cp_err *e)
{
	for (size_t i = 0; i < w->nspans; i++) {
		struct span *s = &w->spans[i];

		if (s->to > s->from && fdatasync(s->fd) == -1) {
			cp_err_set(e, errno, "%s", s->path);
			return -1;
		}
	}
	if (w->made_base && cp_io_fsync_parent(w->spans[0].path) == -1) {
		cp_err_set(e, errno, "%s", w->set.dir);
		return -1;
	}
	return 0;
}

/* Take back everything this append wrote: cut the segments to their old ends, remove new ones. */
static void
rollback(struct writer *w)
{
	for (size_t i = w->nspans; i-- > 0;) {
		struct span *s = &w->spans[i];

		if (s->created)
			unlink(s->path);
		else if (s->to > s->from && ftruncate(s->fd, s->from) == 0)
			fdatasync(s->fd);
	}
	if (w->nspans > 0 && w->spans[w->nspans - 1].created)
		cp_io_fsync_parent(w->spans[w->nspans - 1].path);
}

/* Hand the lines written to done(), read back from the segments. */
static int
report_lines(struct writer *w, cp_ledger_line_fn done, void *arg, struct cp_err *e)
{
	struct lreader r;
	const char *line;
	size_t len;
	int ended, rc = 0;

	for (size_t i = 0; i < w->nspans && rc == 0; i++) {
		struct span *s = &w->spans[i];

		if (s->to == s->from)
			continue;
		if (lseek(s->fd, s->from, SEEK_SET) == -1) {
			cp_err_set(e, errno, "%s", s->path);
			return -1;
		}
		lreader_init(&r, s->fd, s->to - s->from);
		while ((rc = lreader_next(&r, &line, &len, &ended)) == 1)
			done(arg, line, len);
		lreader_free(&r);
		if (rc != 0) {
			cp_err_set(e, errno, "%s: cannot read back", s->path);
			return -1;
		}
	}
	return 0;
}

static void
writer_free(struct writer *w)
{
	for (size_t i = 0; i < w->nspans; i++) {
		close(w->spans[i].fd);
		free(w->spans[i].path);
	}
	free(w->spans);
	cp_buf_free(&w->pending);
	cp_buf_free(&w->line);
	cp_buf_free(&w->scratch);
	cp_sha256_free(&w->sha);
	lset_free(&w->set);
}

int
cp_ledger_append_batch(const char *path, const struct cp_ledger_opts *o,
    cp_ledger_next_fn next, void *arg, cp_ledger_line_fn done, void *done_arg,
    uint64_t *count, struct cp_err *e)
{
	static const struct cp_ledger_opts none;
	struct writer w = { .rnd.used = sizeof(w.rnd.buf) };
	const struct cp_jnode *event;
	uint64_t n = 0;
	int rc;

	if (count != NULL)
		*count = 0;
	w.o = o = o ? o : &none;
	if (o->id != NULL && !valid_id(o->id)) {
		cp_err_set(e, 0, "invalid id %s (LED- and 8 lowercase hex digits)", o->id);
		return -1;
	}
	if (o->timestamp != NULL && !valid_timestamp(o->timestamp)) {
		cp_err_set(e, 0, "invalid timestamp %s (like 2026-01-31T22:00:11.074330+00:00)",
		    o->timestamp);
		return -1;
	}
	if (lset_load(&w.set, path, 1, e) == -1)
		return -1;
	if (o->rotate_bytes > 0 && w.set.file != NULL) {
		cp_err_set(e, 0, "%s: rotation needs a ledger directory", path);
		rc = -1;
	} else
		rc = lset_order(&w.set, e) == -1 || open_active(&w, e) == -1 ? -1 : 0;
	while (rc == 0 && (rc = next(arg, &event, e)) == 1) {
		rc = append_one(&w, event, e) == -1 ? -1 : 0;
		n++;
	}
	if (rc == 0 && (flush_pending(&w, e) == -1 || commit(&w, e) == -1))
		rc = -1;
	if (rc == -1) {
		rollback(&w);
		writer_free(&w);
		return -1;
	}
	/* Durable: let other writers in before the lines are handed out. */
	lset_unlock(&w.set);
	if (done != NULL)
		rc = report_lines(&w, done, done_arg, e);
	writer_free(&w);
	if (count != NULL)
		*count = n;
	return rc;
}

struct one {
	const struct cp_jnode *event;
	int given;
	struct cp_buf *line;
};

static int
next_one(void *arg, const struct cp_jnode **event, struct cp_err *e)
{
	struct one *one = arg;

	(void)e;
	if (one->given++)
		return 0;
	*event = one->event;
	return 1;
}

static void
keep_line(void *arg, const char *line, size_t len)
{
	struct one *one = arg;

	cp_buf_add(one->line, line, len);
}

int
cp_ledger_append(const char *path, const json_t *event, char **line,
    struct cp_err *e)
{
	struct cp_buf b = CP_BUF_INIT;
	struct cp_jtree t = { 0 };
	struct one one = { cp_jtree_from_json(&t, event), 0, &b };
	int rc = 0;

	if (one.event == NULL) {
		cp_err_set(e, 0, "the event nests deeper than %d levels", CP_JTREE_DEPTH_MAX);
		rc = -1;
	} else if (cp_ledger_append_batch(path, NULL, next_one, &one, line ? keep_line : NULL,
	    &one, NULL, e) == -1)
		rc = -1;
	cp_jtree_free(&t);
	if (rc == -1) {
		cp_buf_free(&b);
		return -1;
	}
	if (line != NULL)
		*line = b.data ? b.data : xstrdup("");
	return 0;
}

struct copy {
	int from;
	off_t off, end;
};

static int
fill_copy(int fd, void *arg)
{
	struct copy *c = arg;
	char buf[65536];
	ssize_t r;

	while (c->off < c->end) {
		size_t want = (size_t)(c->end - c->off < (off_t)sizeof(buf) ? c->end - c->off : (off_t)sizeof(buf));

		if ((r = pread(c->from, buf, want, c->off)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				errno = EIO;
			return -1;
		}
		if (cp_io_write_all(fd, buf, (size_t)r) == -1)
			return -1;
		c->off += r;
	}
	return 0;
}

int
cp_ledger_repair(const char *path, struct cp_ledger_repair *r, struct cp_err *e)
{
	struct lset set;
	struct lseg *g = NULL;
	struct ltail t = { 0 };
	struct clock clock = { 0 };
	struct copy c;
	char prefix[4200], ts[40], *side = NULL;
	int fd = -1, rc = -1;

	memset(r, 0, sizeof(*r));
	if (lset_load(&set, path, 1, e) == -1)
		return -1;
	if (lset_order(&set, e) == -1)
		goto out;
	for (size_t i = 0; i < set.n; i++)
		if (set.seg[i].size > 0)
			g = &set.seg[i];
	if (g == NULL) {
		rc = 0;
		goto out;
	}
	if (ledger_tail(g->fd, g->size, &t, e) == -1)
		goto out;
	if (!t.torn) {
		rc = 0;
		goto out;
	}
	snprintf(r->segment, sizeof(r->segment), "%s", g->path);
	r->offset = (uint64_t)t.good_end;
	if ((fd = open(g->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		cp_err_set(e, errno, "%s", g->path);
		goto out;
	}
	if (t.completable) {
		/* The entry is whole and sound; only its newline is missing. */
		if (cp_io_write_all(fd, "\n", 1) == -1 || fdatasync(fd) == -1) {
			cp_err_set(e, errno, "%s", g->path);
			goto out;
		}
		r->repaired = r->completed = 1;
		rc = 0;
		goto out;
	}
	now_timestamp(&clock, ts);
	snprintf(prefix, sizeof(prefix), "%s.torn-%.4s%.2s%.2s-%.2s%.2s%.2s", g->name,
	    ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17);
	c.from = g->fd;
	c.off = t.good_end;
	c.end = g->size;
	/* The torn bytes are kept, durably, before they leave the segment. */
	if (publish(set.dir, prefix, "", 0600, fill_copy, &c, &side, NULL, e) == -1)
		goto out;
	if (ftruncate(fd, t.good_end) == -1 || fdatasync(fd) == -1) {
		cp_err_set(e, errno, "%s", g->path);
		goto out;
	}
	snprintf(r->sidefile, sizeof(r->sidefile), "%s", side);
	r->bytes = (uint64_t)(g->size - t.good_end);
	r->repaired = 1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(side);
	free(t.last_hash);
	lset_free(&set);
	return rc;
}
