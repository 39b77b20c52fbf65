/* canon: JSON text exactly as Python's json.dumps writes it (ensure_ascii=False), for ledger hashes.
 * SPDX-License-Identifier: ISC */
#ifndef CP_CANON_H
#define CP_CANON_H

#include <stddef.h>

#include "base/buf.h"
#include "text/jtree.h"

/* Flags of cp_canon_dump. */
#define CP_CANON_SORT_KEYS 0x1	/* json.dumps(..., sort_keys=True): keys by code point at every depth */

/*
 * Append to b the text of Python's json.dumps(v, ensure_ascii=False[,
 * sort_keys=True]) for the tree v: separators ", " and ": "; strings as
 * cp_canon_string; numbers as their node holds them (see cp_pynum_number);
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

#endif
