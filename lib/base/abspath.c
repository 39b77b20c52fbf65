/* abspath: realpath(3) extended to paths not created yet, containment, mkdir -p.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/abspath.h"
#include "base/xalloc.h"

static char *
join(const char *dir, const char *name, size_t nlen)
{
	size_t dlen = strlen(dir);
	char *s;

	if (dlen == 1 && dir[0] == '/')
		dlen = 0;
	if (dlen + 1 + nlen + 1 > PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = xmalloc(dlen + 1 + nlen + 1);
	memcpy(s, dir, dlen);
	s[dlen] = '/';
	memcpy(s + dlen + 1, name, nlen);
	s[dlen + 1 + nlen] = '\0';
	return s;
}

static char *
resolve(const char *path, int last)
{
	char *r, *parent, *full;
	const char *base;
	size_t len = strlen(path), blen;
	struct stat st;

	if ((r = realpath(path, NULL)) != NULL)
		return r;
	if (errno != ENOENT)
		return NULL;
	while (len > 1 && path[len - 1] == '/')
		len--;
	for (base = path + len; base > path && base[-1] != '/'; base--)
		;
	blen = (size_t)(path + len - base);
	if (blen == 0 || (blen == 1 && base[0] == '.') ||
	    (blen == 2 && base[0] == '.' && base[1] == '.') ||
	    (!last && lstat(path, &st) == 0)) {
		errno = ENOENT;
		return NULL;
	}
	if (base == path)
		parent = resolve(".", 0);
	else {
		char *dir = xstrndup(path, (size_t)(base - path));

		parent = resolve(dir, 0);
		free(dir);
	}
	if (parent == NULL)
		return NULL;
	full = join(parent, base, blen);
	free(parent);
	return full;
}

char *
cp_abspath_resolve(const char *path)
{
	if (*path == '\0') {
		errno = ENOENT;
		return NULL;
	}
	return resolve(path, 1);
}

int
cp_abspath_within(const char *dir, const char *p)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(dir, p, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int
cp_abspath_mkparents(const char *file, unsigned mode)
{
	char *s = xstrdup(file), *p;
	struct stat st;
	int rc = 0;

	for (p = s + 1; rc == 0 && (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(s, (mode_t)mode) == -1 &&
		    (errno != EEXIST || stat(s, &st) == -1 || !S_ISDIR(st.st_mode))) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			rc = -1;
		}
		*p = '/';
	}
	free(s);
	return rc;
}
