/* journal: one plane operation as a transaction (staged, ledgered, renamed into place), completed or rolled back after a crash.
 * SPDX-License-Identifier: ISC */
#ifndef CP_JOURNAL_H
#define CP_JOURNAL_H

#include <stddef.h>

#include "base/err.h"
#include "ledger/event.h"

/*
 * The transaction.  The ledger entry is the commit point: nothing the
 * plane's users see changes before it is durable, and everything after it
 * is idempotent and redone by recovery.  So a state change with no ledger
 * entry, or a ledger entry for a change that did not happen, cannot be.
 *
 *  1. cp_journal_begin takes the plane's lock (.cp/plane.lock, an flock held
 *     until commit or abort), refuses while a journal (.cp/journal) is there
 *     (run cp_journal_recover first), and makes a fresh staging directory
 *     .cp/stage/TXID (TXID: 32 random hex digits).  .cp and .cp/stage are
 *     reached through base/beneath: either one a symlink is refused.
 *  2. The caller stages new content in that directory (cp_journal_stage, or
 *     any file beneath cp_journal_stage_fd) and records the steps, in order:
 *     cp_journal_put (rename a staged file over ROOT/REL, making the parent
 *     directories) and cp_journal_del (unlink ROOT/REL, then remove the
 *     directories it leaves empty, up to ROOT).  A root is the plane (0) or
 *     one external directory (1, cp_journal_root).  Every REL passes
 *     cp_relpath_ok and is resolved beneath its root's descriptor without
 *     following a symlink (base/beneath).  No path is named twice, nor is a
 *     path a directory of another, so that no step undoes another.
 *  3. cp_journal_commit writes .cp/journal (base/atomic: fsynced, renamed):
 *     the txid, the external root, every step with the SHA-256 of each
 *     staged file, and the id of the ledger entry about to be appended
 *     (LED- and 8 random hex digits, chosen now: cp_append_with).  It then
 *     appends the caller's event to the ledger, with the member "journal":
 *     the SHA-256 of the journal file's bytes, added to its metadata.  That
 *     binds the entry to the journal: recovery acts on a journal only when
 *     an entry with its id names its digest, so a journal forged in .cp
 *     (a writable directory) cannot make recovery rename or delete anything
 *     unless the ledger also holds an entry that commits to exactly it.
 *     Then each step is performed (renameat, unlinkat beneath its root; each
 *     touched directory fsynced), the staging directory removed, the journal
 *     removed.
 *  4. cp_journal_abort, before commit: the staging directory goes, nothing
 *     else was touched.
 *  5. cp_journal_recover, under the lock: with a journal, its entry in the
 *     ledger (searched from the last segment back) means roll forward -- but
 *     only in the plane: a journal naming an external root is refused with
 *     nothing done (anyone who can write .cp/ and append to the ledger can
 *     make a journal and an entry that name each other, and their word is
 *     not enough to write outside the plane); otherwise each
 *     step is redone where not done (a put whose staged file is gone is done
 *     when its target holds the staged SHA-256; a del is done when the file
 *     is gone), then clean up; no such entry means roll back: the staging
 *     and the journal go, nothing else had changed.  Either way (and with no
 *     journal) every other .cp/stage/ directory, left by a run killed before
 *     its journal was written, is removed, and temporary journal files too.
 *
 * The journal is hostile input: it is parsed strictly (the line format
 * below, every path through cp_relpath_ok, the root absolute and canonical,
 * at most CP_JOURNAL_MAX_STEPS steps, names escaped as sha256sum escapes
 * them, re-escaped and compared byte for byte), and one that does not parse
 * is refused with nothing done (an error, exit status 2 class), to be
 * removed by hand after a look.  A staged file whose SHA-256 is not the
 * journal's is never renamed into place.
 *
 *	cp-journal 1
 *	txid <32 hex>
 *	ledger LED-<8 hex>
 *	root <absolute canonical directory>        (at most once; root 1)
 *	put <root> <sha256 of the staged file> <staged name>
 *	to <relpath>                               (follows each put)
 *	del <root> <relpath>
 *	end <number of steps>
 *
 * A name or path holding '\', LF or CR is written with those escaped as
 * \\ \n \r and a '\' before it, as in a sha256sum line (text/sumline).
 *
 * The lock file and the journal are reached through the .cp descriptor
 * (cp_lock_acquire_at, cp_atomic_openat), never by a path that a .cp
 * swapped for a symlink could redirect.  None is thread-safe on one
 * handle; the plane's lock serializes processes.
 */

#define CP_JOURNAL_MAX_STEPS 1000000	/* steps a journal may hold */
#define CP_JOURNAL_TXIDLEN 32

struct cp_journal;

/*
 * Begin a transaction on the plane whose root directory is open as
 * plane_fd (kept open by the caller; the handle holds a copy): lock, refuse
 * an unfinished journal (e says to run recovery), make the staging
 * directory.  *jp gets the handle, to be ended by cp_journal_commit or
 * cp_journal_abort.  Returns 0, or -1 (e) with nothing made and no lock held.
 */
