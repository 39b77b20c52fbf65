/* extract: unpack a hostile tar.gz into a directory, all or nothing, never outside it.
 * SPDX-License-Identifier: ISC */
#ifndef CP_EXTRACT_H
#define CP_EXTRACT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "hash/sha256.h"
#include "tar/tarcheck.h"

struct cp_extract_opts {
	struct cp_tarlimits lim;
	int force;			/* replace existing regular files (by rename) */
	int allow_symlinks;		/* see CP_TARCHECK_SYMLINKS */
	int sync;			/* make the result durable (syncfs, fsync of directories) */
	volatile sig_atomic_t *cancel;	/* set by a signal handler: stop and roll back */
	struct cp_sha256 *hash;		/* fed the compressed bytes as they are read (cp_gzin_hash), or NULL */
	/* Told the compressed bytes read since the last call (may be NULL). */
	void (*progress)(void *progress_arg, uint64_t n);
	void *progress_arg;
};

/* One thing in the destination that the extraction put or found there. */
struct cp_placed {
	char *path;			/* relative to the destination, normalised */
	int type;			/* CP_TAR_FILE, _HARDLINK, _SYMLINK or _DIR */
	unsigned mode;			/* as set: 0644 or 0755 (0777 for a symlink) */
	uint64_t size;			/* bytes (files and hard links) */
	unsigned char sha256[CP_SHA256_LEN];	/* of the data (files and hard links) */
	char *target;			/* symlink target as stored; hard link target, normalised */
	int existed;			/* a file replaced (--force), or a directory already there */
};

/* The receipt: what was placed, in bytewise path order. */
struct cp_extract_receipt {
	struct cp_placed *v;
	size_t n;
};

struct cp_extract;

/*
 * Prepare the extraction of the gzip-compressed tar archive readable from
 * fd into the existing directory dir, changing nothing in dir yet.  Every
 * entry is checked (tarread, tarcheck) and written, its data hashed, into
 * a fresh staging directory "dir/.cp-tar-XXXXXXXXXXXX" (mode 0700, so on
 * dir's filesystem), held by an exclusive flock until it is removed.  The
 * one change made in dir before the commit: the staging directories of
 * extractions killed before they could remove theirs (found by their
 * names, and stale when their lock can be taken) are removed; a running
 * extraction's is never touched.  Only when the whole archive has passed
 * is dir looked at: every directory on the way to an entry must be a real directory (a
 * symlink there is never followed, whoever left it), and an entry's own
 * path must be free -- or, with o->force, a regular file, which the commit
 * then replaces by rename, never writing through it.
 * On success returns 0, sets *x (to be passed to cp_extract_commit or
 * cp_extract_abort) and fills *out with the receipt-to-be (caller frees
 * with cp_extract_receipt_free): the files, hard links and symlinks to
 * place, the directories to create (also those no entry names) and the
 * directory entries already there.  On failure the staging directory is
 * removed and -1 is returned with the reason, naming the entry, in e.
 * o must stay valid until the commit or abort.
 */
int cp_extract_stage(int fd, const char *dir, const struct cp_extract_opts *o,
    struct cp_extract **x, struct cp_extract_receipt *out, struct cp_err *e);

/*
 * Put everything in place: directories created (mode 0755; the umask is
 * not applied), files renamed in (mode 0644, or 0755 if the archive gave
 * the owner execute permission).  On any failure, including o->cancel,
 * everything done in dir is undone and -1 is returned with the reason in
 * e.  Either way the staging directory is removed and x is released.
 */
int cp_extract_commit(struct cp_extract *x, struct cp_err *e);

/* Give up before the commit: remove the staging directory, release x; dir is as it was. */
void cp_extract_abort(struct cp_extract *x);

/* Release what a receipt holds; safe on an empty one. */
void cp_extract_receipt_free(struct cp_extract_receipt *r);

#endif
