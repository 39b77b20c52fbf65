/* ledger: reading a ledger in chain order, line by line, and verifying its chain (design.md section 5).
 * SPDX-License-Identifier: ISC */
#ifndef CP_LEDGER_H
#define CP_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "hash/merkle.h"
#include "ledger/entry.h"

/*
 * A ledger open for reading: the snapshot of its segments (seg.h) taken
 * when it was opened, read in chain order, each line parsed and hashed as
 * entry.h says.
 */
struct cp_ledger;

/* Flags of cp_ledger_open and cp_ledger_verify. */
#define CP_LEDGER_KEEP_LEAVES 0x1	/* verify: keep every leaf hash in memory (32 bytes an entry) for proofs */
#define CP_LEDGER_REFERENCE 0x2		/* parse lines with jansson alone, the reference reader (tests) */
#define CP_LEDGER_NO_TREE 0x4		/* verify: no Merkle tree (s->tree stays empty), for a caller without use for its root */
#define CP_LEDGER_STRICT 0x8		/* verify: blank lines, and legacy entries after the first
					 * chained one, are problems, not warnings (CI) */

/*
 * Open the ledger at path (a directory of segments, or one segment file)
 * for reading: take the snapshot, order the segments by their chain (see
 * cp_seg_order).  Lines are parsed as cp_jtree_load does
 * (CP_LEDGER_REFERENCE in flags: by jansson alone).  Returns 0, or -1
 * with the message in e (missing ledger, unreadable segment; a directory
 * holding no segment is no ledger either: e->errnum and errno ENOENT).
 * Caller frees with cp_ledger_close.
 */
int cp_ledger_open(struct cp_ledger **lp, const char *path, unsigned flags, struct cp_err *e);

/* The same for the segments of another family (cp_seg_load_family; NULL: governance). */
int cp_ledger_open_family(struct cp_ledger **lp, const char *path, const char *family,
    unsigned flags, struct cp_err *e);

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
	CP_LEDGER_TORN,		/* the last line lacks its newline: a crash mid-append (a whole
				 * line that does not parse is BAD_LINE, wherever it is) */
	CP_LEDGER_LEGACY_WARN,	/* warning: a legacy entry; the chain restarts after it */
	CP_LEDGER_BLANK_WARN	/* warning: a blank line */
};

struct cp_ledger_finding {
	int kind;			/* enum cp_ledger_finding_kind */
	int warning;			/* 1 for the warnings, which leave the ledger intact
					 * (0 for LEGACY_WARN, BLANK_WARN under CP_LEDGER_STRICT) */
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
 * recomputed hash (equal to its entry_hash when sound).  CP_LEDGER_STRICT
 * makes blank lines and the legacy entries after the first chained entry
 * problems (a legacy entry there restarts the chain: the one way to
 * rewrite what follows it without a break).  Memory does not
 * grow with the ledger unless CP_LEDGER_KEEP_LEAVES; CP_LEDGER_REFERENCE
 * parses as cp_ledger_open says; CP_LEDGER_NO_TREE (without KEEP_LEAVES)
 * spares the two hashes an entry's leaf and nodes cost.  Returns 0 intact
 * (warnings allowed), 1 when anything was found, -1 when the ledger cannot
 * be read (e).  Free *s with cp_ledger_summary_free in every case.
 */
int cp_ledger_verify(const char *path, unsigned flags, cp_ledger_finding_fn fn, void *arg,
    struct cp_ledger_summary *s, struct cp_err *e);

/* The same for the segments of another family (cp_seg_load_family; NULL: governance). */
int cp_ledger_verify_family(const char *path, const char *family, unsigned flags,
    cp_ledger_finding_fn fn, void *arg, struct cp_ledger_summary *s, struct cp_err *e);

/* Leaf hash of an entry whose recomputed hash is hash (cp_merkle_leaf_hash over its 32 bytes); 0, or -1 when OpenSSL failed. */
int cp_ledger_leaf(const unsigned char hash[32], unsigned char out[32]);

#endif
