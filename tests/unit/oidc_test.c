/*
 * oidc_test: cp_oidc_verify, a pure function of (token, JWKS, settings,
 * time), against fixed-time tokens PyJWT signed (tests/data/cp-authz-oidc/,
 * made by make-vectors.py there): each algorithm accepted, the time rules at
 * their exact boundaries with the leeway, every bit of a signature flipped
 * one at a time denied, the role map; and cp_oidc_jwks_parse's refusals.
 * SPDX-License-Identifier: ISC
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/oidc.h"
#include "base/xalloc.h"
#include "base/err.h"
#include "unit.h"

#define T0 1700000000L		/* the tokens' iat; exp is T0 + 600 */

static char *
slurp(const char *rel, size_t *len)
{
	const char *top = getenv("CP_TOP");
	char path[4096];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/cp-authz-oidc/%s", top ? top : ".", rel);
	if ((fp = fopen(path, "rb")) == NULL || fseek(fp, 0, SEEK_END) != 0 ||
	    (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		perror(path);
		exit(1);
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n)
		exit(1);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* tokens.txt split in place into its lines: names and tokens. */
static char *names[16], *toks[16];
static size_t ntoks;

static void
split(char *text)
{
	char *line = text, *end, *sp;

	while (*line != '\0' && ntoks < 16) {
		if ((end = strchr(line, '\n')) != NULL)
			*end = '\0';
		if ((sp = strchr(line, ' ')) != NULL) {
			*sp = '\0';
			names[ntoks] = line;
			toks[ntoks++] = sp + 1;
		}
		if (end == NULL)
			break;
		line = end + 1;
	}
}

/* The token named name. */
static const char *
token(const char *name)
{
	size_t i;

	for (i = 0; i < ntoks; i++)
		if (strcmp(names[i], name) == 0)
			return toks[i];
	fprintf(stderr, "no token %s\n", name);
	exit(1);
}

/* Verify tok at now: the status, and the reason in *reason. */
static int
verify(const char *tok, const struct cp_oidc_jwks *k, const struct cp_oidc_config *cfg,
    long now, const char **reason, struct cp_oidc_claims *cl)
{
	struct cp_err e;

	cp_oidc_claims_free(cl);
	return cp_oidc_verify(tok, strlen(tok), k, cfg, (time_t)now, cl, reason, &e);
}

int
main(void)
{
	static const char *const algs[] = { "rs256", "ps256", "es256", "eddsa" };
	char deployers[] = "deployers", maintainer[] = "maintainer", x[] = "x", admin[] = "admin";
	char iss[] = "https://ci.example", iss2[] = "https://ci.example/", aud[] = "cp-plane";
	char aud2[] = "cp", jwksrel[] = "keys/jwks.json", sub[] = "sub", email[] = "email";
	char groups[] = "groups";
	struct cp_oidc_map map[] = { { deployers, maintainer }, { x, admin } };
	struct cp_oidc_config cfg = { iss, aud, jwksrel, sub, groups, map, 2, 60 };
	struct cp_oidc_claims cl = { NULL, NULL, NULL, { NULL, 0 } };
	struct cp_oidc_jwks *k = NULL;
	struct cp_err e;
	const char *reason;
	char *jwks, *tokens, what[128];
	const char *tok;
	size_t len, i, bit, denied;
	int rc;

	jwks = slurp("jwks.json", &len);
	CHECK(cp_oidc_jwks_parse(&k, jwks, len, &e) == 0, "PyJWT's JWKS parses");
	CHECK(k != NULL && cp_oidc_jwks_count(k) == 3, "three keys");
	tokens = slurp("tokens.txt", &len);
	split(tokens);

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		tok = token(algs[i]);
		rc = verify(tok, k, &cfg, T0 + 100, &reason, &cl);
		snprintf(what, sizeof(what), "%s accepted", algs[i]);
		CHECK(rc == 0, what);
		CHECK_STR(cl.user, "alice", "the user is sub");
		CHECK_STR(cl.issuer, "https://ci.example", "the issuer");
		CHECK(cl.roles.n == 1 && strcmp(cl.roles.name[0], "maintainer") == 0,
		    "groups [deployers, other] map to maintainer only");
	}

	/* exp = T0 + 600, leeway 60: valid while now < exp + leeway. */
	tok = token("eddsa");
	CHECK(verify(tok, k, &cfg, T0 + 659, &reason, &cl) == 0, "exp + leeway - 1: accepted");
	CHECK(verify(tok, k, &cfg, T0 + 660, &reason, &cl) == 1, "exp + leeway: expired");
	CHECK_STR(reason, "invalid token: expired (exp)", "the reason");
	CHECK(cl.user == NULL && cl.roles.n == 0, "a denial gives no user and no role");
	CHECK_STR(cl.subject, "alice", "but says whose token it was");
	/* iat = T0: in the future before T0 - leeway. */
	CHECK(verify(tok, k, &cfg, T0 - 60, &reason, &cl) == 0, "iat - leeway: accepted");
	CHECK(verify(tok, k, &cfg, T0 - 61, &reason, &cl) == 1, "iat - leeway - 1: denied");
	CHECK_STR(reason, "invalid token: issued in the future (iat)", "the reason");
	cfg.leeway = 0;
	CHECK(verify(tok, k, &cfg, T0 + 600, &reason, &cl) == 1, "leeway 0: at exp, expired");
	CHECK(verify(tok, k, &cfg, T0 + 599, &reason, &cl) == 0, "leeway 0: exp - 1 accepted");
	cfg.leeway = 60;

	/* nbf = T0 + 300 */
	tok = token("nbf");
	CHECK(verify(tok, k, &cfg, T0 + 240, &reason, &cl) == 0, "nbf - leeway: accepted");
	CHECK(verify(tok, k, &cfg, T0 + 239, &reason, &cl) == 1, "nbf - leeway - 1: denied");
	CHECK_STR(reason, "invalid token: not yet valid (nbf)", "the reason");

	tok = token("noexp");
	CHECK(verify(tok, k, &cfg, T0 + 100, &reason, &cl) == 1, "no exp: denied");
	CHECK_STR(reason, "invalid token: no exp (an ID token must expire)", "the reason");

	/* settings that do not match */
	tok = token("es256");
	cfg.issuer = iss2;
	CHECK(verify(tok, k, &cfg, T0 + 100, &reason, &cl) == 1, "another issuer: denied");
	CHECK_STR(reason, "invalid token: wrong issuer (iss)", "the reason");
	cfg.issuer = iss;
	cfg.audience = aud2;
	CHECK(verify(tok, k, &cfg, T0 + 100, &reason, &cl) == 1, "another audience: denied");
	CHECK_STR(reason, "invalid token: wrong audience (aud)", "the reason");
	cfg.audience = x;
	CHECK(verify(tok, k, &cfg, T0 + 100, &reason, &cl) == 0, "any value of the aud list");
	cfg.audience = aud;
	cfg.user_claim = email;
	CHECK(verify(tok, k, &cfg, T0 + 100, &reason, &cl) == 1, "no user claim: denied");
	cfg.user_claim = sub;
	cfg.roles_claim = NULL;
	CHECK(verify(tok, k, &cfg, T0 + 100, &reason, &cl) == 0 && cl.roles.n == 0,
	    "no roles claim configured: no role from the token");
	cfg.roles_claim = groups;

	/* every bit of every signature character flipped (to another base64url character) */
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char *copy = strdup(token(algs[i]));
		char *sig = strrchr(copy, '.') + 1;
		size_t n = strlen(sig);

		denied = 0;
		for (bit = 0; bit < n; bit++) {
			char was = sig[bit];

			sig[bit] = was == 'A' ? 'B' : 'A';
			rc = verify(copy, k, &cfg, T0 + 100, &reason, &cl);
			/* The last character's low bits may be padding that decodes alike. */
			denied += rc == 1 || (bit == n - 1 && rc == 0);
			sig[bit] = was;
		}
		snprintf(what, sizeof(what), "%s: each changed signature character denied", algs[i]);
		CHECK(denied == n, what);
		free(copy);
	}

	/* the JWKS parser's refusals */
	{
		static const struct { const char *text, *want; } bad[] = {
			{ "[]", "not a JWKS (an object whose \"keys\" is a list)" },
			{ "{\"keys\":{}}", "not a JWKS (an object whose \"keys\" is a list)" },
			{ "{\"keys\":[1]}", "key 1 is not an object" },
			{ "{\"keys\":[{}]}", "key 1 has no kty" },
			{ "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}", "key 1 holds 'k': a private "
			    "or symmetric key has no place in the plane (commit the issuer's public "
			    "keys only)" },
			{ "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}]}",
			    "key 1: an Ed25519 key whose x is not 32 bytes" },
			{ "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"A+A\"}]}",
			    "key 1: an Ed25519 key whose x is not base64url" },
			{ "{\"keys\":[{\"kty\":\"X\",\"kid\":\"a\"},{\"kty\":\"X\",\"kid\":\"a\"}]}",
			    "keys 1 and 2 have one kid" },
			{ "{\"keys\":[],\"keys\":[]}", NULL },
			/* fuzz_jws found these: libcjose asserts (aborts) on base64url of 4k+1 characters */
			{ "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"AAAAA\"}]}",
			    "key 1 (kty RSA): its n is not base64url" },
			{ "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"A\",\"y\":\"AA\"}]}",
			    "key 1 (kty EC): its x is not base64url" },
		};
		struct cp_oidc_jwks *b;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(what, sizeof(what), "JWKS %s refused", bad[i].text);
			rc = cp_oidc_jwks_parse(&b, bad[i].text, strlen(bad[i].text), &e);
			CHECK(rc == -1 && b == NULL, what);
			if (bad[i].want != NULL)
				CHECK_STR(e.msg, bad[i].want, "the message");
		}
	}

	/* An RS256 or ES256 token whose signature is 4k+1 characters: denied, never an abort in libcjose. */
	for (i = 0; i < 3; i++) {
		char *t2, *dot;

		tok = token(algs[i]);
		t2 = xmalloc(strlen(tok) + 8);
		strcpy(t2, tok);
		dot = strrchr(t2, '.');
		strcpy(dot + 1, "AAAAA");
		snprintf(what, sizeof(what), "%s with a 5-character signature: denied", algs[i]);
		CHECK(verify(t2, k, &cfg, T0 + 100, &reason, &cl) == 1, what);
		strcpy(dot + 1, "AA+A");
		CHECK(verify(t2, k, &cfg, T0 + 100, &reason, &cl) == 1, "a signature with '+': denied");
		free(t2);
	}

	cp_oidc_claims_free(&cl);
	cp_oidc_jwks_free(k);
	free(jwks);
	free(tokens);
	return UNIT_END();
}
