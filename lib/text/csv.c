/* csv: a strict streaming reader and a csv.DictWriter-exact writer (see csv.h for the dialect).
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/strmap.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "text/csv.h"

#define INBUF_SIZE ((size_t)64 << 10)

struct cp_csv_reader {
	FILE *fp;
	char *name;		/* the input, as messages name it */
	struct cp_csv_limits lim;

	char *in;		/* read-ahead from fp */
	size_t inpos, inend;
	int eof;
	int started;		/* the byte order mark has been looked for */
	unsigned long line;	/* physical lines consumed */

	char *raw;		/* the current record's bytes */
	size_t rawlen, rawcap;
	char *dec;		/* a copy of raw holding the decoded fields, each NUL-terminated */
	size_t deccap;
	size_t *off;		/* per field: offset in dec */
	size_t *len;
	char **field;
	size_t fieldcap;

	size_t ncols;		/* 0 until the header is read */
	char **names;
	struct cp_csv_row header;

	int failed;
	struct cp_err err;
};

/* Bytes that end a run of plain bytes in an unquoted field. */
static const unsigned char stop[256] = {
	['\0'] = 1, [','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1
};

struct cp_csv_reader *
cp_csv_open(FILE *fp, const char *name, const struct cp_csv_limits *lim)
{
	struct cp_csv_reader *r = xcalloc(1, sizeof(*r));

	r->fp = fp;
	r->name = xstrdup(name);
	if (lim != NULL)
		r->lim = *lim;
	if (r->lim.max_field == 0)
		r->lim.max_field = CP_CSV_MAX_FIELD;
	if (r->lim.max_record == 0)
		r->lim.max_record = CP_CSV_MAX_RECORD;
	if (r->lim.max_columns == 0)
		r->lim.max_columns = CP_CSV_MAX_COLUMNS;
	r->in = xmalloc(INBUF_SIZE);
	return r;
}

static int fail(struct cp_csv_reader *r, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Malformed input: "NAME:LINE: what". */
static int
fail(struct cp_csv_reader *r, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cp_err_vset(&r->err, 0, fmt, ap);
	va_end(ap);
	r->failed = 1;
	return cp_err_prefix(&r->err, "%s:%lu", r->name, line);
}

/*
 * Append the next physical line (to and including its LF, or to the end of
 * the input) to raw.  Returns 1, 0 at the end of the input, -1 on an error.
 * rec_line is the line the record started on, for the error message.
 */
static int
append_line(struct cp_csv_reader *r, unsigned long rec_line)
{
	size_t got = 0, take, n;
	const char *p, *nl;

	for (;;) {
		if (r->inpos == r->inend) {
			if (r->eof)
				break;
			n = fread(r->in, 1, INBUF_SIZE, r->fp);
			if (n == 0) {
				if (ferror(r->fp)) {
					r->failed = 1;
					return cp_err_set(&r->err, errno ? errno : EIO, "%s", r->name);
				}
				r->eof = 1;
				break;
			}
			r->inpos = 0;
			r->inend = n;
		}
		p = r->in + r->inpos;
		n = r->inend - r->inpos;
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) + 1 : n;
		if (take > r->lim.max_record - r->rawlen)
			return fail(r, rec_line, "record longer than %zu bytes",
			    r->lim.max_record);
		if (r->rawlen + take + 1 > r->rawcap) {
			r->rawcap = r->rawcap ? r->rawcap : 4096;
			while (r->rawcap < r->rawlen + take + 1)
				r->rawcap *= 2;
			r->raw = xrealloc(r->raw, r->rawcap);
		}
		memcpy(r->raw + r->rawlen, p, take);
		r->rawlen += take;
		r->raw[r->rawlen] = '\0';	/* a sentinel for the parser's scans */
		r->inpos += take;
		got += take;
		if (nl != NULL)
			break;
	}
	if (got == 0)
		return 0;
	r->line++;
	return 1;
}

/* The line of raw byte i of a record that started on line first. */
static unsigned long
line_of(const struct cp_csv_reader *r, unsigned long first, size_t i)
{
	const char *p = r->raw, *end = r->raw + i;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		first++;
		p++;
	}
	return first;
}

