/* roles: the role -> actions table of design.md section 3, lists of role names, the roles file.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/roles.h"
#include "auth/user.h"
#include "base/err.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "registry/registry.h"
#include "text/csv.h"

static const struct {
	const char *name;
	unsigned bit;
} actions[] = {
	{ "create", CP_ACT_CREATE },
	{ "install", CP_ACT_INSTALL },
	{ "update", CP_ACT_UPDATE },
	{ "remove", CP_ACT_REMOVE },
	{ "pack", CP_ACT_PACK },
	{ "verify", CP_ACT_VERIFY },
	{ "hash_update", CP_ACT_HASH_UPDATE },
	{ "checkpoint", CP_ACT_CHECKPOINT },
	{ "rollback", CP_ACT_ROLLBACK },
};

static const struct {
	const char *name;
	unsigned grants;
} roles[] = {
	/* the Python tools' table (lib/authz.py), checkpoint and rollback included */
	{ "admin", CP_ACT_CREATE | CP_ACT_INSTALL | CP_ACT_UPDATE | CP_ACT_REMOVE |
	    CP_ACT_PACK | CP_ACT_VERIFY | CP_ACT_HASH_UPDATE | CP_ACT_CHECKPOINT |
	    CP_ACT_ROLLBACK },
	{ "maintainer", CP_ACT_INSTALL | CP_ACT_UPDATE | CP_ACT_REMOVE | CP_ACT_PACK |
	    CP_ACT_VERIFY | CP_ACT_CHECKPOINT },
	{ "auditor", CP_ACT_VERIFY },
	{ "reader", CP_ACT_VERIFY },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

unsigned
cp_roles_action(const char *name)
{
	size_t i;

	/* as the Python tools matched them: INSTALL is install */
	for (i = 0; i < NELEM(actions); i++)
		if (strcasecmp(actions[i].name, name) == 0)
			return actions[i].bit;
	return 0;
}

const char *
cp_roles_action_list(void)
{
	return "create install update remove pack verify hash_update checkpoint rollback";
}

unsigned
cp_roles_grants(const char *role, int *known)
{
	size_t i;

	for (i = 0; i < NELEM(roles); i++)
		if (strcmp(roles[i].name, role) == 0) {
			if (known != NULL)
				*known = 1;
			return roles[i].grants;
		}
	if (known != NULL)
		*known = 0;
	return 0;
}

static int
is_rolechar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c == '.' || c == '-';
}

void
cp_roles_list_add(struct cp_roles_list *l, const char *name)
{
	l->name = xreallocarray(l->name, l->n + 1, sizeof(*l->name));
	l->name[l->n++] = xstrdup(name);
}

int
cp_roles_list_parse(struct cp_roles_list *l, const char *s)
{
	const char *p = s, *end = s + strlen(s), *item;
	size_t n0 = l->n, len, i;

	/* The same comma-list rule as the registries' deps and dependencies. */
	while (cp_registry_list_next(&p, end, &item, &len)) {
		for (i = 0; i < len; i++)
			if (!is_rolechar(item[i])) {
				while (l->n > n0)
					free(l->name[--l->n]);
				return -1;
			}
		l->name = xreallocarray(l->name, l->n + 1, sizeof(*l->name));
		l->name[l->n++] = xstrndup(item, len);
	}
	return 0;
}

unsigned
cp_roles_list_grants(const struct cp_roles_list *l)
{
	unsigned g = 0;
	size_t i;

	for (i = 0; i < l->n; i++)
		g |= cp_roles_grants(l->name[i], NULL);
	return g;
}

void
cp_roles_list_copy(struct cp_roles_list *l, const struct cp_roles_list *from)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		cp_roles_list_add(l, from->name[i]);
}

void
cp_roles_list_free(struct cp_roles_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->name[i]);
	free(l->name);
	l->name = NULL;
	l->n = 0;
}

/*
 * Open path for reading as a regular file: O_NONBLOCK so that a FIFO
 * planted in the plane cannot hang the caller, then cleared.
 */
