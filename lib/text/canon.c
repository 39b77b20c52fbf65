/* canon: Python's json.dumps, byte for byte, over jtree values. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
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

/*
 * Python's repr of the number whose shortest digits are digits[0..nd) (no
 * trailing zeros; nd >= 1) with the first at decimal exponent x.  Returns
 * the length written to out.
 */
static int
repr_digits(int neg, const char *digits, int nd, int x, char *out)
{
	char *o = out;
	int i, ax;

	if (neg)
		*o++ = '-';
	if (x < -4 || x >= 16) {
		*o++ = digits[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, digits + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		*o++ = 'e';
		*o++ = x < 0 ? '-' : '+';
		ax = x < 0 ? -x : x;
		if (ax >= 100)
			*o++ = (char)('0' + ax / 100 % 10);
		*o++ = (char)('0' + ax / 10 % 10);
		*o++ = (char)('0' + ax % 10);
	} else if (x < 0) {
		*o++ = '0';
		*o++ = '.';
		for (i = -1; i > x; i--)
			*o++ = '0';
		memcpy(o, digits, (size_t)nd);
		o += nd;
	} else {
		for (i = 0; i <= x; i++)
			*o++ = i < nd ? digits[i] : '0';
		*o++ = '.';
		if (nd > x + 1) {
			memcpy(o, digits + x + 1, (size_t)(nd - x - 1));
			o += nd - x - 1;
		} else
			*o++ = '0';
	}
	*o = '\0';
	return (int)(o - out);
}

/* Split "%.*e" text into its digits (without the point) and decimal exponent. */
static void
split_exp(const char *e, char *digits, int *nd, int *x)
{
	int n = 0;

	for (; *e != 'e'; e++)
		if (*e != '.')
			digits[n++] = *e;
	digits[n] = '\0';
	*nd = n;
	*x = atoi(e + 1);
}

static int
reads_back(const char *digits, int nd, int x, double a)
{
	char t[48];

	snprintf(t, sizeof(t), "%c.%.*se%d", digits[0], nd - 1, digits + 1, x);
	return strtod(t, NULL) == a;
}

/* The correctly rounded p-digit form of a; 1 if it reads back as a. */
static int
probe(double a, int p, char *digits, int *nd, int *x)
{
	char e[48];

	snprintf(e, sizeof(e), "%.*e", p - 1, a);
	split_exp(e, digits, nd, x);
	return reads_back(digits, *nd, *x, a);
}

/*
 * The shortest digits that read back as a (> 0), as David Gay's dtoa mode 0
 * gives Python: the correctly rounded p-digit value for the least p that
 * round-trips.  A longer correct rounding is never farther from a, so the
 * least p is found by bisection.  At a power of two the gap below is half
 * the gap above, so at p - 1 the nearest value may fall outside while the
 * one above it reads back; dtoa then takes that one.
 */
static void
shortest(double a, char *digits, int *nd, int *x)
{
	char d2[24];
	int lo = 1, hi = 17, mid, n2, x2, half, i;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (probe(a, mid, d2, &n2, &x2))
			hi = mid;
		else
			lo = mid + 1;
	}
	probe(a, lo, digits, nd, x);
	if (lo == 1 || frexp(a, &half) != 0.5)
		return;
	probe(a, lo - 1, d2, &n2, &x2);
	for (i = n2 - 1; i >= 0 && d2[i] == '9'; i--)
		d2[i] = '0';
	if (i >= 0)
		d2[i]++;
	else {
		d2[0] = '1';
		x2++;
	}
	if (reads_back(d2, n2, x2, a)) {
		memcpy(digits, d2, (size_t)n2 + 1);
		*nd = n2;
		*x = x2;
	}
}

void
cp_canon_float(double d, char out[CP_CANON_FLOATMAX])
{
	char digits[24];
	int nd, x;

	if (isnan(d)) {
		strcpy(out, "NaN");
		return;
	}
	if (isinf(d)) {
		strcpy(out, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		strcpy(out, signbit(d) ? "-0.0" : "0.0");
		return;
	}
	shortest(fabs(d), digits, &nd, &x);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	repr_digits(signbit(d) != 0, digits, nd, x, out);
}

/* An integer literal within 64 bits, as its digits.  Returns the length, or -1. */
static int
canon_int(const char *lit, size_t len, char *out)
{
	static const char max[] = "9223372036854775807", min[] = "9223372036854775808";
	int neg = lit[0] == '-';
	size_t nd = len - (size_t)neg;

	if (nd > 19 || (nd == 19 && memcmp(lit + neg, neg ? min : max, 19) > 0))
		return -1;
	if (neg && nd == 1 && lit[1] == '0')
		neg = 0, lit++, len--;	/* -0 is the integer 0 */
	memcpy(out, lit, len);
	out[len] = '\0';
	return (int)len;
}

/*
 * A real literal's repr from its own digits, when it has at most 15
 * significant digits and a modest exponent.  Returns the length, or 0 when
 * it must go the exact way.
 */
static int
real_fast(const char *lit, size_t len, char *out)
{
	const char *p = lit, *end = lit + len;
	char digits[16];
	int neg = 0, nd = 0, esign = 1;
	long j = 0, first = -1, intlen = -1, zeros = 0, e = 0, x;

	/* j counts the digits of the mantissa; the one at j has the place intlen - 1 - j. */
	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.') {
			intlen = j;
			continue;
		}
		if (first < 0 && *p == '0') {
			j++;
			continue;
		}
		if (first < 0)
			first = j;
		j++;
		/* Zeros are held back until a digit follows, so trailing ones never count. */
		if (*p == '0') {
			zeros++;
			continue;
		}
		if (nd + zeros + 1 > 15)
			return 0;
		for (; zeros > 0; zeros--)
			digits[nd++] = '0';
		digits[nd++] = *p;
	}
	if (intlen < 0)
		intlen = j;
	if (p < end) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			esign = *p++ == '-' ? -1 : 1;
		for (; p < end; p++) {
			e = e * 10 + (*p - '0');
			if (e > 100000)
				return 0;
		}
	}
	if (nd == 0) {
		strcpy(out, neg ? "-0.0" : "0.0");
		return neg ? 4 : 3;
	}
	x = intlen - 1 - first + esign * e;
	if (x < -300 || x > 300)
		return 0;
	return repr_digits(neg, digits, nd, (int)x, out);
}

int
cp_canon_number(const char *lit, size_t len, char out[CP_CANON_FLOATMAX])
{
	char small[64], *t = small;
	double d;
	int n;

	if (len == 0)
		return -1;
	if (memchr(lit, '.', len) == NULL && memchr(lit, 'e', len) == NULL &&
	    memchr(lit, 'E', len) == NULL)
		return canon_int(lit, len, out);
	if ((n = real_fast(lit, len, out)) > 0)
		return n;
	if (len >= sizeof(small))
		t = xmalloc(len + 1);
	memcpy(t, lit, len);
	t[len] = '\0';
	errno = 0;
	d = strtod(t, NULL);
	n = (d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE;
	if (t != small)
		free(t);
	if (n)
		return -1;	/* beyond a double: jansson's "real number overflow" */
	cp_canon_float(d, out);
	return (int)strlen(out);
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
