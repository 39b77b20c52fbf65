/* receipt: installed/ID.sha256 and ID.info read with caps and every rule, written atomically, checked beneath the destination.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/beneath.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/layout.h"
#include "base/quote.h"
#include "base/relpath.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "hash/sha256.h"
#include "plane/receipt.h"
#include "text/sumline.h"

static const char *const type_names[] = { "extension", "module", "external" };

/* The .info keys, in the order they are written. */
enum { K_PACKAGE, K_DIGEST, K_DESTINATION, K_OUTPUT_TYPE, K_N };
static const char *const info_keys[K_N] = { "package", "digest", "destination", "output_type" };

int
cp_receipt_id_ok(const char *id, struct cp_err *e)
{
	size_t i, len = strlen(id);

	if (len == 0)
		return cp_err_set(e, 0, "empty package id"), 0;
	if (len > CP_RECEIPT_ID_MAX)
		return cp_err_set(e, 0, "package id longer than %d bytes", CP_RECEIPT_ID_MAX), 0;
	if (id[0] == '-')
		return cp_err_set(e, 0, "package id starts with '-'"), 0;
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return cp_err_set(e, 0, "package id is '.' or '..'"), 0;
	for (i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return cp_err_set(e, 0,
			    "package id holds a character other than A-Z a-z 0-9 . _ -"), 0;
	}
	return 1;
}

const char *
cp_receipt_type_name(enum cp_receipt_type t)
{
	return (unsigned)t < 3 ? type_names[t] : NULL;
}

int
cp_receipt_type_parse(const char *s, enum cp_receipt_type *t)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, type_names[i]) == 0) {
			*t = (enum cp_receipt_type)i;
			return 0;
		}
	return -1;
}

void
cp_receipt_free(struct cp_receipt *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].path);
	free(r->v);
	free(r->package);
	free(r->destination);
	memset(r, 0, sizeof(*r));
}

/* --- reading ---------------------------------------------------------------- */

/* One receipt file being read: its name for messages, its records. */
struct rfile {
	char name[CP_RECEIPT_ID_MAX + 64];	/* "installed/ID.sha256" */
	int fd;
	struct cp_io_reader rd;
	unsigned long line;
	size_t total, cap;
};

/* e = "NAME: line N: " + the formatted rest.  Returns -1. */
static int __attribute__((format(printf, 3, 4)))
line_err(struct cp_err *e, const struct rfile *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cp_err_vset(e, 0, fmt, ap);
	va_end(ap);
	return cp_err_prefix(e, "%s: line %lu", f->name, f->line);
}

/*
 * Open dir/ID.ext as a regular file no larger than cap, never through a
 * symlink, and never blocking on a FIFO someone left there.
 */
static int
rfile_open(struct rfile *f, int dirfd, const char *id, const char *ext, size_t cap,
    struct cp_err *e)
{
	char base[CP_RECEIPT_ID_MAX + 16];
	struct stat st;
	int fd;

	snprintf(base, sizeof(base), "%s.%s", id, ext);
	snprintf(f->name, sizeof(f->name), "%s/%s", cp_layout_rel(CP_LAYOUT_INSTALLED), base);
	f->fd = -1;
	f->line = 0;
	f->total = 0;
	f->cap = cap;
	fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		if (errno == ELOOP)
			return cp_err_set(e, 0, "%s is a symbolic link: refused", f->name);
		return cp_err_set(e, errno, "%s", f->name);
	}
	if (fstat(fd, &st) == -1) {
		cp_err_set(e, errno, "%s", f->name);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return cp_err_set(e, 0, "%s is not a regular file: refused", f->name);
	}
	if ((uintmax_t)st.st_size > cap) {
		close(fd);
		return cp_err_set(e, 0, "%s is larger than %zu bytes: refused", f->name, cap);
	}
	f->fd = fd;
	cp_io_reader_init(&f->rd, fd);
	return 0;
}

static void
rfile_close(struct rfile *f)
{
	if (f->fd != -1) {
		cp_io_reader_free(&f->rd);
		close(f->fd);
		f->fd = -1;
	}
}

/*
 * The next line of f, without its newline: 1 (*s, *len), 0 at the end, -1
 * with e set.  Every line must end in a newline (the writer ends each one:
 * a file without is cut), hold no NUL byte, and keep within the caps,
 * counted as read (the file may grow after its fstat).
 */
