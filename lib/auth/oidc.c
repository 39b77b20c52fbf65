/* oidc: ID tokens (JWS compact) verified against the plane's committed JWKS, claims mapped to roles.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "auth/oidc.h"
#include "auth/roles.h"
#include "auth/user.h"
#include "base/beneath.h"
#include "base/err.h"
#include "base/relpath.h"
#include "base/xalloc.h"
#include "text/conf.h"

/* --- settings ----------------------------------------------------------------- */

void
cp_oidc_config_free(struct cp_oidc_config *cfg)
{
	size_t i;

	free(cfg->issuer);
	free(cfg->audience);
	free(cfg->jwks);
	free(cfg->user_claim);
	free(cfg->roles_claim);
	for (i = 0; i < cfg->nmap; i++) {
		free(cfg->map[i].value);
		free(cfg->map[i].role);
	}
	free(cfg->map);
	memset(cfg, 0, sizeof(*cfg));
}

/* The value of key, required or not; "PATH: no KEY" when required and missing or empty. */
static int
setting(const struct cp_conf *c, const char *path, const char *key, int required,
    char **out, unsigned long *line, struct cp_err *e)
{
	const char *v = cp_conf_get(c, key, line);

	*out = NULL;
	if (v != NULL && *v != '\0') {
		*out = xstrdup(v);
		return 0;
	}
	if (!required)
		return 0;
	return cp_err_set(e, 0, "%s: auth provider oidc needs %s%s", path, key,
	    v == NULL ? "" : " to have a value");
}

/* Parse "value:role,..." into cfg->map. */
static int
parse_map(struct cp_oidc_config *cfg, const char *s, const char *path, unsigned long line,
    struct cp_err *e)
{
	const char *item = s, *end, *colon, *p;
	struct cp_roles_list check = { NULL, 0 };
	char *role;

	while (*item != '\0') {
		end = strchr(item, ',');
		if (end == NULL)
			end = item + strlen(item);
		colon = NULL;
		for (p = item; p < end; p++)
			if (*p == ':')
				colon = p;
		if (end == item) {
			item = *end == ',' ? end + 1 : end;
			continue;
		}
		if (colon == NULL || colon == item || colon + 1 == end)
			return cp_err_set(e, 0, "%s:%lu: %s: each entry is claim-value:role "
			    "(entry %zu)", path, line, CP_OIDC_KEY_ROLE_MAP, cfg->nmap + 1);
		if (cfg->nmap == CP_OIDC_MAP_MAX)
			return cp_err_set(e, 0, "%s:%lu: %s: more than %d entries", path, line,
			    CP_OIDC_KEY_ROLE_MAP, CP_OIDC_MAP_MAX);
		role = xstrndup(colon + 1, (size_t)(end - colon - 1));
		if (cp_roles_list_parse(&check, role) == -1 || check.n != 1) {
			cp_roles_list_free(&check);
			free(role);
			return cp_err_set(e, 0, "%s:%lu: %s: entry %zu: invalid role name", path,
			    line, CP_OIDC_KEY_ROLE_MAP, cfg->nmap + 1);
		}
		cp_roles_list_free(&check);
		cfg->map = xreallocarray(cfg->map, cfg->nmap + 1, sizeof(*cfg->map));
		cfg->map[cfg->nmap].value = xstrndup(item, (size_t)(colon - item));
		cfg->map[cfg->nmap].role = role;
		cfg->nmap++;
		item = *end == ',' ? end + 1 : end;
	}
	return 0;
}

