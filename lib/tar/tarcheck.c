/* tarcheck: names, types, modes, links, duplicates and caps of archive entries.
 * SPDX-License-Identifier: ISC */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/quote.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "tar/tarcheck.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

/* A quoted link target or parent, cut short so that the reason after it always fits in a message. */
#define QUOTED 256

/* What a path is in the archive so far; the map's value is index * 4 + kind. */
enum { K_IMPLICIT, K_DIR, K_FILE, K_OTHER };

struct cp_tarcheck {
	struct cp_tarlimits lim;
	int flags;
	uint64_t total;
	struct cp_strmap *paths;
};

void
cp_tarcheck_limits(struct cp_tarlimits *l)
{
	l->max_bytes = (uint64_t)8 << 30;
	l->max_entries = 50000;
	l->max_entry_size = (uint64_t)4 << 30;
	l->max_ratio = 200;
	l->max_path = PATH_MAX - 1;
	l->max_depth = 64;
}

int
cp_tarcheck_stagename(const char *name, size_t n)
{
	size_t plen = strlen(CP_TAR_STAGE_PREFIX), i;

	if (n != plen + CP_TAR_STAGE_HEX || memcmp(name, CP_TAR_STAGE_PREFIX, plen) != 0)
		return 0;
	for (i = plen; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

/* Refuse a normal path that uses a name kept for the staging directories. */
static int
reserved(const char *path, struct cp_err *e)
{
	const char *p = path, *c;
	char q[QUOTED];

	for (; *p != '\0'; p = *c == '/' ? c + 1 : c) {
		for (c = p; *c != '\0' && *c != '/'; c++)
			;
		if (cp_tarcheck_stagename(p, (size_t)(c - p)) || (p == path &&
		    (size_t)(c - p) == strlen(CP_TAR_STAGE_MARK) &&
		    memcmp(p, CP_TAR_STAGE_MARK, strlen(CP_TAR_STAGE_MARK)) == 0))
			return cp_err_set(e, 0, "%s is a name reserved for cp-tar's staging directories",
			    cp_quote(q, sizeof(q), p, (size_t)(c - p)));
	}
	return 0;
}

int
cp_tarcheck_path(const char *name, const struct cp_tarlimits *l, char **out,
    struct cp_err *e)
{
	const char *p = name, *c;
	size_t n, depth = 0, len = strlen(name), o = 0;
	char *buf;

	*out = NULL;
	if (len == 0)
		return cp_err_set(e, 0, "empty name");
	if (len > l->max_path)
		return cp_err_set(e, 0, "name too long");
	if (name[0] == '/')
		return cp_err_set(e, 0, "absolute path");
	buf = xmalloc(len + 1);
	while (*p != '\0') {
		for (c = p; *c != '\0' && *c != '/'; c++)
			;
		n = (size_t)(c - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(buf);
			return cp_err_set(e, 0, "'..' in the path");
		}
		if (n > NAME_MAX) {
			free(buf);
			return cp_err_set(e, 0, "a path component is longer than NAME_MAX");
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (++depth > l->max_depth) {
				free(buf);
				return cp_err_set(e, 0, "path too deep");
			}
			if (o > 0)
				buf[o++] = '/';
			memcpy(buf + o, p, n);
			o += n;
		}
		p = *c == '/' ? c + 1 : c;
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}

struct cp_tarcheck *
cp_tarcheck_new(const struct cp_tarlimits *l, int flags)
{
	struct cp_tarcheck *c = xcalloc(1, sizeof(*c));

	c->lim = *l;
	c->flags = flags;
	c->paths = cp_strmap_new();
	return c;
}

void
cp_tarcheck_free(struct cp_tarcheck *c)
{
	if (c == NULL)
		return;
	cp_strmap_free(c->paths);
	free(c);
}

/*
 * Each ".." of a leading run climbs a real directory (no symlink can be on
 * the way to an entry); a ".." after a name could climb out of whatever
 * that name turns out to be.
 */
int
cp_tarcheck_symlink(const char *path, const char *target, const struct cp_tarlimits *l,
    struct cp_err *e)
{
	const char *p = target, *c;
	size_t n, ups = 0, depth = 0, named = 0;
	char q[QUOTED];

	cp_quote_cstr(q, sizeof(q), target);
	if (*target == '\0')
		return cp_err_set(e, 0, "empty symlink target");
	if (strlen(target) > l->max_path)
		return cp_err_set(e, 0, "symlink target too long");
	if (target[0] == '/')
		return cp_err_set(e, 0, "symlink to an absolute path %s", q);
	for (c = path; *c != '\0'; c++)
		depth += *c == '/';
	while (*p != '\0') {
		for (c = p; *c != '\0' && *c != '/'; c++)
			;
		n = (size_t)(c - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (named)
				return cp_err_set(e, 0, "symlink target %s has '..' after a name", q);
			if (++ups > depth)
				return cp_err_set(e, 0, "symlink target %s leaves the destination", q);
		} else if (n > 0 && !(n == 1 && p[0] == '.'))
			named++;
		p = *c == '/' ? c + 1 : c;
	}
	return 0;
}

static int
kind_of(int type)
{
	return type == CP_TAR_DIR ? K_DIR : type == CP_TAR_FILE ? K_FILE : K_OTHER;
}

/* The rules on type, mode, size and link target; the name is already normal. */
static int
entry_rules(struct cp_tarcheck *c, const struct cp_tarentry *ent, const char *path,
    struct cp_err *e)
{
	struct cp_err lerr;
	char *target;
	size_t *v;
	char q[QUOTED];

	if (ent->link != NULL)
		cp_quote_cstr(q, sizeof(q), ent->link);
	switch (ent->type) {
	case CP_TAR_CHAR: return cp_err_set(e, 0, "character device");
	case CP_TAR_BLOCK: return cp_err_set(e, 0, "block device");
	case CP_TAR_FIFO: return cp_err_set(e, 0, "FIFO");
	case CP_TAR_SOCKET: return cp_err_set(e, 0, "socket");
	case CP_TAR_OTHER: return cp_err_set(e, 0, "unknown entry type");
	case CP_TAR_SYMLINK:
		if (!(c->flags & CP_TARCHECK_SYMLINKS))
			return cp_err_set(e, 0, "symbolic link to %s (refused without --allow-symlinks)", q);
		if (cp_tarcheck_symlink(path, ent->link, &c->lim, e) == -1)
			return -1;
		break;
	}
	if (ent->mode & 04000)
		return cp_err_set(e, 0, "setuid bit");
	if (ent->mode & 02000)
		return cp_err_set(e, 0, "setgid bit");
	if (ent->mode & 01000)
		return cp_err_set(e, 0, "sticky bit");
	if (c->lim.max_entry_size > 0 && ent->size > c->lim.max_entry_size)
		return cp_err_set(e, 0, "%llu bytes, over the single-entry cap of %llu",
		    (unsigned long long)ent->size, (unsigned long long)c->lim.max_entry_size);
	c->total += ent->size;
	if (c->lim.max_bytes > 0 && c->total > c->lim.max_bytes)
		return cp_err_set(e, 0, "the archive unpacks to more than %llu bytes",
		    (unsigned long long)c->lim.max_bytes);
	if (ent->type == CP_TAR_HARDLINK) {
		if (cp_tarcheck_path(ent->link, &c->lim, &target, &lerr) == -1)
			return cp_err_set(e, 0, "hard link to %s: %s", q, lerr.msg);
		v = cp_strmap_ref(c->paths, target, strlen(target));
		free(target);
		if (v == NULL || *v % 4 != K_FILE)
			return cp_err_set(e, 0, "hard link to %s, which is not an earlier regular file", q);
	}
	return 0;
}

/* Every ancestor must be a directory; the path itself must be new (or a directory made implicit earlier). */
static int
place(struct cp_tarcheck *c, const struct cp_tarentry *ent, const char *path,
    const char **stored, struct cp_err *e)
{
	const char *slash;
	size_t *v;
	int added, kind = kind_of(ent->type), lenient = c->flags & CP_TARCHECK_LENIENT;
	char q[QUOTED];

	for (slash = strchr(path, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		v = cp_strmap_put(c->paths, path, (size_t)(slash - path), &added, NULL);
		if (added || *v % 4 == K_IMPLICIT || *v % 4 == K_DIR || lenient)
			continue;
		return cp_err_set(e, 0, "%s is not a directory in this archive",
		    cp_quote(q, sizeof(q), path, (size_t)(slash - path)));
	}
	v = cp_strmap_put(c->paths, path, strlen(path), &added, stored);
	if (!added && !lenient) {
		if (*v % 4 == K_IMPLICIT && kind != K_DIR)
			return cp_err_set(e, 0, "also a directory's parent in this archive");
		/* a regular file again: the caller compares the bytes (the first one stays) */
		if (*v % 4 == K_FILE && kind == K_FILE && (c->flags & CP_TARCHECK_REPEATS))
			return 1;
		if (*v % 4 != K_IMPLICIT)
			return cp_err_set(e, 0, "appears twice in the archive");
	}
	*v = (size_t)ent->index * 4 + kind;
	return 0;
}

int
cp_tarcheck_entry(struct cp_tarcheck *c, const struct cp_tarentry *ent,
    const char **path, struct cp_err *e)
{
	char *norm;
	int rc;

	*path = NULL;
	if (c->lim.max_entries > 0 && ent->index > c->lim.max_entries)
		return cp_err_set(e, 0, "more than %llu entries in the archive",
		    (unsigned long long)c->lim.max_entries);
	if (c->flags & CP_TARCHECK_LENIENT) {
		if (cp_tarcheck_path(ent->name, &c->lim, &norm, NULL) == -1 || *norm == '\0') {
			free(norm);
			return 0;
		}
		rc = place(c, ent, norm, path, e);
		free(norm);
		return rc;
	}
	if (cp_tarcheck_path(ent->name, &c->lim, &norm, e) == -1)
		return -1;
	if (*norm == '\0') {
		free(norm);
		if (ent->type == CP_TAR_DIR)
			return 0;
		return cp_err_set(e, 0, "names the destination directory itself");
	}
	rc = reserved(norm, e);
	if (rc == 0)
		rc = entry_rules(c, ent, norm, e);
	if (rc == 0)
		rc = place(c, ent, norm, path, e);
	free(norm);
	return rc;
}

uint64_t
cp_tarcheck_link_index(const struct cp_tarcheck *c, const struct cp_tarentry *ent)
{
	char *target;
	size_t *v;

	if (ent->type != CP_TAR_HARDLINK || cp_tarcheck_path(ent->link, &c->lim, &target, NULL) == -1)
		return 0;
	v = cp_strmap_ref(c->paths, target, strlen(target));
	free(target);
	return v != NULL && *v % 4 == K_FILE ? (uint64_t)(*v / 4) : 0;
}