/* Ending of a field: 1 field follows, 0 the record ends, -1 an error. */
static int
field_end(struct cp_csv_reader *r, size_t *i, int *lf_only, const char *what,
    unsigned long first)
{
	char c;

	if (*i == r->rawlen) {		/* the input ends without a line end */
		*lf_only = 1;
		return 0;
	}
	c = r->raw[*i];
	if (c == ',') {
		(*i)++;
		return 1;
	}
	if (c == '\n') {
		(*i)++;
		*lf_only = 1;
		return 0;
	}
	if (c == '\r' && *i + 1 < r->rawlen && r->raw[*i + 1] == '\n') {
		*i += 2;
		return 0;
	}
	if (c == '\r' && *i + 1 == r->rawlen) {	/* a CRLF cut after its CR by the end */
		(*i)++;
		*lf_only = 1;
		return 0;
	}
	if (c == '\r')
		return fail(r, line_of(r, first, *i),
		    "carriage return inside a field or as a line end (quote it, or end lines with CRLF or LF)");
	if (c == '\0')
		return fail(r, line_of(r, first, *i), "NUL byte");
	return fail(r, line_of(r, first, *i), "%s", what);
}

/* Bring dec up to date with raw from byte from on: fields are cut out of this copy in place. */
static void
mirror(struct cp_csv_reader *r, size_t from)
{
	if (r->deccap < r->rawlen + 1) {
		r->deccap = r->rawcap;
		r->dec = xrealloc(r->dec, r->deccap);
	}
	memcpy(r->dec + from, r->raw + from, r->rawlen - from);
}

/*
 * Split the record that starts in raw (one line read so far) into fields,
 * reading more lines while a quoted field is open.  At most maxfields
 * fields; the count is checked by the caller.  dec mirrors raw: an
 * unquoted field stays where it is and its separator becomes its NUL; a
 * quoted one is decoded over its own bytes, from its opening quote on.
 */
