/* lock: advisory whole-file locks (flock) on a lock file beside what they protect. */
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

/* Release the lock and close its descriptor. */
void cp_lock_release(int fd);

#endif
