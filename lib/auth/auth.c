/* auth: tokens, the shared secret, and the providers that turn a token into an identity. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth/auth.h"
#include "auth/roles.h"
#include "auth/user.h"
#include "base/abspath.h"
#include "base/atomic.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "hash/hmac.h"
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

char *
cp_auth_secrets_path(const char *file, char *errbuf, size_t errlen)
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
		snprintf(errbuf, errlen, "no home directory for the default secrets file "
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
    char *errbuf, size_t errlen)
{
	char *root, *p;
	int inside;

	if ((root = realpath(plane, NULL)) == NULL) {
		snprintf(errbuf, errlen, "plane %s: %s", plane, strerror(errno));
		return -1;
	}
	if ((p = cp_abspath_resolve(path)) == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		free(root);
		return -1;
	}
	inside = cp_abspath_within(root, p);
	if (inside)
		snprintf(errbuf, errlen, "secrets file %s is inside the plane %s: "
		    "no secret may live in the plane", p, root);
	free(root);
	if (inside || resolved == NULL)
		free(p);
	else
		*resolved = p;
	return inside ? -1 : 0;
}

static int
secret_from_file(struct cp_auth_secret *s, const char *plane, const char *path,
    char *errbuf, size_t errlen)
{
	struct cp_conf c = { NULL, 0 };
	struct stat st;
	const char *v;
	char why[512];
	int rc;

	s->origin = xstrdup(path);
	if (cp_auth_outside_plane(plane, path, NULL, errbuf, errlen) == -1)
		return -1;
	if ((rc = cp_conf_load(&c, path, why, sizeof(why))) != 0) {
		if (rc == -1)
			snprintf(errbuf, errlen, "no secret for hmac: %s: %s", path,
			    strerror(errno));
		else
			snprintf(errbuf, errlen, "%s", why);
		return -1;
	}
	if ((v = cp_conf_get(&c, CP_AUTH_KEY_SECRET, NULL)) == NULL || *v == '\0') {
		snprintf(errbuf, errlen, "no secret for hmac: %s sets no %s", path,
		    v == NULL ? CP_AUTH_KEY_SECRET : "value for " CP_AUTH_KEY_SECRET);
		cp_conf_free(&c);
		return -1;
	}
	s->len = strlen(v);
	s->key = xmalloc(s->len);
	memcpy(s->key, v, s->len);
	cp_conf_free(&c);
	s->loose = stat(path, &st) == 0 && (st.st_mode & 077) != 0;
	return 0;
}

int
cp_auth_secret_load(struct cp_auth_secret *s, const char *plane, const char *file,
    char *errbuf, size_t errlen)
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
	if ((path = cp_auth_secrets_path(file, errbuf, errlen)) == NULL)
		return -1;
	rc = secret_from_file(s, plane, path, errbuf, errlen);
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
cp_auth_secret_create(struct cp_auth_secret *s, const char *path, int replace)
{
	static const char head[] = "# The shared secret of cp-authz's hmac tokens.  "
	    "Keep it out of the plane, mode 0600.\n" CP_AUTH_KEY_SECRET "=";
	unsigned char raw[32];
	char text[sizeof(head) - 1 + 2 * sizeof(raw) + 1];
	size_t hlen = sizeof(head) - 1;
	int rc = -1, e;

	memset(s, 0, sizeof(*s));
	if (RAND_priv_bytes(raw, sizeof(raw)) != 1) {
		errno = EIO;
		return -1;
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
	e = errno;
	cp_wipe(raw, sizeof(raw));
	cp_wipe(text, sizeof(text));
	errno = e;
	return rc;
}

void
cp_auth_identity_free(struct cp_identity *id)
{
	free(id->user);
	cp_roles_list_free(&id->roles);
	id->user = NULL;
	id->authenticated = 0;
}

/* passthrough: development only; every caller is $USER (or "dev") with role admin. */

static int
passthrough_open(struct cp_auth *a, char *errbuf, size_t errlen)
{
	(void)a, (void)errbuf, (void)errlen;
	return 0;
}

static int
passthrough_authenticate(struct cp_auth *a, const char *token, size_t len,
    struct cp_identity *id, const char **reason, char *errbuf, size_t errlen)
{
	const char *user = getenv("USER");

	(void)a, (void)token, (void)len, (void)reason, (void)errbuf, (void)errlen;
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
hmac_open(struct cp_auth *a, char *errbuf, size_t errlen)
{
	struct hmac_state *h = xcalloc(1, sizeof(*h));

	a->state = h;
	if (cp_auth_secret_load(&h->secret, a->setup.plane, a->setup.secrets_file,
	    errbuf, errlen) == -1)
		return -1;
	if (h->secret.loose)
		snprintf(a->warning, sizeof(a->warning), "secrets file %s is readable or "
		    "writable by others (chmod 600 it)", h->secret.origin);
	return cp_roles_load(&h->roles, a->setup.roles_file, errbuf, errlen);
}

static int
hmac_authenticate(struct cp_auth *a, const char *token, size_t len,
    struct cp_identity *id, const char **reason, char *errbuf, size_t errlen)
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
	if (rc == -1) {
		snprintf(errbuf, errlen, "hmac: openssl failure");
		return -1;
	}
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

static const struct cp_auth_provider providers[] = {
	{ "passthrough", 1, passthrough_open, passthrough_authenticate, passthrough_close },
	{ "hmac", 0, hmac_open, hmac_authenticate, hmac_close },
};

const struct cp_auth_provider *
cp_auth_provider(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (strcmp(providers[i].name, name) == 0)
			return &providers[i];
	return NULL;
}

static int
unknown(const char *name, const char *where, char *errbuf, size_t errlen)
{
	snprintf(errbuf, errlen, "unknown auth provider '%.64s' in %s "
	    "(known: passthrough, hmac)", name, where);
	return -1;
}

int
cp_auth_choose(struct cp_auth *a, const char *env, const char *pinned,
    char *errbuf, size_t errlen)
{
	const struct cp_auth_provider *e = NULL, *p = NULL;

	if (env != NULL && *env != '\0' && (e = cp_auth_provider(env)) == NULL)
		return unknown(env, "the environment (" CP_AUTH_KEY_PROVIDER ")", errbuf, errlen);
	if (pinned != NULL && (p = cp_auth_provider(pinned)) == NULL)
		return unknown(pinned, "the plane's configuration", errbuf, errlen);
	if (p != NULL && e != NULL && p != e) {
		snprintf(errbuf, errlen, "the plane pins auth provider %s: the environment "
		    "(%s=%s) cannot select another", p->name, CP_AUTH_KEY_PROVIDER, e->name);
		return -1;
	}
	a->provider = p != NULL ? p : e != NULL ? e : cp_auth_provider("passthrough");
	a->chosen_by = p != NULL ? "plane" : e != NULL ? "environment" : "default";
	return 0;
}

int
cp_auth_open(struct cp_auth *a, char *errbuf, size_t errlen)
{
	a->warning[0] = '\0';
	return a->provider->open(a, errbuf, errlen);
}

int
cp_auth_authenticate(struct cp_auth *a, const char *token, size_t len,
    struct cp_identity *id, const char **reason, char *errbuf, size_t errlen)
{
	*reason = NULL;
	return a->provider->authenticate(a, token, len, id, reason, errbuf, errlen);
}

void
cp_auth_close(struct cp_auth *a)
{
	a->provider->close(a);
}
