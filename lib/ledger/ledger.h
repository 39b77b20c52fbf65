/* ledger: the append-only, hash-chained ledger of design.md section 5: segments, chain, append, verify, repair. */
#ifndef CP_LEDGER_H
#define CP_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"
#include "hash/merkle.h"
#include "text/jtree.h"

/*
 * A ledger is a directory of segments (the base file governance.jsonl and
 * rotated governance-YYYYMMDD-HHMMSS[-N].jsonl) read in chain order, or one
 * segment file on its own.  Writers serialize on a flock of the lock file
 * CP_LEDGER_LOCKNAME in the segments' directory; readers take a shared lock
 * only long enough to note every segment's size, and read that snapshot, so
 * an append in progress is never mistaken for a torn line.
 */
#define CP_LEDGER_BASE "governance.jsonl"
#define CP_LEDGER_LOCKNAME ".cp-ledger.lock"
#define CP_LEDGER_LINE_MAX (1024 * 1024)	/* longest line read or written, without its newline */
#define CP_LEDGER_HEXLEN 64

/* What a line of a segment holds. */
enum cp_ledger_kind {
	CP_LEDGER_ENTRY,	/* an entry with an entry_hash */
	CP_LEDGER_LEGACY,	/* an entry whose entry_hash is empty or absent (hand-appended, Python era) */
	CP_LEDGER_BLANK,	/* empty or only white space */
	CP_LEDGER_MALFORMED	/* not an entry: detail says why */
};

/* One line as the reader delivers it. */
struct cp_ledger_line {
	const char *segment;		/* path of its segment */
	uint64_t lineno;		/* 1-based, in its segment */
	int kind;			/* enum cp_ledger_kind */
	int ended;			/* 1 when a newline ends it */
	int last;			/* 1 for the last line of the last segment */
	const char *text;		/* its bytes, without the newline (NULL if too long) */
	size_t len;
	const struct cp_jnode *entry;	/* the parsed object (ENTRY, LEGACY), else NULL */
	const char *id;			/* its "id" when a string, else NULL */
	const char *entry_hash;		/* as stored (ENTRY) */
	const char *previous_hash;	/* as stored; "" when absent (ENTRY, LEGACY) */
	unsigned char hash[32];		/* SHA-256 of its canonical form (ENTRY, LEGACY) */
	char hash_hex[CP_LEDGER_HEXLEN + 1];
	char detail[256];		/* why it is MALFORMED */
};

struct cp_ledger;

/* Flags of cp_ledger_open and cp_ledger_verify. */
#define CP_LEDGER_KEEP_LEAVES 0x1	/* verify: keep every leaf hash in memory (32 bytes an entry) for proofs */
#define CP_LEDGER_REFERENCE 0x2		/* parse lines with jansson alone, the reference reader (tests) */
#define CP_LEDGER_NO_TREE 0x4		/* verify: no Merkle tree (s->tree stays empty), for a caller without use for its root */

/*
 * Open the ledger at path (a directory of segments, or one segment file)
 * for reading: take the snapshot, order the segments by their chain (a
 * segment follows the one whose last entry_hash its first previous_hash
 * names; what no link places goes in name order, the base file first).
 * Lines are parsed as cp_jtree_load does (CP_LEDGER_REFERENCE in flags:
 * by jansson alone).  Returns 0, or -1 with the message in e (missing
 * ledger, unreadable segment).  Caller frees with cp_ledger_close.
 */
int cp_ledger_open(struct cp_ledger **lp, const char *path, unsigned flags, struct cp_err *e);

/* The number of segments, and the path of the i-th in chain order. */
size_t cp_ledger_nsegments(const struct cp_ledger *l);
const char *cp_ledger_segment(const struct cp_ledger *l, size_t i);

/*
 * Read the next line in chain order, parsed and, for entries, hashed; *ln
 * points into l (valid until the next call).  Returns 1, 0 at the end, or
 * -1 on a read error (e).
 */
int cp_ledger_read(struct cp_ledger *l, const struct cp_ledger_line **ln, struct cp_err *e);

void cp_ledger_close(struct cp_ledger *l);

/* What verification finds, in the order it finds it. */
enum cp_ledger_finding_kind {
	CP_LEDGER_TAMPERED,	/* entry_hash differs from the hash of the entry's content */
	CP_LEDGER_CHAIN_BREAK,	/* previous_hash is not the entry_hash of the entry before */
	CP_LEDGER_DUPLICATE,	/* the entry repeats the one before it */
	CP_LEDGER_BAD_LINE,	/* a malformed line */
	CP_LEDGER_TORN,		/* the last line lacks its newline or does not parse: a crash mid-append */
	CP_LEDGER_LEGACY_WARN,	/* warning: a legacy entry; the chain restarts after it */
	CP_LEDGER_BLANK_WARN	/* warning: a blank line */
};

struct cp_ledger_finding {
	int kind;			/* enum cp_ledger_finding_kind */
	int warning;			/* 1 for the warnings, which leave the ledger intact */
	const char *segment;
	uint64_t lineno;
	const char *id;			/* the entry's id, or NULL */
	const char *expected;		/* TAMPERED: the recomputed hash; CHAIN_BREAK: the entry_hash before */
	const char *actual;		/* TAMPERED: entry_hash; CHAIN_BREAK: previous_hash */
	const char *names_segment;	/* CHAIN_BREAK, DUPLICATE: where the entry that previous_hash */
	uint64_t names_lineno;		/*   names is, when it is one of the few entries just read */
	const char *detail;		/* BAD_LINE, TORN: why */
};