int cp_journal_begin(int plane_fd, struct cp_journal **jp, struct cp_err *e);

/*
 * A dry run's transaction: no lock, nothing made in the plane (an unfinished
 * journal is still refused); the staging directory is a fresh one in
 * $TMPDIR (else /tmp), so that a plan can stage and check everything a real
 * run would.  Stage, put and del as usual (the puts' and dels' paths are
 * checked); cp_journal_commit refuses it; end it with cp_journal_abort.
 * Returns 0 or -1 (e).
 */
int cp_journal_begin_dry(int plane_fd, struct cp_journal **jp, struct cp_err *e);

/* 1 when j was begun by cp_journal_begin_dry. */
int cp_journal_dry(const struct cp_journal *j);

/* The id the ledger entry of j's commit will have (LED- and 8 hex digits), chosen at begin. */
const char *cp_journal_ledger_id(const struct cp_journal *j);

/* The staging directory's descriptor (the handle's: do not close it), and the txid. */
int cp_journal_stage_fd(const struct cp_journal *j);
const char *cp_journal_txid(const struct cp_journal *j);

/*
 * Create a new staged file (mode 0644 less the umask) with a fresh name
 * ("f1", "f2"...) copied to name.  Returns its descriptor, open for
 * writing (the caller's to close, before cp_journal_put), or -1 (e).
 */
int cp_journal_stage(struct cp_journal *j, char name[32], struct cp_err *e);

/*
 * Name the external root: abs is an absolute, canonical directory (as
 * cp_abspath_resolve gives it; not "/"), opened O_DIRECTORY beneath "/"
 * without following a symlink.  At most one per transaction.  Returns its
 * root number, 1, or -1 (e).
 */
int cp_journal_root(struct cp_journal *j, const char *abs, struct cp_err *e);

/*
 * Record a put: the staged file staged (a path beneath the staging
 * directory: a regular file, hashed now, so it must be complete) is to be
 * renamed over rel beneath root (0 the plane, 1 the external root).
 * Returns 0, or -1 (e: a bad or repeated path, a missing staged file...).
 */
int cp_journal_put(struct cp_journal *j, int root, const char *rel, const char *staged,
    struct cp_err *e);

/* Record a del: rel beneath root is to be unlinked (a missing file is no error). Returns 0 or -1 (e). */
int cp_journal_del(struct cp_journal *j, int root, const char *rel, struct cp_err *e);

/*
 * Commit, as the protocol above says, with the event ev (begun by the
 * caller with cp_event_begin; its metadata may be left open, at its top
 * level, and must not hold the key "journal", which commit adds) appended
 * to the ledger at ledger_path.  On success of the append *line (when line
 * is not NULL) gets the entry's line (caller frees).  j is freed and the
 * lock released in every case.
 * Returns 0 when everything is done; 1 when the entry is durable but a
 * later step failed (e says which; the journal stays, and the next
 * cp_journal_recover finishes the transaction: the change is committed);
 * -1 (e) when nothing was committed: no entry, the plane untouched (the
 * staging and the journal are removed, or left for recovery to roll back).
 */
int cp_journal_commit(struct cp_journal *j, const char *ledger_path, struct cp_event *ev,
    char **line, struct cp_err *e);

/* Give up before commit: remove the staging directory, release the lock, free j. */
void cp_journal_abort(struct cp_journal *j);

/* What cp_journal_recover did, for the caller to print or ledger. */
struct cp_journal_report {
	int journal;		/* 1 when a journal was found */
	int forward;		/* 1: rolled forward (its entry is in the ledger) */
	int back;		/* 1: rolled back (no entry: nothing had changed) */
	size_t steps;		/* rolled forward: steps the journal holds */
	size_t redone;		/* of those, steps not done yet that recovery did */
	size_t stale;		/* staging directories (and temporary journals) removed */
	char txid[CP_JOURNAL_TXIDLEN + 1];	/* the journal's, or "" */
	char ledger_id[16];	/* the journal's entry id, or "" */
};

/*
 * Recover the plane open as plane_fd, whose ledger is at ledger_path: take
 * the lock, finish or roll back a journal as the protocol says, remove
 * stale staging, release the lock.  With nothing to do, *r is all zero and
 * nothing is written.  Returns 0, or -1 (e: a journal that does not parse,
 * a staged file that does not match, an unreadable ledger...) with r
 * saying what was done before.  Running it again after success does
 * nothing.
 */
int cp_journal_recover(int plane_fd, const char *ledger_path, struct cp_journal_report *r,
    struct cp_err *e);

/*
 * Test hook: make every cp_journal_commit stop, as if the process were
 * killed, after point k (k < 0: never): 0 staging made, no journal; 1 the
 * journal written; 2 the entry appended; 3 + i the step i done (i from 0);
 * 3 + nsteps the staging removed.  It then returns -1 with e saying so,
 * leaving everything as it is (but the lock, which a killed process loses
 * too).  Not for use while other threads commit.
 */
void cp_journal_test_stop_after(int k);

#endif
