/* note: C2SP signed notes with Ed25519 keys: key IDs, signature lines, verifier keys, notes read as hostile input.
 * SPDX-License-Identifier: ISC */
#ifndef CP_NOTE_H
#define CP_NOTE_H

#include <stddef.h>

#include "base/err.h"
#include "hash/signify.h"

/*
 * A signed note (c2sp.org/signed-note): a text ending in a newline, a blank
 * line, then one or more signature lines
 *
 *	"— " NAME " " base64(keyid[4] ‖ signature) "\n"
 *
 * ("—" is U+2014, three bytes in UTF-8).  The signature is over the text,
 * its final newline included.  For Ed25519 (signature type 0x01) the key ID
 * is the first 4 bytes of SHA-256(NAME ‖ "\n" ‖ 0x01 ‖ public key[32]) and
 * a verifier key ("vkey") is the text NAME "+" hex(keyid) "+"
 * base64(0x01 ‖ public key).  The key pairs here are signify's (their key
 * numbers play no part: a note names its key by NAME and key ID).
 */
#define CP_NOTE_MAX 65536		/* the largest note read */
#define CP_NOTE_SIGS_MAX 100		/* signature lines read at most (the spec: at least 16) */
#define CP_NOTE_KEYIDLEN 4
#define CP_NOTE_ED25519 0x01		/* the signature type of Ed25519 */

/* The signature lines' first bytes: an em dash and a space. */
#define CP_NOTE_SIGPREFIX "\xe2\x80\x94 "

/*
 * 1 if name[0..len) can be a key name: not empty, valid UTF-8, no control
 * character, no '+', no Unicode white space (Go's unicode.IsSpace, as the
 * reference implementation checks).
 */
int cp_note_name_ok(const char *name, size_t len);

/*
 * The Ed25519 key ID of name (NUL-terminated) and pub.  Returns 0, or -1
 * with e set (OpenSSL failed).
 */
int cp_note_keyid(const char *name, const unsigned char pub[CP_SIGNIFY_PUBLEN],
    unsigned char id[CP_NOTE_KEYIDLEN], struct cp_err *e);

/*
 * The verifier key of name and pub: "NAME+xxxxxxxx+base64" and a NUL.
 * Returns it (caller frees), or NULL with e set (name not acceptable).
 */
char *cp_note_vkey(const char *name, const unsigned char pub[CP_SIGNIFY_PUBLEN],
    struct cp_err *e);

/*
 * The signed note of text[0..len) signed by sec under name: the text, a
 * blank line, one signature line.  The text must be a note's text: not
 * empty, ending in a newline, valid UTF-8 without control characters but
 * the newline.  Returns the note (caller frees; NUL-terminated, its length
 * in *outlen), or NULL with e set.
 */
char *cp_note_sign(const char *text, size_t len, const char *name,
    const struct cp_signify_sec *sec, size_t *outlen, struct cp_err *e);

/* A signature line as read: pointers into the note, not NUL-terminated. */
struct cp_note_sig {
	const char *name;
	size_t namelen;
	unsigned char keyid[CP_NOTE_KEYIDLEN];
	const char *b64;	/* the whole base64 field, key ID included */
	size_t b64len;
};

/* A note as read: pointers into the caller's buffer. */
struct cp_note {
	const char *text;	/* the signed text, its final newline included */
	size_t textlen;
	size_t nsig;		/* 0: an unsigned note (no blank line) */
	struct cp_note_sig sig[CP_NOTE_SIGS_MAX];
};

/*
 * Read note[0..len) as hostile input.  It must be at most CP_NOTE_MAX
 * bytes, valid UTF-8 without control characters but the newline, and end
 * in a newline.  With no blank line it is an unsigned note: all text, nsig
 * 0.  Otherwise the last blank line ends the text and every line after it
 * must be a signature line: the prefix, a name that cp_note_name_ok
 * accepts, one space, the canonical padded base64 (RFC 4648 section 4) of
 * at least 5 bytes; at most CP_NOTE_SIGS_MAX of them.  Returns 0, or -1
 * with e saying what is malformed.
 */
int cp_note_parse(const char *note, size_t len, struct cp_note *n, struct cp_err *e);

/* What cp_note_verify found. */
enum cp_note_verdict {
	CP_NOTE_VERIFIED = 0,
	CP_NOTE_UNSIGNED = 1,	/* no signature line by this key (name and key ID): other keys' only */
	CP_NOTE_BADSIG = 2	/* a line names this key and its signature does not verify */
};

/*
 * Check n's signatures by the key name (NUL-terminated) and pub: every line
 * whose name and key ID are this key's must hold an Ed25519 signature that
 * verifies over n's text; lines of other keys are ignored, as the spec
 * says.  Returns the verdict, or -1 with e set (OpenSSL failed).
 */
int cp_note_verify(const struct cp_note *n, const char *name,
    const struct cp_signify_pub *pub, struct cp_err *e);

#endif
