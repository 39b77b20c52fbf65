/* canon: Python's json.dumps, byte for byte, over jansson values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "xalloc.h"

void
cp_canon_string(struct cp_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	char esc[8];

	cp_buf_addc(b, '"');
	while (i < len) {
		for (run = i; run < len && p[run] >= 0x20 && p[run] != '"' && p[run] != '\\'; run++)
			;
		cp_buf_add(b, p + i, run - i);
		if ((i = run) == len)
			break;
		switch (p[i]) {
		case '"': cp_buf_add(b, "\\\"", 2); break;
		case '\\': cp_buf_add(b, "\\\\", 2); break;
		case '\n': cp_buf_add(b, "\\n", 2); break;
		case '\r': cp_buf_add(b, "\\r", 2); break;
		case '\t': cp_buf_add(b, "\\t", 2); break;
		case '\b': cp_buf_add(b, "\\b", 2); break;
		case '\f': cp_buf_add(b, "\\f", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			cp_buf_add(b, esc, 6);
		}
		i++;
	}
	cp_buf_addc(b, '"');
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
	char digits[24], exp[16], *o = out;
	int nd, x, i;

	if (isnan(d)) {
		strcpy(out, "NaN");
		return;
	}
	if (isinf(d)) {
		strcpy(out, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (signbit(d))
		*o++ = '-';
	if (d == 0) {
		strcpy(o, "0.0");
		return;
	}
	shortest(fabs(d), digits, &nd, &x);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (x < -4 || x >= 16) {
		*o++ = digits[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, digits + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		snprintf(exp, sizeof(exp), "e%c%02d", x < 0 ? '-' : '+', abs(x) % 1000);
		strcpy(o, exp);
		return;
	}
	if (x < 0) {
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
}

struct member {
	const char *key;
	size_t len;
	json_t *value;
};

static int
member_cmp(const void *a, const void *b)
{
	const struct member *m = a, *n = b;
	size_t len = m->len < n->len ? m->len : n->len;
	int c = memcmp(m->key, n->key, len);

	/* UTF-8 byte order is code point order, which is how Python sorts str keys. */
	if (c != 0)
		return c;
	return (m->len > n->len) - (m->len < n->len);
}

static void
dump_object(struct cp_buf *b, const json_t *v, unsigned flags, const char *omit)
{
	struct member stack[16], *m = stack;
	size_t n = json_object_size(v), k = 0, i;
	/* jansson's iterator API takes no const; iterating does not modify. */
	json_t *obj = (json_t *)(uintptr_t)v;
	void *it;

	if (n > sizeof(stack) / sizeof(stack[0]))
		m = xreallocarray(NULL, n, sizeof(*m));
	for (it = json_object_iter(obj); it != NULL; it = json_object_iter_next(obj, it)) {
		m[k].key = json_object_iter_key(it);
		m[k].len = json_object_iter_key_len(it);
		m[k].value = json_object_iter_value(it);
		if (omit != NULL && strlen(omit) == m[k].len &&
		    memcmp(omit, m[k].key, m[k].len) == 0)
			continue;
		k++;
	}
	if (flags & CP_CANON_SORT_KEYS)
		qsort(m, k, sizeof(*m), member_cmp);
	cp_buf_addc(b, '{');
	for (i = 0; i < k; i++) {
		if (i > 0)
			cp_buf_add(b, ", ", 2);
		cp_canon_string(b, m[i].key, m[i].len);
		cp_buf_add(b, ": ", 2);
		cp_canon_dump(b, m[i].value, flags, NULL);
	}
	cp_buf_addc(b, '}');
	if (m != stack)
		free(m);
}

void
cp_canon_dump(struct cp_buf *b, const json_t *v, unsigned flags, const char *omit)
{
	char num[CP_CANON_FLOATMAX];
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		dump_object(b, v, flags, omit);
		break;
	case JSON_ARRAY:
		cp_buf_addc(b, '[');
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				cp_buf_add(b, ", ", 2);
			cp_canon_dump(b, json_array_get(v, i), flags, NULL);
		}
		cp_buf_addc(b, ']');
		break;
	case JSON_STRING:
		cp_canon_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		cp_buf_adds(b, num);
		break;
	case JSON_REAL:
		cp_canon_float(json_real_value(v), num);
		cp_buf_adds(b, num);
		break;
	case JSON_TRUE:
		cp_buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		cp_buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		cp_buf_add(b, "null", 4);
		break;
	}
}
