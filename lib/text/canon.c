/* canon: Python's json.dumps, byte for byte, over jtree values.
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "text/canon.h"

/*
 * Appending without a call per piece: the serializer's hot path.  The
 * buffer is NUL-terminated once, at the end of cp_canon_dump and
 * cp_canon_string, as struct cp_buf promises.
 */
static inline void
put(struct cp_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len <= n)
		cp_buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void
putc_(struct cp_buf *b, char c)
{
	if (b->cap - b->len <= 1)
		cp_buf_grow(b, 1);
	b->data[b->len++] = c;
}

/* 1 for the bytes json.dumps escapes: '"', '\' and everything below 0x20. */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

#define ONES ((uint64_t)0x0101010101010101)
#define HIGHS ((uint64_t)0x8080808080808080)

/* 1 if a byte of w is below 0x20, or is '"' or '\\' (a zero byte after the xor). */
static inline int
dirty(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), bs = w ^ (ONES * '\\');

	/* The xors keep each byte's high bit, so ~w masks all three tests. */
	return (((w - ONES * 0x20) | (q - ONES) | (bs - ONES)) & ~w & HIGHS) != 0;
}

static void
string(struct cp_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint64_t w;
	char *o;

	/* Room for the string as it is; an escape makes room for the worst of the rest (6 bytes a byte). */
	if (b->cap - b->len <= len + 2)
		cp_buf_grow(b, len + 2);
	o = b->data + b->len;
	*o++ = '"';
	for (;;) {
		/* Eight bytes at a time while none needs an escape, copied as they are checked. */
		for (; len - i >= 8; i += 8, o += 8) {
			memcpy(&w, p + i, 8);
			if (dirty(w))
				break;
			memcpy(o, &w, 8);
		}
		while (i < len && !needs_escape[p[i]])
			*o++ = (char)p[i++];
		if (i == len)
			break;
		b->len = (size_t)(o - b->data);
		if (b->cap - b->len <= 6 * (len - i) + 1) {
			if (len - i > (SIZE_MAX - 2) / 6)
				xmalloc(SIZE_MAX);	/* exits: out of memory */
			cp_buf_grow(b, 6 * (len - i) + 1);
		}
		o = b->data + b->len;
		*o++ = '\\';
		switch (p[i]) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[p[i] >> 4];
			o[4] = hex[p[i] & 0xf];
			o += 5;
		}
		i++;
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
}

void
cp_canon_string(struct cp_buf *b, const char *s, size_t len)
{
	string(b, s, len);
	b->data[b->len] = '\0';
}

/* A container being written: the node and the next member or element. */
struct frame {
	const struct cp_jnode *c;
	size_t i;
	int written;		/* members written so far (one may be omitted) */
};

#define FRAMES 32	/* on the stack; deeper trees spill to the heap */

static const struct cp_jnode *
member(const struct frame *f, unsigned flags)
{
	if (f->c->type == CP_JOBJECT && (flags & CP_CANON_SORT_KEYS))
		return f->c->u.c.sorted[f->i];
	return &f->c->u.c.kid[f->i];
}

/* Write a scalar, or open a container (1: push it). */
static int
dump_one(struct cp_buf *b, const struct cp_jnode *v)
{
	switch (v->type) {
	case CP_JOBJECT:
	case CP_JARRAY:
		if (v->len == 0) {
			put(b, v->type == CP_JOBJECT ? "{}" : "[]", 2);
			return 0;
		}
		putc_(b, v->type == CP_JOBJECT ? '{' : '[');
		return 1;
	case CP_JSTRING:
		string(b, v->u.s, v->len);
		break;
	case CP_JINT:
	case CP_JREAL:
		put(b, v->u.s, v->len);
		break;
	case CP_JTRUE:
		put(b, "true", 4);
		break;
	case CP_JFALSE:
		put(b, "false", 5);
		break;
	default:
		put(b, "null", 4);
		break;
	}
	return 0;
}

void
cp_canon_dump(struct cp_buf *b, const struct cp_jnode *v, unsigned flags, const char *omit)
{
	struct frame local[FRAMES], *st = local, *f;
	size_t n = 0, cap = FRAMES, omitlen = omit ? strlen(omit) : 0;
	const struct cp_jnode *m;

	if (dump_one(b, v))
		st[n++] = (struct frame){ v, 0, 0 };
	while (n > 0) {
		f = &st[n - 1];
		if (f->i == f->c->len) {
			putc_(b, f->c->type == CP_JOBJECT ? '}' : ']');
			n--;
			continue;
		}
		m = member(f, flags);
		f->i++;
		if (n == 1 && omit != NULL && f->c->type == CP_JOBJECT && m->klen == omitlen &&
		    memcmp(m->key, omit, omitlen) == 0)
			continue;
		if (f->written++ > 0)
			put(b, ", ", 2);
		if (f->c->type == CP_JOBJECT) {
			string(b, m->key, m->klen);
			put(b, ": ", 2);
		}
		if (!dump_one(b, m))
			continue;
		if (n == cap) {
			cap *= 2;
			if (st == local) {
				st = xreallocarray(NULL, cap, sizeof(*st));
				memcpy(st, local, sizeof(local));
			} else
				st = xreallocarray(st, cap, sizeof(*st));
		}
		st[n++] = (struct frame){ m, 0, 0 };
	}
	if (st != local)
		free(st);
	b->data[b->len] = '\0';
}
