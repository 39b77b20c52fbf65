/* lock: advisory whole-file locks (flock) on a lock file beside what they protect.
 * SPDX-License-Identifier: ISC */
#ifndef CP_LOCK_H
#define CP_LOCK_H

/*
 * Open (creating, mode 0644, never following a symlink) the lock file
 * lockpath and take an exclusive flock on it, waiting for other holders.
 * A file that is replaced by rename must be locked through such a separate
 * file: a lock on the old inode would not exclude a writer of the new one.
 * Returns the descriptor to pass to cp_lock_release, or -1 (errno set).
 */
int cp_lock_acquire(const char *lockpath);

/*
 * The same for the lock file name in the directory open as dirfd (openat:
 * never through a symlink, whatever the path to dirfd was).
 */
int cp_lock_acquire_at(int dirfd, const char *name);

/*
 * Take a shared flock on the existing lock file lockpath (opened read-only,
 * never created, never through a symlink), waiting for an exclusive holder,
 * so a reader sees what no writer is in the middle of.  Returns the
 * descriptor to pass to cp_lock_release, or -1 with errno set (ENOENT when
 * there is no lock file: no writer has ever locked).
 */
int cp_lock_acquire_shared(const char *lockpath);

/*
 * Take an exclusive flock on the directory dir itself (never through a
 * symlink): a lock for the files in it that leaves no lock file behind.
 * Returns the descriptor to pass to cp_lock_release, or -1 (errno set).
 */
int cp_lock_acquire_dir(const char *dir);

/* Release the lock and close its descriptor. */
void cp_lock_release(int fd);

#endif
