/* atomic: temp file beside the target, fsync, rename, fsync the directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
 * The temporary file fd (or -1, errno set) made: give it its mode and a
 * stream.  Returns 0, or -1 with errno set, the file removed and a released.
 */
static int
finish_open(struct cp_atomic *a, int fd, mode_t mode)
{
	int e;

	if (fd >= 0 && fchmod(fd, mode) == 0 && (a->fp = fdopen(fd, "w")) != NULL)
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

int
cp_atomic_open(struct cp_atomic *a, const char *path, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	struct stat st;
	mode_t mask;

	a->fp = NULL;
	a->nosync = 0;
	a->dirfd = -1;
	a->path = xstrdup(path);
	a->tmp = xmalloc(strlen(path) + 10);
	memcpy(a->tmp, path, dirlen);
	strcpy(a->tmp + dirlen, ".");
	strcat(a->tmp, path + dirlen);
	strcat(a->tmp, ".XXXXXX");

	if (mode == CP_ATOMIC_KEEP_MODE) {
		if (stat(path, &st) == 0)
			mode = st.st_mode & 07777;
		else {
			mask = umask(0);
			umask(mask);
			mode = 0666 & ~mask;
		}
	}
	return finish_open(a, mkostemp(a->tmp, O_CLOEXEC), mode);
}

int
cp_atomic_openat(struct cp_atomic *a, int dirfd, const char *name, mode_t mode)
{
	static const char digit[] = "0123456789abcdef";
	unsigned char r[8];
	int fd = -1, tries, i;

	a->fp = NULL;
	a->nosync = 0;
	a->path = xstrdup(name);
	a->tmp = xmalloc(strlen(name) + 2 + 2 * sizeof(r) + 1);
	if ((a->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return finish_open(a, -1, mode);
	for (tries = 0; fd == -1 && tries < 100; tries++) {
		if (getentropy(r, sizeof(r)) == -1)
			return finish_open(a, -1, mode);
		i = sprintf(a->tmp, ".%s.", name);
		for (size_t k = 0; k < sizeof(r); k++) {
			a->tmp[i++] = digit[r[k] >> 4];
			a->tmp[i++] = digit[r[k] & 15];
		}
		a->tmp[i] = '\0';
		fd = openat(a->dirfd, a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	return finish_open(a, fd, mode);
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
