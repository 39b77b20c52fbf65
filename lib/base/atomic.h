/* atomic: write a file so that readers see the old bytes or the new, never a torn mix.
 * SPDX-License-Identifier: ISC */
#ifndef CP_FSATOMIC_H
#define CP_FSATOMIC_H

#include <stdio.h>
#include <sys/types.h>

/* Mode argument of cp_atomic_open: keep the target's mode (or 0666 & ~umask for a new file). */
#define CP_ATOMIC_KEEP_MODE ((mode_t)-1)

/* One write in progress.  Caller-allocated; fields are read-only to the caller but fp. */
struct cp_atomic {
	FILE *fp;	/* write the new content here */
	char *path;	/* the target (a name in dirfd, with cp_atomic_openat) */
	char *tmp;	/* the temporary file beside it */
	int dirfd;	/* cp_atomic_openat's directory (a duplicate), else -1 */
	int nosync;	/* set after open for a disposable file (a cache that checks
			 * itself): renamed into place atomically, never fsynced */
};

/*
 * Start replacing path: create a temporary file in path's directory
 * (".<name>.cp-tmp.<pid>.<16 hex>", O_EXCL, mode 0600 from creation so a secret is
 * never exposed; then set to mode, or see CP_ATOMIC_KEEP_MODE), flock it for
 * as long as it lives, and open a->fp on it.  Returns 0, or -1 with errno set and nothing created.
 */
int cp_atomic_open(struct cp_atomic *a, const char *path, mode_t mode);

/*
 * The same for the file name in the directory open as dirfd: the temporary
 * file is made there with openat (O_EXCL, O_NOFOLLOW), renamed with renameat
 * and the directory fsynced through the descriptor, so that no path to the
 * directory is ever resolved again (it cannot be swapped for a symlink in
 * between).  name is one component.  dirfd stays the caller's (a is given
 * a duplicate, closed on commit or abort).  CP_ATOMIC_KEEP_MODE is not
 * taken here.
 */
int cp_atomic_openat(struct cp_atomic *a, int dirfd, const char *name, mode_t mode);

/*
 * Finish: flush, fsync and close the temporary file, rename it over the
 * target, remove the temporary files of the same target that a killed
 * process left (its pid gone and its file unlocked), fsync the directory.
 * Returns 0, or -1 with errno set, the target untouched and the temporary
 * file removed.  Either way a is released.
 */
int cp_atomic_commit(struct cp_atomic *a);

/*
 * Remove every temporary file in the directory dirfd that a killed writer
 * left (".<name>.cp-tmp.<pid>.<16 hex>" exactly, its pid gone and its lock free), of any
 * target: for a directory that only the toolkit writes (a plane's .cp/).
 * Best effort; errno is not kept.
 */
void cp_atomic_sweep(int dirfd);

/* Give up: close and remove the temporary file, leave the target as it was, release a. */
void cp_atomic_abort(struct cp_atomic *a);

#endif