static int
rfile_line(struct rfile *f, size_t max, char **s, size_t *len, struct cp_err *e)
{
	int ended, rc;

	rc = cp_io_reader_getrec(&f->rd, '\n', max, s, len, &ended);
	if (rc == 0)
		return 0;
	f->line++;
	if (rc == -1)
		return cp_err_set(e, errno, "%s", f->name);
	if (rc == -2)
		return line_err(e, f, "longer than %zu bytes", max);
	f->total += *len + 1;
	if (f->total > f->cap)
		return cp_err_set(e, 0, "%s is larger than %zu bytes: refused", f->name, f->cap);
	if (!ended)
		return line_err(e, f, "no newline at the end (a cut file?)");
	if (memchr(*s, '\0', *len) != NULL)
		return line_err(e, f, "holds a NUL byte");
	return 1;
}

static int
read_info(int dirfd, const char *id, struct cp_receipt *r, struct cp_err *e)
{
	struct rfile f;
	unsigned long seen[K_N] = { 0 };
	char *s, *eq, q[128];
	size_t len, klen;
	int k, rc;

	if (rfile_open(&f, dirfd, id, "info", CP_RECEIPT_INFO_MAX, e) == -1)
		return -1;
	while ((rc = rfile_line(&f, CP_RECEIPT_INFO_MAX, &s, &len, e)) == 1) {
		if ((eq = memchr(s, '=', len)) == NULL) {
			line_err(e, &f, "not key=value: %s", cp_quote(q, sizeof(q), s, len));
			goto fail;
		}
		klen = (size_t)(eq - s);
		for (k = 0; k < K_N; k++)
			if (strlen(info_keys[k]) == klen && memcmp(s, info_keys[k], klen) == 0)
				break;
		if (k == K_N) {
			line_err(e, &f, "unknown key %s", cp_quote(q, sizeof(q), s, klen));
			goto fail;
		}
		if (seen[k] != 0) {
			line_err(e, &f, "%s= again (first on line %lu)", info_keys[k], seen[k]);
			goto fail;
		}
		seen[k] = f.line;
		eq++;
		len -= klen + 1;
		switch (k) {
		case K_PACKAGE:
			if (strcmp(eq, id) != 0) {
				line_err(e, &f, "package=%s is not the receipt's package %s",
				    cp_quote(q, sizeof(q), eq, len), id);
				goto fail;
			}
			r->package = xstrdup(eq);
			break;
		case K_DIGEST:
			if (!cp_hex_is_sha256(eq, len)) {
				line_err(e, &f, "digest=%s is not a SHA-256 (64 lowercase hex digits)",
				    cp_quote(q, sizeof(q), eq, len));
				goto fail;
			}
			memcpy(r->digest, eq, len + 1);
			break;
		case K_DESTINATION:
			if (len == 0) {
				line_err(e, &f, "destination= is empty");
				goto fail;
			}
			r->destination = xstrdup(eq);
			break;
		case K_OUTPUT_TYPE:
			if (cp_receipt_type_parse(eq, &r->output_type) == -1) {
				line_err(e, &f, "output_type=%s is not extension, module or external",
				    cp_quote(q, sizeof(q), eq, len));
				goto fail;
			}
			break;
		}
	}
	if (rc == -1)
		goto fail;
	for (k = 0; k < K_N; k++)
		if (seen[k] == 0) {
			cp_err_set(e, 0, "%s: no %s= line", f.name, info_keys[k]);
			goto fail;
		}
	rfile_close(&f);
	return 0;
fail:
	rfile_close(&f);
	return -1;
}

static int
read_sums(int dirfd, const char *id, struct cp_receipt *r, struct cp_err *e)
{
	struct rfile f;
	struct cp_strmap *seen = cp_strmap_new();
	struct cp_err why;
	struct cp_receipt_entry *x;
	size_t len, cap = 0, first;
	char *s, *name, q[256];
	int rc;

	if (rfile_open(&f, dirfd, id, "sha256", CP_RECEIPT_SHA256_MAX, e) == -1)
		goto out;
	while ((rc = rfile_line(&f, CP_RECEIPT_LINE_MAX, &s, &len, e)) == 1) {
		if (r->n == cap) {
			cap = cap ? 2 * cap : 16;
			r->v = xreallocarray(r->v, cap, sizeof(*r->v));
		}
		x = &r->v[r->n];
		if (cp_sumline_parse(s, len, x->sha256, &name) == -1) {
			line_err(e, &f, "not a sha256sum line: %s", cp_quote(q, sizeof(q), s, len));
			goto out;
		}
		/* Names come out of sumline NUL-terminated: a "\0"-free line gives an exact length. */
		if (!cp_relpath_ok(name, strlen(name), &why)) {
			line_err(e, &f, "%s: %s", why.msg, cp_quote_cstr(q, sizeof(q), name));
			free(name);
			goto out;
		}
		if (!cp_strmap_add(seen, name, strlen(name), r->n, &first)) {
			line_err(e, &f, "%s listed twice (first on line %zu)",
			    cp_quote_cstr(q, sizeof(q), name), first + 1);
			free(name);
			goto out;
		}
		x->path = name;
		r->n++;
	}
	if (rc == 0) {
		rfile_close(&f);
		cp_strmap_free(seen);
		return 0;
	}
out:
	rfile_close(&f);
	cp_strmap_free(seen);
	return -1;
}

