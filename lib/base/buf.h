/* buf: a growable byte buffer, for building output whose length is not known in advance.
 * SPDX-License-Identifier: ISC */
#ifndef CP_BUF_H
#define CP_BUF_H

#include <stddef.h>

/* Caller-allocated; start with CP_BUF_INIT (or zeroed).  data is NUL-terminated whenever len > 0. */
struct cp_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define CP_BUF_INIT { NULL, 0, 0 }

/* Make room for n more bytes (exits 2 when out of memory, as xmalloc). */
void cp_buf_grow(struct cp_buf *b, size_t n);

/* Append n bytes, a NUL-terminated string, or one byte.  Exit 2 when out of memory. */
void cp_buf_add(struct cp_buf *b, const void *p, size_t n);
void cp_buf_adds(struct cp_buf *b, const char *s);
void cp_buf_addc(struct cp_buf *b, char c);

/* Empty the buffer, keeping its memory. */
void cp_buf_reset(struct cp_buf *b);

/* Release the memory; b is empty and reusable afterwards. */
void cp_buf_free(struct cp_buf *b);

#endif
