/* roles: which actions each role grants (design.md section 3), and the plane's user -> roles file.
 * SPDX-License-Identifier: ISC */
#ifndef CP_ROLES_H
#define CP_ROLES_H

#include <stddef.h>

#include "base/err.h"

/* The actions, one bit each, in the order of design.md's table. */
enum {
	CP_ACT_CREATE = 1 << 0,
	CP_ACT_INSTALL = 1 << 1,
	CP_ACT_UPDATE = 1 << 2,
	CP_ACT_REMOVE = 1 << 3,
	CP_ACT_PACK = 1 << 4,
	CP_ACT_VERIFY = 1 << 5,
	CP_ACT_HASH_UPDATE = 1 << 6,
	CP_ACT_CHECKPOINT = 1 << 7,
	CP_ACT_ROLLBACK = 1 << 8
};

/* The bit of the action named name ("install", "hash_update"...), or 0 if there is none. */
unsigned cp_roles_action(const char *name);

/* The action names, space-separated, in table order (for usage messages). */
const char *cp_roles_action_list(void);

/*
 * The actions role grants: admin all seven; maintainer install, update,
 * remove, pack, verify; auditor and reader verify.  An unknown role grants
 * nothing and sets *known (if not NULL) to 0.
 */
unsigned cp_roles_grants(const char *role, int *known);

/* A list of role names.  Caller-allocated; zero it, free with cp_roles_list_free. */
struct cp_roles_list {
	char **name;
	size_t n;
};

/*
 * Append the roles of the comma list s (as the roles column holds them:
 * "maintainer,auditor"; blanks around a name trimmed, empty names skipped)
 * to l.  Returns 0, or -1 if a name holds a character other than
 * [A-Za-z0-9_.-] (l then unchanged).
 */
int cp_roles_list_parse(struct cp_roles_list *l, const char *s);

/* Append one role name (copied) to l. */
void cp_roles_list_add(struct cp_roles_list *l, const char *name);

/* The union of what every role of l grants. */
unsigned cp_roles_list_grants(const struct cp_roles_list *l);

/* Append copies of every name of from to l. */
void cp_roles_list_copy(struct cp_roles_list *l, const struct cp_roles_list *from);

void cp_roles_list_free(struct cp_roles_list *l);

/* One row of the roles file: a user and the roles it holds. */
struct cp_roles_row {
	char *user;
	struct cp_roles_list roles;
	unsigned long line;	/* its line in the file */
};

struct cp_strmap;

/* The plane's roles file, loaded.  Caller-allocated; zero it. */
struct cp_roles_file {
	struct cp_roles_row *row;
	size_t n;
	struct cp_strmap *index;	/* user -> its row */
};

#define CP_ROLES_FIELD_MAX 65536	/* bytes of one field of the roles file */
#define CP_ROLES_RECORD_MAX (1024 * 1024)	/* bytes of one record */

/*
 * Load the roles file at path (registries/roles.csv): a CSV with the
 * columns user and roles (more columns are allowed and ignored), roles a
 * comma list of role names (quoted in the CSV: "maintainer,auditor"), read
 * through lib/csv as every registry is (CRLF or LF, fields and records
 * capped at CP_ROLES_FIELD_MAX and CP_ROLES_RECORD_MAX).  Returns 0, or -1
 * with e saying what is wrong and where ("PATH:LINE: ..."): the file
 * cannot be opened or read, is not a regular file, a malformed CSV record,
 * no user or roles column, an invalid user name (see cp_user_valid)
 * or role name, a user with two rows.  On failure f is left empty.  An
 * unknown but well-formed role name is kept: it grants nothing.
 */
int cp_roles_load(struct cp_roles_file *f, const char *path, struct cp_err *e);

/* The row of user, or NULL when the user has none (and so no roles). */
const struct cp_roles_row *cp_roles_find(const struct cp_roles_file *f, const char *user);

void cp_roles_file_free(struct cp_roles_file *f);

#endif
