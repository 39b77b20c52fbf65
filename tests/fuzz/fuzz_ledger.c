/*
 * fuzz_ledger: a ledger line -> entry -> canonical text (ledger/entry over
 * text/jtree and text/canon), with yajl's verdict against jansson's, the
 * reference: any disagreement is a finding.
 * SPDX-License-Identifier: ISC
 */
#include "fuzz.h"

#include "ledger/entry.h"
#include "text/canon.h"
#include "text/jtree.h"

static struct cp_entry_parser fast, ref;
static struct cp_jtree tfast, tref;
static struct cp_buf bfast, bref;

static void
release(void)
{
	cp_entry_parser_free(&fast);
	cp_entry_parser_free(&ref);
	cp_jtree_free(&tfast);
	cp_jtree_free(&tref);
	cp_buf_free(&bfast);
	cp_buf_free(&bref);
}

/* Both readers of text under flags: the same verdict, and the same canonical text when they take it. */
static void
compare(const char *text, size_t len, unsigned flags)
{
	json_error_t e1, e2;
	const struct cp_jnode *a = cp_jtree_load(&tfast, text, len, flags, &e1);
	const struct cp_jnode *b = cp_jtree_load(&tref, text, len, flags | CP_JTREE_REFERENCE, &e2);

	if ((a == NULL) != (b == NULL)) {
		fprintf(stderr, "yajl %s, jansson %s (flags %u): %s\n", a ? "takes" : "refuses",
		    b ? "takes" : "refuses", flags, a ? e2.text : e1.text);
		FUZZ_ASSERT(!"the readers disagree");
	}
	if (a == NULL) {
		FUZZ_ASSERT(strcmp(e1.text, e2.text) == 0 && e1.line == e2.line &&
		    e1.column == e2.column);
		return;
	}
	cp_buf_reset(&bfast);
	cp_buf_reset(&bref);
	cp_canon_dump(&bfast, a, CP_CANON_SORT_KEYS, NULL);
	cp_canon_dump(&bref, b, CP_CANON_SORT_KEYS, NULL);
	if (bfast.len != bref.len || memcmp(bfast.data, bref.data, bfast.len) != 0) {
		fprintf(stderr, "yajl:    %.*s\njansson: %.*s\n", (int)bfast.len, bfast.data,
		    (int)bref.len, bref.data);
		FUZZ_ASSERT(!"the canonical texts differ");
	}
	/* Unsorted, too: document order must agree. */
	cp_buf_reset(&bfast);
	cp_buf_reset(&bref);
	cp_canon_dump(&bfast, a, 0, NULL);
	cp_canon_dump(&bref, b, 0, NULL);
	FUZZ_ASSERT(bfast.len == bref.len && memcmp(bfast.data, bref.data, bfast.len) == 0);
}

/* The input is one line of a segment (a newline ends it early). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct cp_ledger_line l1, l2;
	const char *text = (const char *)data;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t len = nl != NULL ? (size_t)(nl - data) : size;
	int k1, k2;

	if (!once) {
		ref.reference = 1;
		atexit(release);
		once = 1;
	}
	if (len > CP_LEDGER_LINE_MAX)
		return 0;
	compare(text, len, 0);
	compare(text, len, CP_JTREE_PYTHON);

	memset(&l1, 0, sizeof(l1));
	memset(&l2, 0, sizeof(l2));
	k1 = cp_entry_parse(&fast, text, len, 1, &l1);
	k2 = cp_entry_parse(&ref, text, len, 1, &l2);
	FUZZ_ASSERT(k1 != -1 && k2 != -1);
	if (k1 != k2) {
		fprintf(stderr, "kinds %d and %d: %s / %s\n", k1, k2, l1.detail, l2.detail);
		FUZZ_ASSERT(!"the entry kinds differ");
	}
	FUZZ_ASSERT(strcmp(l1.detail, l2.detail) == 0);
	FUZZ_ASSERT(k1 != CP_LEDGER_MALFORMED || l1.detail[0] != '\0');
	if (k1 == CP_LEDGER_ENTRY || k1 == CP_LEDGER_LEGACY) {
		FUZZ_ASSERT(strcmp(l1.hash_hex, l2.hash_hex) == 0);
		FUZZ_ASSERT(strcmp(l1.previous_hash, l2.previous_hash) == 0);
		FUZZ_ASSERT((l1.id == NULL) == (l2.id == NULL) &&
		    (l1.id == NULL || strcmp(l1.id, l2.id) == 0));
		if (k1 == CP_LEDGER_ENTRY)
			FUZZ_ASSERT(strcmp(l1.entry_hash, l2.entry_hash) == 0);
	}
	cp_entry_clear(&l1);
	cp_entry_clear(&l2);
	return 0;
}
