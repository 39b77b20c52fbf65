/* jtree: JSON values as a compact tree in an arena, parsed by yajl (jansson the reference), for canon.
 * SPDX-License-Identifier: ISC */
#ifndef CP_JTREE_H
#define CP_JTREE_H

#include <stddef.h>

#include <jansson.h>

#include "base/arena.h"

/*
 * The deepest value accepted, as jansson's parser counts: the top-level
 * value is at depth 1, each container adds one for what it holds, and a
 * value at depth 2049 (a scalar or an empty container) is refused.
 */
#define CP_JTREE_DEPTH_MAX 2048

#define CP_JTREE_ORDERS 16	/* see cp_jtree.order */

enum cp_jtype {
	CP_JNULL, CP_JFALSE, CP_JTRUE, CP_JINT, CP_JREAL, CP_JSTRING, CP_JARRAY, CP_JOBJECT
};

/*
 * One value.  Every string (s, key) is NUL-terminated and valid UTF-8, and
 * may hold NUL characters before its end (as "\u0000" allows).  Nodes and
 * strings live in the arena of the cp_jtree that made them.
 */
struct cp_jnode {
	const char *key;	/* member of an object: its key, else NULL */
	size_t klen;
	int type;		/* enum cp_jtype */
	size_t len;		/* STRING: bytes; INT, REAL: bytes of s; ARRAY: elements; OBJECT: members */
	union {
		const char *s;	/* STRING: the text; INT, REAL: as Python writes the number ("1.5e+300") */
		struct {
			const struct cp_jnode *kid;	/* ARRAY, OBJECT: in document order */
			const struct cp_jnode *const *sorted;	/* OBJECT: members by key, code point order */
		} c;
	} u;
};

/*
 * A parser and the arena its trees live in; a zeroed struct is ready.  Each
 * parse (or copy) drops the tree made before and reuses its memory, so a
 * reader of many records calls malloc only while its arena grows.  Not
 * thread-safe: one per thread.
 */
struct cp_jtree {
	struct cp_arena arena;
	struct cp_jnode *val;	/* values of the containers still open */
	size_t nval, capval;
	size_t *open;		/* where each open container's values start in val */
	size_t nopen, capopen;
	const char *key;	/* the key the next value goes with */
	size_t klen;
	const char *src;	/* the text being parsed, and its copy in the arena */
	char *copy;
	size_t srclen;
	int fail;		/* the text is not vouched for */
	struct cp_jtree_num *num;	/* CP_JTREE_PYTHON: the numbers put back, in document order */
	size_t nnum, capnum;
	size_t inum;		/* the next of them to put back */
	size_t seen;		/* numbers met so far in the text */
	void *yajl;		/* the yajl handle while it parses, else NULL */
	size_t end;		/* where the top-level value ended in the text (0: it did not) */
	/* The key order of the last object of each size up to CP_JTREE_ORDERS members (records repeat theirs). */
	unsigned char order[CP_JTREE_ORDERS + 1][CP_JTREE_ORDERS];
	unsigned long ordered;	/* bit n: order[n] holds one */
};

/* A number JSON has not that Python's json module reads (CP_JTREE_PYTHON). */
struct cp_jtree_num {
	size_t at;		/* which number of the text, from 0 in document order */
	int type;		/* CP_JINT or CP_JREAL */
	const char *s;		/* as Python writes it: the digits, "NaN", "Infinity", "-Infinity" */
	size_t len;
};

/* Flags of cp_jtree_load. */
#define CP_JTREE_REFERENCE 0x1	/* parse with jansson alone (tests compare the two readers) */
#define CP_JTREE_PYTHON 0x2	/* take the numbers Python's json module takes (ledger entries) */

/*
 * Parse text[0..len) as json_loadb(text, len, JSON_REJECT_DUPLICATES |
 * JSON_ALLOW_NUL) does, and return its tree (valid until t is used again).
 * yajl parses it when it can vouch for the text: strictly valid UTF-8, no
 * lone or mismatched surrogate escapes, integers within 64 bits, finite
 * reals, no duplicate keys, no deeper than CP_JTREE_DEPTH_MAX, an object
 * or array at the top; anything else goes to jansson, whose verdict and
 * message stand.  Returns NULL with *e filled by jansson when jansson
 * refuses the text.  Exits 2 only when out of memory.
 *
 * With CP_JTREE_PYTHON, the numbers json.loads reads and JSON has not are
 * taken too, each held as json.dumps writes what json.loads makes of it:
 * NaN, Infinity and -Infinity as they are, an integer beyond 64 bits as its
 * digits, a real beyond a double's range as Infinity or -Infinity.  An
 * integer of more than 4300 digits, which Python 3.11 refuses
 * (ValueError), is still refused.  Each such token is replaced by a 0 and
 * spaces of its length (so jansson's columns stay right) and its Python
 * text put back when the parser meets it.
 */
const struct cp_jnode *cp_jtree_load(struct cp_jtree *t, const char *text, size_t len,
    unsigned flags, json_error_t *e);

/*
 * The fast half of cp_jtree_load: the tree when yajl parses text and the
 * checks above pass, else NULL.  NULL says nothing about why: only jansson
 * has the words (and the final say) for a text this declines.
 */
const struct cp_jnode *cp_jtree_parse(struct cp_jtree *t, const char *text, size_t len);

/*
 * A copy of the jansson value v as a tree (valid until t is used again).
 * Returns NULL when v nests deeper than CP_JTREE_DEPTH_MAX (jansson's own
 * parser never makes such a value).
 */
const struct cp_jnode *cp_jtree_from_json(struct cp_jtree *t, const json_t *v);

/* 1 if text[0..len) is JSON white space only (space, tab, newline, carriage return), or empty. */
int cp_jtree_blank(const char *text, size_t len);

/* The member key of the object obj, or NULL (also when obj is not an object). */
const struct cp_jnode *cp_jtree_get(const struct cp_jnode *obj, const char *key);

/*
 * Make *obj an object whose members are m[0..n) (each with key and klen
 * set), in that order; sorted (room for n pointers, the caller's) gets them
 * in key order.  Returns 0, or -1 when two keys are equal.
 */
int cp_jtree_object(struct cp_jnode *obj, const struct cp_jnode *m, const struct cp_jnode **sorted,
    size_t n);

/* Release everything t holds; it is then ready again. */
void cp_jtree_free(struct cp_jtree *t);

#endif
