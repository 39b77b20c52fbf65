/* io: bounded record reading and complete writes. */
#ifndef CP_IO_H
#define CP_IO_H

#include <stddef.h>
#include <stdio.h>

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

/* Write all n bytes to fd, retrying on EINTR and short writes.  Returns 0 or -1 (errno). */
int cp_io_write_all(int fd, const void *buf, size_t n);

/* fsync the directory holding path (so a rename or create in it is durable).  Returns 0 or -1 (errno). */
int cp_io_fsync_parent(const char *path);

#endif
