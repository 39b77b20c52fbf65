/* append: events made entries and appended under the lock (with rotation), all or nothing.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/io.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "hash/sha256.h"
#include "ledger/append.h"
#include "ledger/entry.h"
#include "ledger/seg.h"
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

/* Check event as cp_append_check says, and point f[] at its fields (NULL when absent). */
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
cp_append_check(const struct cp_jnode *event, struct cp_err *e)
{
	const struct cp_jnode *f[NEVENT];

	return event_fields(event, f, e);
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
	cp_wipe(r->buf + r->used, 4);
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
 * entry_hash to hex.  Returns 0, or -1 when the hash failed (OpenSSL).
 */
static int
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
	if (cp_entry_digest(sha, scratch->data, scratch->len, h) == -1)
		return -1;
	cp_hex_encode(h, sizeof(h), hex);
	/* The stored line, in document order (sorted holds only the first NFIELDS - 1). */
	member(&e->m[F_ENTRY_HASH], F_ENTRY_HASH, NULL, hex);
	e->obj.len = NFIELDS;
	cp_buf_reset(line);
	cp_canon_dump(line, &e->obj, 0, NULL);
	return 0;
}

/* A region this append wrote, to print afterwards or to take back on failure. */
struct span {
	int fd;
	char *path;
	off_t from, to;
	int created;
};

struct writer {
	struct cp_segset set;
	const struct cp_append_opts *o;
	struct span *spans;	/* the last one is the active segment */
	size_t nspans;
	mode_t mode;		/* of new segments */
	struct cp_buf pending;	/* lines not yet written to the active segment */
	struct cp_buf line, scratch;
	struct cp_sha256 sha;
	struct entry entry;
	struct cp_entry_clock clock;
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
	struct cp_segset *set = &w->set;
	struct cp_seg *g = NULL;
	struct cp_seg_tail t;
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
	if (cp_seg_tail(g->fd, g->size, &t, e) == -1)
		return cp_err_prefix(e, "%s", g->path);
	/*
	 * Nothing is chained after a torn or malformed last line: an entry
	 * written there would bury it.  cp-ledger repair moves it aside (it is
	 * kept in a side file), and appends resume.
	 */
	if (t.malformed || t.torn || t.last_hash == NULL) {
		cp_err_set(e, 0, "%s: %s last line at byte %lld%s: see cp-ledger repair", g->path,
		    t.malformed ? "malformed" : "torn", (long long)t.good_end,
		    t.malformed ? " (not an entry)" : " (an append cut short?)");
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
	if (cp_seg_publish(w->set.dir, prefix, ".jsonl", w->mode, fill_bytes, &b, &path, &fd,
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
	const struct cp_append_opts *o = w->o;
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
		cp_entry_now(&w->clock, ts);
	if (make_line(&w->entry, f, id, ts, w->prev, &w->line, &w->scratch, &w->sha, hex) == -1)
		return cp_err_set(e, 0, CP_ENTRY_DIGEST_FAILED);
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
report_lines(struct writer *w, cp_append_line_fn done, void *arg, struct cp_err *e)
{
	struct cp_seg_reader r;
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
		cp_seg_reader_init(&r, s->fd, s->to - s->from);
		while ((rc = cp_seg_reader_next(&r, &line, &len, &ended)) == 1)
			done(arg, line, len);
		cp_seg_reader_free(&r);
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
	cp_seg_free(&w->set);
}

int
cp_append_batch(const char *path, const struct cp_append_opts *o,
    cp_append_next_fn next, void *arg, cp_append_line_fn done, void *done_arg,
    uint64_t *count, struct cp_err *e)
{
	static const struct cp_append_opts none;
	struct writer w = { .rnd.used = sizeof(w.rnd.buf) };
	const struct cp_jnode *event;
	uint64_t n = 0;
	int rc;

	if (count != NULL)
		*count = 0;
	w.o = o = o ? o : &none;
	if (o->id != NULL && !cp_entry_id_ok(o->id)) {
		cp_err_set(e, 0, "invalid id %s (LED- and 8 lowercase hex digits)", o->id);
		return -1;
	}
	if (o->timestamp != NULL && !cp_entry_timestamp_ok(o->timestamp)) {
		cp_err_set(e, 0, "invalid timestamp %s (like 2026-01-31T22:00:11.074330+00:00)",
		    o->timestamp);
		return -1;
	}
	if (cp_seg_load(&w.set, path, 1, e) == -1)
		return -1;
	if (o->rotate_bytes > 0 && w.set.file != NULL) {
		cp_err_set(e, 0, "%s: rotation needs a ledger directory", path);
		rc = -1;
	} else
		rc = cp_seg_order(&w.set, e) == -1 || open_active(&w, e) == -1 ? -1 : 0;
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
	cp_seg_unlock(&w.set);
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
cp_append(const char *path, const char *text, size_t len, char **line, struct cp_err *e)
{
	return cp_append_with(path, NULL, text, len, line, e);
}

int
cp_append_with(const char *path, const struct cp_append_opts *o, const char *text,
    size_t len, char **line, struct cp_err *e)
{
	struct cp_buf b = CP_BUF_INIT;
	struct cp_jtree t = { 0 };
	json_error_t je;
	struct one one = { cp_jtree_load(&t, text, len, 0, &je), 0, &b };
	int rc = 0;

	if (one.event == NULL)
		rc = cp_err_set(e, 0, "the event is not JSON: line %d, column %d: %s", je.line,
		    je.column, je.text);
	else if (cp_append_batch(path, o, next_one, &one, line ? keep_line : NULL, &one, NULL,
	    e) == -1)
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