int
cp_oidc_config_load(struct cp_oidc_config *cfg, const struct cp_conf *c,
    const char *path, struct cp_err *e)
{
	unsigned long line = 0;
	char *v = NULL, *end;
	long n;

	memset(cfg, 0, sizeof(*cfg));
	cfg->leeway = CP_OIDC_DEFAULT_LEEWAY;
	if (setting(c, path, CP_OIDC_KEY_ISSUER, 1, &cfg->issuer, &line, e) == -1 ||
	    setting(c, path, CP_OIDC_KEY_AUDIENCE, 1, &cfg->audience, &line, e) == -1 ||
	    setting(c, path, CP_OIDC_KEY_JWKS, 1, &cfg->jwks, &line, e) == -1)
		goto fail;
	if (cp_relpath_ok(cfg->jwks, strlen(cfg->jwks), e) == 0) {
		cp_err_prefix(e, "%s:%lu: %s must be a path relative to the plane's root",
		    path, line, CP_OIDC_KEY_JWKS);
		goto fail;
	}
	if (setting(c, path, CP_OIDC_KEY_USER_CLAIM, 0, &cfg->user_claim, &line, e) == -1 ||
	    setting(c, path, CP_OIDC_KEY_ROLES_CLAIM, 0, &cfg->roles_claim, &line, e) == -1)
		goto fail;
	if (cfg->user_claim == NULL)
		cfg->user_claim = xstrdup("sub");
	if (setting(c, path, CP_OIDC_KEY_LEEWAY, 0, &v, &line, e) == -1)
		goto fail;
	if (v != NULL) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n > CP_OIDC_LEEWAY_MAX) {
			cp_err_set(e, 0, "%s:%lu: %s: seconds from 0 to %d", path, line,
			    CP_OIDC_KEY_LEEWAY, CP_OIDC_LEEWAY_MAX);
			goto fail;
		}
		cfg->leeway = n;
		free(v);
		v = NULL;
	}
	if (setting(c, path, CP_OIDC_KEY_ROLE_MAP, 0, &v, &line, e) == -1)
		goto fail;
	if (v != NULL) {
		if (cfg->roles_claim == NULL) {
			cp_err_set(e, 0, "%s:%lu: %s needs %s (the claim whose values it maps)",
			    path, line, CP_OIDC_KEY_ROLE_MAP, CP_OIDC_KEY_ROLES_CLAIM);
			goto fail;
		}
		if (parse_map(cfg, v, path, line, e) == -1)
			goto fail;
		free(v);
	}
	return 0;
fail:
	free(v);
	cp_oidc_config_free(cfg);
	return -1;
}

/* --- keys --------------------------------------------------------------------- */

enum key_type { KEY_OTHER, KEY_RSA, KEY_EC_P256, KEY_EC_OTHER, KEY_ED25519, KEY_OKP_OTHER };

struct key {
	char *kid;		/* NULL: none */
	char *alg;		/* the JWK's alg, or NULL */
	char *use;		/* the JWK's use, or NULL */
	int verify_op;		/* 0: key_ops is present and lacks "verify" */
	enum key_type type;
	cjose_jwk_t *jwk;	/* RSA and EC */
	EVP_PKEY *ed;		/* Ed25519 */
};

struct cp_oidc_jwks {
	struct key *key;
	size_t n;
};

static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "oth", "k" };

size_t
cp_oidc_jwks_count(const struct cp_oidc_jwks *k)
{
	return k->n;
}

void
cp_oidc_jwks_free(struct cp_oidc_jwks *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n; i++) {
		free(k->key[i].kid);
		free(k->key[i].alg);
		free(k->key[i].use);
		if (k->key[i].jwk != NULL)
			cjose_jwk_release(k->key[i].jwk);
		EVP_PKEY_free(k->key[i].ed);
	}
	free(k->key);
	free(k);
}

