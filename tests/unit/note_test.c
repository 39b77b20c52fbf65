/* note_test: hash/note from C: the reference implementation's known answer, the strict reader, the verdicts.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "hash/note.h"
#include "unit.h"

/*
 * The example key pair and note of Go's golang.org/x/mod/sumdb/note (the
 * reference implementation): skey PRIVATE+KEY+PeterNeumann+c74f20a3+AYEK...,
 * its seed and public key in hex below.  Ed25519 is deterministic, so the
 * same key must sign the same text into the same line.
 */
static const char seedhex[] = "810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173";
static const char pubhex[] = "1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6";
static const char vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char text[] = "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char sigline[] = "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/* The verdict of note (a string) by the PeterNeumann key, or -2 when it does not parse. */
static int
verdict(const char *note, const struct cp_signify_pub *pub)
{
	struct cp_note *n = malloc(sizeof(*n));
	struct cp_err e;
	int rc;

	rc = cp_note_parse(note, strlen(note), n, &e) == -1 ? -2 :
	    cp_note_verify(n, "PeterNeumann", pub, &e);
	free(n);
	return rc;
}

int
main(void)
{
	struct cp_signify_pub pub, other;
	struct cp_signify_sec sec, osec;
	struct cp_note *n = malloc(sizeof(*n));
	struct cp_err e;
	unsigned char id[CP_NOTE_KEYIDLEN];
	char want[1024], buf[1024], hex[9], *s;
	const char *short_note;
	size_t len;

	memset(&pub, 0, sizeof(pub));
	memset(&sec, 0, sizeof(sec));
	cp_hex_decode(seedhex, 64, sec.seckey);
	cp_hex_decode(pubhex, 64, sec.seckey + 32);
	cp_hex_decode(pubhex, 64, pub.key);
	snprintf(want, sizeof(want), "%s\n%s", text, sigline);

	/* The known answer. */
	CHECK(cp_note_keyid("PeterNeumann", pub.key, id, &e) == 0, "a key ID");
	cp_hex_encode(id, sizeof(id), hex);
	CHECK_STR(hex, "c74f20a3", "is the reference's");
	s = cp_note_vkey("PeterNeumann", pub.key, &e);
	CHECK_STR(s, vkey, "the verifier key is the reference's");
	free(s);
	s = cp_note_sign(text, strlen(text), "PeterNeumann", &sec, &len, &e);
	CHECK_STR(s, want, "the signed note is the reference's, byte for byte");
	CHECK(s != NULL && len == strlen(want), "its length");
	free(s);
	CHECK(verdict(want, &pub) == CP_NOTE_VERIFIED, "the reference's note verifies");
	CHECK(cp_note_parse(want, strlen(want), n, &e) == 0 && n->textlen == strlen(text) &&
	    n->nsig == 1 && n->sig[0].namelen == 12, "its text and one signature line");

	/* Verdicts. */
	strcpy(buf, want);
	buf[10] ^= 0x20;
	CHECK(verdict(buf, &pub) == CP_NOTE_BADSIG, "a changed text: bad signature");
	snprintf(buf, sizeof(buf), "%s\n%s", "other text\n", sigline);
	CHECK(verdict(buf, &pub) == CP_NOTE_BADSIG, "another text under the line: bad signature");
	CHECK(cp_signify_generate(&other, &osec, &e) == 0, "another key");
	CHECK(verdict(want, &other) == CP_NOTE_UNSIGNED, "another key (another ID): no signature of it");
	s = cp_note_sign(text, strlen(text), "PeterNeumann", &osec, &len, &e);
	CHECK(s != NULL && verdict(s, &pub) == CP_NOTE_UNSIGNED, "signed by another key only: unsigned");
	CHECK(s != NULL && verdict(s, &other) == CP_NOTE_VERIFIED, "which verifies with that key");
	/* Both keys' lines: each verifies with its own key. */
	snprintf(buf, sizeof(buf), "%s%s", s != NULL ? s : "", sigline);
	CHECK(verdict(buf, &pub) == CP_NOTE_VERIFIED && verdict(buf, &other) == CP_NOTE_VERIFIED,
	    "a cosigned note verifies with either key");
	free(s);
	snprintf(buf, sizeof(buf), "%s\n%s", text, "\xe2\x80\x94 Other x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n");
	CHECK(verdict(buf, &pub) == CP_NOTE_UNSIGNED, "the same ID under another name: not this key's");
	snprintf(buf, sizeof(buf), "%s\n%s", text, "\xe2\x80\x94 PeterNeumann x08go/ZJ\n");
	CHECK(verdict(buf, &pub) == CP_NOTE_BADSIG, "this key's name and ID over a short signature: bad");
	CHECK(verdict(text, &pub) == CP_NOTE_UNSIGNED, "an unsigned note: no signature of this key");

	/* Malformed notes. */
	static const char *const bad[] = {
		"", "no newline", "a\n\n", "\n\xe2\x80\x94 PeterNeumann x08go/ZJ\n",
		"a\n\nnot a signature\n", "a\n\n\xe2\x80\x94 PeterNeumann\n",
		"a\n\n\xe2\x80\x94  x08go/ZJ\n", "a\n\n\xe2\x80\x94 a+b x08go/ZJ\n",
		"a\n\n\xe2\x80\x94 PeterNeumann x08go/Z\n", "a\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ=\n",
		"a\n\n\xe2\x80\x94 PeterNeumann x08g\n", "a\n\n\xe2\x80\x94 PeterNeumann x08go/Z=\n",
		"a\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ \n", "a\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ\r\n",
		"a\tb\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ\n", "a\xff\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ\n",
		"a\n\n\xe2\x80\x94 Peter\xc2\xa0Neumann x08go/ZJ\n", "a\n\n- PeterNeumann x08go/ZJ\n",
		"a\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ\n\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "malformed note %zu is refused", i);
		CHECK(cp_note_parse(bad[i], strlen(bad[i]), n, &e) == -1, buf);
	}
	short_note = "a\n\n\xe2\x80\x94 PeterNeumann x08go/Y=\n";
	CHECK(cp_note_parse(short_note, strlen(short_note), n, &e) == 0 && n->nsig == 1 && n->textlen == 2,
	    "the shortest signature (5 bytes) parses");

	/* Names. */
	CHECK(cp_note_name_ok("example.com/log", 15), "a URL-like name");
	CHECK(cp_note_name_ok("caf\xc3\xa9", 5), "a non-ASCII letter");
	CHECK(!cp_note_name_ok("", 0) && !cp_note_name_ok("a+b", 3) && !cp_note_name_ok("a b", 3),
	    "empty, '+' and space are refused");
	CHECK(!cp_note_name_ok("a\xe3\x80\x80", 4) && !cp_note_name_ok("a\xc2\x85", 3) &&
	    !cp_note_name_ok("a\xe2\x80\x8a", 4), "Unicode spaces are refused");
	CHECK(!cp_note_name_ok("a\xc3", 2), "invalid UTF-8 is refused");
	CHECK(cp_note_sign("no newline", 10, "x", &sec, &len, &e) == NULL, "a text without its newline is not signed");
	CHECK(cp_note_sign(text, strlen(text), "a b", &sec, &len, &e) == NULL, "nor under a bad name");

	cp_signify_sec_wipe(&sec);
	cp_signify_sec_wipe(&osec);
	free(n);
	return UNIT_END();
}
