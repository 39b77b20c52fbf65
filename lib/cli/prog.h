/* prog: what every cp-* program shares: exit statuses, --help, --version, checked stdout.
 * SPDX-License-Identifier: ISC */
#ifndef CP_PROG_H
#define CP_PROG_H

#include "base/err.h"	/* the exit statuses CP_EXIT_YES, CP_EXIT_NO, CP_EXIT_ERR */

/* Call first in main: makes getopt's own messages say "cp-tool:" rather than the path run. */
void cp_prog_init(int argc, char *argv[]);

/* Print "<program> (Control Plane v2 in C) <version>" and exit 0 via cp_prog_exit. */
_Noreturn void cp_prog_version(void);

/* Print text (usage and option list) to standard output and exit 0 via cp_prog_exit. */
_Noreturn void cp_prog_help(const char *text);

/* Print "usage: ..." (the first line(s) of text up to an empty line) to standard error, exit 2. */
_Noreturn void cp_prog_usage(const char *text);

/* The most threads -j/--jobs takes, in every program. */
#define CP_JOBS_MAX 1024

/* The N of -j/--jobs N: 1 to CP_JOBS_MAX, else "invalid job count" and exit 2. */
int cp_prog_jobs(const char *s);

/*
 * Flush and close standard output, then exit with status.  A failed write
 * (full disk, closed pipe) is reported as "<program>: write error: ..." and
 * turns the status into 2, so no output is ever lost silently.
 */
_Noreturn void cp_prog_exit(int status);

/*
 * Die of sig (SIGINT, SIGTERM, SIGHUP) after a clean stop: its default
 * action restored and the signal raised again, so the parent sees the
 * death it asked for (a shell stops its script; $? is 128 + sig, 130 for
 * SIGINT).  Call once whatever the signal interrupted is rolled back.
 */
_Noreturn void cp_prog_signal_exit(int sig);

/*
 * Hold SIGINT, SIGTERM and SIGHUP (block them) while a file is replaced, so
 * a signal never leaves a temporary file behind; cp_prog_signal_pending
 * tells whether one came meanwhile (to abort rather than commit), and
 * cp_prog_release_signals unblocks them: a pending one then takes effect.
 */
void cp_prog_hold_signals(void);
int cp_prog_signal_pending(void);
void cp_prog_release_signals(void);

/* one when n is 1, else many: "1 file", "2 files", "0 files". */
const char *cp_prog_plural(unsigned long long n, const char *one, const char *many);

/* The program's short name, as err(3) prints it. */
const char *cp_prog_name(void);

#endif
