/* utf8: strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
 * SPDX-License-Identifier: ISC */
#ifndef CP_UTF8_H
#define CP_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes available):
 * 1 to 4, or 0 if the bytes there are not a valid sequence.
 */
size_t cp_utf8_seqlen(const unsigned char *s, size_t n);

/* 1 if s[0..n) is valid UTF-8, else 0.  When it is not and bad is not NULL, *bad is the offset of the first invalid byte. */
int cp_utf8_valid(const void *s, size_t n, size_t *bad);

#endif
