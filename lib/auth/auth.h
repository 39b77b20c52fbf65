/*
 * auth: who is asking.  Providers turn a token into an identity (a user and
 * its roles); tokens "user:" + lowercase hex HMAC-SHA256(secret, user) as the
 * Python tools made them; the shared secret and where it may live; and the
 * plane's policy (which provider, pinned how, the roles file, no secret in
 * the plane's configuration), which cp_auth_open_plane applies for every
 * caller.
 *
 * Adding a provider (an "oidc" one, say): write its three functions and a
 * struct cp_auth_provider in lib/auth/, list it in auth.c's table.  Callers
 * go on calling cp_auth_open_plane, cp_auth_authenticate, cp_auth_close
 * unchanged; its name becomes valid for CONTROL_PLANE_AUTH_PROVIDER and
 * plane.conf.
 * SPDX-License-Identifier: ISC
 */
#ifndef CP_AUTH_H
#define CP_AUTH_H

#include <stddef.h>

#include "auth/oidc.h"
#include "auth/roles.h"
#include "auth/user.h"
#include "base/err.h"
#include "hash/hmac.h"
#include "ledger/event.h"

#define CP_AUTH_TOKEN_MAX (CP_USER_MAX + 1 + CP_HMAC_HEXLEN)

/* The configuration keys (environment, plane.conf, secrets.env). */
#define CP_AUTH_KEY_PROVIDER "CONTROL_PLANE_AUTH_PROVIDER"
#define CP_AUTH_KEY_SECRET "CONTROL_PLANE_SHARED_SECRET"
#define CP_AUTH_KEY_SECRETS_FILE "CONTROL_PLANE_SECRETS_FILE"
#define CP_AUTH_KEY_TOKEN "CONTROL_PLANE_TOKEN"
#define CP_AUTH_KEY_ALLOW_PASSTHROUGH "CONTROL_PLANE_ALLOW_PASSTHROUGH"
#define CP_AUTH_DEFAULT_SECRETS ".control_plane_v2/secrets.env"	/* under $HOME */

/*
 * Write the token of user under secret to out (CP_AUTH_TOKEN_MAX + 1 bytes):
 * user ":" lowercase hex HMAC-SHA256(key = secret, message = user).
 * Returns 0, or -1 if user is not valid (cp_user_valid) or OpenSSL fails.
 */
int cp_auth_token_make(const void *secret, size_t slen, const char *user, char *out);

/*
 * Check token[0..len) against secret, in constant time for the MAC.  On
 * success returns 0 with the user in user (CP_USER_MAX + 1 bytes).
 * Otherwise returns 1 and *reason says why, in words that never quote the
 * token: too long, a NUL byte, no ':', a user that is empty or not
 * printable ASCII, a MAC of the wrong length or not lowercase hex, a MAC
 * that does not match; user then holds the claimed user when it was a valid
 * name (so that a denial can say whom it was for), else "".  Returns -1 if
 * OpenSSL fails.
 */
int cp_auth_token_check(const void *secret, size_t slen, const char *token, size_t len,
    char *user, const char **reason);

/*
 * The bytes of a token as read: the longest token of any provider (an oidc
 * ID token), a CRLF, and one byte to tell "too long".
 */
#define CP_AUTH_TOKEN_READ_MAX (CP_OIDC_TOKEN_MAX + 3)

/*
 * The caller's token into buf (CP_AUTH_TOKEN_READ_MAX bytes; the caller
 * wipes it), as every tool takes it: token (an option's copy) when not
 * NULL, else the first line of the file file (- = standard input) when not
 * NULL (an explicit choice beats the environment), else
 * $CONTROL_PLANE_TOKEN when set and not empty (its bytes in the environment
 * are then wiped and the variable unset, so that no copy outlives its use).
 * A file is read without stdio, so that no unwiped buffer ever holds it; its
 * one line ending is dropped; anything longer than a token is kept too long
 * to pass.  Returns 0 with *len its length (0: the caller has no token),
 * or -1 with e "FILE: strerror" when the file cannot be read.
 */
