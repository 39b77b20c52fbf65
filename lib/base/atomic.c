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
}

int
cp_atomic_open(struct cp_atomic *a, const char *path, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	struct stat st;
	mode_t mask;
	int fd, e;

	a->fp = NULL;
	a->nosync = 0;
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
	fd = mkostemp(a->tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, mode) == -1 || (a->fp = fdopen(fd, "w")) == NULL) {
		e = errno;
		close(fd);
		unlink(a->tmp);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	release(a);
	errno = e;
	return -1;
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
	if (e == 0 && rename(a->tmp, a->path) == -1)
		e = errno;
	if (e != 0) {
		unlink(a->tmp);
		release(a);
		errno = e;
		return -1;
	}
	e = !a->nosync && cp_io_fsync_parent(a->path) == -1 ? errno : 0;
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
		unlink(a->tmp);
	release(a);
	errno = e;
}
