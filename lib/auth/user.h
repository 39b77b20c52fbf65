/* user: what a user name may be, the one rule the roles file and the tokens share. */
#ifndef CP_USER_H
#define CP_USER_H

#include <stddef.h>

#define CP_USER_MAX 256		/* bytes of a user name */

/*
 * 1 if user[0..len) is a valid user name: 1 to CP_USER_MAX bytes of
 * printable ASCII other than blank and ':' (so a token splits at its first
 * ':', and a name cannot smuggle control characters into logs), else 0.
 */
int cp_user_valid(const char *user, size_t len);

#endif
