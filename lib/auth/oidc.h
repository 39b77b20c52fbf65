/*
 * oidc: OpenID Connect ID tokens checked offline.  A token is a JWS in
 * compact form, signed by one of the issuer's public keys that the plane
 * commits as a JWKS file (the tools never fetch anything); its claims say
 * who the caller is and, through a map, which roles it holds.  libcjose
 * imports the RSA and EC keys and verifies RS256, PS256 and ES256; Ed25519
 * (EdDSA), which no JOSE library in Debian 12 implements, is verified by
 * OpenSSL's EVP; jansson reads the header and the claims.
 * SPDX-License-Identifier: ISC
 */
#ifndef CP_OIDC_H
#define CP_OIDC_H

#include <stddef.h>
#include <time.h>

#include "auth/roles.h"
#include "base/err.h"

/* The configuration keys (registries/plane.conf: public data only). */
#define CP_OIDC_KEY_ISSUER "CONTROL_PLANE_OIDC_ISSUER"
#define CP_OIDC_KEY_AUDIENCE "CONTROL_PLANE_OIDC_AUDIENCE"
#define CP_OIDC_KEY_JWKS "CONTROL_PLANE_OIDC_JWKS"
#define CP_OIDC_KEY_USER_CLAIM "CONTROL_PLANE_OIDC_USER_CLAIM"
#define CP_OIDC_KEY_ROLES_CLAIM "CONTROL_PLANE_OIDC_ROLES_CLAIM"
#define CP_OIDC_KEY_ROLE_MAP "CONTROL_PLANE_OIDC_ROLE_MAP"
#define CP_OIDC_KEY_LEEWAY "CONTROL_PLANE_OIDC_LEEWAY"

#define CP_OIDC_TOKEN_MAX 8192		/* bytes of a token */
#define CP_OIDC_HEADER_MAX 1024		/* bytes of a decoded JOSE header */
#define CP_OIDC_CLAIM_MAX 1024		/* bytes of a string claim that is read */
#define CP_OIDC_ROLES_MAX 64		/* values of the roles claim */
#define CP_OIDC_JWKS_MAX (256 * 1024)	/* bytes of the JWKS file */
#define CP_OIDC_KEYS_MAX 64		/* keys in the JWKS */
#define CP_OIDC_MAP_MAX 256		/* entries of the role map */
#define CP_OIDC_LEEWAY_MAX 3600		/* seconds */
#define CP_OIDC_DEFAULT_LEEWAY 60

/* One entry of CONTROL_PLANE_OIDC_ROLE_MAP: a claim value and the role it gives. */
struct cp_oidc_map {
	char *value;
	char *role;
};

/* The provider's settings.  Caller-allocated; zero it; free with cp_oidc_config_free. */
struct cp_oidc_config {
	char *issuer;		/* the exact iss */
	char *audience;		/* must be in aud */
	char *jwks;		/* the JWKS file, relative to the plane's root */
	char *user_claim;	/* default "sub" */
	char *roles_claim;	/* NULL: no roles from the token */
	struct cp_oidc_map *map;
	size_t nmap;
	long leeway;		/* seconds allowed on exp, nbf and iat */
};

struct cp_conf;

/*
 * The settings from the plane's configuration c (read from path, named in
 * messages).  ISSUER, AUDIENCE and JWKS are required; JWKS must be a plane-
 * relative path (cp_relpath_ok); LEEWAY is 0 to CP_OIDC_LEEWAY_MAX; ROLE_MAP
 * is "value:role,...", each role a valid role name, the value everything
 * before the item's last ':' (so a value may hold ':' but not ','); a
 * ROLE_MAP without ROLES_CLAIM is an error.  Returns 0, or -1 with e
 * "PATH:LINE: what is wrong"; cfg is then freed.
 */
int cp_oidc_config_load(struct cp_oidc_config *cfg, const struct cp_conf *c,
    const char *path, struct cp_err *e);

void cp_oidc_config_free(struct cp_oidc_config *cfg);

struct cp_oidc_jwks;

/*
 * Parse text[0..len) as a JWKS ({"keys": [...]}, at most CP_OIDC_KEYS_MAX
 * keys, no two with one kid) into *out (free with cp_oidc_jwks_free).
 * Refused as a whole, -1 with e saying which key and why: not JSON, not
 * such an object, a key without kty, a key holding private members (d, p,
 * q, dp, dq, qi, oth, k: a symmetric or private key has no place in a
 * plane), an RSA key under 2048 bits, an RSA or EC key libcjose cannot
 * import, an Ed25519 key whose x is not 32 bytes.  A key of another type
 * or curve (OKP X25519, say) is kept but verifies nothing.
 */
int cp_oidc_jwks_parse(struct cp_oidc_jwks **out, const char *text, size_t len,
    struct cp_err *e);

/*
 * Read the JWKS file rel beneath the plane's root (root, a directory) with
 * lib/base/beneath (no symlink anywhere, a regular file, at most
 * CP_OIDC_JWKS_MAX bytes) and parse it.  Returns 0, or -1 with e "REL: ...".
 */
int cp_oidc_jwks_load(struct cp_oidc_jwks **out, const char *root, const char *rel,
    struct cp_err *e);

/* The number of keys. */
size_t cp_oidc_jwks_count(const struct cp_oidc_jwks *k);

void cp_oidc_jwks_free(struct cp_oidc_jwks *k);

/* What a token said.  Caller-allocated; zero it; free with cp_oidc_claims_free. */
struct cp_oidc_claims {
	char *user;		/* the user claim, when the token is accepted */
	char *issuer;		/* iss as the token claims it (also on a denial), or NULL */
	char *subject;		/* sub as the token claims it (also on a denial), or NULL */
	struct cp_roles_list roles;	/* the roles the map gives */
};

void cp_oidc_claims_free(struct cp_oidc_claims *cl);

/*
 * Check token[0..len) against the keys k and the settings cfg at the time
 * now: a pure function of its arguments (no file, no clock, no global), so
 * that it can be fuzzed.  In order: at most CP_OIDC_TOKEN_MAX bytes; JWS
 * compact form (three base64url parts, no padding); a JSON header object
 * with an alg of RS256, PS256, ES256 or EdDSA ("none" and HS* named as
 * such) and no crit; the key by kid, or the only key when the token has no
 * kid and k holds one; the key's kty/crv fit for alg (RSA; EC P-256;
 * OKP Ed25519), and its alg and use (sig) agree when present; the signature;
 * the claims a JSON object: exp required (a number), nbf and iat respected
 * with cfg->leeway, iss exactly cfg->issuer, aud (a string or a list of
 * strings) holding cfg->audience, the user claim a string that is a valid
 * user name (lib/auth/user), the roles claim (when configured) a string or a
 * list of at most CP_OIDC_ROLES_MAX strings, each mapped through cfg->map.
 * Header and claims are read with duplicate keys refused.
 * Returns 0 accepted (cl->user and cl->roles set), 1 denied (*reason a
 * static string that never quotes the token), -1 an OpenSSL or libcjose
 * failure that says nothing of the token (e).  Either way cl->issuer and
 * cl->subject hold what the claims said when they could be read.
 */
int cp_oidc_verify(const char *token, size_t len, const struct cp_oidc_jwks *k,
    const struct cp_oidc_config *cfg, time_t now, struct cp_oidc_claims *cl,
    const char **reason, struct cp_err *e);

#endif
