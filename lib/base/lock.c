/* lock: flock on a lock file.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/lock.h"

static int
lock_fd(int fd, int how)
{
	int e;

	if (fd < 0)
		return -1;
	while (flock(fd, how) == -1) {
		if (errno == EINTR)
			continue;
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
cp_lock_acquire(const char *lockpath)
{
	return lock_fd(open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644), LOCK_EX);
}

int
cp_lock_acquire_at(int dirfd, const char *name)
{
	return lock_fd(openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644),
	    LOCK_EX);
}

int
cp_lock_acquire_shared(const char *lockpath)
{
	return lock_fd(open(lockpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), LOCK_SH);
}

int
cp_lock_acquire_dir(const char *dir)
{
	return lock_fd(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW), LOCK_EX);
}

void
cp_lock_release(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
