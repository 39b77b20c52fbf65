/* tarscan: a strict structural check of a tar stream, run alongside libarchive's reader.
 * SPDX-License-Identifier: ISC */
#ifndef CP_TARSCAN_H
#define CP_TARSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/*
 * libarchive reads leniently: it truncates a pax "path" at an embedded NUL,
 * treats unknown type flags as regular files, resynchronises after a
 * damaged header and ignores what follows the end-of-archive marker.  The
 * scanner sees every byte of the (decompressed) stream before libarchive
 * does and refuses all of that: header checksums, size fields (octal or
 * base-256; negative or absurd), pax records (syntax, NUL in path or
 * linkpath, sparse keys, a path or linkpath in a pax global header, which
 * GNU tar and Python apply to the entries after it and libarchive
 * ignores), GNU long names (one with a pax name for the same entry), type
 * flags outside
 * 0-7 x g L K, data on entries that cannot have any, and anything but zero
 * bytes after the end-of-archive marker.  It records where each entry's
 * headers start, so that the caller can check that libarchive saw the
 * same entries at the same offsets (cp_tarscan_pop): a parser
 * differential becomes an error instead of a hidden entry.
 */
struct cp_tarscan;

/* A new scanner.  Caller releases with cp_tarscan_free. */
struct cp_tarscan *cp_tarscan_new(void);

/* Scan the next n bytes of the stream.  Returns 0, or -1 (see cp_tarscan_error; errors are sticky). */
int cp_tarscan_feed(struct cp_tarscan *s, const void *buf, size_t n);

/* The stream ended: it must have ended after the end-of-archive marker.  Returns 0 or -1. */
int cp_tarscan_end(struct cp_tarscan *s);

/*
 * The offset of the first header block of the next entry scanned and not
 * yet popped: returns 1 and sets *off, or 0 if the scanner has seen no
 * further entry.
 */
int cp_tarscan_pop(struct cp_tarscan *s, uint64_t *off);

/*
 * cp_tarscan_pop, and the entry's pax path and linkpath byte for byte
 * (*path, *link; NULL when its pax header gave none; caller frees):
 * libarchive converts pax names from UTF-8 and normalises them to NFC on
 * the way, so an NFD name read through it would not round-trip.
 */
int cp_tarscan_pop_names(struct cp_tarscan *s, uint64_t *off, char **path, char **link);

/* The first error, as "entry N 'name': what" or "entry N: what"; msg "" if none. */
const struct cp_err *cp_tarscan_error(const struct cp_tarscan *s);

/* Release s; safe on NULL. */
void cp_tarscan_free(struct cp_tarscan *s);

#endif
