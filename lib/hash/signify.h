/* signify: OpenBSD signify's Ed25519 keys and signatures, their files read as hostile input, through OpenSSL.
 * SPDX-License-Identifier: ISC */
#ifndef CP_SIGNIFY_H
#define CP_SIGNIFY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/*
 * The formats, byte for byte as signify(1) writes them.  Every file is two
 * lines: "untrusted comment: COMMENT\n", then the standard padded base64
 * (RFC 4648 section 4) of a binary record and "\n".  The records (integers
 * big-endian):
 *
 *	public key  "Ed" keynum[8] pub[32]                          42 bytes
 *	secret key  "Ed" "BK" kdfrounds[4] salt[16] checksum[8]
 *	            keynum[8] seckey[64]                           104 bytes
 *	signature   "Ed" keynum[8] sig[64]                          74 bytes
 *
 * keynum is 8 random bytes naming the key pair; a signature carries its
 * key's.  seckey is the Ed25519 seed followed by the public key, XORed with
 * bcrypt_pbkdf(passphrase, salt, kdfrounds) when kdfrounds is not 0;
 * checksum is the first 8 bytes of SHA-512 of the plain seckey.
 */
#define CP_SIGNIFY_KEYNUMLEN 8
#define CP_SIGNIFY_PUBLEN 32		/* an Ed25519 public key */
#define CP_SIGNIFY_SEEDLEN 32		/* an Ed25519 private key (the seed) */
#define CP_SIGNIFY_SIGLEN 64		/* an Ed25519 signature */

/* "untrusted comment: ": what every file starts with. */
#define CP_SIGNIFY_COMMENTHDR "untrusted comment: "

/*
 * The longest comment (bytes after the header, before the newline): signify
 * keeps a comment it reads in 1024 bytes with the NUL, and refuses longer.
 * A comment is never empty and holds no NUL or newline.
 */
#define CP_SIGNIFY_COMMENTMAX 1023

/* The most bytes of a key or signature file: signify reads one with a single 2047-byte read. */
#define CP_SIGNIFY_FILEMAX 2047

/* The largest message signed or verified (signify's cap: it holds the message in memory). */
#define CP_SIGNIFY_MSGMAX ((size_t)1 << 30)

/* A public key. */
struct cp_signify_pub {
	unsigned char keynum[CP_SIGNIFY_KEYNUMLEN];
	unsigned char key[CP_SIGNIFY_PUBLEN];
};

/*
 * A secret key, decrypted: seed and public key, as signify's seckey.  The
 * caller wipes it with cp_signify_sec_wipe when done.
 */
struct cp_signify_sec {
	unsigned char keynum[CP_SIGNIFY_KEYNUMLEN];
	unsigned char seckey[CP_SIGNIFY_SEEDLEN + CP_SIGNIFY_PUBLEN];
};

/* A signature. */
struct cp_signify_sig {
	unsigned char keynum[CP_SIGNIFY_KEYNUMLEN];
	unsigned char sig[CP_SIGNIFY_SIGLEN];
};

/* A comment as read: at most CP_SIGNIFY_COMMENTMAX bytes and a NUL. */
typedef char cp_signify_comment[CP_SIGNIFY_COMMENTMAX + 1];

/* Overwrite a secret key with zeros (never optimized away). */
void cp_signify_sec_wipe(struct cp_signify_sec *sec);

/*
 * A new key pair: an Ed25519 key from OpenSSL (its CSPRNG) and 8 random
 * bytes of key number, the same in both.  Returns 0, or -1 with e set
 * (OpenSSL failed); sec is wiped on failure.
 */
int cp_signify_generate(struct cp_signify_pub *pub, struct cp_signify_sec *sec,
    struct cp_err *e);

/* Sign msg[0..len) (pure Ed25519, as signify).  Returns 0, or -1 with e set. */
int cp_signify_sign(const struct cp_signify_sec *sec, const void *msg, size_t len,
    struct cp_signify_sig *sig, struct cp_err *e);

/* What cp_signify_verify found. */
enum cp_signify_verdict {
	CP_SIGNIFY_VERIFIED = 0,
	CP_SIGNIFY_WRONGKEY = 1,	/* the signature names another key number */
	CP_SIGNIFY_BADSIG = 2		/* the key numbers agree; the signature does not verify */
};

/*
 * Check sig over msg[0..len) against pub: the key numbers first (as signify:
 * "checked against wrong key"), then Ed25519.  Returns the verdict, or -1
 * with e set when OpenSSL cannot check at all (the public key is not a
 * point on the curve counts as a bad signature, not an error).
 */
int cp_signify_verify(const struct cp_signify_pub *pub, const struct cp_signify_sig *sig,
    const void *msg, size_t len, struct cp_err *e);