static int
parse_record(struct cp_csv_reader *r, struct cp_csv_row *row, unsigned long first,
    size_t maxfields)
{
	const char *raw;
	size_t i = 0, nf = 0, start, o, k;
	int quoted, special, more, lf_only = 0, canonical = 1, q0 = 0, s0 = 0, rc;
	unsigned char c;

	mirror(r, 0);
	do {
		if (nf == maxfields && r->ncols > 0)
			return fail(r, first, "more fields than the header's %zu", maxfields);
		if (nf == maxfields)
			return fail(r, first, "more than %zu columns", maxfields);
		if (nf == r->fieldcap) {
			r->fieldcap = r->fieldcap ? 2 * r->fieldcap : 32;
			r->off = xreallocarray(r->off, r->fieldcap, sizeof(*r->off));
			r->len = xreallocarray(r->len, r->fieldcap, sizeof(*r->len));
			r->field = xreallocarray(r->field, r->fieldcap, sizeof(*r->field));
		}
		raw = r->raw;
		special = 0;
		quoted = raw[i] == '"';
		if (!quoted) {
			start = i;
			for (;;) {
				/* raw[rawlen] is a NUL, which stops the scan at the end. */
				while (!stop[(unsigned char)raw[i]])
					i++;
				if (raw[i] != '"')
					break;
				/* Python reads a quote inside an unquoted field as itself. */
				special = 1;
				i++;
			}
			o = i;
		} else {
			start = o = i++;
			for (;;) {
				c = (unsigned char)raw[i];
				if (c == '"') {
					if (raw[i + 1] == '"') {
						special = 1;
						r->dec[o++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (c == '\0' && i == r->rawlen) {
					if ((rc = append_line(r, first)) < 0)
						return -1;
					if (rc == 0)
						return fail(r, line_of(r, first, start),
						    "unterminated quoted field");
					mirror(r, i);
					raw = r->raw;
					continue;
				}
				if (c == '\0')
					return fail(r, line_of(r, first, i), "NUL byte");
				if (c == ',' || c == '\r' || c == '\n')
					special = 1;
				r->dec[o++] = (char)c;
				i++;
			}
		}
		if (raw[i] == ',') {
			i++;
			more = 1;
		} else if ((more = field_end(r, &i, &lf_only, quoted ?
		    "text after the closing quote of a field" : "NUL byte", first)) < 0)
			return -1;
		r->off[nf] = start;
		r->len[nf] = o - start;
		if (r->len[nf] > r->lim.max_field)
			return fail(r, first, "field %zu longer than %zu bytes", nf + 1,
			    r->lim.max_field);
		r->dec[o] = '\0';
		/* Canonical: quoted exactly when DictWriter would quote it. */
		if (nf == 0) {
			q0 = quoted;
			s0 = special;
		} else if (quoted != special)
			canonical = 0;
		nf++;
	} while (more);
	/* The one field DictWriter quotes without cause: the only field, when empty. */
	if (q0 != (s0 || (nf == 1 && r->len[0] == 0)))
		canonical = 0;
	for (k = 0; k < nf; k++)
		r->field[k] = r->dec + r->off[k];
	row->nfields = nf;
	row->field = r->field;
	row->len = r->len;
	row->raw = r->raw;
	row->rawlen = r->rawlen;
	row->line = first;
	row->canonical = canonical && !lf_only;
	return 1;
}

/* The length of the ASCII bytes that start s, eight at a time: most records are all ASCII. */
static size_t
ascii_prefix(const char *s, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	return i;
}

/* Read one record (skipping empty lines) with at most maxfields fields. */
static int
read_record(struct cp_csv_reader *r, struct cp_csv_row *row, size_t maxfields)
{
	unsigned long first;
	size_t bad, skip;
	int rc;

	if (r->failed)
		return -1;
	for (;;) {
		r->rawlen = 0;
		first = r->line + 1;
		if ((rc = append_line(r, first)) <= 0)
			return rc;
		if (!r->started) {
			r->started = 1;
			if (r->rawlen >= 3 && memcmp(r->raw, "\xef\xbb\xbf", 3) == 0) {
				r->rawlen -= 3;
				memmove(r->raw, r->raw + 3, r->rawlen + 1);
				if (r->rawlen == 0)
					continue;
			}
		}
		if ((r->rawlen == 1 && r->raw[0] == '\n') ||
		    (r->rawlen == 2 && r->raw[0] == '\r' && r->raw[1] == '\n'))
			continue;
		break;
	}
	if ((rc = parse_record(r, row, first, maxfields)) < 0)
		return rc;
	skip = ascii_prefix(r->raw, r->rawlen);
	if (skip < r->rawlen && !cp_utf8_valid(r->raw + skip, r->rawlen - skip, &bad))
		return fail(r, line_of(r, first, skip + bad), "invalid UTF-8");
	return 1;
}

int
cp_csv_read_header(struct cp_csv_reader *r)
{
	struct cp_csv_row row;
	struct cp_strmap *seen;
	size_t k, first;
	char *raw;
	int rc;

	rc = read_record(r, &row, r->lim.max_columns);
	if (rc == 0)
		return fail(r, r->line ? r->line : 1, "no header line");
	if (rc < 0)
		return -1;
	/* Written back, the header comes first, where such a mark would be skipped. */
	if (row.nfields > 0 && row.len[0] >= 3 && memcmp(row.field[0], "\xef\xbb\xbf", 3) == 0)
		return fail(r, row.line, "the header's first name begins with a byte order mark "
		    "(one is allowed only at the start of the file)");
	seen = cp_strmap_new();
	for (k = 0; k < row.nfields; k++) {
		if (row.len[k] == 0) {
			cp_strmap_free(seen);
			return fail(r, row.line, "column %zu of the header has no name", k + 1);
		}
		if (!cp_strmap_add(seen, row.field[k], row.len[k], k, &first)) {
			cp_strmap_free(seen);
			return fail(r, row.line, "column name %.64s repeated (columns %zu and %zu)",
			    row.field[k], first + 1, k + 1);
		}
	}
	cp_strmap_free(seen);
	r->ncols = row.nfields;
	r->names = xreallocarray(NULL, r->ncols, sizeof(*r->names));
	r->header = row;
	r->header.field = r->names;
	r->header.len = xreallocarray(NULL, r->ncols, sizeof(*r->header.len));
	for (k = 0; k < r->ncols; k++) {
		r->names[k] = xstrndup(row.field[k], row.len[k]);
		r->header.len[k] = row.len[k];
	}
	raw = xmalloc(row.rawlen + 1);
	memcpy(raw, row.raw, row.rawlen);
	r->header.raw = raw;
	return 0;
}

size_t
cp_csv_ncolumns(const struct cp_csv_reader *r)
{
	return r->ncols;
}

const char *
cp_csv_colname(const struct cp_csv_reader *r, size_t i)
{
	return i < r->ncols ? r->names[i] : NULL;
}

const struct cp_csv_row *
cp_csv_header_row(const struct cp_csv_reader *r)
{
	return &r->header;
}

long
cp_csv_column(const struct cp_csv_reader *r, const char *name)
{
	size_t k;

	for (k = 0; k < r->ncols; k++)
		if (strcmp(r->names[k], name) == 0)
			return (long)k;
	return -1;
}

int
cp_csv_read_row(struct cp_csv_reader *r, struct cp_csv_row *row)
{
	int rc;

	if (r->ncols == 0 && !r->failed)
		return fail(r, 0, "internal error: row read before the header");
	if ((rc = read_record(r, row, r->ncols)) <= 0)
		return rc;
	if (row->nfields != r->ncols)
		return fail(r, row->line, "%zu field%s, the header has %zu", row->nfields,
		    row->nfields == 1 ? "" : "s", r->ncols);
	return 1;
}

const struct cp_err *
cp_csv_error(const struct cp_csv_reader *r)
{
	return &r->err;
}

void
cp_csv_close(struct cp_csv_reader *r)
{
	size_t k;

	if (r == NULL)
		return;
	for (k = 0; k < r->ncols; k++)
		free(r->names[k]);
	free(r->names);
	free(r->name);
	free(r->header.len);
	free((char *)(uintptr_t)r->header.raw);
	free(r->in);
	free(r->raw);
	free(r->dec);
	free(r->off);
	free(r->len);
	free(r->field);
	free(r);
}

static int
needs_quotes(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return 1;
	return 0;
}

void
cp_csv_write_fields(FILE *fp, size_t n, char *const *field, const size_t *len)
{
	const char *s, *q, *end;
	size_t k;

	for (k = 0; k < n; k++) {
		if (k > 0)
			putc(',', fp);
		s = field[k];
		if (!needs_quotes(s, len[k]) && !(n == 1 && len[k] == 0)) {
			fwrite(s, 1, len[k], fp);
			continue;
		}
		putc('"', fp);
		end = s + len[k];
		while ((q = memchr(s, '"', (size_t)(end - s))) != NULL) {
			fwrite(s, 1, (size_t)(q - s) + 1, fp);
			putc('"', fp);
			s = q + 1;
		}
		fwrite(s, 1, (size_t)(end - s), fp);
		putc('"', fp);
	}
	fputs("\r\n", fp);
}

void
cp_csv_write_row(FILE *fp, const struct cp_csv_row *row)
{
	if (row->canonical)
		fwrite(row->raw, 1, row->rawlen, fp);
	else
		cp_csv_write_fields(fp, row->nfields, row->field, row->len);
}

void
cp_csv_write_header(FILE *fp, const struct cp_csv_reader *r)
{
	cp_csv_write_row(fp, &r->header);
}