int
cp_receipt_read(int dirfd, const char *id, struct cp_receipt *r, struct cp_err *e)
{
	struct cp_err why;
	char q[CP_RECEIPT_ID_MAX + 8];

	memset(r, 0, sizeof(*r));
	if (!cp_receipt_id_ok(id, &why))
		return cp_err_set(e, 0, "bad package id %s: %s",
		    cp_quote_cstr(q, sizeof(q), id), why.msg);
	if (read_info(dirfd, id, r, e) == -1 || read_sums(dirfd, id, r, e) == -1) {
		cp_receipt_free(r);
		return -1;
	}
	return 0;
}

/* --- writing ---------------------------------------------------------------- */

/* What the reader would refuse in r, checked before anything is written. */
static int
check_pair(const struct cp_receipt *r, struct cp_err *e)
{
	struct cp_strmap *seen;
	struct cp_err why;
	char q[256];
	size_t i, first;
	int rc = 0;

	if (r->package == NULL || !cp_receipt_id_ok(r->package, &why))
		return cp_err_set(e, 0, "receipt not written: bad package id %s: %s",
		    r->package ? cp_quote_cstr(q, sizeof(q), r->package) : "(none)",
		    r->package ? why.msg : "missing");
	if (!cp_hex_is_sha256(r->digest, strnlen(r->digest, sizeof(r->digest))))
		return cp_err_set(e, 0, "receipt of %s not written: digest is not 64 lowercase hex",
		    r->package);
	/* A newline would end the line and let the rest pose as a key of its own. */
	if (r->destination == NULL || r->destination[0] == '\0' ||
	    strchr(r->destination, '\n') != NULL)
		return cp_err_set(e, 0, "receipt of %s not written: destination empty or holding a newline",
		    r->package);
	if (cp_receipt_type_name(r->output_type) == NULL)
		return cp_err_set(e, 0, "receipt of %s not written: bad output_type", r->package);
	seen = cp_strmap_new();
	for (i = 0; i < r->n && rc == 0; i++) {
		const struct cp_receipt_entry *x = &r->v[i];

		if (!cp_hex_is_sha256(x->sha256, strnlen(x->sha256, sizeof(x->sha256))))
			rc = cp_err_set(e, 0, "receipt of %s not written: %s: digest is not 64 lowercase hex",
			    r->package, cp_quote_cstr(q, sizeof(q), x->path));
		else if (!cp_relpath_ok(x->path, strlen(x->path), &why))
			rc = cp_err_set(e, 0, "receipt of %s not written: %s: %s",
			    r->package, why.msg, cp_quote_cstr(q, sizeof(q), x->path));
		else if (!cp_strmap_add(seen, x->path, strlen(x->path), i, &first))
			rc = cp_err_set(e, 0, "receipt of %s not written: %s listed twice",
			    r->package, cp_quote_cstr(q, sizeof(q), x->path));
	}
	cp_strmap_free(seen);
	return rc;
}

