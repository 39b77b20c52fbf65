/* quote: a name made safe to print in a diagnostic.
 * SPDX-License-Identifier: ISC */
#ifndef CP_QUOTE_H
#define CP_QUOTE_H

#include <stddef.h>

/*
 * Write s[0..len) into out (size outsz >= 8, always NUL-terminated) between
 * single quotes, with control characters, DEL, '\'', '\\' and bytes that are
 * not valid UTF-8 written as C escapes (\n, \t, \\, \', \ooo), so that a
 * hostile name can neither fake a line of output nor drive a terminal.  A
 * name too long for out is cut and ends in "...".  Returns out.
 */
char *cp_quote(char *out, size_t outsz, const char *s, size_t len);

/* Same, for a NUL-terminated string. */
char *cp_quote_cstr(char *out, size_t outsz, const char *s);

/* 1 if c is a control character: C0 (below 0x20) or DEL. */
static inline int
cp_quote_is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * The index of the first control character of s[0..len), len when there is
 * none: the one test of a value that names, routes or identifies (a tab, a
 * newline or an escape sequence in one is how a line-based reader is split
 * or a terminal driven).
 */
size_t cp_quote_control_at(const char *s, size_t len);

#endif
