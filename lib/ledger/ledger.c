/* ledger: reading a ledger in chain order, and verifying its chain.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cpus.h"
#include "base/xalloc.h"
#include "ledger/ahead.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "ledger/seg.h"

struct cp_ledger {
	struct cp_segset set;
	size_t cur;		/* segment being read */
	size_t lastseg;		/* the last segment holding anything */
	int reading;		/* rd is open on seg[cur] */
	struct cp_seg_reader rd;
	uint64_t lineno;
	struct cp_entry_parser parser;
	struct cp_ledger_line line;
};

int
cp_ledger_open(struct cp_ledger **lp, const char *path, unsigned flags, struct cp_err *e)
{
	return cp_ledger_open_family(lp, path, NULL, flags, e);
}

int
cp_ledger_open_family(struct cp_ledger **lp, const char *path, const char *family,
    unsigned flags, struct cp_err *e)
{
	struct cp_ledger *l = xcalloc(1, sizeof(*l));

	*lp = NULL;
	l->parser.reference = (flags & CP_LEDGER_REFERENCE) != 0;
	if (cp_seg_load_family(&l->set, path, family, 0, e) == -1) {
		free(l);
		return -1;
	}
	if (cp_seg_order(&l->set, e) == -1) {
		cp_seg_free(&l->set);
		free(l);
		return -1;
	}
	if (l->set.file == NULL && l->set.n == 0) {
		/* A directory without one segment of the family is not an empty ledger but none. */
		cp_err_set(e, 0, "no ledger in %s (no %s.jsonl or %s-*.jsonl)", path,
		    l->set.family, l->set.family);
		if (e != NULL)
			e->errnum = ENOENT;
		errno = ENOENT;
		cp_seg_free(&l->set);
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

/* The next line's place, flags and bytes, in chain order: the one reading of segments both paths share. */
static int
next_raw(void *arg, struct cp_ahead_raw *raw, struct cp_err *e)
{
	struct cp_ledger *l = arg;
	struct cp_seg *g;
	const char *text;
	size_t len;
	int ended, rc;

	for (;;) {
		if (l->cur >= l->set.n)
			return 0;
		g = &l->set.seg[l->cur];
		if (!l->reading) {
			cp_seg_reader_init(&l->rd, g->fd, g->size);
			l->reading = 1;
			l->lineno = 0;
		}
		rc = cp_seg_reader_next(&l->rd, &text, &len, &ended);
		if (rc == -1)
			return cp_err_set(e, errno, "%s", g->path);
		if (rc != 0)
			break;
		cp_seg_reader_free(&l->rd);
		l->reading = 0;
		l->cur++;
	}
	raw->segment = g->path;
	raw->lineno = ++l->lineno;
	raw->ended = ended;
	raw->last = l->cur == l->lastseg && cp_seg_reader_done(&l->rd);
	raw->text = rc == -2 ? NULL : text;
	raw->len = rc == -2 ? 0 : len;
	return 1;
}

/* A line cp_entry_parse could not hash is an error, said the same way on both paths. */
static int
digest_failed(const struct cp_ledger_line *ln, struct cp_err *e)
{
	return cp_err_set(e, 0, "%s:%llu: %s", ln->segment, (unsigned long long)ln->lineno,
	    CP_ENTRY_DIGEST_FAILED);
}

int
cp_ledger_read(struct cp_ledger *l, const struct cp_ledger_line **lnp, struct cp_err *e)
{
	struct cp_ledger_line *ln = &l->line;
	struct cp_ahead_raw raw;
	int rc;

	if ((rc = next_raw(l, &raw, e)) != 1)
		return rc;
	ln->segment = raw.segment;
	ln->lineno = raw.lineno;
	ln->ended = raw.ended;
	ln->last = raw.last;
	ln->text = raw.text;
	ln->len = raw.len;
	if (raw.text == NULL)
		cp_entry_malformed(ln, "line longer than 1 MiB");
	else if (cp_entry_parse(&l->parser, raw.text, raw.len, 1, ln) == -1)
		return digest_failed(ln, e);
	*lnp = ln;
	return 1;
}

void
cp_ledger_close(struct cp_ledger *l)
{
	if (l == NULL)
		return;
	if (l->reading)
		cp_seg_reader_free(&l->rd);
	cp_entry_clear(&l->line);
	cp_entry_parser_free(&l->parser);
	cp_seg_free(&l->set);
	free(l);
}

int
cp_ledger_leaf(const unsigned char hash[32], unsigned char out[32])
{
	return cp_merkle_leaf_hash(hash, 32, out);
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
	int chained;		/* a chained entry was read */
	struct recent recent[RECENT];
	unsigned nrecent;
	uint64_t leafcap;
};

static void
report(struct verifier *v, struct cp_ledger_finding *f)
{
	f->warning = f->kind == CP_LEDGER_LEGACY_WARN || f->kind == CP_LEDGER_BLANK_WARN;
	/* Python-era legacy lines before the chain began stay warnings even then. */
	if ((v->flags & CP_LEDGER_STRICT) &&
	    (f->kind == CP_LEDGER_BLANK_WARN || v->chained))
		f->warning = 0;
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
	if (cp_ledger_leaf(ln->hash, leaf) == -1) {
		s->tree.failed = 1;	/* no root, no leaves: the caller's cp_merkle_root fails */
		s->entries++;
		return;
	}
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
	char detail[400];

	f.segment = ln->segment;
	f.lineno = ln->lineno;
	f.id = ln->id;
	if (ln->kind == CP_LEDGER_BLANK) {
		f.kind = CP_LEDGER_BLANK_WARN;
		report(v, &f);
		return;
	}
	if (ln->kind == CP_LEDGER_MALFORMED) {
		/* Only a line without its newline can be an append cut short. */
		f.kind = ln->last && !ln->ended ? CP_LEDGER_TORN : CP_LEDGER_BAD_LINE;
		f.detail = ln->detail;
		if (!ln->ended) {
			snprintf(detail, sizeof(detail), "unfinished line (no newline): %s", ln->detail);
			f.detail = detail;
		} else if (ln->last) {
			snprintf(detail, sizeof(detail), "%s (the last line: appends refuse to follow "
			    "it; cp-ledger repair moves it aside)", ln->detail);
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
	v->chained = 1;
}

/*
 * How many parse a ledger's lines: CP_LEDGER_THREADS when it is a number
 * from 1 to 64 (tests run both paths on any ledger with it), else one for
 * a ledger under SMALL bytes, where threads cost more than they save, and
 * the online CPUs up to four otherwise.
 */
#define SMALL (1024 * 1024)

static unsigned
verify_threads(const struct cp_ledger *l)
{
	const char *env = getenv("CP_LEDGER_THREADS");
	unsigned long n;
	char *end;
	off_t total = 0;

	if (env != NULL && *env >= '1' && *env <= '9') {
		n = strtoul(env, &end, 10);
		if (*end == '\0' && n <= 64)
			return (unsigned)n;
	}
	for (size_t i = 0; i < l->set.n; i++)
		total += l->set.seg[i].size;
	return total < SMALL ? 1 : (unsigned)cp_cpus_online(4);
}

/* Every line to verify_line, parsed ahead on threads when there are several. */
static int
verify_lines(struct verifier *v, struct cp_ledger *l, struct cp_err *e)
{
	const struct cp_ledger_line *ln;
	struct cp_ahead *a;
	unsigned n = verify_threads(l);
	int rc, parsed;

	if (n == 1) {
		while ((rc = cp_ledger_read(l, &ln, e)) == 1)
			verify_line(v, ln);
		return rc;
	}
	a = cp_ahead_start(n, l->parser.reference, next_raw, l);
	while ((rc = cp_ahead_read(a, &ln, &parsed, e)) == 1) {
		if (parsed == -1) {
			rc = digest_failed(ln, e);
			break;
		}
		verify_line(v, ln);
	}
	cp_ahead_stop(a);
	return rc;
}

int
cp_ledger_verify(const char *path, unsigned flags, cp_ledger_finding_fn fn, void *arg,
    struct cp_ledger_summary *s, struct cp_err *e)
{
	return cp_ledger_verify_family(path, NULL, flags, fn, arg, s, e);
}

int
cp_ledger_verify_family(const char *path, const char *family, unsigned flags,
    cp_ledger_finding_fn fn, void *arg, struct cp_ledger_summary *s, struct cp_err *e)
{
	struct verifier v = { 0 };
	struct cp_ledger *l;
	int rc;

	memset(s, 0, sizeof(*s));
	cp_merkle_init(&s->tree);
	if (cp_ledger_open_family(&l, path, family, flags, e) == -1)
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
	rc = verify_lines(&v, l, e);
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
