/* deps: the packages registry's deps and conflicts against what is installed.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/beneath.h"
#include "base/err.h"
#include "base/layout.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "plane/deps.h"
#include "plane/receipt.h"
#include "registry/depgraph.h"
#include "registry/registry.h"
#include "text/csv.h"
#include "text/semver.h"

#define REGISTRY_MAX ((off_t)256 * 1024 * 1024)

struct row {
	char *id, *version, *deps, *conflicts;
	int installed;
	unsigned long line;
};

struct cp_deps {
	struct row *row;
	size_t n;
	struct cp_depgraph *g;	/* built on first need */
	struct cp_strmap *ids;	/* id -> its first row */
	char **extra;		/* ids no row has, as cp_deps_broken names them */
	size_t nextra;
};

static int
find(const struct cp_deps *d, const char *id, size_t len)
{
	size_t v;

	return cp_strmap_get(d->ids, id, len, &v) ? (int)v : -1;
}

static int
load_rows(struct cp_deps *d, int planefd, struct cp_err *e)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_PACKAGES);
	struct cp_csv_reader *rd;
	struct cp_csv_row row;
	long c[4];
	static const char *const name[4] = { "id", "version", "deps", "conflicts" };
	struct stat st;
	FILE *fp;
	int fd, rc;

	if ((fd = cp_beneath_open(planefd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, e)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > REGISTRY_MAX) {
		close(fd);
		return cp_err_set(e, EINVAL, "%s: not a regular file (of at most 256 MiB)", rel);
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
	for (int k = 0; k < 4; k++)
		c[k] = cp_csv_column(rd, name[k]);
	if (c[0] < 0) {
		rc = cp_err_set(e, 0, "%s: no id column", rel);
		goto out;
	}
	while ((rc = cp_csv_read_row(rd, &row)) == 1) {
		struct row *r;

		if (*row.field[c[0]] == '\0')
			continue;
		d->row = xreallocarray(d->row, d->n + 1, sizeof(*d->row));
		r = &d->row[d->n++];
		r->id = xstrdup(row.field[c[0]]);
		r->version = xstrdup(c[1] >= 0 ? row.field[c[1]] : "");
		r->deps = xstrdup(c[2] >= 0 ? row.field[c[2]] : "");
		r->conflicts = xstrdup(c[3] >= 0 ? row.field[c[3]] : "");
		r->installed = 0;
		r->line = row.line;
		cp_strmap_add(d->ids, r->id, strlen(r->id), d->n - 1, NULL);
	}
	if (rc < 0)
		rc = cp_err_set(e, 0, "%s", cp_csv_error(rd)->msg);
	else
		rc = 0;
out:
	cp_csv_close(rd);
	fclose(fp);
	return rc;
}

/* installed/ID.sha256 for each row: a receipt there (a regular file; not followed) means installed. */
static int
load_installed(struct cp_deps *d, int planefd, struct cp_err *e)
{
	struct cp_err le;
	struct stat st;
	char name[512];
	int dfd;

	cp_err_clear(&le);
	if ((dfd = cp_beneath_open(planefd, cp_layout_rel(CP_LAYOUT_INSTALLED),
	    O_RDONLY | O_DIRECTORY, 0, &le)) == -1) {
		if (le.errnum == ENOENT)
			return 0;
		*e = le;
		return -1;
	}
	for (size_t i = 0; i < d->n; i++) {
		if (!cp_receipt_id_ok(d->row[i].id, &le))
			continue;
		snprintf(name, sizeof(name), "%s.sha256", d->row[i].id);
		d->row[i].installed = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode);
	}
	close(dfd);
	return 0;
}

int
cp_deps_load(int planefd, struct cp_deps **dp, struct cp_err *e)
{
	struct cp_deps *d = xcalloc(1, sizeof(*d));

	*dp = NULL;
	d->ids = cp_strmap_new();
	if (load_rows(d, planefd, e) == -1 || load_installed(d, planefd, e) == -1) {
		cp_deps_free(d);
		return -1;
	}
	*dp = d;
	return 0;
}