/*
 * Parse the text of a file, text[0..len) (not NUL-terminated), as hostile
 * input: exactly the header, a comment of 1 to CP_SIGNIFY_COMMENTMAX bytes
 * without NUL, "\n", the canonical base64 of the record (exact length,
 * padding and alphabet: what signify writes, nothing else), "\n", and
 * nothing after it.  The algorithm must be "Ed".  comment, when not NULL,
 * receives the comment.  Returns 0, or -1 with e saying what is wrong (no
 * file name: the caller prefixes it).
 *
 * A secret key must use the KDF "BK" and have kdfrounds 0 (an unencrypted
 * key, signify -n): an encrypted one is refused (this library has no
 * bcrypt_pbkdf), with a message that says so.  Its checksum must match and
 * the public half of seckey must be the seed's public key.  The decoded
 * record is wiped (the text is the caller's to wipe; cp_signify_load_sec
 * wipes its copy of the file); sec is wiped on failure.
 */
int cp_signify_parse_pub(const char *text, size_t len, struct cp_signify_pub *pub,
    char *comment, struct cp_err *e);
int cp_signify_parse_sec(const char *text, size_t len, struct cp_signify_sec *sec,
    char *comment, struct cp_err *e);
int cp_signify_parse_sig(const char *text, size_t len, struct cp_signify_sig *sig,
    char *comment, struct cp_err *e);

/*
 * Read the file at path ("-": standard input, not closed) and parse it as
 * above: at most CP_SIGNIFY_FILEMAX bytes, a symlink refused (O_NOFOLLOW,
 * as signify).  Returns 0, or -1 with e "PATH: why".
 */
int cp_signify_load_pub(const char *path, struct cp_signify_pub *pub, char *comment,
    struct cp_err *e);
int cp_signify_load_sec(const char *path, struct cp_signify_sec *sec, char *comment,
    struct cp_err *e);
int cp_signify_load_sig(const char *path, struct cp_signify_sig *sig, char *comment,
    struct cp_err *e);

/*
 * cp_signify_load_sec for a key that must be private: the file opened (or
 * standard input) is refused when its group or others have any access
 * (mode & 077, checked on the open descriptor), with e saying so.
 */
int cp_signify_load_sec_private(const char *path, struct cp_signify_sec *sec, char *comment,
    struct cp_err *e);

/*
 * The text of a signature file with comment: what signify -S writes.
 * Returns a NUL-terminated string the caller frees and its length in *len,
 * or NULL with e set (the comment empty, too long or holding a newline).
 */
char *cp_signify_text_sig(const struct cp_signify_sig *sig, const char *comment,
    size_t *len, struct cp_err *e);

/*
 * signify's naming rule (so that a signature can name its public key): the
 * last component of secpath is NAME.sec, NAME not empty, and when pubpath
 * is not NULL its last component is NAME.pub (the directories may differ).
 * Returns 0, or -1 with e set.
 */
int cp_signify_keynames(const char *pubpath, const char *secpath, struct cp_err *e);

/*
 * The comment signify gives a signature made with the secret key file
 * secpath: "verify with NAME.pub" (see cp_signify_keynames, which secpath
 * must pass).  Returns 0, or -1 with e set.
 */
int cp_signify_sig_comment(const char *secpath, cp_signify_comment out, struct cp_err *e);

/*
 * Write a new key pair as signify -G does: the secret key to secpath with
 * the comment "COMMENT secret key", the public key to pubpath with
 * "COMMENT public key" (kdfrounds 0: unencrypted; random salt).  Both are
 * created with O_EXCL | O_NOFOLLOW (an existing file or a symlink fails
 * with EEXIST), the secret key with mode 0600 from its creation, the public
 * key 0666 less the umask; written, fsynced, and their directories fsynced.
 * All or nothing: on failure neither file is left behind.
 * Returns 0, or -1 with e "PATH: why" (or the comment's problem).
 */
int cp_signify_save_keys(const char *pubpath, const char *secpath,
    const struct cp_signify_pub *pub, const struct cp_signify_sec *sec,
    const char *comment, struct cp_err *e);

/*
 * Write a signature file atomically (a temporary file beside path, renamed
 * over it; an existing file's mode kept, else 0666 less the umask).
 * Returns 0, or -1 with e "PATH: why".
 */
int cp_signify_save_sig(const char *path, const struct cp_signify_sig *sig,
    const char *comment, struct cp_err *e);

/*
 * Read the whole message at path ("-": standard input, not closed) into
 * *msg (caller frees; NUL-terminated for convenience) and its length into
 * *len, refusing more than CP_SIGNIFY_MSGMAX bytes.  Returns 0, or -1 with
 * e "PATH: why".
 */
int cp_signify_readmsg(const char *path, unsigned char **msg, size_t *len,
    struct cp_err *e);

#endif
