/* fplist: the lstat of each input of an integrity run, as the next run compares them (git's index rule).
 * SPDX-License-Identifier: ISC */
#ifndef CP_FPLIST_H
#define CP_FPLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * One input of a run, by its lstat: a registered file, a file under a
 * registered directory, a directory walked, the registry, the ledger's
 * segments, MANIFEST.json, or a path that was absent.  The next run lstats
 * every one again; any difference (or a time in or after the second the
 * state was written: git's racy rule) is a change.
 */
struct cp_fp {
	char *path;		/* relative to the plane */
	uint64_t dev, ino, size;
	int64_t mtime, ctime;	/* nanoseconds */
	unsigned char kind;	/* 0 absent, 'f' regular file, 'd' directory, 'o' other */
	unsigned char role;	/* 'F' a hashed file: a change means rehash it;
				 * 'X' anything else: a change means a whole run;
				 * 'L' as 'X', but by stat: where a link leads */
};

struct cp_fplist {
	struct cp_fp *v;
	size_t n, cap;
	const char *blob;	/* paths inside blob[0..bloblen) belong to a state buffer */
	size_t bloblen;
};

/* Append path (copied) with its lstat st, or absent when st is NULL. */
void cp_fplist_add(struct cp_fplist *l, const char *path, const struct stat *st, int role);

/* Set f's kind, device, inode, size and times from the lstat st (absent when NULL); path and role stay. */
void cp_fplist_key(struct cp_fp *f, const struct stat *st);

/* Move every entry of from to the end of to (from is left empty). */
void cp_fplist_take(struct cp_fplist *to, struct cp_fplist *from);

void cp_fplist_free(struct cp_fplist *l);

#endif
