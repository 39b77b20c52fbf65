/* relpath: the one rule for a path that must name something beneath a directory.
 * SPDX-License-Identifier: ISC */
#ifndef CP_RELPATH_H
#define CP_RELPATH_H

#include <stddef.h>

#include "base/err.h"

/*
 * 1 if p[0..len) is a relative, normalised path: not empty, no NUL byte,
 * no leading or trailing '/', no empty, "." or ".." component, at most
 * PATH_MAX - 1 bytes.  Any other byte (a newline, a backslash, invalid
 * UTF-8) may stand in a name.  Else 0 with e saying what is wrong (the
 * path itself is the caller's to quote).
 */
int cp_relpath_ok(const char *p, size_t len, struct cp_err *e);

#endif
