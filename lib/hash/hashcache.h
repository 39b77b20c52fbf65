/* hashcache: a stat-keyed cache of file digests (git's index rule, with its racy-clean check).
 * SPDX-License-Identifier: ISC */
#ifndef CP_HASHCACHE_H
#define CP_HASHCACHE_H

#include <stdint.h>
#include <sys/stat.h>

#include "hash/sha256.h"
#include "hash/statekey.h"

struct cp_hashcache;

/*
 * Load the cache kept in path, whose trailer must be the HMAC-SHA256 under
 * key (the user's state key, hash/statekey; copied, and used again by
 * cp_hashcache_save).  A missing or empty file, or an unkeyed cache of
 * version 1, gives an empty cache; a corrupt or foreign one, or one whose
 * MAC is not key's (forged, or another user's), gives an empty cache and
 * *warning (a static phrase such as "is corrupt", or NULL when there is
 * nothing to say), never trusted entries.  A file that is not a cache at
 * all is never overwritten by cp_hashcache_save.
 * What the MAC protects: the records, from whoever can write the file but
 * cannot read the key.  Not from the key's owner, nor from a change to a
 * file that leaves its device, inode, size, mtime and ctime as recorded.
 * Never returns NULL (exits 2 when out of memory).  Caller frees with
 * cp_hashcache_free.
 */
struct cp_hashcache *cp_hashcache_load(const char *path, const unsigned char key[CP_STATEKEY_LEN],
    const char **warning);

/*
 * Look up the file whose lstat/fstat is st.  Hit (returns 1, digest in out)
 * only when device, inode, size, mtime and ctime (nanoseconds) all equal the
 * recorded ones and the entry is not racy: neither its mtime nor its ctime
 * is in or after the second in which the cache file was written, so a change
 * made within that second, invisible to the timestamps, cannot be missed.
 * Lookups may run in many threads at once, and alongside cp_hashcache_store
 * (which only appends to a list of pending entries that lookups never read).
 */
int cp_hashcache_lookup(const struct cp_hashcache *c, const struct stat *st,
    unsigned char out[CP_SHA256_LEN]);

/* Record a digest for the file whose stat (taken before it was read) is st.  One thread only. */
void cp_hashcache_store(struct cp_hashcache *c, const struct stat *st,
    const unsigned char digest[CP_SHA256_LEN]);

/*
 * Write the cache back to path atomically, if anything was stored since
 * loading.  Returns 0, or -1 with errno set (the old file is untouched).
 */
int cp_hashcache_save(struct cp_hashcache *c, const char *path);

void cp_hashcache_free(struct cp_hashcache *c);

#endif
