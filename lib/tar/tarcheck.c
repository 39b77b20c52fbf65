/* tarcheck: names, types, modes, links, duplicates and caps of archive entries. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
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
cp_tarlimits_default(struct cp_tarlimits *l)
{
	l->max_bytes = (uint64_t)8 << 30;
	l->max_entries = 50000;
	l->max_entry_size = (uint64_t)4 << 30;
	l->max_ratio = 200;
	l->max_path = PATH_MAX - 1;
	l->max_depth = 64;
}

int
cp_tarcheck_path(const char *name, const struct cp_tarlimits *l, char **out,
    const char **why)
{
	const char *p = name, *c;
	size_t n, depth = 0, len = strlen(name), o = 0;
	char *buf;

	*out = NULL;
	if (len == 0)
		return *why = "empty name", -1;
	if (len > l->max_path)
		return *why = "name too long", -1;
	if (name[0] == '/')
		return *why = "absolute path", -1;
	buf = xmalloc(len + 1);
	while (*p != '\0') {
		for (c = p; *c != '\0' && *c != '/'; c++)
			;
		n = (size_t)(c - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(buf);
			return *why = "'..' in the path", -1;
		}
		if (n > NAME_MAX) {
			free(buf);
			return *why = "a path component is longer than NAME_MAX", -1;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (++depth > l->max_depth) {
				free(buf);
				return *why = "path too deep", -1;
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

static int refuse(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Each ".." of a leading run climbs a real directory (no symlink can be on
 * the way to an entry); a ".." after a name could climb out of whatever
 * that name turns out to be.
 */
