/* tarerr: the one way a tar module names the entry an error is about. */
#ifndef CP_TARERR_H
#define CP_TARERR_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/*
 * Put "entry INDEX 'NAME': " before e's message (the name quoted by
 * cp_quote, cut when very long), or "entry INDEX: " when name is NULL.
 * Returns -1.
 */
int cp_tarerr_entry(struct cp_err *e, uint64_t index, const char *name, size_t len);

#endif
