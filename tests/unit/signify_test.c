/* signify_test: hash/signify from C: keys round trip, the strict reader, the naming rule.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash/signify.h"
#include "unit.h"

/* signify's signature of tests/data/cp-sign/msg with kat.sec (made by signify-openbsd). */
static const char katsig[] =
    "untrusted comment: verify with kat.pub\n";

static char *
slurp(const char *path, size_t *len)
{
	char *buf = malloc(4096);
	FILE *fp = fopen(path, "rb");

	*len = 0;
	if (fp == NULL || buf == NULL) {
		free(buf);
		if (fp)
			fclose(fp);
		return NULL;
	}
	*len = fread(buf, 1, 4095, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static char *
data(const char *name, size_t *len)
{
	char path[4096];
	const char *top = getenv("CP_TOP");

	snprintf(path, sizeof(path), "%s/tests/data/cp-sign/%s", top ? top : ".", name);
	return slurp(path, len);
}

/* Parse text (a signature) with one byte at pos replaced by c; the result of the parse. */
static int
parse_with(const char *text, size_t len, size_t pos, char c)
{
	struct cp_signify_sig sig;
	char buf[4096];

	memcpy(buf, text, len);
	buf[pos] = c;
	return cp_signify_parse_sig(buf, len, &sig, NULL, NULL);
}

int
main(void)
{
	struct cp_signify_pub pub, kpub;
	struct cp_signify_sec sec, ksec;
	struct cp_signify_sig sig, ksig;
	cp_signify_comment comment;
	struct cp_err e;
	unsigned char *msg;
	size_t len, msglen, i;
	char *text, *sigtext, *mine;
	int bad;

	/* A fresh key pair signs and verifies; another message or key does not. */
	CHECK(cp_signify_generate(&pub, &sec, &e) == 0, "a key pair is generated");
	CHECK(memcmp(pub.keynum, sec.keynum, CP_SIGNIFY_KEYNUMLEN) == 0, "both keys carry one key number");
	CHECK(memcmp(pub.key, sec.seckey + 32, 32) == 0, "the secret key ends with the public key");
	CHECK(cp_signify_sign(&sec, "abc", 3, &sig, &e) == 0, "a message is signed");
	CHECK(cp_signify_verify(&pub, &sig, "abc", 3, &e) == CP_SIGNIFY_VERIFIED, "and verified");
	CHECK(cp_signify_verify(&pub, &sig, "abd", 3, &e) == CP_SIGNIFY_BADSIG, "another message: bad signature");
	sig.keynum[0] ^= 1;
	CHECK(cp_signify_verify(&pub, &sig, "abc", 3, &e) == CP_SIGNIFY_WRONGKEY, "another key number: wrong key");
	cp_signify_sec_wipe(&sec);

	/* The known answers: signify's keys and signature. */
	text = data("kat.pub", &len);
	CHECK(text != NULL && cp_signify_parse_pub(text, len, &kpub, comment, &e) == 0, "signify's public key parses");
	CHECK_STR(comment, "cp-sign known answer public key", "its comment");
	free(text);
	text = data("kat.sec", &len);
	CHECK(text != NULL && cp_signify_parse_sec(text, len, &ksec, NULL, &e) == 0, "signify's secret key parses");
	free(text);
	CHECK(memcmp(kpub.keynum, ksec.keynum, 8) == 0, "their key numbers agree");
	sigtext = data("msg.sig", &len);
	CHECK(sigtext != NULL && cp_signify_parse_sig(sigtext, len, &ksig, NULL, &e) == 0, "signify's signature parses");
	CHECK(strncmp(sigtext, katsig, strlen(katsig)) == 0, "its comment names kat.pub");
	msg = (unsigned char *)data("msg", &msglen);
	CHECK(cp_signify_verify(&kpub, &ksig, msg, msglen, &e) == CP_SIGNIFY_VERIFIED, "signify's signature verifies");
	CHECK(cp_signify_sign(&ksec, msg, msglen, &sig, &e) == 0 &&
	    memcmp(&sig, &ksig, sizeof(sig)) == 0, "the same key signs the same bytes");
	CHECK(cp_signify_sig_comment("some/dir/kat.sec", comment, &e) == 0, "a signature comment");
	CHECK_STR(comment, "verify with kat.pub", "names the public key's base name");
	mine = cp_signify_text_sig(&sig, comment, &len, &e);
	CHECK(mine != NULL && strcmp(mine, sigtext) == 0, "the signature's text is signify's");
	free(mine);
	cp_signify_sec_wipe(&ksec);

	/* The reader: every single-byte change of the base64 line or the framing fails or changes nothing. */
	len = strlen(sigtext);
	bad = 0;
	for (i = 0; i < len; i++) {
		int rc = parse_with(sigtext, len, i, sigtext[i] == 'A' ? 'B' : 'A');

		if (i >= strlen(katsig) && rc == 0) {
			struct cp_signify_sig s2;
			char buf[4096];

			memcpy(buf, sigtext, len);
			buf[i] = sigtext[i] == 'A' ? 'B' : 'A';
			/* A change inside the base64 may decode: then the record must differ. */
			cp_signify_parse_sig(buf, len, &s2, NULL, NULL);
			if (memcmp(&s2, &ksig, sizeof(s2)) == 0)
				bad++;
		}
	}
	CHECK(bad == 0, "no other text reads as the same signature");
	CHECK(parse_with(sigtext, len, len - 1, '\r') == -1, "no newline at the end");
	CHECK(parse_with(sigtext, len, 0, 'U') == -1, "the header's case matters");
	CHECK(parse_with(sigtext, len, len - 2, 'A') == -1, "padding required");
	CHECK(cp_signify_parse_sig(sigtext, len - 1, &sig, NULL, &e) == -1, "a missing last newline");
	CHECK_STR(e.msg, "not a signify signature: missing newline after the base64 line", "is said");
	CHECK(cp_signify_parse_sig(sigtext, 0, &sig, NULL, &e) == -1, "an empty file");
	CHECK(cp_signify_parse_sig("untrusted comment: ", 19, &sig, NULL, &e) == -1, "a header alone");
	free(sigtext);

	/* The naming rule. */
	CHECK(cp_signify_keynames("a/k.pub", "b/k.sec", NULL) == 0, "NAME.pub and NAME.sec in two directories");
	CHECK(cp_signify_keynames("k.pub", "j.sec", NULL) == -1, "two names");
	CHECK(cp_signify_keynames(NULL, ".sec", NULL) == -1, "an empty NAME");
	CHECK(cp_signify_keynames(NULL, "k.sec/", NULL) == -1, "a trailing slash");
	CHECK(cp_signify_keynames("k.pubx", "k.sec", NULL) == -1, "a longer public name");

	free(msg);
	return UNIT_END();
}