/* A string member of o (NULL if absent); -1 if present and not a string or too long. */
static int
opt_string(json_t *o, const char *name, char **out)
{
	json_t *v = json_object_get(o, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) > CP_OIDC_CLAIM_MAX ||
	    memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/*
 * Whether text[0..len) is strict base64url (RFC 7515: no padding, no other
 * byte, never 4k+1 characters).  libcjose asserts, aborting the process, on
 * some text that is not: every string it decodes is checked here first.
 */
static int
b64url_ok(const char *text, size_t len)
{
	if (len % 4 == 1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* Decode base64url text[0..len) strictly (b64url_ok). */
static unsigned char *
b64url_decode(const char *text, size_t len, size_t *outlen)
{
	uint8_t *out = NULL;
	cjose_err cerr;

	if (!b64url_ok(text, len))
		return NULL;
	if (len == 0) {
		*outlen = 0;
		return xcalloc(1, 1);
	}
	if (!cjose_base64url_decode(text, len, &out, outlen, &cerr))
		return NULL;
	return out;
}

static void
b64_free(unsigned char *p)
{
	if (p != NULL)
		cjose_get_dealloc()(p);
}

/* Fill key from its JWK object o (the index i names it in messages). */
static int
key_parse(struct key *key, json_t *o, size_t i, struct cp_err *e)
{
	const char *kty, *crv;
	json_t *ops;
	unsigned char *x;
	size_t j, xlen;
	cjose_err cerr;

	if (!json_is_object(o))
		return cp_err_set(e, 0, "key %zu is not an object", i + 1);
	for (j = 0; j < sizeof(private_members) / sizeof(private_members[0]); j++)
		if (json_object_get(o, private_members[j]) != NULL)
			return cp_err_set(e, 0, "key %zu holds '%s': a private or symmetric key "
			    "has no place in the plane (commit the issuer's public keys only)",
			    i + 1, private_members[j]);
	if ((kty = json_string_value(json_object_get(o, "kty"))) == NULL)
		return cp_err_set(e, 0, "key %zu has no kty", i + 1);
	if (opt_string(o, "kid", &key->kid) == -1 || opt_string(o, "alg", &key->alg) == -1 ||
	    opt_string(o, "use", &key->use) == -1)
		return cp_err_set(e, 0, "key %zu: kid, alg or use is not a string of at most "
		    "%d bytes", i + 1, CP_OIDC_CLAIM_MAX);
	key->verify_op = 1;
	if ((ops = json_object_get(o, "key_ops")) != NULL) {
		if (!json_is_array(ops))
			return cp_err_set(e, 0, "key %zu: key_ops is not a list", i + 1);
		key->verify_op = 0;
		for (j = 0; j < json_array_size(ops); j++) {
			const char *op = json_string_value(json_array_get(ops, j));

			if (op != NULL && strcmp(op, "verify") == 0)
				key->verify_op = 1;
		}
	}
	crv = json_string_value(json_object_get(o, "crv"));
	if (strcmp(kty, "RSA") == 0 || strcmp(kty, "EC") == 0) {
		static const char *const rsa[] = { "n", "e" }, *const ec[] = { "x", "y" };
		const char *const *m = strcmp(kty, "RSA") == 0 ? rsa : ec;

		for (j = 0; j < 2; j++) {
			json_t *v = json_object_get(o, m[j]);

			if (v != NULL && (!json_is_string(v) ||
			    !b64url_ok(json_string_value(v), json_string_length(v))))
				return cp_err_set(e, 0, "key %zu (kty %s): its %s is not base64url",
				    i + 1, kty, m[j]);
		}
		if ((key->jwk = cjose_jwk_import_json((cjose_header_t *)o, &cerr)) == NULL)
			return cp_err_set(e, 0, "key %zu (kty %s): libcjose cannot import it: %s",
			    i + 1, kty, cerr.message);
		if (strcmp(kty, "RSA") == 0) {
			key->type = KEY_RSA;
			if (cjose_jwk_get_keysize(key->jwk, &cerr) < 2048)
				return cp_err_set(e, 0, "key %zu: an RSA key of fewer than 2048 bits",
				    i + 1);
		} else
			key->type = cjose_jwk_EC_get_curve(key->jwk, &cerr) == CJOSE_JWK_EC_P_256 &&
			    crv != NULL && strcmp(crv, "P-256") == 0 ? KEY_EC_P256 : KEY_EC_OTHER;
		return 0;
	}
	if (strcmp(kty, "OKP") == 0 && crv != NULL && strcmp(crv, "Ed25519") == 0) {
		const char *xs = json_string_value(json_object_get(o, "x"));

		if (xs == NULL || (x = b64url_decode(xs, strlen(xs), &xlen)) == NULL)
			return cp_err_set(e, 0, "key %zu: an Ed25519 key whose x is not base64url",
			    i + 1);
		if (xlen != 32) {
			b64_free(x);
			return cp_err_set(e, 0, "key %zu: an Ed25519 key whose x is not 32 bytes",
			    i + 1);
		}
		key->ed = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
		b64_free(x);
		if (key->ed == NULL)
			return cp_err_set(e, 0, "key %zu: openssl refuses the Ed25519 key", i + 1);
		key->type = KEY_ED25519;
		return 0;
	}
	key->type = strcmp(kty, "OKP") == 0 ? KEY_OKP_OTHER : KEY_OTHER;
	return 0;
}

int
cp_oidc_jwks_parse(struct cp_oidc_jwks **out, const char *text, size_t len,
    struct cp_err *e)
{
	struct cp_oidc_jwks *k = xcalloc(1, sizeof(*k));
	json_error_t jerr;
	json_t *root, *keys;
	size_t i, j;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		free(k);
		return cp_err_set(e, 0, "not JSON (line %d: %s)", jerr.line, jerr.text);
	}
	keys = json_object_get(root, "keys");
	if (!json_is_object(root) || !json_is_array(keys)) {
		cp_err_set(e, 0, "not a JWKS (an object whose \"keys\" is a list)");
		goto fail;
	}
	if (json_array_size(keys) > CP_OIDC_KEYS_MAX) {
		cp_err_set(e, 0, "more than %d keys", CP_OIDC_KEYS_MAX);
		goto fail;
	}
	k->key = xcalloc(json_array_size(keys) + 1, sizeof(*k->key));
	for (i = 0; i < json_array_size(keys); i++) {
		k->n++;
		if (key_parse(&k->key[i], json_array_get(keys, i), i, e) == -1)
			goto fail;
		for (j = 0; j < i && k->key[i].kid != NULL; j++)
			if (k->key[j].kid != NULL && strcmp(k->key[j].kid, k->key[i].kid) == 0) {
				cp_err_set(e, 0, "keys %zu and %zu have one kid", j + 1, i + 1);
				goto fail;
			}
	}
	json_decref(root);
	*out = k;
	return 0;
fail:
	json_decref(root);
	cp_oidc_jwks_free(k);
	return -1;
}

int
cp_oidc_jwks_load(struct cp_oidc_jwks **out, const char *root, const char *rel,
    struct cp_err *e)
{
	char *text;
	size_t len;
	int fd, rc;

	*out = NULL;
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cp_err_set(e, errno, "plane %s", root);
	text = cp_beneath_read(fd, rel, CP_OIDC_JWKS_MAX, &len, e);
	close(fd);
	if (text == NULL) {
		if (errno == EINVAL)
			cp_err_prefix(e, "the JWKS (a regular file of at most %d bytes)",
			    CP_OIDC_JWKS_MAX);
		return cp_err_prefix(e, "oidc");
	}
	rc = cp_oidc_jwks_parse(out, text, len, e);
	free(text);
	if (rc == -1)
		cp_err_prefix(e, "oidc: %s", rel);
	else if (cp_oidc_jwks_count(*out) == 0)
		rc = cp_err_set(e, 0, "oidc: %s holds no key", rel);
	if (rc == -1) {
		cp_oidc_jwks_free(*out);
		*out = NULL;
	}
	return rc;
}

/* --- tokens ------------------------------------------------------------------- */

void
cp_oidc_claims_free(struct cp_oidc_claims *cl)
{
	free(cl->user);
	free(cl->issuer);
	free(cl->subject);
	cp_roles_list_free(&cl->roles);
	cl->user = cl->issuer = cl->subject = NULL;
}

/* A JSON object decoded from base64url text[0..len), or NULL. */
static json_t *
json_part(const char *text, size_t len, size_t max)
{
	unsigned char *raw;
	size_t n;
	json_t *o;

	if ((raw = b64url_decode(text, len, &n)) == NULL)
		return NULL;
	o = n <= max ? json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	b64_free(raw);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* A string claim of at most CP_OIDC_CLAIM_MAX bytes with no NUL, or NULL. */
static const char *
claim_string(json_t *claims, const char *name)
{
	json_t *v = json_object_get(claims, name);

	if (!json_is_string(v) || json_string_length(v) > CP_OIDC_CLAIM_MAX ||
	    memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
		return NULL;
	return json_string_value(v);
}

static const struct key *
key_find(const struct cp_oidc_jwks *k, const char *kid, const char **reason)
{
	size_t i;

	if (kid == NULL) {
		if (k->n == 1)
			return &k->key[0];
		*reason = "invalid token: no kid, and the JWKS holds more than one key";
		return NULL;
	}
	for (i = 0; i < k->n; i++)
		if (k->key[i].kid != NULL && strcmp(k->key[i].kid, kid) == 0)
			return &k->key[i];
	*reason = "invalid token: unknown kid (no key of the JWKS has it)";
	return NULL;
}

/* The header's alg against the allow-list and the key.  Returns the key, or NULL (*reason). */
static const struct key *
header_check(json_t *hdr, const struct cp_oidc_jwks *k, const char **alg, const char **reason)
{
	static const struct { const char *alg; enum key_type type; } allowed[] = {
		{ "RS256", KEY_RSA }, { "PS256", KEY_RSA }, { "ES256", KEY_EC_P256 },
		{ "EdDSA", KEY_ED25519 },
	};
	json_t *kidv = json_object_get(hdr, "kid");
	const struct key *key;
	size_t i;

	if ((*alg = json_string_value(json_object_get(hdr, "alg"))) == NULL) {
		*reason = "invalid token: no alg in the header";
		return NULL;
	}
	if (strcmp(*alg, "none") == 0) {
		*reason = "invalid token: alg none (an unsigned token) refused";
		return NULL;
	}
	if (strncmp(*alg, "HS", 2) == 0) {
		*reason = "invalid token: HMAC alg (HS*) refused: only the issuer's public keys "
		    "verify";
		return NULL;
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(allowed[i].alg, *alg) == 0)
			break;
	if (i == sizeof(allowed) / sizeof(allowed[0])) {
		*reason = "invalid token: alg not allowed (RS256, PS256, ES256, EdDSA)";
		return NULL;
	}
	if (json_object_get(hdr, "crit") != NULL) {
		*reason = "invalid token: crit header (no extension is understood)";
		return NULL;
	}
	if (kidv != NULL && (!json_is_string(kidv) ||
	    json_string_length(kidv) > CP_OIDC_CLAIM_MAX)) {
		*reason = "invalid token: kid is not a string";
		return NULL;
	}
	if ((key = key_find(k, json_string_value(kidv), reason)) == NULL)
		return NULL;
	if (key->type != allowed[i].type) {
		*reason = "invalid token: the key's type or curve does not fit the alg "
		    "(RS256 and PS256 need RSA, ES256 EC P-256, EdDSA OKP Ed25519)";
		return NULL;
	}
	if (key->alg != NULL && strcmp(key->alg, *alg) != 0) {
		*reason = "invalid token: the key's alg is not the token's";
		return NULL;
	}
	if ((key->use != NULL && strcmp(key->use, "sig") != 0) || !key->verify_op) {
		*reason = "invalid token: the key is not for signatures (use or key_ops)";
		return NULL;
	}
	return key;
}

/*
 * Verify the signature of token (dot1, dot2: its two dots) by key.  Returns
 * 0 good, 1 bad, -1 an OpenSSL failure.
 */
static int
signature_check(const struct key *key, const char *token, size_t len, const char *dot2,
    struct cp_err *e)
{
	unsigned char *sig;
	size_t slen;
	EVP_MD_CTX *ctx;
	cjose_jws_t *jws;
	cjose_err cerr;
	int ok;

	if (key->type != KEY_ED25519) {
		/* header and payload were read strictly; the signature is checked before libcjose sees it */
		if (!b64url_ok(dot2 + 1, len - (size_t)(dot2 + 1 - token)))
			return 1;
		if ((jws = cjose_jws_import(token, len, &cerr)) == NULL)
			return 1;
		ok = cjose_jws_verify(jws, key->jwk, &cerr);
		cjose_jws_release(jws);
		return ok ? 0 : 1;
	}
	sig = b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &slen);
	if (sig == NULL)
		return 1;
	if (slen != 64) {
		b64_free(sig);
		return 1;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		b64_free(sig);
		return cp_err_set(e, 0, "oidc: openssl failure");
	}
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->ed) == 1 &&
	    EVP_DigestVerify(ctx, sig, slen, (const unsigned char *)token,
	    (size_t)(dot2 - token)) == 1;
	EVP_MD_CTX_free(ctx);
	b64_free(sig);
	return ok ? 0 : 1;
}

/* A time claim: 0 absent, 1 a number in *t, -1 present but not a number. */
static int
time_claim(json_t *claims, const char *name, double *t)
{
	json_t *v = json_object_get(claims, name);

	if (v == NULL)
		return 0;
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return -1;
	*t = json_number_value(v);
	return 1;
}

static const char *
times_check(json_t *claims, const struct cp_oidc_config *cfg, time_t now)
{
	double t, n = (double)now, lee = (double)cfg->leeway;
	int r;

	if ((r = time_claim(claims, "exp", &t)) == 0)
		return "invalid token: no exp (an ID token must expire)";
	if (r == -1)
		return "invalid token: exp is not a number";
	if (n - lee >= t)
		return "invalid token: expired (exp)";
	if ((r = time_claim(claims, "nbf", &t)) == -1)
		return "invalid token: nbf is not a number";
	if (r == 1 && n + lee < t)
		return "invalid token: not yet valid (nbf)";
	if ((r = time_claim(claims, "iat", &t)) == -1)
		return "invalid token: iat is not a number";
	if (r == 1 && n + lee < t)
		return "invalid token: issued in the future (iat)";
	return NULL;
}

static const char *
audience_check(json_t *claims, const char *audience)
{
	json_t *aud = json_object_get(claims, "aud");
	size_t i;

	if (aud == NULL)
		return "invalid token: no aud";
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), audience) == 0 ? NULL :
		    "invalid token: wrong audience (aud)";
	if (!json_is_array(aud))
		return "invalid token: aud is neither a string nor a list";
	for (i = 0; i < json_array_size(aud); i++) {
		json_t *v = json_array_get(aud, i);

		if (!json_is_string(v))
			return "invalid token: aud holds a value that is not a string";
		if (strcmp(json_string_value(v), audience) == 0)
			return NULL;
	}
	return "invalid token: wrong audience (aud)";
}

