/* proof: inclusion and consistency proofs made from leaves, written as JSON, parsed back (jansson) and verified.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/hex.h"
#include "base/xalloc.h"
#include "hash/proof.h"

#define HL CP_MERKLE_HASHLEN

/* The keys of each kind's sizes and hashes, in the order of struct cp_proof. */
static const char *const size_keys[][2] = {
	[CP_PROOF_INCLUSION] = { "tree_size", "leaf_index" },
	[CP_PROOF_CONSISTENCY] = { "old_size", "new_size" }
};
static const char *const hash_keys[][2] = {
	[CP_PROOF_INCLUSION] = { "leaf_hash", "root" },
	[CP_PROOF_CONSISTENCY] = { "old_root", "new_root" }
};

int
cp_proof_make(struct cp_proof *p, enum cp_proof_kind kind, const unsigned char *leaves,
    uint64_t n, const unsigned char root[HL], uint64_t arg, struct cp_err *e)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	if (kind == CP_PROOF_INCLUSION) {
		rc = cp_merkle_inclusion_proof(leaves, n, arg, &p->path, &p->npath, e);
		if (rc == 0)
			memcpy(p->hash[0], leaves + arg * HL, HL);
		p->size[0] = n;
		p->size[1] = arg;
	} else {
		rc = cp_merkle_consistency_proof(leaves, n, arg, &p->path, &p->npath, e);
		if (rc == 0 && cp_merkle_root_of(leaves, arg, p->hash[0]) == -1)
			rc = cp_err_set(e, ENOMEM, "merkle");
		p->size[0] = arg;
		p->size[1] = n;
	}
	memcpy(p->hash[1], root, HL);
	if (rc == -1)
		cp_proof_free(p);
	return rc;
}

void
cp_proof_members(struct cp_json *w, const struct cp_proof *p)
{
	for (int i = 0; i < 2; i++)
		cp_json_kuint(w, size_keys[p->kind][i], p->size[i]);
	for (int i = 0; i < 2; i++) {
		cp_json_key(w, hash_keys[p->kind][i]);
		cp_json_hex(w, p->hash[i], HL);
	}
}

void
cp_proof_write(struct cp_json *w, const struct cp_proof *p)
{
	cp_json_obj(w);
	cp_proof_members(w, p);
	cp_json_key(w, "proof");
	cp_json_arr(w);
	for (size_t i = 0; i < p->npath; i++)
		cp_json_hex(w, p->path + i * HL, HL);
	cp_json_endl(w);
}

int
cp_proof_hash(const char *s, size_t len, unsigned char out[HL])
{
	return len == 2 * HL && cp_hex_decode(s, len, out) == 0 ? 0 : -1;
}

void
cp_proof_reader_init(struct cp_proof_reader *rd, FILE *fp, const char *name)
{
	rd->fp = fp;
	rd->name = name;
	rd->lineno = 1;
	rd->bytes = 0;
}

/* jansson's callback: one byte, so that the parse stops at the object's end. */
static size_t
read_byte(void *buf, size_t size, void *arg)
{
	struct cp_proof_reader *rd = arg;
	int c;

	if (size == 0)
		return 0;
	if (rd->bytes >= CP_PROOF_MAX)
		return (size_t)-1;
	if ((c = getc(rd->fp)) == EOF)
		return ferror(rd->fp) ? (size_t)-1 : 0;
	rd->bytes++;
	rd->lineno += c == '\n';
	*(unsigned char *)buf = (unsigned char)c;
	return 1;
}

