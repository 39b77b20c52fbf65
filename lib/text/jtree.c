/* jtree: yajl's events built into a tree in an arena reused from text to text; jansson as the reference.
 * SPDX-License-Identifier: ISC */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "base/utf8.h"
#include "base/xalloc.h"
#include "text/pynum.h"
#include "text/jtree.h"

/*
 * yajl allocates from the tree's arena, so a parse costs no malloc: free is
 * a no-op and realloc copies, each block remembering its size in front.
 */
#define HDR (_Alignof(max_align_t))

static void *
ya_malloc(void *ctx, size_t sz)
{
	char *p = cp_arena_alloc(&((struct cp_jtree *)ctx)->arena, HDR + sz);

	memcpy(p, &sz, sizeof(sz));
	return p + HDR;
}

static void *
ya_realloc(void *ctx, void *old, size_t sz)
{
	char *p = ya_malloc(ctx, sz);
	size_t was;

	if (old != NULL) {
		memcpy(&was, (char *)old - HDR, sizeof(was));
		memcpy(p, old, was < sz ? was : sz);
	}
	return p;
}

static void
ya_free(void *ctx, void *p)
{
	(void)ctx;
	(void)p;
}

/* Values an ordinary text needs at most; a stack grown past it by a hostile one is given back. */
#define KEEP_VALUES 65536

/* Start afresh: the previous tree is dropped, the memory kept (within reason). */
static void
reset(struct cp_jtree *t)
{
	cp_arena_reset(&t->arena);
	if (t->capval > KEEP_VALUES) {
		free(t->val);
		t->val = NULL;
		t->capval = 0;
	}
	t->nval = t->nopen = 0;
	t->key = NULL;
	t->klen = 0;
	t->src = t->copy = NULL;
	t->srclen = 0;
	t->fail = 0;
	t->nnum = t->inum = t->seen = 0;
	t->yajl = NULL;
	t->end = 0;
}

/*
 * A string yajl hands over, kept NUL-terminated: one without escapes lies
 * in the text, so it is taken from the text's copy, its closing quote
 * overwritten; a decoded one (in yajl's buffer) is copied, and *decoded
 * (when not NULL) says so.
 */
static const char *
keep(struct cp_jtree *t, const char *s, size_t len, int *decoded)
{
	uintptr_t at = (uintptr_t)s, src = (uintptr_t)t->src;
	size_t off;
	char *p;

	if (t->src != NULL && at >= src && at - src < t->srclen &&
	    (off = at - src) + len < t->srclen && t->src[off + len] == '"') {
		p = t->copy + off;
		p[len] = '\0';
		if (decoded != NULL)
			*decoded = 0;
		return p;
	}
	if (decoded != NULL)
		*decoded = 1;
	return cp_arena_strndup(&t->arena, s, len);
}

