/* sumline: the sha256sum line format, written and parsed exactly as GNU coreutils does.
 * SPDX-License-Identifier: ISC */
#ifndef CP_SUMLINE_H
#define CP_SUMLINE_H

#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"

/*
 * Write "<hex>  <name>\n".  As coreutils 9 does, a name holding '\', LF or CR
 * is written with those escaped as \\ \n \r and the line starts with '\'.
 */
void cp_sumline_write(FILE *fp, const char *hex, const char *name);

/* Append the same line to b, without its newline (the leaf of a plane's rfc6962 root). */
void cp_sumline_format(struct cp_buf *b, const char *hex, const char *name);

/* Write name alone, escaped as in a sum line (no leading '\'). */
void cp_sumline_write_name(FILE *fp, const char *name);

/*
 * Parse one line (without its newline; a trailing CR is not stripped) in
 * any of the forms sha256sum -c reads: "<hex>  name", "<hex> *name", the
 * escaped form starting with '\', and the BSD form "SHA256 (name) = <hex>".
 * hex may be upper or lower case; it is returned lowercased in hex (65
 * bytes).  *name receives the unescaped name (caller frees).
 * Returns 0, or -1 when the line is not of these forms.
 */
int cp_sumline_parse(const char *line, size_t len, char hex[65], char **name);

/* 1 if the bytes are a bare digest: exactly 64 hex characters, optionally followed by one LF. */
int cp_sumline_is_bare(const char *buf, size_t len);

#endif
