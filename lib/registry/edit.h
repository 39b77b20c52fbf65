/* edit: change the rows of a registry that match a value, every other byte kept.
 * SPDX-License-Identifier: ISC */
#ifndef CP_EDIT_H
#define CP_EDIT_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "text/csv.h"

/* What to do with the rows whose column equals the value. */
enum cp_edit_op {
	CP_EDIT_SET,		/* apply the assignments to each matching row */
	CP_EDIT_SET_OR_ADD,	/* the same; with no matching row, append one made of them */
	CP_EDIT_DEL		/* leave the matching rows out */
};

/* column = value; value NULL reads as "". */
struct cp_edit_assign {
	const char *column;
	const char *value;
};

/*
 * Copy the registry read by r (its header not read yet) to out: the header
 * and every row not matching as read (cp_csv_write_row: raw bytes when
 * canonical), the rows whose column match equals value changed by op with
 * the n assignments (an added row holds them and "" elsewhere).  Every
 * column named must be in the header: an unknown one is an error, found
 * before any row is written.  *matched (may be NULL) gets the number of
 * matching rows.  Write errors are left in out for the caller's checked
 * close.  Returns 0, or -1 with e (malformed input: the reader's message;
 * an unknown column), out then holding part of the copy.
 */
int cp_edit_rows(struct cp_csv_reader *r, FILE *out, const char *match, const char *value,
    enum cp_edit_op op, const struct cp_edit_assign *as, size_t n, size_t *matched,
    struct cp_err *e);

#endif
