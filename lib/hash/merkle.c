/* merkle: RFC 9162 Merkle tree hashes and proofs, and the cp2 legacy root, over SHA-256.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "base/cpus.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/xalloc.h"
#include "hash/merkle.h"
#include "hash/sha256.h"

#define HL CP_MERKLE_HASHLEN

/*
 * One EVP context per thread, reused: a fresh context per hash (EVP_Digest)
 * costs about a third more per node, and a tree of n leaves takes 2n - 1
 * hashes.  The key's destructor frees a thread's context when it exits; the
 * main thread's stays reachable until the process ends.
 */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t ctx_key;
static int key_ok;
static _Thread_local struct cp_sha256 tctx;

static void
free_ctx(void *p)
{
	struct cp_sha256 c = { p };

	cp_sha256_free(&c);
}

static void
make_key(void)
{
	key_ok = pthread_key_create(&ctx_key, free_ctx) == 0;
}

/* The thread's context, ready for a new digest; NULL with errno ENOMEM when OpenSSL fails. */
static struct cp_sha256 *
hasher(void)
{
	if (tctx.ctx == NULL) {
		pthread_once(&key_once, make_key);
		if (cp_sha256_init(&tctx) == -1)
			goto fail;
		if (key_ok)
			pthread_setspecific(ctx_key, tctx.ctx);
	} else if (cp_sha256_init(&tctx) == -1) {
		goto fail;
	}
	return &tctx;
fail:
	errno = ENOMEM;
	return NULL;
}

