/* note: C2SP signed notes with Ed25519 keys, written and read strictly.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/hex.h"
#include "base/utf8.h"
#include "hash/note.h"
#include "hash/sha256.h"

#define PREFIXLEN (sizeof(CP_NOTE_SIGPREFIX) - 1)
#define B64LEN(n) (((n) + 2) / 3 * 4)
#define SIGBLOB (CP_NOTE_KEYIDLEN + CP_SIGNIFY_SIGLEN)	/* an Ed25519 line's bytes */

/* The code point of the valid sequence s[0..n) (n from cp_utf8_seqlen). */
static uint32_t
codepoint(const unsigned char *s, size_t n)
{
	static const unsigned char lead[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t c = s[0] & lead[n];

	for (size_t i = 1; i < n; i++)
		c = c << 6 | (s[i] & 0x3f);
	return c;
}

/* Go's unicode.IsSpace: Latin-1's spaces and Unicode's White_Space above it. */
static int
is_space(uint32_t c)
{
	switch (c) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029: case 0x202f:
	case 0x205f: case 0x3000:
		return 1;
	}
	return c >= 0x2000 && c <= 0x200a;
}

int
cp_note_name_ok(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i, k;
	uint32_t c;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i += k) {
		if ((k = cp_utf8_seqlen(p + i, len - i)) == 0)
			return 0;
		c = codepoint(p + i, k);
		if (c < 0x20 || c == '+' || is_space(c))
			return 0;
	}
	return 1;
}

/* A note's bytes: valid UTF-8, no control character but the newline (the spec's rule for a whole note). */
static int
text_ok(const char *text, size_t len, struct cp_err *e)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t bad;

	if (!cp_utf8_valid(text, len, &bad))
		return cp_err_set(e, 0, "not a note: invalid UTF-8 at byte %zu", bad);
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 && p[i] != '\n')
			return cp_err_set(e, 0, "not a note: a control character (0x%02x) at byte %zu",
			    p[i], i);
	return 0;
}

int
cp_note_keyid(const char *name, const unsigned char pub[CP_SIGNIFY_PUBLEN],
    unsigned char id[CP_NOTE_KEYIDLEN], struct cp_err *e)
{
	struct cp_sha256 c;
	unsigned char md[CP_SHA256_LEN];
	static const unsigned char sep[2] = { '\n', CP_NOTE_ED25519 };
	int ok;

	memset(&c, 0, sizeof(c));
	ok = cp_sha256_init(&c) == 0 && cp_sha256_update(&c, name, strlen(name)) == 0 &&
	    cp_sha256_update(&c, sep, sizeof(sep)) == 0 &&
	    cp_sha256_update(&c, pub, CP_SIGNIFY_PUBLEN) == 0 && cp_sha256_final(&c, md) == 0;
	cp_sha256_free(&c);
	if (!ok)
		return cp_err_set(e, 0, "SHA-256 failed (OpenSSL)");
	memcpy(id, md, CP_NOTE_KEYIDLEN);
	return 0;
}

char *
cp_note_vkey(const char *name, const unsigned char pub[CP_SIGNIFY_PUBLEN], struct cp_err *e)
{
	unsigned char id[CP_NOTE_KEYIDLEN], raw[1 + CP_SIGNIFY_PUBLEN];
	char hex[2 * CP_NOTE_KEYIDLEN + 1], *out;
	size_t n;

	if (!cp_note_name_ok(name, strlen(name))) {
		cp_err_set(e, 0, "invalid key name (no white space, '+' or control characters): %s",
		    name);
		return NULL;
	}
	if (cp_note_keyid(name, pub, id, e) == -1)
		return NULL;
	cp_hex_encode(id, sizeof(id), hex);
	raw[0] = CP_NOTE_ED25519;
	memcpy(raw + 1, pub, CP_SIGNIFY_PUBLEN);
	n = strlen(name) + 1 + sizeof(hex) - 1 + 1 + B64LEN(sizeof(raw)) + 1;
	if ((out = malloc(n)) == NULL) {
		cp_err_set(e, errno, "vkey");
		return NULL;
	}
	snprintf(out, n, "%s+%s+", name, hex);
	EVP_EncodeBlock((unsigned char *)out + strlen(out), raw, (int)sizeof(raw));
	return out;
}

