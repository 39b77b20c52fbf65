/* istate: the integrity state file, its inputs' lstat, and the check that nothing changed.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/buf.h"
#include "base/io.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "hash/hmac.h"
#include "hash/merkle.h"
#include "hash/sha256.h"
#include "plane/istate.h"

/*
 * The file: the content (MAGIC first), the SHA-256 of each 4 KiB block of
 * it, the content's length (8 bytes), and the HMAC-SHA256 of those digests
 * and that length under the user's state key (hash/statekey).  A change in
 * place re-sums only its blocks, then the MAC; whoever can write the plane
 * but not read the key cannot make a state the next run trusts.  Version 4
 * closed the same layout with CRC-32s, which anyone could recompute.
 */
#define MAGIC "cp-integrity-state 5\n"
#define MAX_FILE ((off_t)1 << 30)
#define BLOCK ((size_t)1 << 12)	/* each block of the content has its digest: a change re-sums its blocks */
#define SUM CP_SHA256_LEN	/* bytes of a block's digest */
#define TAIL (8 + CP_HMAC_LEN)	/* the content's length and the MAC of the digests */

static size_t
nblocks(uint64_t content)
{
	return (size_t)((content + BLOCK - 1) / BLOCK);
}

/* The digest of one block, through the caller's context.  Returns 0 or -1. */
static int
block_sum(struct cp_sha256 *c, const void *p, size_t len, unsigned char out[SUM])
{
	if (cp_sha256_init(c) == -1 || cp_sha256_update(c, p, len) == -1 ||
	    cp_sha256_final(c, out) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The MAC over the blocks' digests and the content's length.  Returns 0 or -1. */
static int
table_mac(const unsigned char key[CP_STATEKEY_LEN], const unsigned char *sums, size_t n,
    uint64_t content, unsigned char out[CP_HMAC_LEN])
{
	struct cp_hmac h = { 0 };
	int rc;

	rc = cp_hmac_init(&h, key, CP_STATEKEY_LEN) == -1 ||
	    cp_hmac_update(&h, sums, n * SUM) == -1 || cp_hmac_update(&h, &content, 8) == -1 ||
	    cp_hmac_final(&h, out) == -1 ? -1 : 0;
	cp_hmac_free(&h);
	if (rc == -1)
		errno = ENOMEM;
	return rc;
}

/* --- the fixed-size records, as the state holds them ----------------------- */

/*
 * What follows a string in the state and may change in place: an input's
 * lstat after its path, a row's actual hash, status and type after its
 * expected hash, a file's size and digest after its path.  The writer and
 * the in-place update both lay them out here.
 */
#define FP_REC (6 * 8)
#define ROW_REC_MAX (8 + CP_SHA256_HEXLEN + 1 + 2 * 8)
#define FILE_REC (8 + CP_SHA256_LEN)

static void
fp_rec(const struct cp_fp *f, unsigned char rec[FP_REC])
{
	uint64_t v[6] = { f->dev, f->ino, f->size, (uint64_t)f->mtime, (uint64_t)f->ctime,
	    (uint64_t)f->kind | (uint64_t)f->role << 8 };

	memcpy(rec, v, sizeof(v));
}

/* Returns the record's length: the actual hash is a string (its length, its bytes, a NUL). */
static size_t
row_rec(const struct cp_integrity_row *row, unsigned char rec[ROW_REC_MAX])
{
	uint64_t len = strlen(row->actual), v[2] = { (uint64_t)row->status, (uint64_t)row->type };

	memcpy(rec, &len, 8);
	memcpy(rec + 8, row->actual, len + 1);
	memcpy(rec + 8 + len + 1, v, sizeof(v));
	return 8 + len + 1 + sizeof(v);
}

static void
file_rec(const struct cp_integrity_file *f, unsigned char rec[FILE_REC])
{
	memcpy(rec, &f->size, 8);
	memcpy(rec + 8, f->digest, CP_SHA256_LEN);
}

/* --- writing -------------------------------------------------------------- */

/*
 * The state goes out through a buffer of 16 blocks, each block's digest
 * taken as it goes: a buffer of the whole file would cost a page fault per
 * 4 KiB before a byte is written.
 */
struct out {
	int fd, err;
	size_t len, total;
	unsigned char *sums;
	size_t nsums;
	struct cp_sha256 sha;
	unsigned char buf[16 * BLOCK];
};

/* Write the buffer (whole blocks, but for the last), with the digest of each block. */
static void
flush_out(struct out *o)
{
	if (o->len == 0 || o->err)
		return;
	for (size_t at = 0; at < o->len; at += BLOCK) {
		if (o->nsums % 1024 == 0)
			o->sums = xreallocarray(o->sums, o->nsums + 1024, SUM);
		if (block_sum(&o->sha, o->buf + at, o->len - at < BLOCK ? o->len - at : BLOCK,
		    o->sums + o->nsums++ * SUM) == -1) {
			o->err = errno;
			return;
		}
	}
	if (cp_io_write_all(o->fd, o->buf, o->len) == -1)
		o->err = errno;
	o->total += o->len;
	o->len = 0;
}

static void
put(struct out *o, const void *p, size_t n)
{
	const unsigned char *q = p;
	size_t k;

	while (n > 0) {
		if (o->len == sizeof(o->buf))
			flush_out(o);
		k = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;
		memcpy(o->buf + o->len, q, k);
		o->len += k;
		q += k;
		n -= k;
	}
}

static void
put_u64(struct out *o, uint64_t v)
{
	put(o, &v, sizeof(v));
}

/* A string: its length, its bytes and a NUL. */
static void
put_str(struct out *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_u64(o, n);
	put(o, s ? s : "", n + 1);
}

/* After the content: one digest per block, the content's length, and the MAC of those. */
static int
write_trailer(int fd, const unsigned char key[CP_STATEKEY_LEN], const unsigned char *sums,
    size_t n, uint64_t total)
{
	unsigned char tail[TAIL];

	memcpy(tail, &total, 8);
	if (table_mac(key, sums, n, total, tail + 8) == -1 ||
	    cp_io_write_all(fd, sums, n * SUM) == -1 ||
	    cp_io_write_all(fd, tail, sizeof(tail)) == -1)
		return -1;
	return 0;
}

int
cp_istate_save(const char *path, const unsigned char key[CP_STATEKEY_LEN],
    const struct stat *plane, const char *opts,
    const struct cp_integrity *r, const struct cp_fplist *fps, const unsigned char *tree,
    size_t nleaves)
{
	struct cp_atomic a;
	struct out *b;
	unsigned char rec[ROW_REC_MAX];
	size_t i;
	int e;

	if (cp_atomic_open(&a, path, 0644) == -1)
		return -1;
	a.nosync = 1;
	fflush(a.fp);
	b = xcalloc(1, sizeof(*b));
	b->fd = fileno(a.fp);
	put(b, MAGIC, strlen(MAGIC));
	put_u64(b, 0);		/* the generation */
	put_u64(b, (uint64_t)plane->st_dev);
	put_u64(b, (uint64_t)plane->st_ino);
	put_str(b, opts);
	put_u64(b, fps->n);
	for (i = 0; i < fps->n; i++) {
		put_str(b, fps->v[i].path);
		fp_rec(&fps->v[i], rec);
		put(b, rec, FP_REC);
	}
	put_u64(b, r->nrows);
	for (i = 0; i < r->nrows; i++) {
		put_str(b, r->rows[i].id);
		put_str(b, r->rows[i].path);
		put_str(b, r->rows[i].expected);
		put(b, rec, row_rec(&r->rows[i], rec));
	}
	put_u64(b, r->nfiles);
	for (i = 0; i < r->nfiles; i++) {
		put_str(b, r->files[i].path);
		file_rec(&r->files[i], rec);
		put(b, rec, FILE_REC);
	}
	put_u64(b, r->norphans);
	for (i = 0; i < r->norphans; i++)
		put_str(b, r->orphans[i]);
	put_u64(b, r->nledger);
	for (i = 0; i < r->nledger; i++)
		put_str(b, r->ledger[i]);
	put_u64(b, 3 * r->nlinks);
	for (i = 0; i < 3 * r->nlinks; i++)
		put_str(b, r->links[i]);
	put_str(b, r->stored_root);
	put_u64(b, (uint64_t)r->manifest);
	put_str(b, r->scheme);
	put_str(b, r->manifest_root);
	put_u64(b, r->manifest_root != NULL);
	put_str(b, r->manifest_error);
	put_u64(b, r->manifest_error != NULL);
	put_str(b, r->root);
	if (tree == NULL)
		nleaves = 0;
	put_u64(b, nleaves);
	put(b, tree, cp_merkle_cp2_nodes(nleaves) * CP_MERKLE_HASHLEN);
	flush_out(b);
	if (!b->err && write_trailer(b->fd, key, b->sums, b->nsums, b->total) == -1)
		b->err = errno;
	e = b->err;
	free(b->sums);
	cp_sha256_free(&b->sha);
	free(b);
	if (e != 0) {
		cp_atomic_abort(&a);
		errno = e;
		return -1;
	}
	return cp_atomic_commit(&a);
}

/* --- reading -------------------------------------------------------------- */

static uint64_t
get_u64(struct cp_istate_cur *c)
{
	uint64_t v = 0;

	if (c->bad || (size_t)(c->end - c->p) < sizeof(v)) {
		c->bad = 1;
		return 0;
	}
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	return v;
}

/* A string in place (NUL-terminated in the buffer), or NULL when the state is bad. */
static char *
get_str(struct cp_istate_cur *c)
{
	uint64_t n = get_u64(c);
	char *s = c->p;

	if (c->bad || n >= (uint64_t)(c->end - c->p) || s[n] != '\0' || memchr(s, '\0', n)) {
		c->bad = 1;
		return NULL;
	}
	c->p += n + 1;
	return s;
}

static void
get_bytes(struct cp_istate_cur *c, void *out, size_t n)
{
	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = 1;
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
}

/* A count of items of at least min bytes each, which the rest of the buffer can hold. */
static size_t
get_count(struct cp_istate_cur *c, size_t min)
{
	uint64_t n = get_u64(c);

	if (c->bad || n > (uint64_t)(c->end - c->p) / min) {
		c->bad = 1;
		return 0;
	}
	return (size_t)n;
}

/* Copy s (at most max bytes, with its NUL) into out; bad when it does not fit or is missing. */
static void
get_fixed(struct cp_istate_cur *c, char *out, size_t max)
{
	const char *s = get_str(c);

	if (s == NULL || strlen(s) > max) {
		c->bad = 1;
		*out = '\0';
		return;
	}
	strcpy(out, s);
}

/* Where the cursor is, as an offset in the file. */
static size_t
here(const struct cp_istate *m)
{
	return (size_t)(m->c.p - m->base);
}

/* The inputs, first in the file so that checking them can start at once. */
static void
parse_fps(struct cp_istate *m, struct cp_fplist *fps)
{
	struct cp_istate_cur *c = &m->c;
	size_t i, n;

	n = get_count(c, 9 + 6 * 8);
	fps->v = xcalloc(n ? n : 1, sizeof(*fps->v));
	fps->cap = n ? n : 1;
	for (i = 0; i < n && !c->bad; i++) {
		struct cp_fp *f = &fps->v[fps->n++];
		uint64_t kr;

		f->path = get_str(c);
		f->dev = get_u64(c);
		f->ino = get_u64(c);
		f->size = get_u64(c);
		f->mtime = (int64_t)get_u64(c);
		f->ctime = (int64_t)get_u64(c);
		kr = get_u64(c);
		f->kind = (unsigned char)(kr & 0xff);
		f->role = (unsigned char)(kr >> 8 & 0xff);
	}
}

/* Everything after the inputs: the report, and where its fixed fields are. */
static void
parse_report(struct cp_istate *m, struct cp_integrity *r)
{
	struct cp_istate_cur *c = &m->c;
	size_t i, n;
	char *s;

	n = get_count(c, 4 * 9 + 16);
	r->rows = xcalloc(n ? n : 1, sizeof(*r->rows));
	for (i = 0; i < n && !c->bad; i++) {
		struct cp_integrity_row *row = &r->rows[r->nrows++];

		row->id = get_str(c);
		row->path = get_str(c);
		row->expected = get_str(c);
		get_fixed(c, row->actual, CP_SHA256_HEXLEN);
		row->status = (int)get_u64(c);
		row->type = (int)get_u64(c);
	}
	n = get_count(c, 9 + 8 + CP_SHA256_LEN);
	r->files = xcalloc(n ? n : 1, sizeof(*r->files));
	for (i = 0; i < n && !c->bad; i++) {
		struct cp_integrity_file *f = &r->files[r->nfiles++];

		f->path = get_str(c);
		f->size = get_u64(c);
		get_bytes(c, f->digest, CP_SHA256_LEN);
	}
	n = get_count(c, 9);
	r->orphans = xcalloc(n ? n : 1, sizeof(*r->orphans));
	for (i = 0; i < n && !c->bad; i++)
		r->orphans[r->norphans++] = get_str(c);
	n = get_count(c, 9);
	r->ledger = xcalloc(n ? n : 1, sizeof(*r->ledger));
	for (i = 0; i < n && !c->bad; i++)
		r->ledger[r->nledger++] = get_str(c);
	n = get_count(c, 9);
	if (n % 3 != 0)
		c->bad = 1;
	r->links = xcalloc(n ? n : 1, sizeof(*r->links));
	for (i = 0; i < n && !c->bad; i++)
		r->links[i] = get_str(c);
	r->nlinks = c->bad ? 0 : n / 3;
	r->stored_root = get_str(c);
	r->manifest = (int)get_u64(c);
	get_fixed(c, r->scheme, sizeof(r->scheme) - 1);
	s = get_str(c);
	r->manifest_root = get_u64(c) ? s : NULL;
	s = get_str(c);
	r->manifest_error = get_u64(c) ? s : NULL;
	m->root_off = here(m);
	get_fixed(c, r->root, CP_SHA256_HEXLEN);
	/* The cp2 tree of the root, to the end of the content. */
	n = get_count(c, CP_MERKLE_HASHLEN);
	if (!c->bad && cp_merkle_cp2_nodes(n) != (size_t)(c->end - c->p) / CP_MERKLE_HASHLEN)
		c->bad = 1;
	if (!c->bad) {
		m->tree_off = here(m);
		m->tree = (const unsigned char *)c->p;
		m->tree_leaves = n;
		c->p += cp_merkle_cp2_nodes(n) * CP_MERKLE_HASHLEN;
	}
	if (c->p != c->end)
		c->bad = 1;
}

/* The length of the content before the digests, from the end of a file of len bytes; 0 if it cannot be. */
static size_t
content_of(const char *buf, size_t len)
{
	uint64_t total;

	if (len < strlen(MAGIC) + 8 + TAIL)
		return 0;
	memcpy(&total, buf + len - TAIL, 8);
	if (total < strlen(MAGIC) + 8 || total > len - TAIL ||
	    (len - TAIL - total) / SUM != nblocks(total) || (len - TAIL - total) % SUM != 0)
		return 0;
	return (size_t)total;
}

int
cp_istate_map(const char *path, const unsigned char key[CP_STATEKEY_LEN],
    const struct stat *plane, const char *opts, struct cp_istate *m, struct cp_fplist *fps)
{
	struct stat st;
	char *s;
	int fd;

	memset(m, 0, sizeof(*m));
	memset(fps, 0, sizeof(*fps));
	m->fd = -1;
	memcpy(m->key, key, sizeof(m->key));
	/* Read and written: a run that finds a change writes it in place.  Locked
	 * by another run (only ever for an instant), it is as good as absent. */
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_FILE || st.st_size == 0) {
		close(fd);
		return 0;
	}
	/* Mapped with its pages at once: a fault per page costs more than the parsing. */
	m->len = (size_t)st.st_size;
	m->buf = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (m->buf == MAP_FAILED) {
		m->buf = NULL;
		close(fd);
		return 0;
	}
	m->fd = fd;
	m->base = m->buf;
	m->written = (int64_t)st.st_mtim.tv_sec * 1000000000;	/* its second */
	fps->blob = m->buf;
	fps->bloblen = m->len;
	if ((m->content = content_of(m->buf, m->len)) == 0 ||
	    memcmp(m->buf, MAGIC, strlen(MAGIC)) != 0)
		goto bad;
	m->c.p = m->buf + strlen(MAGIC);
	m->c.end = m->buf + m->content;
	m->gen = get_u64(&m->c);
	if (get_u64(&m->c) != (uint64_t)plane->st_dev || get_u64(&m->c) != (uint64_t)plane->st_ino ||
	    (s = get_str(&m->c)) == NULL || strcmp(s, opts) != 0)
		goto bad;
	parse_fps(m, fps);
	if (!m->c.bad)
		return 1;
bad:
	cp_fplist_free(fps);
	cp_istate_close(m);
	return 0;
}

/*
 * Do the digests at the end of the mapping vouch for its content, and the
 * MAC for them?  A MAC that fails sets m->forged: the blocks' digests are
 * plain SHA-256, which anyone can recompute, the MAC only the key's owner.
 */
static int
sound(struct cp_istate *m)
{
	const unsigned char *sums = (const unsigned char *)m->base + m->content;
	size_t n = nblocks(m->content), k;
	unsigned char mac[CP_HMAC_LEN], d[SUM];
	struct cp_sha256 sha = { 0 };
	int ok;

	if (table_mac(m->key, sums, n, m->content, mac) == -1)
		return 0;
	if (!cp_hmac_equal(mac, m->base + m->len - CP_HMAC_LEN, CP_HMAC_LEN)) {
		m->forged = 1;
		return 0;
	}
	ok = 1;
	for (k = 0; ok && k < n; k++) {
		size_t len = m->content - k * BLOCK < BLOCK ? m->content - k * BLOCK : BLOCK;

		ok = block_sum(&sha, m->base + k * BLOCK, len, d) == 0 &&
		    memcmp(d, sums + k * SUM, SUM) == 0;
	}
	cp_sha256_free(&sha);
	return ok;
}

int
cp_istate_finish(struct cp_istate *m, struct cp_integrity *r)
{
	memset(r, 0, sizeof(*r));
	if (!sound(m))
		return 0;
	r->blob = m->buf;
	r->bloblen = m->len;
	parse_report(m, r);
	if (m->c.bad) {
		/* Its strings are all in the mapping, which is still m's (cp_istate_close): only the arrays go. */
		free(r->rows);
		free(r->files);
		free(r->orphans);
		free(r->ledger);
		free(r->links);
		memset(r, 0, sizeof(*r));
		return 0;
	}
	m->buf = NULL;		/* r's now */
	return 1;
}

/* --- updating in place ------------------------------------------------------ */

/* A run of bytes to write at off: a field that changed. */
struct edit {
	size_t off, len, at;	/* at: where its bytes are in the edits' buffer */
	const unsigned char *src;	/* or there, when not NULL (the caller's, for the update) */
};

struct edits {
	struct edit *v;
	size_t n;
	struct cp_buf bytes;
};

/*
 * Record the field at off (len bytes, now p) when it differs from the
 * state's: its bytes copied, or (ref) p itself, which outlives the edits.
 */
static void
edit_if(struct edits *e, const struct cp_istate *m, size_t off, const void *p, size_t len,
    int ref)
{
	if (memcmp(m->base + off, p, len) == 0)
		return;
	if (e->n % 64 == 0)
		e->v = xreallocarray(e->v, e->n + 64, sizeof(*e->v));
	e->v[e->n].off = off;
	e->v[e->n].len = len;
	e->v[e->n].at = e->bytes.len;
	e->v[e->n].src = ref ? p : NULL;
	e->n++;
	if (!ref)
		cp_buf_add(&e->bytes, p, len);
}

static const unsigned char *
edit_bytes(const struct edits *e, size_t i)
{
	return e->v[i].src != NULL ? e->v[i].src : (const unsigned char *)e->bytes.data + e->v[i].at;
}

/*
 * Where the fields that follow the string s begin in the state: past its
 * NUL.  0 when s is not in the mapping (not a string the state gave).
 */
static size_t
after(const struct cp_istate *m, const char *s)
{
	if (s == NULL || s < m->base || s >= m->base + m->content)
		return 0;
	return (size_t)(s - m->base) + strlen(s) + 1;
}

/* Every field of r and fps that differs from the state; 1 when one changed its size. */
static int
diff(const struct cp_istate *m, const struct cp_integrity *r, const struct cp_fplist *fps,
    struct edits *e)
{
	unsigned char rec[ROW_REC_MAX];
	uint64_t len, was;
	size_t i, off;

	for (i = 0; i < fps->n; i++) {
		if ((off = after(m, fps->v[i].path)) == 0)
			return 1;
		fp_rec(&fps->v[i], rec);
		edit_if(e, m, off, rec, FP_REC, 0);
	}
	for (i = 0; i < r->nrows; i++) {
		if ((off = after(m, r->rows[i].expected)) == 0)
			return 1;
		len = row_rec(&r->rows[i], rec);
		if (memcmp(m->base + off, rec, 8) != 0)	/* the actual hash changed its length */
			return 1;
		edit_if(e, m, off, rec, len, 0);
	}
	for (i = 0; i < r->nfiles; i++) {
		if ((off = after(m, r->files[i].path)) == 0)
			return 1;
		file_rec(&r->files[i], rec);
		edit_if(e, m, off, rec, FILE_REC, 0);
	}
	len = strlen(r->root);
	memcpy(&was, m->base + m->root_off, 8);
	if (len != was)
		return 1;
	edit_if(e, m, m->root_off + 8, r->root, len, 0);
	return 0;
}

int
cp_istate_update(struct cp_istate *m, const struct cp_integrity *r,
    const struct cp_fplist *fps, const struct cp_merkle_cp2_patch *tree)
{
	struct edits e = { 0 };
	struct cp_sha256 sha = { 0 };
	size_t nb = nblocks(m->content), i, k, at;
	unsigned char *table = NULL, *block = NULL, *touched = NULL, mac[CP_HMAC_LEN];
	uint64_t gen, next = m->gen + 1;
	int rc = -1;

	/* Only a report this state gave (its strings in the mapping) can be written back into it. */
	if (m->base == NULL || r->blob != m->base || fps->n == 0 || tree->leaves != m->tree_leaves)
		return 1;
	e.bytes = (struct cp_buf)CP_BUF_INIT;
	if (diff(m, r, fps, &e)) {
		rc = 1;
		goto out;
	}
	for (i = 0, at = 0; i < tree->nspans; i++) {
		size_t len = (tree->span[i].to - tree->span[i].from) * CP_MERKLE_HASHLEN;

		edit_if(&e, m, m->tree_off + tree->span[i].from * CP_MERKLE_HASHLEN,
		    tree->nodes + at, len, 1);
		at += len;
	}
	/* The generation always moves: the new mtime is then the state's second. */
	edit_if(&e, m, strlen(MAGIC), &next, 8, 0);
	/* No one else reads or writes it now; and no one wrote it since it was read. */
	if (flock(m->fd, LOCK_EX | LOCK_NB) == -1 ||
	    pread(m->fd, &gen, 8, (off_t)strlen(MAGIC)) != 8 || gen != m->gen) {
		rc = 2;
		goto out;
	}
	table = xcalloc(nb, SUM);
	memcpy(table, m->base + m->content, nb * SUM);
	touched = xcalloc(nb, 1);
	block = xmalloc(BLOCK);
	for (i = 0; i < e.n; i++)
		for (k = e.v[i].off / BLOCK; k <= (e.v[i].off + e.v[i].len - 1) / BLOCK; k++)
			touched[k] = 1;
	/* Each touched block's new digest, from a copy of what was verified with the edits laid on it. */
	for (k = 0; k < nb; k++) {
		size_t from = k * BLOCK, len = m->content - from < BLOCK ? m->content - from : BLOCK;

		if (!touched[k])
			continue;
		memcpy(block, m->base + from, len);
		for (i = 0; i < e.n; i++) {
			size_t lo = e.v[i].off > from ? e.v[i].off : from;
			size_t hi = e.v[i].off + e.v[i].len < from + len ? e.v[i].off + e.v[i].len : from + len;

			if (lo < hi)
				memcpy(block + (lo - from), edit_bytes(&e, i) + (lo - e.v[i].off), hi - lo);
		}
		if (block_sum(&sha, block, len, table + k * SUM) == -1)
			goto out;
	}
	if (table_mac(m->key, table, nb, m->content, mac) == -1)
		goto out;
	/* Fields, then their blocks' digests, then the MAC: a crash between leaves a state that fails its check. */
	for (i = 0; i < e.n; i++)
		if (cp_io_pwrite_all(m->fd, edit_bytes(&e, i), e.v[i].len, (off_t)e.v[i].off) == -1)
			goto out;
	for (k = 0; k < nb; k = i) {	/* each run of touched blocks' digests in one write */
		for (i = k; i < nb && touched[i]; i++)
			;
		if (i > k && cp_io_pwrite_all(m->fd, table + k * SUM, SUM * (i - k),
		    (off_t)(m->content + SUM * k)) == -1)
			goto out;
		if (i == k)
			i++;
	}
	if (cp_io_pwrite_all(m->fd, mac, CP_HMAC_LEN, (off_t)(m->len - CP_HMAC_LEN)) == -1)
		goto out;
	m->gen = next;
	rc = 0;
out:
	free(e.v);
	cp_buf_free(&e.bytes);
	free(table);
	free(touched);
	free(block);
	cp_sha256_free(&sha);
	return rc;
}

void
cp_istate_close(struct cp_istate *m)
{
	if (m->buf != NULL)
		munmap(m->buf, m->len);
	if (m->fd >= 0)
		close(m->fd);
	m->buf = NULL;
	m->base = NULL;
	m->fd = -1;
	m->tree = NULL;
	m->tree_leaves = 0;
	cp_wipe(m->key, sizeof(m->key));
}

const char *
cp_istate_actual(const struct cp_istate *m, const struct cp_integrity_row *row)
{
	size_t off = after(m, row->expected);

	return off != 0 ? m->base + off + 8 : "";
}

/* --- checking ------------------------------------------------------------- */

/*
 * The inputs are taken 256 at a time from a shared counter rather than in
 * fixed halves: the thread that reads the report meanwhile takes a core
 * from one checker or another, and fixed halves would leave the other idle
 * at the end.
 */
#define CHECK_BATCH 256

struct checker {
	int rootfd;
	struct cp_fplist *fps;
	int64_t written;
	unsigned char *verdict;	/* per entry: 0 same, 'F' rehash, 'X' whole run */
	pthread_mutex_t mu;
	size_t next;		/* the first entry no thread has taken */
};

static void
check_range(struct checker *k, size_t from, size_t to)
{
	struct cp_fp now;
	struct stat st;

	for (size_t i = from; i < to; i++) {
		struct cp_fp *f = &k->fps->v[i];
		int same;

		cp_fplist_key(&now, fstatat(k->rootfd, f->path, &st,
		    f->role == 'L' ? 0 : AT_SYMLINK_NOFOLLOW) == 0 ? &st : NULL);
		same = now.kind == f->kind && now.dev == f->dev && now.ino == f->ino &&
		    now.size == f->size && now.mtime == f->mtime && now.ctime == f->ctime;
		if (same && (f->kind == 0 || (f->mtime < k->written && f->ctime < k->written)))
			continue;
		if (f->role == 'F' && now.kind == 'f') {
			k->verdict[i] = 'F';
			f->dev = now.dev, f->ino = now.ino, f->size = now.size;
			f->mtime = now.mtime, f->ctime = now.ctime;
		} else
			k->verdict[i] = 'X';
	}
}

static void *
check_batches(void *arg)
{
	struct checker *k = arg;
	size_t from;

	for (;;) {
		pthread_mutex_lock(&k->mu);
		from = k->next;
		k->next = from + CHECK_BATCH < k->fps->n ? from + CHECK_BATCH : k->fps->n;
		pthread_mutex_unlock(&k->mu);
		if (from == k->fps->n)
			return NULL;
		check_range(k, from, from + CHECK_BATCH < k->fps->n ? from + CHECK_BATCH : k->fps->n);
	}
}

int
cp_istate_check(int rootfd, struct cp_fplist *fps, int64_t written, int jobs,
    size_t **changed, size_t *nchanged)
{
	struct checker k = { rootfd, fps, written, NULL, PTHREAD_MUTEX_INITIALIZER, 0 };
	pthread_t t[16];
	int started[16] = { 0 };
	unsigned char *verdict = xcalloc(fps->n ? fps->n : 1, 1);
	size_t i, n = 0;
	int j, ok = 1;

	k.verdict = verdict;
	if (jobs < 1)
		jobs = 1;
	if (jobs > 16)
		jobs = 16;
	if ((size_t)jobs > fps->n / CHECK_BATCH + 1)
		jobs = (int)(fps->n / CHECK_BATCH + 1);	/* threads only pay for themselves on many paths */
	for (j = 1; j < jobs; j++)
		started[j] = pthread_create(&t[j], NULL, check_batches, &k) == 0;
	check_batches(&k);
	for (j = 1; j < jobs; j++)
		if (started[j])
			pthread_join(t[j], NULL);
	pthread_mutex_destroy(&k.mu);
	*changed = NULL;
	for (i = 0; i < fps->n; i++) {
		if (verdict[i] == 'X')
			ok = 0;
		else if (verdict[i] == 'F') {
			if (n % 64 == 0)
				*changed = xreallocarray(*changed, n + 64, sizeof(**changed));
			(*changed)[n++] = i;
		}
	}
	free(verdict);
	*nchanged = n;
	if (!ok) {
		free(*changed);
		*changed = NULL;
		*nchanged = 0;
	}
	return ok;
}
