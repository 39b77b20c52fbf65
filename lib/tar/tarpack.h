/* tarpack: a byte-identical tar.gz of a list of paths, whatever the machine, owner, times or umask.
 * SPDX-License-Identifier: ISC */
#ifndef CP_TARPACK_H
#define CP_TARPACK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct cp_tarpack_opts {
	int dirfd;		/* paths are relative to this directory */
	int level;		/* gzip level, 0-9 */
	int jobs;		/* compression threads; the output does not depend on it */
	int64_t mtime;		/* every entry's mtime: SOURCE_DATE_EPOCH, or 0 */
	int allow_symlinks;	/* store relative symlinks that stay inside the tree */
	int files_only;		/* store no directory entries (extraction makes the parents):
				 * what the Python tools' installer takes without --force */
	volatile sig_atomic_t *cancel;	/* set by a signal handler: stop writing (may be NULL) */
	/* Told each problem found while adding ("'a/b': FIFO"); add then fails. */
	void (*problem)(void *arg, const char *msg);
	void *arg;
	/* Told the bytes of file data read since the last call (may be NULL). */
	void (*progress)(void *progress_arg, uint64_t n);
	void *progress_arg;
	/* Told each entry's path as it is written, for a verbose listing (may be NULL). */
	void (*entry)(void *progress_arg, const char *path);
};

struct cp_tarpack;

/* A new, empty archive.  o is copied.  Caller releases with cp_tarpack_free. */
struct cp_tarpack *cp_tarpack_new(const struct cp_tarpack_opts *o);

/*
 * Add path (relative to o->dirfd; "." or "" is the whole directory) and,
 * if it is a directory, everything under it; its parent directories are
 * added too.  Refused, each reported through o->problem: an absolute path,
 * "..", a name that is not valid UTF-8 or that extraction would refuse
 * (see cp_tarcheck_path), a parent that is not a directory, a symlink
 * (unless allowed, and then only a relative one inside the tree), a
 * device, FIFO or socket.  A path added twice is stored once.  Returns 0,
 * or -1 if anything was refused (the rest is still added).
 */
int cp_tarpack_add(struct cp_tarpack *p, const char *path);

/*
 * Write the archive to fd: the entries in bytewise order of their paths,
 * pax-restricted ustar (pax headers only for long or non-ASCII names or
 * huge sizes), mtime o->mtime, uid and gid 0, empty user and group
 * names, mode 0755 for directories and files whose owner may execute
 * them, 0644 for other files, 0777 for symlinks; gzip as cp_gzout writes
 * it.  Returns 0, or -1 with the reason in e: a file that cannot be read
 * or changed while it was read, a write error, or o->cancel
 * ("interrupted").  After an error fd may hold part of an archive.
 */
int cp_tarpack_write(struct cp_tarpack *p, int fd, struct cp_err *e);

/*
 * The bytes of file data the archive would hold if written now: the sizes
 * of the regular files added, as they are now (one fstatat each; a file
 * gone counts 0).  For a progress meter's total.
 */
uint64_t cp_tarpack_bytes(const struct cp_tarpack *p);

/* The number of entries added so far. */
size_t cp_tarpack_count(const struct cp_tarpack *p);

/* Release p; safe on NULL. */
void cp_tarpack_free(struct cp_tarpack *p);

#endif
