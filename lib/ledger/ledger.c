/* ledger: parsing and hashing entries, reading a ledger in chain order, verifying its chain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/xalloc.h"
#include "hash/sha256.h"
#include "ledger/ledger_int.h"
#include "text/canon.h"

void
ledger_line_clear(struct cp_ledger_line *ln)
{
	ln->entry = NULL;
	ln->id = ln->entry_hash = ln->previous_hash = NULL;
	ln->hash_hex[0] = '\0';
	ln->detail[0] = '\0';
}

/* 1 if the token jansson stopped at is NaN or [-]Infinity, which Python writes but JSON has not. */
static int
nonfinite_token(const char *text, size_t len, const json_error_t *e)
{
	size_t at = e->position > 0 ? (size_t)e->position - 1 : 0;

	if (strstr(e->text, "near 'NaN") != NULL || strstr(e->text, "near 'Inf") != NULL)
		return 1;
	if (at >= len)
		return 0;
	if (text[at] == '-' && at + 1 < len)
		at++;
	return (len - at >= 3 && memcmp(text + at, "NaN", 3) == 0) ||
	    (len - at >= 8 && memcmp(text + at, "Infinity", 8) == 0);
}

/* jansson's reason, said the way a ledger's reader needs it. */
static const char *
json_why(const char *text, size_t len, const json_error_t *e)
{
	if (json_error_code(e) == json_error_invalid_syntax && nonfinite_token(text, len, e))
		return "NaN or Infinity, which JSON does not have";
	switch (json_error_code(e)) {
	case json_error_invalid_utf8:
		return "invalid UTF-8";
	case json_error_numeric_overflow:
		return "number out of range (integers must fit in 64 bits, reals must be finite)";
	case json_error_duplicate_key:
		return "duplicate key";
	case json_error_stack_overflow:
		return "nested deeper than 2048 levels";
	case json_error_null_byte_in_key:
		return "NUL character in a key";
	default:
		return e->text;
	}
}

static int
all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

static int
malformed(struct cp_ledger_line *ln, const char *why, const char *what)
{
	ln->entry = NULL;
	ln->id = ln->entry_hash = ln->previous_hash = NULL;
	snprintf(ln->detail, sizeof(ln->detail), "%s%s", why, what);
	return ln->kind = CP_LEDGER_MALFORMED;
}

void
lparser_free(struct lparser *p)
{
	cp_jtree_free(&p->tree);
	cp_buf_free(&p->canon);
	cp_sha256_free(&p->sha);
}

void
ledger_digest(struct cp_sha256 *c, const void *data, size_t len, unsigned char out[32])
{
	if (cp_sha256_init(c) == -1 || cp_sha256_update(c, data, len) == -1 ||
	    cp_sha256_final(c, out) == -1)
		cp_sha256(data, len, out);
}

int
ledger_parse(struct lparser *p, const char *text, size_t len, int want_hash,
    struct cp_ledger_line *ln)
{
	json_error_t e;
	const struct cp_jnode *v;

	ledger_line_clear(ln);
	if (all_space(text, len))
		return ln->kind = CP_LEDGER_BLANK;
	/* Python accepts "\u0000" in strings, so must we; NaN and huge numbers it would hash differently. */
	ln->entry = cp_jtree_load(&p->tree, text, len,
	    p->flags & CP_LEDGER_REFERENCE ? CP_JTREE_REFERENCE : 0, &e);
	if (ln->entry == NULL) {
		snprintf(ln->detail, sizeof(ln->detail), "%s (column %d)", json_why(text, len, &e), e.column);
		return ln->kind = CP_LEDGER_MALFORMED;
	}
	if (ln->entry->type != CP_JOBJECT)
		return malformed(ln, "not a JSON object", "");
	if ((v = cp_jtree_get(ln->entry, "id")) != NULL && v->type == CP_JSTRING)
		ln->id = v->u.s;
	ln->previous_hash = "";
	if ((v = cp_jtree_get(ln->entry, "previous_hash")) != NULL) {
		if (v->type != CP_JSTRING)
			return malformed(ln, "previous_hash is not a string", "");
		ln->previous_hash = v->u.s;
	}
	v = cp_jtree_get(ln->entry, "entry_hash");
	if (v != NULL && v->type != CP_JSTRING)
		return malformed(ln, "entry_hash is not a string", "");
	if (v == NULL || v->len == 0)
		ln->kind = CP_LEDGER_LEGACY;
	else {
		ln->kind = CP_LEDGER_ENTRY;
		ln->entry_hash = v->u.s;
	}
	if (want_hash) {
		cp_buf_reset(&p->canon);
		cp_canon_dump(&p->canon, ln->entry, CP_CANON_SORT_KEYS, "entry_hash");
		ledger_digest(&p->sha, p->canon.data, p->canon.len, ln->hash);
		cp_hex_encode(ln->hash, sizeof(ln->hash), ln->hash_hex);
	}
	return ln->kind;
}

