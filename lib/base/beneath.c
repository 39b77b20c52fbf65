/* beneath: openat2 where the kernel has it, an O_NOFOLLOW walk where it does not; symlinks refused either way.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* O_PATH, O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "base/beneath.h"
#include "base/io.h"
#include "base/quote.h"
#include "base/relpath.h"
#include "base/xalloc.h"

static atomic_int no_openat2;	/* the kernel said ENOSYS once */
static atomic_int force_walk;	/* the test hook */

void
cp_beneath_force_walk(int on)
{
	atomic_store(&force_walk, on != 0);
}

/* Fill e for rel[0..len) failing with errno err; errno is left err.  Returns -1. */
static int
fail(struct cp_err *e, const char *rel, size_t len, int err, const char *what)
{
	char q[512];

	cp_quote(q, sizeof q, rel, len);
	if (err == ELOOP)
		cp_err_set(e, err, "%s: a symlink on the way (refused)", q);
	else if (what != NULL)
		cp_err_set(e, err, "%s: %s", q, what);
	else
		cp_err_set(e, err, "%s", q);
	errno = err;
	return -1;
}

/* rel passes cp_relpath_ok, or e says why not (errnum 0, errno EINVAL). */
static int
checked(const char *rel, struct cp_err *e)
{
	struct cp_err why;
	char q[512];

	if (rel != NULL && cp_relpath_ok(rel, strlen(rel), &why))
		return 0;
	if (rel == NULL)
		cp_err_set(e, 0, "no path");
	else
		cp_err_set(e, 0, "%s: %s", cp_quote_cstr(q, sizeof q, rel), why.msg);
	errno = EINVAL;
	return -1;
}

static void
close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/* 1 if name in dir is a symlink: what an ENOTDIR or EEXIST that O_NOFOLLOW gave really was. */
static int
is_link(int dir, const char *name)
{
	struct stat st;

	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/* An O_PATH | O_NOFOLLOW open returns a symlink itself: refuse it too.  0, or -1 with fd closed. */
static int
not_link(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		close_keep_errno(fd);
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		errno = ELOOP;
		return -1;
	}
	return 0;
}

/*
 * One step of a walk: name (one component) in dir, O_NOFOLLOW, a symlink
 * named ELOOP whatever error O_NOFOLLOW gave.  The descriptor, or -1.
 */
static int
step(int dir, const char *name, int flags, unsigned mode)
{
	int fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);

	if (fd == -1) {
		if ((errno == ENOTDIR || errno == EEXIST) && is_link(dir, name))
			errno = ELOOP;
		return -1;
	}
	if ((flags & O_PATH) && not_link(fd) == -1)
		return -1;
	return fd;
}

/*
 * Walk rel (checked, in buf with each '/' made NUL, len bytes) beneath dir:
 * every component but the last opened as a directory, the last with flags
 * (mkdir'd first when make).  On failure *failed_len is the length of the
 * prefix of rel that failed.
 */
static int
walk(int dir, char *buf, size_t len, int flags, unsigned mode, int make,
    size_t *failed_len)
{
	int cur = dir, next;
	size_t i = 0;

	for (;;) {
		size_t n = strlen(buf + i);
		int last = i + n == len;

		if (make && mkdirat(cur, buf + i, (mode_t)mode) == -1 &&
		    errno != EEXIST)
			next = -1;
		else
			next = step(cur, buf + i, last ? flags :
			    O_PATH | O_DIRECTORY, last && !make ? mode : 0);
		if (cur != dir)
			close_keep_errno(cur);
		if (next == -1) {
			*failed_len = i + n;
			return -1;
		}
		if (last)
			return next;
		cur = next;
		i += n + 1;
	}
}

static int
open_walk(int dirfd, const char *rel, int flags, unsigned mode, int make,
    struct cp_err *e, const char *what)
{
	char buf[PATH_MAX];
	size_t len = strlen(rel), failed;
	int fd;

