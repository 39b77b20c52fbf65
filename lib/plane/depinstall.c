/* depinstall: install and update bring in the missing dependencies first, all or nothing for the set.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "plane/depinstall.h"
#include "plane/deps.h"
#include "plane/gate.h"
#include "plane/receipt.h"

/*
 * Why compensating removals and not one transaction for the set: each
 * package's install is the one transaction cp_gate has (its archive staged
 * and checked, its receipt, its registry row, its ledger entry naming its
 * journal), and the issue asks for each dependency to be its own ledgered
 * install, as apt's log shows each package.  A set committed together
 * would need a journal spanning several packages' receipts and rows, and
 * one entry for them all.  So: each dependency commits on its own, and
 * when a later step fails, the ones this call installed are removed again,
 * newest first, each removal ledgered (a crash in between leaves installed
 * dependencies, each complete and ledgered, which `make remove` takes away:
 * never a half-installed package).
 */

static int
one(struct cp_gate *g, const char *id, struct cp_gate_result *r, int update)
{
	return update ? cp_gate_update(g, id, r) : cp_gate_install(g, id, r);
}

/* Remove what deps[0..n) installed, newest first; the names of those that stay, into *left. */
static void
roll_back(struct cp_gate *g, const char **ids, const struct cp_gate_result *dr, size_t n,
    char **done, char **left)
{
	struct cp_gate_result rb;
	size_t k;

	for (k = n; k-- > 0;) {
		char **v, *s;

		if (!dr[k].changed)
			continue;
		if (cp_gate_remove(g, ids[k], &rb) == 0) {
			v = done;
		} else
			v = left;
		if (asprintf(&s, "%s%s%s", *v != NULL ? *v : "", *v != NULL ? ", " : "", ids[k]) == -1)
			s = NULL;
		free(*v);
		*v = s;
		cp_gate_result_free(&rb);
	}
}

static int
with_deps(struct cp_gate *g, const char *id, struct cp_gate_result *r, int update)
{
	struct cp_deps *d = NULL;
	struct cp_gate_result *dr;
	struct cp_err e;
	const char **miss = NULL;
	char *done = NULL, *left = NULL, *why = NULL;
	size_t n, i;
	int st, dry = cp_gate_dry_run(g);

	/* a bad id, an unknown one, an unreadable registry: the one operation says so (and ledgers it) */
	if (id == NULL || !cp_receipt_id_ok(id, &e) ||
	    cp_deps_load(cp_gate_root_fd(g), &d, &e) == -1 || !cp_deps_known(d, id) ||
	    (update && !cp_deps_installed(d, id)) ||
	    (n = cp_deps_missing(d, id, &miss)) == 0) {
		free(miss);
		cp_deps_free(d);
		return one(g, id, r, update);
	}
	dr = xcalloc(n, sizeof(*dr));
	for (i = 0; i < n; i++) {
		if ((st = cp_gate_install(g, miss[i], &dr[i])) != 0)
			break;
		if (dry)
			cp_gate_assume(g, miss[i]);
	}
	if (i == n) {
		st = one(g, id, r, update);
		if (st != 0 && !dry)
			roll_back(g, miss, dr, n, &done, &left);
		if (st != 0 && (done != NULL || left != NULL)) {
			if (asprintf(&why, "%s; the dependencies installed for it were removed again "
			    "(%s)%s%s%s", r->reason != NULL ? r->reason : "failed",
			    done != NULL ? done : "none", left != NULL ? "; these could not be and "
			    "stay installed: " : "", left != NULL ? left : "", "") != -1) {
				free(r->reason);
				r->reason = why;
			}
		}
		r->ndeps = n;
	} else {
		/* the dependency i failed: id is not attempted */
		if (!dry)
			roll_back(g, miss, dr, i, &done, &left);
		memset(r, 0, sizeof(*r));
		r->operation = update ? "update" : "install";
		r->dry_run = dry;
		r->package = xstrdup(id);
		r->provider = dr[i].provider;
		r->user = dr[i].user != NULL ? xstrdup(dr[i].user) : NULL;
		r->exit = dr[i].exit;
		r->status = strcmp(dr[i].status, "denied") == 0 ? "denied" :
		    dr[i].exit == 2 ? "error" : "refused";
		if (asprintf(&r->reason, "its dependency %s: %s%s%s%s%s", miss[i],
		    dr[i].reason != NULL ? dr[i].reason : dr[i].status,
		    done != NULL ? "; the dependencies installed for it were removed again (" : "",
		    done != NULL ? done : "", done != NULL ? ")" : "",
		    left != NULL ? "; some could not be removed and stay installed" : "") == -1)
			r->reason = NULL;
		r->hint = dr[i].hint != NULL ? xstrdup(dr[i].hint) : NULL;
		memcpy(r->ledger_id, dr[i].ledger_id, sizeof(r->ledger_id));
		memcpy(r->entry_hash, dr[i].entry_hash, sizeof(r->entry_hash));
		r->ndeps = i + 1;
		st = r->exit;
	}
	r->deps = dr;
	if (dry)
		cp_gate_assume(g, NULL);
	free(done);
	free(left);
	free(miss);
	cp_deps_free(d);
	return st;
}

int
cp_depinstall_install(struct cp_gate *g, const char *id, struct cp_gate_result *r)
{
	return with_deps(g, id, r, 0);
}

int
cp_depinstall_update(struct cp_gate *g, const char *id, struct cp_gate_result *r)
{
	return with_deps(g, id, r, 1);
}
