/* dsse: DSSE envelopes (the signature wrapper of in-toto attestations), signed and checked with signify's Ed25519 keys.
 * SPDX-License-Identifier: ISC */
#ifndef CP_DSSE_H
#define CP_DSSE_H

#include <stddef.h>

#include "base/err.h"
#include "hash/signify.h"

/*
 * DSSE v1 (github.com/secure-systems-lab/dsse): the signature covers
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, the
 * lengths in ASCII decimal; the envelope is the JSON object
 * {"payload": base64(body), "payloadType": type,
 *  "signatures": [{"keyid": K, "sig": base64(signature)}]}
 * with standard padded base64.  Here a key is a signify Ed25519 key and its
 * keyid the 16 lowercase hex digits of its signify key number, so that the
 * plane's trusted keys (registries/keys/NAME.pub) are found by it.
 */

#define CP_DSSE_MAX ((size_t)16 << 20)	/* an envelope read */

/* PAE(type, body): a new buffer (caller frees), its length in *len. */
unsigned char *cp_dsse_pae(const char *type, const void *body, size_t blen, size_t *len);

/*
 * The envelope of body signed with sec, as one line of JSON ending in a
 * newline (the .intoto.jsonl form).  Returns it (caller frees), its length
 * in *len, or NULL with e.
 */
char *cp_dsse_sign(const char *type, const void *body, size_t blen,
    const struct cp_signify_sec *sec, size_t *len, struct cp_err *e);

/*
 * Check the envelope text[0..len) (its first line, or the whole of it):
 * its payloadType must be type; a signature whose keyid names one of the n
 * keys must verify over PAE.  Returns 0 verified (*which the key's index,
 * *body the decoded payload, caller frees, *blen its length), 1 not
 * verified (e says why: no signature by a trusted key, a bad signature,
 * another payloadType), or -1 (e: malformed JSON or base64, OpenSSL).
 */
int cp_dsse_verify(const char *text, size_t len, const char *type,
    const struct cp_signify_pub *keys, size_t n, size_t *which, char **body, size_t *blen,
    struct cp_err *e);

#endif
