/* view: registry rows as JSON objects, and the compiled view package_sync.py writes (design.md section 5).
 * SPDX-License-Identifier: ISC */
#ifndef CP_VIEW_H
#define CP_VIEW_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/json.h"
#include "text/csv.h"

struct cp_view;

/*
 * The JSON of the rows of a registry whose header r has read: each
 * column's key is encoded once, here, not per row.  Returns NULL with e
 * set when out of memory.  Caller frees with cp_view_free.
 */
struct cp_view *cp_view_new(const struct cp_csv_reader *r, struct cp_err *e);

/*
 * Write one row (as many fields as the header has, valid UTF-8 as the
 * reader vouches) as a value through w: {"column":"value",...}, the
 * columns in header order, every value a string.  Write errors stay in
 * w's stream for the caller's checked close.
 */
void cp_view_row(struct cp_view *v, struct cp_json *w, char *const *field, const size_t *len);

/*
 * What a registry may hold that package_sync.py passes over without a
 * word: each counted, the first of each quoted (cp_registry_quote), "" when
 * there is none.
 */
struct cp_view_sync_problems {
	size_t duplicates;	/* rows whose trimmed id an earlier row has */
	size_t missing;		/* deps entries naming no row */
	size_t cycles;		/* dependencies leading back to a row on the walk */
	char dup[160], miss[160];
};

/*
 * The compiled view, the bytes package_sync.py writes: read every row left
 * in r and write json.dumps({"packages": [rows], "install_order": [ids]},
 * indent=2) to fp, without a final newline.  Each row is an object of its
 * columns in header order, every value a string, non-ASCII escaped
 * (cp_json_write_str_ascii).  The ids are column key's values trimmed as
 * Python's str.strip() trims; the order is package_sync.py's depth-first
 * walk (cp_depgraph_postorder) over the deps column (none when there is no
 * such column), each entry cut at its first '@' and trimmed, on the graph
 * Python builds (a repeated id keeps its first place and its last row's
 * deps; a name no row has is placed where the walk reaches it).  *pr
 * receives what package_sync.py would not have complained of.  Returns 0,
 * or -1 on a read error, with the reader's message in e (fp then holds part
 * of the view), or when out of memory.
 */
int cp_view_sync(struct cp_csv_reader *r, size_t key, FILE *fp,
    struct cp_view_sync_problems *pr, struct cp_err *e);

/* Release v; safe on NULL. */
void cp_view_free(struct cp_view *v);

#endif
