/* hex: lowercase hex encoding and strict decoding. */
#include "hex.h"

static const char digits[] = "0123456789abcdef";

void
cp_hex_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * Each hex digit's value plus one (0: not a digit).  A table rather than
 * range tests: on random digits those branches mispredict about every
 * other character, which made decoding the largest cost of cp-merkle --hex.
 */
static const unsigned char value1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16
};

int
cp_hex_decode(const char *in, size_t len, void *out)
{
	const unsigned char *p = (const unsigned char *)in;
	unsigned char *o = out;
	size_t i;
	unsigned hi, lo;

	if (len % 2 != 0)
		return -1;
	for (i = 0; i < len; i += 2) {
		hi = value1[p[i]];
		lo = value1[p[i + 1]];
		if (hi == 0 || lo == 0)
			return -1;
		o[i / 2] = (unsigned char)((hi - 1) << 4 | (lo - 1));
	}
	return 0;
}

int
cp_hex_is_lower(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
cp_hex_is_sha256(const char *s, size_t len)
{
	return len == 64 && cp_hex_is_lower(s, len);
}
