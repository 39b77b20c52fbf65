/* trust: the plane's signature policy, its trusted keys, and the checks of an archive's signature and provenance.
 * SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "auth/auth.h"
#include "base/beneath.h"
#include "base/io.h"
#include "base/quote.h"
#include "base/xalloc.h"
#include "hash/dsse.h"
#include "hash/signify.h"
#include "plane/trust.h"
#include "text/conf.h"

#define KEYS_DIR "registries/keys"

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
cp_trust_load(struct cp_trust *t, int planefd, const char *conf, struct cp_err *e)
{
	struct cp_conf c = { NULL, 0 };
	const char *v;
	unsigned long line;
	struct dirent *de;
	DIR *d;
	int fd, rc;

	memset(t, 0, sizeof(*t));
	if (conf != NULL) {
		if ((rc = cp_conf_load(&c, conf, e)) != 0 && !(rc == -1 && errno == ENOENT))
			return -1;
		if (rc == 0 && (v = cp_conf_get(&c, "CONTROL_PLANE_SIGNATURES", &line)) != NULL) {
			if (strcmp(v, "required") == 0)
				t->required = 1;
			else if (strcmp(v, "optional") != 0) {
				cp_err_set(e, 0, "%s:%lu: CONTROL_PLANE_SIGNATURES is required or "
				    "optional, not '%.64s'", conf, line, v);
				cp_conf_free(&c);
				return -1;
			}
		}
		cp_conf_free(&c);
	}
	if ((fd = cp_beneath_open(planefd, KEYS_DIR, O_RDONLY | O_DIRECTORY, 0, e)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return cp_err_set(e, errno, "%s", KEYS_DIR);
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n <= 4 || strcmp(de->d_name + n - 4, ".pub") != 0 || de->d_name[0] == '.')
			continue;
		if (t->n == CP_TRUST_KEYS_MAX) {
			closedir(d);
			cp_trust_free(t);
			return cp_err_set(e, 0, "%s: more than %d keys", KEYS_DIR, CP_TRUST_KEYS_MAX);
		}
		t->name = xreallocarray(t->name, t->n + 1, sizeof(*t->name));
		t->name[t->n++] = xstrndup(de->d_name, n - 4);
	}
	closedir(d);
	if (t->n > 1)
		qsort(t->name, t->n, sizeof(*t->name), cmp_name);
	t->key = xreallocarray(NULL, t->n + 1, sizeof(*t->key));
	for (size_t i = 0; i < t->n; i++) {
		char rel[512], *text;
		size_t len;

		snprintf(rel, sizeof(rel), "%s/%s.pub", KEYS_DIR, t->name[i]);
		if ((text = cp_beneath_read(planefd, rel, CP_SIGNIFY_FILEMAX, &len, e)) == NULL ||
		    cp_signify_parse_pub(text, len, &t->key[i], NULL, e) == -1) {
			free(text);
			cp_err_prefix(e, "%s", rel);
			cp_trust_free(t);
			return -1;
		}
		free(text);
	}
	return 0;
}

void
cp_trust_free(struct cp_trust *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->name[i]);
	free(t->name);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

static int
exists(int planefd, const char *source, const char *suffix)
{
	char rel[4200];
	struct stat st;

	snprintf(rel, sizeof(rel), "%s%s", source, suffix);
	return fstatat(planefd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int
cp_trust_needed(const struct cp_trust *t, int planefd, const char *source)
{
	return t->required || exists(planefd, source, ".sig") ||
	    exists(planefd, source, ".provenance.json") || exists(planefd, source, ".intoto.jsonl");
}

static void __attribute__((format(printf, 2, 3)))
refuse(struct cp_trust_verdict *v, const char *fmt, ...)
{
	va_list ap;

	v->refused = 1;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

/* signify's signature of the bytes: by a trusted key, else refused. */
static int
check_signify(const struct cp_trust *t, const char *text, size_t tlen, const void *a,
    size_t len, const char *rel, struct cp_trust_verdict *v, struct cp_err *e)
{
	struct cp_signify_sig sig;
	struct cp_err pe;
	size_t i;
	int r;

	v->signature = "signify";
	if (cp_signify_parse_sig(text, tlen, &sig, NULL, &pe) == -1) {
		refuse(v, "%s: %s", rel, pe.msg);
		return 0;
	}
	for (i = 0; i < t->n; i++)
		if (memcmp(t->key[i].keynum, sig.keynum, sizeof(sig.keynum)) == 0)
			break;
	if (i == t->n) {
		refuse(v, "%s: signed by a key the plane does not trust (none in %s/ has its key "
		    "number)", rel, KEYS_DIR);
		return 0;
	}
	if ((r = cp_signify_verify(&t->key[i], &sig, a, len, e)) == -1)
		return -1;
	if (r != CP_SIGNIFY_VERIFIED) {
		refuse(v, "%s: the signature does not verify with %s/%s.pub (another archive's, or "
		    "altered)", rel, KEYS_DIR, t->name[i]);
		return 0;
	}
	v->key = t->name[i];
	return 0;
}

