/* entry: a line's bytes made an entry, and the formats of an entry's id and timestamp.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "ledger/entry.h"
#include "text/canon.h"

void
cp_entry_clear(struct cp_ledger_line *ln)
{
	ln->entry = NULL;
	ln->id = ln->entry_hash = ln->previous_hash = NULL;
	ln->hash_hex[0] = '\0';
	ln->detail[0] = '\0';
}

void
cp_entry_malformed(struct cp_ledger_line *ln, const char *why)
{
	cp_entry_clear(ln);
	snprintf(ln->detail, sizeof(ln->detail), "%s", why);
	ln->kind = CP_LEDGER_MALFORMED;
}

/* 1 if the token jansson stopped at is NaN or Infinity (-NaN, NaN1: CP_JTREE_PYTHON took the others). */
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
		return "NaN or Infinity spelt as Python's json module does not read it";
	switch (json_error_code(e)) {
	case json_error_invalid_utf8:
		return "invalid UTF-8";
	case json_error_numeric_overflow:
		return "number out of range (an integer beyond Python's 4300 digits, or not a JSON number)";
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
malformed(struct cp_ledger_line *ln, const char *why)
{
	cp_entry_malformed(ln, why);
	return ln->kind;
}

void
cp_entry_parser_free(struct cp_entry_parser *p)
{
	cp_jtree_free(&p->tree);
	cp_buf_free(&p->canon);
	cp_sha256_free(&p->sha);
}

int
cp_entry_digest(struct cp_sha256 *c, const void *data, size_t len, unsigned char out[32])
{
	if (cp_sha256_init(c) == -1 || cp_sha256_update(c, data, len) == -1 ||
	    cp_sha256_final(c, out) == -1)
		return cp_sha256(data, len, out);
	return 0;
}

/*
 * The fields of an entry, as the Python tools' LedgerEntry has them; the
 * first four have no default there, so even a legacy line must hold them.
 */
#define FIELD(name) { name, sizeof(name) - 1 }
static const struct {
	const char *name;
	size_t len;
} fields[] = {
	FIELD("event_type"), FIELD("submission_id"), FIELD("decision"), FIELD("reason"),
	FIELD("prompts_used"), FIELD("metadata"), FIELD("id"), FIELD("timestamp"),
	FIELD("previous_hash"), FIELD("entry_hash")
};
#define NREQUIRED 4
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define F_ID 6
#define F_PREVIOUS 8
#define F_HASH 9

/* Which of fields[] key[0..klen) is, or NFIELDS: one memcmp at most (the lengths tell most apart). */
static size_t
field_index(const char *key, size_t klen)
{
	for (size_t k = 0; k < NFIELDS; k++)
		if (fields[k].len == klen && key[0] == fields[k].name[0] &&
		    memcmp(key, fields[k].name, klen) == 0)
			return k;
	return NFIELDS;
}

/*
 * An entry holds the ten fields and no other; a legacy line (no
 * entry_hash) no other, and at least the first four.  Fills at[] with
 * each field's member (NULL when absent) in one pass over the members.
 * NULL, or why not; what is missing is said only after what is extra.
 */
static const char *
check_fields(const struct cp_jnode *obj, const struct cp_jnode *at[NFIELDS], int *legacy,
    char *why, size_t cap)
{
	const struct cp_jnode *m, *h, *extra = NULL;
	size_t i, k;

	for (k = 0; k < NFIELDS; k++)
		at[k] = NULL;
	for (m = obj->u.c.kid, i = 0; i < obj->len; i++, m++) {
		if ((k = field_index(m->key, m->klen)) < NFIELDS)
			at[k] = m;	/* jtree refuses duplicate keys: each is met once */
		else if (extra == NULL)
			extra = m;
	}
	h = at[NFIELDS - 1];
	*legacy = h == NULL || (h->type == CP_JSTRING && h->len == 0);
	if (extra != NULL) {
		snprintf(why, cap, "field \"%.*s\" is not one of an entry's ten",
		    extra->klen > 64 ? 64 : (int)extra->klen, extra->key);
		for (k = 0; why[k] != '\0'; k++)
			if ((unsigned char)why[k] < 0x20)
				why[k] = '?';
		return why;
	}
	for (k = 0; k < (*legacy ? NREQUIRED : NFIELDS); k++)
		if (at[k] == NULL) {
			snprintf(why, cap, "%s without the field %s", *legacy ? "legacy line" : "entry",
			    fields[k].name);
			return why;
		}
	return NULL;
}

int
cp_entry_parse(struct cp_entry_parser *p, const char *text, size_t len, int want_hash,
    struct cp_ledger_line *ln)
{
	json_error_t e;
	const struct cp_jnode *v, *at[NFIELDS];
	const char *bad;
	char why[160];
	int legacy;

	cp_entry_clear(ln);
	if (cp_jtree_blank(text, len))
		return ln->kind = CP_LEDGER_BLANK;
	/* Python accepts "\u0000" in strings, so must we, and its numbers: NaN, Infinity, big integers, 1e400. */
	ln->entry = cp_jtree_load(&p->tree, text, len,
	    CP_JTREE_PYTHON | (p->reference ? CP_JTREE_REFERENCE : 0), &e);
	if (ln->entry == NULL) {
		snprintf(ln->detail, sizeof(ln->detail), "%s (column %d)", json_why(text, len, &e), e.column);
		return ln->kind = CP_LEDGER_MALFORMED;
	}
	if (ln->entry->type != CP_JOBJECT)
		return malformed(ln, "not a JSON object");
	bad = check_fields(ln->entry, at, &legacy, why, sizeof(why));
	/* The checks in the order they were always made: a field's type, then the set of fields. */
	if ((v = at[F_ID]) != NULL && v->type == CP_JSTRING)
		ln->id = v->u.s;
	ln->previous_hash = "";
	if ((v = at[F_PREVIOUS]) != NULL) {
		if (v->type != CP_JSTRING)
			return malformed(ln, "previous_hash is not a string");
		ln->previous_hash = v->u.s;
	}
	v = at[F_HASH];
	if (v != NULL && v->type != CP_JSTRING)
		return malformed(ln, "entry_hash is not a string");
	if (bad != NULL)
		return malformed(ln, why);
	if (legacy)
		ln->kind = CP_LEDGER_LEGACY;
	else {
		ln->kind = CP_LEDGER_ENTRY;
		ln->entry_hash = v->u.s;
	}
	if (want_hash) {
		cp_buf_reset(&p->canon);
		cp_canon_dump(&p->canon, ln->entry, CP_CANON_SORT_KEYS, "entry_hash");
		if (cp_entry_digest(&p->sha, p->canon.data, p->canon.len, ln->hash) == -1)
			return -1;
		cp_hex_encode(ln->hash, sizeof(ln->hash), ln->hash_hex);
	}
	return ln->kind;
}

int
cp_entry_id_ok(const char *id)
{
	return strlen(id) == 12 && strncmp(id, "LED-", 4) == 0 && cp_hex_is_lower(id + 4, 8);
}

int
cp_entry_timestamp_ok(const char *t)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(t), i;

	if (n != 25 && n != 32)
		return 0;
	for (i = 0; i < 19; i++)
		if (form[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != form[i])
			return 0;
	if (n == 32) {
		if (t[19] != '.')
			return 0;
		for (i = 20; i < 26; i++)
			if (t[i] < '0' || t[i] > '9')
				return 0;
		/* isoformat leaves the fraction out when it is zero */
		if (strncmp(t + 20, "000000", 6) == 0)
			return 0;
	}
	return strcmp(t + n - 6, "+00:00") == 0;
}

void
cp_entry_now(struct cp_entry_clock *c, char out[40])
{
	struct timespec ts;
	struct tm tm;
	long us;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (c->base[0] == '\0' || ts.tv_sec != c->sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(c->base, sizeof(c->base), "%Y-%m-%dT%H:%M:%S", &tm);
		c->sec = ts.tv_sec;
	}
	memcpy(out, c->base, 19);
	us = ts.tv_nsec / 1000 % 1000000;
	if (us == 0) {
		memcpy(out + 19, "+00:00", 7);
		return;
	}
	out[19] = '.';
	for (i = 25; i > 19; i--, us /= 10)
		out[i] = (char)('0' + us % 10);
	memcpy(out + 26, "+00:00", 7);
}
