/* signify: OpenBSD signify's Ed25519 keys and signatures, their files read as hostile input, through OpenSSL.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/atomic.h"
#include "base/io.h"
#include "base/wipe.h"
#include "hash/signify.h"

#define HDRLEN (sizeof(CP_SIGNIFY_COMMENTHDR) - 1)
#define PKALG "Ed"
#define KDFALG "BK"

/* The records' sizes and offsets (signify.h). */
enum {
	PUB_KEYNUM = 2, PUB_KEY = 10, PUB_SIZE = 42,
	SEC_KDFALG = 2, SEC_ROUNDS = 4, SEC_SALT = 8, SEC_CHECKSUM = 24,
	SEC_KEYNUM = 32, SEC_SECKEY = 40, SEC_SIZE = 104,
	SIG_KEYNUM = 2, SIG_SIG = 10, SIG_SIZE = 74,
	RECORD_MAX = SEC_SIZE
};

/* Characters of the padded base64 of n bytes. */
#define B64LEN(n) (((n) + 2) / 3 * 4)

/* A whole file as this module writes it, with its NUL. */
#define TEXT_MAX (HDRLEN + CP_SIGNIFY_COMMENTMAX + 1 + B64LEN(RECORD_MAX) + 1 + 1)

void
cp_signify_sec_wipe(struct cp_signify_sec *sec)
{
	cp_wipe(sec, sizeof(*sec));
}

static int
ossl(struct cp_err *e, const char *what)
{
	return cp_err_set(e, 0, "%s failed (OpenSSL)", what);
}

/* The Ed25519 public key of a seed. */
static int
seed_public(const unsigned char seed[CP_SIGNIFY_SEEDLEN], unsigned char pub[CP_SIGNIFY_PUBLEN],
    struct cp_err *e)
{
	EVP_PKEY *k;
	size_t n = CP_SIGNIFY_PUBLEN;
	int ok;

	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
	    CP_SIGNIFY_SEEDLEN)) == NULL)
		return ossl(e, "Ed25519 key");
	ok = EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == CP_SIGNIFY_PUBLEN;
	EVP_PKEY_free(k);
	return ok ? 0 : ossl(e, "Ed25519 public key");
}

/* The first 8 bytes of SHA-512 of the plain seckey, signify's check of the passphrase. */
static int
checksum(const unsigned char seckey[64], unsigned char out[8], struct cp_err *e)
{
	unsigned char md[64];
	unsigned int n = 0;

	if (EVP_Digest(seckey, 64, md, &n, EVP_sha512(), NULL) != 1 || n != sizeof(md))
		return ossl(e, "SHA-512");
	memcpy(out, md, 8);
	cp_wipe(md, sizeof(md));
	return 0;
}

int
cp_signify_generate(struct cp_signify_pub *pub, struct cp_signify_sec *sec,
    struct cp_err *e)
{
	EVP_PKEY_CTX *c;
	EVP_PKEY *k = NULL;
	size_t ns = CP_SIGNIFY_SEEDLEN, np = CP_SIGNIFY_PUBLEN;
	int ok;

	if ((c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL)) == NULL)
		return ossl(e, "Ed25519 key generation");
	ok = EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &k) == 1 &&
	    EVP_PKEY_get_raw_private_key(k, sec->seckey, &ns) == 1 &&
	    ns == CP_SIGNIFY_SEEDLEN &&
	    EVP_PKEY_get_raw_public_key(k, pub->key, &np) == 1 &&
	    np == CP_SIGNIFY_PUBLEN &&
	    RAND_bytes(pub->keynum, CP_SIGNIFY_KEYNUMLEN) == 1;
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(c);
	if (!ok) {
		cp_signify_sec_wipe(sec);
		return ossl(e, "Ed25519 key generation");
	}
	memcpy(sec->seckey + CP_SIGNIFY_SEEDLEN, pub->key, CP_SIGNIFY_PUBLEN);
	memcpy(sec->keynum, pub->keynum, CP_SIGNIFY_KEYNUMLEN);
	return 0;
}