/* The Python tools' JSON signature: Ed25519 over the hex digest by a trusted key, or hmac. */
static int
check_python_sig(const struct cp_trust *t, const char *text, size_t tlen, const char *hex,
    const char *rel, struct cp_trust_verdict *v, struct cp_err *e)
{
	json_t *j = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, NULL);
	const char *alg = json_string_value(json_object_get(j, "algorithm"));
	const char *ah = json_string_value(json_object_get(j, "archive_hash"));
	const char *b64 = json_string_value(json_object_get(j, "signature"));
	unsigned char raw[96];
	struct cp_signify_sig sig;
	char q[160];
	int n, r;

	v->signature = "python";
	if (!json_is_object(j) || alg == NULL || ah == NULL || b64 == NULL) {
		refuse(v, "%s: not a signature (JSON with algorithm, archive_hash, signature)", rel);
		goto out;
	}
	if (strcmp(ah, hex) != 0) {
		refuse(v, "%s: signs archive_hash %s, not this archive's %s", rel,
		    cp_quote_cstr(q, sizeof(q), ah), hex);
		goto out;
	}
	if (strcmp(alg, "hmac-sha256") == 0) {
		v->signature = "python-hmac";
		if (t->required)
			refuse(v, "%s: an hmac-sha256 \"signature\" proves no signer, and the plane "
			    "requires signatures", rel);
		goto out;
	}
	v->signature = "python-ed25519";
	if (strcmp(alg, "ed25519") != 0) {
		refuse(v, "%s: unknown algorithm %s", rel, cp_quote_cstr(q, sizeof(q), alg));
		goto out;
	}
	if (strlen(b64) != 88 || (n = EVP_DecodeBlock(raw, (const unsigned char *)b64, 88)) != 66) {
		refuse(v, "%s: the signature is not 64 bytes of base64", rel);
		goto out;
	}
	memcpy(sig.sig, raw, sizeof(sig.sig));
	for (size_t i = 0; i < t->n; i++) {
		memcpy(sig.keynum, t->key[i].keynum, sizeof(sig.keynum));
		if ((r = cp_signify_verify(&t->key[i], &sig, ah, strlen(ah), e)) == -1) {
			json_decref(j);
			return -1;
		}
		if (r == CP_SIGNIFY_VERIFIED) {
			v->key = t->name[i];
			goto out;
		}
	}
	refuse(v, "%s: the Ed25519 signature verifies with no key in %s/", rel, KEYS_DIR);
out:
	json_decref(j);
	return 0;
}

/* The in-toto attestation beside source: a DSSE envelope by a trusted key naming the archive. */
static int
check_intoto(const struct cp_trust *t, int planefd, const char *source, const char *hex,
    struct cp_trust_verdict *v, struct cp_err *e)
{
	char rel[4200], *text, *body = NULL;
	struct cp_err le;
	size_t tlen, blen, which, i;
	json_t *st, *subj, *s;
	int rc;

