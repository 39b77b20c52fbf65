/* xalloc: allocation that exits with status 2 ("out of memory") instead of returning NULL.
 * SPDX-License-Identifier: ISC */
#ifndef CP_XALLOC_H
#define CP_XALLOC_H

#include <stddef.h>

/* All of these exit(2) on failure; the caller frees what they return. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* dir "/" name, a new string. */
char *xpathjoin(const char *dir, const char *name);

#endif