/* The roles the map gives for one claim value. */
static void
map_value(const struct cp_oidc_config *cfg, const char *v, struct cp_roles_list *roles)
{
	size_t i, j;

	for (i = 0; i < cfg->nmap; i++) {
		if (strcmp(cfg->map[i].value, v) != 0)
			continue;
		for (j = 0; j < roles->n; j++)
			if (strcmp(roles->name[j], cfg->map[i].role) == 0)
				break;
		if (j == roles->n)
			cp_roles_list_add(roles, cfg->map[i].role);
	}
}

static const char *
roles_map(json_t *claims, const struct cp_oidc_config *cfg, struct cp_roles_list *roles)
{
	json_t *v;
	size_t i;

	if (cfg->roles_claim == NULL || (v = json_object_get(claims, cfg->roles_claim)) == NULL)
		return NULL;
	if (json_is_string(v)) {
		map_value(cfg, json_string_value(v), roles);
		return NULL;
	}
	if (!json_is_array(v))
		return "invalid token: the roles claim is neither a string nor a list";
	if (json_array_size(v) > CP_OIDC_ROLES_MAX)
		return "invalid token: the roles claim holds too many values";
	for (i = 0; i < json_array_size(v); i++) {
		json_t *s = json_array_get(v, i);

		if (!json_is_string(s))
			return "invalid token: the roles claim holds a value that is not a string";
		map_value(cfg, json_string_value(s), roles);
	}
	return NULL;
}

