/* gzahead: a gzin stream inflated on a thread of its own, ahead of its reader, in a bounded ring.
 * SPDX-License-Identifier: ISC */
#ifndef CP_GZAHEAD_H
#define CP_GZAHEAD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "tar/gzin.h"

struct cp_gzahead;

/*
 * Start a thread that calls cp_gzin_read(g, buf, chunk) into a ring of
 * slots (slots * chunk bytes in all) while the caller uses what it read
 * before.  Each slot holds what one call returned, so the caller sees the
 * same pieces, in the same order, ending the same way (0 or -1) as calling
 * cp_gzin_read itself would.  When hash is not NULL it is fed every
 * compressed byte read, in order, as cp_gzin_hash would feed it (do not
 * also set that), by whichever thread has time: the caller while it waits
 * for a piece, the thread when it is far ahead; once cp_gzahead_next has
 * returned 0, or after cp_gzahead_free whatever the end, the digest covers
 * every byte read from fd, in order (fd's offset is past them: hashing
 * what is left of fd then gives the whole file's).  From here until
 * cp_gzahead_free, g, hash and fd belong to the thread.  The thread runs with
 * every signal blocked (a program's handlers keep running on its own
 * thread).  When cancel is not NULL and becomes nonzero while the caller
 * waits for a slot, cp_gzahead_next fails with "interrupted".
 * Returns NULL with errno set if the thread cannot start (then read g
 * directly).  Caller releases with cp_gzahead_free.
 */
struct cp_gzahead *cp_gzahead_new(struct cp_gzin *g, size_t chunk, unsigned slots,
    struct cp_sha256 *hash, volatile sig_atomic_t *cancel);

/*
 * The next piece: sets *buf (valid until the next call or cp_gzahead_free)
 * and returns its length; 0 at the end of the stream, -1 on an error (see
 * cp_gzahead_error).  The end and errors are sticky.  When bytes_in is not
 * NULL it is set to the compressed bytes read up to this piece.
 */
ssize_t cp_gzahead_next(struct cp_gzahead *a, const void **buf, uint64_t *bytes_in);

/* Why cp_gzahead_next failed: gzin's error, or "interrupted"; msg "" before any error. */
const struct cp_err *cp_gzahead_error(const struct cp_gzahead *a);

/*
 * Stop the thread (even one waiting on a read that never returns), wait for
 * it, finish hashing what it read, release a; g is not freed.  Safe on NULL.
 */
void cp_gzahead_free(struct cp_gzahead *a);

#endif
