/*
 * edit_test: registry/edit from C.  Each case copies a registry held in
 * memory (fmemopen) to memory (open_memstream) and compares the bytes with
 * the answer written out here literally, as Python's csv.DictWriter writes
 * it (CRLF, a field quoted only when it holds , " CR or LF; checked by hand
 * against python3's csv module): rows in DictWriter's form keep their
 * bytes, the others come out in that form, as cp-regrow writes them.
 * SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "registry/edit.h"
#include "text/csv.h"
#include "unit.h"

/* The output of one edit, and what cp_edit_rows said. */
struct run {
	int rc;
	size_t matched;
	char *out;
	size_t len;
	struct cp_err e;
};

static void
edit(struct run *x, const char *in, const char *match, const char *value, enum cp_edit_op op,
    const struct cp_edit_assign *as, size_t n)
{
	struct cp_csv_reader *r;
	size_t inlen = strlen(in);
	char *buf = strdup(inlen ? in : " ");
	FILE *fin, *fout;

	memset(x, 0, sizeof(*x));
	x->matched = 12345;
	/* fmemopen of a zero-length buffer fails: an empty input is a buffer of one byte read as none. */
	if (buf == NULL || (fin = fmemopen(buf, inlen ? inlen : 1, "r")) == NULL ||
	    (fout = open_memstream(&x->out, &x->len)) == NULL) {
		perror("fmemopen");
		exit(2);
	}
	if (inlen == 0)
		fseek(fin, 0, SEEK_END);
	r = cp_csv_open(fin, "registry.csv", NULL);
	x->rc = cp_edit_rows(r, fout, match, value, op, as, n, &x->matched, &x->e);
	cp_csv_close(r);
	fclose(fin);
	free(buf);
	if (fclose(fout) != 0) {
		perror("open_memstream");
		exit(2);
	}
}

/* CHECK that the edit succeeded with the bytes want and matched rows matched. */
static void
check_out(struct run *x, const char *want, size_t matched, const char *what)
{
	char w[256];

	snprintf(w, sizeof(w), "%s: succeeds", what);
	if (!CHECK(x->rc == 0, w))
		printf("#   %s\n", x->e.msg);
	snprintf(w, sizeof(w), "%s: the bytes", what);
	if (!CHECK(x->len == strlen(want) && memcmp(x->out, want, x->len) == 0, w))
		printf("#   got:  %.*s#   want: %s", (int)x->len, x->out, want);
	snprintf(w, sizeof(w), "%s: %zu matched", what, matched);
	if (!CHECK(x->matched == matched, w))
		printf("#   got %zu\n", x->matched);
	free(x->out);
}

/* CHECK that the edit failed, its message holding msg, with nothing written (len 0) when empty. */
static void
check_err(struct run *x, const char *msg, int empty, const char *what)
{
	char w[256];

	snprintf(w, sizeof(w), "%s: an error naming \"%s\"", what, msg);
	if (!CHECK(x->rc == -1 && strstr(x->e.msg, msg) != NULL, w))
		printf("#   rc %d: %s\n", x->rc, x->rc == -1 ? x->e.msg : "");
	if (empty) {
		snprintf(w, sizeof(w), "%s: nothing written", what);
		if (!CHECK(x->len == 0, w))
			printf("#   got: %.*s\n", (int)x->len, x->out);
	}
	free(x->out);
}

/*
 * The registry: canonical rows (a quoted comma list, a doubled quote, a
 * field holding a line break), BB (a prefix of nothing: "B" must not match
 * it), two rows named dup, and two rows not in DictWriter's form: C ends in
 * LF alone, D has needless quotes.
 */
#define HEADER "id,name,deps,note\r\n"
#define ROW_A "A,alpha,,plain\r\n"
#define ROW_B "B,beta,\"x,y\",\"say \"\"hi\"\"\"\r\n"
#define ROW_BB "BB,dup,,one\r\n"
#define ROW_C_RAW "C,gamma,,lf-ended\n"
#define ROW_C "C,gamma,,lf-ended\r\n"
#define ROW_D_RAW "\"D\",delta,,\"quoted needlessly\"\r\n"
#define ROW_D "D,delta,,quoted needlessly\r\n"
#define ROW_F "F,\"two\nlines\",,x\r\n"
#define ROW_G "G,dup,,two\r\n"
#define REG HEADER ROW_A ROW_B ROW_BB ROW_C_RAW ROW_D_RAW ROW_F ROW_G
#define REG_CANON HEADER ROW_A ROW_B ROW_BB ROW_C ROW_D ROW_F ROW_G

