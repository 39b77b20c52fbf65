/* fuzz_signify: signify's public key, secret key and signature files read as hostile input (hash/signify).
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "hash/signify.h"

/*
 * The first byte picks the file read (public key, secret key, signature);
 * the rest is its text.  What parses is written back as signify writes it
 * and reads again to the same bytes and comment.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cp_signify_comment comment, comment2;
	struct cp_signify_pub pub;
	struct cp_signify_sec sec;
	struct cp_signify_sig sig, sig2;
	struct cp_err e;
	const char *text = (const char *)data + 1;
	size_t len = size - 1, tlen;
	char *back;
	int rc;

	if (size < 1)
		return 0;
	cp_err_clear(&e);
	switch (data[0] % 3) {
	case 0:
		rc = cp_signify_parse_pub(text, len, &pub, comment, &e);
		break;
	case 1:
		rc = cp_signify_parse_sec(text, len, &sec, comment, &e);
		if (rc == 0) {
			/* The secret key signs what its public half verifies. */
			struct cp_signify_pub p;

			memcpy(p.keynum, sec.keynum, sizeof(p.keynum));
			memcpy(p.key, sec.seckey + CP_SIGNIFY_SEEDLEN, sizeof(p.key));
			FUZZ_ASSERT(cp_signify_sign(&sec, data, size, &sig, &e) == 0);
			FUZZ_ASSERT(cp_signify_verify(&p, &sig, data, size, &e) == CP_SIGNIFY_VERIFIED);
			cp_signify_sec_wipe(&sec);
		}
		break;
	default:
		rc = cp_signify_parse_sig(text, len, &sig, comment, &e);
		if (rc == 0) {
			FUZZ_ASSERT((back = cp_signify_text_sig(&sig, comment, &tlen, &e)) != NULL);
			FUZZ_ASSERT(cp_signify_parse_sig(back, tlen, &sig2, comment2, &e) == 0);
			FUZZ_ASSERT(memcmp(&sig, &sig2, sizeof(sig)) == 0 &&
			    strcmp(comment, comment2) == 0);
			/* signify's bytes exactly: the file read was already canonical. */
			FUZZ_ASSERT(tlen == len && memcmp(back, text, len) == 0);
			free(back);
		}
		break;
	}
	if (rc == -1)
		FUZZ_ASSERT(e.msg[0] != '\0');
	else
		FUZZ_ASSERT(rc == 0 && strlen(comment) >= 1 && strchr(comment, '\n') == NULL);
	return 0;
}
