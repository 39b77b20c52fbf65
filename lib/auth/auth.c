/* auth: tokens, the shared secret, the providers that turn a token into an identity, and the plane's policy.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth/auth.h"
#include "auth/oidc.h"
#include "auth/roles.h"
#include "auth/user.h"
#include "base/abspath.h"
#include "base/atomic.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "hash/hmac.h"
#include "ledger/event.h"
#include "text/conf.h"

int
cp_auth_token_make(const void *secret, size_t slen, const char *user, char *out)
{
	unsigned char mac[CP_HMAC_LEN];
	size_t ulen = strlen(user);

	if (!cp_user_valid(user, ulen) ||
	    cp_hmac_sha256(secret, slen, user, ulen, mac) == -1)
		return -1;
	memcpy(out, user, ulen);
	out[ulen] = ':';
	cp_hex_encode(mac, sizeof(mac), out + ulen + 1);
	cp_wipe(mac, sizeof(mac));
	return 0;
}

int
cp_auth_token_check(const void *secret, size_t slen, const char *token, size_t len,
    char *user, const char **reason)
{
	unsigned char want[CP_HMAC_LEN], got[CP_HMAC_LEN];
	const char *colon, *mac;
	size_t ulen, mlen;
	int ok;

	user[0] = '\0';
	if (len > CP_AUTH_TOKEN_MAX) {
		*reason = "invalid token: too long";
		return 1;
	}
	if (memchr(token, '\0', len) != NULL) {
		*reason = "invalid token: NUL byte";
		return 1;
	}
	if ((colon = memchr(token, ':', len)) == NULL) {
		*reason = "invalid token: no ':' between user and MAC";
		return 1;
	}
	ulen = (size_t)(colon - token);
	mac = colon + 1;
	mlen = len - ulen - 1;
	if (ulen == 0) {
		*reason = "invalid token: empty user";
		return 1;
	}
	if (!cp_user_valid(token, ulen)) {
		*reason = "invalid token: user is not printable ASCII";
		return 1;
	}
	memcpy(user, token, ulen);
	user[ulen] = '\0';
	if (mlen != CP_HMAC_HEXLEN) {
		*reason = "invalid token: MAC is not 64 hex digits";
		return 1;
	}
	if (!cp_hex_is_lower(mac, mlen)) {
		*reason = "invalid token: MAC is not lowercase hex";
		return 1;
	}
	if (cp_hmac_sha256(secret, slen, user, ulen, want) == -1)
		return -1;
	cp_hex_decode(mac, mlen, got);
	ok = cp_hmac_equal(want, got, sizeof(want));
	cp_wipe(want, sizeof(want));
	cp_wipe(got, sizeof(got));
	if (!ok) {
		*reason = "invalid token: MAC does not match (wrong user or secret)";
		return 1;
	}
	return 0;
}

/* Read the token file name (- = standard input) into buf; see cp_auth_token_get. */
static int
token_from_file(const char *name, char *buf, size_t *len, struct cp_err *e)
{
	int fd = strcmp(name, "-") == 0 ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd == -1)
		return cp_err_set(e, errno, "%s", name);
	while (n < CP_AUTH_TOKEN_READ_MAX &&
	    (r = read(fd, buf + n, CP_AUTH_TOKEN_READ_MAX - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			cp_err_set(e, errno, "%s", name);
			if (fd != STDIN_FILENO)
				close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (n < CP_AUTH_TOKEN_READ_MAX && n > 0 && buf[n - 1] == '\n')
		n--;
	if (n < CP_AUTH_TOKEN_READ_MAX && n > 0 && buf[n - 1] == '\r')
		n--;
	*len = n;
	return 0;
}

int
cp_auth_token_get(const char *token, const char *file, char *buf, size_t *len,
    struct cp_err *e)
{
	char *env = NULL;
	const char *src = token;

	*len = 0;
	if (src == NULL && file != NULL)
		return token_from_file(file, buf, len, e);
	if (src == NULL && (env = getenv(CP_AUTH_KEY_TOKEN)) != NULL && *env != '\0')
		src = env;
	if (src == NULL)
		return 0;
	*len = strlen(src);
	if (*len > CP_AUTH_TOKEN_READ_MAX)
		*len = CP_AUTH_TOKEN_READ_MAX;
	memcpy(buf, src, *len);
	if (env != NULL) {
		/* getenv points into the environment itself: leave no copy there. */
		cp_wipe(env, strlen(env));
		unsetenv(CP_AUTH_KEY_TOKEN);
	}
	return 0;
}

char *
cp_auth_secrets_path(const char *file, struct cp_err *e)
{
	const char *home = getenv("HOME");
	struct passwd *pw;
	char *path;
	size_t n;

	if (file == NULL && (file = getenv(CP_AUTH_KEY_SECRETS_FILE)) != NULL && *file == '\0')
		file = NULL;
	if (file != NULL)
		return xstrdup(file);
	if ((home == NULL || *home == '\0') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || *home == '\0') {
		cp_err_set(e, 0, "no home directory for the default secrets file "
		    "(set HOME or %s)", CP_AUTH_KEY_SECRETS_FILE);
		return NULL;
	}
	n = strlen(home) + 1 + strlen(CP_AUTH_DEFAULT_SECRETS) + 1;
	path = xmalloc(n);
	snprintf(path, n, "%s/%s", home, CP_AUTH_DEFAULT_SECRETS);
	return path;
}

int
cp_auth_outside_plane(const char *plane, const char *path, char **resolved,
    struct cp_err *e)
{
	char *root, *p;
	int inside;

	if ((root = realpath(plane, NULL)) == NULL)
		return cp_err_set(e, errno, "plane %s", plane);
	if ((p = cp_abspath_resolve(path)) == NULL) {
		cp_err_set(e, errno, "%s", path);
		free(root);
		return -1;
	}
	inside = cp_abspath_within(root, p);
	if (inside)
		cp_err_set(e, 0, "secrets file %s is inside the plane %s: "
		    "no secret may live in the plane", p, root);
	free(root);
	if (inside || resolved == NULL)
		free(p);
	else
		*resolved = p;
	return inside ? -1 : 0;
}

/* Who holds the permission bits bits (group's and others' only). */
static const char *
whom(mode_t bits)
{
	if ((bits & 070) != 0 && (bits & 007) != 0)
		return "its group and others";
	return (bits & 070) != 0 ? "its group" : "others";
}

/*
 * Open the secrets file path as hostile input: never through a symlink as
 * its last name, never blocking (a FIFO in its place), then checked on the
 * descriptor itself (no race with a rename): a regular file, owned by the
 * caller or root, that neither group nor others may read or write.  Returns
 * the descriptor, or -1 with e.
 */
static int
secret_open(const char *path, struct cp_err *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	uid_t me = geteuid();

	if (fd == -1) {
		if (errno == ELOOP)
			return cp_err_set(e, 0, "secrets file %s is a symlink: name the file "
			    "itself", path);
		cp_err_set(e, errno, "%s", path);
		return cp_err_prefix(e, "no secret for hmac");
	}
	if (fstat(fd, &st) == -1) {
		cp_err_set(e, errno, "%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		cp_err_set(e, 0, "secrets file %s is not a regular file", path);
	else if (st.st_uid != me && st.st_uid != 0)
		cp_err_set(e, 0, "secrets file %s is owned by uid %lu, not by you (uid %lu) "
		    "or root", path, (unsigned long)st.st_uid, (unsigned long)me);
	else if ((st.st_mode & 022) != 0)
		cp_err_set(e, 0, "secrets file %s is writable by %s (mode %04o): chmod 600 it, "
		    "and make a new secret (cp-authz init --force)", path,
		    whom(st.st_mode & 022), (unsigned)(st.st_mode & 07777));
	else if ((st.st_mode & 044) != 0)
		cp_err_set(e, 0, "secrets file %s is readable by %s (mode %04o): chmod 600 it",
		    path, whom(st.st_mode & 044), (unsigned)(st.st_mode & 07777));
	else
		return fd;
	close(fd);
	return -1;
}

static int
secret_from_file(struct cp_auth_secret *s, const char *plane, const char *path,
    struct cp_err *e)
{
	struct cp_conf c = { NULL, 0 };
	const char *v;
	int fd, rc;

	s->origin = xstrdup(path);
	if (cp_auth_outside_plane(plane, path, NULL, e) == -1 ||
	    (fd = secret_open(path, e)) == -1)
		return -1;
	rc = cp_conf_load_fd(&c, fd, path, e);
	close(fd);
	if (rc != 0) {
		if (rc == -1)
			cp_err_prefix(e, "no secret for hmac");
		return -1;
	}
	if ((v = cp_conf_get(&c, CP_AUTH_KEY_SECRET, NULL)) == NULL || *v == '\0') {
		cp_err_set(e, 0, "no secret for hmac: %s sets no %s", path,
		    v == NULL ? CP_AUTH_KEY_SECRET : "value for " CP_AUTH_KEY_SECRET);
		cp_conf_free(&c);
		return -1;
	}
	if (strlen(v) < CP_AUTH_SECRET_MIN) {
		cp_err_set(e, 0, "the secret in %s is %zu bytes: at least %d are needed "
		    "(cp-authz init --force makes one of 64)", path, strlen(v), CP_AUTH_SECRET_MIN);
		cp_conf_free(&c);
		return -1;
	}
	s->len = strlen(v);
	s->key = xmalloc(s->len);
	memcpy(s->key, v, s->len);
	cp_conf_free(&c);
	return 0;
}

int
cp_auth_secret_load(struct cp_auth_secret *s, const char *plane, const char *file,
    struct cp_err *e)
{
	char *env = getenv(CP_AUTH_KEY_SECRET), *path;
	int rc;

	memset(s, 0, sizeof(*s));
	if (file == NULL && env != NULL && *env != '\0') {
		s->len = strlen(env);
		s->key = xmalloc(s->len);
		memcpy(s->key, env, s->len);
		s->origin = xstrdup(CP_AUTH_KEY_SECRET);
		/* getenv points into the environment itself: wipe it there too. */
		cp_wipe(env, s->len);
		unsetenv(CP_AUTH_KEY_SECRET);
		return 0;
	}
	if ((path = cp_auth_secrets_path(file, e)) == NULL)
		return -1;
	rc = secret_from_file(s, plane, path, e);
	free(path);
	if (rc == -1)
		cp_auth_secret_free(s);
	return rc;
}

void
cp_auth_secret_free(struct cp_auth_secret *s)
{
	if (s->key != NULL)
		cp_wipe(s->key, s->len);
	free(s->key);
	free(s->origin);
	memset(s, 0, sizeof(*s));
}

/* Write the file's bytes with no copy left in a buffer that is freed unwiped. */
static int
write_secret_file(const char *path, const char *text, size_t len, int replace)
{
	char iobuf[256];
	struct cp_atomic at;
	int fd, e;

	if (replace) {
		if (cp_atomic_open(&at, path, 0600) == -1)
			return -1;
		setvbuf(at.fp, iobuf, _IOFBF, sizeof(iobuf));
		fwrite(text, 1, len, at.fp);
		e = cp_atomic_commit(&at);
		cp_wipe(iobuf, sizeof(iobuf));
		return e;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (cp_io_write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	if (close(fd) == -1 || cp_io_fsync_parent(path) == -1) {
		e = errno;
		unlink(path);
		errno = e;
		return -1;
	}
	return 0;
}

int
cp_auth_secret_create(struct cp_auth_secret *s, const char *path, int replace,
    struct cp_err *e)
{
	static const char head[] = "# The shared secret of cp-authz's hmac tokens.  "
	    "Keep it out of the plane, mode 0600.\n" CP_AUTH_KEY_SECRET "=";
	unsigned char raw[32];
	char text[sizeof(head) - 1 + 2 * sizeof(raw) + 1];
	size_t hlen = sizeof(head) - 1;
	int rc = -1, saved;

	memset(s, 0, sizeof(*s));
	if (RAND_priv_bytes(raw, sizeof(raw)) != 1) {
		errno = EIO;
		return cp_err_set(e, EIO, "%s", path);
	}
	memcpy(text, head, hlen);
	cp_hex_encode(raw, sizeof(raw), text + hlen);
	text[sizeof(text) - 1] = '\n';	/* over cp_hex_encode's NUL */
	if (cp_abspath_mkparents(path, 0700) == 0 &&
	    write_secret_file(path, text, sizeof(text), replace) == 0) {
		s->len = 2 * sizeof(raw);
		s->key = xmalloc(s->len);
		memcpy(s->key, text + hlen, s->len);
		s->origin = xstrdup(path);
		rc = 0;
	}
	saved = errno;
	cp_wipe(raw, sizeof(raw));
	cp_wipe(text, sizeof(text));
	if (rc == -1)
		cp_err_set(e, saved, "%s", path);
	errno = saved;
	return rc;
}

void
cp_auth_identity_free(struct cp_identity *id)
{
	free(id->user);
	free(id->issuer);
	free(id->subject);
	cp_roles_list_free(&id->roles);
	id->user = id->issuer = id->subject = NULL;
	id->authenticated = 0;
}

/* passthrough: development only; every caller is $USER (or "dev") with role admin. */

static int
passthrough_open(struct cp_auth *a, struct cp_err *e)
{
	(void)a, (void)e;
	return 0;
}

static int
passthrough_authenticate(struct cp_auth *a, const char *token, size_t len,
    struct cp_identity *id, const char **reason, struct cp_err *e)
{
	const char *user = getenv("USER");

	(void)a, (void)token, (void)len, (void)reason, (void)e;
	if (user == NULL || !cp_user_valid(user, strlen(user)))
		user = "dev";
	id->user = xstrdup(user);
	id->authenticated = 1;
	cp_roles_list_add(&id->roles, "admin");
	return 0;
}

static void
passthrough_close(struct cp_auth *a)
{
	(void)a;
}

/* hmac: the Python tools' shared-secret tokens; roles from the plane's roles file. */

struct hmac_state {
	struct cp_auth_secret secret;
	struct cp_roles_file roles;
};

static int
hmac_open(struct cp_auth *a, struct cp_err *e)
{
	struct hmac_state *h = xcalloc(1, sizeof(*h));

	a->state = h;
	if (cp_auth_secret_load(&h->secret, a->setup.plane, a->setup.secrets_file, e) == -1)
		return -1;
	if (cp_roles_load(&h->roles, a->setup.roles_file, e) == 0)
		return 0;
	/*
	 * A plane the Python tools built has no roles file: the Python tools made
	 * every valid user admin, which is not done silently here.  The operator
	 * says who is admin, once, by adopting the plane.
	 */
	if (e != NULL && e->errnum == ENOENT)
		cp_err_set(e, ENOENT, "%s: no roles file, so no user holds a role; a plane the "
		    "Python tools built is taken over with `cp-plane adopt --admin USER` "
		    "(make adopt ADMIN=USER), which writes it", a->setup.roles_file);
	return -1;
}

static int
hmac_authenticate(struct cp_auth *a, const char *token, size_t len,
    struct cp_identity *id, const char **reason, struct cp_err *e)
{
	struct hmac_state *h = a->state;
	const struct cp_roles_row *row;
	char user[CP_USER_MAX + 1];
	int rc;

	if (token == NULL) {
		*reason = "no token";
		return 1;
	}
	rc = cp_auth_token_check(h->secret.key, h->secret.len, token, len, user, reason);
	if (rc == -1)
		return cp_err_set(e, 0, "hmac: openssl failure");
	if (*user != '\0')
		id->user = xstrdup(user);
	if (rc != 0)
		return rc;
	id->authenticated = 1;
	if ((row = cp_roles_find(&h->roles, user)) != NULL)
		cp_roles_list_copy(&id->roles, &row->roles);
	return 0;
}

static void
hmac_close(struct cp_auth *a)
{
	struct hmac_state *h = a->state;

	if (h == NULL)
		return;
	cp_auth_secret_free(&h->secret);
	cp_roles_file_free(&h->roles);
	free(h);
	a->state = NULL;
}

/*
 * oidc: ID tokens verified offline against the JWKS the plane commits
 * (lib/auth/oidc); settings in the plane's configuration; roles from the
 * roles file and the map.
 */

struct oidc_state {
	struct cp_oidc_config cfg;
	struct cp_oidc_jwks *jwks;
	struct cp_roles_file roles;
	int has_roles;
};

static int
oidc_open(struct cp_auth *a, struct cp_err *e)
{
	struct oidc_state *o = xcalloc(1, sizeof(*o));
	struct cp_conf c = { NULL, 0 };
	char *path = cp_layout_path(a->setup.plane, CP_LAYOUT_CONF);
	int rc;

	a->state = o;
	rc = cp_conf_load(&c, path, e);
	if (rc == -1 && errno == ENOENT)
		cp_err_set(e, ENOENT, "%s: no such file: auth provider oidc reads its settings "
		    "there (see cp-authz(1))", path);
	if (rc == 0) {
		rc = cp_oidc_config_load(&o->cfg, &c, path, e);
		cp_conf_free(&c);
	}
	free(path);
	if (rc != 0 || cp_oidc_jwks_load(&o->jwks, a->setup.plane, o->cfg.jwks, e) == -1)
		return -1;
	/* Roles may come from the token alone: no roles file is no role from it. */
	if (cp_roles_load(&o->roles, a->setup.roles_file, e) == 0)
		o->has_roles = 1;
	else if (e == NULL || e->errnum != ENOENT)
		return -1;
	return 0;
}

static int
oidc_authenticate(struct cp_auth *a, const char *token, size_t len,
    struct cp_identity *id, const char **reason, struct cp_err *e)
{
	struct oidc_state *o = a->state;
	struct cp_oidc_claims cl = { NULL, NULL, NULL, { NULL, 0 } };
	const struct cp_roles_row *row;
	size_t i, j;
	int rc;

	if (token == NULL) {
		*reason = "no token";
		return 1;
	}
	rc = cp_oidc_verify(token, len, o->jwks, &o->cfg, time(NULL), &cl, reason, e);
	id->issuer = cl.issuer;
	id->subject = cl.subject;
	cl.issuer = cl.subject = NULL;
	if (rc != 0) {
		cp_oidc_claims_free(&cl);
		return rc;
	}
	id->user = cl.user;
	cl.user = NULL;
	id->authenticated = 1;
	if (o->has_roles && (row = cp_roles_find(&o->roles, id->user)) != NULL)
		cp_roles_list_copy(&id->roles, &row->roles);
	for (i = 0; i < cl.roles.n; i++) {
		for (j = 0; j < id->roles.n; j++)
			if (strcmp(id->roles.name[j], cl.roles.name[i]) == 0)
				break;
		if (j == id->roles.n)
			cp_roles_list_add(&id->roles, cl.roles.name[i]);
	}
	cp_oidc_claims_free(&cl);
	return 0;
}

static void
oidc_close(struct cp_auth *a)
{
	struct oidc_state *o = a->state;

	if (o == NULL)
		return;
	cp_oidc_config_free(&o->cfg);
	cp_oidc_jwks_free(o->jwks);
	cp_roles_file_free(&o->roles);
	free(o);
	a->state = NULL;
}

static const struct cp_auth_provider providers[] = {
	{ "passthrough", 1, passthrough_open, passthrough_authenticate, passthrough_close },
	{ "hmac", 0, hmac_open, hmac_authenticate, hmac_close },
	{ "oidc", 0, oidc_open, oidc_authenticate, oidc_close },
};

static const struct cp_auth_provider *
provider_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (strcmp(providers[i].name, name) == 0)
			return &providers[i];
	return NULL;
}

/* "unknown auth provider 'NAME'", where (" in ..." or ""), and the names there are. */
static int
unknown_provider(struct cp_err *e, const char *name, const char *where)
{
	char known[128] = "";
	size_t i;

	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
		if (i > 0)
			strcat(known, ", ");
		strcat(known, providers[i].name);
	}
	return cp_err_set(e, 0, "unknown auth provider '%.64s'%s (known: %s)", name, where,
	    known);
}

int
cp_auth_plane_check(const char *root, struct cp_err *e)
{
	struct stat st;

	if (stat(root, &st) == -1)
		return cp_err_set(e, errno, "plane %s", root);
	if (!S_ISDIR(st.st_mode))
		return cp_err_set(e, ENOTDIR, "plane %s", root);
	return 0;
}

/*
 * The provider the plane's configuration pins, into *pinned (NULL when it
 * pins none, or there is no configuration).  A configuration that cannot be
 * read or parsed, or that holds a secret, is an error: a plane must not be
 * opened on a guess.  Returns 0 or -1 (e).
 */
static int
pinned_provider(const char *root, const struct cp_auth_provider **pinned, struct cp_err *e)
{
	struct cp_conf c = { NULL, 0 };
	char *path = cp_layout_path(root, CP_LAYOUT_CONF);
	const char *v;
	unsigned long line;
	int rc;

	*pinned = NULL;
	if ((rc = cp_conf_load(&c, path, e)) != 0) {
		free(path);
		if (rc == -1 && errno == ENOENT) {
			cp_err_clear(e);	/* no configuration: nothing pinned */
			return 0;
		}
		return -1;
	}
	rc = 0;
	if (cp_conf_get(&c, CP_AUTH_KEY_SECRET, &line) != NULL)
		rc = cp_err_set(e, 0, "%s:%lu: %s in the plane's configuration: no secret "
		    "may live in the plane", path, line, CP_AUTH_KEY_SECRET);
	else if ((v = cp_conf_get(&c, CP_AUTH_KEY_PROVIDER, &line)) != NULL &&
	    (*pinned = provider_named(v)) == NULL) {
		unknown_provider(e, v, "");
		rc = cp_err_prefix(e, "%s:%lu", path, line);
	}
	cp_conf_free(&c);
	free(path);
	return rc;
}

/*
 * Choose the provider: pinned (the plane's, or NULL) wins, and then the
 * environment may name the same one but no other; else the environment's;
 * else hmac, which fails closed (as the later Python tools did).  The
 * environment may select passthrough only with CONTROL_PLANE_ALLOW_PASSTHROUGH=1:
 * a stray variable must not make everyone admin.  Returns 0 or -1 (e).
 */
static int
choose(struct cp_auth *a, const struct cp_auth_provider *pinned, struct cp_err *e)
{
	const char *name = getenv(CP_AUTH_KEY_PROVIDER);
	const struct cp_auth_provider *env = NULL;

	if (name != NULL && *name != '\0' && (env = provider_named(name)) == NULL)
		return unknown_provider(e, name, " in the environment (" CP_AUTH_KEY_PROVIDER ")");
	if (pinned != NULL && env != NULL && pinned != env)
		return cp_err_set(e, 0, "the plane pins auth provider %s: the environment "
		    "(%s=%s) cannot select another", pinned->name, CP_AUTH_KEY_PROVIDER,
		    env->name);
	if (pinned == NULL && env != NULL && env->trusts_everyone) {
		const char *allow = getenv(CP_AUTH_KEY_ALLOW_PASSTHROUGH);

		if (allow == NULL || strcmp(allow, "1") != 0)
			return cp_err_set(e, 0, "%s=%s makes every caller admin: set %s=1 as well "
			    "to allow it (development only), or pin it in %s",
			    CP_AUTH_KEY_PROVIDER, env->name, CP_AUTH_KEY_ALLOW_PASSTHROUGH,
			    cp_layout_rel(CP_LAYOUT_CONF));
	}
	a->provider = pinned != NULL ? pinned : env != NULL ? env : provider_named("hmac");
	a->chosen_by = pinned != NULL ? "plane" : env != NULL ? "environment" : "default";
	return 0;
}

int
cp_auth_open_plane(struct cp_auth *a, const char *root, const char *secrets_file,
    struct cp_err *e)
{
	const struct cp_auth_provider *pinned;

	a->warning[0] = '\0';
	if (cp_auth_plane_check(root, e) == -1 || pinned_provider(root, &pinned, e) == -1 ||
	    choose(a, pinned, e) == -1)
		return -1;
	a->setup.plane = root;
	a->setup.secrets_file = secrets_file;
	a->setup.roles_file = cp_layout_path(root, CP_LAYOUT_ROLES);
	if (a->provider->open(a, e) == -1) {
		cp_auth_close(a);
		return -1;
	}
	/* A provider that trusts everyone must be said loudly (it reads nothing to warn of). */
	if (a->provider->trusts_everyone)
		snprintf(a->warning, sizeof(a->warning), "auth provider passthrough (set by "
		    "the %s): every caller is admin (development only)", a->chosen_by);
	return 0;
}

int
cp_auth_authenticate(struct cp_auth *a, const char *token, size_t len,
    struct cp_identity *id, const char **reason, struct cp_err *e)
{
	*reason = NULL;
	return a->provider->authenticate(a, token, len, id, reason, e);
}

void
cp_auth_close(struct cp_auth *a)
{
	if (a->provider != NULL)
		a->provider->close(a);
	free(a->setup.roles_file);
	a->setup.roles_file = NULL;
	a->provider = NULL;
}

int
cp_auth_denial_event(struct cp_event *ev, const char *submission, const char *action,
    const struct cp_auth *a, const struct cp_identity *id, const char *reason,
    struct cp_err *e)
{
	struct cp_json *w;
	size_t i;

	if (cp_event_begin(ev, "authz_denied", submission, "DENIED", reason, e) == -1)
		return -1;
	w = cp_event_metadata(ev);
	cp_json_kstr(w, "user", id->user);
	cp_json_kbool(w, "authenticated", id->authenticated);
	cp_json_key(w, "roles");
	cp_json_arr(w);
	for (i = 0; i < id->roles.n; i++)
		cp_json_str(w, id->roles.name[i]);
	cp_json_end(w);
	cp_json_kstr(w, "action", action);
	cp_json_kstr(w, "provider", a->provider->name);
	cp_json_kstr(w, "provider_chosen_by", a->chosen_by);
	if (id->issuer != NULL)
		cp_json_kstr(w, "issuer", id->issuer);
	if (id->subject != NULL)
		cp_json_kstr(w, "subject", id->subject);
	cp_json_kstr(w, "reason", reason);
	return 0;
}
