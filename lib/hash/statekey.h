/* statekey: the per-user key that MACs what the tools keep in a plane's .cp/, kept outside every plane.
 * SPDX-License-Identifier: ISC */
#ifndef CP_STATEKEY_H
#define CP_STATEKEY_H

#include "base/err.h"

#define CP_STATEKEY_LEN 32	/* bytes of the key: an HMAC-SHA256 key */

/*
 * The key file's path: $XDG_STATE_HOME/cp/state.key, or, when
 * XDG_STATE_HOME is unset, empty or not absolute (the XDG rule),
 * $HOME/.local/state/cp/state.key ($HOME from the password database when
 * unset).  Returns it (caller frees), or NULL with e when there is no home.
 */
char *cp_statekey_path(struct cp_err *e);

/*
 * Read the user's key into key, creating it on first use: its directories
 * made 0700, the key (random bytes from getrandom(2), as 64 hex digits and
 * a newline) written to a 0600 temporary file opened O_EXCL and linked to
 * its name, so that it appears whole or not at all and two first runs
 * agree on one key.  Refused (-1 with e, key wiped): a directory "cp" that
 * is a symbolic link, not the user's or writable by group or others; a key
 * file that is a symbolic link (never followed), not a regular file, not
 * the user's or not mode 0600, or not exactly a key.  Also -1 with e when
 * the directory cannot be made (a read-only home).  The caller wipes key
 * (cp_wipe) when done.
 */
int cp_statekey_load(unsigned char key[CP_STATEKEY_LEN], struct cp_err *e);

#endif
