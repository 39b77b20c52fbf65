/* atomic: temp file beside the target, fsync, rename, fsync the directory.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/io.h"
#include "base/xalloc.h"

static void
release(struct cp_atomic *a)
{
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
	a->fp = NULL;
	if (a->dirfd >= 0)
		close(a->dirfd);
	a->dirfd = -1;
}

/* Remove the temporary file, through the directory descriptor when there is one. */
static void
remove_tmp(const struct cp_atomic *a)
{
	if (a->dirfd >= 0)
		unlinkat(a->dirfd, a->tmp, 0);
	else
		unlink(a->tmp);
}

/*
 * A temporary file is named ".<name>.cp-tmp.<pid>.<random>", <random> being
 * exactly TMP_HEX lowercase hex digits, and flocked by its writer from
 * creation to rename, so that a later writer of the same target can tell the
 * one a killed process left (its pid gone, its lock free) and remove it.  The
 * tag and the fixed form keep a user's own ".<name>.<number>.<word>" out of
 * reach.  Returns the length of the name's prefix ".<name>.cp-tmp.<pid>.".
 */
#define TMP_TAG ".cp-tmp."
#define TMP_HEX 16

static int
tmp_prefix(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, ".%s" TMP_TAG "%ld.", name, (long)getpid());

	return n < 0 || (size_t)n >= size ? -1 : n;
}

/*
 * Whether no process runs as pid: none has it, or it is a zombie (killed,
 * its files closed, not yet reaped: a parent killed with it leaves it to an
 * init that may reap late or never).
 */
static int
pid_gone(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) == -1)
		return errno == ESRCH;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')' (comm may hold one) */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2] == 'Z' || p[2] == 'X';
}

/*
 * The pid in d, when d is exactly the name of a temporary file of name (any
 * target when name is NULL): ".<name>.cp-tmp.<pid>.<random>", a decimal pid
 * without a leading zero and TMP_HEX lowercase hex digits of random; else 0.
 */
static pid_t
tmp_pid(const char *d, const char *name)
{
	size_t len = strlen(d), taglen = strlen(TMP_TAG), i;
	const char *end, *p, *q;
	long pid = 0;

	if (d[0] != '.' || len < 1 + 1 + taglen + 1 + 1 + TMP_HEX)
		return 0;
	end = d + len - TMP_HEX;	/* the random part */
	for (q = end; *q != '\0'; q++)
		if (!(*q >= '0' && *q <= '9') && !(*q >= 'a' && *q <= 'f'))
			return 0;
	if (end[-1] != '.')
		return 0;
	for (p = end - 1; p > d && p[-1] >= '0' && p[-1] <= '9'; p--)
		;
	if (p == end - 1 || *p == '0' || end - 1 - p > 9)
		return 0;
	/* ".<name>" then the tag, whose last '.' is the one before the pid */
	if ((size_t)(p - d) < 1 + 1 + taglen || strncmp(p - taglen, TMP_TAG, taglen) != 0)
		return 0;
	i = (size_t)(p - taglen - (d + 1));	/* the name's length */
	if (name != NULL && (i != strlen(name) || strncmp(d + 1, name, i) != 0))
		return 0;
	for (q = p; q < end - 1; q++)
		pid = pid * 10 + (*q - '0');
	return pid == (long)getpid() ? 0 : (pid_t)pid;
}

/*
 * Remove the temporary files of name (every target's when NULL) in the
 * directory dirfd that a dead process left: their pid no longer runs and
 * nobody holds their lock.  Best effort: what cannot be read or locked is
 * left.
 */
static void
sweep_stale(int dirfd, const char *name)
{
	struct dirent *d;
	DIR *dir;
	pid_t pid;
	int fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if ((pid = tmp_pid(d->d_name, name)) == 0 || !pid_gone(pid))
			continue;
		fd = openat(dirfd, d->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlinkat(dirfd, d->d_name, 0);
		close(fd);
	}
	closedir(dir);
}

void
cp_atomic_sweep(int dirfd)
{
	sweep_stale(dirfd, NULL);
}

/* sweep_stale in the directory of path. */
static void
sweep_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL)
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (slash == path)
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else {
		dir = xstrndup(path, (size_t)(slash - path));
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(dir);
	}
	if (fd == -1)
		return;
	sweep_stale(fd, slash != NULL ? slash + 1 : path);
	close(fd);
}