/* SHA-256 of a || b (either may be empty): 0, or -1 with errno ENOMEM. */
static int
hash2(const void *a, size_t alen, const void *b, size_t blen, unsigned char out[HL])
{
	struct cp_sha256 *c = hasher();

	if (c == NULL)
		return -1;
	if (cp_sha256_update(c, a, alen) == -1 || cp_sha256_update(c, b, blen) == -1 ||
	    cp_sha256_final(c, out) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* What a function that takes a struct cp_err says when the hashing failed: "merkle: <ENOMEM's text>". */
static int
hash_failed(struct cp_err *e)
{
	return cp_err_set(e, ENOMEM, "merkle");
}

int
cp_merkle_leaf_hash(const void *data, size_t len, unsigned char out[HL])
{
	static const unsigned char prefix = 0x00;

	return hash2(&prefix, 1, data, len, out);
}

int
cp_merkle_node_hash(const unsigned char left[HL], const unsigned char right[HL],
    unsigned char out[HL])
{
	unsigned char buf[1 + 2 * HL];

	/* One update of 65 bytes: each EVP call has a cost of its own. */
	buf[0] = 0x01;
	memcpy(buf + 1, left, HL);
	memcpy(buf + 1 + HL, right, HL);
	return hash2(buf, sizeof(buf), NULL, 0, out);
}

void
cp_merkle_init(struct cp_merkle *m)
{
	m->depth = 0;
	m->size = 0;
	m->failed = 0;
}

int
cp_merkle_add(struct cp_merkle *m, const unsigned char leaf_hash[HL])
{
	unsigned char h[HL];
	uint64_t s;

	if (m->failed) {
		errno = ENOMEM;
		return -1;
	}
	/* Each trailing 1 bit of the old size is a complete subtree the same size as h. */
	memcpy(h, leaf_hash, HL);
	for (s = m->size; s & 1; s >>= 1)
		if (cp_merkle_node_hash(m->stack[--m->depth], h, h) == -1) {
			m->failed = 1;
			return -1;
		}
	memcpy(m->stack[m->depth++], h, HL);
	m->size++;
	return 0;
}

uint64_t
cp_merkle_size(const struct cp_merkle *m)
{
	return m->size;
}

int
cp_merkle_root(const struct cp_merkle *m, unsigned char out[HL])
{
	unsigned char h[HL];
	unsigned i;

	if (m->failed) {
		errno = ENOMEM;
		return -1;
	}
	if (m->depth == 0)
		return cp_sha256("", 0, out);
	/* The smallest subtree is rightmost; fold right to left, as the split at powers of two does. */
	memcpy(h, m->stack[m->depth - 1], HL);
	for (i = m->depth - 1; i > 0; i--)
		if (cp_merkle_node_hash(m->stack[i - 1], h, h) == -1)
			return -1;
	memcpy(out, h, HL);
	return 0;
}

int
cp_merkle_root_of(const unsigned char *leaves, uint64_t n, unsigned char out[HL])
{
	struct cp_merkle m;
	uint64_t i;

	cp_merkle_init(&m);
	for (i = 0; i < n; i++)
		if (cp_merkle_add(&m, leaves + i * HL) == -1)
			return -1;
	return cp_merkle_root(&m, out);
}

/* The largest power of two smaller than n (n >= 2): RFC 9162's split point k. */
static uint64_t
split(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

/* Copy the count hashes of path, collected top down, into a new array bottom first. */
static void
emit(unsigned char (*path)[HL], size_t count, unsigned char **proof, size_t *len)
{
	size_t i;

	*proof = NULL;
	*len = count;
	if (count == 0)
		return;
	*proof = xreallocarray(NULL, count, HL);
	for (i = 0; i < count; i++)
		memcpy(*proof + i * HL, path[count - 1 - i], HL);
}

int
cp_merkle_inclusion_proof(const unsigned char *leaves, uint64_t n, uint64_t index,
    unsigned char **proof, size_t *len, struct cp_err *e)
{
	unsigned char path[64][HL];
	uint64_t off = 0, size = n, k;
	size_t count = 0;

	*proof = NULL;
	*len = 0;
	if (index >= n)
		return cp_err_set(e, 0, "leaf index %" PRIu64 " is not below the tree size %" PRIu64,
		    index, n);
	/* PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]), or PATH(m - k, D[k:n]) : MTH(D[0:k]). */
	while (size > 1) {
		k = split(size);
		if (index < k) {
			if (cp_merkle_root_of(leaves + (off + k) * HL, size - k, path[count++]) == -1)
				return hash_failed(e);
			size = k;
		} else {
			if (cp_merkle_root_of(leaves + off * HL, k, path[count++]) == -1)
				return hash_failed(e);
			off += k;
			index -= k;
			size -= k;
		}
	}
	emit(path, count, proof, len);
	return 0;
}

int
cp_merkle_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf_hash[HL],
    const unsigned char *proof, size_t len, const unsigned char root[HL], struct cp_err *e)
{
	unsigned char r[HL];
	uint64_t fn = index, sn;
	size_t i;

	if (index >= size)
		return 0;
	sn = size - 1;
	memcpy(r, leaf_hash, HL);
	for (i = 0; i < len; i++) {
		const unsigned char *p = proof + i * HL;

		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			if (cp_merkle_node_hash(p, r, r) == -1)
				return hash_failed(e);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (cp_merkle_node_hash(r, p, r) == -1) {
			return hash_failed(e);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, HL) == 0;
}

int
cp_merkle_consistency_proof(const unsigned char *leaves, uint64_t n, uint64_t old_size,
    unsigned char **proof, size_t *len, struct cp_err *e)
{
	unsigned char path[65][HL];
	uint64_t off = 0, size = n, m = old_size, k;
	size_t count = 0;
	int whole = 1;	/* RFC 9162's b: the old tree is a whole subtree of the proof so far */

	*proof = NULL;
	*len = 0;
	if (old_size == 0 || old_size > n)
		return cp_err_set(e, 0, "old size %" PRIu64 " is not between 1 and the tree size %"
		    PRIu64, old_size, n);
	/*
	 * SUBPROOF(m, D[m], b) = {} if b, else {MTH(D[m])};
	 * SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if m <= k,
	 * else SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]).
	 */
	while (m != size) {
		k = split(size);
		if (m <= k) {
			if (cp_merkle_root_of(leaves + (off + k) * HL, size - k, path[count++]) == -1)
				return hash_failed(e);
			size = k;
		} else {
			if (cp_merkle_root_of(leaves + off * HL, k, path[count++]) == -1)
				return hash_failed(e);
			off += k;
			m -= k;
			size -= k;
			whole = 0;
		}
	}
	if (!whole && cp_merkle_root_of(leaves + off * HL, size, path[count++]) == -1)
		return hash_failed(e);
	emit(path, count, proof, len);
	return 0;
}

int
cp_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
    const unsigned char old_root[HL], const unsigned char new_root[HL],
    const unsigned char *proof, size_t len, struct cp_err *e)
{
	unsigned char fr[HL], sr[HL];
	uint64_t fn, sn;
	size_t i = 0;

	if (old_size == 0 || old_size > new_size)
		return 0;
	if (old_size == new_size)
		return len == 0 && memcmp(old_root, new_root, HL) == 0;
	if (len == 0)
		return 0;
	/* An old tree that is a power of two is a whole subtree: its root starts the path. */
	if ((old_size & (old_size - 1)) == 0) {
		memcpy(fr, old_root, HL);
	} else {
		memcpy(fr, proof, HL);
		i = 1;
	}
	memcpy(sr, fr, HL);
	fn = old_size - 1;
	sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		const unsigned char *c = proof + i * HL;

		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			if (cp_merkle_node_hash(c, fr, fr) == -1 || cp_merkle_node_hash(c, sr, sr) == -1)
				return hash_failed(e);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (cp_merkle_node_hash(sr, c, sr) == -1) {
			return hash_failed(e);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, old_root, HL) == 0 && memcmp(sr, new_root, HL) == 0;
}

void
cp_merkle_cp2_init(struct cp_merkle_cp2 *m)
{
	m->firstlen = 0;
	m->size = 0;
	m->failed = 0;
}

/* The cp2 node: SHA-256 of the two texts, one after the other. */
static int
cp2_node(const char *l, size_t llen, const char *r, size_t rlen, unsigned char out[HL])
{
	return hash2(l, llen, r, rlen, out);
}

/* A cp2 node of two level >= 1 nodes, each taken as its lowercase hex, at out (which may be l or r). */
static int
cp2_pair(const unsigned char *l, const unsigned char *r, unsigned char *out)
{
	char text[4 * HL + 1];

	cp_hex_encode(l, HL, text);
	cp_hex_encode(r, HL, text + 2 * HL);
	return cp2_node(text, 4 * HL, NULL, 0, out);
}

int
cp_merkle_cp2_add(struct cp_merkle_cp2 *m, const char *text, size_t len)
{
	unsigned char h[HL];
	uint64_t s;
	unsigned level;

	if (m->failed) {
		errno = ENOMEM;
		return -1;
	}
	if (len > CP_MERKLE_CP2_ELEMMAX) {
		errno = EOVERFLOW;
		return -1;
	}
	if (!(m->size & 1)) {
		memcpy(m->first, text, len);
		m->firstlen = len;
		m->size++;
		return 0;
	}
	/* Pairs complete upwards like a binary counter; stack[i] pends while bit i of size is set. */
	if (cp2_node(m->first, m->firstlen, text, len, h) == -1)
		goto fail;
	for (s = m->size >> 1, level = 1; s & 1; s >>= 1, level++)
		if (cp2_pair(m->stack[level], h, h) == -1)
			goto fail;
	memcpy(m->stack[level], h, HL);
	m->size++;
	return 0;
fail:
	m->failed = 1;
	return -1;
}

int
cp_merkle_cp2_final(const struct cp_merkle_cp2 *m, char *out, size_t *len)
{
	unsigned char carry[HL];
	int have_carry = 0;
	unsigned level;

	if (m->failed) {
		errno = ENOMEM;
		return -1;
	}
	if (m->size <= 1) {
		/* One element is the root unchanged: the Python tool returned it as it was. */
		*len = m->size ? m->firstlen : 0;
		memcpy(out, m->first, *len);
		out[*len] = '\0';
		return 0;
	}
	/*
	 * Finish each level from the bottom: its unpaired tail is the pending
	 * node (bit set) and the carry from below.  Two pair up; one alone is
	 * the root if nothing was paired at this level before (no higher bit),
	 * else it is paired with itself.
	 */
	if (m->size & 1) {
		if (cp2_node(m->first, m->firstlen, m->first, m->firstlen, carry) == -1)
			return -1;
		have_carry = 1;
	}
	for (level = 1; level < 64; level++) {
		int pending = (m->size >> level) & 1;
		int alone = (m->size >> (level + 1)) == 0;

		if (pending && have_carry) {
			if (cp2_pair(m->stack[level], carry, carry) == -1)
				return -1;
		} else if (pending || have_carry) {
			if (pending)
				memcpy(carry, m->stack[level], HL);
			if (alone)
				break;
			if (cp2_pair(carry, carry, carry) == -1)
				return -1;
		}
		have_carry = pending || have_carry;
	}
	cp_hex_encode(carry, HL, out);
	*len = 2 * HL;
	return 0;
}

/* --- the cp2 tree, every level kept ----------------------------------------- */

#define CP2_CHUNK ((size_t)1 << 10)	/* leaves per thread's task: a whole subtree */
#define CP2_CHUNK_LEVELS 10

/*
 * A cp2 tree being built, whole or in part: level t has w[t] nodes from
 * base[t] in the tree's array; its nodes [a[t], b[t]) are (re)computed into
 * seg[t], and the others are read from old.  Built whole, the spans are the
 * levels and seg[t] is the tree itself.
 */
struct cp2_work {
	const unsigned char *old;
	unsigned levels;
	size_t w[64], base[64], a[64], b[64];
	unsigned char *seg[64];
};

/* The widths of the levels over n >= 1 leaves (w[0] = n ... 1) and where each starts. */
static void
cp2_levels(struct cp2_work *k, size_t n)
{
	unsigned t = 0;

	k->w[0] = n;
	k->base[0] = 0;
	while (k->w[t] > 1) {
		k->w[t + 1] = (k->w[t] + 1) / 2;
		k->base[t + 1] = k->base[t] + k->w[t];
		t++;
	}
	k->levels = t + 1;
}

size_t
cp_merkle_cp2_nodes(size_t n)
{
	struct cp2_work k;

	if (n == 0)
		return 0;
	cp2_levels(&k, n);
	return k.base[k.levels - 1] + 1;
}

static const unsigned char *
cp2_node_at(const struct cp2_work *k, unsigned t, size_t j)
{
	if (j >= k->a[t] && j < k->b[t])
		return k->seg[t] + (j - k->a[t]) * HL;
	return k->old + (k->base[t] + j) * HL;
}

/*
 * Nodes [from, to) of level t >= 1: each over its pair below, a level's odd
 * last node with itself.  0, or -1 when the hashing failed.
 */
static int
cp2_fill(const struct cp2_work *k, unsigned t, size_t from, size_t to)
{
	for (size_t j = from; j < to; j++) {
		size_t l = 2 * j, r = l + 1 < k->w[t - 1] ? l + 1 : l;

		if (cp2_pair(cp2_node_at(k, t - 1, l), cp2_node_at(k, t - 1, r),
		    k->seg[t] + (j - k->a[t]) * HL) == -1)
			return -1;
	}
	return 0;
}

struct cp2_task {
	const struct cp2_work *k;
	size_t first, last, step;
	int failed;		/* the hashing failed: the tree is not whole */
};

/*
 * Chunks first, first + step, ... up to last: an aligned chunk of
 * CP2_CHUNK leaves is a whole subtree, whose first CP2_CHUNK_LEVELS levels
 * above need nothing from outside it (the last, partial one ends where its
 * levels end, with their odd last nodes).
 */
static void *
cp2_chunks(void *arg)
{
	struct cp2_task *c = arg;
	const struct cp2_work *k = c->k;

	for (size_t i = c->first; i <= c->last && !c->failed; i += c->step)
		for (unsigned t = 1; t <= CP2_CHUNK_LEVELS; t++) {
			size_t from = i * (CP2_CHUNK >> t), to = (i + 1) * (CP2_CHUNK >> t);

			if (cp2_fill(k, t, from > k->a[t] ? from : k->a[t],
			    to < k->b[t] ? to : k->b[t]) == -1) {
				c->failed = 1;
				break;
			}
		}
	return NULL;
}

/*
 * Every level's span above level 0, on up to jobs threads when it is large;
 * the root's hex out.  0, or -1 with errno ENOMEM when the hashing failed.
 */
static int
cp2_climb(const struct cp2_work *k, int jobs, char hex_out[65])
{
	struct cp2_task task[8];
	pthread_t th[8];
	int started[8] = { 0 };
	unsigned t = 1;
	int j, failed = 0;

	if (jobs <= 0)
		jobs = cp_cpus_online(8);
	if (jobs > 8)
		jobs = 8;
	if (jobs > 1 && k->b[0] - k->a[0] >= 2 * CP2_CHUNK && k->levels > CP2_CHUNK_LEVELS) {
		for (j = 0; j < jobs; j++) {
			task[j] = (struct cp2_task){ k, k->a[0] / CP2_CHUNK + (size_t)j,
			    (k->b[0] - 1) / CP2_CHUNK, (size_t)jobs, 0 };
			if (j > 0)
				started[j] = pthread_create(&th[j], NULL, cp2_chunks, &task[j]) == 0;
			if (j > 0 && !started[j])
				cp2_chunks(&task[j]);
		}
		cp2_chunks(&task[0]);
		for (j = 0; j < jobs; j++) {
			if (j > 0 && started[j])
				pthread_join(th[j], NULL);
			failed |= task[j].failed;
		}
		t = CP2_CHUNK_LEVELS + 1;
	}
	for (; t < k->levels && !failed; t++)
		failed = cp2_fill(k, t, k->a[t], k->b[t]) == -1;
	if (failed) {
		errno = ENOMEM;
		return -1;
	}
	/* One element is the root as it is: its hex. */
	cp_hex_encode(cp2_node_at(k, k->levels - 1, 0), HL, hex_out);
	return 0;
}

int
cp_merkle_cp2_tree(unsigned char *tree, size_t n, int jobs, char hex_out[65])
{
	struct cp2_work k;

	*hex_out = '\0';
	if (n == 0)
		return 0;
	cp2_levels(&k, n);
	k.old = tree;
	for (unsigned t = 0; t < k.levels; t++) {
		k.a[t] = 0;
		k.b[t] = k.w[t];
		k.seg[t] = tree + k.base[t] * HL;
	}
	return cp2_climb(&k, jobs, hex_out);
}

/* The first of the n sorted digests at v that is > key (upper) or >= key. */
static size_t
cp2_bound(const unsigned char *v, size_t n, const unsigned char *key, int upper)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(v + mid * HL, key, HL);
		if (c < 0 || (upper && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
cp_merkle_cp2_retree(const unsigned char *tree, size_t n, const unsigned char *out,
    const unsigned char *in, size_t nout, int jobs, struct cp_merkle_cp2_patch *p,
    char hex_out[65])
{
	struct cp2_work k;
	const unsigned char *lmin, *lmax, *v;
	unsigned char *seg;
	size_t a, b, total = 0, j, q, i;
	unsigned t;

	memset(p, 0, sizeof(*p));
	p->leaves = n;
	if (nout == 0 || nout > n) {
		errno = EINVAL;
		return -1;
	}
	cp2_levels(&k, n);
	k.old = tree;
	/*
	 * Level 0 changes only between the least and the greatest digest
	 * taken out or put in: outside, every leaf keeps its place.  Each
	 * level's span is then the parents of the one below.
	 */
	lmin = memcmp(out, in, HL) < 0 ? out : in;
	lmax = memcmp(out + (nout - 1) * HL, in + (nout - 1) * HL, HL) > 0 ?
	    out + (nout - 1) * HL : in + (nout - 1) * HL;
	a = cp2_bound(tree, n, lmin, 0);
	b = cp2_bound(tree, n, lmax, 1);
	if (b - a < nout) {
		errno = EINVAL;
		return -1;
	}
	for (t = 0; t < k.levels; t++) {
		k.a[t] = a;
		k.b[t] = b;
		p->span[t].from = k.base[t] + a;
		p->span[t].to = k.base[t] + b;
		total += b - a;
		a /= 2;
		b = (b - 1) / 2 + 1;
	}
	p->nspans = k.levels;
	p->nodes = xmalloc(total * HL);
	for (t = 0, seg = p->nodes; t < k.levels; seg += (k.b[t] - k.a[t]) * HL, t++)
		k.seg[t] = seg;
	/* The old span less out, merged with in. */
	seg = k.seg[0];
	for (j = k.a[0], q = i = 0; j < k.b[0]; j++) {
		int c;

		v = tree + j * HL;
		c = q < nout ? memcmp(v, out + q * HL, HL) : -1;
		if (c == 0) {
			q++;
			continue;
		}
		if (c > 0)
			goto bad;	/* out[q] is not a leaf of the tree */
		for (; i < nout && memcmp(in + i * HL, v, HL) < 0; i++, seg += HL)
			memcpy(seg, in + i * HL, HL);
		memcpy(seg, v, HL);
		seg += HL;
	}
	if (q < nout)
		goto bad;
	for (; i < nout; i++, seg += HL)
		memcpy(seg, in + i * HL, HL);
	if (cp2_climb(&k, jobs, hex_out) == -1)
		goto fail;
	return 0;
bad:
	errno = EINVAL;
fail:
	free(p->nodes);
	memset(p, 0, sizeof(*p));
	return -1;
}

int
cp_merkle_cp2_root(const unsigned char *digests, uint64_t n, char hex_out[65])
{
	unsigned char *t;
	int rc;

	*hex_out = '\0';
	if (n > SIZE_MAX / (2 * HL)) {
		errno = ENOMEM;	/* a tree that could not be held */
		return -1;
	}
	t = xcalloc(n ? cp_merkle_cp2_nodes((size_t)n) : 1, HL);
	memcpy(t, digests, (size_t)n * HL);
	rc = cp_merkle_cp2_tree(t, (size_t)n, 1, hex_out);
	free(t);
	return rc;
}
