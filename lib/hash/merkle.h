/* merkle: RFC 9162 (RFC 6962) Merkle tree hashes, inclusion and consistency proofs, and the cp2 legacy root.
 * SPDX-License-Identifier: ISC */
#ifndef CP_MERKLE_H
#define CP_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CP_MERKLE_HASHLEN 32	/* bytes of every hash below */

/*
 * Hashing is SHA-256 through OpenSSL EVP with one context per thread, made on
 * first use and freed when the thread exits.  Every function here is
 * thread-safe, and none exits: a function that hashes returns -1 when
 * OpenSSL fails (it could not make or use that context: out of memory, in
 * practice never), with errno ENOMEM, or with e set ("merkle: " and
 * ENOMEM's text, as err(3) would say it) where it takes a struct cp_err.  Memory comes from the
 * x-allocators (exit 2 when there is none, as everywhere).
 */

/* RFC 9162 2.1: leaf hash SHA-256(0x00 || data).  Returns 0 or -1. */
int cp_merkle_leaf_hash(const void *data, size_t len, unsigned char out[32]);

/* RFC 9162 2.1: interior node SHA-256(0x01 || left || right).  Returns 0 or -1. */
int cp_merkle_node_hash(const unsigned char left[32], const unsigned char right[32],
    unsigned char out[32]);

/*
 * Streaming root, memory O(log n): a stack of complete subtree roots, one per
 * set bit of the leaf count.  Caller-allocated, holds no other resources (no
 * free function); copy it freely.
 */
struct cp_merkle {
	unsigned char stack[64][CP_MERKLE_HASHLEN];	/* roots of complete subtrees, largest first */
	unsigned depth;					/* entries in stack */
	uint64_t size;					/* leaves added */
	int failed;					/* a hash failed: no root (as ferror) */
};

/* Start an empty tree. */
void cp_merkle_init(struct cp_merkle *m);

/*
 * Append one leaf by its leaf hash (see cp_merkle_leaf_hash).  Amortised one
 * node hash.  Returns 0, or -1 when the hashing failed: m is then failed, and
 * every later add and root fails too (so a caller may check the root only).
 */
int cp_merkle_add(struct cp_merkle *m, const unsigned char leaf_hash[32]);

/* Leaves added so far. */
uint64_t cp_merkle_size(const struct cp_merkle *m);

/*
 * Root of the leaves added so far (SHA-256 of nothing when none); m
 * unchanged, more may be added.  Returns 0, or -1 (m failed, or this hashing).
 */
int cp_merkle_root(const struct cp_merkle *m, unsigned char out[32]);

/* Root of n leaf hashes held in memory (leaves: n*32 bytes, contiguous).  Returns 0 or -1. */
int cp_merkle_root_of(const unsigned char *leaves, uint64_t n, unsigned char out[32]);

/*
 * Inclusion proof (RFC 9162 2.1.3.1, bottom first) of leaf index in the tree
 * of the n leaf hashes in leaves.  *proof (caller frees; NULL when *len is 0)
 * gets *len hashes, contiguous.  Returns 0, or -1 with e ("leaf index I is
 * not below the tree size N", or the hashing failed; *proof NULL).
 */
int cp_merkle_inclusion_proof(const unsigned char *leaves, uint64_t n, uint64_t index,
    unsigned char **proof, size_t *len, struct cp_err *e);

/*
 * 1 if proof (len hashes) shows leaf_hash at index in the tree of size whose
 * root is root, by RFC 9162 2.1.3.2; 0 if not (index >= size, a proof too
 * short or too long, any hash wrong); -1 with e when the hashing failed.
 */
int cp_merkle_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf_hash[32],
    const unsigned char *proof, size_t len, const unsigned char root[32], struct cp_err *e);

/*
 * Consistency proof (RFC 9162 2.1.4.1) from the first old_size of the n leaf
 * hashes to all n; empty when old_size == n.  *proof (caller frees; NULL when
 * *len is 0) gets *len hashes.  Returns 0, or -1 with e ("old size M is not
 * between 1 and the tree size N", or the hashing failed; *proof NULL).
 */
int cp_merkle_consistency_proof(const unsigned char *leaves, uint64_t n, uint64_t old_size,
    unsigned char **proof, size_t *len, struct cp_err *e);

/*
 * 1 if proof shows the tree (old_size, old_root) is a prefix of (new_size,
 * new_root), by RFC 9162 2.1.4.2; 0 if not; -1 with e when the hashing
 * failed.  Equal sizes prove only with an empty proof and equal roots;
 * old_size 0 or old_size > new_size never prove.
 */
