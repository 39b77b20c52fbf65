/* registry: the two registries' columns and lists, and their validation rules (design.md section 5).
 * SPDX-License-Identifier: ISC */
#ifndef CP_REGISTRY_H
#define CP_REGISTRY_H

#include <stddef.h>

#include "text/csv.h"

enum cp_registry_kind {
	CP_REGISTRY_UNKNOWN,
	CP_REGISTRY_PACKAGES,		/* registries/packages_registry.csv */
	CP_REGISTRY_CONTROL_PLANE	/* registries/control_plane_registry.csv */
};

/* The columns of a registry of kind, in their order, NULL-terminated (NULL for UNKNOWN). */
const char *const *cp_registry_columns(enum cp_registry_kind kind);

/* "packages" or "control-plane" (NULL for UNKNOWN); and back (UNKNOWN for any other name). */
const char *cp_registry_kind_name(enum cp_registry_kind kind);
enum cp_registry_kind cp_registry_kind_parse(const char *name);

/*
 * The kind a header says: packages when it has the columns deps and
 * digest, control-plane when it has dependencies and artifact_path (and
 * not deps), else UNKNOWN.
 */
enum cp_registry_kind cp_registry_kind_of(const struct cp_csv_reader *r);

/*
 * Step through a comma list (deps, conflicts, dependencies): from *p (up
 * to end), set *item and *len to the next entry with spaces and tabs around
 * it trimmed, skipping empty entries, and advance *p.  Returns 1 for an
 * entry, 0 at the end.
 */
int cp_registry_list_next(const char **p, const char *end, const char **item, size_t *len);

/* The length of the id of a dependency entry "ID[@constraint]": what precedes the first '@'. */
size_t cp_registry_dep_idlen(const char *item, size_t len);

/*
 * Write s[0..len) into buf (cap bytes, cap > 8) as a double-quoted string
 * fit for a one-line message: '"' and '\' escaped, control bytes as \n \r
 * \t or \xHH, more than 64 bytes shortened with "...".  Always NUL-terminates.
 */
void cp_registry_quote(char *buf, size_t cap, const char *s, size_t len);

/* One problem found by validation. */
struct cp_registry_problem {
	int fail;		/* 1 FAIL (the registry is invalid), 0 WARN */
	unsigned long line;	/* the line the row starts on (the header's for column problems) */
	char *id;		/* the row's id, NULL for a problem of the header */
	char *what;		/* one line of text, printable */
};

struct cp_registry_check;

/*
 * Start validating a registry of kind (PACKAGES or CONTROL_PLANE) whose
 * header r has read: missing and unknown columns are the first problems.
 * Never returns NULL (exits 2 when out of memory).  Caller frees with
 * cp_registry_check_free.
 */
struct cp_registry_check *cp_registry_check_new(enum cp_registry_kind kind,
    const struct cp_csv_reader *r);

/*
 * Also check the files rows name, beneath the plane open as rootfd (kept
 * open by the caller while rows are checked): an active tar row's
 * attestation_path exists (WARN) and hashes to its attestation_digest
 * (FAIL), as validate_packages.py checks them.  Without this call no file
 * is read.
 */
void cp_registry_check_files(struct cp_registry_check *c, int rootfd);

/* Check one row (read from r, in file order): the rules that need only the rows seen so far. */
void cp_registry_check_row(struct cp_registry_check *c, const struct cp_csv_row *row);

/*
 * Apply the rules that need every row (dependencies exist and satisfy their
 * constraints, no cycles) and return every problem, ordered by line (a
 * row's own problems in the order of its columns, then those of its
 * dependencies).  *problems stays valid until cp_registry_check_free.
 * Call once, after the last row.
 */
size_t cp_registry_check_finish(struct cp_registry_check *c,
    const struct cp_registry_problem **problems);

void cp_registry_check_free(struct cp_registry_check *c);

#endif
