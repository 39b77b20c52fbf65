/* advice: what an integrity finding means and what fixes it: where, which package installed it, which files inside changed, the command.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* asprintf */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/beneath.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/layout.h"
#include "base/relpath.h"
#include "base/xalloc.h"
#include "plane/advice.h"
#include "plane/receipt.h"
#include "plane/report.h"
#include "text/csv.h"

/* A receipt of a package installed in the plane, its paths made plane-relative. */
struct inst {
	struct cp_receipt rc;
	char *prefix;		/* "" or "DEST/" */
	char *row_digest;	/* the packages registry's digest, or NULL */
	char *art;		/* the packages registry's artifact_path, or NULL */
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every readable receipt with a destination in the plane, in id order. */
static size_t
load_receipts(int rootfd, struct inst **out, struct cp_err *e, int *err)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_INSTALLED);
	struct inst *v = NULL;
	struct dirent *de;
	char **ids = NULL;
	size_t nids = 0, n = 0, i;
	DIR *d;
	int fd;

	*err = 0;
	*out = NULL;
	if ((fd = cp_beneath_open(rootfd, rel, O_RDONLY | O_DIRECTORY, 0, e)) == -1) {
		if (errno == ENOENT)
			return 0;
		*err = 1;
		return 0;
	}
	if ((d = fdopendir(dup(fd))) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] != '.' && len > 5 && strcmp(de->d_name + len - 5, ".info") == 0) {
			ids = xreallocarray(ids, nids + 1, sizeof(*ids));
			ids[nids++] = xstrndup(de->d_name, len - 5);
		}
	}
	closedir(d);
	if (nids > 0)
		qsort(ids, nids, sizeof(*ids), cmp_str);
	for (i = 0; i < nids; i++) {
		struct cp_receipt rc;
		struct cp_err ie;
		const char *dest;

		if (!cp_receipt_id_ok(ids[i], &ie) || cp_receipt_read(fd, ids[i], &rc, &ie) == -1) {
			free(ids[i]);
			continue;
		}
		dest = rc.destination;
		if (dest[0] == '/' || (strcmp(dest, ".") != 0 &&
		    !cp_relpath_ok(dest, strlen(dest), &ie))) {
			cp_receipt_free(&rc);	/* external, or no place in the plane */
			free(ids[i]);
			continue;
		}
		v = xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		v[n].rc = rc;
		if (strcmp(dest, ".") == 0)
			v[n].prefix = xstrdup("");
		else if (asprintf(&v[n].prefix, "%s/", dest) == -1)
			v[n].prefix = xstrdup("");
		n++;
		free(ids[i]);
	}
	free(ids);
	close(fd);
	*out = v;
	return n;
}

/* The packages registry's digest and artifact_path of each package (best effort). */
static void
load_rows(int rootfd, struct inst *v, size_t n, char ***arts, char ***artids, size_t *narts)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_PACKAGES);
	struct cp_csv_reader *rd;
	struct cp_csv_row row;
	struct cp_err e;
	long kid, kdig, kart;
	FILE *fp;
	int fd;

	*arts = *artids = NULL;
	*narts = 0;
	if ((fd = cp_beneath_open(rootfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, &e)) == -1)
		return;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return;
	}
	rd = cp_csv_open(fp, rel, NULL);
	if (cp_csv_read_header(rd) == 0 && (kid = cp_csv_column(rd, "id")) >= 0) {
		kdig = cp_csv_column(rd, "digest");
		kart = cp_csv_column(rd, "artifact_path");
		while (cp_csv_read_row(rd, &row) == 1) {
			const char *id = row.field[kid];

			for (size_t i = 0; i < n; i++)
				if (strcmp(v[i].rc.package, id) == 0 && v[i].row_digest == NULL) {
					v[i].row_digest = xstrdup(kdig >= 0 ? row.field[kdig] : "");
					v[i].art = xstrdup(kart >= 0 ? row.field[kart] : "");
				}
			if (kart >= 0 && row.field[kart][0] == '/') {
				*arts = xreallocarray(*arts, *narts + 1, sizeof(**arts));
				*artids = xreallocarray(*artids, *narts + 1, sizeof(**artids));
				(*arts)[*narts] = xstrdup(row.field[kart]);
				(*artids)[(*narts)++] = xstrdup(id);
			}
		}
	}
	cp_csv_close(rd);
	fclose(fp);
}

/* The report's file at plane-relative path, or NULL (r->files is in bytewise path order). */
static const struct cp_integrity_file *
find_file(const struct cp_integrity *r, const char *path)
{
	size_t lo = 0, hi = r->nfiles;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->files[mid].path, path);

		if (c == 0)
			return &r->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < r->nfiles; i++)	/* not sorted after all: look at each */
		if (strcmp(r->files[i].path, path) == 0)
			return &r->files[i];
	return NULL;
}

static void
add_file(struct cp_advice *a, const char *path, const char *state)
{
	a->files = xreallocarray(a->files, a->nfiles + 1, sizeof(*a->files));
	a->files[a->nfiles].path = xstrdup(path);
	a->files[a->nfiles++].state = state;
}

