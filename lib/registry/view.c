/* view: rows as JSON objects through one buffer a row, and the compiled view as package_sync.py writes it.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "registry/depgraph.h"
#include "registry/registry.h"
#include "registry/view.h"

struct cp_view {
	size_t ncols;
	char **keys;		/* per column: "name": with the comma before it, as JSON */
	size_t *keylen;
	char *obj;		/* the object being built */
	size_t objcap;
};

/*
 * The bytes that send a field to cp_json_write_str: '"', '\\' and control
 * bytes.  Anything else in a valid UTF-8 field is written as it is.
 */
static const unsigned char escaped[256] = {
	[0x00] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1
};

struct cp_view *
cp_view_new(const struct cp_csv_reader *r, struct cp_err *e)
{
	struct cp_view *v = xcalloc(1, sizeof(*v));
	size_t k, n = cp_csv_ncolumns(r);
	FILE *fp;

	v->obj = xmalloc(v->objcap = 4096);
	v->keys = xcalloc(n, sizeof(*v->keys));
	v->keylen = xcalloc(n, sizeof(*v->keylen));
	for (v->ncols = 0; v->ncols < n; v->ncols++) {
		k = v->ncols;
		if ((fp = open_memstream(&v->keys[k], &v->keylen[k])) == NULL)
			goto nomem;
		if (k > 0)
			putc(',', fp);
		cp_json_write_cstr(fp, cp_csv_colname(r, k));
		putc(':', fp);
		if (fclose(fp) == EOF) {
			v->ncols++;	/* free what it may hold */
			goto nomem;
		}
	}
	return v;
nomem:
	cp_view_free(v);
	cp_err_set(e, 0, "out of memory");
	return NULL;
}

void
cp_view_row(struct cp_view *v, struct cp_json *w, char *const *field, const size_t *len)
{
	size_t k, i, n = 0, need;
	int started = 0;

	/*
	 * A field needing no escape is copied into one buffer written once a
	 * row; cp_json_write_str writes the others.  The first piece goes
	 * through the writer, which puts the comma before the object.
	 */
	v->obj[n++] = '{';
	for (k = 0; k < v->ncols; k++) {
		need = n + v->keylen[k] + len[k] + 3;
		if (need > v->objcap)
			v->obj = xrealloc(v->obj, v->objcap = 2 * need);
		memcpy(v->obj + n, v->keys[k], v->keylen[k]);
		n += v->keylen[k];
		/* The field's terminating NUL, a control byte, stops the scan. */
		for (i = 0; !escaped[(unsigned char)field[k][i]]; i++)
			;
		if (i < len[k]) {
			if (started)
				fwrite(v->obj, 1, n, w->fp);
			else
				cp_json_raw(w, v->obj, n);
			started = 1;
			cp_json_write_str(w->fp, field[k], len[k]);
			n = 0;
			continue;
		}
		v->obj[n++] = '"';
		memcpy(v->obj + n, field[k], len[k]);
		n += len[k];
		v->obj[n++] = '"';
	}
	v->obj[n++] = '}';
	if (started)
		fwrite(v->obj, 1, n, w->fp);
	else
		cp_json_raw(w, v->obj, n);
}

void
cp_view_free(struct cp_view *v)
{
	size_t k;

	if (v == NULL)
		return;
	for (k = 0; k < v->ncols; k++)
		free(v->keys[k]);
	free(v->keys);
	free(v->keylen);
	free(v->obj);
	free(v);
}

/*
 * Length of the character at p[0..n) if Python's str.isspace() holds for
 * it (ASCII \t \n \v \f \r, 0x1c to 0x1f and space; U+0085, U+00A0,
 * U+1680, U+2000 to U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), else 0.
 */
static size_t
pyspace(const unsigned char *p, size_t n)
{
	if (n >= 1 && ((p[0] >= 0x09 && p[0] <= 0x0d) || (p[0] >= 0x1c && p[0] <= 0x20)))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (n >= 3 && ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||
	    (p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf)) ||
	    (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)))
		return 3;
	return 0;
}

