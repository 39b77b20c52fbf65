/* beneath: open and make paths beneath a directory fd, never through a symlink.
 * SPDX-License-Identifier: ISC */
#ifndef CP_BENEATH_H
#define CP_BENEATH_H

#include <stddef.h>

#include "base/err.h"

/*
 * The plane's files are reached from a descriptor of its root, never by
 * name from "/": a directory or file of the plane that is a symlink (a
 * symlinked modules/, installed/, an output path through a link) must not
 * lead out of it.  Every function here takes a path rel relative to dirfd
 * (a directory descriptor, or AT_FDCWD) that passes cp_relpath_ok (no
 * "..", not absolute, not empty, no "." or empty component), and resolves
 * it without following any symlink: one on the way, or as the last
 * component, fails with ELOOP.  Linux's openat2(2) (RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) does it where the kernel has
 * it; where it answers ENOSYS (or EPERM, as some seccomp filters do), a walk
 * opens one component at a time with O_NOFOLLOW.  Both give the same
 * answers.  Mount points are crossed.
 *
 * Contract of every function:
 *  - A descriptor returned is new, O_CLOEXEC, and the caller's to close.
 *    dirfd is never closed.  On failure nothing is left open.
 *  - On failure: -1, errno set, and e (may be NULL) filled: e->errnum is
 *    errno (ELOOP for a symlink on the way, ENOENT, ENOTDIR, EEXIST...), 0
 *    for a path that cp_relpath_ok refuses (errno is then EINVAL); e->msg
 *    starts with the quoted path.
 *  - Thread-safe (no state but the openat2 probe, an atomic flag, and the
 *    test hook).  Nothing is fsynced: a caller that needs a made directory
 *    durable fsyncs it and its parent.
 */

/*
 * Open rel beneath dirfd as openat(2) would with flags and mode (mode used
 * only with O_CREAT or O_TMPFILE); O_CLOEXEC is always added.  The last
 * component is not followed either: not even O_PATH | O_NOFOLLOW opens a
 * symlink.  O_CREAT | O_EXCL on an existing symlink fails with ELOOP.
 * Returns the descriptor.
 */
int cp_beneath_open(int dirfd, const char *rel, int flags, unsigned mode,
    struct cp_err *e);

/*
 * mkdir -p of rel beneath dirfd: each missing component made with mode
 * (less the umask), an existing directory kept, a component that is a
 * symlink (to a directory or not) refused with ELOOP, one that is another
 * file with ENOTDIR.  Returns an O_RDONLY | O_DIRECTORY descriptor of rel
 * (usable for fsync, fchmod and as a dirfd).  Directories made before a
 * failure are left.
 */
int cp_beneath_mkdirs(int dirfd, const char *rel, unsigned mode,
    struct cp_err *e);

/*
 * The directory that holds rel's last component, for unlinkat, renameat,
 * linkat, mkdirat, fstatat(AT_SYMLINK_NOFOLLOW) on it: an O_RDONLY |
 * O_DIRECTORY descriptor of rel's parent (dirfd's directory, opened anew,
 * when rel has one component), made as cp_beneath_mkdirs would with mode
 * 0777 (less the umask) when create is not 0.
 * *base is set to the last component, a pointer into rel (so valid as long
 * as rel is).  The last component is not looked at: it may be missing, or
 * a symlink (which unlinkat removes and fstatat with AT_SYMLINK_NOFOLLOW
 * reports, neither following it).  Returns the descriptor.
 */
int cp_beneath_parent(int dirfd, const char *rel, int create,
    const char **base, struct cp_err *e);

/*
 * Read the regular file rel beneath dirfd whole, as a plane's small files
 * (a sidecar, a JSON signature, a manifest, a receipt) are read: opened as
 * cp_beneath_open does (no symlink anywhere; O_NONBLOCK, so a FIFO put in
 * its place cannot block), anything but a regular file of at most max
 * bytes refused (EINVAL).  Returns a new buffer, NUL-terminated, with its
 * length in *len (the caller frees), or NULL with errno and e set (ENOENT
 * when there is no such file).
 */
char *cp_beneath_read(int dirfd, const char *rel, size_t max, size_t *len, struct cp_err *e);

/*
 * Test hook: with on not 0, never use openat2 (the walk answers every
 * call), so that tests run both code paths; 0 goes back to openat2 where
 * the kernel has it.  Not for use while other threads call this module.
 */
void cp_beneath_force_walk(int on);

#endif
