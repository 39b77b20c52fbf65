/* seg: finding a ledger's segments, the lock, chain order, the tail of a segment, reading lines, new files.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* memrchr, mkostemp */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/io.h"
#include "base/lock.h"
#include "base/xalloc.h"
#include "ledger/entry.h"
#include "ledger/seg.h"

#define CHUNK 65536

static int
digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* 1 if name is a segment name of the family: FAMILY.jsonl or FAMILY-YYYYMMDD-HHMMSS[-N].jsonl. */
static int
parse_name(const char *family, const char *name, int *base, char stamp[16], unsigned long *suffix)
{
	size_t n = strlen(name), f = strlen(family), k;
	const char *p;

	*base = 0;
	*suffix = 0;
	stamp[0] = '\0';
	if (strncmp(name, family, f) == 0 && strcmp(name + f, ".jsonl") == 0) {
		*base = 1;
		return 1;
	}
	/* FAMILY-YYYYMMDD-HHMMSS.jsonl, or ...-HHMMSS-N.jsonl for a second segment in one second */
	if (n < f + 22 || strncmp(name, family, f) != 0 || name[f] != '-' ||
	    strcmp(name + n - 6, ".jsonl") != 0)
		return 0;
	p = name + f + 1;
	if (!digits(p, 8) || p[8] != '-' || !digits(p + 9, 6))
		return 0;
	memcpy(stamp, p, 8);
	memcpy(stamp + 8, p + 9, 6);
	stamp[14] = '\0';
	p += 15;
	if (*p == '.')
		return p == name + n - 6;
	k = (size_t)(name + n - 6 - (p + 1));
	if (*p != '-' || k == 0 || k > 9 || !digits(p + 1, k) || p[1] == '0')
		return 0;
	*suffix = strtoul(p + 1, NULL, 10);
	return 1;
}

static void
seg_close(struct cp_seg *g)
{
	if (g->fd >= 0)
		close(g->fd);
	free(g->path);
	free(g->first_prev);
	free(g->last_hash);
}

void
cp_seg_unlock(struct cp_segset *s)
{
	cp_lock_release(s->lockfd);
	s->lockfd = -1;
}

void
cp_seg_free(struct cp_segset *s)
{
	for (size_t i = 0; i < s->n; i++)
		seg_close(&s->seg[i]);
	free(s->seg);
	free(s->dir);
	free(s->file);
	cp_lock_release(s->lockfd);
	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
}

/* Open one segment read-only, never through a symlink, and note its size. */
static int
seg_open(struct cp_segset *s, char *path, const char *name, struct cp_err *e)
{
	struct cp_seg *g;
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		cp_err_set(e, errno, "%s", path);
		free(path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (!S_ISREG(st.st_mode))
			cp_err_set(e, 0, "%s: not a regular file", path);
		else
			cp_err_set(e, errno, "%s", path);
		close(fd);
		free(path);
		return -1;
	}
	s->seg = xreallocarray(s->seg, s->n + 1, sizeof(*s->seg));
	g = &s->seg[s->n++];
	memset(g, 0, sizeof(*g));
	g->path = path;
	g->name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	g->fd = fd;
	g->size = st.st_size;
	if (name != NULL)
		parse_name(s->family, name, &g->base, g->stamp, &g->suffix);
	return 0;
}

static int
list_dir(struct cp_segset *s, struct cp_err *e)
{
	DIR *d;
	struct dirent *de;
	char stamp[16];
	unsigned long suffix;
	int base, rc = 0;

	if ((d = opendir(s->dir)) == NULL) {
		cp_err_set(e, errno, "%s", s->dir);
		return -1;
	}
	errno = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (parse_name(s->family, de->d_name, &base, stamp, &suffix))
			rc = seg_open(s, xpathjoin(s->dir, de->d_name), de->d_name, e);
		errno = 0;
	}
	if (rc == 0 && errno != 0) {
		cp_err_set(e, errno, "%s", s->dir);
		rc = -1;
	}
	closedir(d);
	return rc;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
cp_seg_load(struct cp_segset *s, const char *path, int writer, struct cp_err *e)
{
	return cp_seg_load_family(s, path, NULL, writer, e);
}