void
cp_deps_free(struct cp_deps *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->row[i].id);
		free(d->row[i].version);
		free(d->row[i].deps);
		free(d->row[i].conflicts);
	}
	free(d->row);
	for (size_t i = 0; i < d->nextra; i++)
		free(d->extra[i]);
	free(d->extra);
	cp_strmap_free(d->ids);
	if (d->g != NULL)
		cp_depgraph_free(d->g);
	free(d);
}

int
cp_deps_known(const struct cp_deps *d, const char *id)
{
	return find(d, id, strlen(id)) >= 0;
}

int
cp_deps_installed(const struct cp_deps *d, const char *id)
{
	int i = find(d, id, strlen(id));

	return i >= 0 && d->row[i].installed;
}

void
cp_deps_assume(struct cp_deps *d, const char *id, int yes)
{
	int i = find(d, id, strlen(id));

	if (i >= 0)
		d->row[i].installed = yes != 0;
}

/* The graph of every row (node i is row i: the rows are added in order). */
static struct cp_depgraph *
graph(struct cp_deps *d)
{
	const char *p, *item;
	size_t len;

	if (d->g != NULL)
		return d->g;
	d->g = cp_depgraph_new();
	for (size_t i = 0; i < d->n; i++)
		cp_depgraph_add(d->g, d->row[i].id, strlen(d->row[i].id), NULL);
	for (size_t i = 0; i < d->n; i++) {
		p = d->row[i].deps;
		while (cp_registry_list_next(&p, p + strlen(p), &item, &len))
			cp_depgraph_dep(d->g, i, item, cp_registry_dep_idlen(item, len));
	}
	return d->g;
}

/* The rows reached from row i through deps, dependency first (i last); *order has room for d->n. */
static size_t
reach(struct cp_deps *d, size_t i, size_t *order)
{
	struct cp_depgraph *g = graph(d);
	size_t n = cp_depgraph_count(g), *all, nall, back, k, m = 0;
	unsigned char *want = xcalloc(n + 1, 1);

	/* depgraph walks from nodes 0..nroots-1; walk everything, keep what i reaches */
	all = xreallocarray(NULL, n + 1, sizeof(*all));
	want[i] = 1;
	/* reachability, dependency first: repeat marking until stable (n is a registry's rows) */
	for (int changed = 1; changed;) {
		changed = 0;
		for (k = 0; k < n; k++) {
			const char *p = d->row[k].deps, *item;
			size_t len;

			if (!want[k])
				continue;
			while (cp_registry_list_next(&p, p + strlen(p), &item, &len)) {
				int t = find(d, item, cp_registry_dep_idlen(item, len));

				if (t >= 0 && !want[t]) {
					want[t] = 1;
					changed = 1;
				}
			}
		}
	}
	nall = cp_depgraph_postorder(g, n, all, &back);
	for (k = 0; k < nall; k++)
		if (want[all[k]])
			order[m++] = all[k];
	free(all);
	free(want);
	return m;
}

size_t
cp_deps_missing(struct cp_deps *d, const char *id, const char ***ids)
{
	int i = find(d, id, strlen(id));
	size_t *order, n, m = 0;

	*ids = NULL;
	if (i < 0)
		return 0;
	order = xreallocarray(NULL, d->n + 1, sizeof(*order));
	n = reach(d, (size_t)i, order);
	*ids = xreallocarray(NULL, n + 1, sizeof(**ids));
	for (size_t k = 0; k < n; k++)
		if (order[k] != (size_t)i && !d->row[order[k]].installed)
			(*ids)[m++] = d->row[order[k]].id;
	free(order);
	return m;
}

static void __attribute__((format(printf, 3, 4)))
say(char ***msgs, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = xstrdup("(out of memory)");
	va_end(ap);
	*msgs = xreallocarray(*msgs, *n + 1, sizeof(**msgs));
	(*msgs)[(*n)++] = s;
}

/* 1 when the comma list holds the id id. */
static int
lists(const char *list, const char *id)
{
	const char *p = list, *item;
	size_t len, il = strlen(id);

	while (cp_registry_list_next(&p, list + strlen(list), &item, &len))
		if (cp_registry_dep_idlen(item, len) == il && memcmp(item, id, il) == 0)
			return 1;
	return 0;
}

