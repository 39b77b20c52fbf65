/* io: bounded record reading, complete writes, directory fsync.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/io.h"
#include "base/xalloc.h"

int
cp_io_getrec(FILE *fp, int delim, size_t max, char **buf, size_t *cap,
    size_t *len, int *ended)
{
	size_t n = 0, lim = max < SIZE_MAX - 1 ? max + 1 : SIZE_MAX;
	int c, toolong = 0;

	*ended = 0;
	flockfile(fp);
	while ((c = getc_unlocked(fp)) != EOF) {
		if (c == delim) {
			*ended = 1;
			break;
		}
		if (n >= max) {
			toolong = 1;
			continue;
		}
		if (n + 2 > *cap) {
			*cap = *cap ? *cap * 2 : 256;
			if (*cap > lim)
				*cap = lim;
			*buf = xrealloc(*buf, *cap);
		}
		(*buf)[n++] = (char)c;
	}
	funlockfile(fp);
	if (c == EOF && ferror(fp))
		return -1;
	if (n == 0 && !*ended && !toolong)
		return 0;
	if (*buf == NULL) {
		*cap = 1;
		*buf = xmalloc(1);
	}
	(*buf)[n] = '\0';
	*len = n;
	return toolong ? -2 : 1;
}

void
cp_io_reader_init(struct cp_io_reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
}

void
cp_io_reader_free(struct cp_io_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->size = r->start = r->end = 0;
}

/* Read more bytes after buf[end), first moving the unread ones to the front and growing to hold want.  -1 on error. */
static int
reader_fill(struct cp_io_reader *r, size_t want)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (want > r->size) {
		r->size = want;
		r->buf = xrealloc(r->buf, r->size);
	}
	do
		n = read(r->fd, r->buf + r->end, r->size - 1 - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	r->eof = n == 0;
	r->end += (size_t)n;
	return 0;
}

int
cp_io_reader_getrec(struct cp_io_reader *r, int delim, size_t max, char **rec,
    size_t *len, int *ended)
{
	size_t scanned = 0, want, limit = max < SIZE_MAX - 2 ? max + 2 : SIZE_MAX;
	char *p = NULL;
	int toolong = 0;

	if (limit < 65536)
		limit = 65536;
	*ended = 0;
	for (;;) {
		if (r->end - r->start > scanned && (p = memchr(r->buf + r->start + scanned,
		    delim, r->end - r->start - scanned)) != NULL)
			break;
		scanned = r->end - r->start;
		if (toolong || scanned > max) {
			/* Too long: drop what is buffered and go on to the delimiter. */
			toolong = 1;
			r->start = r->end = scanned = 0;
		}
		if (r->eof)
			break;
		/* Room for the record so far, one byte more and the NUL; doubling up to the cap. */
		want = r->size < 65536 ? 65536 : r->size;
		if (scanned + 2 > want / 2 && want < limit)
			want = want < limit / 2 ? 2 * want : limit;
		if (reader_fill(r, want) == -1)
			return -1;
	}
	*rec = r->buf + r->start;
	*len = p != NULL ? (size_t)(p - *rec) : r->end - r->start;
	*ended = p != NULL;
	r->start = p != NULL ? r->start + *len + 1 : r->end;
	if (toolong || *len > max)
		return -2;
	if (*len == 0 && p == NULL)
		return 0;
	(*rec)[*len] = '\0';
	return 1;
}

/* Write all n bytes: at off (pwrite), or at the file's position when off is -1. */
static int
write_loop(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = off < 0 ? write(fd, p, n) : pwrite(fd, p, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		if (off >= 0)
			off += w;
	}
	return 0;
}

int
cp_io_write_all(int fd, const void *buf, size_t n)
{
	return write_loop(fd, buf, n, -1);
}

int
cp_io_pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	return write_loop(fd, buf, n, off);
}

int
cp_io_read_full(int fd, void *buf, size_t n, size_t *got)
{
	char *p = buf;
	ssize_t r;

	*got = 0;
	while (n > 0) {
		r = read(fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		p += r;
		n -= (size_t)r;
		*got += (size_t)r;
	}
	return 0;
}

int
cp_io_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, rc, e;

	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