static void
test_set(void)
{
	static const struct cp_edit_assign as[] = { { "note", "changed" } };
	static const struct cp_edit_assign odd[] = {
		{ "note", "a,b" }, { "name", "q\"" }, { "deps", "c\rd" },
	};
	static const struct cp_edit_assign clear[] = { { "name", NULL }, { "deps", "" } };
	struct run x;

	edit(&x, REG, "id", "B", CP_EDIT_SET, as, 1);
	check_out(&x, HEADER ROW_A "B,beta,\"x,y\",changed\r\n" ROW_BB ROW_C ROW_D ROW_F ROW_G, 1,
	    "SET one row: the others as read (C, D in DictWriter's form)");

	edit(&x, REG, "id", "C", CP_EDIT_SET, odd, 3);
	check_out(&x, HEADER ROW_A ROW_B ROW_BB "C,\"q\"\"\",\"c\rd\",\"a,b\"\r\n" ROW_D ROW_F ROW_G,
	    1, "SET the LF-ended row: quoting of , \" CR as DictWriter quotes");

	edit(&x, REG, "id", "D", CP_EDIT_SET, clear, 2);
	check_out(&x, HEADER ROW_A ROW_B ROW_BB ROW_C "D,,,quoted needlessly\r\n" ROW_F ROW_G, 1,
	    "SET a needlessly quoted row: NULL and \"\" both empty");

	edit(&x, REG, "name", "dup", CP_EDIT_SET, as, 1);
	check_out(&x, HEADER ROW_A ROW_B "BB,dup,,changed\r\n" ROW_C ROW_D ROW_F "G,dup,,changed\r\n",
	    2, "SET every matching row");

	edit(&x, REG, "id", "NOPE", CP_EDIT_SET, as, 1);
	check_out(&x, HEADER ROW_A ROW_B ROW_BB ROW_C ROW_D ROW_F ROW_G, 0,
	    "SET with no match adds nothing");

	edit(&x, REG, "name", "two\nlines", CP_EDIT_SET, as, 1);
	check_out(&x, HEADER ROW_A ROW_B ROW_BB ROW_C ROW_D "F,\"two\nlines\",,changed\r\n" ROW_G, 1,
	    "SET matches a value holding a line break");

	edit(&x, REG, "deps", "", CP_EDIT_SET, as, 1);
	check_out(&x, HEADER "A,alpha,,changed\r\n" ROW_B "BB,dup,,changed\r\n" "C,gamma,,changed\r\n"
	    "D,delta,,changed\r\n" "F,\"two\nlines\",,changed\r\n" "G,dup,,changed\r\n", 6,
	    "SET matches the empty value");

	/* A file of canonical rows comes back byte for byte. */
	edit(&x, HEADER ROW_A ROW_B ROW_F, "id", "A", CP_EDIT_SET, as, 0);
	check_out(&x, HEADER ROW_A ROW_B ROW_F, 1, "SET with no assignment: the bytes unchanged");

	/* An LF file, no final line end: everything in DictWriter's form. */
	edit(&x, "id,name\nA,x\nB,y", "id", "A", CP_EDIT_SET, (const struct cp_edit_assign[]){
	    { "name", "z" } }, 1);
	check_out(&x, "id,name\r\nA,z\r\nB,y\r\n", 1, "SET in an LF file without a final line end");
}

static void
test_set_or_add(void)
{
	static const struct cp_edit_assign as[] = { { "id", "Z" }, { "note", "new, \"one\"" } };
	static const struct cp_edit_assign one[] = { { "id", "" } };
	struct run x;

	edit(&x, REG, "id", "Z", CP_EDIT_SET_OR_ADD, as, 2);
	check_out(&x, REG_CANON "Z,,,\"new, \"\"one\"\"\"\r\n", 0,
	    "SET_OR_ADD with no match appends a row, \"\" elsewhere");

	edit(&x, REG, "id", "A", CP_EDIT_SET_OR_ADD, (const struct cp_edit_assign[]){
	    { "note", "set" } }, 1);
	check_out(&x, HEADER "A,alpha,,set\r\n" ROW_B ROW_BB ROW_C ROW_D ROW_F ROW_G, 1,
	    "SET_OR_ADD with a match sets it and adds nothing");

	edit(&x, HEADER, "id", "Z", CP_EDIT_SET_OR_ADD, as, 2);
	check_out(&x, HEADER "Z,,,\"new, \"\"one\"\"\"\r\n", 0, "SET_OR_ADD to a registry of no row");

	/* A record of one empty field is written "" (as DictWriter does), not a blank line. */
	edit(&x, "id\r\nA\r\n", "id", "", CP_EDIT_SET_OR_ADD, one, 1);
	check_out(&x, "id\r\nA\r\n\"\"\r\n", 0, "SET_OR_ADD of a one-column row, empty");
}