	memcpy(buf, rel, len + 1);
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '/')
			buf[i] = '\0';
	fd = walk(dirfd, buf, len, flags, mode, make, &failed);
	if (fd == -1)
		return fail(e, rel, make ? failed : len, errno, what);
	return fd;
}

#ifdef SYS_openat2
/* openat2, or -1 with errno ENOSYS when the kernel (or a filter) does not have it. */
static int
open_kernel(int dirfd, const char *rel, int flags, unsigned mode)
{
	struct open_how how;
	long fd;

	if (atomic_load(&force_walk) || atomic_load(&no_openat2)) {
		errno = ENOSYS;
		return -1;
	}
	memset(&how, 0, sizeof how);
	how.flags = (unsigned long long)(unsigned)(flags | O_CLOEXEC);
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
	if (fd == -1) {
		if (errno == ENOSYS)
			atomic_store(&no_openat2, 1);
		/* A seccomp filter may say EPERM for a system call it does not
		 * know: the walk answers instead, with a real EPERM if it is one. */
		if (errno == EPERM)
			errno = ENOSYS;
		return -1;
	}
	if ((flags & O_PATH) && not_link((int)fd) == -1)
		return -1;
	return (int)fd;
}
#else
static int
open_kernel(int dirfd, const char *rel, int flags, unsigned mode)
{
	(void)dirfd, (void)rel, (void)flags, (void)mode;
	errno = ENOSYS;
	return -1;
}
#endif

int
cp_beneath_open(int dirfd, const char *rel, int flags, unsigned mode,
    struct cp_err *e)
{
	int fd, err;

	if (checked(rel, e) == -1)
		return -1;
	fd = open_kernel(dirfd, rel, flags, mode);
	if (fd != -1)
		return fd;
	err = errno;
	if (err == ENOSYS)
		return open_walk(dirfd, rel, flags, mode, 0, e, NULL);
	/* O_EXCL gives EEXIST for a symlink in place: say what it was, as the walk does. */
	if (err == EEXIST && (flags & O_CREAT)) {
		const char *base;
		int pfd = cp_beneath_parent(dirfd, rel, 0, &base, NULL);

		if (pfd != -1) {
			if (is_link(pfd, base))
				err = ELOOP;
			close(pfd);
		}
	}
	return fail(e, rel, strlen(rel), err, NULL);
}

int
cp_beneath_mkdirs(int dirfd, const char *rel, unsigned mode, struct cp_err *e)
{
	if (checked(rel, e) == -1)
		return -1;
	return open_walk(dirfd, rel, O_RDONLY | O_DIRECTORY, mode, 1, e,
	    "cannot make the directory");
}

int
cp_beneath_parent(int dirfd, const char *rel, int create, const char **base,
    struct cp_err *e)
{
	char dir[PATH_MAX];
	const char *slash;
	size_t n;
	int fd;

	if (checked(rel, e) == -1)
		return -1;
	slash = strrchr(rel, '/');
	*base = slash != NULL ? slash + 1 : rel;
	if (slash == NULL) {
		/* Reopen rather than dup: the caller's dirfd may be O_PATH or AT_FDCWD. */
		fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1)
			return fail(e, ".", 1, errno, "cannot open the directory");
		return fd;
	}
	n = (size_t)(slash - rel);
	memcpy(dir, rel, n);
	dir[n] = '\0';
	if (create)
		return cp_beneath_mkdirs(dirfd, dir, 0777, e);
	return cp_beneath_open(dirfd, dir, O_RDONLY | O_DIRECTORY, 0, e);
}

char *
cp_beneath_read(int dirfd, const char *rel, size_t max, size_t *len, struct cp_err *e)
{
	int fd = cp_beneath_open(dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, e);
	struct stat st;
	size_t got;
	char *buf;

	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		cp_err_set(e, EINVAL, "%s: not a regular file of at most %zu bytes", rel, max);
		errno = EINVAL;
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	if (cp_io_read_full(fd, buf, (size_t)st.st_size, &got) == -1) {
		cp_err_set(e, errno, "%s", rel);
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}
