/* tarread: libarchive's tar reader fed by gzin, every byte seen first by tarscan.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/xalloc.h"
#include "tar/gzahead.h"
#include "tar/gzin.h"
#include "tar/tarerr.h"
#include "tar/tarread.h"
#include "tar/tarscan.h"

#define OUTBUF (128 * 1024)
#define RATIO_FLOOR (1024 * 1024)	/* small archives are never bombs; padding alone reaches 100:1 */
#define AHEAD_SLOTS 16			/* inflated ahead: 2 MiB of OUTBUF pieces */

struct cp_tarread {
	struct archive *a;
	struct cp_gzin *gz;
	struct cp_gzahead *ahead;	/* inflating gz on another thread, or NULL: gz read here */
	struct cp_tarscan *scan;
	unsigned char *buf;		/* gz's output when read here */
	const void *piece;		/* the last piece pulled, for libarchive */
	int stream_done, at_end;
	uint64_t index, data_off;
	char *name;			/* the current entry's name, for messages */
	char *link;			/* its link target as its pax header gave it, or NULL */
	struct cp_err err;		/* the first error; it sticks */
	void (*progress)(void *, uint64_t);
	void *progress_arg;
	uint64_t told;			/* compressed bytes told to progress */
};

static int la_error(struct cp_tarread *r, const char *what);

static const char *const typenames[] = {
	"file", "dir", "hardlink", "symlink", "chardev", "blockdev", "fifo",
	"socket", "unknown"
};

const char *
cp_tarread_typename(int type)
{
	if (type < 0 || type > CP_TAR_OTHER)
		type = CP_TAR_OTHER;
	return typenames[type];
}

