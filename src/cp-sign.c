/* cp-sign: Ed25519 key pairs, signatures and their checks in OpenBSD signify's formats.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/auth.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "hash/dsse.h"
#include "hash/sha256.h"
#include "base/hex.h"
#include "cli/prog.h"
#include "hash/signify.h"

static const char help[] =
"usage: cp-sign -G -n [-C DIR] [-c COMMENT] [--json] -p PUBKEY -s SECKEY\n"
"       cp-sign -S [-C DIR] [--json] [-x SIGFILE] -s SECKEY -m MESSAGE\n"
"       cp-sign -V [-q] [--json] [-x SIGFILE] -p PUBKEY -m MESSAGE\n"
"\n"
"Make Ed25519 key pairs, sign and verify files, byte-compatible with OpenBSD's\n"
"signify(1).\n"
"\n"
"  -G            generate a key pair: PUBKEY and SECKEY (created 0600)\n"
"  -S            sign MESSAGE with SECKEY into SIGFILE (default MESSAGE.sig)\n"
"  -V            verify SIGFILE (default MESSAGE.sig) over MESSAGE with PUBKEY\n"
"  -n            an unencrypted secret key (required: cp-sign has no bcrypt_pbkdf)\n"
"  -c COMMENT    the keys' comment (default \"signify\")\n"
"  -p PUBKEY     the public key file\n"
"  -s SECKEY     the secret key file\n"
"  -m MESSAGE    the file signed or verified (- for standard input)\n"
"  -x SIGFILE    the signature file (- for standard output or input)\n"
"  -C DIR        the plane (default $CONTROL_PLANE_ROOT when set): a secret key\n"
"                inside it is refused\n"
"  -q            with -V, print nothing when the signature verifies\n"
"      --json    print the result as one JSON object\n"
"  -h, --help    print this help\n"
"      --version print the version\n"
"\n"
"Exit status: 0 success (with -V: the signature verifies), 1 with -V a bad\n"
"signature or the wrong key, 2 an error (unreadable or malformed file, bad usage).\n";

enum { OPT_JSON = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

enum verb { NONE, GENERATE, SIGN, VERIFY };

struct opts {
	enum verb verb;
	int nokdf, quiet, json;
	const char *pub, *sec, *msg, *sig, *comment, *root;
	char *sigbuf;
};

/* With a plane given (-C, else CONTROL_PLANE_ROOT), a secret key must not lie inside it. */
static void
check_outside_plane(const struct opts *o)
{
	struct cp_err e;

	if (o->root == NULL || *o->root == '\0')
		return;
	if (cp_auth_outside_plane(o->root, o->sec, NULL, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
}

static void
json_keynum(struct cp_json *w, const char *key, const unsigned char *keynum)
{
	cp_json_key(w, key);
	cp_json_hex(w, keynum, CP_SIGNIFY_KEYNUMLEN);
}

static int
generate(const struct opts *o)
{
	struct cp_signify_pub pub;
	struct cp_signify_sec sec;
	struct cp_json w;
	struct cp_err e;
	int rc;

	check_outside_plane(o);
	if (cp_signify_keynames(o->pub, o->sec, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (cp_signify_generate(&pub, &sec, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	cp_prog_hold_signals();	/* both key files or neither, never a temporary one */
	rc = cp_signify_save_keys(o->pub, o->sec, &pub, &sec, o->comment, &e);
	cp_signify_sec_wipe(&sec);
	cp_prog_release_signals();
	if (rc == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_kstr(&w, "public_key", o->pub);
		cp_json_kstr(&w, "secret_key", o->sec);
		json_keynum(&w, "keynum", pub.keynum);
		cp_json_kbool(&w, "encrypted", 0);
		cp_json_end(&w);
		cp_json_endl(&w);
	}
	return CP_EXIT_YES;
}

static int
sign(const struct opts *o)
{
	struct cp_signify_sec sec;
	struct cp_signify_sig sig;
	cp_signify_comment sigcomment;
	struct cp_json w;
	struct cp_err e;
	unsigned char *msg;
	size_t len;
	char *text;
	int rc;

	check_outside_plane(o);
	if (cp_signify_sig_comment(o->sec, sigcomment, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (cp_signify_load_sec(o->sec, &sec, NULL, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (cp_signify_readmsg(o->msg, &msg, &len, &e) == -1) {
		cp_signify_sec_wipe(&sec);
		errx(CP_EXIT_ERR, "%s", e.msg);
	}
	rc = cp_signify_sign(&sec, msg, len, &sig, &e);
	cp_signify_sec_wipe(&sec);
	free(msg);
	if (rc == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (strcmp(o->sig, "-") == 0) {
		if ((text = cp_signify_text_sig(&sig, sigcomment, &len, &e)) == NULL)
			errx(CP_EXIT_ERR, "%s", e.msg);
		fwrite(text, 1, len, stdout);
		free(text);
		return CP_EXIT_YES;
	}
	cp_prog_hold_signals();
	rc = cp_signify_save_sig(o->sig, &sig, sigcomment, &e);
	cp_prog_release_signals();
	if (rc == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_kstr(&w, "message", o->msg);
		cp_json_kstr(&w, "signature", o->sig);
		json_keynum(&w, "keynum", sig.keynum);
		cp_json_end(&w);
		cp_json_endl(&w);
	}
	return CP_EXIT_YES;
}

/* A DSSE envelope (an in-toto attestation, FILE.intoto.jsonl) rather than a signify signature. */
static int
is_envelope(const char *path)
{
	size_t n = strlen(path);

	return n > 6 && strcmp(path + n - 6, ".jsonl") == 0;
}

/*
 * -V -x ENVELOPE: the DSSE envelope must be signed by PUB (keyid its key
 * number) over PAE, its payload an in-toto statement one of whose subjects
 * has the message's SHA-256.
 */
static int
verify_envelope(const struct opts *o)
{
	struct cp_signify_pub pub;
	struct cp_json w;
	struct cp_err e, ve;
	unsigned char *msg, d[CP_SHA256_LEN];
	char hex[CP_SHA256_HEXLEN + 1], *text = NULL, *body = NULL;
	size_t len, tlen = 0, blen, which, i;
	json_t *st = NULL, *sj;
	const char *reason = NULL;
	FILE *fp;
	int v;

	if (cp_signify_load_pub(o->pub, &pub, NULL, &e) == -1 ||
	    cp_signify_readmsg(o->msg, &msg, &len, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if ((fp = fopen(o->sig, "re")) == NULL)
		err(CP_EXIT_ERR, "%s", o->sig);
	text = xmalloc(CP_DSSE_MAX + 1);
	tlen = fread(text, 1, CP_DSSE_MAX + 1, fp);
	if (ferror(fp) || tlen > CP_DSSE_MAX)
		errx(CP_EXIT_ERR, "%s: unreadable or over %zu bytes", o->sig, CP_DSSE_MAX);
	fclose(fp);
	if (cp_sha256(msg, len, d) == -1)
		errx(CP_EXIT_ERR, "cannot hash");
	free(msg);
	cp_hex_encode(d, sizeof(d), hex);
	v = cp_dsse_verify(text, tlen, "application/vnd.in-toto+json", &pub, 1, &which, &body,
	    &blen, &ve);
	free(text);
	if (v == -1)
		errx(CP_EXIT_ERR, "%s: %s", o->sig, ve.msg);
	if (v == 1)
		reason = ve.msg;
	else {
		v = 1;
		reason = "no subject of the statement has the message's sha256";
		st = json_loadb(body, blen, 0, NULL);
		json_array_foreach(json_object_get(st, "subject"), i, sj) {
			const char *h = json_string_value(json_object_get(json_object_get(sj,
			    "digest"), "sha256"));

			if (h != NULL && strcmp(h, hex) == 0) {
				v = 0;
				reason = NULL;
			}
		}
		json_decref(st);
	}
	free(body);
	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_kbool(&w, "verified", v == 0);
		cp_json_kstr(&w, "reason", reason);
		cp_json_kstr(&w, "message", o->msg);
		cp_json_kstr(&w, "envelope", o->sig);
		cp_json_kstr(&w, "public_key", o->pub);
		cp_json_kstr(&w, "sha256", hex);
		cp_json_endl(&w);
	}
	if (v != 0) {
		warnx("%s: %s", o->sig, reason);
		return CP_EXIT_NO;
	}
	if (!o->json && !o->quiet)
		puts("Attestation Verified");
	return CP_EXIT_YES;
}

static int
verify(const struct opts *o)
{
	static const char *const why[] = {
		[CP_SIGNIFY_WRONGKEY] = "verification failed: checked against wrong key",
		[CP_SIGNIFY_BADSIG] = "signature verification failed",
	};
	struct cp_signify_pub pub;
	struct cp_signify_sig sig;
	struct cp_json w;
	struct cp_err e;
	unsigned char *msg;
	size_t len;
	int v;

	if (is_envelope(o->sig))
		return verify_envelope(o);
	if (cp_signify_load_pub(o->pub, &pub, NULL, &e) == -1 ||
	    cp_signify_load_sig(o->sig, &sig, NULL, &e) == -1 ||
	    cp_signify_readmsg(o->msg, &msg, &len, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	v = cp_signify_verify(&pub, &sig, msg, len, &e);
	free(msg);
	if (v == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_kbool(&w, "verified", v == CP_SIGNIFY_VERIFIED);
		cp_json_kstr(&w, "reason", v == CP_SIGNIFY_VERIFIED ? NULL :
		    v == CP_SIGNIFY_WRONGKEY ? "wrong key" : "bad signature");
		cp_json_kstr(&w, "message", o->msg);
		cp_json_kstr(&w, "signature", o->sig);
		cp_json_kstr(&w, "public_key", o->pub);
		json_keynum(&w, "keynum", sig.keynum);
		json_keynum(&w, "public_key_keynum", pub.keynum);
		cp_json_end(&w);
		cp_json_endl(&w);
	}
	if (v != CP_SIGNIFY_VERIFIED) {
		warnx("%s: %s", o->sig, why[v]);
		return CP_EXIT_NO;
	}
	if (!o->json && !o->quiet)
		puts("Signature Verified");
	return CP_EXIT_YES;
}

static void
check_usage(struct opts *o)
{
	if (o->verb == NONE)
		cp_prog_usage(help);
	if (o->verb == GENERATE) {
		if (o->pub == NULL || o->sec == NULL)
			errx(CP_EXIT_ERR, "-G needs -p PUBKEY and -s SECKEY");
		if (!o->nokdf)
			errx(CP_EXIT_ERR, "encrypted secret keys are not supported (no bcrypt_pbkdf): "
			    "use -n for an unencrypted key, kept outside the plane");
		if (o->msg || o->sig || o->quiet)
			errx(CP_EXIT_ERR, "-G takes no -m, -x or -q");
		if (strcmp(o->pub, "-") == 0 || strcmp(o->sec, "-") == 0)
			errx(CP_EXIT_ERR, "-G writes keys to files, not to standard output");
		return;
	}
	if (o->nokdf || o->comment)
		errx(CP_EXIT_ERR, "-n and -c are for -G");
	if (o->msg == NULL)
		errx(CP_EXIT_ERR, "%s needs -m MESSAGE", o->verb == SIGN ? "-S" : "-V");
	if (o->verb == SIGN && (o->sec == NULL || o->pub || o->quiet))
		errx(CP_EXIT_ERR, "-S needs -s SECKEY and takes no -p or -q");
	if (o->verb == VERIFY && (o->pub == NULL || o->sec || o->root))
		errx(CP_EXIT_ERR, "-V needs -p PUBKEY and takes no -s or -C");
	if (o->sig == NULL) {
		if (strcmp(o->msg, "-") == 0)
			errx(CP_EXIT_ERR, "a message on standard input needs -x SIGFILE");
		o->sigbuf = xmalloc(strlen(o->msg) + 5);
		strcpy(o->sigbuf, o->msg);
		strcat(o->sigbuf, ".sig");
		o->sig = o->sigbuf;
	}
	if (strcmp(o->msg, "-") == 0 && strcmp(o->sig, "-") == 0 && o->verb == VERIFY)
		errx(CP_EXIT_ERR, "standard input is used twice");
	if (o->verb == SIGN && o->json && strcmp(o->sig, "-") == 0)
		errx(CP_EXIT_ERR, "--json and -x - exclude each other");
	if (o->verb == VERIFY && o->json && o->quiet)
		errx(CP_EXIT_ERR, "--json and -q exclude each other");
}

static void
set_verb(struct opts *o, enum verb v)
{
	if (o->verb != NONE && o->verb != v)
		errx(CP_EXIT_ERR, "one of -G, -S and -V, please");
	o->verb = v;
}

int
main(int argc, char *argv[])
{
	struct opts o = { .comment = NULL };
	int c;

	cp_prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "C:GSVc:m:np:qs:x:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'G': set_verb(&o, GENERATE); break;
		case 'S': set_verb(&o, SIGN); break;
		case 'V': set_verb(&o, VERIFY); break;
		case 'C': o.root = optarg; break;
		case 'c': o.comment = optarg; break;
		case 'm': o.msg = optarg; break;
		case 'n': o.nokdf = 1; break;
		case 'p': o.pub = optarg; break;
		case 'q': o.quiet = 1; break;
		case 's': o.sec = optarg; break;
		case 'x': o.sig = optarg; break;
		case OPT_JSON: o.json = 1; break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	if (optind != argc)
		errx(CP_EXIT_ERR, "no operands, please: files are named by -p, -s, -m and -x");
	check_usage(&o);
	if (o.root == NULL)
		o.root = getenv("CONTROL_PLANE_ROOT");
	if (o.comment == NULL)
		o.comment = "signify";
	switch (o.verb) {
	case GENERATE: c = generate(&o); break;
	case SIGN: c = sign(&o); break;
	default: c = verify(&o); break;
	}
	free(o.sigbuf);
	cp_prog_exit(c);
}
