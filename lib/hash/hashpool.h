/* hashpool: hash many files on many threads, results delivered in input order.
 * SPDX-License-Identifier: ISC */
#ifndef CP_HASHPOOL_H
#define CP_HASHPOOL_H

#include <stdint.h>
#include <sys/stat.h>

#include "hash/hashcache.h"
#include "hash/sha256.h"

/* One file's job.  The pool owns path; user is the caller's. */
struct cp_hashjob {
	char *path;		/* "-" is standard input */
	void *user;		/* passed through from next() */
	int err;		/* 0, or the errno that stopped the hashing */
	int cached;		/* 1 when the digest came from the cache */
	uint64_t size;
	unsigned char digest[CP_SHA256_LEN];
	struct stat st;		/* taken before reading, for the cache */
};

/*
 * Producer, called on the calling thread: set *path (heap, the pool frees
 * it) and *user for the next file and return 1, or return 0 when there are
 * no more.
 */
typedef int (*cp_hashpool_next_fn)(void *arg, char **path, void **user);

/* Consumer, called on the calling thread once per job, in the order next() gave them. */
typedef void (*cp_hashpool_done_fn)(void *arg, struct cp_hashjob *job);

struct cp_hashpool_opts {
	int jobs;			/* worker threads; <= 1 hashes on the calling thread */
	struct cp_hashcache *cache;	/* NULL: no cache */
	int full;			/* 1: never take a digest from the cache (still refresh it) */
	int nofollow;			/* 1: lstat, and read regular files only: a symbolic link
					 * or other non-directory fails with EINVAL, a directory
					 * with EISDIR, job->st telling what it is */
	/*
	 * Told the bytes read since its last call (may be NULL): called from
	 * any hashing thread, several at once, so it must be thread-safe.
	 */
	void (*progress)(void *progress_arg, uint64_t n);
	void *progress_arg;
};

/*
 * Hash every file next() names, at most a bounded window of them in flight
 * (memory does not grow with the number of files), and hand each result to
 * done() in input order.  The calling thread hashes too, with jobs - 1
 * worker threads (fewer if they cannot be started).  Hashed digests are
 * stored into the cache.  Returns 0.
 */
int cp_hashpool_run(const struct cp_hashpool_opts *o, cp_hashpool_next_fn next,
    cp_hashpool_done_fn done, void *arg);

#endif