size_t
cp_deps_problems(struct cp_deps *d, const char *id, char ***msgs)
{
	int i = find(d, id, strlen(id)), t;
	const char *p, *item;
	size_t len, idlen, n = 0;
	struct cp_semver_req req;
	struct cp_semver v;

	*msgs = NULL;
	if (i < 0)
		return 0;
	p = d->row[i].deps;
	while (cp_registry_list_next(&p, p + strlen(p), &item, &len)) {
		idlen = cp_registry_dep_idlen(item, len);
		if ((t = find(d, item, idlen)) < 0) {
			say(msgs, &n, "needs %.*s, which no row of the registry names", (int)idlen,
			    item);
			continue;
		}
		if (!d->row[t].installed) {
			say(msgs, &n, "needs %.*s, which is not installed", (int)idlen, item);
			continue;
		}
		if (idlen == len)
			continue;
		if (cp_semver_req_parse(item + idlen + 1, len - idlen - 1, &req) == -1) {
			say(msgs, &n, "needs %.*s, a constraint that does not parse (make validate)",
			    (int)len, item);
			continue;
		}
		if (cp_semver_parse(d->row[t].version, strlen(d->row[t].version), &v) == -1 ||
		    !cp_semver_req_match(&req, &v))
			say(msgs, &n, "needs %.*s, but %s is installed at version %s", (int)len, item,
			    d->row[t].id, *d->row[t].version ? d->row[t].version : "(none)");
	}
	p = d->row[i].conflicts;
	while (cp_registry_list_next(&p, p + strlen(p), &item, &len)) {
		idlen = cp_registry_dep_idlen(item, len);
		if ((t = find(d, item, idlen)) >= 0 && t != i && d->row[t].installed)
			say(msgs, &n, "conflicts with %.*s, which is installed", (int)idlen, item);
	}
	for (size_t k = 0; k < d->n; k++)
		if ((int)k != i && d->row[k].installed && lists(d->row[k].conflicts, id) &&
		    !lists(d->row[i].conflicts, d->row[k].id))
			say(msgs, &n, "%s is installed and conflicts with %s", d->row[k].id, id);
	return n;
}

size_t
cp_deps_dependents(struct cp_deps *d, const char *id, const char ***ids)
{
	size_t n = 0;

	*ids = xreallocarray(NULL, d->n + 1, sizeof(**ids));
	for (size_t k = 0; k < d->n; k++)
		if (d->row[k].installed && strcmp(d->row[k].id, id) != 0 && lists(d->row[k].deps, id))
			(*ids)[n++] = d->row[k].id;
	return n;
}

size_t
cp_deps_broken(struct cp_deps *d, const char ***pairs)
{
	const char *p, *item;
	size_t len, idlen, n = 0;
	int t;

	*pairs = NULL;
	for (size_t k = 0; k < d->n; k++) {
		if (!d->row[k].installed)
			continue;
		p = d->row[k].deps;
		while (cp_registry_list_next(&p, p + strlen(p), &item, &len)) {
			idlen = cp_registry_dep_idlen(item, len);
			if ((t = find(d, item, idlen)) >= 0 && d->row[t].installed)
				continue;
			*pairs = xreallocarray(*pairs, 2 * n + 2, sizeof(**pairs));
			(*pairs)[2 * n] = d->row[k].id;
			/* the dependency's own string: the row's id, or the entry (no row) */
			if (t < 0) {
				/* an id no row has: kept by d */
				d->extra = xreallocarray(d->extra, d->nextra + 1, sizeof(*d->extra));
				d->extra[d->nextra++] = xstrndup(item, idlen);
			}
			(*pairs)[2 * n + 1] = t >= 0 ? d->row[t].id : d->extra[d->nextra - 1];
			n++;
		}
	}
	return n;
}

size_t
cp_deps_order(struct cp_deps *d, const char ***ids)
{
	struct cp_depgraph *g = graph(d);
	size_t n = cp_depgraph_count(g), *all = xreallocarray(NULL, n + 1, sizeof(*all)), back, m;

	m = cp_depgraph_postorder(g, n, all, &back);
	*ids = xreallocarray(NULL, m + 1, sizeof(**ids));
	for (size_t k = 0; k < m; k++)
		(*ids)[k] = d->row[all[k]].id;
	free(all);
	return m;
}

unsigned long
cp_deps_line(const struct cp_deps *d, const char *id)
{
	int i = find(d, id, strlen(id));

	return i >= 0 ? d->row[i].line : 0;
}
