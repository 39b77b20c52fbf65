/* fplist: a growable list of inputs and their lstat, whose paths may lie in a state file's mapping.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "plane/fplist.h"

static int64_t
ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

void
cp_fplist_key(struct cp_fp *f, const struct stat *st)
{
	if (st == NULL) {
		f->kind = 0;
		f->dev = f->ino = f->size = 0;
		f->mtime = f->ctime = 0;
		return;
	}
	f->kind = S_ISREG(st->st_mode) ? 'f' : S_ISDIR(st->st_mode) ? 'd' : 'o';
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	f->size = (uint64_t)st->st_size;
	f->mtime = ns(&st->st_mtim);
	f->ctime = ns(&st->st_ctim);
}

void
cp_fplist_add(struct cp_fplist *l, const char *path, const struct stat *st, int role)
{
	struct cp_fp *f;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	f = &l->v[l->n++];
	f->path = xstrdup(path);
	f->role = (unsigned char)role;
	cp_fplist_key(f, st);
}

void
cp_fplist_take(struct cp_fplist *to, struct cp_fplist *from)
{
	for (size_t i = 0; i < from->n; i++) {
		if (to->n == to->cap) {
			to->cap = to->cap ? 2 * to->cap : 256;
			to->v = xreallocarray(to->v, to->cap, sizeof(*to->v));
		}
		to->v[to->n++] = from->v[i];
	}
	free(from->v);
	memset(from, 0, sizeof(*from));
}

void
cp_fplist_free(struct cp_fplist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->blob == NULL || l->v[i].path < l->blob || l->v[i].path >= l->blob + l->bloblen)
			free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
