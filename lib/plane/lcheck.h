/* lcheck: the plane's own checkpoint of its ledger (ledger/checkpoint), kept by every committed operation and verified against the ledger.
 * SPDX-License-Identifier: ISC */
#ifndef CP_LCHECK_H
#define CP_LCHECK_H

#include "base/err.h"
#include "hash/note.h"
#include "ledger/checkpoint.h"
#include "ledger/ledger.h"

/*
 * A chain alone proves nothing against whoever can write the ledger: blank
 * one entry's entry_hash (a legacy line, which Python-era ledgers hold) and
 * re-hash what follows, and every link holds.  So the plane keeps
 * ledger/checkpoint, the C2SP tlog checkpoint (ledger/checkpoint.h) of its
 * ledger as cp-ledger head prints it (origin CP_LCHECK_ORIGIN, size, RFC
 * 9162 root over the entries' leaves), signed as a C2SP note by
 * $CONTROL_PLANE_SIGNING_KEY (key name: the origin) when that is set.  A
 * rewrite, a truncation or a reordering of anything it covers no longer
 * verifies.  The name is no segment's (seg.h: governance[-...].jsonl) and
 * no Python tool reads it.
 *
 * The checkpoint file is hostile input (read beneath the plane, no
 * symlink, at most CP_NOTE_MAX bytes).  Its signature policy: a note
 * signed by a trusted key (registries/keys/NAME.pub) verifies; a signature
 * line naming a trusted key that does not verify is refused; with
 * CONTROL_PLANE_SIGNATURES=required (registries/plane.conf) a checkpoint
 * without a trusted key's good signature is refused.  A plane without a
 * checkpoint (Python-built, or older) verifies by its chain alone until its
 * first committed operation makes one.
 */
#define CP_LCHECK_FILE "checkpoint"		/* in the ledger directory */
#define CP_LCHECK_ORIGIN "localhost/cp-plane"

/* The plane's checkpoint as read and checked. */
struct cp_lcheck {
	int present;			/* ledger/checkpoint exists */
	int refused;			/* malformed, or its signature fails the policy: why */
	char why[512];
	struct cp_checkpoint c;		/* when present and not refused */
	const char *signature;		/* "verified", "none" (unsigned, or no trusted key's) */
	char key[256];			/* verified: the trusted key's name (registries/keys/NAME.pub) */
	char key_id[2 * CP_NOTE_KEYIDLEN + 1];	/* verified: its C2SP key ID */
	int required;			/* the policy required a signature */
};

/*
 * Read and check the checkpoint of the plane open as planefd whose root
 * directory is root (canonical; registries/plane.conf read from it).
 * Returns 1 with k filled (k->refused says whether it may be used), 0 when
 * there is none, or -1 with e (unreadable file, keys or policy).
 */
int cp_lcheck_load(int planefd, const char *root, struct cp_lcheck *k, struct cp_err *e);

/*
 * 1 when the ledger that s summarizes (verified with CP_LEDGER_KEEP_LEAVES)
 * extends the checkpoint c: c->size entries at most, and the root of its
 * first c->size leaves is c->root; 0 when not; -1 (e) when hashing failed.
 */
int cp_lcheck_extends(const struct cp_checkpoint *c, const struct cp_ledger_summary *s,
    struct cp_err *e);

/*
 * Bring the checkpoint of the plane (planefd, root: as above; its ledger
 * root/ledger) up to its ledger: load it (cp_lcheck_load), verify the
 * ledger, and when the ledger is intact and extends it (or there is none),
 * write the new one atomically beneath the plane (signed when
 * $CONTROL_PLANE_SIGNING_KEY is set: plane/trust's rules for that key).
 * A checkpoint the ledger does not extend, or that the policy refuses, is
 * never replaced: tampering is not blessed.  The caller holds the plane's
 * lock (a transaction), after its ledger entry is durable, so that the
 * checkpoint is never ahead of the ledger.  Returns 0 (written, or already
 * up to date), or -1 with e saying why it was left as it was.
 */
int cp_lcheck_update(int planefd, const char *root, struct cp_err *e);

#endif