/* 1 when p is dir itself or lies under it. */
static int
under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static void
explain(const struct cp_integrity *r, size_t ri, struct inst *v, size_t n, char **arts,
    char **artids, size_t narts, struct cp_advice *a)
{
	const struct cp_integrity_row *row = &r->rows[ri];
	const char *rel = row->path[0] == '/' ? row->path + 1 : row->path;
	struct inst *owner = NULL;
	size_t i, j;
	int changed = 0, added = 0;
	char *full;

	memset(a, 0, sizeof(*a));
	a->row = ri;
	for (i = 0; i < n && owner == NULL; i++)
		for (j = 0; j < v[i].rc.n; j++) {
			if (asprintf(&full, "%s%s", v[i].prefix, v[i].rc.v[j].path) == -1)
				continue;
			if (under(full, rel)) {
				owner = &v[i];
				free(full);
				break;
			}
			free(full);
		}
	if (owner != NULL) {
		a->package = xstrdup(owner->rc.package);
		a->installed = 1;
		/* the receipt's files under the path, against what the run hashed */
		for (j = 0; j < owner->rc.n; j++) {
			const struct cp_integrity_file *f;
			char hex[CP_SHA256_HEXLEN + 1];

			if (asprintf(&full, "%s%s", owner->prefix, owner->rc.v[j].path) == -1)
				continue;
			if (under(full, rel)) {
				if (row->status == CP_INTEGRITY_MISSING || row->type == 'f') {
					if (row->status == CP_INTEGRITY_MISSING)
						add_file(a, full, "missing");
					else if (strcmp(row->actual, owner->rc.v[j].sha256) != 0) {
						add_file(a, full, "changed");
						changed = 1;
					}
				} else if ((f = find_file(r, full)) == NULL) {
					add_file(a, full, "missing");
					changed = 1;
				} else {
					cp_hex_encode(f->digest, sizeof(f->digest), hex);
					if (strcmp(hex, owner->rc.v[j].sha256) != 0) {
						add_file(a, full, "changed");
						changed = 1;
					}
				}
			}
			free(full);
		}
		if (row->status == CP_INTEGRITY_MISSING)
			changed = 1;
		/* a directory's files the receipt does not name */
		if (row->type == 'd')
			for (i = 0; i < r->nfiles; i++) {
				int named = 0;

				if (!under(r->files[i].path, rel))
					continue;
				for (j = 0; j < owner->rc.n && !named; j++) {
					if (asprintf(&full, "%s%s", owner->prefix, owner->rc.v[j].path) == -1)
						continue;
					named = strcmp(full, r->files[i].path) == 0;
					free(full);
				}
				if (!named) {
					add_file(a, r->files[i].path, "added");
					added = 1;
				}
			}
		if (owner->row_digest != NULL && owner->row_digest[0] != '\0' &&
		    strcmp(owner->row_digest, owner->rc.digest) != 0) {
			if (asprintf(&a->fix, "make update PKG=%s%s", a->package,
			    changed ? " FORCE=1" : "") == -1)
				a->fix = NULL;
		} else if (changed) {
			/* install records the directory as it finds it: the added files go first */
			if (asprintf(&a->fix, "%smake install PKG=%s FORCE=1", added ?
			    "remove the added files, then " : "", a->package) == -1)
				a->fix = NULL;
		} else if (a->nfiles > 0) {
			if (asprintf(&a->fix, "remove the added files, or pack them into %s (make "
			    "pack SRC=%s ID=%s, then make update PKG=%s)", a->package, rel, a->package,
			    a->package) == -1)
				a->fix = NULL;
		} else if (asprintf(&a->fix, "the files are as %s installed them: the registry's "
		    "content_hash is stale (cp-regrow -i registries/control_plane_registry.csv set %s "
		    "content_hash=%s)", a->package, row->id, row->actual) == -1)
			a->fix = NULL;
		return;
	}
	/* no receipt: a package whose row provides the path? */
	for (i = 0; i < narts; i++)
		if (strcmp(arts[i], row->path) == 0) {
			a->package = xstrdup(artids[i]);
			if (asprintf(&a->fix, "make install PKG=%s%s", a->package,
			    row->status == CP_INTEGRITY_MISSING ? "" : " FORCE=1") == -1)
				a->fix = NULL;
			return;
		}
	if (row->status == CP_INTEGRITY_MISSING) {
		if (asprintf(&a->fix, "restore %s, or drop the row: cp-regrow -i "
		    "registries/control_plane_registry.csv del %s", rel, row->id) == -1)
			a->fix = NULL;
	} else if (*row->actual) {
		if (asprintf(&a->fix, "restore %s; if the change is meant, record it: cp-regrow -i "
		    "registries/control_plane_registry.csv set %s content_hash=%s", rel, row->id,
		    row->actual) == -1)
			a->fix = NULL;
	} else if (asprintf(&a->fix, "%s is neither a file nor a directory: put the artifact back",
	    rel) == -1)
		a->fix = NULL;
}

int
cp_advice_build(const struct cp_integrity *r, int rootfd, struct cp_advice_list *l,
    struct cp_err *e)
{
	struct inst *v;
	char **arts, **artids;
	size_t n, narts, i;
	int err;

	memset(l, 0, sizeof(*l));
	n = load_receipts(rootfd, &v, e, &err);
	if (err)
		return -1;
	load_rows(rootfd, v, n, &arts, &artids, &narts);
	for (i = 0; i < r->nrows; i++) {
		if (r->rows[i].status != CP_INTEGRITY_INVALID &&
		    r->rows[i].status != CP_INTEGRITY_MISSING)
			continue;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		explain(r, i, v, n, arts, artids, narts, &l->v[l->n++]);
	}
	for (i = 0; i < n; i++) {
		cp_receipt_free(&v[i].rc);
		free(v[i].prefix);
		free(v[i].row_digest);
		free(v[i].art);
	}
	free(v);
	for (i = 0; i < narts; i++) {
		free(arts[i]);
		free(artids[i]);
	}
	free(arts);
	free(artids);
	return 0;
}

void
cp_advice_free(struct cp_advice_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->v[i].nfiles; j++)
			free(l->v[i].files[j].path);
		free(l->v[i].files);
		free(l->v[i].package);
		free(l->v[i].fix);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
