/* pynum: numbers as Python writes them: repr(float), and a JSON number as json.loads reads it.
 * SPDX-License-Identifier: ISC */
#ifndef CP_PYNUM_H
#define CP_PYNUM_H

#include <stddef.h>

/* Room for the longest text cp_pynum_float or cp_pynum_number writes, with its NUL. */
#define CP_PYNUM_MAX 32

/*
 * Write d as Python's repr(float) does: the shortest digits that read back
 * as d, in positional form ("2.5", "0.0001", "1500.0", "-0.0") when the
 * decimal exponent x of the first digit is -4 <= x < 16, else exponent form
 * with a sign and at least two exponent digits ("1e+16", "1e-05",
 * "1.5e+300").  A non-finite d is written as json.dumps does: "NaN",
 * "Infinity", "-Infinity".  out holds CP_PYNUM_MAX bytes.
 */
void cp_pynum_float(double d, char out[CP_PYNUM_MAX]);

/*
 * Write the JSON number lit[0..len) (JSON's grammar, as a parser checked
 * it) as Python writes what json.loads makes of it, within jansson's
 * limits: an integer (no '.', 'e' or 'E') as its digits ("-0" is "0"); a
 * real as cp_pynum_float of its correctly rounded double.  A real of at
 * most 15 significant digits whose first digit's decimal exponent is
 * within +-300 is written from its own digits (two such decimals never
 * read as one double, so they are its shortest digits); others go through
 * strtod and cp_pynum_float.  Returns the length written to out
 * (CP_PYNUM_MAX bytes, NUL-terminated), or -1 when an integer does
 * not fit in 64 bits or a real is beyond a double's range.
 */
int cp_pynum_number(const char *lit, size_t len, char out[CP_PYNUM_MAX]);

#endif
