/* json: writing JSON output (strings, and the small pieces every --json mode needs). */
#ifndef CP_JSON_H
#define CP_JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write s[0..len) to fp as a JSON string literal: '"' and '\' escaped,
 * control characters as \b \f \n \r \t or \u00xx, valid UTF-8 written as is,
 * and each byte of an invalid UTF-8 sequence (a file name need not be UTF-8)
 * replaced by U+FFFD so the output always parses.  Write errors are left in
 * fp's error flag for the final checked close.
 */
void cp_json_write_str(FILE *fp, const char *s, size_t len);

/* Same, for a NUL-terminated string. */
void cp_json_write_cstr(FILE *fp, const char *s);

/* Write "key": (a JSON string key and the colon), preceded by a comma unless first. */
void cp_json_write_key(FILE *fp, const char *key, int first);

#endif