char *
cp_note_sign(const char *text, size_t len, const char *name,
    const struct cp_signify_sec *sec, size_t *outlen, struct cp_err *e)
{
	struct cp_signify_sig sig;
	unsigned char blob[SIGBLOB];
	size_t nlen = strlen(name), n;
	char *out;

	if (len == 0 || text[len - 1] != '\n') {
		cp_err_set(e, 0, "not a note: its text must end in a newline");
		return NULL;
	}
	if (text_ok(text, len, e) == -1)
		return NULL;
	if (!cp_note_name_ok(name, nlen)) {
		cp_err_set(e, 0, "invalid key name (no white space, '+' or control characters): %s",
		    name);
		return NULL;
	}
	if (cp_note_keyid(name, sec->seckey + CP_SIGNIFY_SEEDLEN, blob, e) == -1 ||
	    cp_signify_sign(sec, text, len, &sig, e) == -1)
		return NULL;
	memcpy(blob + CP_NOTE_KEYIDLEN, sig.sig, CP_SIGNIFY_SIGLEN);
	n = len + 1 + PREFIXLEN + nlen + 1 + B64LEN(SIGBLOB) + 1;
	if ((out = malloc(n + 1)) == NULL) {
		cp_err_set(e, errno, "note");
		return NULL;
	}
	memcpy(out, text, len);
	out[len] = '\n';
	memcpy(out + len + 1, CP_NOTE_SIGPREFIX, PREFIXLEN);
	memcpy(out + len + 1 + PREFIXLEN, name, nlen);
	out[len + 1 + PREFIXLEN + nlen] = ' ';
	EVP_EncodeBlock((unsigned char *)out + len + 1 + PREFIXLEN + nlen + 1, blob, SIGBLOB);
	out[n - 1] = '\n';
	out[n] = '\0';
	*outlen = n;
	return out;
}

/*
 * Decode the canonical padded base64 b64[0..len) into out (room for
 * len / 4 * 3 bytes): the alphabet only, whole quanta, padding only at the
 * end, unused bits zero (encoding the result again gives the same text).
 * Returns the number of bytes, or -1.
 */
static int
b64_decode(const char *b64, size_t len, unsigned char *out)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *again;
	size_t pad = 0, n;
	int ok;

	if (len == 0 || len % 4 != 0 || len > INT32_MAX)
		return -1;
	while (pad < 2 && b64[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (b64[i] == '\0' || strchr(alphabet, b64[i]) == NULL)
			return -1;
	if (EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len) != (int)(len / 4 * 3))
		return -1;
	n = len / 4 * 3 - pad;
	if ((again = malloc(len + 1)) == NULL)
		return -1;
	EVP_EncodeBlock((unsigned char *)again, out, (int)n);
	ok = memcmp(again, b64, len) == 0;
	free(again);
	return ok ? (int)n : -1;
}

