/* pynum: numbers as Python writes them: repr(float), and what json.loads makes of a JSON number literal.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "text/pynum.h"

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
cp_pynum_float(double d, char out[CP_PYNUM_MAX])
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
cp_pynum_number(const char *lit, size_t len, char out[CP_PYNUM_MAX])
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
	cp_pynum_float(d, out);
	return (int)strlen(out);
}
