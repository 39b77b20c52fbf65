/* seg: a ledger's segment files: found, locked, put in chain order, their tails examined, their lines read, new ones made.
 * SPDX-License-Identifier: ISC */
#ifndef CP_SEG_H
#define CP_SEG_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/*
 * A ledger is a directory of segments (the base file governance.jsonl and
 * rotated governance-YYYYMMDD-HHMMSS[-N].jsonl) read in chain order, or one
 * segment file on its own.  Writers serialize on a flock of the lock file
 * CP_LEDGER_LOCKNAME in the segments' directory; readers take a shared lock
 * only long enough to note every segment's size, and read that snapshot, so
 * an append in progress is never mistaken for a torn line.
 */
#define CP_LEDGER_BASE "governance.jsonl"
#define CP_LEDGER_FAMILY "governance"	/* the base file's name without .jsonl */
#define CP_LEDGER_LOCKNAME ".cp-ledger.lock"

/* One segment file. */
struct cp_seg {
	char *path;		/* as opened: dir/name, or the file as given */
	const char *name;	/* its last component */
	int fd;			/* open read-only; -1 once closed */
	off_t size;		/* size when the snapshot (or the lock) was taken */
	int base;		/* the base file governance.jsonl */
	char stamp[16];		/* rotated: YYYYMMDDHHMMSS from the name */
	unsigned long suffix;	/* rotated: the -N that made the name unique, else 0 */
	char *first_prev;	/* previous_hash of its first entry; NULL unknown */
	char *last_hash;	/* entry_hash of its last entry ("" legacy or none); NULL unknown */
};

/* The segments of a ledger, in chain order once cp_seg_order ran. */
struct cp_segset {
	const char *family;	/* the segments' names: FAMILY.jsonl, FAMILY-*.jsonl */
	char *dir;		/* the directory holding them, where the lock file lives */
	char *file;		/* the ledger is this one file, or NULL for a directory */
	struct cp_seg *seg;
	size_t n;
	int lockfd;		/* held lock, or -1 */
};

/*
 * Find the ledger at path (a directory of segments, or one segment file)
 * and open its segments.  A reader (writer == 0) needs the ledger to exist
 * and holds a shared lock only while noting the sizes; a writer creates the
 * directory when missing, takes and keeps the exclusive lock (released by
 * cp_seg_free).  Returns 0 or -1 (e).
 */
int cp_seg_load(struct cp_segset *s, const char *path, int writer, struct cp_err *e);

/*
 * The same for another family of segments the Python tools kept in the
 * ledger directory (packages.jsonl, kernel.jsonl and their rotations):
 * family is the base file's name without .jsonl (NULL: governance), and
 * must stay valid while s is.
 */
int cp_seg_load_family(struct cp_segset *s, const char *path, const char *family, int writer,
    struct cp_err *e);

/*
 * Put the segments in chain order (reads each one's first and last line
 * when there are several): a segment follows the one whose last entry_hash
 * its first previous_hash names; what no link places goes in name order,
 * the base file first.  Returns 0 or -1 (e).
 */
int cp_seg_order(struct cp_segset *s, struct cp_err *e);

/* Release the lock early (the segments stay open). */
void cp_seg_unlock(struct cp_segset *s);

/* Close and free everything, releasing the lock if held. */
void cp_seg_free(struct cp_segset *s);

/* What the end of a segment holds. */
struct cp_seg_tail {
	int torn;		/* the last line lacks its newline (a crash mid-append) */
	int completable;	/* torn only for a missing newline after a sound entry */
	int malformed;		/* the last complete line that is not blank is not an entry */
	off_t good_end;		/* where the sound part ends, before the torn bytes or the
				 * malformed last line (the size when neither) */
	char *last_hash;	/* entry_hash of the last entry: "" for legacy or none; NULL unknown */
};

/* Examine the end of the segment fd of size bytes.  Returns 0 or -1 (e).  Caller frees t->last_hash. */
int cp_seg_tail(int fd, off_t size, struct cp_seg_tail *t, struct cp_err *e);

/* A forward line reader over fd, bounded to the first size bytes. */
struct cp_seg_reader {
	int fd;
	off_t left;
	char *buf;
	size_t cap, start, end;
	int skipping;
};

void cp_seg_reader_init(struct cp_seg_reader *r, int fd, off_t size);
void cp_seg_reader_free(struct cp_seg_reader *r);

/*
 * Next line: 1 with line, len and ended set (valid until the next call), 0 at the
 * end, -1 read error (errno), -2 a line longer than CP_LEDGER_LINE_MAX was
 * skipped (*ended says whether a newline ended it).
 */
int cp_seg_reader_next(struct cp_seg_reader *r, const char **line, size_t *len, int *ended);

/* 1 if the reader has nothing more to give. */
int cp_seg_reader_done(const struct cp_seg_reader *r);

/*
 * Write a new file in dir named prefix + suffix, or prefix-N + suffix when
 * that exists (N = 2, 3, ...): content written to a temporary file by
 * fill(), fsynced, then linked into place (never over an existing file) and
 * the directory fsynced.  On success *path gets the name (caller frees) and
 * *fdp, if not NULL, the open descriptor (read-write).  Returns 0 or -1 (e).
 */
int cp_seg_publish(const char *dir, const char *prefix, const char *suffix, mode_t mode,
    int (*fill)(int fd, void *arg), void *arg, char **path, int *fdp, struct cp_err *e);

#endif
