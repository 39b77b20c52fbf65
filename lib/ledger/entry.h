/* entry: one line of a segment as an entry (parsed, its chain fields found, its canonical form hashed); ids and timestamps.
 * SPDX-License-Identifier: ISC */
#ifndef CP_ENTRY_H
#define CP_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/buf.h"
#include "hash/sha256.h"
#include "text/jtree.h"

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

/* What parsing lines needs, reused from one line to the next; zeroed is ready.  One per thread. */
struct cp_entry_parser {
	int reference;		/* 1: parse with jansson alone (CP_JTREE_REFERENCE) */
	struct cp_jtree tree;	/* holds the entry of the last line parsed */
	struct cp_buf canon;	/* its canonical text */
	struct cp_sha256 sha;
};

void cp_entry_parser_free(struct cp_entry_parser *p);

/*
 * Parse one line text[0..len) (without its newline): kind, entry, id,
 * entry_hash, previous_hash, detail, and when want_hash the SHA-256 of its
 * canonical form (Python's json.dumps(entry, sort_keys=True,
 * ensure_ascii=False) without entry_hash) in hash and hash_hex.  What ln
 * points to lives in p until its next parse.  Returns ln->kind, or -1
 * when the hash was wanted and could not be computed (OpenSSL failed:
 * CP_ENTRY_DIGEST_FAILED, an error, never a verdict on the line).
 */
int cp_entry_parse(struct cp_entry_parser *p, const char *text, size_t len, int want_hash,
    struct cp_ledger_line *ln);

/* Make ln a MALFORMED line whose detail is why (a line too long to parse, say). */
void cp_entry_malformed(struct cp_ledger_line *ln, const char *why);

/* Forget the parsed entry ln points to. */
void cp_entry_clear(struct cp_ledger_line *ln);

/*
 * SHA-256 of data through the context c, reused from call to call (the
 * one-shot cp_sha256 if c fails).  Returns 0, or -1 when OpenSSL failed
 * both ways (out is then not a digest: never to be used).
 */
int cp_entry_digest(struct cp_sha256 *c, const void *data, size_t len, unsigned char out[32]);

/* The message of a failed cp_entry_digest, the same wherever it is reported. */
#define CP_ENTRY_DIGEST_FAILED "sha256: openssl failure"

/* 1 if id is an entry id: LED- and 8 lowercase hex digits. */
int cp_entry_id_ok(const char *id);

/*
 * 1 if t is an entry timestamp: Python's datetime.isoformat() of an aware
 * UTC time, 2026-01-31T22:00:11.074330+00:00, or without the fraction when
 * it is zero.
 */
int cp_entry_timestamp_ok(const char *t);

/* The clock's date and time to the second, formatted once a second; zeroed is ready. */
struct cp_entry_clock {
	time_t sec;
	char base[20];		/* YYYY-MM-DDTHH:MM:SS */
};

/* The time now as an entry timestamp (at most 32 characters and a NUL). */
void cp_entry_now(struct cp_entry_clock *c, char out[40]);

#endif