int
cp_signify_sign(const struct cp_signify_sec *sec, const void *msg, size_t len,
    struct cp_signify_sig *sig, struct cp_err *e)
{
	EVP_PKEY *k;
	EVP_MD_CTX *c;
	size_t n = CP_SIGNIFY_SIGLEN;
	int ok;

	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sec->seckey,
	    CP_SIGNIFY_SEEDLEN)) == NULL)
		return ossl(e, "Ed25519 key");
	if ((c = EVP_MD_CTX_new()) == NULL) {
		EVP_PKEY_free(k);
		return ossl(e, "Ed25519 signing");
	}
	ok = EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestSign(c, sig->sig, &n, msg, len) == 1 && n == CP_SIGNIFY_SIGLEN;
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	if (!ok)
		return ossl(e, "Ed25519 signing");
	memcpy(sig->keynum, sec->keynum, CP_SIGNIFY_KEYNUMLEN);
	return 0;
}

int
cp_signify_verify(const struct cp_signify_pub *pub, const struct cp_signify_sig *sig,
    const void *msg, size_t len, struct cp_err *e)
{
	EVP_PKEY *k;
	EVP_MD_CTX *c;
	int rc;

	if (memcmp(pub->keynum, sig->keynum, CP_SIGNIFY_KEYNUMLEN) != 0)
		return CP_SIGNIFY_WRONGKEY;
	/* OpenSSL takes any 32 bytes here; a key that is not a point fails the check below. */
	if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub->key,
	    CP_SIGNIFY_PUBLEN)) == NULL)
		return ossl(e, "Ed25519 public key");
	if ((c = EVP_MD_CTX_new()) == NULL) {
		EVP_PKEY_free(k);
		return ossl(e, "Ed25519 verification");
	}
	if (EVP_DigestVerifyInit(c, NULL, NULL, NULL, k) != 1)
		rc = ossl(e, "Ed25519 verification");
	else
		rc = EVP_DigestVerify(c, sig->sig, CP_SIGNIFY_SIGLEN, msg, len) == 1 ?
		    CP_SIGNIFY_VERIFIED : CP_SIGNIFY_BADSIG;
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(k);
	return rc;
}

/* A comment this module may write: 1 to CP_SIGNIFY_COMMENTMAX bytes, no newline. */
static int
comment_ok(const char *comment, struct cp_err *e)
{
	size_t n = strlen(comment);

	if (n == 0)
		return cp_err_set(e, 0, "empty comment");
	if (n > CP_SIGNIFY_COMMENTMAX)
		return cp_err_set(e, 0, "comment too long (%zu bytes, at most %d)", n,
		    CP_SIGNIFY_COMMENTMAX);
	if (strchr(comment, '\n') != NULL)
		return cp_err_set(e, 0, "comment holds a newline");
	return 0;
}

/* "untrusted comment: C\n" base64(rec) "\n" into out[TEXT_MAX]; its length, or -1. */
static int
encode(const unsigned char *rec, size_t n, const char *comment, char *out, size_t *len,
    struct cp_err *e)
{
	size_t c;

	if (comment_ok(comment, e) == -1)
		return -1;
	c = strlen(comment);
	memcpy(out, CP_SIGNIFY_COMMENTHDR, HDRLEN);
	memcpy(out + HDRLEN, comment, c);
	out[HDRLEN + c] = '\n';
	EVP_EncodeBlock((unsigned char *)out + HDRLEN + c + 1, rec, (int)n);
	out[HDRLEN + c + 1 + B64LEN(n)] = '\n';
	out[HDRLEN + c + 1 + B64LEN(n) + 1] = '\0';
	*len = HDRLEN + c + 1 + B64LEN(n) + 1;
	return 0;
}

/*
 * The strict reading of a file's text into rec[0..n): see signify.h.  signify
 * itself is laxer (its b64_pton skips white space, so "\r\n" passes, and it
 * ignores what follows the base64 line); this reads only what it writes.
 */