struct cp_ledger {
	struct lset set;
	size_t cur;		/* segment being read */
	size_t lastseg;		/* the last segment holding anything */
	int reading;		/* rd is open on seg[cur] */
	struct lreader rd;
	uint64_t lineno;
	struct lparser parser;
	struct cp_ledger_line line;
};

int
cp_ledger_open(struct cp_ledger **lp, const char *path, unsigned flags, struct cp_err *e)
{
	struct cp_ledger *l = xcalloc(1, sizeof(*l));

	*lp = NULL;
	l->parser.flags = flags & CP_LEDGER_REFERENCE;
	if (lset_load(&l->set, path, 0, e) == -1) {
		free(l);
		return -1;
	}
	if (lset_order(&l->set, e) == -1) {
		lset_free(&l->set);
		free(l);
		return -1;
	}
	for (size_t i = 0; i < l->set.n; i++)
		if (l->set.seg[i].size > 0)
			l->lastseg = i;
	*lp = l;
	return 0;
}

size_t
cp_ledger_nsegments(const struct cp_ledger *l)
{
	return l->set.n;
}

const char *
cp_ledger_segment(const struct cp_ledger *l, size_t i)
{
	return i < l->set.n ? l->set.seg[i].path : NULL;
}

int
cp_ledger_read(struct cp_ledger *l, const struct cp_ledger_line **lnp, struct cp_err *e)
{
	struct cp_ledger_line *ln = &l->line;
	struct lseg *g;
	const char *text;
	size_t len;
	int ended, rc;

	for (;;) {
		if (l->cur >= l->set.n)
			return 0;
		g = &l->set.seg[l->cur];
		if (!l->reading) {
			lreader_init(&l->rd, g->fd, g->size);
			l->reading = 1;
			l->lineno = 0;
		}
		rc = lreader_next(&l->rd, &text, &len, &ended);
		if (rc == -1) {
			cp_err_set(e, errno, "%s", g->path);
			return -1;
		}
		if (rc == 0) {
			lreader_free(&l->rd);
			l->reading = 0;
			l->cur++;
			continue;
		}
		break;
	}
	ln->segment = g->path;
	ln->lineno = ++l->lineno;
	ln->ended = ended;
	ln->last = l->cur == l->lastseg && lreader_done(&l->rd);
	if (rc == -2) {
		ln->text = NULL;
		ln->len = 0;
		malformed(ln, "line longer than 1 MiB", "");
	} else {
		ledger_parse(&l->parser, text, len, 1, ln);
		ln->text = text;
		ln->len = len;
	}
	*lnp = ln;
	return 1;
}

void
cp_ledger_close(struct cp_ledger *l)
{
	if (l == NULL)
		return;
	if (l->reading)
		lreader_free(&l->rd);
	ledger_line_clear(&l->line);
	lparser_free(&l->parser);
	lset_free(&l->set);
	free(l);
}

void
cp_ledger_leaf(const unsigned char hash[32], unsigned char out[32])
{
	cp_merkle_leaf_hash(hash, 32, out);
}

/* The last few entries read, so that a chain break can say which entry its previous_hash names. */
#define RECENT 8

struct recent {
	char hash[CP_LEDGER_HEXLEN + 1];
	const char *segment;
	uint64_t lineno;
};

struct verifier {
	unsigned flags;
	cp_ledger_finding_fn fn;
	void *arg;
	struct cp_ledger_summary *s;
	struct cp_buf expect;	/* entry_hash the next previous_hash must name */
	int resync;		/* after a malformed line: the next link cannot be checked */
	struct recent recent[RECENT];
	unsigned nrecent;
	uint64_t leafcap;
};

static void
report(struct verifier *v, struct cp_ledger_finding *f)
{
	f->warning = f->kind == CP_LEDGER_LEGACY_WARN || f->kind == CP_LEDGER_BLANK_WARN;
	if (f->warning)
		v->s->warnings++;
	else
		v->s->problems++;
	if (v->fn != NULL)
		v->fn(v->arg, f);
}

static const struct recent *
recent_find(const struct verifier *v, const char *hash)
{
	for (unsigned i = 0; i < v->nrecent && i < RECENT; i++) {
		const struct recent *r = &v->recent[(v->nrecent - 1 - i) % RECENT];

		if (strcmp(r->hash, hash) == 0)
			return r;
	}
	return NULL;
}

static void
add_leaf(struct verifier *v, const struct cp_ledger_line *ln)
{
	struct cp_ledger_summary *s = v->s;
	unsigned char leaf[32];

	if ((v->flags & (CP_LEDGER_NO_TREE | CP_LEDGER_KEEP_LEAVES)) == CP_LEDGER_NO_TREE) {
		s->entries++;
		return;
	}
	cp_ledger_leaf(ln->hash, leaf);
	if (v->flags & CP_LEDGER_KEEP_LEAVES) {
		if (s->entries == v->leafcap) {
			v->leafcap = v->leafcap ? v->leafcap * 2 : 1024;
			s->leaves = xreallocarray(s->leaves, v->leafcap, 32);
		}
		memcpy(s->leaves + s->entries * 32, leaf, 32);
	}
	cp_merkle_add(&s->tree, leaf);
	s->entries++;
}

