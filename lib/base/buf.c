/* buf: a growable byte buffer.
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xalloc.h"

void
cp_buf_grow(struct cp_buf *b, size_t n)
{
	size_t want, cap;

	if (n > SIZE_MAX - b->len - 1)
		want = SIZE_MAX;	/* xrealloc will fail and exit */
	else
		want = b->len + n + 1;
	if (want <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
cp_buf_add(struct cp_buf *b, const void *p, size_t n)
{
	cp_buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
cp_buf_adds(struct cp_buf *b, const char *s)
{
	cp_buf_add(b, s, strlen(s));
}

void
cp_buf_addc(struct cp_buf *b, char c)
{
	cp_buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
cp_buf_reset(struct cp_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
cp_buf_free(struct cp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
