/* progress: a meter on standard error for long work, fed byte counts by the library's callbacks.
 * SPDX-License-Identifier: ISC */
#ifndef CP_PROGRESS_H
#define CP_PROGRESS_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * One meter.  Fill with cp_progress_init; feed with cp_progress_add (the
 * shape of the library's progress callbacks); finish with cp_progress_end.
 * The line reads "cp-tar: 512.0 MiB  98.1 MiB/s  47%" (the percentage only
 * when the total is known) and is redrawn in place with '\r' at most ten
 * times a second; the clock is looked at only once every CP_PROGRESS_STEP
 * bytes, so feeding it costs an atomic add per call.
 */
struct cp_progress {
	int on;				/* 0: every call does nothing */
	uint64_t total;			/* 0: unknown */
	_Atomic uint64_t done;
	_Atomic uint64_t next;		/* done at which the clock is looked at next */
	atomic_flag busy;		/* one thread draws at a time */
	int64_t start, last;		/* monotonic nanoseconds; last drawn (under busy) */
	int width;			/* of the last line drawn, to blank what is left */
	int drawn;
};

#define CP_PROGRESS_STEP ((uint64_t)256 * 1024)

/* Whether to show a meter: forced (--progress) yes, quiet (-q) no, else when standard error is a terminal. */
int cp_progress_wanted(int force, int quiet);

/* Start p: on or not (see cp_progress_wanted), with the total bytes if known (else 0). */
void cp_progress_init(struct cp_progress *p, int on, uint64_t total);

/* Set or correct the total (0: unknown). */
void cp_progress_total(struct cp_progress *p, uint64_t total);

/*
 * n more bytes done; arg is the struct cp_progress.  Safe to call from
 * several threads at once; never blocks and never fails.
 */
void cp_progress_add(void *arg, uint64_t n);

/*
 * Blank the meter's line, if one is shown, before other output goes to the
 * same terminal (the next redraw brings it back).  Safe beside threads in
 * cp_progress_add.
 */
void cp_progress_clear(struct cp_progress *p);

/*
 * The work is over: if the meter is on, draw the final line (bytes, time,
 * mean rate) and end it with a newline, or, when interrupted, end the line
 * drawn so far.  Call from one thread, after the work.
 */
void cp_progress_end(struct cp_progress *p, int interrupted);

#endif
