/* fuzz_token: the hmac provider's tokens, "user:" + hex HMAC-SHA256 (auth/auth).
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "auth/auth.h"

/*
 * The input is a token checked against a fixed secret.  A token accepted
 * is exactly the one cp_auth_token_make makes for its user; a rejection
 * gives a reason and a claimed user that is "" or a valid name.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char secret[] = "fuzz-secret-0123456789abcdef";
	char user[CP_USER_MAX + 1], made[CP_AUTH_TOKEN_MAX + 1];
	const char *reason = NULL;
	int rc;

	rc = cp_auth_token_check(secret, sizeof(secret) - 1, (const char *)data, size, user, &reason);
	FUZZ_ASSERT(rc == 0 || rc == 1);
	if (rc == 0) {
		FUZZ_ASSERT(cp_auth_token_make(secret, sizeof(secret) - 1, user, made) == 0);
		FUZZ_ASSERT(strlen(made) == size && memcmp(made, data, size) == 0);
	} else {
		FUZZ_ASSERT(reason != NULL && reason[0] != '\0');
		FUZZ_ASSERT(user[0] == '\0' || cp_user_valid(user, strlen(user)));
		/* A valid name the token claims gets a token of its own, which passes. */
		if (user[0] != '\0') {
			char u2[CP_USER_MAX + 1];

			FUZZ_ASSERT(cp_auth_token_make(secret, sizeof(secret) - 1, user, made) == 0);
			FUZZ_ASSERT(cp_auth_token_check(secret, sizeof(secret) - 1, made,
			    strlen(made), u2, &reason) == 0 && strcmp(u2, user) == 0);
		}
	}
	return 0;
}