int
cp_seg_load_family(struct cp_segset *s, const char *path, const char *family, int writer,
    struct cp_err *e)
{
	struct stat st;
	char *lockpath;
	size_t n = strlen(path);
	int serr = stat(path, &st) == 0 ? 0 : errno;

	memset(s, 0, sizeof(*s));
	s->lockfd = -1;
	s->family = family != NULL ? family : CP_LEDGER_FAMILY;
	if (serr == 0 && S_ISDIR(st.st_mode))
		s->dir = xstrdup(path);
	else if (serr == 0 && !S_ISREG(st.st_mode)) {
		cp_err_set(e, 0, "%s: not a ledger directory or segment file", path);
		return -1;
	} else if (serr == 0 || (serr == ENOENT && writer && n >= 6 && strcmp(path + n - 6, ".jsonl") == 0)) {
		s->file = xstrdup(path);
		s->dir = dir_of(path);
	} else if (serr == ENOENT && writer) {
		/* A missing ledger directory is made, as the Python tools did on their first append. */
		if (mkdir(path, 0777) == -1 && errno != EEXIST) {
			cp_err_set(e, errno, "%s", path);
			return -1;
		}
		s->dir = xstrdup(path);
	} else {
		cp_err_set(e, serr, "%s", path);
		return -1;
	}
	lockpath = xpathjoin(s->dir, CP_LEDGER_LOCKNAME);
	s->lockfd = writer ? cp_lock_acquire(lockpath) : cp_lock_acquire_shared(lockpath);
	if (s->lockfd < 0 && (writer || errno != ENOENT)) {
		cp_err_set(e, errno, "%s: cannot lock", lockpath);
		free(lockpath);
		cp_seg_free(s);
		return -1;
	}
	free(lockpath);
	if (s->file != NULL) {
		if (stat(s->file, &st) == 0 || errno != ENOENT || !writer) {
			if (seg_open(s, xstrdup(s->file), NULL, e) == -1) {
				cp_seg_free(s);
				return -1;
			}
		}
	} else if (list_dir(s, e) == -1) {
		cp_seg_free(s);
		return -1;
	}
	if (!writer) {
		/* The sizes are noted: the snapshot is taken, writers may go on. */
		cp_seg_unlock(s);
	}
	return 0;
}