/* Python's s.strip() of valid UTF-8 s[0..*len): returns the start, *len the new length. */
static const char *
pystrip(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = *len, k, w;

	while (n > 0 && (w = pyspace(p, n)) > 0) {
		p += w;
		n -= w;
	}
	/* A whitespace character's last bytes never end another character in valid UTF-8. */
	for (k = 1; k <= 3 && n > 0; k++)
		if (n >= k && pyspace(p + n - k, k) == k) {
			n -= k;
			k = 0;
		}
	*len = n;
	return (const char *)p;
}

/* A growable buffer for one row's text. */
struct sbuf {
	char *p;
	size_t cap;
};

/* One node of the view's graph: an id (trimmed) and the deps of the last row holding it. */
struct node {
	const char *id, *deps;
	size_t idlen, depslen;
};

/*
 * The graph package_sync.py builds: a node per distinct trimmed id, in
 * the order first seen, with the dependencies of the last row holding it
 * (a later row replaces an earlier one's); each deps entry cut at its
 * first '@' and trimmed; a name no row has becomes a node of its own, after
 * the rows'.  Returns the number of nodes (*names gets all their ids and
 * lengths); counts the entries that name no row.
 */
static size_t
python_graph(struct cp_depgraph *g, struct node *nd, size_t n, struct cp_arena *a,
    struct node **names, struct cp_view_sync_problems *pr)
{
	size_t u, total = n, cap = n + 16, len, v, plen;
	const char *p, *end, *comma, *at, *piece, *name;
	struct node *all = xreallocarray(NULL, cap, sizeof(*all));

	if (n > 0)
		memcpy(all, nd, n * sizeof(*all));
	for (u = 0; u < n; u++)
		cp_depgraph_add(g, nd[u].id, nd[u].idlen, NULL);
	for (u = 0; u < n; u++) {
		p = nd[u].deps;
		end = p + nd[u].depslen;
		for (;;) {
			comma = memchr(p, ',', (size_t)(end - p));
			piece = p;
			plen = (size_t)((comma ? comma : end) - p);
			len = plen;
			pystrip(piece, &len);
			if (len > 0) {
				at = memchr(piece, '@', plen);
				len = at ? (size_t)(at - piece) : plen;
				name = pystrip(piece, &len);
				if (!cp_depgraph_find(g, name, len, &v) || v >= n) {
					if (pr->missing++ == 0)
						cp_registry_quote(pr->miss, sizeof(pr->miss), name, len);
				}
				if (!cp_depgraph_find(g, name, len, &v)) {
					if (total == cap)
						all = xreallocarray(all, cap *= 2, sizeof(*all));
					all[total].id = cp_arena_strndup(a, name, len);
					all[total].idlen = len;
					cp_depgraph_add(g, all[total].id, len, NULL);
					total++;
				}
				cp_depgraph_dep(g, u, name, len);
			}
			if (comma == NULL)
				break;
			p = comma + 1;
		}
	}
	*names = all;
	return total;
}

/* "      \"column\": " for each column, as json.dumps(indent=2) writes the members of a row. */
static char **
indented_keys(const struct cp_csv_reader *r, size_t **keylen, struct cp_err *e)
{
	size_t k, n = cp_csv_ncolumns(r);
	char **keys = xcalloc(n + 1, sizeof(*keys));
	const char *name;
	FILE *fp;

	*keylen = xcalloc(n + 1, sizeof(**keylen));
	for (k = 0; k < n; k++) {
		if ((fp = open_memstream(&keys[k], &(*keylen)[k])) == NULL)
			goto nomem;
		fputs(k > 0 ? ",\n      " : "\n      ", fp);
		name = cp_csv_colname(r, k);
		cp_json_write_str_ascii(fp, name, strlen(name));
		fputs(": ", fp);
		if (fclose(fp) == EOF)
			goto nomem;
	}
	return keys;
nomem:
	for (k = 0; k < n; k++)
		free(keys[k]);
	free(keys);
	free(*keylen);
	cp_err_set(e, 0, "out of memory");
	return NULL;
}

/* The bytes json.dumps writes as they are (ensure_ascii): 0x20 to 0x7e but '"' and '\\'. */
static int
plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/*
 * The members of one row, indented: keys and fields that need no escape
 * gathered in *sb and written at once, the others through
 * cp_json_write_str_ascii.
 */
