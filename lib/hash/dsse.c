/* dsse: DSSE envelopes (the signature wrapper of in-toto attestations), signed and checked with signify's Ed25519 keys.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "base/hex.h"
#include "base/xalloc.h"
#include "hash/dsse.h"

unsigned char *
cp_dsse_pae(const char *type, const void *body, size_t blen, size_t *len)
{
	size_t tlen = strlen(type), cap = tlen + blen + 64;
	unsigned char *p = xmalloc(cap);
	int n = snprintf((char *)p, cap, "DSSEv1 %zu %s %zu ", tlen, type, blen);

	memcpy(p + n, body, blen);
	*len = (size_t)n + blen;
	return p;
}

/* Standard padded base64 of in[0..n): a new NUL-ended string. */
static char *
b64(const void *in, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* Decode canonical padded base64 s: a new buffer and its length, or NULL. */
static unsigned char *
unb64(const char *s, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out;
	char *again;
	int k;

	if (n % 4 != 0 || n > (size_t)1 << 30)
		return NULL;
	out = xmalloc(n / 4 * 3 + 1);
	if ((k = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n)) < 0) {
		free(out);
		return NULL;
	}
	if (n > 0 && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	*len = (size_t)k - pad;
	/* canonical only: what decodes must encode back to s */
	again = b64(out, *len);
	if (strcmp(again, s) != 0) {
		free(again);
		free(out);
		return NULL;
	}
	free(again);
	return out;
}

char *
cp_dsse_sign(const char *type, const void *body, size_t blen,
    const struct cp_signify_sec *sec, size_t *len, struct cp_err *e)
{
	struct cp_signify_sig sig;
	unsigned char *pae;
	char keyid[2 * CP_SIGNIFY_KEYNUMLEN + 1], *pl, *sg, *text, *line;
	size_t plen;
	json_t *env;
	int rc;

	pae = cp_dsse_pae(type, body, blen, &plen);
	rc = cp_signify_sign(sec, pae, plen, &sig, e);
	free(pae);
	if (rc == -1)
		return NULL;
	cp_hex_encode(sec->keynum, CP_SIGNIFY_KEYNUMLEN, keyid);
	pl = b64(body, blen);
	sg = b64(sig.sig, sizeof(sig.sig));
	env = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "payload", pl, "payloadType", type,
	    "signatures", "keyid", keyid, "sig", sg);
	free(pl);
	free(sg);
	text = env != NULL ? json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(env);
	if (text == NULL) {
		cp_err_set(e, 0, "cannot build the envelope");
		return NULL;
	}
	*len = strlen(text) + 1;
	line = xmalloc(*len + 1);
	memcpy(line, text, *len - 1);
	line[*len - 1] = '\n';
	line[*len] = '\0';
	free(text);
	return line;
}

int
cp_dsse_verify(const char *text, size_t len, const char *type,
    const struct cp_signify_pub *keys, size_t n, size_t *which, char **body, size_t *blen,
    struct cp_err *e)
{
	const char *nl = memchr(text, '\n', len), *pt, *pl, *kid, *s64;
	json_t *env = json_loadb(text, nl != NULL ? (size_t)(nl - text) : len,
	    JSON_REJECT_DUPLICATES, NULL);
	json_t *sigs, *sg;
	unsigned char *payload = NULL, *raw, *pae;
	struct cp_signify_sig sig;
	size_t i, k, plen, rlen, paelen;
	int rc = -1, r, named = 0;

	*body = NULL;
	pt = json_string_value(json_object_get(env, "payloadType"));
	pl = json_string_value(json_object_get(env, "payload"));
	sigs = json_object_get(env, "signatures");
	if (!json_is_object(env) || pt == NULL || pl == NULL || !json_is_array(sigs)) {
		cp_err_set(e, 0, "not a DSSE envelope (payload, payloadType, signatures)");
		goto out;
	}
	if ((payload = unb64(pl, &plen)) == NULL) {
		cp_err_set(e, 0, "the payload is not canonical base64");
		goto out;
	}
	if (strcmp(pt, type) != 0) {
		cp_err_set(e, 0, "payloadType %.64s, not %s", pt, type);
		rc = 1;
		goto out;
	}
	pae = cp_dsse_pae(pt, payload, plen, &paelen);
	rc = 1;
	cp_err_set(e, 0, "no signature by a trusted key");
	json_array_foreach(sigs, i, sg) {
		char hex[2 * CP_SIGNIFY_KEYNUMLEN + 1];

		kid = json_string_value(json_object_get(sg, "keyid"));
		s64 = json_string_value(json_object_get(sg, "sig"));
		if (kid == NULL || s64 == NULL)
			continue;
		for (k = 0; k < n; k++) {
			cp_hex_encode(keys[k].keynum, CP_SIGNIFY_KEYNUMLEN, hex);
			if (strcmp(hex, kid) == 0)
				break;
		}
		if (k == n)
			continue;
		named = 1;
		if ((raw = unb64(s64, &rlen)) == NULL || rlen != CP_SIGNIFY_SIGLEN) {
			free(raw);
			continue;
		}
		memcpy(sig.keynum, keys[k].keynum, sizeof(sig.keynum));
		memcpy(sig.sig, raw, sizeof(sig.sig));
		free(raw);
		if ((r = cp_signify_verify(&keys[k], &sig, pae, paelen, e)) == -1) {
			rc = -1;
			break;
		}
		if (r == CP_SIGNIFY_VERIFIED) {
			*which = k;
			*body = (char *)payload;
			*blen = plen;
			payload = NULL;
			rc = 0;
			break;
		}
	}
	if (rc == 1 && named)
		cp_err_set(e, 0, "the signature by a trusted key does not verify");
	free(pae);
out:
	free(payload);
	json_decref(env);
	return rc;
}
