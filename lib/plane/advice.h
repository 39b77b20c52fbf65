/* advice: what an integrity finding means and what fixes it: where, which package installed it, which files inside changed, the command.
 * SPDX-License-Identifier: ISC */
#ifndef CP_ADVICE_H
#define CP_ADVICE_H

#include <stddef.h>

#include "base/err.h"
#include "plane/report.h"

/* One file behind a finding, plane-relative. */
struct cp_advice_file {
	char *path;
	const char *state;	/* "changed", "missing" (against the receipt), "added" (not in it) */
};

/* One invalid or missing row of the report, explained. */
struct cp_advice {
	size_t row;			/* its index in the report's rows */
	char *package;			/* the package that installed it (its receipt names the
					 * path or files under it), else the package whose row has
					 * the same artifact_path, else NULL */
	int installed;			/* package has a receipt */
	struct cp_advice_file *files;	/* a directory's files that differ from the receipt; a
					 * file's own entry when the receipt says it changed */
	size_t nfiles;
	char *fix;			/* the command (or step) that fixes it */
};

/* Caller-allocated; cp_advice_build fills it, cp_advice_free empties it. */
struct cp_advice_list {
	struct cp_advice *v;
	size_t n;
};

/*
 * Explain every invalid or missing row of r, the report of the plane open
 * as rootfd: the receipts in installed/ (read as hostile input: a broken
 * one is skipped, never trusted; external destinations are outside the
 * registry's scope) say which package installed the path; for a directory,
 * its files in r->files are compared with the receipt's; the packages
 * registry's digest tells an outdated install (make update) from changed
 * files (make install FORCE=1).  Without receipts or a readable packages
 * registry the advice is what the control-plane registry alone allows.
 * Returns 0, or -1 with e (out of the ordinary: installed/ a symlink).
 */
int cp_advice_build(const struct cp_integrity *r, int rootfd, struct cp_advice_list *l,
    struct cp_err *e);

void cp_advice_free(struct cp_advice_list *l);

#endif