/* Room for one more value; 0 when it would be deeper than jansson allows. */
static struct cp_jnode *
push(struct cp_jtree *t, int type)
{
	struct cp_jnode *v;

	if (t->nopen + 1 > CP_JTREE_DEPTH_MAX) {
		t->fail = 1;
		return NULL;
	}
	if (t->nval == t->capval) {
		t->capval = t->capval ? 2 * t->capval : 64;
		t->val = xreallocarray(t->val, t->capval, sizeof(*t->val));
	}
	v = &t->val[t->nval++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->key = t->key;
	v->klen = t->klen;
	t->key = NULL;
	t->klen = 0;
	return v;
}

/* A value that holds no other, with its text, if any. */
static int
put(struct cp_jtree *t, int type, const char *s, size_t len)
{
	struct cp_jnode *v = push(t, type);

	if (v == NULL)
		return 0;
	if (s != NULL) {
		v->u.s = keep(t, s, len, NULL);
		v->len = len;
	}
	return 1;
}

/* A scalar from yajl; at the top level jansson wants an object or an array. */
static int
scalar(struct cp_jtree *t, int type, const char *s, size_t len)
{
	if (t->nopen == 0) {
		t->fail = 1;
		return 0;
	}
	return put(t, type, s, len);
}

static int
open_container(struct cp_jtree *t, int type)
{
	if (push(t, type) == NULL)
		return 0;
	if (t->nopen == t->capopen) {
		t->capopen = t->capopen ? 2 * t->capopen : 64;
		t->open = xreallocarray(t->open, t->capopen, sizeof(*t->open));
	}
	t->open[t->nopen++] = t->nval;
	return 1;
}

static int
keycmp(const struct cp_jnode *a, const struct cp_jnode *b)
{
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c;

	/* UTF-8 byte order is code point order, which is how Python sorts str keys. */
	if (n > 0 && a->key[0] != b->key[0])
		return (unsigned char)a->key[0] - (unsigned char)b->key[0];
	if ((c = memcmp(a->key, b->key, n)) != 0)
		return c;
	return (a->klen > b->klen) - (a->klen < b->klen);
}

static int
keycmp_q(const void *a, const void *b)
{
	return keycmp(*(const struct cp_jnode *const *)a, *(const struct cp_jnode *const *)b);
}

/*
 * Point s[0..n) at the members m[0..n) in key order.  Returns 0, or -1 when
 * two keys are equal.  With t, the order of the last object of n members
 * is tried first: the records of a file mostly list their keys alike, and
 * an order under which every key is above the one before is the sorted
 * order, duplicates excluded (n - 1 comparisons, checked, not assumed).
 */
static int
sort_members(struct cp_jtree *t, const struct cp_jnode **s, const struct cp_jnode *m, size_t n)
{
	const struct cp_jnode *x;
	size_t i, j;
	int cached = t != NULL && n >= 2 && n <= CP_JTREE_ORDERS;

	if (cached && (t->ordered >> n & 1)) {
		s[0] = &m[t->order[n][0]];
		for (i = 1; i < n; i++) {
			s[i] = &m[t->order[n][i]];
			if (keycmp(s[i - 1], s[i]) >= 0)
				break;
		}
		if (i == n)
			return 0;
	}
	for (i = 0; i < n; i++)
		s[i] = &m[i];
	if (n > 16)
		qsort(s, n, sizeof(*s), keycmp_q);
	else {
		for (i = 1; i < n; i++) {
			x = s[i];
			for (j = i; j > 0 && keycmp(s[j - 1], x) > 0; j--)
				s[j] = s[j - 1];
			s[j] = x;
		}
	}
	for (i = 1; i < n; i++)
		if (keycmp(s[i - 1], s[i]) == 0)
			return -1;
	if (cached) {
		for (i = 0; i < n; i++)
			t->order[n][i] = (unsigned char)(s[i] - m);
		t->ordered |= 1ul << n;
	}
	return 0;
}

int
cp_jtree_object(struct cp_jnode *obj, const struct cp_jnode *m, const struct cp_jnode **sorted,
    size_t n)
{
	obj->type = CP_JOBJECT;
	obj->len = n;
	obj->u.c.kid = m;
	obj->u.c.sorted = sorted;
	return sort_members(NULL, sorted, m, n);
}

/* The open container is complete: its values move into the arena, it stays as a value. */
static int
close_container(struct cp_jtree *t)
{
	size_t start = t->open[--t->nopen], n = t->nval - start;
	struct cp_jnode *c = &t->val[start - 1], *kid = NULL;
	const struct cp_jnode **sorted;

	if (n > 0) {
		if (n > SIZE_MAX / sizeof(*kid))
			xmalloc(SIZE_MAX);	/* exits: out of memory */
		kid = cp_arena_alloc(&t->arena, n * sizeof(*kid));
		memcpy(kid, &t->val[start], n * sizeof(*kid));
	}
	t->nval = start;
	c->len = n;
	c->u.c.kid = kid;
	/* yajl has just read the top-level value's last byte: what follows must be white space. */
	if (t->nopen == 0 && t->yajl != NULL)
		t->end = yajl_get_bytes_consumed(t->yajl);
	if (c->type != CP_JOBJECT || n == 0)
		return 1;
	if (n > SIZE_MAX / sizeof(*sorted))
		xmalloc(SIZE_MAX);	/* exits: out of memory */
	sorted = cp_arena_alloc(&t->arena, n * sizeof(*sorted));
	c->u.c.sorted = sorted;
	if (sort_members(t, sorted, kid, n) == -1) {
		t->fail = 1;	/* a duplicate key */
		return 0;
	}
	return 1;
}

static int
on_null(void *ctx)
{
	return scalar(ctx, CP_JNULL, NULL, 0);
}

static int
on_boolean(void *ctx, int b)
{
	return scalar(ctx, b ? CP_JTRUE : CP_JFALSE, NULL, 0);
}

/* The next number of the text, or the Python number that stood there (CP_JTREE_PYTHON). */
static int
number(struct cp_jtree *t, int type, const char *s, size_t len)
{
	const struct cp_jtree_num *n;

	if (t->inum < t->nnum && t->num[t->inum].at == t->seen++) {
		n = &t->num[t->inum++];
		return scalar(t, n->type, n->s, n->len);
	}
	return scalar(t, type, s, len);
}

/* 1 if the number s[0..len) has a fraction or an exponent (a real, to JSON and to Python). */
static int
has_point(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			return 1;
	return 0;
}

static int
on_number(void *ctx, const char *s, size_t len)
{
	char text[CP_PYNUM_MAX];
	int n = cp_pynum_number(s, len, text);

	if (n < 0) {
		((struct cp_jtree *)ctx)->fail = 1;
		return 0;
	}
	return number(ctx, has_point(s, len) ? CP_JREAL : CP_JINT, text, (size_t)n);
}

static int
on_string(void *ctx, const unsigned char *s, size_t len)
{
	return scalar(ctx, CP_JSTRING, (const char *)s, len);
}

static int
on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct cp_jtree *t = ctx;
	int decoded;
	const char *k = keep(t, (const char *)s, len, &decoded);

	/* jansson refuses "\u0000" in a key: only a decoded key can hold one. */
	if (decoded && memchr(k, '\0', len) != NULL) {
		t->fail = 1;
		return 0;
	}
	t->key = k;
	t->klen = len;
	return 1;
}

