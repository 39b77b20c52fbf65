/* query: the plane's read-only questions (list, show, owns, verify, search), answered from the packages registry and the install receipts.
 * SPDX-License-Identifier: ISC */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/abspath.h"
#include "base/beneath.h"
#include "base/err.h"
#include "base/layout.h"
#include "base/relpath.h"
#include "base/xalloc.h"
#include "plane/gate.h"
#include "plane/query.h"
#include "plane/receipt.h"
#include "registry/registry.h"
#include "text/csv.h"

int
cp_query_begin(struct cp_query *q, struct cp_gate *g, const char *operation,
    const char *subject, struct cp_gate_result *r)
{
	int rc;

	memset(q, 0, sizeof(*q));
	q->g = g;
	if ((rc = cp_gate_authorize(g, operation, "verify", subject, r)) != 0)
		return rc;
	return 0;
}

/* --- the registry ------------------------------------------------------------- */

/* Read the packages registry once into q->rcol and q->row.  Returns 0 or -1 (e). */
static int
load_registry(struct cp_query *q, struct cp_err *e)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_PACKAGES);
	struct cp_csv_reader *rd;
	struct cp_csv_row row;
	struct stat st;
	size_t k;
	FILE *fp;
	int fd, rc;

	if (q->rcol != NULL)
		return 0;
	fd = cp_beneath_open(cp_gate_root_fd(q->g), rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, e);
	if (fd == -1) {
		if (errno == ENOENT)
			cp_err_set(e, ENOENT, "%s: no such file (cp-plane init, or make init, makes a "
			    "plane's registries)", rel);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cp_err_set(e, EINVAL, "%s: not a regular file", rel);
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return cp_err_set(e, errno, "%s", rel);
	}
	rd = cp_csv_open(fp, rel, NULL);
	if (cp_csv_read_header(rd) == -1) {
		rc = cp_err_set(e, 0, "%s", cp_csv_error(rd)->msg);
		goto out;
	}
	if (cp_csv_column(rd, "id") < 0) {
		rc = cp_err_set(e, 0, "%s: no id column", rel);
		goto out;
	}
	q->nrcol = cp_csv_ncolumns(rd);
	q->rcol = xcalloc(q->nrcol, sizeof(*q->rcol));
	for (k = 0; k < q->nrcol; k++)
		q->rcol[k] = xstrdup(cp_csv_colname(rd, k));
	while ((rc = cp_csv_read_row(rd, &row)) == 1) {
		char **v = xcalloc(q->nrcol, sizeof(*v));

		for (k = 0; k < q->nrcol; k++)
			v[k] = xstrdup(k < row.nfields ? row.field[k] : "");
		q->row = xreallocarray(q->row, q->nrow + 1, sizeof(*q->row));
		q->row[q->nrow++] = v;
	}
	if (rc < 0)
		rc = cp_err_set(e, 0, "%s", cp_csv_error(rd)->msg);
out:
	cp_csv_close(rd);
	fclose(fp);
	return rc;
}

static long
rcolumn(const struct cp_query *q, const char *name)
{
	for (size_t k = 0; k < q->nrcol; k++)
		if (strcmp(q->rcol[k], name) == 0)
			return (long)k;
	return -1;
}

/* Row i's value of column name, or "" without that column. */
static const char *
field(const struct cp_query *q, size_t i, const char *name)
{
	long k = rcolumn(q, name);

	return k >= 0 ? q->row[i][k] : "";
}

/* The first row with id, or -1. */
static long
find_row(const struct cp_query *q, const char *id)
{
	for (size_t i = 0; i < q->nrow; i++)
		if (strcmp(field(q, i, "id"), id) == 0)
			return (long)i;
	return -1;
}


static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * installed/ open (a new descriptor): >= 0, -2 when there is none, -1 (e).
 */
static int
open_installed(struct cp_query *q, struct cp_err *e)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_INSTALLED);
	int fd = cp_beneath_open(cp_gate_root_fd(q->g), rel, O_RDONLY | O_DIRECTORY, 0, e);

	if (fd == -1 && errno == ENOENT)
		return -2;
	if (fd == -1 && errno == ELOOP)
		cp_err_set(e, ELOOP, "%s/ is a symlink: refused; make it a real directory", rel);
	return fd;
}