static FILE *
open_regular(const char *path, struct cp_err *e)
{
	struct stat st;
	FILE *fp = NULL;
	int fd, errnum;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) == -1) {
		cp_err_set(e, errno, "%s", path);
		return NULL;
	}
	if (fstat(fd, &st) == -1)
		errnum = errno;
	else if (!S_ISREG(st.st_mode))
		errnum = 0;
	else if (fcntl(fd, F_SETFL, 0) == -1 || (fp = fdopen(fd, "r")) == NULL)
		errnum = errno;
	else
		return fp;
	if (errnum != 0)
		cp_err_set(e, errnum, "%s", path);
	else
		cp_err_set(e, 0, "%s: not a regular file", path);
	close(fd);
	return NULL;
}

/* Add one record of the roles file to f.  Returns 0, or -1 (e). */
static int
add_row(struct cp_roles_file *f, const char *path, const struct cp_csv_row *row,
    long cuser, long croles, struct cp_err *e)
{
	const char *user = row->field[cuser];
	struct cp_roles_row *r;
	char q[96];
	size_t first;

	if (!cp_user_valid(user, row->len[cuser])) {
		cp_registry_quote(q, sizeof(q), user, row->len[cuser]);
		return cp_err_set(e, 0, "%s:%lu: invalid user %s (1 to %d printable ASCII "
		    "characters, no blank, no ':')", path, row->line, q, CP_USER_MAX);
	}
	if (!cp_strmap_add(f->index, user, row->len[cuser], f->n, &first)) {
		return cp_err_set(e, 0, "%s:%lu: user %s has a second row (the first is on "
		    "line %lu)", path, row->line, user, f->row[first].line);
	}
	f->row = xreallocarray(f->row, f->n + 1, sizeof(*f->row));
	r = &f->row[f->n++];
	r->user = xstrdup(user);
	r->line = row->line;
	r->roles.name = NULL;
	r->roles.n = 0;
	if (cp_roles_list_parse(&r->roles, row->field[croles]) == -1) {
		cp_registry_quote(q, sizeof(q), row->field[croles], row->len[croles]);
		return cp_err_set(e, 0, "%s:%lu: user %s: invalid roles %s (a comma list of "
		    "names made of A-Z a-z 0-9 _ . -)", path, row->line, user, q);
	}
	return 0;
}

int
cp_roles_load(struct cp_roles_file *f, const char *path, struct cp_err *e)
{
	static const struct cp_csv_limits lim = { CP_ROLES_FIELD_MAX, CP_ROLES_RECORD_MAX, 0 };
	struct cp_csv_reader *r;
	struct cp_csv_row row;
	long cuser, croles;
	FILE *fp;
	int rc;

	f->row = NULL;
	f->n = 0;
	f->index = NULL;
	if ((fp = open_regular(path, e)) == NULL)
		return -1;
	f->index = cp_strmap_new();
	r = cp_csv_open(fp, path, &lim);
	if ((rc = cp_csv_read_header(r)) == 0) {
		cuser = cp_csv_column(r, "user");
		croles = cp_csv_column(r, "roles");
		if (cuser == -1 || croles == -1) {
			cp_err_set(e, 0, "%s:%lu: the header has no %s column (the "
			    "columns are user,roles)", path, cp_csv_header_row(r)->line,
			    cuser == -1 ? "user" : "roles");
			rc = -2;
		}
	}
	while (rc == 0 && (rc = cp_csv_read_row(r, &row)) == 1)
		rc = add_row(f, path, &row, cuser, croles, e) == 0 ? 0 : -2;
	if (rc == -1 && e != NULL)
		*e = *cp_csv_error(r);
	cp_csv_close(r);
	fclose(fp);
	if (rc != 0) {
		cp_roles_file_free(f);
		return -1;
	}
	return 0;
}

const struct cp_roles_row *
cp_roles_find(const struct cp_roles_file *f, const char *user)
{
	size_t i;

	if (f->index == NULL || !cp_strmap_get(f->index, user, strlen(user), &i))
		return NULL;
	return &f->row[i];
}

void
cp_roles_file_free(struct cp_roles_file *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->row[i].user);
		cp_roles_list_free(&f->row[i].roles);
	}
	free(f->row);
	if (f->index != NULL)
		cp_strmap_free(f->index);
	f->row = NULL;
	f->n = 0;
	f->index = NULL;
}