static int
decode(const char *text, size_t len, const char *what, unsigned char *rec, size_t n,
    char *comment, struct cp_err *e)
{
	unsigned char raw[B64LEN(RECORD_MAX) / 4 * 3];
	char again[B64LEN(RECORD_MAX) + 1];
	const char *nl, *b64;
	size_t clen, blen;
	int got, rc = -1;

	if (len < HDRLEN || memcmp(text, CP_SIGNIFY_COMMENTHDR, HDRLEN) != 0)
		return cp_err_set(e, 0, "not a signify %s: it must start with '%s'", what,
		    CP_SIGNIFY_COMMENTHDR);
	if (memchr(text, '\0', len) != NULL)
		return cp_err_set(e, 0, "not a signify %s: it holds a NUL byte", what);
	if ((nl = memchr(text, '\n', len)) == NULL)
		return cp_err_set(e, 0, "not a signify %s: no newline after the comment", what);
	clen = (size_t)(nl - text) - HDRLEN;
	if (clen == 0)
		return cp_err_set(e, 0, "not a signify %s: empty comment", what);
	if (clen > CP_SIGNIFY_COMMENTMAX)
		return cp_err_set(e, 0, "comment too long (%zu bytes, at most %d)", clen,
		    CP_SIGNIFY_COMMENTMAX);
	b64 = nl + 1;
	if ((nl = memchr(b64, '\n', len - (size_t)(b64 - text))) == NULL)
		return cp_err_set(e, 0, "not a signify %s: missing newline after the base64 line",
		    what);
	blen = (size_t)(nl - b64);
	if (blen != B64LEN(n))
		return cp_err_set(e, 0, "not a signify %s: a base64 line of %zu characters, "
		    "not %zu", what, blen, (size_t)B64LEN(n));
	if ((size_t)(nl + 1 - text) != len)
		return cp_err_set(e, 0, "not a signify %s: data after the base64 line", what);
	/*
	 * EVP_DecodeBlock skips white space at either end and counts padding as
	 * zero bytes; encoding the result again and comparing refuses every text
	 * but the one canonical encoding.
	 */
	got = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)blen);
	if (got != (int)(blen / 4 * 3)) {
		cp_err_set(e, 0, "not a signify %s: invalid base64", what);
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)again, raw, (int)n);
	if (CRYPTO_memcmp(again, b64, blen) != 0) {
		cp_err_set(e, 0, "not a signify %s: invalid base64", what);
		goto out;
	}
	if (memcmp(raw, PKALG, 2) != 0) {
		cp_err_set(e, 0, "unsupported signify %s: algorithm is not Ed25519", what);
		goto out;
	}
	memcpy(rec, raw, n);
	if (comment != NULL) {
		memcpy(comment, text + HDRLEN, clen);
		comment[clen] = '\0';
	}
	rc = 0;
out:
	cp_wipe(raw, sizeof(raw));
	cp_wipe(again, sizeof(again));
	return rc;
}

int
cp_signify_parse_pub(const char *text, size_t len, struct cp_signify_pub *pub,
    char *comment, struct cp_err *e)
{
	unsigned char rec[PUB_SIZE];

	if (decode(text, len, "public key", rec, sizeof(rec), comment, e) == -1)
		return -1;
	memcpy(pub->keynum, rec + PUB_KEYNUM, CP_SIGNIFY_KEYNUMLEN);
	memcpy(pub->key, rec + PUB_KEY, CP_SIGNIFY_PUBLEN);
	return 0;
}

int
cp_signify_parse_sig(const char *text, size_t len, struct cp_signify_sig *sig,
    char *comment, struct cp_err *e)
{
	unsigned char rec[SIG_SIZE];

	if (decode(text, len, "signature", rec, sizeof(rec), comment, e) == -1)
		return -1;
	memcpy(sig->keynum, rec + SIG_KEYNUM, CP_SIGNIFY_KEYNUMLEN);
	memcpy(sig->sig, rec + SIG_SIG, CP_SIGNIFY_SIGLEN);
	return 0;
}