/*
 * The ids that have a receipt file (ID.info or ID.sha256; the pair is the
 * reader's to check), sorted, no repeats.  Returns the count, *ids the
 * caller's to free (each too).
 */
static size_t
receipt_ids(int instfd, char ***ids, struct cp_err *e, int *err)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0, len, out = 0;
	char **v = NULL;
	int fd;

	*err = 0;
	if ((fd = dup(instfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		*err = 1;
		cp_err_set(e, errno, "installed/");
		*ids = NULL;
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;
		size_t cut;

		len = strlen(s);
		if (len > 5 && strcmp(s + len - 5, ".info") == 0)
			cut = len - 5;
		else if (len > 7 && strcmp(s + len - 7, ".sha256") == 0)
			cut = len - 7;
		else
			continue;
		if (s[0] == '.')	/* a writer's temporary file */
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = xstrndup(s, cut);
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && strcmp(v[out - 1], v[i]) == 0) {
			free(v[i]);
			continue;
		}
		v[out++] = v[i];
	}
	*ids = v;
	return out;
}

/* The receipt's destination, absolute (NULL when it names no place a receipt may name). */
static char *
dest_abs(const struct cp_query *q, const char *dest)
{
	struct cp_err e;

	if (strcmp(dest, ".") == 0)
		return xstrdup(cp_gate_root(q->g));
	if (dest[0] == '/')
		return cp_abspath_resolve(dest);
	if (!cp_relpath_ok(dest, strlen(dest), &e))
		return NULL;
	return xpathjoin(cp_gate_root(q->g), dest);
}

