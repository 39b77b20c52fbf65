/* gzout: a gzip writer whose bytes depend only on the data and the level, compressing on many threads.
 * SPDX-License-Identifier: ISC */
#ifndef CP_GZOUT_H
#define CP_GZOUT_H

#include <stddef.h>

/*
 * The stream is one gzip member with no name, no comment, no extra field,
 * mtime 0 and OS 3 (Unix), as "gzip -n" writes it.  The data is cut into
 * blocks of CP_GZOUT_BLOCK bytes; each is deflated on its own, primed with
 * the 32 KiB before it as dictionary (as pigz does), so the output is the
 * same for any number of threads, and differs from single-stream zlib
 * output only by a few bytes per block.  It is a function of the input,
 * the level and the zlib version.
 */
#define CP_GZOUT_BLOCK (128 * 1024)

struct cp_gzout;

/*
 * Start a stream written to fd at level (0-9) with jobs threads (1: no
 * threads; the output is the same).  Returns NULL with errno set when
 * zlib or a thread cannot be set up.  Caller releases with cp_gzout_free.
 */
struct cp_gzout *cp_gzout_new(int fd, int level, int jobs);

/* Compress n more bytes.  Returns 0, or -1 with errno set (a write to fd failed; the stream is then dead). */
int cp_gzout_write(struct cp_gzout *z, const void *buf, size_t n);

/* Compress what is left and write the trailer.  Returns 0 or -1 (errno).  fd is not closed. */
int cp_gzout_finish(struct cp_gzout *z);

/* Stop the threads and release z (finished or not); safe on NULL. */
void cp_gzout_free(struct cp_gzout *z);

#endif