int cp_auth_token_get(const char *token, const char *file, char *buf, size_t *len,
    struct cp_err *e);

/* The shared secret.  Caller-allocated; free with cp_auth_secret_free, which wipes it. */
struct cp_auth_secret {
	unsigned char *key;
	size_t len;
	char *origin;		/* where it came from: the variable's name or the file's path */
};

#define CP_AUTH_SECRET_MIN 16	/* bytes of a secret read from a secrets file */

/*
 * The secrets file to use: file if not NULL, else $CONTROL_PLANE_SECRETS_FILE
 * if set and not empty, else $HOME/.control_plane_v2/secrets.env (the
 * password database's home when HOME is unset).  Returns a string the caller
 * frees, or NULL (e says why) when there is no home directory.
 */
char *cp_auth_secrets_path(const char *file, struct cp_err *e);

/*
 * Load the shared secret: from the secrets file file when it is not NULL
 * (an explicit choice beats the environment), else from
 * $CONTROL_PLANE_SHARED_SECRET when set and not empty (its bytes in the
 * environment are then wiped and the variable unset, so that no copy
 * outlives its use), else from the file cp_auth_secrets_path names, key
 * CONTROL_PLANE_SHARED_SECRET (see cp_conf_load for the syntax).  A secrets
 * file inside plane (both resolved with cp_abspath_resolve) is refused: no
 * secret ever lives in the plane.  The file is hostile input: opened with
 * O_NONBLOCK | O_NOFOLLOW and checked with fstat, it is refused when it is
 * a symlink or not a regular file (a FIFO cannot block), is owned by
 * another user than the caller (root aside), may be written or read by its
 * group or others (the Python tools' cp_init_auth.py made it 0600 too), or
 * holds a secret shorter than CP_AUTH_SECRET_MIN bytes.
 * Returns 0, or -1 with e saying what is wrong (no such file, no key,
 * an empty or short secret, a malformed file with its line, a file in the
 * plane, one of the refusals above).
 */
int cp_auth_secret_load(struct cp_auth_secret *s, const char *plane, const char *file,
    struct cp_err *e);

void cp_auth_secret_free(struct cp_auth_secret *s);

/*
 * Create the secrets file path (canonical, outside the plane: see
 * cp_auth_outside_plane) holding a new secret: 32 bytes from the OS's
 * entropy (OpenSSL's private CSPRNG), written as 64 lowercase hex digits in
 * a line CONTROL_PLANE_SHARED_SECRET=..., under a comment.  Missing parent
 * directories are created with mode 0700.  The file is mode 0600 from its
 * creation on: with replace 0 it is created with O_EXCL (an existing file,
 * or a symlink, fails with EEXIST); with replace 1 it is written to a 0600
 * temporary file beside it and renamed over it (lib/fsatomic), so the old
 * secret stays whole until the new one is durable.  On success s holds the
 * new secret (free it with cp_auth_secret_free).
 * Returns 0, or -1 with e "PATH: strerror" and e->errnum (and errno) set
 * (EEXIST: the file exists) and nothing left behind but the parent
 * directories.
 */
int cp_auth_secret_create(struct cp_auth_secret *s, const char *path, int replace,
    struct cp_err *e);

/*
 * 0 if path (a secrets file to read or create) lies outside plane, -1 with
 * e saying why not (inside it, or either cannot be resolved).  On
 * success *resolved (if not NULL) receives the canonical path, caller frees.
 */
int cp_auth_outside_plane(const char *plane, const char *path, char **resolved,
    struct cp_err *e);

/*
 * 0 if root is a directory, else -1 with e "plane ROOT: why": a mistyped
 * plane must not quietly become an unconfigured one (with passthrough).
 */
int cp_auth_plane_check(const char *root, struct cp_err *e);

/* Who is asking.  Caller-allocated; zero it, free with cp_auth_identity_free. */
struct cp_identity {
	char *user;		/* the user; on a rejection the claimed user, or NULL */
	int authenticated;	/* 1 if the token proved user */
	struct cp_roles_list roles;
	char *issuer;		/* oidc: the token's iss (as claimed, on a rejection), or NULL */
	char *subject;		/* oidc: the token's sub (as claimed, on a rejection), or NULL */
};

