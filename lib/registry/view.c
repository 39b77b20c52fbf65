/* view: rows as JSON objects through one buffer a row, and the compiled view (packages and install order). */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
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

int
cp_view_sync(struct cp_csv_reader *r, size_t key, FILE *fp, size_t *forced,
    struct cp_err *e)
{
	struct cp_view *v = cp_view_new(r, e);
	struct cp_depgraph *g;
	struct cp_arena ids = { NULL };
	const char **id = NULL, *p, *end, *item;
	size_t n = 0, cap = 0, k, len, *order;
	long deps = cp_csv_column(r, "deps");
	struct cp_csv_row row;
	struct cp_json w;
	int rc;

	if (v == NULL)
		return -1;
	if (deps < 0)
		deps = cp_csv_column(r, "dependencies");
	g = cp_depgraph_new();
	cp_json_init(&w, fp);
	cp_json_obj(&w);
	cp_json_key(&w, "packages");
	cp_json_arr(&w);
	while ((rc = cp_csv_read_row(r, &row)) == 1) {
		if (n == cap)
			id = xreallocarray(id, cap = cap ? 2 * cap : 1024, sizeof(*id));
		id[n] = cp_arena_strndup(&ids, row.field[key], row.len[key]);
		cp_depgraph_add(g, row.field[key], row.len[key], NULL);
		p = deps >= 0 ? row.field[deps] : "";
		end = p + (deps >= 0 ? row.len[deps] : 0);
		while (cp_registry_list_next(&p, end, &item, &len))
			cp_depgraph_dep(g, n, item, cp_registry_dep_idlen(item, len));
		n++;
		cp_view_row(v, &w, row.field, row.len);
	}
	if (rc < 0) {
		if (e != NULL)
			*e = *cp_csv_error(r);
		goto out;
	}
	cp_json_end(&w);
	order = xreallocarray(NULL, n + 1, sizeof(*order));
	*forced = cp_depgraph_order(g, order);
	cp_json_key(&w, "install_order");
	cp_json_arr(&w);
	for (k = 0; k < n; k++)
		cp_json_str(&w, id[order[k]]);
	cp_json_endl(&w);
	free(order);
	rc = 0;
out:
	free(id);
	cp_arena_free(&ids);
	cp_depgraph_free(g);
	cp_view_free(v);
	return rc;
}
