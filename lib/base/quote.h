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

#endif
