/* cpus: the one reading of the CPU count.
 * SPDX-License-Identifier: ISC */
#include <unistd.h>

#include "base/cpus.h"

int
cp_cpus_online(int cap)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n < cap ? (int)n : cap;
}