int cp_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
    const unsigned char old_root[32], const unsigned char new_root[32],
    const unsigned char *proof, size_t len, struct cp_err *e);

/*
 * The Python tools' legacy scheme "cp2" (design.md section 5).  Elements are
 * text; a node is SHA-256 of the text left + right, written as 64 lowercase
 * hex; a level of odd length pairs its last element with itself; one element
 * is the root unchanged; no element gives the empty root "".  Weak ([a,b,c]
 * and [a,b,c,c] collide, no domain separation): for reading old planes only.
 */
#define CP_MERKLE_CP2_ELEMMAX 4096	/* longest element text accepted */

/* Streaming cp2 root, memory O(log n).  Caller-allocated, no other resources. */
struct cp_merkle_cp2 {
	unsigned char stack[64][CP_MERKLE_HASHLEN];	/* stack[i]: pending node of level i >= 1 */
	char first[CP_MERKLE_CP2_ELEMMAX];		/* the pending element of level 0 */
	size_t firstlen;
	uint64_t size;					/* elements added */
	int failed;					/* a hash failed: no root */
};

/* Start with no elements. */
void cp_merkle_cp2_init(struct cp_merkle_cp2 *m);

/*
 * Append the element text[0..len).  Returns 0, or -1: errno EOVERFLOW when
 * len > CP_MERKLE_CP2_ELEMMAX (m unchanged), ENOMEM when the hashing failed
 * (m failed: every later add and final fails too).
 */
int cp_merkle_cp2_add(struct cp_merkle_cp2 *m, const char *text, size_t len);

/*
 * Write the root of the elements added so far, NUL-terminated, to out
 * (CP_MERKLE_CP2_ELEMMAX + 1 bytes), its length to *len.  m unchanged.
 * Returns 0, or -1 (m failed, or this hashing).
 */
int cp_merkle_cp2_final(const struct cp_merkle_cp2 *m, char *out, size_t *len);

/*
 * cp2 root over n SHA-256 digests (n*32 bytes), each taken as its 64
 * lowercase hex: hex_out gets the root as 64 lowercase hex + NUL, or ""
 * when n == 0.  Returns 0, or -1 (hex_out "") with errno ENOMEM: the
 * hashing failed, or n is more than memory can hold the tree of.
 */
int cp_merkle_cp2_root(const unsigned char *digests, uint64_t n, char hex_out[65]);

/*
 * The cp2 tree over n sorted digests, every level kept in one array, so
 * that a few changed leaves cost a part of it and not the whole: level 0
 * (the leaves) first, then each level above (its width half the one below,
 * rounded up), up to the root.  cp_merkle_cp2_nodes(n) nodes of 32 bytes in
 * all (0 for n == 0; fewer than 2n + 64).
 */
size_t cp_merkle_cp2_nodes(size_t n);

/*
 * Fill the levels above the n leaves at tree[0..n) (tree holds
 * cp_merkle_cp2_nodes(n) nodes); hex_out gets the root as cp_merkle_cp2_root
 * gives it.  On up to jobs threads (<= 0: one per online CPU) when n is large.
 * Returns 0, or -1 when the hashing failed (the tree is then not whole).
 */
int cp_merkle_cp2_tree(unsigned char *tree, size_t n, int jobs, char hex_out[65]);

/*
 * What replacing some leaves of a cp2 tree changed: per level, the nodes
 * [from, to) of the tree's array, and their new values one span after the
 * other in nodes (the caller frees nodes).  leaves: the tree's leaf count.
 */
struct cp_merkle_cp2_patch {
	size_t leaves, nspans;
	struct {
		size_t from, to;
	} span[64];
	unsigned char *nodes;
};

/*
 * The tree (as cp_merkle_cp2_tree left it, n leaves, read only) with the
 * nout >= 1 leaves out[] taken out and as many digests in[] put in their
 * sorted places (out and in each sorted): only the nodes between the least
 * and the greatest of them are hashed again, into *p (on up to jobs
 * threads when they are many), and hex_out gets the new root.  Returns 0,
 * or -1 (*p then empty, nothing to free) with errno EINVAL when a digest of
 * out is not a leaf of the tree, ENOMEM when the hashing failed.
 */
int cp_merkle_cp2_retree(const unsigned char *tree, size_t n, const unsigned char *out,
    const unsigned char *in, size_t nout, int jobs, struct cp_merkle_cp2_patch *p,
    char hex_out[65]);

#endif
