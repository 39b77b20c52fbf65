/* strmap: a hash map from byte strings to indexes (ids to rows, names to columns, archive paths to entries).
 * SPDX-License-Identifier: ISC */
#ifndef CP_STRMAP_H
#define CP_STRMAP_H

#include <stddef.h>

struct cp_strmap;

/* An empty map.  Never returns NULL (exits 2 when out of memory).  Caller frees with cp_strmap_free. */
struct cp_strmap *cp_strmap_new(void);

/*
 * Map key[0..len) to value unless the key is already there.  Returns 1 if
 * it was added, 0 if the key was present (then *old, when not NULL,
 * receives its value, which is left unchanged).  The key is copied.
 */
int cp_strmap_add(struct cp_strmap *m, const char *key, size_t len, size_t value, size_t *old);

/* The value of key[0..len): returns 1 and sets *value, or 0 if absent. */
int cp_strmap_get(const struct cp_strmap *m, const char *key, size_t len, size_t *value);

/*
 * The value slot of key[0..len), adding the key (copied) with value 0 if it
 * is absent; *added says which.  The pointer is valid until the next add or
 * put.  When stored is not NULL it receives the map's NUL-terminated copy
 * of the key, valid until cp_strmap_free.
 */
size_t *cp_strmap_put(struct cp_strmap *m, const char *key, size_t len, int *added,
    const char **stored);

/* The value slot of key[0..len), or NULL if absent; valid until the next add or put. */
size_t *cp_strmap_ref(const struct cp_strmap *m, const char *key, size_t len);

/* Number of keys. */
size_t cp_strmap_count(const struct cp_strmap *m);

void cp_strmap_free(struct cp_strmap *m);

#endif