int
cp_tarcheck_symlink(const char *path, const char *target, const struct cp_tarlimits *l,
    char *why, size_t whysz)
{
	const char *p = target, *c;
	size_t n, ups = 0, depth = 0, named = 0;
	char q[QUOTED];

	cp_quote_cstr(q, sizeof(q), target);
	if (*target == '\0')
		return refuse(why, whysz, "empty symlink target");
	if (strlen(target) > l->max_path)
		return refuse(why, whysz, "symlink target too long");
	if (target[0] == '/')
		return refuse(why, whysz, "symlink to an absolute path %s", q);
	for (c = path; *c != '\0'; c++)
		depth += *c == '/';
	while (*p != '\0') {
		for (c = p; *c != '\0' && *c != '/'; c++)
			;
		n = (size_t)(c - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (named)
				return refuse(why, whysz, "symlink target %s has '..' after a name", q);
			if (++ups > depth)
				return refuse(why, whysz, "symlink target %s leaves the destination", q);
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
entry_rules(struct cp_tarcheck *c, const struct cp_tarentry *e, const char *path,
    char *why, size_t whysz)
{
	const char *lwhy;
	char *target;
	size_t *v;
	char q[QUOTED];

	if (e->link != NULL)
		cp_quote_cstr(q, sizeof(q), e->link);
	switch (e->type) {
	case CP_TAR_CHAR: return refuse(why, whysz, "character device");
	case CP_TAR_BLOCK: return refuse(why, whysz, "block device");
	case CP_TAR_FIFO: return refuse(why, whysz, "FIFO");
	case CP_TAR_SOCKET: return refuse(why, whysz, "socket");
	case CP_TAR_OTHER: return refuse(why, whysz, "unknown entry type");
	case CP_TAR_SYMLINK:
		if (!(c->flags & CP_TARCHECK_SYMLINKS))
			return refuse(why, whysz, "symbolic link to %s (refused without --allow-symlinks)", q);
		if (cp_tarcheck_symlink(path, e->link, &c->lim, why, whysz) == -1)
			return -1;
		break;
	}
	if (e->mode & 04000)
		return refuse(why, whysz, "setuid bit");
	if (e->mode & 02000)
		return refuse(why, whysz, "setgid bit");
	if (e->mode & 01000)
		return refuse(why, whysz, "sticky bit");
	if (c->lim.max_entry_size > 0 && e->size > c->lim.max_entry_size)
		return refuse(why, whysz, "%llu bytes, over the single-entry cap of %llu",
		    (unsigned long long)e->size, (unsigned long long)c->lim.max_entry_size);
	c->total += e->size;
	if (c->lim.max_bytes > 0 && c->total > c->lim.max_bytes)
		return refuse(why, whysz, "the archive unpacks to more than %llu bytes",
		    (unsigned long long)c->lim.max_bytes);
	if (e->type == CP_TAR_HARDLINK) {
		if (cp_tarcheck_path(e->link, &c->lim, &target, &lwhy) == -1)
			return refuse(why, whysz, "hard link to %s: %s", q, lwhy);
		v = cp_strmap_ref(c->paths, target, strlen(target));
		free(target);
		if (v == NULL || *v % 4 != K_FILE)
			return refuse(why, whysz, "hard link to %s, which is not an earlier regular file", q);
	}
	return 0;
}

/* Every ancestor must be a directory; the path itself must be new (or a directory made implicit earlier). */
static int
place(struct cp_tarcheck *c, const struct cp_tarentry *e, const char *path,
    const char **stored, char *why, size_t whysz)
{
	const char *slash;
	size_t *v;
	int added, kind = kind_of(e->type), lenient = c->flags & CP_TARCHECK_LENIENT;
	char q[QUOTED];

	for (slash = strchr(path, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		v = cp_strmap_put(c->paths, path, (size_t)(slash - path), &added, NULL);
		if (added || *v % 4 == K_IMPLICIT || *v % 4 == K_DIR || lenient)
			continue;
		return refuse(why, whysz, "%s is not a directory in this archive",
		    cp_quote(q, sizeof(q), path, (size_t)(slash - path)));
	}
	v = cp_strmap_put(c->paths, path, strlen(path), &added, stored);
	if (!added && !lenient) {
		if (*v % 4 == K_IMPLICIT && kind != K_DIR)
			return refuse(why, whysz, "also a directory's parent in this archive");
		if (*v % 4 != K_IMPLICIT)
			return refuse(why, whysz, "appears twice in the archive");
	}
	*v = (size_t)e->index * 4 + kind;
	return 0;
}

int
cp_tarcheck_entry(struct cp_tarcheck *c, const struct cp_tarentry *e,
    const char **path, char *why, size_t whysz)
{
	const char *pwhy;
	char *norm;
	int rc;

	*path = NULL;
	if (c->lim.max_entries > 0 && e->index > c->lim.max_entries)
		return refuse(why, whysz, "more than %llu entries in the archive",
		    (unsigned long long)c->lim.max_entries);
	if (c->flags & CP_TARCHECK_LENIENT) {
		if (cp_tarcheck_path(e->name, &c->lim, &norm, &pwhy) == -1 || *norm == '\0') {
			free(norm);
			return 0;
		}
		rc = place(c, e, norm, path, why, whysz);
		free(norm);
		return rc;
	}
	if (cp_tarcheck_path(e->name, &c->lim, &norm, &pwhy) == -1)
		return refuse(why, whysz, "%s", pwhy);
	if (*norm == '\0') {
		free(norm);
		if (e->type == CP_TAR_DIR)
			return 0;
		return refuse(why, whysz, "names the destination directory itself");
	}
	rc = entry_rules(c, e, norm, why, whysz);
	if (rc == 0)
		rc = place(c, e, norm, path, why, whysz);
	free(norm);
	return rc;
}

uint64_t
cp_tarcheck_link_index(const struct cp_tarcheck *c, const struct cp_tarentry *e)
{
	const char *why;
	char *target;
	size_t *v;

	if (e->type != CP_TAR_HARDLINK || cp_tarcheck_path(e->link, &c->lim, &target, &why) == -1)
		return 0;
	v = cp_strmap_ref(c->paths, target, strlen(target));
	free(target);
	return v != NULL && *v % 4 == K_FILE ? (uint64_t)(*v / 4) : 0;
}