static int
sec_check(const unsigned char *rec, struct cp_signify_sec *sec, struct cp_err *e)
{
	unsigned char sum[8], pub[CP_SIGNIFY_PUBLEN];
	unsigned long rounds;

	if (memcmp(rec + SEC_KDFALG, KDFALG, 2) != 0)
		return cp_err_set(e, 0, "unsupported signify secret key: its KDF is not bcrypt_pbkdf");
	rounds = (unsigned long)rec[SEC_ROUNDS] << 24 | (unsigned long)rec[SEC_ROUNDS + 1] << 16 |
	    (unsigned long)rec[SEC_ROUNDS + 2] << 8 | rec[SEC_ROUNDS + 3];
	if (rounds != 0)
		return cp_err_set(e, 0, "encrypted secret key (%lu bcrypt_pbkdf rounds): only an "
		    "unencrypted key can be used; make one with -G -n", rounds);
	memcpy(sec->keynum, rec + SEC_KEYNUM, CP_SIGNIFY_KEYNUMLEN);
	memcpy(sec->seckey, rec + SEC_SECKEY, sizeof(sec->seckey));
	if (checksum(sec->seckey, sum, e) == -1)
		return -1;
	if (CRYPTO_memcmp(sum, rec + SEC_CHECKSUM, sizeof(sum)) != 0)
		return cp_err_set(e, 0, "corrupt signify secret key: its checksum does not match");
	if (seed_public(sec->seckey, pub, e) == -1)
		return -1;
	if (CRYPTO_memcmp(pub, sec->seckey + CP_SIGNIFY_SEEDLEN, sizeof(pub)) != 0)
		return cp_err_set(e, 0, "corrupt signify secret key: its public half is not "
		    "its seed's");
	return 0;
}

int
cp_signify_parse_sec(const char *text, size_t len, struct cp_signify_sec *sec,
    char *comment, struct cp_err *e)
{
	unsigned char rec[SEC_SIZE];
	int rc;

	if ((rc = decode(text, len, "secret key", rec, sizeof(rec), comment, e)) == 0)
		rc = sec_check(rec, sec, e);
	cp_wipe(rec, sizeof(rec));
	if (rc == -1)
		cp_signify_sec_wipe(sec);
	return rc;
}

/*
 * Read a key or signature file whole into buf[CP_SIGNIFY_FILEMAX + 1]; with
 * private, refuse one that others than its owner may access.
 */