/* One signature line, line[0..len) without its newline, into s. */
static int
parse_sig(const char *line, size_t len, struct cp_note_sig *s, struct cp_err *e)
{
	const char *sp;
	unsigned char *raw;
	int n;

	if (len < PREFIXLEN || memcmp(line, CP_NOTE_SIGPREFIX, PREFIXLEN) != 0)
		return cp_err_set(e, 0, "malformed note: a line after the blank line does not "
		    "start with an em dash and a space");
	line += PREFIXLEN;
	len -= PREFIXLEN;
	if ((sp = memchr(line, ' ', len)) == NULL)
		return cp_err_set(e, 0, "malformed note: a signature line without a space "
		    "after the key name");
	s->name = line;
	s->namelen = (size_t)(sp - line);
	if (!cp_note_name_ok(s->name, s->namelen))
		return cp_err_set(e, 0, "malformed note: a signature line's key name holds white "
		    "space or '+', or is empty");
	s->b64 = sp + 1;
	s->b64len = len - s->namelen - 1;
	if ((raw = malloc(s->b64len / 4 * 3 + 3)) == NULL)
		return cp_err_set(e, errno, "note");
	n = b64_decode(s->b64, s->b64len, raw);
	if (n >= CP_NOTE_KEYIDLEN + 1)
		memcpy(s->keyid, raw, CP_NOTE_KEYIDLEN);
	free(raw);
	if (n < CP_NOTE_KEYIDLEN + 1)
		return cp_err_set(e, 0, "malformed note: a signature is not the canonical base64 "
		    "of a key ID and a signature");
	return 0;
}

int
cp_note_parse(const char *note, size_t len, struct cp_note *n, struct cp_err *e)
{
	const char *p, *end = note + len, *nl;
	size_t split;

	n->text = note;
	n->textlen = len;
	n->nsig = 0;
	if (len > CP_NOTE_MAX)
		return cp_err_set(e, 0, "not a note: over %d bytes", CP_NOTE_MAX);
	if (len == 0 || note[len - 1] != '\n')
		return cp_err_set(e, 0, "not a note: it must end in a newline");
	if (text_ok(note, len, e) == -1)
		return -1;
	/* The text ends at the last blank line: the last "\n\n" (or a blank first line). */
	for (split = len - 1; split > 0 && !(note[split] == '\n' && note[split - 1] == '\n'); split--)
		;
	if (split == 0 && note[0] != '\n')
		return 0;
	if (split == 0)
		return cp_err_set(e, 0, "malformed note: it starts with a blank line");
	n->textlen = split;
	if (split + 1 == len)
		return cp_err_set(e, 0, "malformed note: no signature line after the blank line");
	for (p = note + split + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (n->nsig == CP_NOTE_SIGS_MAX)
			return cp_err_set(e, 0, "malformed note: over %d signatures", CP_NOTE_SIGS_MAX);
		if (parse_sig(p, (size_t)(nl - p), &n->sig[n->nsig], e) == -1)
			return -1;
		n->nsig++;
	}
	return 0;
}

int
cp_note_verify(const struct cp_note *n, const char *name,
    const struct cp_signify_pub *pub, struct cp_err *e)
{
	struct cp_signify_sig sig;
	unsigned char id[CP_NOTE_KEYIDLEN], blob[B64LEN(SIGBLOB) / 4 * 3];
	size_t nlen = strlen(name);
	int found = 0, rc;

	if (cp_note_keyid(name, pub->key, id, e) == -1)
		return -1;
	for (size_t i = 0; i < n->nsig; i++) {
		const struct cp_note_sig *s = &n->sig[i];

		if (s->namelen != nlen || memcmp(s->name, name, nlen) != 0 ||
		    memcmp(s->keyid, id, CP_NOTE_KEYIDLEN) != 0)
			continue;
		found = 1;
		/* This key's line: anything but an Ed25519 signature's 68 bytes is a bad one. */
		if (s->b64len != B64LEN(SIGBLOB) || b64_decode(s->b64, s->b64len, blob) != SIGBLOB)
			return CP_NOTE_BADSIG;
		/* signify's verify checks key numbers first; a note's key is its name and ID. */
		memcpy(sig.keynum, pub->keynum, CP_SIGNIFY_KEYNUMLEN);
		memcpy(sig.sig, blob + CP_NOTE_KEYIDLEN, CP_SIGNIFY_SIGLEN);
		rc = cp_signify_verify(pub, &sig, n->text, n->textlen, e);
		if (rc != CP_SIGNIFY_VERIFIED)
			return rc == -1 ? -1 : CP_NOTE_BADSIG;
	}
	return found ? CP_NOTE_VERIFIED : CP_NOTE_UNSIGNED;
}
