/* num: strict decimal numbers with a range, as sbase's strtonum.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "base/err.h"
#include "cli/num.h"

int
cp_num_parse(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || n < lo || n > hi) {
		errno = ERANGE;
		return -1;
	}
	*v = n;
	return 0;
}

uint64_t
xnum(const char *s, uint64_t lo, uint64_t hi, const char *what)
{
	uint64_t v;

	if (cp_num_parse(s, lo, hi, &v) == -1)
		errx(CP_EXIT_ERR, "invalid %s: %s (%" PRIu64 " to %" PRIu64 ")", what, s, lo, hi);
	return v;
}