/* Write one file of the pair: dir/ID.ext, its content from fill. */
static int
write_one(const char *dir, const struct cp_receipt *r, const char *ext,
    void (*fill)(FILE *, const struct cp_receipt *), struct cp_err *e)
{
	struct cp_atomic a;
	char *base, *path;
	size_t n = strlen(r->package) + strlen(ext) + 2;

	base = xmalloc(n);
	snprintf(base, n, "%s.%s", r->package, ext);
	path = xpathjoin(dir, base);
	free(base);
	if (cp_atomic_open(&a, path, 0644) == -1) {
		cp_err_set(e, errno, "%s", path);
		free(path);
		return -1;
	}
	fill(a.fp, r);
	if (cp_atomic_commit(&a) == -1) {
		cp_err_set(e, errno, "%s", path);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static void
fill_sums(FILE *fp, const struct cp_receipt *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		cp_sumline_write(fp, r->v[i].sha256, r->v[i].path);
}

static void
fill_info(FILE *fp, const struct cp_receipt *r)
{
	fprintf(fp, "package=%s\ndigest=%s\ndestination=%s\noutput_type=%s\n",
	    r->package, r->digest, r->destination, cp_receipt_type_name(r->output_type));
}

int
cp_receipt_format(const struct cp_receipt *r, FILE *sums, FILE *info, struct cp_err *e)
{
	if (check_pair(r, e) == -1)
		return -1;
	fill_sums(sums, r);
	fill_info(info, r);
	return 0;
}

int
cp_receipt_write(const char *dir, const struct cp_receipt *r, struct cp_err *e)
{
	if (check_pair(r, e) == -1)
		return -1;
	if (write_one(dir, r, "sha256", fill_sums, e) == -1 ||
	    write_one(dir, r, "info", fill_info, e) == -1)
		return -1;
	return 0;
}

/* --- checking the files ------------------------------------------------------ */

/*
 * Open path beneath destfd (base/beneath: no symlink followed, none on the
 * way), and only if it is a regular file: opening a device or a FIFO may do
 * something.  Returns an open descriptor (*state SAME, to be hashed), or -1
 * with *state MISSING or CHANGED (errno 0), or -1 with errno set on a real
 * error.
 */
static int
open_beneath(int destfd, const char *path, enum cp_receipt_state *state)
{
	struct cp_err err;
	struct stat st, st2;
	const char *base;
	int dfd, fd = -1, e = 0;

	if ((dfd = cp_beneath_parent(destfd, path, 0, &base, &err)) == -1) {
		e = err.errnum;
		/* A symlink on the way is refused; a file where a directory was means ours is gone. */
		if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG)
			*state = CP_RECEIPT_MISSING, e = 0;
		else if (e == ELOOP)
			*state = CP_RECEIPT_CHANGED, e = 0;
		errno = e;
		return -1;
	}
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		e = errno;
		/* A name longer than NAME_MAX cannot be there (relpath caps only the whole path). */
		if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG)
			*state = CP_RECEIPT_MISSING, e = 0;
	} else if (!S_ISREG(st.st_mode)) {
		*state = CP_RECEIPT_CHANGED;
	} else if ((fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1) {
		e = errno;
		if (e == ENOENT)
			*state = CP_RECEIPT_MISSING, e = 0;
		else if (e == ELOOP)
			*state = CP_RECEIPT_CHANGED, e = 0;
	} else if (fstat(fd, &st2) == -1) {
		e = errno;
		close(fd);
		fd = -1;
	} else if (!S_ISREG(st2.st_mode)) {	/* swapped since the fstatat */
		close(fd);
		fd = -1;
		*state = CP_RECEIPT_CHANGED;
	} else {
		*state = CP_RECEIPT_SAME;
	}
	close(dfd);
	errno = e;
	return fd;
}

long
cp_receipt_check(int destfd, const struct cp_receipt *r,
    enum cp_receipt_state *state, struct cp_err *e)
{
	struct cp_sha256 c = { 0 };
	unsigned char md[CP_SHA256_LEN];
	char hex[CP_SHA256_HEXLEN + 1], q[256];
	static const size_t bufsize = 64 << 10;
	void *buf = xmalloc(bufsize);
	uint64_t size;
	long bad = 0;
	size_t i;
	int fd, rc;

	for (i = 0; i < r->n; i++) {
		fd = open_beneath(destfd, r->v[i].path, &state[i]);
		if (fd == -1) {
			if (errno != 0) {
				cp_err_set(e, errno, "%s", cp_quote_cstr(q, sizeof(q), r->v[i].path));
				bad = -1;
				break;
			}
			bad++;
			continue;
		}
		rc = cp_sha256_fd(&c, fd, buf, bufsize, md, &size);
		if (rc == -1) {
			cp_err_set(e, errno, "%s", cp_quote_cstr(q, sizeof(q), r->v[i].path));
			close(fd);
			bad = -1;
			break;
		}
		close(fd);
		cp_hex_encode(md, sizeof(md), hex);
		if (strcmp(hex, r->v[i].sha256) != 0) {
			state[i] = CP_RECEIPT_CHANGED;
			bad++;
		}
	}
	cp_sha256_free(&c);
	free(buf);
	return bad;
}