void cp_auth_identity_free(struct cp_identity *id);

/* What providers may need from the caller. */
struct cp_auth_setup {
	const char *plane;		/* the plane root */
	const char *secrets_file;	/* an explicit secrets file, or NULL */
	char *roles_file;		/* the plane's user -> roles file (the struct's own) */
};

struct cp_auth;

/* A provider.  Its functions fill e when they fail. */
struct cp_auth_provider {
	const char *name;
	/* 1 if the provider trusts every caller (development only): callers must say so loudly. */
	int trusts_everyone;
	/* Read what the provider needs (secret, roles).  Returns 0, or -1 if misconfigured. */
	int (*open)(struct cp_auth *a, struct cp_err *e);
	/*
	 * Authenticate token[0..len) (token NULL: the caller has none) into id.
	 * Returns 0 authenticated, 1 rejected (*reason set), -1 an error (e).
	 */
	int (*authenticate)(struct cp_auth *a, const char *token, size_t len,
	    struct cp_identity *id, const char **reason, struct cp_err *e);
	/* Release and wipe what open read. */
	void (*close)(struct cp_auth *a);
};

/* A provider at work.  Caller-allocated; zero it. */
struct cp_auth {
	const struct cp_auth_provider *provider;
	const char *chosen_by;		/* "plane", "environment" or "default" */
	struct cp_auth_setup setup;
	void *state;			/* the provider's own */
	char warning[256];		/* after open: something the caller should print, or "" */
};

/*
 * Open authentication for the plane at root, by the plane's policy:
 *  - root must be a directory (cp_auth_plane_check);
 *  - the plane's configuration (registries/plane.conf, lib/base/layout),
 *    when there is one, must parse and must not hold
 *    CONTROL_PLANE_SHARED_SECRET (no secret lives in the plane); its
 *    CONTROL_PLANE_AUTH_PROVIDER pins the provider;
 *  - the provider: the pinned one wins, and then
 *    $CONTROL_PLANE_AUTH_PROVIDER may name the same one but no other (a
 *    plane pinned to hmac cannot be opened with passthrough by setting a
 *    variable); else the one the environment names; with neither,
 *    passthrough, the development default (a->chosen_by "default").  An
 *    unknown name in either place is an error, never a fallback;
 *  - the provider is opened with the plane's roles file
 *    (registries/roles.csv) and secrets_file (an explicit secrets file, or
 *    NULL: see cp_auth_secret_load).
 * Returns 0 with a->provider and a->chosen_by set and a->warning holding
 * what the caller must print (a provider that trusts everyone) or "".
 * Returns -1 with e saying what is wrong; a is then closed.  Either way,
 * cp_auth_close releases a.
 */
int cp_auth_open_plane(struct cp_auth *a, const char *root, const char *secrets_file,
    struct cp_err *e);

/* Call a->provider's authenticate (see struct cp_auth_provider). */
int cp_auth_authenticate(struct cp_auth *a, const char *token, size_t len,
    struct cp_identity *id, const char **reason, struct cp_err *e);

/* Release and wipe what cp_auth_open_plane read (safe on a zeroed or closed a). */
void cp_auth_close(struct cp_auth *a);

/*
 * The ledger event of a denial (event_type authz_denied, decision DENIED,
 * reason): who (the user the token proved or only claimed), with which
 * roles, asked for what (action), through which provider, and why not; for
 * oidc also the token's issuer and subject (as claimed) when it had them.
 * Never the token or the secret: a claimed user is only the part before
 * the ':', and no reason quotes the token.  cp-authz and the plane's gate
 * write the same entry.  Returns 0 (the caller appends and frees ev), or -1
 * with e.
 */
int cp_auth_denial_event(struct cp_event *ev, const char *submission, const char *action,
    const struct cp_auth *a, const struct cp_identity *id, const char *reason,
    struct cp_err *e);

#endif
