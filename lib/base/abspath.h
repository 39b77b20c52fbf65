/* abspath: canonical absolute paths, also of files not created yet, and containment.
 * SPDX-License-Identifier: ISC */
#ifndef CP_ABSPATH_H
#define CP_ABSPATH_H

/*
 * The canonical absolute form of path, as realpath(3) gives it (no symlink,
 * no "." or ".." left), extended to a path whose last components do not
 * exist yet: the longest existing ancestor is resolved and the missing
 * components are appended as they are (a missing component cannot be a
 * symlink).  The last component, when it exists, is resolved too, unless it
 * is a dangling symlink: then the link itself is named (O_EXCL refuses it,
 * rename replaces it).  A "." or ".." after a missing component cannot be
 * resolved and fails with ENOENT, as the kernel would; so does a dangling
 * symlink before the last component.
 * Returns a string the caller frees, or NULL with errno set.
 */
char *cp_abspath_resolve(const char *path);

/*
 * 1 if the canonical path p is dir itself or lies beneath it (dir canonical
 * too: both from cp_abspath_resolve or realpath), else 0.  "/a/bc" is not
 * beneath "/a/b".
 */
int cp_abspath_within(const char *dir, const char *p);

/*
 * Create the missing directories leading to the canonical path file (not
 * file itself), each with mode, as mkdir -p -m would.  Returns 0, or -1
 * with errno set.
 */
int cp_abspath_mkparents(const char *file, unsigned mode);

#endif
