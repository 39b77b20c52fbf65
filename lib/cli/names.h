/* names: reading a list of names (paths), one per line or NUL-terminated, as tar -T and xargs -0 do.
 * SPDX-License-Identifier: ISC */
#ifndef CP_NAMES_H
#define CP_NAMES_H

#include <stddef.h>
#include <stdio.h>

struct cp_names {
	FILE *fp;
	const char *label;	/* the list's name in messages ("-" for standard input) */
	int delim;		/* '\n' or '\0' */
	char *rec;
	size_t cap;
	size_t lineno;
};

/* Read names from fp (not closed here), NUL-terminated when nul is set. */
void cp_names_init(struct cp_names *n, FILE *fp, const char *label, int nul);

/*
 * The next name: 1 with *name set (valid until the next call), 0 at the
 * end of the list.  Empty names are skipped.  -1: a name over PATH_MAX or
 * holding a NUL byte, warned about as "LABEL:LINE: ..." and skipped (call
 * again).  -2: a read error, warned about; the list ends there.
 */
int cp_names_next(struct cp_names *n, const char **name);

/* Free the record buffer (fp stays the caller's). */
void cp_names_free(struct cp_names *n);

#endif
