/* fuzz_jws: the oidc provider's ID tokens and JWKS (auth/oidc) as hostile input.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "auth/oidc.h"

/* tests/data/cp-authz-oidc/jwks.json (public keys: RSA, EC P-256, Ed25519), as committed. */
static const char jwks_text[] =
	"{\"keys\":[{\"kty\":\"RSA\",\"key_ops\":[\"verify\"],\"n\":\"4hj1uA3FJ5F26yM6gt_SmqTegDwxYpfn9kRjCpzn"
	"VhGysJ-W3nxtPcj4K_tMIATiD6PEJnyBoyczjAPZ7EiKsqHu5tpfk1c_2LCQIcetHFB1Tiz-IKtNmJM6WFY9Xpvb"
	"6Iogf-ebn31HFFGeatGirjD-LYwkZPqi9tJxvyTY7aDITy5hEfL_cnrnkLeHNQSmzTx1sPUjCadIqXiVoCbtX_lV"
	"s5c9WijtlfQsJwZyuxWmvjJyLKc8yaRrP8SFIV6KH0ZbbTDQKhh4QyeJBXUpkEq1kyHtPHP8d9fRAPdCEWLGJqSy"
	"D9m-YRyHK8eGgvEeOv7lUjEzQy2vj1RRBZaVmw\",\"e\":\"AQAB\",\"kid\":\"rsa-1\"},{\"kty\":\"EC\",\"crv\":\"P-2"
	"56\",\"x\":\"6rwkfETn7L5tT1BKCTkTjBssOgIDk4ybgUC8EU4SEY0\",\"y\":\"VItMjfcddG3YRsWxfzHnawgCxD7AY"
	"vXX0rfTCSQ7tmU\",\"kid\":\"ec-1\"},{\"x\":\"CyJnl2Midh3PrSC0J57oErDf7TkRV4-ROnvwjPjpHWU\",\"kty\":\""
	"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed-1\"}]}";

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
		FUZZ_ASSERT(cp_oidc_jwks_parse(&fixed, jwks_text, sizeof(jwks_text) - 1, &e) == 0);
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
