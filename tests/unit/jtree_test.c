/*
 * jtree_test: text/jtree's CP_JTREE_PYTHON from C, through both parsers
 * (yajl, and jansson alone).  Each accepted text is written back by
 * text/canon; the answers are python3's json.dumps(json.loads(text),
 * ensure_ascii=False), checked by hand.  Without the flag the same texts
 * are refused, as before.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "text/canon.h"
#include "text/jtree.h"
#include "unit.h"

static struct cp_jtree tree;
static struct cp_buf buf;

static unsigned dump_flags;	/* cp_canon_dump's: CP_CANON_SORT_KEYS for json.dumps(sort_keys=True) */

/* text as Python writes what it reads, or NULL when refused (flags as cp_jtree_load). */
static const char *
dump(const char *text, unsigned flags)
{
	const struct cp_jnode *v;
	json_error_t e;

	if ((v = cp_jtree_load(&tree, text, strlen(text), flags, &e)) == NULL)
		return NULL;
	cp_buf_reset(&buf);
	cp_canon_dump(&buf, v, dump_flags, NULL);
	cp_buf_addc(&buf, '\0');
	return buf.data;
}

/* The same answer from both parsers. */
static void
both(const char *text, const char *want, const char *what)
{
	char name[160];

	snprintf(name, sizeof(name), "%s (yajl)", what);
	CHECK_STR(dump(text, CP_JTREE_PYTHON), want, name);
	snprintf(name, sizeof(name), "%s (jansson)", what);
	CHECK_STR(dump(text, CP_JTREE_PYTHON | CP_JTREE_REFERENCE), want, name);
}

