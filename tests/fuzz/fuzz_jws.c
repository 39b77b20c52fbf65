/* fuzz_jws: the oidc provider's ID tokens and JWKS (auth/oidc) as hostile input.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "auth/oidc.h"

/*
 * The committed keys, tests/data/cp-authz-oidc/jwks.json (RSA, EC P-256,
 * Ed25519), read from the tree the harness was built in (mk/fuzz.mk names
 * it), so that vectors made anew are fuzzed with their own keys.
 */
#ifndef FUZZ_JWKS
#error "mk/fuzz.mk defines FUZZ_JWKS, the path of tests/data/cp-authz-oidc/jwks.json"
#endif

static struct cp_oidc_jwks *
committed_jwks(void)
{
	static char text[64 * 1024];
	struct cp_oidc_jwks *k = NULL;
	struct cp_err e;
	FILE *fp = fopen(FUZZ_JWKS, "r");
	size_t n;

	if (fp == NULL) {
		perror(FUZZ_JWKS);
		abort();
	}
	n = fread(text, 1, sizeof(text), fp);
	FUZZ_ASSERT(ferror(fp) == 0 && n < sizeof(text));
	fclose(fp);
	FUZZ_ASSERT(cp_oidc_jwks_parse(&k, text, n, &e) == 0);
	return k;
}

/*
 * The first byte picks the form.  Even: the rest is a token, checked
 * against the committed keys and settings at the vectors' time (so the
 * vectors of tests/data/cp-authz-oidc/tokens.txt, as seeds, reach every
 * claim check).  Odd: the rest is a JWKS, then a NUL, then a token checked
 * against that JWKS.  The verdict is 0 (then a user is named) or 1 (then a
 * reason is given), never -1 for anything a token or key set holds.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cp_oidc_jwks *fixed;
	static char iss[] = "https://ci.example", aud[] = "cp-plane", sub[] = "sub",
	    groups[] = "groups", deployers[] = "deployers", maintainer[] = "maintainer";
	static struct cp_oidc_map map[] = { { deployers, maintainer } };
	struct cp_oidc_config cfg = {
		.issuer = iss, .audience = aud, .user_claim = sub,
		.roles_claim = groups, .map = map, .nmap = 1, .leeway = 60,
	};
	struct cp_oidc_claims cl = { 0 };
	struct cp_oidc_jwks *k = NULL;
	const char *reason = NULL, *tok;
	size_t tlen;
	struct cp_err e;
	int rc;

	if (fixed == NULL)
		fixed = committed_jwks();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		const uint8_t *nul = memchr(data + 1, '\0', size - 1);

		if (nul == NULL)
			nul = data + size;
		if (cp_oidc_jwks_parse(&k, (const char *)data + 1, (size_t)(nul - data - 1), &e) != 0) {
			FUZZ_ASSERT(k == NULL && e.msg[0] != '\0');
			return 0;
		}
		FUZZ_ASSERT(cp_oidc_jwks_count(k) <= CP_OIDC_KEYS_MAX);
		tok = nul < data + size ? (const char *)nul + 1 : "";
		tlen = nul < data + size ? (size_t)(data + size - nul - 1) : 0;
	} else {
		tok = (const char *)data + 1;
		tlen = size - 1;
	}
	rc = cp_oidc_verify(tok, tlen, k != NULL ? k : fixed, &cfg, 1700000300, &cl, &reason, &e);
	FUZZ_ASSERT(rc == 0 || rc == 1);
	if (rc == 0)
		FUZZ_ASSERT(cl.user != NULL && cl.user[0] != '\0');
	else
		FUZZ_ASSERT(reason != NULL && reason[0] != '\0');
	cp_oidc_claims_free(&cl);
	cp_oidc_jwks_free(k);
	return 0;
}