typedef void (*cp_ledger_finding_fn)(void *arg, const struct cp_ledger_finding *f);

/* What verification saw. */
struct cp_ledger_summary {
	uint64_t entries;		/* entries, legacy ones included */
	uint64_t legacy;
	uint64_t problems;		/* findings that are not warnings */
	uint64_t warnings;
	size_t segments;
	char **segment;			/* their paths, in chain order */
	char head[CP_LEDGER_HEXLEN + 1];	/* entry_hash of the last entry ("" when none) */
	struct cp_merkle tree;		/* RFC 9162 tree over every entry's leaf (see below) */
	unsigned char *leaves;		/* with CP_LEDGER_KEEP_LEAVES: the leaf hashes */
};

/* Free what a summary holds (segment paths, leaves). */
void cp_ledger_summary_free(struct cp_ledger_summary *s);

/*
 * Walk the ledger at path in chain order: recompute every entry's hash,
 * check every previous_hash (the first entry and the one after a legacy
 * entry must have ""), and hand each finding to fn (may be NULL).  The
 * Merkle leaf of an entry is cp_merkle_leaf_hash over the 32 bytes of its
 * recomputed hash (equal to its entry_hash when sound).  Memory does not
 * grow with the ledger unless CP_LEDGER_KEEP_LEAVES; CP_LEDGER_REFERENCE
 * parses as cp_ledger_open says; CP_LEDGER_NO_TREE (without KEEP_LEAVES)
 * spares the two hashes an entry's leaf and nodes cost.  Returns 0 intact
 * (warnings allowed), 1 when anything was found, -1 when the ledger cannot
 * be read (e).  Free *s with cp_ledger_summary_free in every case.
 */
int cp_ledger_verify(const char *path, unsigned flags, cp_ledger_finding_fn fn, void *arg,
    struct cp_ledger_summary *s, struct cp_err *e);

/* Leaf hash of an entry whose recomputed hash is hash (cp_merkle_leaf_hash over its 32 bytes). */
void cp_ledger_leaf(const unsigned char hash[32], unsigned char out[32]);

/*
 * Check an event before it is appended: a JSON object with the strings
 * event_type (not empty), submission_id, decision and reason, optionally
 * prompts_used (an array of strings) and metadata (an object), and nothing
 * else: id, timestamp, previous_hash and entry_hash are the ledger's to
 * fill.  Returns 0, or -1 with the reason in e.
 */
int cp_ledger_event_check(const struct cp_jnode *event, struct cp_err *e);

/* How to append. */
struct cp_ledger_opts {
	uint64_t rotate_bytes;	/* > 0: start a new segment when a line would take the last past this */
	const char *id;		/* tests only: this id instead of a random one */
	const char *timestamp;	/* tests only: this timestamp instead of the clock's */
};

/* Source of events for a batch: 1 with *event set (valid until the next call), 0 at the end, -1 error (e). */
typedef int (*cp_ledger_next_fn)(void *arg, const struct cp_jnode **event, struct cp_err *e);

/* Told each line written (without its newline), in order, once all of them are durable. */
typedef void (*cp_ledger_line_fn)(void *arg, const char *line, size_t len);

/*
 * Append every event next() gives to the ledger at path (created, with its
 * directory, when missing), under the exclusive lock and with one
 * fdatasync: each gets id, timestamp, previous_hash and entry_hash, and is
 * written as Python's json.dumps(entry, ensure_ascii=False) with the fields
 * in the order of design.md section 5.  All or nothing: on any error (a bad
 * event, a torn tail, a write error) the segments are cut back to where
 * they were and new ones removed.  *count (may be NULL) gets the number
 * appended.  Returns 0, or -1 with the message in e.
 */
int cp_ledger_append_batch(const char *path, const struct cp_ledger_opts *o,
    cp_ledger_next_fn next, void *arg, cp_ledger_line_fn done, void *done_arg,
    uint64_t *count, struct cp_err *e);

/*
 * Append one event (a JSON object with event_type, submission_id,
 * decision, reason, optional prompts_used and metadata) to the ledger at
 * path (a ledger/ directory or a segment file): fills id, timestamp,
 * previous_hash, entry_hash under the exclusive lock, one O_APPEND write,
 * fdatasync.  On success *line (when line is not NULL) gets the written
 * line without its newline (caller frees).  Returns 0, or -1 with a
 * message in e.
 */
int cp_ledger_append(const char *path, const json_t *event, char **line,
    struct cp_err *e);

/* What cp_ledger_repair did. */
struct cp_ledger_repair {
	int repaired;		/* 0: the tail was sound, nothing done */
	int completed;		/* 1: the last line was a sound entry missing its newline, now added */
	char segment[4096];	/* the segment repaired */
	uint64_t offset;	/* where the torn bytes began */
	uint64_t bytes;		/* how many were moved out */
	char sidefile[4096];	/* where they are kept */
};

/*
 * Under the exclusive lock, clear a torn tail of the last segment so
 * appends can resume: a last line that is a sound entry lacking only its
 * newline gets the newline; otherwise the torn bytes (the unfinished last
 * line, or an unparsable last line) are written to a new side file
 * <segment>.torn-YYYYMMDD-HHMMSS[-N] (fsynced) and then cut from the
 * segment.  Returns 0 (r says what was done), or -1 (e).
 */
int cp_ledger_repair(const char *path, struct cp_ledger_repair *r, struct cp_err *e);

#endif
