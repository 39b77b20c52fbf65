/* hex: lowercase hex encoding and strict decoding.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "base/hex.h"

/* Each byte's two digits, so that a byte is one lookup: Merkle trees encode two digests per node. */
static const char pairs[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

void
cp_hex_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(out + 2 * i, pairs + 2 * p[i], 2);
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
