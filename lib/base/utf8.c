/* utf8: strict UTF-8 validation (RFC 3629).
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <string.h>

#include "base/utf8.h"

size_t
cp_utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (n < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int
cp_utf8_valid(const void *s, size_t n, size_t *bad)
{
	const unsigned char *p = s;
	size_t i = 0, len;
	uint64_t w;

	while (i < n) {
		/* ASCII eight bytes at a time: no byte with its high bit set. */
		if (n - i >= 8) {
			memcpy(&w, p + i, 8);
			if ((w & (uint64_t)0x8080808080808080) == 0) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = cp_utf8_seqlen(p + i, n - i);
		if (len == 0) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		i += len;
	}
	return 1;
}
