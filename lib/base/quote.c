/* quote: names escaped for diagnostics.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "base/quote.h"
#include "base/utf8.h"

char *
cp_quote(char *out, size_t outsz, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0, n;
	char esc[8];
	const char *piece;
	size_t plen;

	out[o++] = '\'';
	while (i < len) {
		n = 1;
		piece = esc;
		switch (p[i]) {
		case '\n': piece = "\\n"; break;
		case '\t': piece = "\\t"; break;
		case '\\': piece = "\\\\"; break;
		case '\'': piece = "\\'"; break;
		default:
			if (cp_quote_is_control(p[i]) ||
			    (p[i] >= 0x80 && (n = cp_utf8_seqlen(p + i, len - i)) == 0)) {
				snprintf(esc, sizeof(esc), "\\%03o", p[i]);
				n = 1;
			} else
				piece = s + i;
		}
		plen = piece == s + i ? n : strlen(piece);
		/* Room for this piece, "...'" and the NUL. */
		if (o + plen + 5 > outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}

size_t
cp_quote_control_at(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && !cp_quote_is_control((unsigned char)s[i]))
		i++;
	return i;
}

char *
cp_quote_cstr(char *out, size_t outsz, const char *s)
{
	return cp_quote(out, outsz, s, strlen(s));
}
