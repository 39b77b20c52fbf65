/* gzin: a strict gzip reader: only gzip, nothing after it, and a cap on the compression ratio.
 * SPDX-License-Identifier: ISC */
#ifndef CP_GZIN_H
#define CP_GZIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "hash/sha256.h"

struct cp_gzin;

/*
 * Read gzip data from fd.  Concatenated members are one stream (RFC 1952);
 * anything else after a member, input that does not start as gzip, a
 * truncated or corrupt member are errors.  When more than floor bytes have
 * come out and they exceed max_ratio times the bytes that went in, reading
 * stops with an error (a decompression bomb); max_ratio 0 disables that.
 * When cancel is not NULL and becomes nonzero (a signal handler sets it),
 * a read interrupted by the signal fails with "interrupted".
 * Caller releases with cp_gzin_free.
 */
struct cp_gzin *cp_gzin_new(int fd, uint64_t max_ratio, uint64_t floor,
    volatile sig_atomic_t *cancel);

/*
 * Inflate up to n bytes into buf.  Returns the count (> 0), 0 at the end of
 * the stream once everything in fd was read and checked, -1 on an error
 * (see cp_gzin_error; errors are sticky).
 */
ssize_t cp_gzin_read(struct cp_gzin *g, void *buf, size_t n);

/* What went wrong, lowercase, without the entry (the caller knows that); msg "" before any error. */
const struct cp_err *cp_gzin_error(const struct cp_gzin *g);

/* Bytes read from fd so far, and bytes inflated so far. */
uint64_t cp_gzin_bytes_in(const struct cp_gzin *g);
uint64_t cp_gzin_bytes_out(const struct cp_gzin *g);

/*
 * Feed every byte read from fd from now on, as it is read, to h (an
 * initialised context, the caller's; NULL stops).  Since cp_gzin_read
 * returns 0 only once fd has been read to its end, the digest then covers
 * exactly the compressed bytes that were inflated: check what you use, in
 * the same read.
 */
void cp_gzin_hash(struct cp_gzin *g, struct cp_sha256 *h);

/*
 * The same with any consumer: fn(arg, buf, n) is given every byte read
 * from fd from now on, as it is read (NULL stops); when it returns -1,
 * reading fails with "cannot hash the archive".  cp_gzin_hash is a tap.
 */
typedef int (*cp_gzin_tap_fn)(void *arg, const void *buf, size_t n);
void cp_gzin_tap(struct cp_gzin *g, cp_gzin_tap_fn fn, void *arg);

/*
 * From now on, wait before each read of fd until it or stopfd is readable;
 * once stopfd is (another thread wrote to it), reading fails with "stopped".
 * For a thread that reads fd on another's behalf (cp_gzahead): a read
 * from a pipe that never delivers must not keep it from being stopped.
 */
void cp_gzin_stopfd(struct cp_gzin *g, int stopfd);

/* Release g (fd is not closed); safe on NULL. */
void cp_gzin_free(struct cp_gzin *g);

#endif
