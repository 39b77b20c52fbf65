/* hex: lowercase hex encoding and strict decoding.
 * SPDX-License-Identifier: ISC */
#ifndef CP_HEX_H
#define CP_HEX_H

#include <stddef.h>

/* Write 2*n lowercase hex digits and a NUL to out (2*n+1 bytes). */
void cp_hex_encode(const void *in, size_t n, char *out);

/*
 * Decode exactly len hex characters (either case) into len/2 bytes of out.
 * Returns 0, or -1 if len is odd or a character is not a hex digit.
 */
int cp_hex_decode(const char *in, size_t len, void *out);

/* 1 if s[0..len) is all lowercase hex digits (and len > 0), else 0. */
int cp_hex_is_lower(const char *s, size_t len);

/* 1 if s[0..len) is a SHA-256 digest in lowercase hex (64 characters), else 0. */
int cp_hex_is_sha256(const char *s, size_t len);

#endif