	snprintf(rel, sizeof(rel), "%s.intoto.jsonl", source);
	cp_err_clear(&le);
	if ((text = cp_beneath_read(planefd, rel, CP_DSSE_MAX, &tlen, &le)) == NULL) {
		if (le.errnum == ENOENT)
			return 0;
		*e = le;
		return -1;
	}
	rc = cp_dsse_verify(text, tlen, CP_TRUST_INTOTO_TYPE, t->key, t->n, &which, &body, &blen,
	    &le);
	free(text);
	if (rc != 0) {
		refuse(v, "%s: %s", rel, le.msg);
		return 0;
	}
	st = json_loadb(body, blen, JSON_REJECT_DUPLICATES, NULL);
	free(body);
	subj = json_object_get(st, "subject");
	rc = 0;
	json_array_foreach(subj, i, s) {
		const char *h = json_string_value(json_object_get(json_object_get(s, "digest"),
		    "sha256"));

		if (h != NULL && strcmp(h, hex) == 0)
			rc = 1;
	}
	json_decref(st);
	if (!rc)
		refuse(v, "%s: no subject of its statement has this archive's sha256 %s", rel, hex);
	else
		v->attestation = "verified";
	return 0;
}

int
cp_trust_check(const struct cp_trust *t, int planefd, const char *source, const void *a,
    size_t len, const char *hex, struct cp_trust_verdict *v, struct cp_err *e)
{
	char rel[4200], *text;
	struct cp_err le;
	size_t tlen;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	v->signature = "none";
	v->provenance = "none";
	v->attestation = "none";
	snprintf(rel, sizeof(rel), "%s.sig", source);
	cp_err_clear(&le);
	if ((text = cp_beneath_read(planefd, rel, CP_TRUST_FILE_MAX, &tlen, &le)) == NULL) {
		if (le.errnum != ENOENT) {
			*e = le;
			return -1;
		}
		if (t->required)
			refuse(v, "%s: no signature, and the plane requires signatures (%s)", source,
			    "CONTROL_PLANE_SIGNATURES=required");
	} else {
		rc = strncmp(text, CP_SIGNIFY_COMMENTHDR, strlen(CP_SIGNIFY_COMMENTHDR)) == 0 ?
		    check_signify(t, text, tlen, a, len, rel, v, e) :
		    check_python_sig(t, text, tlen, hex, rel, v, e);
		free(text);
		if (rc == -1)
			return -1;
		if (!v->refused && t->required && v->key == NULL)
			refuse(v, "%s: not signed by a trusted key, and the plane requires "
			    "signatures", source);
	}
	if (v->refused)
		return 0;
	if (check_intoto(t, planefd, source, hex, v, e) == -1)
		return -1;
	if (v->refused)
		return 0;
	snprintf(rel, sizeof(rel), "%s.provenance.json", source);
	cp_err_clear(&le);
	if ((text = cp_beneath_read(planefd, rel, CP_TRUST_FILE_MAX, &tlen, &le)) == NULL) {
		if (le.errnum != ENOENT) {
			*e = le;
			return -1;
		}
		return 0;
	}
	{
		json_t *j = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, NULL);
		char q[160];
		const char *sh = json_string_value(json_object_get(json_object_get(j, "subject"),
		    "sha256"));

		if (sh == NULL)
			refuse(v, "%s: no subject.sha256", rel);
		else if (strcmp(sh, hex) != 0)
			refuse(v, "%s: its subject.sha256 %s is not this archive's %s", rel,
			    cp_quote_cstr(q, sizeof(q), sh), hex);
		else
			v->provenance = "verified";
		json_decref(j);
	}
	free(text);
	return 0;
}

int
cp_trust_signing_key(const char *root, struct cp_signify_sec *sec, cp_signify_comment comment,
    struct cp_err *e)
{
	const char *path = getenv("CONTROL_PLANE_SIGNING_KEY");
	char *resolved = NULL;
	struct stat st;

	if (path == NULL || *path == '\0')
		return 0;
	if (cp_auth_outside_plane(root, path, &resolved, e) == -1)
		return -1;
	free(resolved);
	if (stat(path, &st) == -1)
		return cp_err_set(e, errno, "CONTROL_PLANE_SIGNING_KEY %s", path);
	if (st.st_mode & 077)
		return cp_err_set(e, 0, "CONTROL_PLANE_SIGNING_KEY %s: readable or writable by others "
		    "(mode %03o): chmod 600 it", path, (unsigned)(st.st_mode & 0777));
	if (cp_signify_sig_comment(path, comment, e) == -1 ||
	    cp_signify_load_sec(path, sec, NULL, e) == -1)
		return -1;
	return 1;
}
