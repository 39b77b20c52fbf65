/* fuzz_dsse: DSSE envelopes (hash/dsse) checked against a signify key.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "hash/dsse.h"
#include "hash/signify.h"

/* The key of /work/shared/vectors/signing (test.pub): keyid 0123456789abcdef. */
static const char pubtext[] = "untrusted comment: cp vector public key\n"
    "RWQBI0VniavN7wOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4\n";

/*
 * The input is the envelope, checked against two trusted keys (a dummy
 * first, then the vector's).  The verdict is one of three, with a message
 * and no body unless verified; a verified body is the tail of its PAE.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cp_signify_pub keys[2];
	static int once;
	struct cp_err e;
	size_t which = 99, blen = 0;
	char *body = NULL;
	unsigned char *pae;
	size_t plen;
	int rc;

	if (!once) {
		cp_err_clear(&e);
		FUZZ_ASSERT(cp_signify_parse_pub(pubtext, strlen(pubtext), &keys[1], NULL, &e) == 0);
		memset(&keys[0], 0x5a, sizeof(keys[0]));	/* another trusted key, first */
		once = 1;
	}
	cp_err_clear(&e);
	rc = cp_dsse_verify((const char *)data, size, "application/vnd.in-toto+json", keys, 2,
	    &which, &body, &blen, &e);
	FUZZ_ASSERT(rc == 0 || rc == 1 || rc == -1);
	if (rc != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0' && body == NULL);
		return 0;
	}
	FUZZ_ASSERT(which < 2 && body != NULL);
	pae = cp_dsse_pae("application/vnd.in-toto+json", body, blen, &plen);
	FUZZ_ASSERT(plen > blen && memcmp(pae + plen - blen, body, blen) == 0);
	free(pae);
	free(body);
	return 0;
}