/* Keep an entry_hash (cut to 64 bytes: a longer one names no entry) without printf per line. */
static void
keep_hash(char out[CP_LEDGER_HEXLEN + 1], const char *hash)
{
	size_t n = strnlen(hash, CP_LEDGER_HEXLEN);

	memcpy(out, hash, n);
	out[n] = '\0';
}

static void
check_entry(struct verifier *v, const struct cp_ledger_line *ln, struct cp_ledger_finding *f)
{
	const struct recent *r;
	struct recent *slot;

	if (!v->resync && strcmp(ln->previous_hash, v->expect.data) != 0) {
		if (v->expect.len > 0 && strcmp(ln->entry_hash, v->expect.data) == 0) {
			f->kind = CP_LEDGER_DUPLICATE;
			r = recent_find(v, ln->entry_hash);
		} else {
			f->kind = CP_LEDGER_CHAIN_BREAK;
			f->expected = v->expect.data;
			f->actual = ln->previous_hash;
			r = recent_find(v, ln->previous_hash);
		}
		if (r != NULL) {
			f->names_segment = r->segment;
			f->names_lineno = r->lineno;
		}
		report(v, f);
		f->expected = f->actual = f->names_segment = NULL;
		f->names_lineno = 0;
	}
	if (strcmp(ln->entry_hash, ln->hash_hex) != 0) {
		f->kind = CP_LEDGER_TAMPERED;
		f->expected = ln->hash_hex;
		f->actual = ln->entry_hash;
		report(v, f);
	}
	/* The chain goes on from the hash as stored: one tampered entry is one finding, not two. */
	cp_buf_reset(&v->expect);
	cp_buf_adds(&v->expect, ln->entry_hash);
	slot = &v->recent[v->nrecent++ % RECENT];
	keep_hash(slot->hash, ln->entry_hash);
	slot->segment = ln->segment;
	slot->lineno = ln->lineno;
	keep_hash(v->s->head, ln->entry_hash);
}

static void
verify_line(struct verifier *v, const struct cp_ledger_line *ln)
{
	struct cp_ledger_finding f = { 0 };
	char detail[300];

	f.segment = ln->segment;
	f.lineno = ln->lineno;
	f.id = ln->id;
	if (ln->kind == CP_LEDGER_BLANK) {
		f.kind = CP_LEDGER_BLANK_WARN;
		report(v, &f);
		return;
	}
	if (ln->kind == CP_LEDGER_MALFORMED) {
		f.kind = ln->last ? CP_LEDGER_TORN : CP_LEDGER_BAD_LINE;
		f.detail = ln->detail;
		if (!ln->ended) {
			snprintf(detail, sizeof(detail), "unfinished line (no newline): %s", ln->detail);
			f.detail = detail;
		}
		report(v, &f);
		v->resync = 1;
		return;
	}
	if (ln->last && !ln->ended) {
		f.kind = CP_LEDGER_TORN;
		f.detail = "the last line has no newline";
		report(v, &f);
	}
	add_leaf(v, ln);
	if (ln->kind == CP_LEDGER_LEGACY) {
		v->s->legacy++;
		f.kind = CP_LEDGER_LEGACY_WARN;
		report(v, &f);
		/* As the Python tools did: the entry after a legacy one starts a new chain. */
		cp_buf_reset(&v->expect);
		cp_buf_adds(&v->expect, "");
		v->s->head[0] = '\0';
		v->resync = 0;
		return;
	}
	check_entry(v, ln, &f);
	v->resync = 0;
}

int
cp_ledger_verify(const char *path, unsigned flags, cp_ledger_finding_fn fn, void *arg,
    struct cp_ledger_summary *s, struct cp_err *e)
{
	struct verifier v = { 0 };
	struct cp_ledger *l;
	const struct cp_ledger_line *ln;
	int rc;

	memset(s, 0, sizeof(*s));
	cp_merkle_init(&s->tree);
	if (cp_ledger_open(&l, path, flags, e) == -1)
		return -1;
	v.flags = flags;
	v.fn = fn;
	v.arg = arg;
	v.s = s;
	cp_buf_adds(&v.expect, "");
	s->segments = cp_ledger_nsegments(l);
	s->segment = xreallocarray(NULL, s->segments + 1, sizeof(*s->segment));
	for (size_t i = 0; i < s->segments; i++)
		s->segment[i] = xstrdup(cp_ledger_segment(l, i));
	while ((rc = cp_ledger_read(l, &ln, e)) == 1)
		verify_line(&v, ln);
	cp_buf_free(&v.expect);
	cp_ledger_close(l);
	if (rc == -1)
		return -1;
	return s->problems > 0;
}

void
cp_ledger_summary_free(struct cp_ledger_summary *s)
{
	for (size_t i = 0; s->segment != NULL && i < s->segments; i++)
		free(s->segment[i]);
	free(s->segment);
	free(s->leaves);
	s->segment = NULL;
	s->leaves = NULL;
}
