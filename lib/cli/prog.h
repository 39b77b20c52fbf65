/* prog: what every cp-* program shares: exit statuses, --help, --version, checked stdout. */
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

/* The program's short name, as err(3) prints it. */
const char *cp_prog_name(void);

#endif