static void
sync_row(struct sbuf *sb, char **keys, const size_t *keylen, size_t ncols,
    const struct cp_csv_row *row, FILE *fp)
{
	const unsigned char *f;
	size_t k, i, n = 0, need;

	for (k = 0; k < ncols; k++) {
		need = n + keylen[k] + row->len[k] + 2;
		if (need > sb->cap)
			sb->p = xrealloc(sb->p, sb->cap = 2 * need);
		memcpy(sb->p + n, keys[k], keylen[k]);
		n += keylen[k];
		f = (const unsigned char *)row->field[k];
		for (i = 0; i < row->len[k] && plain_ascii(f[i]); i++)
			;
		if (i < row->len[k]) {
			fwrite(sb->p, 1, n, fp);
			n = 0;
			cp_json_write_str_ascii(fp, row->field[k], row->len[k]);
			continue;
		}
		sb->p[n++] = '"';
		memcpy(sb->p + n, f, row->len[k]);
		n += row->len[k];
		sb->p[n++] = '"';
	}
	fwrite(sb->p, 1, n, fp);
}

int
cp_view_sync(struct cp_csv_reader *r, size_t key, FILE *fp,
    struct cp_view_sync_problems *pr, struct cp_err *e)
{
	struct cp_strmap *seen;
	struct cp_depgraph *g = NULL;
	struct cp_arena a = { NULL };
	struct node *nd = NULL, *names = NULL;
	const char *id, *stored;
	size_t n = 0, cap = 0, rows = 0, k, len, nnodes, placed, *order, *slot, *keylen;
	long deps = cp_csv_column(r, "deps");
	size_t ncols = cp_csv_ncolumns(r);
	struct cp_csv_row row;
	struct sbuf sb = { NULL, 0 };
	char **keys;
	int rc, added;

	memset(pr, 0, sizeof(*pr));
	if ((keys = indented_keys(r, &keylen, e)) == NULL)
		return -1;
	seen = cp_strmap_new();
	fputs("{\n  \"packages\": [", fp);
	while ((rc = cp_csv_read_row(r, &row)) == 1) {
		fputs(rows++ > 0 ? ",\n    {" : "\n    {", fp);
		sync_row(&sb, keys, keylen, ncols, &row, fp);
		fputs(ncols > 0 ? "\n    }" : "}", fp);
		len = row.len[key];
		id = pystrip(row.field[key], &len);
		slot = cp_strmap_put(seen, id, len, &added, &stored);
		if (added) {
			if (n == cap)
				nd = xreallocarray(nd, cap = cap ? 2 * cap : 1024, sizeof(*nd));
			*slot = n;
			nd[n].id = stored;
			nd[n].idlen = len;
			n++;
		} else if (pr->duplicates++ == 0)
			cp_registry_quote(pr->dup, sizeof(pr->dup), id, len);
		/* A later row with the id replaces the dependencies, as a dict assignment does. */
		nd[*slot].deps = deps >= 0 ? cp_arena_strndup(&a, row.field[deps], row.len[deps]) : "";
		nd[*slot].depslen = deps >= 0 ? row.len[deps] : 0;
	}
	if (rc < 0) {
		if (e != NULL)
			*e = *cp_csv_error(r);
		goto out;
	}
	fputs(rows > 0 ? "\n  ],\n  \"install_order\": [" : "],\n  \"install_order\": [", fp);
	g = cp_depgraph_new();
	nnodes = python_graph(g, nd, n, &a, &names, pr);
	order = xreallocarray(NULL, nnodes + 1, sizeof(*order));
	placed = cp_depgraph_postorder(g, n, order, &pr->cycles);
	for (k = 0; k < placed; k++) {
		fputs(k > 0 ? ",\n    " : "\n    ", fp);
		cp_json_write_str_ascii(fp, names[order[k]].id, names[order[k]].idlen);
	}
	fputs(placed > 0 ? "\n  ]\n}" : "]\n}", fp);
	free(order);
	rc = 0;
out:
	for (k = 0; k < ncols; k++)
		free(keys[k]);
	free(keys);
	free(keylen);
	free(sb.p);
	free(nd);
	free(names);
	cp_strmap_free(seen);
	cp_depgraph_free(g);
	cp_arena_free(&a);
	return rc;
}
