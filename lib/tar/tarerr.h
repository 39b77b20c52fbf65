/* tarerr: the one way a tar module names the entry an error is about.
 * SPDX-License-Identifier: ISC */
#ifndef CP_TARERR_H
#define CP_TARERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/*
 * Put "entry INDEX 'NAME': " before e's message (name[0..len) quoted by
 * cp_quote, cut when very long), or "entry INDEX: " when name is NULL, or
 * nothing when index is 0 (the error is about the whole archive).
 * Returns -1.
 */
int cp_tarerr_entry(struct cp_err *e, uint64_t index, const char *name, size_t len);

/*
 * Unless e already holds a message (the first error sticks), set it to the
 * formatted one (errnum 0), named by cp_tarerr_entry.  Returns -1.
 */
int cp_tarerr_vset(struct cp_err *e, uint64_t index, const char *name, size_t len,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

#endif
