/* json: the one JSON writer: strings that always parse, and objects and arrays whose commas it tracks.
 * SPDX-License-Identifier: ISC */
#ifndef CP_JSON_H
#define CP_JSON_H

#include <stddef.h>
#include <stdint.h>
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

/*
 * Write s[0..len) as Python's json.dumps writes a str with ensure_ascii
 * (its default): only the bytes 0x20 to 0x7e appear as they are ('"' and
 * '\' escaped), control characters as \b \f \n \r \t or \u00xx, DEL and
 * every non-ASCII character as \uxxxx (lowercase hex), a character beyond
 * U+FFFF as its UTF-16 surrogate pair; a byte of invalid UTF-8 as \ufffd.
 */
void cp_json_write_str_ascii(FILE *fp, const char *s, size_t len);


/*
 * A writer of compact JSON ({"a":1,"b":[true,null]}) to a stdio stream
 * (stdout, a file, or open_memstream for text in memory): begin and end
 * objects and arrays, name members, write values; the commas and colons are
 * its business.  Caller-allocated, no heap: cp_json_init, then calls in
 * the order of the text.  At most CP_JSON_DEPTH levels open at once (the
 * programs' own shapes; a deeper caller writes invalid JSON).  Write errors
 * stay in the stream's error flag for the caller's checked flush or close.
 */
#define CP_JSON_DEPTH 32

struct cp_json {
	FILE *fp;
	int depth;				/* open objects and arrays */
	unsigned char obj[CP_JSON_DEPTH];	/* 1: that level is an object */
	unsigned char any[CP_JSON_DEPTH];	/* 1: it has a member or element */
};

void cp_json_init(struct cp_json *w, FILE *fp);

/* Begin an object or an array (as a value: in an array, after a key, or at the top). */
void cp_json_obj(struct cp_json *w);
void cp_json_arr(struct cp_json *w);

/* End the innermost open object or array. */
void cp_json_end(struct cp_json *w);

/*
 * End the value written at the top level with a newline (one JSON Lines
 * record); w is then ready for the next.
 */
void cp_json_endl(struct cp_json *w);

/* A member's name, inside an object; its value comes next. */
void cp_json_key(struct cp_json *w, const char *key);

/* Values. */
void cp_json_str(struct cp_json *w, const char *s);	/* s NULL writes null */
void cp_json_strn(struct cp_json *w, const char *s, size_t len);
void cp_json_null(struct cp_json *w);
void cp_json_bool(struct cp_json *w, int b);
void cp_json_int(struct cp_json *w, int64_t n);
void cp_json_uint(struct cp_json *w, uint64_t n);
/* The lowercase hex of n bytes, as a string. */
void cp_json_hex(struct cp_json *w, const unsigned char *p, size_t n);
/* Text that is already JSON (a number's digits, a value from a parser): written as is. */
void cp_json_raw(struct cp_json *w, const char *text, size_t len);

/* A member: key, then the value. */
void cp_json_kstr(struct cp_json *w, const char *key, const char *s);
void cp_json_kbool(struct cp_json *w, const char *key, int b);
void cp_json_kint(struct cp_json *w, const char *key, int64_t n);
void cp_json_kuint(struct cp_json *w, const char *key, uint64_t n);
void cp_json_knull(struct cp_json *w, const char *key);

#endif