/* Read the line starting at off (at most CP_LEDGER_LINE_MAX bytes, before end) into b.  Returns 0 or -1. */
static int
read_line_at(int fd, off_t off, off_t end, struct cp_buf *b, int *toolong)
{
	ssize_t r;
	char *nl;

	cp_buf_reset(b);
	*toolong = 0;
	while (off < end) {
		size_t want = (size_t)(end - off < CHUNK ? end - off : CHUNK);

		cp_buf_grow(b, want);
		if ((r = pread(fd, b->data + b->len, want, off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		if ((nl = memchr(b->data + b->len, '\n', (size_t)r)) != NULL) {
			b->len = (size_t)(nl - b->data);
			break;
		}
		b->len += (size_t)r;
		off += r;
		if (b->len > CP_LEDGER_LINE_MAX) {
			*toolong = 1;
			break;
		}
	}
	if (b->data != NULL)
		b->data[b->len] = '\0';
	return 0;
}

/* Offset of the last newline in [0, end), -1 when there is none, -3 on a read error. */
static off_t
nl_before(int fd, off_t end)
{
	char buf[CHUNK];
	off_t pos = end;
	ssize_t r;
	char *nl;

	while (pos > 0) {
		size_t want = (size_t)(pos < CHUNK ? pos : CHUNK);

		if ((r = pread(fd, buf, want, pos - (off_t)want)) < 0) {
			if (errno == EINTR)
				continue;
			return -3;
		}
		if ((size_t)r != want) {
			errno = 0;	/* the file shrank under us */
			return -3;
		}
		pos -= (off_t)want;
		if ((nl = memrchr(buf, '\n', want)) != NULL)
			return pos + (nl - buf);
	}
	return -1;
}

/*
 * Parse the bytes [off, end) of fd as one line (kind MALFORMED when longer
 * than the cap).  Returns 0, -1 on a read error (errno), or -2 when its
 * hash could not be computed.
 */
static int
parse_range(int fd, off_t off, off_t end, int want_hash, struct cp_ledger_line *ln,
    struct cp_buf *b, struct cp_entry_parser *p)
{
	char why[64];
	int toolong;

	if (end - off > CP_LEDGER_LINE_MAX) {
		snprintf(why, sizeof(why), "line longer than %d bytes", CP_LEDGER_LINE_MAX);
		cp_entry_malformed(ln, why);
		return 0;
	}
	if (read_line_at(fd, off, end, b, &toolong) == -1)
		return -1;
	if (cp_entry_parse(p, b->data ? b->data : "", b->len, want_hash, ln) == -1) {
		errno = 0;
		return -2;
	}
	return 0;
}

int
cp_seg_tail(int fd, off_t size, struct cp_seg_tail *t, struct cp_err *e)
{
	struct cp_ledger_line ln = { 0 };
	struct cp_buf b = CP_BUF_INIT;
	struct cp_entry_parser p = { 0 };
	off_t end = size, nl;
	char last;
	int rc = -1, pr;

	memset(t, 0, sizeof(*t));
	t->good_end = size;
	errno = 0;
	if (size == 0) {
		t->last_hash = xstrdup("");
		return 0;
	}
	if (pread(fd, &last, 1, size - 1) != 1)
		goto ioerr;
	if (last != '\n') {
		if ((nl = nl_before(fd, size)) == -3)
			goto ioerr;
		t->torn = 1;
		t->good_end = end = nl + 1;
		if ((pr = parse_range(fd, end, size, 1, &ln, &b, &p)) == -2) {
			cp_err_set(e, 0, CP_ENTRY_DIGEST_FAILED);
			goto out;
		}
		if (pr == -1)
			goto ioerr;
		t->completable = ln.kind == CP_LEDGER_ENTRY && strcmp(ln.entry_hash, ln.hash_hex) == 0;
	}
	/* The last complete line that is not blank gives the hash to chain to. */
	while (end > 0) {
		if ((nl = nl_before(fd, end - 1)) == -3)
			goto ioerr;
		if (parse_range(fd, nl + 1, end - 1, 0, &ln, &b, &p) == -1)
			goto ioerr;
		if (ln.kind == CP_LEDGER_BLANK) {
			end = nl + 1;
			continue;
		}
		if (ln.kind == CP_LEDGER_ENTRY)
			t->last_hash = xstrdup(ln.entry_hash);
		else if (ln.kind == CP_LEDGER_LEGACY)
			t->last_hash = xstrdup("");
		else {
			/*
			 * A whole line (its newline written) that is no entry was not
			 * cut short by a crash: it is malformed, and what follows it
			 * (a torn line, blank lines) goes aside with it on repair.
			 */
			t->malformed = 1;
			t->completable = 0;
			t->good_end = nl + 1;
		}
		break;
	}
	if (end <= 0)
		t->last_hash = xstrdup("");
	rc = 0;
	goto out;
ioerr:
	if (errno != 0)
		cp_err_set(e, errno, "read error");
	else
		cp_err_set(e, 0, "read error: file changed while read");
out:
	cp_entry_clear(&ln);
	cp_buf_free(&b);
	cp_entry_parser_free(&p);
	return rc;
}

/* Name order: the base file first (the Python tools' first segment), then rotated ones by time and suffix. */
static int
name_cmp(const void *a, const void *b)
{
	const struct cp_seg *x = a, *y = b;
	int c;

	if (x->base != y->base)
		return x->base ? -1 : 1;
	if ((c = strcmp(x->stamp, y->stamp)) != 0)
		return c;
	if (x->suffix != y->suffix)
		return x->suffix < y->suffix ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Note the previous_hash of the first line and the entry_hash of the last entry of g. */
static int
read_ends(struct cp_seg *g, struct cp_err *e)
{
	struct cp_ledger_line ln = { 0 };
	struct cp_buf b = CP_BUF_INIT;
	struct cp_entry_parser p = { 0 };
	struct cp_seg_tail t;
	int toolong, rc = 0;

	if (g->size == 0)
		return 0;
	if (read_line_at(g->fd, 0, g->size, &b, &toolong) == -1) {
		cp_err_set(e, errno, "%s", g->path);
		rc = -1;
	} else if (!toolong) {
		int k = cp_entry_parse(&p, b.data ? b.data : "", b.len, 0, &ln);

		if (k == CP_LEDGER_ENTRY)
			g->first_prev = xstrdup(ln.previous_hash);
		else if (k == CP_LEDGER_LEGACY)
			g->first_prev = xstrdup("");
	}
	cp_entry_clear(&ln);
	cp_buf_free(&b);
	cp_entry_parser_free(&p);
	if (rc == 0) {
		if (cp_seg_tail(g->fd, g->size, &t, e) == -1)
			return -1;
		g->last_hash = t.last_hash;
	}
	return rc;
}

int
cp_seg_order(struct cp_segset *s, struct cp_err *e)
{
	size_t n = s->n, i, j, k = 0;
	size_t *succ, *order;
	char *has_pred, *placed;
	struct cp_seg *sorted;

	if (n == 0)
		return 0;
	qsort(s->seg, n, sizeof(*s->seg), name_cmp);
	if (n == 1)
		return 0;
	for (i = 0; i < n; i++)
		if (read_ends(&s->seg[i], e) == -1)
			return -1;
	succ = xreallocarray(NULL, n, sizeof(*succ));
	order = xreallocarray(NULL, n, sizeof(*order));
	has_pred = xcalloc(n, 1);
	placed = xcalloc(n, 1);
	/* Link each segment to the first (in name order) that starts where it ends. */
	for (i = 0; i < n; i++) {
		const char *h = s->seg[i].last_hash;

		succ[i] = n;
		if (h == NULL || *h == '\0')
			continue;
		for (j = 0; j < n; j++)
			if (j != i && !has_pred[j] && s->seg[j].first_prev != NULL &&
			    strcmp(s->seg[j].first_prev, h) == 0) {
				succ[i] = j;
				has_pred[j] = 1;
				break;
			}
	}
	/* Chains from their heads in name order; then whatever a cycle left, in name order. */
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			if (placed[i] || (pass == 0 && has_pred[i]))
				continue;
			for (j = i; j < n && !placed[j]; j = succ[j]) {
				placed[j] = 1;
				order[k++] = j;
			}
		}
	sorted = xreallocarray(NULL, n, sizeof(*sorted));
	for (i = 0; i < n; i++)
		sorted[i] = s->seg[order[i]];
	free(s->seg);
	s->seg = sorted;
	free(succ);
	free(order);
	free(has_pred);
	free(placed);
	return 0;
}

void
cp_seg_reader_init(struct cp_seg_reader *r, int fd, off_t size)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->left = size;
	r->cap = CP_LEDGER_LINE_MAX + CHUNK + 1;
	r->buf = xmalloc(r->cap);
}

void
cp_seg_reader_free(struct cp_seg_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

int
cp_seg_reader_done(const struct cp_seg_reader *r)
{
	return r->start == r->end && r->left == 0 && !r->skipping;
}

int
cp_seg_reader_next(struct cp_seg_reader *r, const char **line, size_t *len, int *ended)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl != NULL) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			*ended = 1;
			r->start = (size_t)(nl - r->buf) + 1;
			if (r->skipping) {
				r->skipping = 0;
				return -2;
			}
			return 1;
		}
		if (r->skipping || r->end - r->start > CP_LEDGER_LINE_MAX) {
			r->skipping = 1;
			r->start = r->end = 0;
		}
		if (r->left == 0) {
			*ended = 0;
			*line = r->buf + r->start;
			*len = r->end - r->start;
			r->start = r->end;
			if (r->skipping) {
				r->skipping = 0;
				return -2;
			}
			return *len > 0 ? 1 : 0;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		n = read(r->fd, r->buf + r->end,
		    (size_t)((off_t)(r->cap - 1 - r->end) < r->left ? (off_t)(r->cap - 1 - r->end) : r->left));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			r->left = 0;	/* shorter than when noted: read what there is */
		r->end += (size_t)n;
		r->left -= n;
	}
}

int
cp_seg_publish(const char *dir, const char *prefix, const char *suffix, mode_t mode,
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
