/*
 * unit.h: checks for the C unit tests (tests/unit/<module>_test.c), one
 * program per library module, linked with build/libcp.a and run by
 * tests/unit.bats.  Each check prints "ok N - what" or "not ok N - what
 * (file:line)"; UNIT_END prints the count and makes main's status 0 only
 * when every check passed.
 *
 *	int main(void) {
 *		CHECK(cp_relpath_ok("a/b", 3, NULL), "a plain path");
 *		CHECK_STR(got, "want", "the message");
 *		return UNIT_END();
 *	}
 * SPDX-License-Identifier: ISC
 */
#ifndef CP_UNIT_H
#define CP_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_run, unit_failed;

static inline int
unit_check(int ok, const char *what, const char *file, int line)
{
	unit_run++;
	if (ok) {
		printf("ok %d - %s\n", unit_run, what);
		return 1;
	}
	unit_failed++;
	printf("not ok %d - %s (%s:%d)\n", unit_run, what, file, line);
	return 0;
}

#define CHECK(cond, what) unit_check((cond) != 0, (what), __FILE__, __LINE__)

/* Two strings equal (NULL equals only NULL); both shown when not. */
#define CHECK_STR(got, want, what) do {						\
	const char *unit_g = (got), *unit_w = (want);				\
	if (!unit_check(unit_g == unit_w ||					\
	    (unit_g != NULL && unit_w != NULL && strcmp(unit_g, unit_w) == 0),	\
	    (what), __FILE__, __LINE__))					\
		printf("#   got:  %s\n#   want: %s\n", unit_g ? unit_g : "(null)",	\
		    unit_w ? unit_w : "(null)");					\
} while (0)

/* The status main returns: 0 when every check passed (and there was one). */
static inline int
UNIT_END(void)
{
	printf("%d checks, %d failed\n", unit_run, unit_failed);
	return unit_failed == 0 && unit_run > 0 ? 0 : 1;
}

#endif
