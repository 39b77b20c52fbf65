/* user: the user-name rule of tokens and of the roles file.
 * SPDX-License-Identifier: ISC */
#include <stddef.h>
#include <string.h>

#include "auth/user.h"
#include "base/quote.h"
#include "base/utf8.h"

int
cp_user_valid(const char *user, size_t len)
{
	if (len == 0 || len > CP_USER_MAX)
		return 0;
	/*
	 * What the Python tools took (anything before a token's first ':'),
	 * less what would let a name forge a log line: no control character, no
	 * ':', valid UTF-8 (spaces and non-ASCII are names).  A name may not
	 * start or end with a blank, which a roles file could not tell apart.
	 */
	if (cp_quote_control_at(user, len) < len || memchr(user, ':', len) != NULL)
		return 0;
	if (user[0] == ' ' || user[len - 1] == ' ')
		return 0;
	return cp_utf8_valid(user, len, NULL);
}
