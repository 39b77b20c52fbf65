/* ahead: a ledger's lines parsed and hashed on threads ahead of their reader, handed out in order.
 * SPDX-License-Identifier: ISC */
#ifndef CP_AHEAD_H
#define CP_AHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "ledger/entry.h"

/*
 * One raw line as a source gives it: its place, its flags, and its bytes
 * (valid until the source is called again; text NULL for a line longer
 * than CP_LEDGER_LINE_MAX, which becomes a MALFORMED line).
 */
struct cp_ahead_raw {
	const char *segment;	/* must stay valid while the cp_ahead lives */
	uint64_t lineno;
	int ended, last;
	const char *text;
	size_t len;
};

/* The next raw line: 1, 0 at the end, -1 on an error (e).  Called on the reading thread only. */
typedef int (*cp_ahead_source_fn)(void *arg, struct cp_ahead_raw *raw, struct cp_err *e);

/*
 * Lines parsed by nthreads parsers in all: nthreads - 1 threads and the
 * reading thread itself, which reads batches of lines from the source
 * into a ring of a fixed number of batches (memory does not grow with the
 * ledger: a few MiB at most, whatever the lines).  Each line is what
 * cp_entry_parse (want_hash, reference as given) makes of it, except that
 * entry is NULL: the id, entry_hash and previous_hash are copies.  A
 * thread that cannot be started leaves its share to the others.  Caller
 * frees with cp_ahead_stop.  Not thread-safe itself: one reading thread.
 */
struct cp_ahead;

struct cp_ahead *cp_ahead_start(unsigned nthreads, int reference, cp_ahead_source_fn src,
    void *arg);

/*
 * The next line in the source's order: 1 with *ln (valid until the next
 * call) and *parsed what cp_entry_parse returned for it (-1: its digest
 * failed), 0 at the end, -1 when the source failed (e), after every line
 * it gave before failing.
 */
int cp_ahead_read(struct cp_ahead *a, const struct cp_ledger_line **ln, int *parsed,
    struct cp_err *e);

/* Stop the threads (each finishes the batch it holds) and free everything. */
void cp_ahead_stop(struct cp_ahead *a);

#endif
