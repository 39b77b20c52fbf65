/* trust: the plane's signature policy, its trusted keys, and the checks of an archive's signature and provenance.
 * SPDX-License-Identifier: ISC */
#ifndef CP_TRUST_H
#define CP_TRUST_H

#include <stddef.h>

#include "base/err.h"
#include "hash/signify.h"

#define CP_TRUST_INTOTO_TYPE "application/vnd.in-toto+json"

/*
 * A plane commits the public halves of the keys it trusts as
 * registries/keys/NAME.pub (signify's format) and its policy in
 * registries/plane.conf: CONTROL_PLANE_SIGNATURES=required or optional
 * (the default).  An archive packages_store/X.tar.gz may carry:
 *   X.tar.gz.sig              signify's signature of the archive's bytes, or
 *                             the Python tools' JSON signature (Ed25519 or
 *                             "hmac-sha256" over the archive's hex digest);
 *   X.tar.gz.provenance.json  the Python tools' provenance ("slsa-0.1-lite"),
 *                             whose subject.sha256 must be the archive's;
 *   X.tar.gz.intoto.jsonl     a DSSE envelope (hash/dsse) by a trusted key
 *                             around an in-toto Statement v1 one of whose
 *                             subjects has the archive's sha256.
 * A signature or provenance that is present and wrong (another archive's
 * digest, a bad signature, a key the plane does not trust) is refused
 * whatever the policy, as the Python installer refused it; with
 * "required" an archive must carry a signature by a trusted key.  An
 * "hmac-sha256" signature is no signature (a shared secret proves no
 * signer): refused when signatures are required, and otherwise its
 * archive_hash must still be the archive's.
 */

#define CP_TRUST_KEYS_MAX 256		/* trusted keys read */
#define CP_TRUST_FILE_MAX ((size_t)1 << 20)	/* a JSON signature or provenance read */

struct cp_trust {
	int required;			/* CONTROL_PLANE_SIGNATURES=required */
	struct cp_signify_pub *key;	/* registries/keys/NAME.pub, in name order */
	char **name;			/* NAME */
	size_t n;
};

/* What cp_trust_check found. */
struct cp_trust_verdict {
	int refused;			/* 1: the install must be refused (why) */
	char why[512];
	const char *signature;		/* "signify", "python-ed25519", "python-hmac", "none" */
	const char *key;		/* the trusted key that verified it (t's), or NULL */
	const char *provenance;		/* "verified", "none" */
	const char *attestation;	/* "verified", "none" */
};

/*
 * Read the plane's policy (plane.conf, at the path given; NULL or a missing
 * file: optional) and trusted keys (registries/keys/ beneath planefd: each
 * NAME.pub a regular file, no symlink; a key that does not parse is an
 * error, not skipped).  Returns 0, or -1 with e.  Free with cp_trust_free.
 */
int cp_trust_load(struct cp_trust *t, int planefd, const char *conf, struct cp_err *e);
void cp_trust_free(struct cp_trust *t);

/* 1 when checking source (plane-relative) needs its bytes: required, or a .sig, .provenance.json or .intoto.jsonl beside it. */
int cp_trust_needed(const struct cp_trust *t, int planefd, const char *source);

/*
 * Check the archive whose bytes are a[0..len) and whose SHA-256 is hex
 * against the signature and provenance files beside source (read beneath
 * planefd, no symlink, capped).  Returns 0 with v filled (v->refused says
 * whether to refuse), or -1 with e (a file that cannot be read, OpenSSL).
 */
int cp_trust_check(const struct cp_trust *t, int planefd, const char *source, const void *a,
    size_t len, const char *hex, struct cp_trust_verdict *v, struct cp_err *e);

/*
 * The signing key named by $CONTROL_PLANE_SIGNING_KEY (a signify secret key
 * file, unencrypted): refused inside the plane root and when its mode lets
 * the group or others read it.  comment gets the signature comment signify
 * writes for it ("verify with NAME.pub").  Returns 1 loaded, 0 when the
 * variable is unset or empty, -1 with e.
 */
int cp_trust_signing_key(const char *root, struct cp_signify_sec *sec, cp_signify_comment comment,
    struct cp_err *e);

#endif
