/* canon: JSON text exactly as Python's json.dumps writes it (ensure_ascii=False), for ledger hashes. */
#ifndef CP_CANON_H
#define CP_CANON_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

/* Flags of cp_canon_dump. */
#define CP_CANON_SORT_KEYS 0x1	/* json.dumps(..., sort_keys=True): keys by code point at every depth */

/* Room for the longest text cp_canon_float writes, with its NUL. */
#define CP_CANON_FLOATMAX 32

/*
 * Append to b the text of Python's json.dumps(v, ensure_ascii=False[,
 * sort_keys=True]) for the value v: separators ", " and ": "; strings with
 * '"' '\' escaped, \n \r \t \b \f, other bytes below 0x20 as \u00xx
 * (lowercase), everything else raw (jansson strings are valid UTF-8);
 * integers as digits; reals as Python's repr (see cp_canon_float); objects
 * in jansson's (insertion) order unless sorted.  When omit is not NULL and
 * v is an object, its top-level key omit is left out (the entry_hash of a
 * ledger entry).  Exits 2 only when out of memory.
 */
void cp_canon_dump(struct cp_buf *b, const json_t *v, unsigned flags, const char *omit);

/* Append s[0..len) as a JSON string literal, escaped as json.dumps(ensure_ascii=False) does. */
void cp_canon_string(struct cp_buf *b, const char *s, size_t len);

/*
 * Write d as Python's repr(float) does: the shortest digits that read back
 * as d, in positional form ("2.5", "0.0001", "1500.0", "-0.0") when the
 * decimal exponent x of the first digit is -4 <= x < 16, else exponent form
 * with a sign and at least two exponent digits ("1e+16", "1e-05",
 * "1.5e+300").  A non-finite d is written as json.dumps does: "NaN",
 * "Infinity", "-Infinity".  out holds CP_CANON_FLOATMAX bytes.
 */
void cp_canon_float(double d, char out[CP_CANON_FLOATMAX]);

#endif
