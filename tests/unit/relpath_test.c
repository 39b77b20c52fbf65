/* relpath_test: base/relpath's one rule, the paths it takes and refuses, and what it says.
 * SPDX-License-Identifier: ISC */
#include <limits.h>
#include <string.h>

#include "base/relpath.h"
#include "unit.h"

static char longpath[PATH_MAX + 2];

/* Refused, and e says why (errnum 0: malformed input, not a system error). */
static void
refused(const char *p, size_t len, const char *why, const char *what)
{
	struct cp_err e;

	cp_err_clear(&e);
	CHECK(!cp_relpath_ok(p, len, &e), what);
	CHECK_STR(e.msg, why, what);
	CHECK(e.errnum == 0, what);
}

/* A path of n bytes (n <= PATH_MAX + 1): "a/a/.../a" or ending in "b", never in a '/'. */
static const char *
path_of(size_t n)
{
	for (size_t i = 0; i < n; i++)
		longpath[i] = i % 2 == 0 ? 'a' : '/';
	if (n % 2 == 0)
		longpath[n - 1] = 'b';	/* never a trailing '/' */
	longpath[n] = '\0';
	return longpath;
}

int
main(void)
{
	static const char nul_inside[] = "a\0b";

	CHECK(cp_relpath_ok("a", 1, NULL), "one component");
	CHECK(cp_relpath_ok("a/b/c", 5, NULL), "nested components");
	CHECK(cp_relpath_ok(".a", 2, NULL), "a dot file");
	CHECK(cp_relpath_ok("a..b", 4, NULL), "dots inside a name");
	CHECK(cp_relpath_ok("...", 3, NULL), "three dots is a name");
	CHECK(cp_relpath_ok("a/.b/..c", 8, NULL), "dot names in every component");
	CHECK(cp_relpath_ok("a\nb", 3, NULL), "a newline in a name");
	CHECK(cp_relpath_ok("a\\b", 3, NULL), "a backslash in a name");
	CHECK(cp_relpath_ok("a b/\t\xff", 6, NULL), "a space, a tab, invalid UTF-8");
	CHECK(cp_relpath_ok("a/b/x", 3, NULL), "only len bytes are read");
	CHECK(cp_relpath_ok(path_of(PATH_MAX - 1), PATH_MAX - 1, NULL),
	    "PATH_MAX - 1 bytes");
	CHECK(strlen(longpath) == PATH_MAX - 1, "the long path is that long");

	refused("", 0, "empty path", "empty");
	refused("a", 0, "empty path", "len 0 of a longer string");
	refused("/a", 2, "absolute path", "absolute");
	refused("/", 1, "absolute path", "the root");
	refused("a//b", 4, "empty component (// or a trailing /)", "a//b");
	refused("a/", 2, "empty component (// or a trailing /)", "a trailing /");
	refused("./a", 3, "a '.' component", "./a");
	refused("a/./b", 5, "a '.' component", "a/./b");
	refused(".", 1, "a '.' component", ".");
	refused("a/..", 4, "a '..' component", "a/..");
	refused("..", 2, "a '..' component", "..");
	refused("../a", 4, "a '..' component", "../a");
	refused("a/../b", 6, "a '..' component", "a/../b");
	refused(nul_inside, 3, "path holds a NUL byte", "a NUL inside");
	refused(path_of(PATH_MAX), PATH_MAX, "path too long", "PATH_MAX bytes");
	refused(path_of(PATH_MAX + 1), PATH_MAX + 1, "path too long", "PATH_MAX + 1 bytes");
	CHECK(!cp_relpath_ok("..", 2, NULL), "a NULL e is allowed");
	return UNIT_END();
}
