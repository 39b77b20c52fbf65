/* depinstall: install and update with the missing dependencies first, all or nothing for the set.
 * SPDX-License-Identifier: ISC */
#ifndef CP_DEPINSTALL_H
#define CP_DEPINSTALL_H

#include "plane/gate.h"

/*
 * Install (update) id as cp_gate_install (cp_gate_update) does, after
 * installing each dependency of id, and theirs, that is not installed, in
 * dependency order (plane/deps), each its own cp_gate_install: one
 * authorized, ledgered transaction, whose result is an element of r->deps
 * (r->ndeps), in the order they ran.  When one of them or id itself fails,
 * the ones this call installed are removed again, newest first, each
 * removal ledgered (cp_gate_remove), and r says why (the failing step's
 * result, the reason naming the dependency).  In a dry run each dependency
 * is planned and counted as installed for the next (cp_gate_assume).
 * Returns r->exit.
 */
int cp_depinstall_install(struct cp_gate *g, const char *id, struct cp_gate_result *r);
int cp_depinstall_update(struct cp_gate *g, const char *id, struct cp_gate_result *r);

#endif
