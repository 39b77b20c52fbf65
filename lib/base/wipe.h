/* wipe: clearing secrets from memory so that the compiler cannot leave them. */
#ifndef CP_WIPE_H
#define CP_WIPE_H

#include <stddef.h>

/* Overwrite n bytes at p with zeros; never optimized away (explicit_bzero). */
void cp_wipe(void *p, size_t n);

#endif
