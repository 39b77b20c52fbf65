/* user: what a user name may be, the one rule the roles file and the tokens share.
 * SPDX-License-Identifier: ISC */
#ifndef CP_USER_H
#define CP_USER_H

#include <stddef.h>

#define CP_USER_MAX 256		/* bytes of a user name */

/*
 * 1 if user[0..len) is a valid user name: 1 to CP_USER_MAX bytes of valid
 * UTF-8 with no control character and no ':' (so a token splits at its
 * first ':', and a name cannot smuggle a line into logs), not starting or
 * ending with a blank; spaces and non-ASCII inside are names, as the Python
 * tools took them.  Else 0.
 */
int cp_user_valid(const char *user, size_t len);

#endif
