/* ledger_int: what the ledger's source files share (not part of the API). */
#ifndef CP_LEDGER_INT_H
#define CP_LEDGER_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "base/buf.h"
#include "hash/sha256.h"
#include "ledger/ledger.h"
#include "text/jtree.h"

/* One segment file. */
struct lseg {
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

/* The segments of a ledger, in chain order once lset_order ran. */
struct lset {
	char *dir;		/* the directory holding them, where the lock file lives */
	char *file;		/* the ledger is this one file, or NULL for a directory */
	struct lseg *seg;
	size_t n;
	int lockfd;		/* held lock, or -1 */
};

/*
 * Find the ledger at path and open its segments.  A reader (writer == 0)
 * needs the ledger to exist and holds a shared lock only while noting the
 * sizes; a writer creates the directory when missing, takes and keeps the
 * exclusive lock (released by lset_free).  Returns 0 or -1 (e).
 */
int lset_load(struct lset *s, const char *path, int writer, struct cp_err *e);

/* Put the segments in chain order (reads each one's first and last line when there are several). */
int lset_order(struct lset *s, struct cp_err *e);

/* Release the lock early (the segments stay open). */
void lset_unlock(struct lset *s);

/* Close and free everything, releasing the lock if held. */
void lset_free(struct lset *s);

/* 1 if name is a segment name: governance.jsonl or governance-YYYYMMDD-HHMMSS[-N].jsonl. */
int lseg_parse_name(const char *name, int *base, char stamp[16], unsigned long *suffix);

/* What parsing lines needs, reused from one line to the next; zeroed is ready. */
struct lparser {
	unsigned flags;		/* CP_LEDGER_REFERENCE */
	struct cp_jtree tree;	/* holds the entry of the last line parsed */
	struct cp_buf canon;	/* its canonical text */
	struct cp_sha256 sha;
};

void lparser_free(struct lparser *p);

/*
 * Parse one line: kind, entry, id, entry_hash, previous_hash, detail, and
 * when want_hash the hash of the canonical form.  What ln points to lives in
 * p until its next parse.  Returns ln->kind.
 */
int ledger_parse(struct lparser *p, const char *text, size_t len, int want_hash,
    struct cp_ledger_line *ln);

/* SHA-256 of data through the context c, reused from call to call (exits 2 if OpenSSL fails). */
void ledger_digest(struct cp_sha256 *c, const void *data, size_t len, unsigned char out[32]);

/* Forget the parsed entry ln points to. */
void ledger_line_clear(struct cp_ledger_line *ln);

/* What the end of a segment holds. */
struct ltail {
	int torn;		/* the last line lacks its newline, or does not parse */
	int completable;	/* torn only for a missing newline after a sound entry */
	off_t good_end;		/* where the sound part ends (the size when not torn) */
	char *last_hash;	/* entry_hash of the last entry: "" for legacy or none; NULL unknown */
};

/* Examine the end of the segment fd of size bytes.  Returns 0 or -1 (e).  Caller frees t->last_hash. */
int ledger_tail(int fd, off_t size, struct ltail *t, struct cp_err *e);

/* A forward line reader over fd, bounded to the first size bytes. */
struct lreader {
	int fd;
	off_t left;
	char *buf;
	size_t cap, start, end;
	int skipping;
};

void lreader_init(struct lreader *r, int fd, off_t size);
void lreader_free(struct lreader *r);

/*
 * Next line: 1 with line, len and ended set (valid until the next call), 0 at the
 * end, -1 read error (errno), -2 a line longer than CP_LEDGER_LINE_MAX was
 * skipped (*ended says whether a newline ended it).
 */
int lreader_next(struct lreader *r, const char **line, size_t *len, int *ended);

/* 1 if the reader has nothing more to give. */
int lreader_done(const struct lreader *r);

#endif
