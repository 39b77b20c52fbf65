/* canon: JSON text exactly as Python's json.dumps writes it (ensure_ascii=False), for ledger hashes. */
#ifndef CP_CANON_H
#define CP_CANON_H

#include <stddef.h>

#include "base/buf.h"
#include "text/jtree.h"

/* Flags of cp_canon_dump. */
#define CP_CANON_SORT_KEYS 0x1	/* json.dumps(..., sort_keys=True): keys by code point at every depth */

/* Room for the longest text cp_canon_float or cp_canon_number writes, with its NUL. */
#define CP_CANON_FLOATMAX 32

/*
 * Append to b the text of Python's json.dumps(v, ensure_ascii=False[,
 * sort_keys=True]) for the tree v: separators ", " and ": "; strings as
 * cp_canon_string; numbers as their node holds them (see cp_canon_number);
 * objects in document order unless sorted.  When omit is not NULL and v is
 * an object, its top-level key omit is left out (the entry_hash of a
 * ledger entry).  Does not recurse: any depth a tree has is written.
 * Exits 2 only when out of memory.
 */
void cp_canon_dump(struct cp_buf *b, const struct cp_jnode *v, unsigned flags, const char *omit);

/*
 * Append s[0..len) as a JSON string literal, escaped as
 * json.dumps(ensure_ascii=False) does: '"' '\' \n \r \t \b \f, other bytes
 * below 0x20 as \u00xx (lowercase), everything else raw.
 */
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

/*
 * Write the JSON number lit[0..len) (JSON's grammar, as a parser checked
 * it) as Python writes what json.loads makes of it, within jansson's
 * limits: an integer (no '.', 'e' or 'E') as its digits ("-0" is "0"); a
 * real as cp_canon_float of its correctly rounded double.  A real of at
 * most 15 significant digits whose first digit's decimal exponent is
 * within +-300 is written from its own digits (two such decimals never
 * read as one double, so they are its shortest digits); others go through
 * strtod and cp_canon_float.  Returns the length written to out
 * (CP_CANON_FLOATMAX bytes, NUL-terminated), or -1 when an integer does
 * not fit in 64 bits or a real is beyond a double's range.
 */
int cp_canon_number(const char *lit, size_t len, char out[CP_CANON_FLOATMAX]);

#endif
