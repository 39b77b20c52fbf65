/* ahead_test: lines parsed on threads come back in order, each as cp_entry_parse makes it, and a source's error after every line before it.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ledger/ahead.h"
#include "unit.h"

#define NLINES 1800	/* several batches of 512 */

/* A source of NLINES made-up lines: entries, legacy lines, junk, blanks, a too-long one; failing after fail_at when set. */
struct src {
	uint64_t n;
	uint64_t fail_at;
	char line[512];
};

static void
make_line(uint64_t i, char *out, size_t cap)
{
	switch (i % 7) {
	case 0:
		snprintf(out, cap, "{not json %llu", (unsigned long long)i);
		break;
	case 1:
		snprintf(out, cap, " ");
		break;
	case 2:
		snprintf(out, cap, "{\"event_type\":\"a\",\"submission_id\":\"s%llu\",\"decision\":\"d\",\"reason\":\"r\"}",
		    (unsigned long long)i);
		break;
	default:
		snprintf(out, cap, "{\"event_type\":\"a\",\"submission_id\":\"s\",\"decision\":\"d\","
		    "\"reason\":\"caf\xc3\xa9 %llu\",\"prompts_used\":[],\"metadata\":{\"x\":%llu.5},"
		    "\"id\":\"LED-%08llx\",\"timestamp\":\"t\",\"previous_hash\":\"p%llu\",\"entry_hash\":\"h%llu\"}",
		    (unsigned long long)i, (unsigned long long)i, (unsigned long long)i,
		    (unsigned long long)i, (unsigned long long)i);
	}
}

static int
next(void *arg, struct cp_ahead_raw *raw, struct cp_err *e)
{
	struct src *s = arg;

	if (s->fail_at > 0 && s->n == s->fail_at) {
		errno = EIO;
		return cp_err_set(e, EIO, "seg: read failed");
	}
	if (s->n == NLINES)
		return 0;
	s->n++;
	raw->segment = "seg";
	raw->lineno = s->n;
	raw->ended = s->n != NLINES;
	raw->last = s->n == NLINES;
	make_line(s->n, s->line, sizeof(s->line));
	raw->text = s->n % 100 == 50 ? NULL : s->line;
	raw->len = raw->text == NULL ? 0 : strlen(s->line);
	return 1;
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* One line as the sequential reader would make it. */
static int
same_line(struct cp_entry_parser *p, uint64_t i, const struct cp_ledger_line *got)
{
	struct cp_ledger_line want = { 0 };
	char text[512];

	make_line(i, text, sizeof(text));
	if (i % 100 == 50)
		cp_entry_malformed(&want, "line longer than 1 MiB");
	else
		cp_entry_parse(p, text, strlen(text), 1, &want);
	return got->lineno == i && got->kind == want.kind && got->ended == (i != NLINES) &&
	    got->last == (i == NLINES) && same_str(got->id, want.id) &&
	    same_str(got->entry_hash, want.entry_hash) &&
	    same_str(got->previous_hash, want.previous_hash) &&
	    strcmp(got->hash_hex, want.hash_hex) == 0 && strcmp(got->detail, want.detail) == 0 &&
	    (got->text == NULL ? i % 100 == 50 : memcmp(got->text, text, got->len) == 0);
}

/* Read all; the number of lines that came back as the sequential reader makes them, and the end's status. */
static uint64_t
read_all(unsigned nthreads, uint64_t fail_at, int *end, struct cp_err *e)
{
	struct cp_entry_parser p = { 0 };
	struct src s = { .fail_at = fail_at };
	struct cp_ahead *a = cp_ahead_start(nthreads, 0, next, &s);
	const struct cp_ledger_line *ln;
	uint64_t good = 0, i = 0;
	int parsed;

	while ((*end = cp_ahead_read(a, &ln, &parsed, e)) == 1)
		if (same_line(&p, ++i, ln) && parsed == ln->kind)
			good++;
	cp_ahead_stop(a);
	cp_entry_parser_free(&p);
	return good;
}

int
main(void)
{
	unsigned nt[] = { 1, 2, 3, 5 };
	struct cp_err e;
	int end;

	for (size_t k = 0; k < sizeof(nt) / sizeof(nt[0]); k++) {
		CHECK(read_all(nt[k], 0, &end, &e) == NLINES && end == 0,
		    "every line, in order, as cp_entry_parse makes it");
		memset(&e, 0, sizeof(e));
		CHECK(read_all(nt[k], 1300, &end, &e) == 1300 && end == -1,
		    "a source's error after every line it gave");
		CHECK_STR(e.msg, "seg: read failed: Input/output error", "the source's message");
		CHECK(e.errnum == EIO, "the source's errno");
		CHECK(read_all(nt[k], 0, &end, &e) == NLINES,
		    "again, a fresh reader");
	}
	{
		/* Stopped with the ring full and threads at work: no hang, no leak. */
		struct src s = { 0 };
		struct cp_ahead *a = cp_ahead_start(3, 0, next, &s);
		const struct cp_ledger_line *ln;
		int parsed;

		CHECK(cp_ahead_read(a, &ln, &parsed, &e) == 1 && ln->lineno == 1, "the first line");
		cp_ahead_stop(a);
	}
	return UNIT_END();
}
