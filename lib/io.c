/* io: bounded record reading, complete writes, directory fsync. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "xalloc.h"

int
cp_io_getrec(FILE *fp, int delim, size_t max, char **buf, size_t *cap,
    size_t *len, int *ended)
{
	size_t n = 0, lim = max < SIZE_MAX - 1 ? max + 1 : SIZE_MAX;
	int c, toolong = 0;

	*ended = 0;
	flockfile(fp);
	while ((c = getc_unlocked(fp)) != EOF) {
		if (c == delim) {
			*ended = 1;
			break;
		}
		if (n >= max) {
			toolong = 1;
			continue;
		}
		if (n + 2 > *cap) {
			*cap = *cap ? *cap * 2 : 256;
			if (*cap > lim)
				*cap = lim;
			*buf = xrealloc(*buf, *cap);
		}
		(*buf)[n++] = (char)c;
	}
	funlockfile(fp);
	if (c == EOF && ferror(fp))
		return -1;
	if (n == 0 && !*ended && !toolong)
		return 0;
	if (*buf == NULL) {
		*cap = 1;
		*buf = xmalloc(1);
	}
	(*buf)[n] = '\0';
	*len = n;
	return toolong ? -2 : 1;
}

int
cp_io_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
cp_io_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, rc, e;

	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}
