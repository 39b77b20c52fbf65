/* init: a new, empty plane made in a directory (cp-plane init, make init), in one step that is ledgered.
 * SPDX-License-Identifier: ISC */
#ifndef CP_INIT_H
#define CP_INIT_H

#include "plane/gate.h"

/*
 * Make the directory root a plane: registries/ with packages_registry.csv
 * and control_plane_registry.csv (the headers the Python tools wrote, CRLF,
 * no row), roles.csv naming admin admin, plane.conf pinning the hmac
 * provider; installed/, ledger/ (its first entry: event plane_init,
 * decision INIT, metadata admin, provider, os_user) and packages_store/.
 * root is made when missing (its parent must exist).
 *
 * All or nothing: everything is made in a fresh directory .cp-init.XXXXXX
 * inside root, then each directory renamed into place (never over one),
 * registries/ last, so a crash leaves no registries/ (no plane) and the
 * next run is refused only by what it would overwrite.
 *
 * Refused (r->exit 1, nothing written): root already holds registries/
 * ("already a plane"), or installed/, ledger/ or packages_store/ (a plane
 * begun elsewhere: adopt is for a plane the Python tools built).  No token
 * is asked: the plane has no roles yet; whoever can write the directory
 * makes it, and the entry names the system user.  r->hint says the next
 * steps.  Returns r->exit (0 made, 1 refused, 2 an error: a bad admin name,
 * I/O), r the caller's to free (cp_gate_result_free).
 */
int cp_init_plane(const char *root, const char *admin, const char *os_user,
    struct cp_gate_result *r);

#endif