int
cp_tarread_fail(struct cp_tarread *r, const char *fmt, ...)
{
	va_list ap;

	/* The current entry, or the one about to be read. */
	va_start(ap, fmt);
	if (r->name != NULL)
		cp_tarerr_vset(&r->err, r->index, r->name, strlen(r->name), fmt, ap);
	else
		cp_tarerr_vset(&r->err, r->index + 1, NULL, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/* An error of the gzip reader or the scanner: theirs is the better message; gzin's lacks the entry. */
static void
own_error(struct cp_tarread *r, const struct cp_err *e, int named)
{
	if (r->err.msg[0] != '\0')
		return;
	r->err = *e;
	if (named && r->name != NULL)
		cp_tarerr_entry(&r->err, r->index, r->name, strlen(r->name));
}

/* The next piece of the stream: inflated, scanned, then handed over. */
static ssize_t
pull(struct cp_tarread *r)
{
	ssize_t n;
	uint64_t in = r->told;

	if (r->stream_done)
		return 0;
	if (r->ahead != NULL)
		n = cp_gzahead_next(r->ahead, &r->piece, &in);
	else {
		n = cp_gzin_read(r->gz, r->buf, OUTBUF);
		r->piece = r->buf;
		in = cp_gzin_bytes_in(r->gz);
	}
	if (r->progress != NULL && in > r->told) {
		r->progress(r->progress_arg, in - r->told);
		r->told = in;
	}
	if (n < 0) {
		/* Name the entry whose data was being read, if one was. */
		own_error(r, r->ahead != NULL ? cp_gzahead_error(r->ahead) : cp_gzin_error(r->gz), 1);
		return -1;
	}
	if (n == 0) {
		r->stream_done = 1;
		if (cp_tarscan_end(r->scan) == -1) {
			own_error(r, cp_tarscan_error(r->scan), 0);
			return -1;
		}
		return 0;
	}
	if (cp_tarscan_feed(r->scan, r->piece, (size_t)n) == -1) {
		own_error(r, cp_tarscan_error(r->scan), 0);
		return -1;
	}
	return n;
}

static la_ssize_t
read_cb(struct archive *a, void *arg, const void **buf)
{
	struct cp_tarread *r = arg;
	ssize_t n = pull(r);

	(void)a;
	*buf = r->piece;
	return n < 0 ? ARCHIVE_FATAL : n;
}

/*
 * Inflate on a thread ahead of the reader unless CP_TAR_THREADS is a number
 * below 2 (tests run both ways; the pieces, and so every result and message,
 * are the same).  Anything else, or nothing, means two threads.
 */
static int
ahead_wanted(void)
{
	const char *env = getenv("CP_TAR_THREADS");
	unsigned long n;
	char *end;

	if (env == NULL || *env < '0' || *env > '9')
		return 1;
	n = strtoul(env, &end, 10);
	return *end != '\0' || n >= 2;
}

struct cp_tarread *
cp_tarread_open(int fd, const struct cp_tarread_opts *o)
{
	struct cp_tarread *r = xcalloc(1, sizeof(*r));

	r->buf = xmalloc(OUTBUF);
	r->progress = o->progress;
	r->progress_arg = o->progress_arg;
	r->scan = cp_tarscan_new();
	r->gz = cp_gzin_new(fd, o->max_ratio, RATIO_FLOOR, o->cancel);
	/* Without a thread (none wanted, or none to be had) gz is read and hashed here, as before. */
	if (r->gz != NULL && ahead_wanted())
		r->ahead = cp_gzahead_new(r->gz, OUTBUF, AHEAD_SLOTS, o->hash, o->cancel);
	if (r->gz != NULL && r->ahead == NULL)
		cp_gzin_hash(r->gz, o->hash);
	r->a = archive_read_new();
	if (r->gz == NULL || r->a == NULL ||
	    archive_read_support_format_tar(r->a) != ARCHIVE_OK) {
		cp_tarread_close(r);
		errno = ENOMEM;
		return NULL;
	}
	/* Opening reads the first block: a failure there is the archive's, reported by next. */
	if (archive_read_open(r->a, r, NULL, read_cb, NULL) != ARCHIVE_OK)
		la_error(r, "cannot read the archive");
	return r;
}

static int
la_error(struct cp_tarread *r, const char *what)
{
	const char *s = archive_error_string(r->a);
	char msg[512];

	/* libarchive capitalises its messages; ours are lowercase. */
	snprintf(msg, sizeof(msg), "%s", s != NULL ? s : what);
	if (msg[0] >= 'A' && msg[0] <= 'Z' && (msg[1] < 'A' || msg[1] > 'Z'))
		msg[0] = (char)(msg[0] - 'A' + 'a');
	return cp_tarread_fail(r, "%s", msg);
}

static int
type_of(struct archive_entry *e)
{
	if (archive_entry_hardlink(e) != NULL)
		return CP_TAR_HARDLINK;
	switch (archive_entry_filetype(e)) {
	case AE_IFREG: return CP_TAR_FILE;
	case AE_IFDIR: return CP_TAR_DIR;
	case AE_IFLNK: return CP_TAR_SYMLINK;
	case AE_IFCHR: return CP_TAR_CHAR;
	case AE_IFBLK: return CP_TAR_BLOCK;
	case AE_IFIFO: return CP_TAR_FIFO;
	case AE_IFSOCK: return CP_TAR_SOCKET;
	}
	return CP_TAR_OTHER;
}

/* After libarchive's end: read the rest, so that trailing garbage is seen and refused. */
static int
drain(struct cp_tarread *r)
{
	ssize_t n;
	uint64_t off;

	while ((n = pull(r)) > 0)
		;
	if (n < 0)
		return -1;
	if (cp_tarscan_pop(r->scan, &off))
		return cp_tarread_fail(r, "an entry libarchive did not report (malformed archive)");
	return 0;
}

int
cp_tarread_next(struct cp_tarread *r, struct cp_tarentry *e)
{
	struct archive_entry *ae;
	uint64_t off;
	char *path;
	int rc;

	if (r->err.msg[0] != '\0')
		return -1;
	if (r->at_end)
		return 0;
	free(r->name);
	free(r->link);
	r->name = r->link = NULL;
	rc = archive_read_next_header(r->a, &ae);
	if (rc == ARCHIVE_EOF) {
		if (drain(r) == -1)
			return -1;
		r->at_end = 1;
		return 0;
	}
	if (rc != ARCHIVE_OK)
		return la_error(r, "malformed header");
	r->index++;
	r->data_off = 0;
	if (archive_entry_pathname(ae) == NULL)
		return cp_tarread_fail(r, "name not readable");
	r->name = xstrdup(archive_entry_pathname(ae));
	/* Both parsers must have found this entry where its headers start. */
	if (!cp_tarscan_pop_names(r->scan, &off, &path, &r->link) ||
	    off != (uint64_t)archive_read_header_position(r->a)) {
		free(path);
		return cp_tarread_fail(r, "inconsistent header structure (malformed archive)");
	}
	/* A pax name byte for byte, as GNU tar reads it: libarchive's is NFC (an NFD name changed). */
	if (path != NULL) {
		free(r->name);
		r->name = path;
	}
	if (archive_entry_sparse_count(ae) > 0)
		return cp_tarread_fail(r, "sparse file (not supported)");
	memset(e, 0, sizeof(*e));
	e->name = r->name;
	e->type = type_of(ae);
	if (e->type == CP_TAR_HARDLINK)
		e->link = archive_entry_hardlink(ae);
	else if (e->type == CP_TAR_SYMLINK)
		e->link = archive_entry_symlink(ae);
	if ((e->type == CP_TAR_HARDLINK || e->type == CP_TAR_SYMLINK) && e->link == NULL)
		return cp_tarread_fail(r, "link target not readable");
	if (e->link != NULL && r->link != NULL)
		e->link = r->link;
	e->mode = archive_entry_perm(ae) & 07777;
	e->size = archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0 ?
	    (uint64_t)archive_entry_size(ae) : 0;
	if (e->type != CP_TAR_FILE && e->size != 0)
		return cp_tarread_fail(r, "%s entry with data", cp_tarread_typename(e->type));
	e->index = r->index;
	return 1;
}

ssize_t
cp_tarread_data(struct cp_tarread *r, const void **buf)
{
	size_t size;
	la_int64_t offset;
	int rc;

	if (r->err.msg[0] != '\0')
		return -1;
	rc = archive_read_data_block(r->a, buf, &size, &offset);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc != ARCHIVE_OK)
		return la_error(r, "cannot read the data");
	if (offset < 0 || (uint64_t)offset != r->data_off)
		return cp_tarread_fail(r, "data out of order (sparse file?)");
	r->data_off += size;
	return (ssize_t)size;
}

const struct cp_err *
cp_tarread_error(const struct cp_tarread *r)
{
	return &r->err;
}

void
cp_tarread_close(struct cp_tarread *r)
{
	if (r == NULL)
		return;
	if (r->a != NULL)
		archive_read_free(r->a);
	/* The thread first: it reads gz, and the caller's hash, until it is stopped. */
	cp_gzahead_free(r->ahead);
	cp_gzin_free(r->gz);
	cp_tarscan_free(r->scan);
	free(r->buf);
	free(r->name);
	free(r->link);
	free(r);
}
