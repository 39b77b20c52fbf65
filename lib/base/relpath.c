/* relpath: relative, normalised, and so beneath whatever directory it is taken from (symlinks aside).
 * SPDX-License-Identifier: ISC */
#include <limits.h>
#include <string.h>

#include "base/relpath.h"

/* What is wrong with the path, or NULL when nothing is. */
static const char *
fault(const char *p, size_t len)
{
	size_t i = 0, n;

	if (len == 0)
		return "empty path";
	if (len >= PATH_MAX)
		return "path too long";
	if (memchr(p, '\0', len) != NULL)
		return "path holds a NUL byte";
	if (p[0] == '/')
		return "absolute path";
	for (;;) {
		const char *c = p + i, *slash = memchr(c, '/', len - i);

		n = slash != NULL ? (size_t)(slash - c) : len - i;
		if (n == 0)
			return "empty component (// or a trailing /)";
		if (n == 1 && c[0] == '.')
			return "a '.' component";
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return "a '..' component";
		if (slash == NULL)
			return NULL;
		i += n + 1;
		if (i == len)
			return "empty component (// or a trailing /)";
	}
}

int
cp_relpath_ok(const char *p, size_t len, struct cp_err *e)
{
	const char *why = fault(p, len);

	if (why == NULL)
		return 1;
	cp_err_set(e, 0, "%s", why);
	return 0;
}