int
main(void)
{
	char *big;
	size_t i;

	both("[NaN, Infinity, -Infinity]", "[NaN, Infinity, -Infinity]", "NaN and Infinity");
	CHECK(dump("[NaN]", 0) == NULL, "NaN refused without the flag");
	both("[1e400, -1E+400, 1.7976931348623159e308, 1e-400, 1.7976931348623157e308]",
	    "[Infinity, -Infinity, Infinity, 0.0, 1.7976931348623157e+308]", "reals beyond a double");
	CHECK(dump("[1e400]", 0) == NULL, "1e400 refused without the flag");
	both("[9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809]",
	    "[9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809]",
	    "integers at and beyond 64 bits");
	both("{\"b\": [1, 123456789012345678901234567890, 2.5], \"a\": NaN, \"c\": 0}",
	    "{\"b\": [1, 123456789012345678901234567890, 2.5], \"a\": NaN, \"c\": 0}",
	    "each number put back in its place");
	both("{\"NaN\": \"Infinity 1e400 \\\" NaN\", \"x\": \"\\\\\", \"y\": 1e400}",
	    "{\"NaN\": \"Infinity 1e400 \\\" NaN\", \"x\": \"\\\\\", \"y\": Infinity}",
	    "strings and keys left alone");
	both("[-NaN]", NULL, "-NaN refused, as Python does");
	both("[NaN1]", NULL, "NaN1 refused");
	both("[1e400e]", NULL, "1e400e refused");
	both("[01e400]", NULL, "01e400 refused");
	both("[nan, inf]", NULL, "nan and inf refused");
	both("{NaN: 1}", NULL, "NaN as a key refused");
	both("NaN", NULL, "NaN at the top refused (an object or array is wanted)");

	/* Python 3.11 reads 4300 digits and refuses 4301 (ValueError). */
	big = malloc(4310);
	if (big == NULL)
		return 1;
	big[0] = '[';
	big[1] = '-';
	for (i = 0; i < 4300; i++)
		big[2 + i] = '9';
	memcpy(big + 4302, "]", 2);
	CHECK(dump(big, CP_JTREE_PYTHON) != NULL && strlen(buf.data) == 4303 &&
	    memcmp(buf.data, big, 4303) == 0, "4300 digits read (yajl)");
	CHECK(dump(big, CP_JTREE_PYTHON | CP_JTREE_REFERENCE) != NULL && strlen(buf.data) == 4303,
	    "4300 digits read (jansson)");
	memcpy(big + 4302, "9]", 3);
	both(big, NULL, "4301 digits refused");
	free(big);

	/*
	 * Found by fuzz_ledger (the readers disagreed): yajl took a value
	 * followed by an unterminated string ({}" and {}"}) as the value;
	 * jansson, and Python's json.loads ("Extra data"), refuse it.
	 */
	both("{}\"", NULL, "an unterminated string after the value refused");
	both("{}\"}", NULL, "an unterminated string after the value refused, ending in }");
	both("[1]\"\\", NULL, "an unterminated escape after the value refused");
	both("{\"a\": \"}\"}\"", NULL, "a quote after an object holding one");
	both("{}1", NULL, "a number after the value refused");
	both("{} \t\r\n", "{}", "white space after the value read");
	both("{\"a\": \"{[\\\"\"} ", "{\"a\": \"{[\\\"\"}", "brackets and an escaped quote in a string");

	/* The same without CP_JTREE_PYTHON: parse walks the strings itself. */
	CHECK(dump("{}\"", 0) == NULL, "an unterminated string after the value refused (no flags)");
	CHECK(dump("{\"a\": \"\\\"\", \"b\": \"c\"} \"x\\\"", 0) == NULL,
	    "an unterminated string ending in an escaped quote refused (no flags)");
	CHECK_STR(dump("{\"a\": \"\\\"\", \"b\": \"c\\\\\"} ", 0), "{\"a\": \"\\\"\", \"b\": \"c\\\\\"}",
	    "escaped quotes and backslashes ending strings read (no flags)");

	/* A tree reused: nothing of the last text's numbers stays. */
	both("[1e400]", "[Infinity]", "reused, one");
	both("[1.5, 2]", "[1.5, 2]", "reused, none");

	cp_jtree_free(&tree);
	cp_buf_free(&buf);
	/*
	 * A text taken as it is (no number Python alone reads): what follows
	 * the value is looked at from where yajl ended it.  White space passes;
	 * an unterminated string, which yajl's lexer waits for, does not.
	 */
	both("{\"a\": 1, \"s\": \"x\\\"y\"} \t\r\n", "{\"a\": 1, \"s\": \"x\\\"y\"}", "as is: white space after");
	both("{\"a\": 1}\"x", NULL, "as is: an unterminated string after an object");
	both("[1, \"b\"]  \"", NULL, "as is: a lone quote after an array");
	both("{\"a\": \"b\"}\"}", NULL, "as is: a string that closes nothing");
	both("{\"a\": [1, 2]} x", NULL, "as is: a word after");
	both("{\"a\": NaN, \"b\": \"c\"}\"", NULL, "a Python number, then an unterminated string");
	both("{\"a\": 12345678901234567890123, \"b\": \"c\"} ", "{\"a\": 12345678901234567890123, \"b\": \"c\"}",
	    "a Python number: read again, after python_numbers");

	/*
	 * The key order of the last object of a size is tried first: the same
	 * keys again, in another order, other keys, a duplicate where the old
	 * order would put it, each sorted (or refused) as if never seen.
	 */
	dump_flags = CP_CANON_SORT_KEYS;
	for (i = 0; i < 3; i++)
		both("{\"b\": 1, \"c\": 2, \"a\": 3}", "{\"a\": 3, \"b\": 1, \"c\": 2}", "key order: the same keys again");
	both("{\"c\": 1, \"a\": 2, \"b\": 3}", "{\"a\": 2, \"b\": 3, \"c\": 1}", "key order: the same keys, another order");
	both("{\"y\": 1, \"z\": 2, \"x\": 3}", "{\"x\": 3, \"y\": 1, \"z\": 2}", "key order: other keys");
	both("{\"y\": 1, \"z\": 2, \"x\": 3}", "{\"x\": 3, \"y\": 1, \"z\": 2}", "key order: those again");
	both("{\"y\": 1, \"y\": 2, \"x\": 3}", NULL, "key order: a duplicate key is refused");
	both("{\"x\": 1, \"z\": 2, \"x\": 3}", NULL, "key order: a duplicate where the last order puts equal keys apart");
	both("{\"y\": 1, \"z\": 2, \"xa\": 3}", "{\"xa\": 3, \"y\": 1, \"z\": 2}", "key order: a key that only starts alike");
	dump_flags = 0;

	/*
	 * The one-pass prescan (UTF-8, \v, \f, a backslash) at every offset of
	 * its eight-byte words: \v or \f anywhere, a bad UTF-8 byte, a lone
	 * surrogate escape after the first backslash, each refused as jansson
	 * refuses it; the same line without them read alike by both.
	 */
	{
		static const char *const bad[] = { "\v", "\f", "\xc0\xaf", "\xed\xa0\x80", "\\ud800" };
		char line[128], name[160];

		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
			for (i = 0; i < 20; i++) {
				snprintf(line, sizeof(line), "{\"k\": \"%.*s%s%.*s\", \"z\": [1]}", (int)i,
				    "abcdefghijklmnopqrstuvwxyz", bad[b], (int)(20 - i), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
				snprintf(name, sizeof(name), "prescan: bad %zu at offset %zu refused", b, i);
				both(line, NULL, name);
			}
		/* yajl takes \v and \f for white space between tokens: only prescan stands there */
		for (size_t b = 0; b < 2; b++)
			for (i = 0; i < 20; i++) {
				snprintf(line, sizeof(line), "{\"k\":%*s%s%*s1, \"abcdefgh\": 2}", (int)i, "",
				    bad[b], (int)(20 - i), "");
				snprintf(name, sizeof(name), "prescan: white space %zu at offset %zu refused", b, i);
				both(line, NULL, name);
			}
		both("{\"k\": \"abcdefghijklmnopqrstu\\u00e9\\\\ caf\xc3\xa9 \\ud83d\\ude00\"}",
		    "{\"k\": \"abcdefghijklmnopqrstu\xc3\xa9\\\\ caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
		    "prescan: escapes, a pair of surrogates and UTF-8 past the words read alike");
	}
	return UNIT_END();
}
