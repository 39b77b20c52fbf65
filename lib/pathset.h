/* pathset: a map from byte strings (paths) to a number, for duplicate and conflict checks. */
#ifndef CP_PATHSET_H
#define CP_PATHSET_H

#include <stddef.h>

struct cp_pathset;

/* An empty map.  Caller releases with cp_pathset_free. */
struct cp_pathset *cp_pathset_new(void);

/* The value stored for key[0..len), or NULL if the key is absent.  The pointer is valid until the next put. */
long *cp_pathset_get(const struct cp_pathset *m, const char *key, size_t len);

/*
 * The value slot of key[0..len), adding the key (copied) with value 0 if it
 * is absent; *added says which.  The pointer is valid until the next put.
 * When stored is not NULL it receives the map's copy of the key (NUL-
 * terminated), which stays valid until cp_pathset_free.
 */
long *cp_pathset_put(struct cp_pathset *m, const char *key, size_t len, int *added,
    const char **stored);

/* The number of keys. */
size_t cp_pathset_count(const struct cp_pathset *m);

/* Release m and its keys; safe on NULL. */
void cp_pathset_free(struct cp_pathset *m);

#endif
