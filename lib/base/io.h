/* io: bounded record reading and complete writes.
 * SPDX-License-Identifier: ISC */
#ifndef CP_IO_H
#define CP_IO_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Read one record ending in delim (or at end of file) from fp into *buf,
 * which is grown as needed (caller frees; *buf and *cap may start NULL/0).
 * The delimiter is not stored; the record is NUL-terminated and *len is its
 * length (it may hold NUL bytes when delim is not NUL).  *ended is set to 1
 * when the record ended with delim, 0 when end of file cut it.
 * Returns 1 for a record, 0 at end of file with nothing read, -1 on a read
 * error (errno set), -2 when the record is longer than max bytes: its rest
 * is consumed and dropped, so the caller may report it and go on.
 */
int cp_io_getrec(FILE *fp, int delim, size_t max, char **buf, size_t *cap,
    size_t *len, int *ended);

/*
 * A record reader on a file descriptor: the same records as cp_io_getrec,
 * found with memchr in a large buffer instead of one getc per byte, for
 * streams of millions of short records.  Caller-allocated; zero it or call
 * cp_io_reader_init, and cp_io_reader_free when done.  Not for a descriptor
 * that stdio also reads.
 */
struct cp_io_reader {
	int fd;
	char *buf;
	size_t size;		/* allocated bytes of buf */
	size_t start, end;	/* buffered, unread bytes are buf[start..end) */
	int eof;
};

/* Start reading fd (the caller keeps it open, and closes it). */
void cp_io_reader_init(struct cp_io_reader *r, int fd);

/*
 * Read one record ending in delim (or at end of file): *rec points to it in
 * the reader's buffer, NUL-terminated, valid until the next call; the rest
 * as cp_io_getrec (*len, *ended, and the return values 1, 0, -1 with errno,
 * and -2 for a record over max bytes, consumed and dropped).  The buffer
 * grows to max + 2 bytes at most (exits 2 when out of memory).
 */
int cp_io_reader_getrec(struct cp_io_reader *r, int delim, size_t max, char **rec,
    size_t *len, int *ended);

/* Release the buffer (the descriptor is the caller's). */
void cp_io_reader_free(struct cp_io_reader *r);

/* Write all n bytes to fd, retrying on EINTR and short writes.  Returns 0 or -1 (errno). */
int cp_io_write_all(int fd, const void *buf, size_t n);

/* Write all n bytes to fd at offset off (pwrite), retrying as cp_io_write_all.  Returns 0 or -1 (errno). */
int cp_io_pwrite_all(int fd, const void *buf, size_t n, off_t off);

/*
 * Read up to n bytes from fd into buf, retrying on EINTR and short reads,
 * until n or the end of the file; *got receives the count.  Returns 0 or -1 (errno).
 */
int cp_io_read_full(int fd, void *buf, size_t n, size_t *got);

/* fsync the directory holding path (so a rename or create in it is durable).  Returns 0 or -1 (errno). */
int cp_io_fsync_parent(const char *path);

#endif