static int
slurp(const char *path, int private, char *buf, size_t *len, struct cp_err *e)
{
	struct stat st;
	int fd, rc = -1;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return cp_err_set(e, errno, "%s", path);
	if (fstat(fd, &st) == -1)
		cp_err_set(e, errno, "%s", path);
	else if (S_ISDIR(st.st_mode))
		cp_err_set(e, EISDIR, "%s", path);
	else if (private && (st.st_mode & 077) != 0)
		cp_err_set(e, 0, "%s: group or world can access this secret key (mode %04o): "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
	else if (cp_io_read_full(fd, buf, CP_SIGNIFY_FILEMAX + 1, len) == -1)
		cp_err_set(e, errno, "%s", path);
	else if (*len > CP_SIGNIFY_FILEMAX)
		cp_err_set(e, 0, "%s: too large for a signify file (over %d bytes)", path,
		    CP_SIGNIFY_FILEMAX);
	else
		rc = 0;
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int
cp_signify_load_pub(const char *path, struct cp_signify_pub *pub, char *comment,
    struct cp_err *e)
{
	char buf[CP_SIGNIFY_FILEMAX + 1];
	size_t n;

	if (slurp(path, 0, buf, &n, e) == -1)
		return -1;
	if (cp_signify_parse_pub(buf, n, pub, comment, e) == -1)
		return cp_err_prefix(e, "%s", path);
	return 0;
}

int
cp_signify_load_sig(const char *path, struct cp_signify_sig *sig, char *comment,
    struct cp_err *e)
{
	char buf[CP_SIGNIFY_FILEMAX + 1];
	size_t n;

	if (slurp(path, 0, buf, &n, e) == -1)
		return -1;
	if (cp_signify_parse_sig(buf, n, sig, comment, e) == -1)
		return cp_err_prefix(e, "%s", path);
	return 0;
}

static int
load_sec(const char *path, int private, struct cp_signify_sec *sec, char *comment,
    struct cp_err *e)
{
	char buf[CP_SIGNIFY_FILEMAX + 1];
	size_t n = 0;
	int rc;

	if ((rc = slurp(path, private, buf, &n, e)) == 0 &&
	    (rc = cp_signify_parse_sec(buf, n, sec, comment, e)) == -1)
		cp_err_prefix(e, "%s", path);
	cp_wipe(buf, sizeof(buf));
	return rc;
}

int
cp_signify_load_sec(const char *path, struct cp_signify_sec *sec, char *comment,
    struct cp_err *e)
{
	return load_sec(path, 0, sec, comment, e);
}

int
cp_signify_load_sec_private(const char *path, struct cp_signify_sec *sec, char *comment,
    struct cp_err *e)
{
	return load_sec(path, 1, sec, comment, e);
}

char *
cp_signify_text_sig(const struct cp_signify_sig *sig, const char *comment, size_t *len,
    struct cp_err *e)
{
	unsigned char rec[SIG_SIZE];
	char *out;

	memcpy(rec, PKALG, 2);
	memcpy(rec + SIG_KEYNUM, sig->keynum, CP_SIGNIFY_KEYNUMLEN);
	memcpy(rec + SIG_SIG, sig->sig, CP_SIGNIFY_SIGLEN);
	if ((out = malloc(TEXT_MAX)) == NULL) {
		cp_err_set(e, errno, "signature");
		return NULL;
	}
	if (encode(rec, sizeof(rec), comment, out, len, e) == -1) {
		free(out);
		return NULL;
	}
	return out;
}

/* The last component of path. */
static const char *
base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

int
cp_signify_keynames(const char *pubpath, const char *secpath, struct cp_err *e)
{
	const char *sec = base(secpath), *pub;
	size_t n = strlen(sec);

	if (n < 5 || strcmp(sec + n - 4, ".sec") != 0)
		return cp_err_set(e, 0, "a secret key's file name must be NAME.sec (signify's "
		    "naming scheme: NAME.pub and NAME.sec)");
	if (pubpath == NULL)
		return 0;
	pub = base(pubpath);
	if (strlen(pub) != n || strcmp(pub + n - 4, ".pub") != 0 || memcmp(pub, sec, n - 4) != 0)
		return cp_err_set(e, 0, "the keys' file names must be NAME.pub and NAME.sec "
		    "(signify's naming scheme)");
	return 0;
}

int
cp_signify_sig_comment(const char *secpath, cp_signify_comment out, struct cp_err *e)
{
	const char *sec = base(secpath);
	int n;

	if (cp_signify_keynames(NULL, secpath, e) == -1)
		return -1;
	n = snprintf(out, CP_SIGNIFY_COMMENTMAX + 1, "verify with %.*s.pub",
	    (int)(strlen(sec) - 4), sec);
	if (n < 0 || n > CP_SIGNIFY_COMMENTMAX)
		return cp_err_set(e, 0, "comment too long (a signature's comment has at most "
		    "%d bytes)", CP_SIGNIFY_COMMENTMAX);
	return 0;
}

/* Create path with O_EXCL and write text to it, fsynced.  Returns the fd's close status. */
static int
create_excl(const char *path, mode_t mode, const char *text, size_t len, struct cp_err *e)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) == -1)
		return cp_err_set(e, errno, "%s", path);
	if (cp_io_write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		cp_err_set(e, errno, "%s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		cp_err_set(e, errno, "%s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/* "COMMENT secret key" or "COMMENT public key", checked as signify checks it. */
static int
key_comment(const char *comment, const char *kind, cp_signify_comment out, struct cp_err *e)
{
	int n;

	if (*comment == '\0' || strchr(comment, '\n') != NULL)
		return cp_err_set(e, 0, "a comment must be one line, not empty");
	n = snprintf(out, CP_SIGNIFY_COMMENTMAX + 1, "%s %s key", comment, kind);
	if (n < 0 || n > CP_SIGNIFY_COMMENTMAX)
		return cp_err_set(e, 0, "comment too long (at most %d bytes with \" %s key\")",
		    CP_SIGNIFY_COMMENTMAX, kind);
	return 0;
}

int
cp_signify_save_keys(const char *pubpath, const char *secpath,
    const struct cp_signify_pub *pub, const struct cp_signify_sec *sec,
    const char *comment, struct cp_err *e)
{
	unsigned char rec[SEC_SIZE];
	char sectext[TEXT_MAX], pubtext[TEXT_MAX];
	cp_signify_comment seccomment, pubcomment;
	size_t seclen, publen;
	int rc = -1;

	if (key_comment(comment, "secret", seccomment, e) == -1 ||
	    key_comment(comment, "public", pubcomment, e) == -1)
		return -1;
	memcpy(rec, PKALG, 2);
	memcpy(rec + SEC_KDFALG, KDFALG, 2);
	memset(rec + SEC_ROUNDS, 0, 4);		/* kdfrounds 0: not encrypted */
	if (RAND_bytes(rec + SEC_SALT, 16) != 1) {
		ossl(e, "random salt");
		goto out;
	}
	if (checksum(sec->seckey, rec + SEC_CHECKSUM, e) == -1)
		goto out;
	memcpy(rec + SEC_KEYNUM, sec->keynum, CP_SIGNIFY_KEYNUMLEN);
	memcpy(rec + SEC_SECKEY, sec->seckey, sizeof(sec->seckey));
	if (encode(rec, SEC_SIZE, seccomment, sectext, &seclen, e) == -1)
		goto out;
	memcpy(rec, PKALG, 2);
	memcpy(rec + PUB_KEYNUM, pub->keynum, CP_SIGNIFY_KEYNUMLEN);
	memcpy(rec + PUB_KEY, pub->key, CP_SIGNIFY_PUBLEN);
	if (encode(rec, PUB_SIZE, pubcomment, pubtext, &publen, e) == -1)
		goto out;

	/* The secret key is never readable by others, not even for an instant. */
	if (create_excl(secpath, 0600, sectext, seclen, e) == -1)
		goto out;
	if (create_excl(pubpath, 0666, pubtext, publen, e) == -1) {
		unlink(secpath);
		goto out;
	}
	if (cp_io_fsync_parent(secpath) == -1 || cp_io_fsync_parent(pubpath) == -1) {
		cp_err_set(e, errno, "%s", pubpath);
		unlink(secpath);
		unlink(pubpath);
		goto out;
	}
	rc = 0;
out:
	cp_wipe(rec, sizeof(rec));
	cp_wipe(sectext, sizeof(sectext));
	return rc;
}

int
cp_signify_save_sig(const char *path, const struct cp_signify_sig *sig,
    const char *comment, struct cp_err *e)
{
	struct cp_atomic a;
	char *text;
	size_t len;

	if ((text = cp_signify_text_sig(sig, comment, &len, e)) == NULL)
		return -1;
	if (cp_atomic_open(&a, path, CP_ATOMIC_KEEP_MODE) == -1) {
		free(text);
		return cp_err_set(e, errno, "%s", path);
	}
	if (fwrite(text, 1, len, a.fp) != len) {
		cp_err_set(e, errno, "%s", path);
		cp_atomic_abort(&a);
		free(text);
		return -1;
	}
	free(text);
	if (cp_atomic_commit(&a) == -1)
		return cp_err_set(e, errno, "%s", path);
	return 0;
}

int
cp_signify_readmsg(const char *path, unsigned char **msg, size_t *len, struct cp_err *e)
{
	struct stat st;
	unsigned char *buf = NULL, *nbuf;
	size_t n = 0, cap = 64 * 1024, got;
	int fd, rc = -1;

	*msg = NULL;
	*len = 0;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return cp_err_set(e, errno, "%s", path);
	if (fstat(fd, &st) == -1) {
		cp_err_set(e, errno, "%s", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		cp_err_set(e, EISDIR, "%s", path);
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		if ((unsigned long long)st.st_size > CP_SIGNIFY_MSGMAX)
			goto big;
		cap = (size_t)st.st_size + 1;	/* one more: end of file seen in one read */
	}
	for (;;) {
		if (n == cap) {
			if (cap > CP_SIGNIFY_MSGMAX)
				goto big;
			cap = cap * 2 > CP_SIGNIFY_MSGMAX + 1 ? CP_SIGNIFY_MSGMAX + 1 : cap * 2;
		}
		if ((nbuf = realloc(buf, cap + 1)) == NULL) {
			cp_err_set(e, errno, "%s", path);
			goto out;
		}
		buf = nbuf;
		if (cp_io_read_full(fd, buf + n, cap - n, &got) == -1) {
			cp_err_set(e, errno, "%s", path);
			goto out;
		}
		n += got;
		if (n < cap)
			break;
	}
	if (n > CP_SIGNIFY_MSGMAX)
		goto big;
	buf[n] = '\0';
	*msg = buf;
	*len = n;
	buf = NULL;
	rc = 0;
	goto out;
big:
	cp_err_set(e, 0, "%s: message too large (over %zu bytes)", path, CP_SIGNIFY_MSGMAX);
out:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}
