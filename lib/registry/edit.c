/* edit: change the rows of a registry that match a value, every other byte kept.
 * SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "registry/edit.h"

/* Write row (NULL: a new row, empty but for the assignments) with the assignments applied. */
static void
write_changed(FILE *out, size_t ncols, const struct cp_csv_row *row, const long *col,
    const struct cp_edit_assign *as, size_t n, char **field, size_t *len)
{
	static char empty[] = "";
	size_t k;

	for (k = 0; k < ncols; k++) {
		field[k] = row != NULL ? row->field[k] : empty;
		len[k] = row != NULL ? row->len[k] : 0;
	}
	for (k = 0; k < n; k++) {
		field[col[k]] = as[k].value != NULL ? (char *)(uintptr_t)as[k].value : empty;
		len[col[k]] = strlen(field[col[k]]);
	}
	cp_csv_write_fields(out, ncols, field, len);
}

int
cp_edit_rows(struct cp_csv_reader *r, FILE *out, const char *match, const char *value,
    enum cp_edit_op op, const struct cp_edit_assign *as, size_t n, size_t *matched,
    struct cp_err *e)
{
	struct cp_csv_row row;
	size_t ncols, k, found = 0;
	long key, *col = NULL;
	char **field = NULL;
	size_t *len = NULL;
	int rc;

	if (matched != NULL)
		*matched = 0;
	if (cp_csv_read_header(r) == -1)
		return cp_err_set(e, cp_csv_error(r)->errnum, "%s", cp_csv_error(r)->msg);
	ncols = cp_csv_ncolumns(r);
	if ((key = cp_csv_column(r, match)) < 0)
		return cp_err_set(e, 0, "no column %s", match);
	col = xreallocarray(NULL, n + 1, sizeof(*col));
	for (k = 0; k < n; k++)
		if ((col[k] = cp_csv_column(r, as[k].column)) < 0) {
			free(col);
			return cp_err_set(e, 0, "no column %s", as[k].column);
		}
	field = xreallocarray(NULL, ncols, sizeof(*field));
	len = xreallocarray(NULL, ncols, sizeof(*len));
	cp_csv_write_header(out, r);
	while ((rc = cp_csv_read_row(r, &row)) == 1) {
		if (row.len[key] != strlen(value) || memcmp(row.field[key], value, row.len[key]) != 0) {
			cp_csv_write_row(out, &row);
			continue;
		}
		found++;
		if (op != CP_EDIT_DEL)
			write_changed(out, ncols, &row, col, as, n, field, len);
	}
	if (rc == 0 && found == 0 && op == CP_EDIT_SET_OR_ADD)
		write_changed(out, ncols, NULL, col, as, n, field, len);
	if (rc < 0)
		cp_err_set(e, cp_csv_error(r)->errnum, "%s", cp_csv_error(r)->msg);
	free(col);
	free(field);
	free(len);
	if (matched != NULL)
		*matched = found;
	return rc < 0 ? -1 : 0;
}
