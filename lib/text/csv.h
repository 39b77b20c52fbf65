/* csv: the registries' CSV, read strictly and written byte for byte as Python's csv.DictWriter does.
 * SPDX-License-Identifier: ISC */
#ifndef CP_CSV_H
#define CP_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"

/*
 * The dialect is Python's "excel": fields separated by ',', a field quoted
 * with '"' only when it holds ',' '"' CR or LF (a '"' inside is doubled),
 * records ended by CRLF.  A record holding one empty field is written "".
 *
 * Reading accepts what Python's csv.DictReader reads from such a file, with
 * the dangerous leniencies turned into errors:
 *   - records may end in CRLF or LF, the last one may lack its line end;
 *   - a UTF-8 byte order mark at the start is skipped;
 *   - empty lines between records are skipped (DictReader skips them too);
 *   - a '"' inside an unquoted field is an ordinary character, as in Python;
 *   - errors: an unterminated quoted field, text after a closing quote, a
 *     record with more or fewer fields than the header, an empty or repeated
 *     header name, a header whose first name begins with a byte order mark
 *     (one not at the start of the file), a NUL byte, invalid UTF-8, a CR that does not end a line
 *     (outside quotes), a field or record over its cap.
 * The first error ends the reading: every later call fails with it again.
 */

/* Caps on hostile input; 0 in any field means its default. */
struct cp_csv_limits {
	size_t max_field;	/* bytes of one field's value (default 1 MiB) */
	size_t max_record;	/* bytes of one record as read (default 16 MiB) */
	size_t max_columns;	/* fields of the header (default 4096) */
};

#define CP_CSV_MAX_FIELD	((size_t)1 << 20)
#define CP_CSV_MAX_RECORD	((size_t)16 << 20)
#define CP_CSV_MAX_COLUMNS	4096

/*
 * One record, owned by the reader and valid until the next read.  Field
 * values are NUL-terminated (they cannot hold NUL), decoded (quotes
 * removed, "" undoubled).  raw is the record's bytes exactly as read,
 * line end included (if there was one).
 */
struct cp_csv_row {
	size_t nfields;
	char **field;
	size_t *len;
	const char *raw;
	size_t rawlen;
	unsigned long line;	/* the line the record starts on, from 1 */
	int canonical;		/* raw is exactly what cp_csv_write_fields would write */
};

struct cp_csv_reader;

/*
 * Start reading fp (not closed by the reader), called name in messages
 * (copied), with the caps lim (NULL for the defaults).  Never returns NULL
 * (exits 2 when out of memory).  Caller frees with cp_csv_close.
 */
struct cp_csv_reader *cp_csv_open(FILE *fp, const char *name, const struct cp_csv_limits *lim);

/*
 * Read the header record.  Returns 0, or -1 on an error (see
 * cp_csv_error); an input with no record at all is an error.
 */
int cp_csv_read_header(struct cp_csv_reader *r);

/*
 * The header once read: its names (valid until cp_csv_close) and count.
 * cp_csv_header_row gives the header record itself (raw bytes, line).
 */
size_t cp_csv_ncolumns(const struct cp_csv_reader *r);
const char *cp_csv_colname(const struct cp_csv_reader *r, size_t i);
const struct cp_csv_row *cp_csv_header_row(const struct cp_csv_reader *r);

/* Index of the column called name, or -1 if the header has none. */
long cp_csv_column(const struct cp_csv_reader *r, const char *name);

/*
 * Read the next record into *row (which points into the reader's buffers).
 * Returns 1 for a record, 0 at the end of the input, -1 on an error (a read
 * error or malformed input; see cp_csv_error).
 */
int cp_csv_read_row(struct cp_csv_reader *r, struct cp_csv_row *row);

/*
 * After an error, the whole message: "NAME:LINE: what" for malformed input
 * ("packages.csv:3: unterminated quoted field"; errnum 0), "NAME: strerror"
 * for a read error (errnum set).  Valid until cp_csv_close.
 */
const struct cp_err *cp_csv_error(const struct cp_csv_reader *r);

/* Free the reader (fp stays open). */
void cp_csv_close(struct cp_csv_reader *r);

/*
 * Write one record of n fields as csv.DictWriter writes it, CRLF included.
 * Write errors are left in fp's error flag for the caller's checked close.
 */
void cp_csv_write_fields(FILE *fp, size_t n, char *const *field, const size_t *len);

/* Write a record read by cp_csv_read_row: its raw bytes when canonical, else rewritten. */
void cp_csv_write_row(FILE *fp, const struct cp_csv_row *row);

/* Write the header of r as csv.DictWriter writes it. */
void cp_csv_write_header(FILE *fp, const struct cp_csv_reader *r);

#endif