/* Keep iss and sub as the token claims them, so that a denial can say whose it was. */
static void
claimed(json_t *claims, struct cp_oidc_claims *cl)
{
	const char *s;

	if ((s = claim_string(claims, "iss")) != NULL)
		cl->issuer = xstrdup(s);
	if ((s = claim_string(claims, "sub")) != NULL)
		cl->subject = xstrdup(s);
}

int
cp_oidc_verify(const char *token, size_t len, const struct cp_oidc_jwks *k,
    const struct cp_oidc_config *cfg, time_t now, struct cp_oidc_claims *cl,
    const char **reason, struct cp_err *e)
{
	const char *dot1, *dot2, *alg, *user, *iss;
	const struct key *key;
	json_t *hdr = NULL, *claims = NULL;
	int rc = 1;

	*reason = NULL;
	if (len > CP_OIDC_TOKEN_MAX) {
		*reason = "invalid token: too long";
		return 1;
	}
	dot1 = memchr(token, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot1 == NULL || dot2 == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
		*reason = "invalid token: not a JWS in compact form (three base64url parts)";
		return 1;
	}
	if ((hdr = json_part(token, (size_t)(dot1 - token), CP_OIDC_HEADER_MAX)) == NULL) {
		*reason = "invalid token: the header is not base64url of a JSON object";
		return 1;
	}
	if ((claims = json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), CP_OIDC_TOKEN_MAX)) ==
	    NULL) {
		*reason = "invalid token: the payload is not base64url of a JSON object";
		goto out;
	}
	claimed(claims, cl);
	if ((key = header_check(hdr, k, &alg, reason)) == NULL)
		goto out;
	if ((rc = signature_check(key, token, len, dot2, e)) != 0) {
		if (rc == 1)
			*reason = "invalid token: the signature does not verify";
		goto out;
	}
	rc = 1;
	if ((*reason = times_check(claims, cfg, now)) != NULL)
		goto out;
	if ((iss = claim_string(claims, "iss")) == NULL || strcmp(iss, cfg->issuer) != 0) {
		*reason = iss == NULL ? "invalid token: no iss" :
		    "invalid token: wrong issuer (iss)";
		goto out;
	}
	if ((*reason = audience_check(claims, cfg->audience)) != NULL)
		goto out;
	if ((user = claim_string(claims, cfg->user_claim)) == NULL) {
		*reason = "invalid token: the user claim is missing or not a string";
		goto out;
	}
	if (!cp_user_valid(user, strlen(user))) {
		*reason = "invalid token: the user claim is not a valid user name "
		    "(no ':', no control character, at most 256 bytes)";
		goto out;
	}
	if ((*reason = roles_map(claims, cfg, &cl->roles)) != NULL)
		goto out;
	cl->user = xstrdup(user);
	rc = 0;
out:
	json_decref(hdr);
	json_decref(claims);
	if (rc != 0)
		cp_roles_list_free(&cl->roles);
	return rc;
}
