/* user: the user-name rule of tokens and of the roles file. */
#include <stddef.h>

#include "auth/user.h"

int
cp_user_valid(const char *user, size_t len)
{
	size_t i;

	if (len == 0 || len > CP_USER_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (user[i] <= ' ' || user[i] > '~' || user[i] == ':')
			return 0;
	return 1;
}
