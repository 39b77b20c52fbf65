/* zgzip.h: gzip written by zlib's deflate, the independent writer the gzip readers' unit tests read.
 * SPDX-License-Identifier: ISC */
#ifndef CP_ZGZIP_H
#define CP_ZGZIP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* gzip of src by zlib (deflateSetHeader's fields when hd is not NULL) at dst; returns its length. */
static inline size_t
gz(const void *src, size_t n, gz_header *hd, unsigned char *dst, size_t cap)
{
	z_stream z;
	size_t len;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	if (hd != NULL && deflateSetHeader(&z, hd) != Z_OK)
		abort();
	z.next_in = (unsigned char *)(uintptr_t)src;
	z.avail_in = (uInt)n;
	z.next_out = dst;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		abort();
	len = z.total_out;
	deflateEnd(&z);
	return len;
}

#endif
