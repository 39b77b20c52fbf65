/* proof: RFC 9162 inclusion and consistency proofs as JSON objects: made, written, read back and verified.
 * SPDX-License-Identifier: ISC */
#ifndef CP_PROOF_H
#define CP_PROOF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "base/json.h"
#include "hash/merkle.h"

#define CP_PROOF_MAX (1 << 20)	/* longest proof object read, in bytes */

enum cp_proof_kind {
	CP_PROOF_INCLUSION,	/* {"tree_size","leaf_index","leaf_hash","root","proof"} */
	CP_PROOF_CONSISTENCY	/* {"old_size","new_size","old_root","new_root","proof"} */
};

/*
 * One proof, as its JSON object holds it.  Inclusion: size[0] tree_size,
 * size[1] leaf_index, hash[0] leaf_hash, hash[1] root.  Consistency:
 * size[0] old_size, size[1] new_size, hash[0] old_root, hash[1] new_root.
 * path: the proof's npath hashes, bottom first (heap, NULL when none:
 * cp_proof_free).
 */
struct cp_proof {
	enum cp_proof_kind kind;
	uint64_t size[2];
	unsigned char hash[2][CP_MERKLE_HASHLEN];
	unsigned char *path;
	size_t npath;
};

/*
 * The proof of kind for arg (the leaf index, or the old size) in the tree
 * of the n leaf hashes at leaves, whose root is root (cp_merkle_root_of,
 * which a caller making many proofs computes once).  Returns 0, or -1 with
 * e (arg out of range, as cp_merkle_inclusion_proof and
 * cp_merkle_consistency_proof say it; the hashing failed), p then empty.
 */
int cp_proof_make(struct cp_proof *p, enum cp_proof_kind kind, const unsigned char *leaves,
    uint64_t n, const unsigned char root[CP_MERKLE_HASHLEN], uint64_t arg, struct cp_err *e);

/* Write p's two sizes and two hashes (lowercase hex) as members of the object open in w. */
void cp_proof_members(struct cp_json *w, const struct cp_proof *p);

/* Write p as one JSON Lines record: its members, then "proof" (the path, in hex). */
void cp_proof_write(struct cp_json *w, const struct cp_proof *p);

/* s[0..len) as a SHA-256 hash the way a proof writes one: 64 hex digits (either case).  0 or -1. */
int cp_proof_hash(const char *s, size_t len, unsigned char out[CP_MERKLE_HASHLEN]);

/*
 * Hashes the caller already holds (a root it trusts, say), which take the
 * place of hash[i] in every proof read: the objects need not hold them.
 */
struct cp_proof_trust {
	int set[2];
	unsigned char hash[2][CP_MERKLE_HASHLEN];
};

/* A stream of JSON objects, white space between them, read one byte at a time so that each parse stops at its closing brace. */
struct cp_proof_reader {
	FILE *fp;		/* not closed here */
	const char *name;	/* for messages */
	uint64_t lineno;	/* the line the stream has reached */
	size_t bytes;		/* of the object being read */
};

void cp_proof_reader_init(struct cp_proof_reader *rd, FILE *fp, const char *name);

/*
 * Read the next object as a proof of kind into p (t: may be NULL).  Returns
 * 1 (p set: cp_proof_free it), 0 at the end of the stream, -1 with e when
 * the value read is not such a proof ("NAME:LINE: \"root\" is missing"; the
 * next may be read), -2 with e when the stream cannot be read further (a
 * JSON syntax error, an object over CP_PROOF_MAX bytes, a read error).
 */
int cp_proof_read(struct cp_proof_reader *rd, enum cp_proof_kind kind,
    const struct cp_proof_trust *t, struct cp_proof *p, struct cp_err *e);

/* 1 if p proves what it says (RFC 9162 2.1.3.2 or 2.1.4.2), 0 if not, -1 with e when the hashing failed. */
int cp_proof_verify(const struct cp_proof *p, struct cp_err *e);

/* Free p's path (p may then be reused). */
void cp_proof_free(struct cp_proof *p);

#endif
