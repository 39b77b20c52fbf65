/* query: the plane's read-only questions (list, show, owns, verify, search), answered from the packages registry and the install receipts.
 * SPDX-License-Identifier: ISC */
#ifndef CP_QUERY_H
#define CP_QUERY_H

#include <stddef.h>

#include "base/err.h"
#include "plane/gate.h"
#include "plane/receipt.h"

/*
 * What apt, dpkg and pacman users ask first, as cp-plane(1)'s list, show,
 * owns, verify and search.  Every question is asked through a gate: the
 * caller's identity must hold the "verify" action (every role has it: the
 * reader's); a denial is one ledger entry, an answer writes nothing.
 *
 *	struct cp_query q;
 *	if (cp_query_begin(&q, g, "list", NULL, &r) != 0) ... r.exit, r.reason
 *	rc = cp_query_list(&q, &e);		q.pkg[0..q.npkg)
 *	cp_query_free(&q);
 *
 * The registry is read through lib/csv (capped, strict) and the receipts
 * through plane/receipt (hostile input: a forged or half receipt is not an
 * answer but a problem, kept in pkg->problem, and the others still
 * answer).  A destination is opened beneath the plane (or, for an external
 * package, beneath "/") without following a symlink.
 */

/* One dependency (show): an entry of a deps column, "ID[@constraint]". */
struct cp_query_dep {
	char *id;
	char *constraint;	/* what follows '@', or NULL */
	int known;		/* a row of the registry has the id */
	int installed;		/* a receipt names it */
	char *version;		/* the row's version, or NULL */
};

/* One package, as the registry row and its receipt (if any) say. */
struct cp_query_pkg {
	char *id;
	char *name, *version, *category;	/* the row's, or NULL when no row has the id */
	char *row_digest;			/* the row's digest, or NULL */
	int installed;				/* its receipt was read */
	struct cp_receipt rc;			/* the receipt (empty when not installed) */
	char *state;	/* show, list: "installed", "not-installed", "outdated" (the row's digest
			 * differs from the receipt's), "not-in-registry" (a receipt, no row),
			 * "broken" (a receipt that could not be read: problem says why) */
	char *problem;	/* why the receipt could not be read or checked, or NULL */
	char *dest_abs;	/* the receipt's destination, absolute, or NULL */
	/* owns: indexes into rc.v of the files that answer; verify: of missing, changed */
	size_t *hit, nhit;
	size_t *missing, nmissing;
	size_t *changed, nchanged;
};

/* A question being answered.  Caller-allocated; cp_query_begin fills it, cp_query_free empties it. */
struct cp_query {
	struct cp_gate *g;
	struct cp_query_pkg *pkg;	/* the answer: packages, in id order (search: file order) */
	size_t npkg;
	/* show: the row (column names and values, file order), the dependencies, the dependents */
	char **col, **val;
	size_t ncol;
	struct cp_query_dep *deps, *rdeps;
	size_t ndeps, nrdeps;
	char *path;	/* owns: the file asked about, absolute and canonical */
	/* the registry, read once (rows of all columns) */
	char **rcol;
	size_t nrcol;
	char ***row;
	size_t nrow;
};

/*
 * Authorize the question (operation "list"... and subject, a package id or
 * NULL, as the ledger names a denial) and start q.  Returns 0, or r->exit
 * (1 denied, 2 the denial could not be ledgered) with r filled; r is the
 * caller's to free in either case.
 */
int cp_query_begin(struct cp_query *q, struct cp_gate *g, const char *operation,
    const char *subject, struct cp_gate_result *r);

/*
 * list: every installed package (a receipt in installed/), in id order,
 * with its row's name and version.  Returns 0, or -1 with e (the registry
 * or installed/ unreadable or malformed).  Without a packages registry or
 * an installed/ directory the answer is empty.
 */
int cp_query_list(struct cp_query *q, struct cp_err *e);

/*
 * show: package id's row (q->col, q->val), its install state and receipt
 * (q->pkg[0]), its dependencies (the row's deps) and dependents (the rows
 * whose deps name id), each with whether it is installed.  Returns 0, 1
 * when neither a row nor a receipt has the id, -1 with e.
 */
int cp_query_show(struct cp_query *q, const char *id, struct cp_err *e);

/*
 * owns: which installed packages put file there (relative to the current
 * directory, or absolute; need not exist any more), as dpkg -S: q->pkg
 * the owners, pkg->hit their receipt entries that are file or lie under it
 * (a directory).  Returns 0 when some package owns it, 1 when none, -1 e.
 */
int cp_query_owns(struct cp_query *q, const char *file, struct cp_err *e);

/*
 * verify: the files of installed package id (NULL: of every installed
 * package) against their receipts, as dpkg -V: pkg->missing and
 * pkg->changed index the receipt entries.  Returns 0 when every file is
 * intact, 1 when one is missing or changed or a receipt is broken (its
 * problem says why), 2 when id is not installed (e says so), -1 with e.
 */
int cp_query_verify(struct cp_query *q, const char *id, struct cp_err *e);

/*
 * search: the rows whose id, name or category holds needle (ASCII case
 * ignored), in file order, with their install state.  Returns 0 when one
 * matches, 1 when none, -1 with e.  An empty needle matches every row.
 */
int cp_query_search(struct cp_query *q, const char *needle, struct cp_err *e);

/* Release what q holds and zero it (not the gate); safe on a zeroed q. */
void cp_query_free(struct cp_query *q);

#endif