/* The destination open as a directory, beneath the plane (or "/") without a symlink; -1 with e. */
static int
open_dest(const struct cp_query *q, const struct cp_query_pkg *p, struct cp_err *e)
{
	const char *dest = p->rc.destination;
	int top, fd;

	if (strcmp(dest, ".") == 0) {
		if ((fd = openat(cp_gate_root_fd(q->g), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			cp_err_set(e, errno, "%s", cp_gate_root(q->g));
		return fd;
	}
	if (dest[0] != '/') {
		if (!cp_relpath_ok(dest, strlen(dest), e)) {
			cp_err_prefix(e, "installed/%s.info: destination", p->id);
			return -1;
		}
		return cp_beneath_open(cp_gate_root_fd(q->g), dest, O_RDONLY | O_DIRECTORY, 0, e);
	}
	if ((top = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cp_err_set(e, errno, "/");
	fd = dest[1] == '\0' ? dup(top) : cp_beneath_open(top, dest + 1, O_RDONLY | O_DIRECTORY, 0, e);
	close(top);
	return fd;
}

/* Fill p for package id: its row (if any) and its receipt (if any). */
static void
fill_pkg(struct cp_query *q, int instfd, const char *id, struct cp_query_pkg *p)
{
	long i = find_row(q, id);
	struct cp_err e;
	int n = -1;

	memset(p, 0, sizeof(*p));
	p->id = xstrdup(id);
	if (i >= 0) {
		p->name = xstrdup(field(q, (size_t)i, "name"));
		p->version = xstrdup(field(q, (size_t)i, "version"));
		p->category = xstrdup(field(q, (size_t)i, "category"));
		p->row_digest = xstrdup(field(q, (size_t)i, "digest"));
	}
	if (instfd >= 0)
		n = cp_receipt_read(instfd, id, &p->rc, &e);
	if (n == 0 && i >= 0) {
		/* the receipt must name where the row routes the package now, as a step checks */
		char *route = cp_gate_route(q->g, field(q, (size_t)i, "output_type"),
		    field(q, (size_t)i, "output_path"), &e);

		if (route == NULL || strcmp(route, p->rc.destination) != 0) {
			if (route != NULL)
				cp_err_set(&e, 0, "installed/%s.info names destination %s, but the "
				    "registry routes %s to %s: a forged or stale receipt", id,
				    p->rc.destination, id, route);
			free(route);
			p->state = xstrdup("broken");
			p->problem = xstrdup(e.msg);
			return;
		}
		free(route);
	} else if (n == 0 && p->rc.destination[0] == '/') {
		/* no row routes it: a receipt alone may name only a place in the plane */
		cp_err_set(&e, 0, "installed/%s.info names destination %s outside the plane, and "
		    "no registry row routes %s there: a forged or stale receipt", id,
		    p->rc.destination, id);
		p->state = xstrdup("broken");
		p->problem = xstrdup(e.msg);
		return;
	}
	if (n == 0) {
		p->installed = 1;
		p->dest_abs = dest_abs(q, p->rc.destination);
		if (i < 0)
			p->state = xstrdup("not-in-registry");
		else if (strcmp(p->row_digest, p->rc.digest) != 0)
			p->state = xstrdup("outdated");
		else
			p->state = xstrdup("installed");
	} else if (instfd < 0 || e.errnum == ENOENT) {
		char a[256 + 16], b[256 + 16];
		struct stat st;
		int half = 0;

		if (instfd >= 0 && strlen(id) <= 256) {
			snprintf(a, sizeof(a), "%s.sha256", id);
			snprintf(b, sizeof(b), "%s.info", id);
			half = fstatat(instfd, a, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
			    fstatat(instfd, b, &st, AT_SYMLINK_NOFOLLOW) == 0;
		}
		if (half) {
			p->state = xstrdup("broken");
			p->problem = xstrdup(e.msg);
		} else
			p->state = xstrdup("not-installed");
	} else {
		p->state = xstrdup("broken");
		p->problem = xstrdup(e.msg);
	}
}

static struct cp_query_pkg *
add_pkg(struct cp_query *q)
{
	q->pkg = xreallocarray(q->pkg, q->npkg + 1, sizeof(*q->pkg));
	return &q->pkg[q->npkg++];
}

/* Every package with a receipt, in id order, into q->pkg.  Returns 0 or -1 (e). */
static int
installed_all(struct cp_query *q, struct cp_err *e)
{
	char **ids;
	size_t n, i;
	int fd, err;

	if ((fd = open_installed(q, e)) == -2)
		return 0;
	if (fd == -1)
		return -1;
	n = receipt_ids(fd, &ids, e, &err);
	if (err) {
		close(fd);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct cp_err ie;

		if (cp_receipt_id_ok(ids[i], &ie))
			fill_pkg(q, fd, ids[i], add_pkg(q));
		free(ids[i]);
	}
	free(ids);
	close(fd);
	return 0;
}

int
cp_query_list(struct cp_query *q, struct cp_err *e)
{
	if (load_registry(q, e) == -1)
		return -1;
	return installed_all(q, e);
}

/* --- show ---------------------------------------------------------------------- */

/* 1 if package id has a receipt that reads. */
static int
is_installed(struct cp_query *q, int instfd, const char *id)
{
	struct cp_receipt rc;
	struct cp_err e;

	if (instfd < 0 || !cp_receipt_id_ok(id, &e) || cp_receipt_read(instfd, id, &rc, &e) == -1)
		return 0;
	cp_receipt_free(&rc);
	(void)q;
	return 1;
}

static void
add_dep(struct cp_query_dep **v, size_t *n, struct cp_query *q, int instfd, const char *id,
    size_t idlen, const char *constraint, size_t clen)
{
	struct cp_query_dep *d;
	long i;

	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	d = &(*v)[(*n)++];
	memset(d, 0, sizeof(*d));
	d->id = xstrndup(id, idlen);
	d->constraint = constraint != NULL ? xstrndup(constraint, clen) : NULL;
	if ((i = find_row(q, d->id)) >= 0) {
		d->known = 1;
		d->version = xstrdup(field(q, (size_t)i, "version"));
	}
	d->installed = is_installed(q, instfd, d->id);
}

int
cp_query_show(struct cp_query *q, const char *id, struct cp_err *e)
{
	const char *p, *end, *item;
	long i;
	size_t k, len, il;
	int fd;

	if (load_registry(q, e) == -1)
		return -1;
	if (!cp_receipt_id_ok(id, e))
		return -1;
	if ((fd = open_installed(q, e)) == -1)
		return -1;
	i = find_row(q, id);
	fill_pkg(q, fd, id, add_pkg(q));
	if (i < 0 && strcmp(q->pkg[0].state, "not-installed") == 0) {
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (i >= 0) {
		q->ncol = q->nrcol;
		q->col = xcalloc(q->ncol, sizeof(*q->col));
		q->val = xcalloc(q->ncol, sizeof(*q->val));
		for (k = 0; k < q->ncol; k++) {
			q->col[k] = xstrdup(q->rcol[k]);
			q->val[k] = xstrdup(q->row[i][k]);
		}
		p = field(q, (size_t)i, "deps");
		end = p + strlen(p);
		while (cp_registry_list_next(&p, end, &item, &len)) {
			il = cp_registry_dep_idlen(item, len);
			add_dep(&q->deps, &q->ndeps, q, fd, item, il, il < len ? item + il + 1 : NULL,
			    il < len ? len - il - 1 : 0);
		}
	}
	/* dependents: every row whose deps name id */
	for (size_t r = 0; r < q->nrow; r++) {
		p = field(q, r, "deps");
		end = p + strlen(p);
		while (cp_registry_list_next(&p, end, &item, &len)) {
			il = cp_registry_dep_idlen(item, len);
			if (il == strlen(id) && memcmp(item, id, il) == 0) {
				const char *rid = field(q, r, "id");

				add_dep(&q->rdeps, &q->nrdeps, q, fd, rid, strlen(rid),
				    il < len ? item + il + 1 : NULL, il < len ? len - il - 1 : 0);
				break;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* --- owns ---------------------------------------------------------------------- */

int
cp_query_owns(struct cp_query *q, const char *file, struct cp_err *e)
{
	size_t i, j, n, pl;
	char *full;

	if (file[0] == '\0')
		return cp_err_set(e, EINVAL, "owns: an empty file name");
	if ((q->path = cp_abspath_resolve(file)) == NULL)
		return cp_err_set(e, errno, "%s", file);
	pl = strlen(q->path);
	if (load_registry(q, e) == -1 || installed_all(q, e) == -1)
		return -1;
	/* keep only the owners, each with the entries that answer */
	for (i = 0, n = 0; i < q->npkg; i++) {
		struct cp_query_pkg *p = &q->pkg[i];

		for (j = 0; p->installed && p->dest_abs != NULL && j < p->rc.n; j++) {
			full = strcmp(p->dest_abs, "/") == 0 ? xpathjoin("", p->rc.v[j].path) :
			    xpathjoin(p->dest_abs, p->rc.v[j].path);
			if (strcmp(full, q->path) == 0 ||
			    (strncmp(full, q->path, pl) == 0 &&
			    (full[pl] == '/' || strcmp(q->path, "/") == 0))) {
				p->hit = xreallocarray(p->hit, p->nhit + 1, sizeof(*p->hit));
				p->hit[p->nhit++] = j;
			}
			free(full);
		}
		if (p->nhit > 0) {
			if (n != i) {
				struct cp_query_pkg t = q->pkg[n];

				q->pkg[n] = *p;
				*p = t;
			}
			n++;
		}
	}
	/* the rest are freed by cp_query_free: keep them past npkg */
	for (i = n; i < q->npkg; i++) {
		struct cp_query_pkg *p = &q->pkg[i];

		cp_receipt_free(&p->rc);
		free(p->id);
		free(p->name);
		free(p->version);
		free(p->category);
		free(p->row_digest);
		free(p->state);
		free(p->problem);
		free(p->dest_abs);
		free(p->hit);
	}
	q->npkg = n;
	return n > 0 ? 0 : 1;
}

/* --- verify -------------------------------------------------------------------- */

static int
check_pkg(struct cp_query *q, struct cp_query_pkg *p, struct cp_err *e)
{
	enum cp_receipt_state *st;
	struct cp_err de;
	long bad;
	size_t j;
	int fd;

	if (!p->installed)
		return p->problem != NULL ? 1 : 0;
	if ((fd = open_dest(q, p, &de)) == -1) {
		if (errno == ENOENT) {
			/* the whole destination is gone: every file is missing */
			p->missing = xcalloc(p->rc.n ? p->rc.n : 1, sizeof(*p->missing));
			for (j = 0; j < p->rc.n; j++)
				p->missing[p->nmissing++] = j;
			return p->rc.n > 0;
		}
		p->problem = xstrdup(de.msg);
		return 1;
	}
	st = xcalloc(p->rc.n ? p->rc.n : 1, sizeof(*st));
	bad = cp_receipt_check(fd, &p->rc, st, e);
	close(fd);
	if (bad < 0) {
		free(st);
		return -1;
	}
	for (j = 0; j < p->rc.n; j++) {
		if (st[j] == CP_RECEIPT_MISSING) {
			p->missing = xreallocarray(p->missing, p->nmissing + 1, sizeof(*p->missing));
			p->missing[p->nmissing++] = j;
		} else if (st[j] == CP_RECEIPT_CHANGED) {
			p->changed = xreallocarray(p->changed, p->nchanged + 1, sizeof(*p->changed));
			p->changed[p->nchanged++] = j;
		}
	}
	free(st);
	return bad > 0;
}

int
cp_query_verify(struct cp_query *q, const char *id, struct cp_err *e)
{
	int any = 0, rc, fd;
	size_t i;

	if (load_registry(q, e) == -1)
		return -1;
	if (id != NULL) {
		if (!cp_receipt_id_ok(id, e))
			return -1;
		if ((fd = open_installed(q, e)) == -1)
			return -1;
		fill_pkg(q, fd, id, add_pkg(q));
		if (fd >= 0)
			close(fd);
		if (strcmp(q->pkg[0].state, "not-installed") == 0) {
			cp_err_set(e, 0, "%s is not installed (make install PKG=%s installs it)", id, id);
			return 2;
		}
	} else if (installed_all(q, e) == -1)
		return -1;
	for (i = 0; i < q->npkg; i++) {
		if ((rc = check_pkg(q, &q->pkg[i], e)) == -1)
			return -1;
		any |= rc;
	}
	return any ? 1 : 0;
}

/* --- search -------------------------------------------------------------------- */

static int
holds(const char *hay, const char *needle)
{
	size_t n = strlen(needle), h = strlen(hay);

	for (size_t i = 0; n <= h && i <= h - n; i++) {
		size_t k;

		for (k = 0; k < n; k++)
			if (tolower((unsigned char)hay[i + k]) != tolower((unsigned char)needle[k]))
				break;
		if (k == n)
			return 1;
	}
	return 0;
}

int
cp_query_search(struct cp_query *q, const char *needle, struct cp_err *e)
{
	int fd;

	if (load_registry(q, e) == -1)
		return -1;
	if ((fd = open_installed(q, e)) == -1)
		return -1;
	for (size_t i = 0; i < q->nrow; i++) {
		const char *id = field(q, i, "id");
		struct cp_err ie;

		if (!holds(id, needle) && !holds(field(q, i, "name"), needle) &&
		    !holds(field(q, i, "category"), needle))
			continue;
		if (cp_receipt_id_ok(id, &ie))
			fill_pkg(q, fd, id, add_pkg(q));
		else {
			struct cp_query_pkg *p = add_pkg(q);

			memset(p, 0, sizeof(*p));
			p->id = xstrdup(id);
			p->name = xstrdup(field(q, i, "name"));
			p->version = xstrdup(field(q, i, "version"));
			p->category = xstrdup(field(q, i, "category"));
			p->row_digest = xstrdup(field(q, i, "digest"));
			p->state = xstrdup("not-installed");
		}
	}
	if (fd >= 0)
		close(fd);
	return q->npkg > 0 ? 0 : 1;
}

/* --- freeing ------------------------------------------------------------------- */

static void
free_deps(struct cp_query_dep *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].constraint);
		free(v[i].version);
	}
	free(v);
}

void
cp_query_free(struct cp_query *q)
{
	size_t i, k;

	for (i = 0; i < q->npkg; i++) {
		struct cp_query_pkg *p = &q->pkg[i];

		cp_receipt_free(&p->rc);
		free(p->id);
		free(p->name);
		free(p->version);
		free(p->category);
		free(p->row_digest);
		free(p->state);
		free(p->problem);
		free(p->dest_abs);
		free(p->hit);
		free(p->missing);
		free(p->changed);
	}
	free(q->pkg);
	for (k = 0; k < q->ncol; k++) {
		free(q->col[k]);
		free(q->val[k]);
	}
	free(q->col);
	free(q->val);
	free_deps(q->deps, q->ndeps);
	free_deps(q->rdeps, q->nrdeps);
	free(q->path);
	for (i = 0; i < q->nrow; i++) {
		for (k = 0; k < q->nrcol; k++)
			free(q->row[i][k]);
		free(q->row[i]);
	}
	free(q->row);
	for (k = 0; k < q->nrcol; k++)
		free(q->rcol[k]);
	free(q->rcol);
	memset(q, 0, sizeof(*q));
}