/*
 * The temporary file fd (or -1, errno set) made: lock it (see tmp_prefix),
 * give it its mode and a stream.  Returns 0, or -1 with errno set, the file
 * removed and a released.
 */
static int
finish_open(struct cp_atomic *a, int fd, mode_t mode)
{
	int e;

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fchmod(fd, mode) == 0 &&
	    (a->fp = fdopen(fd, "w")) != NULL)
		return 0;
	e = errno;
	if (fd >= 0) {
		close(fd);
		remove_tmp(a);
	}
	release(a);
	errno = e;
	return -1;
}

/*
 * Create a's temporary file in dirfd (AT_FDCWD: a->tmp holds a path), the
 * name being a->tmp's first off bytes and then the prefix and TMP_HEX random
 * hex digits; a->tmp has room for them.  Returns the descriptor, or -1 with
 * errno set.
 */
static int
create_tmp(struct cp_atomic *a, int dirfd, size_t off, size_t size, const char *name)
{
	static const char digit[] = "0123456789abcdef";
	unsigned char r[TMP_HEX / 2];
	int fd = -1, tries, n;
	size_t i;

	if ((n = tmp_prefix(a->tmp + off, size - off - TMP_HEX, name)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (tries = 0; tries < 100; tries++) {
		if (getentropy(r, sizeof(r)) == -1)
			return -1;
		i = off + (size_t)n;
		for (size_t k = 0; k < sizeof(r); k++) {
			a->tmp[i++] = digit[r[k] >> 4];
			a->tmp[i++] = digit[r[k] & 15];
		}
		a->tmp[i] = '\0';
		fd = openat(dirfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
cp_atomic_open(struct cp_atomic *a, const char *path, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t size = strlen(path) + 32 + TMP_HEX + 1;
	struct stat st;
	mode_t mask;

	a->fp = NULL;
	a->nosync = 0;
	a->dirfd = -1;
	a->path = xstrdup(path);
	a->tmp = xmalloc(size);
	memcpy(a->tmp, path, dirlen);

	if (mode == CP_ATOMIC_KEEP_MODE) {
		if (stat(path, &st) == 0)
			mode = st.st_mode & 07777;
		else {
			mask = umask(0);
			umask(mask);
			mode = 0666 & ~mask;
		}
	}
	return finish_open(a, create_tmp(a, AT_FDCWD, dirlen, size, path + dirlen), mode);
}

int
cp_atomic_openat(struct cp_atomic *a, int dirfd, const char *name, mode_t mode)
{
	size_t size = strlen(name) + 32 + TMP_HEX + 1;

	a->fp = NULL;
	a->nosync = 0;
	a->path = xstrdup(name);
	a->tmp = xmalloc(size);
	if ((a->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return finish_open(a, -1, mode);
	return finish_open(a, create_tmp(a, a->dirfd, 0, size, name), mode);
}

int
cp_atomic_commit(struct cp_atomic *a)
{
	int e = 0;

	if (fflush(a->fp) == EOF || ferror(a->fp))
		e = errno ? errno : EIO;
	else if (!a->nosync && fsync(fileno(a->fp)) == -1)
		e = errno;
	if (fclose(a->fp) == EOF && e == 0)
		e = errno;
	if (e == 0 && (a->dirfd >= 0 ? renameat(a->dirfd, a->tmp, a->dirfd, a->path)
	    : rename(a->tmp, a->path)) == -1)
		e = errno;
	if (e != 0) {
		remove_tmp(a);
		release(a);
		errno = e;
		return -1;
	}
	/* Before the directory's fsync, which makes the removals durable too. */
	if (a->dirfd >= 0)
		sweep_stale(a->dirfd, a->path);
	else
		sweep_path(a->path);
	if (a->nosync)
		e = 0;
	else if (a->dirfd >= 0)
		e = fsync(a->dirfd) == -1 ? errno : 0;
	else
		e = cp_io_fsync_parent(a->path) == -1 ? errno : 0;
	release(a);
	errno = e;
	return e ? -1 : 0;
}

void
cp_atomic_abort(struct cp_atomic *a)
{
	int e = errno;

	if (a->fp != NULL)
		fclose(a->fp);
	if (a->tmp != NULL)
		remove_tmp(a);
	release(a);
	errno = e;
}