/* Skip white space; 1 if an object (or anything else) follows, 0 at end of file. */
static int
more(struct cp_proof_reader *rd)
{
	int c;

	while ((c = getc(rd->fp)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		rd->lineno += c == '\n';
	if (c == EOF)
		return 0;
	ungetc(c, rd->fp);
	return 1;
}

/* Where the object being checked began, for messages. */
struct where {
	const char *name;
	uint64_t line;
};

/* "NAME:LINE: \"key\" what", or without the key when it is NULL. */
static int
bad(struct cp_err *e, const struct where *w, const char *what, const char *key)
{
	return cp_err_set(e, 0, "%s:%" PRIu64 ": %s%s%s%s", w->name, w->line, key ? "\"" : "",
	    key ? key : "", key ? "\" " : "", what);
}

static int
get_size(struct cp_err *e, const struct where *w, json_t *obj, const char *key, uint64_t *v)
{
	json_t *j = json_object_get(obj, key);

	if (j == NULL)
		return bad(e, w, "is missing", key);
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return bad(e, w, "is not a non-negative integer", key);
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int
get_hash(struct cp_err *e, const struct where *w, json_t *obj, const char *key,
    unsigned char out[HL])
{
	json_t *j = json_object_get(obj, key);

	if (j == NULL)
		return bad(e, w, "is missing", key);
	if (!json_is_string(j) ||
	    cp_proof_hash(json_string_value(j), json_string_length(j), out) == -1)
		return bad(e, w, "is not a SHA-256 hash in hex", key);
	return 0;
}

/* The "proof" array into p->path and p->npath. */
static int
get_path(struct cp_err *e, const struct where *w, json_t *obj, struct cp_proof *p)
{
	json_t *a = json_object_get(obj, "proof"), *j;
	size_t i;

	if (a == NULL)
		return bad(e, w, "is missing", "proof");
	if (!json_is_array(a))
		return bad(e, w, "is not an array", "proof");
	p->npath = json_array_size(a);
	p->path = xreallocarray(NULL, p->npath ? p->npath : 1, HL);
	json_array_foreach(a, i, j) {
		if (!json_is_string(j) ||
		    cp_proof_hash(json_string_value(j), json_string_length(j), p->path + i * HL) == -1)
			return cp_err_set(e, 0,
			    "%s:%" PRIu64 ": \"proof\" element %zu is not a SHA-256 hash in hex",
			    w->name, w->line, i);
	}
	return 0;
}

/* The proof in obj (the sizes and hashes in the order of the keys, then the path). */
static int
get_proof(struct cp_err *e, const struct where *w, json_t *obj, enum cp_proof_kind kind,
    const struct cp_proof_trust *t, struct cp_proof *p)
{
	if (!json_is_object(obj))
		return bad(e, w, "not a JSON object", NULL);
	for (int i = 0; i < 2; i++) {
		if (get_size(e, w, obj, size_keys[kind][i], &p->size[i]) == -1)
			return -1;
		if (t != NULL && t->set[i])
			memcpy(p->hash[i], t->hash[i], HL);
		else if (get_hash(e, w, obj, hash_keys[kind][i], p->hash[i]) == -1)
			return -1;
	}
	return get_path(e, w, obj, p);
}

int
cp_proof_read(struct cp_proof_reader *rd, enum cp_proof_kind kind,
    const struct cp_proof_trust *t, struct cp_proof *p, struct cp_err *e)
{
	struct where w = { rd->name, 0 };
	json_error_t je;
	json_t *obj;
	int rc;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	if (!more(rd)) {
		if (!ferror(rd->fp))
			return 0;
		cp_err_set(e, errno, "%s", rd->name);
		return -2;
	}
	w.line = rd->lineno;
	rd->bytes = 0;
	obj = json_load_callback(read_byte, rd, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES,
	    &je);
	if (obj == NULL) {
		/* After a syntax error the stream cannot be resynchronised: the rest goes unread. */
		if (rd->bytes >= CP_PROOF_MAX)
			cp_err_set(e, 0, "%s:%" PRIu64 ": proof longer than %d bytes", rd->name, w.line,
			    CP_PROOF_MAX);
		else if (ferror(rd->fp))
			cp_err_set(e, errno, "%s", rd->name);
		else
			cp_err_set(e, 0, "%s:%" PRIu64 ": %s", rd->name,
			    w.line + (uint64_t)je.line - 1, je.text);
		return -2;
	}
	rc = get_proof(e, &w, obj, kind, t, p);
	json_decref(obj);
	if (rc == -1) {
		cp_proof_free(p);
		return -1;
	}
	return 1;
}

int
cp_proof_verify(const struct cp_proof *p, struct cp_err *e)
{
	if (p->kind == CP_PROOF_INCLUSION)
		return cp_merkle_verify_inclusion(p->size[1], p->size[0], p->hash[0], p->path,
		    p->npath, p->hash[1], e);
	return cp_merkle_verify_consistency(p->size[0], p->size[1], p->hash[0], p->hash[1],
	    p->path, p->npath, e);
}

void
cp_proof_free(struct cp_proof *p)
{
	free(p->path);
	p->path = NULL;
	p->npath = 0;
}