static int
on_start_map(void *ctx)
{
	return open_container(ctx, CP_JOBJECT);
}

static int
on_start_array(void *ctx)
{
	return open_container(ctx, CP_JARRAY);
}

static int
on_end(void *ctx)
{
	return close_container(ctx);
}

static const yajl_callbacks callbacks = {
	on_null, on_boolean, NULL, NULL, on_number, on_string,
	on_start_map, on_key, on_end, on_start_array, on_end
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The code unit of the \u escape at p (6 bytes available), or -1. */
static long
uescape(const char *p)
{
	long v = 0;
	int i, h;

	if (p[0] != '\\' || p[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		if ((h = hexval((unsigned char)p[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * 1 if every \u escape of a surrogate in text is a high one followed by a
 * low one: yajl 2.1 turns a lone high surrogate into "?" and pairs one with
 * any escape that follows, where jansson refuses both.  Backslashes only
 * stand in strings, so escapes are found from one backslash to the next.
 */
static int
surrogates_paired(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	long u, lo;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		if (end - p < 6 || p[1] != 'u') {
			p += 2;
			if (p >= end)
				break;
			continue;
		}
		if ((u = uescape(p)) < 0)
			return 1;	/* yajl refuses it */
		p += 6;
		if (u >= 0xDC00 && u <= 0xDFFF)
			return 0;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (end - p < 6 || (lo = uescape(p)) < 0xDC00 || lo > 0xDFFF)
				return 0;
			p += 6;
		}
	}
	return 1;
}

/*
 * The index of the '"' that ends the string whose text begins at i (after
 * its opening quote), or len when it is unterminated.  A string is mostly
 * plain: memchr finds its end, and a backslash before it sends the search
 * on past the escaped byte.  esc 0 says the text holds no backslash at all.
 */
static size_t
string_end(const char *text, size_t len, size_t i, int esc)
{
	const char *q, *b;

	while (i < len) {
		if ((q = memchr(text + i, '"', len - i)) == NULL)
			return len;
		if (!esc || (b = memchr(text + i, '\\', (size_t)(q - (text + i)))) == NULL)
			return (size_t)(q - text);
		i = (size_t)(b - text) + 2;	/* the escaped byte may be the quote */
	}
	return len;
}

#define ONES ((uint64_t)0x0101010101010101)
#define HIGHS ((uint64_t)0x8080808080808080)

/* 1 if a byte of w, an ASCII word (no high bit set), is c (< 0x80). */
static inline int
has_byte(uint64_t w, unsigned char c)
{
	/*
	 * No byte of w ^ c has its high bit set, so subtracting one from each
	 * sets a high bit only in a zero byte, or in a byte above one (its
	 * borrow): some high bit is set exactly when some byte is zero.
	 */
	return (((w ^ (ONES * c)) - ONES) & HIGHS) != 0;
}

/*
 * One pass for what yajl lets through and jansson does not: UTF-8 that
 * only a strict check refuses (overlong forms, encoded surrogates, beyond
 * U+10FFFF), and \v and \f (white space to yajl).  Returns 1 if text has
 * none, setting *esc when it holds a backslash (so escapes need a look).
 */
static int
prescan(const char *text, size_t len, int *esc)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, n;
	uint64_t w;

	*esc = 0;
	while (i < len) {
		/* Eight plain ASCII bytes at a time: no high bit, no \v, \f or backslash. */
		if (len - i >= 8) {
			memcpy(&w, p + i, 8);
			if ((w & HIGHS) == 0 && !has_byte(w, '\v') && !has_byte(w, '\f') &&
			    (*esc || !has_byte(w, '\\'))) {
				i += 8;
				continue;
			}
		}
		if (p[i] == '\v' || p[i] == '\f')
			return 0;
		if (p[i] == '\\')
			*esc = 1;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = cp_utf8_seqlen(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * Nothing follows the value yajl read but white space.  yajl refuses every
 * token after it but an unterminated string ({}" or {}"}), whose rest its
 * lexer waits for and its complete_parse never asks about (jansson and
 * Python refuse it: "Extra data"); so the bytes after where the top-level
 * value ended (t->end, 0 when it never did) are looked at.
 */
static int
nothing_after(const struct cp_jtree *t, const char *text, size_t len)
{
	return t->end > 0 && t->end <= len && cp_jtree_blank(text + t->end, len - t->end);
}

/* cp_jtree_parse on a tree already reset. */
static const struct cp_jnode *
parse(struct cp_jtree *t, const char *text, size_t len)
{
	yajl_alloc_funcs afs = { ya_malloc, ya_realloc, ya_free, t };
	const unsigned char *u = (const unsigned char *)text;
	struct cp_jnode *root;
	yajl_handle h;
	yajl_status st;
	int esc;

	/* What yajl lets through and jansson does not (prescan), and unpaired surrogates. */
	if (!prescan(text, len, &esc) || (esc && !surrogates_paired(text, len)))
		return NULL;
	t->src = text;
	t->srclen = len;
	t->copy = cp_arena_alloc(&t->arena, len + 1);
	memcpy(t->copy, text, len);
	if ((h = yajl_alloc(&callbacks, &afs, t)) == NULL)
		xmalloc(SIZE_MAX);	/* exits: out of memory */
	yajl_config(h, yajl_dont_validate_strings, 1);
	t->yajl = h;
	st = yajl_parse(h, u, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	t->yajl = NULL;
	yajl_free(h);
	if (st != yajl_status_ok || t->fail || t->nval != 1 || t->nopen != 0 ||
	    !nothing_after(t, text, len))
		return NULL;
	root = cp_arena_alloc(&t->arena, sizeof(*root));
	*root = t->val[0];
	return root;
}

const struct cp_jnode *
cp_jtree_parse(struct cp_jtree *t, const char *text, size_t len)
{
	reset(t);
	return parse(t, text, len);
}

/* Walk v into t as yajl's events would come; the depth is checked before each step down. */
static int
from_json(struct cp_jtree *t, const json_t *v)
{
	char num[CP_PYNUM_MAX];
	const char *key;
	json_t *obj = (json_t *)(uintptr_t)v;	/* jansson's iterators take no const; they do not modify */
	void *it;
	size_t i;
	int n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (!open_container(t, CP_JOBJECT))
			return 0;
		for (it = json_object_iter(obj); it != NULL; it = json_object_iter_next(obj, it)) {
			key = json_object_iter_key(it);
			t->klen = json_object_iter_key_len(it);
			t->key = cp_arena_strndup(&t->arena, key, t->klen);
			if (!from_json(t, json_object_iter_value(it)))
				return 0;
		}
		return close_container(t);
	case JSON_ARRAY:
		if (!open_container(t, CP_JARRAY))
			return 0;
		for (i = 0; i < json_array_size(v); i++)
			if (!from_json(t, json_array_get(v, i)))
				return 0;
		return close_container(t);
	case JSON_STRING:
		return put(t, CP_JSTRING, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return number(t, CP_JINT, num, (size_t)n);
	case JSON_REAL:
		cp_pynum_float(json_real_value(v), num);
		return number(t, CP_JREAL, num, strlen(num));
	case JSON_TRUE:
		return put(t, CP_JTRUE, NULL, 0);
	case JSON_FALSE:
		return put(t, CP_JFALSE, NULL, 0);
	default:
		return put(t, CP_JNULL, NULL, 0);
	}
}

/* cp_jtree_from_json on a tree already reset. */
static const struct cp_jnode *
tree_of(struct cp_jtree *t, const json_t *v)
{
	struct cp_jnode *root;

	if (!from_json(t, v) || t->nval != 1)
		return NULL;
	root = cp_arena_alloc(&t->arena, sizeof(*root));
	*root = t->val[0];
	return root;
}

const struct cp_jnode *
cp_jtree_from_json(struct cp_jtree *t, const json_t *v)
{
	reset(t);
	return tree_of(t, v);
}

/* Python's int(str) refuses more digits than this (sys.get_int_max_str_digits(), 3.11). */
#define PY_INT_DIGITS_MAX 4300

static int
word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '.' || c == '+' || c == '-';
}

/* The len bytes at p are a word of their own: no letter, digit or number sign touches them. */
static int
alone(const char *text, size_t len, size_t at, size_t n)
{
	return (at == 0 || !word_char((unsigned char)text[at - 1])) &&
	    (at + n == len || !word_char((unsigned char)text[at + n]));
}

/* Remember that the number at ordinal at is Python's s (a copy is kept). */
static void
remember(struct cp_jtree *t, size_t at, int type, const char *s, size_t len)
{
	struct cp_jtree_num *n;

	if (t->nnum == t->capnum) {
		t->capnum = t->capnum ? 2 * t->capnum : 16;
		t->num = xreallocarray(t->num, t->capnum, sizeof(*t->num));
	}
	n = &t->num[t->nnum++];
	n->at = at;
	n->type = type;
	n->s = cp_arena_strndup(&t->arena, s, len);
	n->len = len;
}

/* 1 if w[0..n) is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number(const char *w, size_t n)
{
	size_t i = w[0] == '-', d;

	if (i == n || w[i] < '0' || w[i] > '9' || (w[i] == '0' && i + 1 < n && w[i + 1] >= '0' &&
	    w[i + 1] <= '9'))
		return 0;
	while (i < n && w[i] >= '0' && w[i] <= '9')
		i++;
	if (i < n && w[i] == '.') {
		for (d = ++i; i < n && w[i] >= '0' && w[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (w[i] == 'e' || w[i] == 'E')) {
		if (++i < n && (w[i] == '+' || w[i] == '-'))
			i++;
		for (d = i; i < n && w[i] >= '0' && w[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/*
 * What Python reads of the number word w[0..n) that JSON has not (an
 * integer beyond 64 bits, a real beyond a double), remembered as number
 * at; 0 when it is an ordinary number, or not one at all (the parser says).
 */
static int
python_number(struct cp_jtree *t, size_t at, const char *w, size_t n)
{
	const char *d = w + (n > 0 && w[0] == '-');
	size_t nd = n - (size_t)(d - w), i;
	const char *e;
	char *lit;
	double x;
	int neg;

	if (!json_number(w, n))
		return 0;
	if (!has_point(w, n)) {
		if (nd > PY_INT_DIGITS_MAX || nd < 19 ||
		    (nd == 19 && memcmp(d, w[0] == '-' ? "9223372036854775808" :
		    "9223372036854775807", 19) <= 0))
			return 0;
		remember(t, at, CP_JINT, w, n);
		return 1;
	}
	/* Below 10^308 it is finite: fewer integer digits and exponent than that need no strtod. */
	for (i = 0; i < nd && d[i] >= '0' && d[i] <= '9'; i++)
		;
	for (e = d + i; e < w + n && *e != 'e' && *e != 'E'; e++)
		;
	if (e < w + n) {
		neg = e[1] == '-';
		for (e += 1 + (e[1] == '-' || e[1] == '+'), x = 0; e < w + n && x < 1e6; e++)
			x = x * 10 + (*e - '0');
		if (neg)
			x = -x;
	} else
		x = 0;
	if ((double)i + x <= 308)
		return 0;
	/* float(str) rounds correctly, as strtod does: beyond DBL_MAX is infinity. */
	lit = cp_arena_strndup(&t->arena, w, n);
	x = strtod(lit, NULL);
	if (!isinf(x))
		return 0;
	if (w[0] == '-')
		remember(t, at, CP_JREAL, "-Infinity", 9);
	else
		remember(t, at, CP_JREAL, "Infinity", 8);
	return 1;
}

/* A byte that continues a number word: [-+.0-9eE]. */
static int
number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
}

/*
 * The text with each number Python reads and JSON has not replaced by a 0
 * and spaces (remembered in t->num), or text itself when it holds none.
 * Numbers are counted as the parsers meet them: every word outside strings
 * that starts with a digit or '-' (when the text parses, each is one number).
 */
static const char *
python_numbers(struct cp_jtree *t, const char *text, size_t len)
{
	static const struct { const char *w; size_t n; } named[] = {
		{ "NaN", 3 }, { "Infinity", 8 }, { "-Infinity", 9 }
	};
	char *out = NULL;
	size_t i = 0, n = 0, k, count = 0;
	int hit, esc = memchr(text, '\\', len) != NULL;

	while (i < len) {
		if (text[i] == '"') {
			i = string_end(text, len, i + 1, esc) + 1;
			continue;
		}
		hit = 0;
		/* only these three letters begin a name: the test is on every byte outside strings */
		if (text[i] == 'N' || text[i] == 'I' || text[i] == '-')
			for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
				if (len - i >= named[k].n && memcmp(text + i, named[k].w, named[k].n) == 0 &&
				    alone(text, len, i, named[k].n)) {
					remember(t, count++, CP_JREAL, named[k].w, named[k].n);
					n = named[k].n;
					hit = 1;
					break;
				}
		if (!hit && (text[i] == '-' || (text[i] >= '0' && text[i] <= '9'))) {
			for (n = 1; i + n < len && number_char(text[i + n]); n++)
				;
			hit = python_number(t, count++, text + i, n);
			if (!hit) {
				i += n;
				continue;
			}
		}
		if (!hit) {
			i++;
			continue;
		}
		if (out == NULL) {
			out = cp_arena_alloc(&t->arena, len + 1);
			memcpy(out, text, len);
			out[len] = '\0';
		}
		out[i] = '0';
		memset(out + i + 1, ' ', n - 1);
		i += n;
	}
	return out != NULL ? out : text;
}

const struct cp_jnode *
cp_jtree_load(struct cp_jtree *t, const char *text, size_t len, unsigned flags, json_error_t *e)
{
	const struct cp_jnode *root;
	const char *python = text;
	json_t *v;

	reset(t);
	/*
	 * Most texts hold no number that Python reads and JSON has not: try
	 * the text as it is first.  yajl refuses NaN and Infinity, and a number
	 * beyond 64 bits or a double fails on_number, so a text it reads had
	 * none, and python_numbers would have given it back unchanged: the
	 * same parse of the same text.  Anything else starts again below.
	 */
	if ((flags & CP_JTREE_PYTHON) && !(flags & CP_JTREE_REFERENCE)) {
		if ((root = parse(t, text, len)) != NULL)
			return root;
		reset(t);
	}
	if (flags & CP_JTREE_PYTHON)
		python = python_numbers(t, text, len);
	/* yajl again only on a text python_numbers changed: the same text was refused above. */
	if (!(flags & CP_JTREE_REFERENCE) && (!(flags & CP_JTREE_PYTHON) || python != text) &&
	    (root = parse(t, python, len)) != NULL)
		return root;
	text = python;
	/* jansson decides what yajl did not vouch for, with its own words for what it refuses. */
	if ((v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, e)) == NULL)
		return NULL;
	/* Drop what yajl built, keep the text and the numbers to put back. */
	t->nval = t->nopen = 0;
	t->key = NULL;
	t->klen = 0;
	t->fail = 0;
	t->inum = t->seen = 0;
	root = tree_of(t, v);
	json_decref(v);
	if (root == NULL)	/* not reached: jansson's parser keeps to the same depth */
		snprintf(e->text, sizeof(e->text), "maximum parsing depth reached");
	return root;
}

int
cp_jtree_blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			return 0;
	return 1;
}

const struct cp_jnode *
cp_jtree_get(const struct cp_jnode *obj, const char *key)
{
	size_t lo = 0, hi, mid, klen = strlen(key), n;
	const struct cp_jnode *m;
	int c;

	if (obj == NULL || obj->type != CP_JOBJECT)
		return NULL;
	for (hi = obj->len; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		m = obj->u.c.sorted[mid];
		n = m->klen < klen ? m->klen : klen;
		if ((c = memcmp(m->key, key, n)) == 0)
			c = (m->klen > klen) - (m->klen < klen);
		if (c == 0)
			return m;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
cp_jtree_free(struct cp_jtree *t)
{
	cp_arena_free(&t->arena);
	free(t->val);
	free(t->open);
	free(t->num);
	memset(t, 0, sizeof(*t));
}
