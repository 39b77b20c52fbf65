/* semver: parsing and precedence per semver.org 2.0.0; constraints as the registry writes them.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "text/semver.h"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_ident(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* A numeric part: "0" or digits without a leading zero, at most 19 of them (no overflow). */
static int
number(const char **p, const char *end, unsigned long long *out)
{
	const char *s = *p;
	unsigned long long n = 0;

	while (*p < end && is_digit(**p)) {
		n = n * 10 + (unsigned long long)(**p - '0');
		(*p)++;
	}
	if (*p == s || *p - s > 19 || (s[0] == '0' && *p - s > 1))
		return -1;
	*out = n;
	return 0;
}

/* Dot-separated identifiers up to end or stop; numeric ones may not have leading zeros if strict. */
static const char *
identifiers(const char *s, const char *end, char stop, int strict)
{
	const char *id;
	int numeric;

	for (;;) {
		id = s;
		numeric = 1;
		while (s < end && is_ident(*s)) {
			numeric &= is_digit(*s);
			s++;
		}
		if (s == id || (strict && numeric && s - id > 1 && *id == '0'))
			return NULL;
		if (s == end || *s == stop)
			return s;
		if (*s != '.')
			return NULL;
		s++;
	}
}

int
cp_semver_parse(const char *s, size_t len, struct cp_semver *v)
{
	const char *p = s, *end = s + len;

	if (number(&p, end, &v->major) || p == end || *p++ != '.' ||
	    number(&p, end, &v->minor) || p == end || *p++ != '.' ||
	    number(&p, end, &v->patch))
		return -1;
	v->pre = NULL;
	v->prelen = 0;
	if (p < end && *p == '-') {
		v->pre = ++p;
		if ((p = identifiers(p, end, '+', 1)) == NULL)
			return -1;
		v->prelen = (size_t)(p - v->pre);
	}
	if (p < end && *p == '+') {
		if ((p = identifiers(p + 1, end, '\0', 0)) == NULL)
			return -1;
	}
	return p == end ? 0 : -1;
}

static int
cmp_ull(unsigned long long a, unsigned long long b)
{
	return (a > b) - (a < b);
}

/* One pre-release identifier against another: numbers numerically, below any alphanumeric. */
static int
cmp_ident(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;
	int anum = 1, bnum = 1, c;

	for (i = 0; i < alen; i++)
		anum &= is_digit(a[i]);
	for (i = 0; i < blen; i++)
		bnum &= is_digit(b[i]);
	if (anum && bnum) {
		/* Without leading zeros, a longer number is a larger one. */
		if (alen != blen)
			return alen < blen ? -1 : 1;
		c = memcmp(a, b, alen);
		return (c > 0) - (c < 0);
	}
	if (anum != bnum)
		return anum ? -1 : 1;
	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return (alen > blen) - (alen < blen);
}

int
cp_semver_cmp(const struct cp_semver *a, const struct cp_semver *b)
{
	const char *pa, *pb, *ea, *eb, *da, *db;
	int c;

	if ((c = cmp_ull(a->major, b->major)) || (c = cmp_ull(a->minor, b->minor)) ||
	    (c = cmp_ull(a->patch, b->patch)))
		return c;
	if (a->pre == NULL || b->pre == NULL)	/* a release is above its pre-releases */
		return (a->pre == NULL) - (b->pre == NULL);
	pa = a->pre;
	pb = b->pre;
	ea = pa + a->prelen;
	eb = pb + b->prelen;
	for (;;) {
		if (pa == ea || pb == eb)
			return (pa != ea) - (pb != eb);
		da = memchr(pa, '.', (size_t)(ea - pa));
		db = memchr(pb, '.', (size_t)(eb - pb));
		if (da == NULL)
			da = ea;
		if (db == NULL)
			db = eb;
		if ((c = cmp_ident(pa, (size_t)(da - pa), pb, (size_t)(db - pb))) != 0)
			return c;
		pa = da < ea ? da + 1 : ea;
		pb = db < eb ? db + 1 : eb;
	}
}

int
cp_semver_req_parse(const char *s, size_t len, struct cp_semver_req *req)
{
	size_t skip = 0;

	req->op = CP_SEMVER_EQ;
	if (len >= 2 && memcmp(s, ">=", 2) == 0) {
		req->op = CP_SEMVER_GE;
		skip = 2;
	} else if (len >= 2 && memcmp(s, "==", 2) == 0)
		skip = 2;
	else if (len >= 1 && s[0] == '^') {
		req->op = CP_SEMVER_CARET;
		skip = 1;
	} else if (len >= 1 && s[0] == '~') {
		req->op = CP_SEMVER_TILDE;
		skip = 1;
	}
	return cp_semver_parse(s + skip, len - skip, &req->v);
}

int
cp_semver_req_match(const struct cp_semver_req *req, const struct cp_semver *v)
{
	int c = cp_semver_cmp(v, &req->v);

	switch (req->op) {
	case CP_SEMVER_EQ:
		return c == 0;
	case CP_SEMVER_GE:
		return c >= 0;
	case CP_SEMVER_CARET:
		return c >= 0 && v->major == req->v.major;
	case CP_SEMVER_TILDE:
		return c >= 0 && v->major == req->v.major && v->minor == req->v.minor;
	}
	return 0;
}
