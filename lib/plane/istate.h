/* istate: what an integrity run saw, kept so that the next run can prove nothing changed by lstat alone.
 * SPDX-License-Identifier: ISC */
#ifndef CP_ISTATE_H
#define CP_ISTATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "hash/merkle.h"
#include "hash/statekey.h"
#include "plane/fplist.h"
#include "plane/report.h"

/*
 * Write the state file path (atomically, without fsync: it checks itself):
 * the key (the plane directory's device and inode, and opts, a text of the
 * options that shape the report), the report r (rows, files, orphans,
 * chain errors, MANIFEST.json's scheme, root and error, the plane root),
 * the cp2 tree of that root (nleaves leaves, as cp_merkle_cp2_tree lays it
 * out; none when tree is NULL) and the inputs fps.  The SHA-256 of every
 * 4 KiB block, and the HMAC-SHA256 of those under key (the user's state
 * key, hash/statekey), close it: the digests catch a torn or damaged
 * state, the MAC a forged one -- written by whoever can write the plane
 * but cannot read the key.  Not a state the key's owner wrote, nor a
 * change to an input that leaves its lstat as recorded (a full run is the
 * audit).  Returns 0, or -1 with errno.
 */
int cp_istate_save(const char *path, const unsigned char key[CP_STATEKEY_LEN],
    const struct stat *plane, const char *opts,
    const struct cp_integrity *r, const struct cp_fplist *fps, const unsigned char *tree,
    size_t nleaves);

/* A state file mapped for reading; its inputs are read first, the report after. */
struct cp_istate_cur {
	char *p, *end;		/* in the read-only mapping: never written through */
	int bad;
};

struct cp_istate {
	char *buf;		/* the mapping, NULL once the report owns it */
	const char *base;	/* the mapping, whoever owns it */
	size_t len, content;	/* the file's length; the part before the digests */
	int fd;			/* open, and locked shared until cp_istate_update */
	uint64_t gen;		/* bumped by every update in place */
	int64_t written;	/* the second it was written in, nanoseconds */
	size_t root_off;	/* where the root is (the other fixed fields follow their strings) */
	const unsigned char *tree;	/* the cp2 tree of the root, in the mapping (finished) */
	size_t tree_leaves, tree_off;
	struct cp_istate_cur c;
	unsigned char key[CP_STATEKEY_LEN];	/* the MAC's key (wiped by cp_istate_close) */
	int forged;		/* cp_istate_finish found a MAC that is not key's */
};

/*
 * Map the state file path (its MAC to be checked under key, copied into
 * m), lock it shared and read its inputs into fps
 * (their paths point into the mapping).  Returns 1 when its key (the plane
 * directory's device and inode, and opts, a text of the options that shape
 * the report) matches, else 0 (missing, foreign, other options: nothing to
 * free).  The checksums are not yet verified: the inputs can be checked
 * meanwhile.
 */
int cp_istate_map(const char *path, const unsigned char key[CP_STATEKEY_LEN],
    const struct stat *plane, const char *opts, struct cp_istate *m, struct cp_fplist *fps);

/*
 * Verify the file's MAC and digests and read the report into r (zeroed
 * first), which then owns the mapping (cp_integrity_free unmaps it: free
 * fps before r).  Returns 1, or 0 when the state is torn or corrupt, or
 * its MAC is not the key's (m->forged set: forged, another user's, or a
 * crash between an update's last digest and its MAC) (r empty; the mapping
 * still m's).
 */
int cp_istate_finish(struct cp_istate *m, struct cp_integrity *r);

/* The actual hash of a row of the report m gave (finished), as the state holds it: what it was. */
const char *cp_istate_actual(const struct cp_istate *m, const struct cp_integrity_row *row);

/*
 * Write into the state m read (finished) what differs in r and fps, and
 * the nodes of its cp2 tree that tree says changed, when every field that
 * changed kept its size and the tree its leaf count (the usual case: files'
 * contents changed, and with them digests, rows and the root), so that a
 * change costs its own bytes and not a new file.  Under an exclusive lock, and
 * only if no other run updated the file since it was read.  Returns 0
 * written, 1 when it cannot be done in place (the caller saves anew), 2
 * when another run holds or changed the file (nothing written: the next
 * run sees the change again), -1 with errno.
 */
int cp_istate_update(struct cp_istate *m, const struct cp_integrity *r,
    const struct cp_fplist *fps, const struct cp_merkle_cp2_patch *tree);

/* Release what m still holds: the mapping if the report did not take it, and the file. */
void cp_istate_close(struct cp_istate *m);

/*
 * lstat every input of fps again (relative to rootfd, on up to jobs
 * threads) and compare.  Returns 1 when nothing but hashed files changed
 * (*changed, caller frees, gets the indexes in fps of those whose lstat or
 * racy time says they may have: still regular files, to be rehashed; each
 * such entry is updated to its new lstat), 0 when anything else changed.
 */
int cp_istate_check(int rootfd, struct cp_fplist *fps, int64_t written, int jobs,
    size_t **changed, size_t *nchanged);

#endif
