/* wipe: clearing secrets from memory so that the compiler cannot leave them.
 * SPDX-License-Identifier: ISC */
#ifndef CP_WIPE_H
#define CP_WIPE_H

#include <stddef.h>

/* Overwrite n bytes at p with zeros; never optimized away (explicit_bzero). */
void cp_wipe(void *p, size_t n);

#endif
