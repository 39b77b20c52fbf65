/* tarread: the entries of a tar.gz stream, read by libarchive under a strict gzip reader and tarscan.
 * SPDX-License-Identifier: ISC */
#ifndef CP_TARREAD_H
#define CP_TARREAD_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "hash/sha256.h"

/* What an entry is. */
enum cp_tartype {
	CP_TAR_FILE, CP_TAR_DIR, CP_TAR_HARDLINK, CP_TAR_SYMLINK,
	CP_TAR_CHAR, CP_TAR_BLOCK, CP_TAR_FIFO, CP_TAR_SOCKET, CP_TAR_OTHER
};

/* "file", "dir", "hardlink", "symlink", "chardev", "blockdev", "fifo", "socket", "unknown". */
const char *cp_tarread_typename(int type);

/* One entry's header, as stored.  Strings are valid until the next cp_tarread_next. */
struct cp_tarentry {
	const char *name;	/* the path as stored (never holds a NUL: tarscan refuses that) */
	const char *link;	/* hard or symbolic link target as stored, else NULL */
	int type;		/* enum cp_tartype */
	unsigned mode;		/* permission bits, with setuid, setgid and sticky (07777) */
	uint64_t size;		/* bytes of data (0 unless a file) */
	uint64_t index;		/* 1 for the first entry */
};

struct cp_tarread_opts {
	uint64_t max_ratio;		/* see cp_gzin_new; 0: no cap */
	volatile sig_atomic_t *cancel;	/* see cp_gzin_new; may be NULL */
	/*
	 * Fed the compressed bytes as they are read (cp_gzin_hash), on another
	 * thread (cp_gzahead) until cp_tarread_close: complete once
	 * cp_tarread_next has returned 0, or after cp_tarread_close (then it
	 * covers all that was read of fd, whatever the end).  May be NULL.
	 */
	struct cp_sha256 *hash;
	/* Told the compressed bytes read since the last call (may be NULL). */
	void (*progress)(void *progress_arg, uint64_t n);
	void *progress_arg;
};

struct cp_tarread;

/*
 * Read a gzip-compressed tar archive from fd.  The program must run in a
 * UTF-8 locale (cp-tar sets C.UTF-8) for libarchive to accept pax names;
 * an entry's name and link target are then the pax header's bytes as they
 * are (tarscan's), not libarchive's NFC form of them.
 * Returns NULL with errno set if libarchive or zlib cannot be set up.
 * Caller releases with cp_tarread_close.
 */
struct cp_tarread *cp_tarread_open(int fd, const struct cp_tarread_opts *o);

/*
 * The next entry.  Returns 1 and fills e; 0 at the end of the archive, once
 * the rest of the stream has been read and checked (only zero blocks after
 * the end-of-archive marker, nothing after the gzip data); -1 on an error
 * (see cp_tarread_error).  The data of the previous entry, if not read, is
 * skipped.
 */
int cp_tarread_next(struct cp_tarread *r, struct cp_tarentry *e);

/* The next piece of the current entry's data: sets *buf and returns its length, 0 at its end, -1 on an error. */
ssize_t cp_tarread_data(struct cp_tarread *r, const void **buf);

/* The first error, naming the entry: "entry N 'name': what" (or "entry N: what"); msg "" if none. */
const struct cp_err *cp_tarread_error(const struct cp_tarread *r);

/* Record an error about the current entry (the first error sticks); returns -1. */
int cp_tarread_fail(struct cp_tarread *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Release r (fd is not closed; until then it is read, perhaps on another thread); safe on NULL. */
void cp_tarread_close(struct cp_tarread *r);

#endif
