/* fuzz_roles: the plane's roles file (auth/roles, registries/roles.csv) and role lists.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "auth/roles.h"
#include "auth/user.h"

/*
 * The input is the file.  A load fails with a message and an empty file,
 * or every row has a valid user found by cp_roles_find, and what its roles
 * grant stays within the seven actions.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_roles_file f = { 0 };
	struct cp_roles_list l = { 0 };
	struct cp_err e;
	const char *path = fuzz_file("roles.csv", data, size);
	char *s;

	cp_err_clear(&e);
	if (cp_roles_load(&f, path, &e) == -1) {
		FUZZ_ASSERT(e.msg[0] != '\0' && f.n == 0);
	} else {
		for (size_t i = 0; i < f.n; i++) {
			FUZZ_ASSERT(cp_user_valid(f.row[i].user, strlen(f.row[i].user)));
			FUZZ_ASSERT(cp_roles_find(&f, f.row[i].user) == &f.row[i]);
			FUZZ_ASSERT((cp_roles_list_grants(&f.row[i].roles) & ~0x1ffu) == 0);
		}
		cp_roles_file_free(&f);
	}
	/* The same bytes as a roles column. */
	s = fuzz_str(data, size);
	if (cp_roles_list_parse(&l, s) == 0)
		for (size_t i = 0; i < l.n; i++)
			FUZZ_ASSERT(l.name[i][0] != '\0' && strspn(l.name[i],
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
			    strlen(l.name[i]));
	cp_roles_list_free(&l);
	free(s);
	return 0;
}
