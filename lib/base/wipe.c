/* wipe: explicit_bzero, the one way secrets leave memory.
 * SPDX-License-Identifier: ISC */
#include <string.h>

#include "base/wipe.h"

void
cp_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}