static void
test_del(void)
{
	struct run x;

	edit(&x, REG, "name", "dup", CP_EDIT_DEL, NULL, 0);
	check_out(&x, HEADER ROW_A ROW_B ROW_C ROW_D ROW_F, 2, "DEL drops every matching row");

	edit(&x, REG, "id", "C", CP_EDIT_DEL, NULL, 0);
	check_out(&x, HEADER ROW_A ROW_B ROW_BB ROW_D ROW_F ROW_G, 1, "DEL of the LF-ended row");

	edit(&x, REG, "id", "B", CP_EDIT_DEL, NULL, 0);
	check_out(&x, HEADER ROW_A ROW_BB ROW_C ROW_D ROW_F ROW_G, 1, "DEL B keeps BB");

	edit(&x, REG, "id", "NOPE", CP_EDIT_DEL, NULL, 0);
	check_out(&x, REG_CANON, 0, "DEL with no match");

	edit(&x, HEADER ROW_A, "id", "A", CP_EDIT_DEL, NULL, 0);
	check_out(&x, HEADER, 1, "DEL of the only row leaves the header");
}

static void
test_errors(void)
{
	static const struct cp_edit_assign bad[] = { { "note", "x" }, { "nope", "x" } };
	struct run x;

	edit(&x, REG, "id", "B", CP_EDIT_SET, bad, 2);
	check_err(&x, "nope", 1, "SET of an unknown column");
	CHECK(x.matched == 0, "an unknown column: 0 matched");
	edit(&x, REG, "id", "Z", CP_EDIT_SET_OR_ADD, bad, 2);
	check_err(&x, "nope", 1, "SET_OR_ADD of an unknown column");
	edit(&x, REG, "nope", "B", CP_EDIT_DEL, NULL, 0);
	check_err(&x, "nope", 1, "DEL matching an unknown column");
	edit(&x, REG, "ID", "B", CP_EDIT_SET, bad, 1);
	check_err(&x, "ID", 1, "column names are case-sensitive");

	edit(&x, "", "id", "A", CP_EDIT_SET, bad, 1);
	check_err(&x, "registry.csv", 1, "an empty input");
	edit(&x, HEADER ROW_A "B,\"unterminated,,x\r\n" ROW_G, "id", "G", CP_EDIT_SET, bad, 1);
	check_err(&x, "registry.csv:3", 0, "an unterminated quote: the reader's message with its line");
	edit(&x, HEADER ROW_A "B,beta,,x,extra\r\n" ROW_G, "id", "A", CP_EDIT_DEL, NULL, 0);
	check_err(&x, "registry.csv:3", 0, "a row of too many fields");
	edit(&x, HEADER ROW_A "B,beta\r\n", "id", "Z", CP_EDIT_SET_OR_ADD, bad, 1);
	check_err(&x, "registry.csv:3", 0, "a row of too few fields");
	edit(&x, HEADER "B,\"x\"y,,z\r\n", "id", "B", CP_EDIT_SET, bad, 1);
	check_err(&x, "registry.csv:2", 0, "text after a closing quote");
	edit(&x, "id,id\r\nA,B\r\n", "id", "A", CP_EDIT_DEL, NULL, 0);
	check_err(&x, "registry.csv:1", 1, "a repeated header name");

	/* Malformed input after a match: an error, never a half edit reported as done. */
	edit(&x, HEADER ROW_A "B,\"open\r\n", "id", "Z", CP_EDIT_SET_OR_ADD,
	    (const struct cp_edit_assign[]){ { "id", "Z" } }, 1);
	CHECK(x.rc == -1 && strstr(x.out, "Z,,") == NULL,
	    "SET_OR_ADD over malformed input adds no row");
	free(x.out);
}

int
main(void)
{
	test_set();
	test_set_or_add();
	test_del();
	test_errors();
	return UNIT_END();
}
