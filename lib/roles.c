/* roles: the role -> actions table of design.md section 3, and lists of role names. */
#include <stdlib.h>
#include <string.h>

#include "roles.h"
#include "xalloc.h"

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
};

static const struct {
	const char *name;
	unsigned grants;
} roles[] = {
	{ "admin", CP_ACT_CREATE | CP_ACT_INSTALL | CP_ACT_UPDATE | CP_ACT_REMOVE |
	    CP_ACT_PACK | CP_ACT_VERIFY | CP_ACT_HASH_UPDATE },
	{ "maintainer", CP_ACT_INSTALL | CP_ACT_UPDATE | CP_ACT_REMOVE | CP_ACT_PACK |
	    CP_ACT_VERIFY },
	{ "auditor", CP_ACT_VERIFY },
	{ "reader", CP_ACT_VERIFY },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

unsigned
cp_roles_action(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(actions); i++)
		if (strcmp(actions[i].name, name) == 0)
			return actions[i].bit;
	return 0;
}

const char *
cp_roles_action_list(void)
{
	return "create install update remove pack verify hash_update";
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

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
cp_roles_list_parse(struct cp_roles_list *l, const char *s)
{
	size_t n0 = l->n, seg, a, b, i;
	const char *p;

	for (p = s;; p += seg + 1) {
		seg = strcspn(p, ",");
		for (a = 0; a < seg && is_blank(p[a]); a++)
			;
		for (b = seg; b > a && is_blank(p[b - 1]); b--)
			;
		for (i = a; i < b; i++)
			if (!is_rolechar(p[i])) {
				while (l->n > n0)
					free(l->name[--l->n]);
				return -1;
			}
		if (b > a) {
			l->name = xreallocarray(l->name, l->n + 1, sizeof(*l->name));
			l->name[l->n++] = xstrndup(p + a, b - a);
		}
		if (p[seg] == '\0')
			return 0;
	}
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

const struct cp_roles_row *
cp_roles_find(const struct cp_roles_file *f, const char *user)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->row[i].user, user) == 0)
			return &f->row[i];
	return NULL;
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
	f->row = NULL;
	f->n = 0;
}
