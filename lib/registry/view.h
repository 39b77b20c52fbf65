/* view: registry rows as JSON objects, and the compiled view package_sync.py writes (design.md section 5). */
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
 * The compiled view of package_sync.py: read every row left in r and write
 * {"packages":[row objects, in file order],"install_order":[ids]} and a
 * newline to fp.  The ids are column key's; the order is dependency-first
 * (cp_depgraph_order) over the column deps, else dependencies.  Returns 0
 * with *forced the number of rows that cycles placed before a dependency
 * (0 for a true order), or -1 on a read error, with the reader's message in
 * e (fp then holds part of the view), or when out of memory.
 */
int cp_view_sync(struct cp_csv_reader *r, size_t key, FILE *fp, size_t *forced,
    struct cp_err *e);

/* Release v; safe on NULL. */
void cp_view_free(struct cp_view *v);

#endif
