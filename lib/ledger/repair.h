/* repair: a torn tail (a crash mid-append) cleared from a ledger's last segment, so that appends can resume.
 * SPDX-License-Identifier: ISC */
#ifndef CP_REPAIR_H
#define CP_REPAIR_H

#include <stdint.h>

#include "base/err.h"

/* What cp_repair did. */
struct cp_repair {
	int repaired;		/* 0: the tail was sound, nothing done */
	int completed;		/* 1: the last line was a sound entry missing its newline, now added */
	int malformed;		/* 1: a whole last line that is not an entry was moved (else torn bytes) */
	char segment[4096];	/* the segment repaired */
	uint64_t offset;	/* where the torn bytes began */
	uint64_t bytes;		/* how many were moved out */
	char sidefile[4096];	/* where they are kept */
};

/*
 * Under the exclusive lock, clear a torn tail of the last segment of the
 * ledger at path so appends can resume: a last line that is a sound entry
 * lacking only its newline gets the newline; otherwise the torn bytes (the
 * unfinished last line) are written to a new side file
 * <segment>.torn-YYYYMMDD-HHMMSS[-N] (fsynced) and then cut from the
 * segment.  A malformed last line (whole, but not an entry: see
 * cp_seg_tail) goes the same way, with what follows it, to
 * <segment>.malformed-YYYYMMDD-HHMMSS[-N].  A ledger none of whose lines
 * before those bytes is an entry is refused (-1): it is no ledger, and
 * nothing is moved.  A directory without a segment is refused too.
 * Returns 0 (r says what was done), or -1 (e).
 */
int cp_repair(const char *path, struct cp_repair *r, struct cp_err *e);

#endif
