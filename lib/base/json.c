/* json: writing JSON strings that always parse, and the values around them.
 * SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <string.h>

#include "base/json.h"
#include "base/utf8.h"

/* The code point of the valid n-byte UTF-8 sequence at p. */
static unsigned long
decode(const unsigned char *p, size_t n)
{
	static const unsigned char lead[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned long c = p[0] & lead[n];
	size_t k;

	for (k = 1; k < n; k++)
		c = c << 6 | (p[k] & 0x3f);
	return c;
}

/*
 * One JSON string.  ascii 0: UTF-8 raw, invalid bytes as U+FFFD; ascii 1:
 * as Python's json.dumps with ensure_ascii, everything above 0x7e (DEL
 * too) as \uXXXX, beyond the BMP as a surrogate pair, an invalid byte as
 * \ufffd.
 */
static void
write_str(FILE *fp, const char *s, size_t len, int ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char top = ascii ? 0x7f : 0x80;	/* the first byte not copied as it is */
	size_t i = 0, run, n;
	unsigned long c;

	putc('"', fp);
	while (i < len) {
		/* Copy the longest run that needs no escaping in one call. */
		for (run = i; run < len && p[run] >= 0x20 && p[run] < top &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		fwrite(p + i, 1, run - i, fp);
		i = run;
		if (i == len)
			break;
		switch (p[i]) {
		case '"': fputs("\\\"", fp); i++; continue;
		case '\\': fputs("\\\\", fp); i++; continue;
		case '\b': fputs("\\b", fp); i++; continue;
		case '\f': fputs("\\f", fp); i++; continue;
		case '\n': fputs("\\n", fp); i++; continue;
		case '\r': fputs("\\r", fp); i++; continue;
		case '\t': fputs("\\t", fp); i++; continue;
		}
		if (p[i] < top) {
			fprintf(fp, "\\u%04x", p[i]);
			i++;
			continue;
		}
		if ((n = cp_utf8_seqlen(p + i, len - i)) == 0) {
			fputs(ascii ? "\\ufffd" : "\xef\xbf\xbd", fp);	/* U+FFFD */
			i++;
			continue;
		}
		if (!ascii) {
			fwrite(p + i, 1, n, fp);
			i += n;
			continue;
		}
		c = decode(p + i, n);
		i += n;
		if (c < 0x10000)
			fprintf(fp, "\\u%04lx", c);
		else
			fprintf(fp, "\\u%04lx\\u%04lx", 0xd800 + ((c - 0x10000) >> 10),
			    0xdc00 + ((c - 0x10000) & 0x3ff));
	}
	putc('"', fp);
}

void
cp_json_write_str(FILE *fp, const char *s, size_t len)
{
	write_str(fp, s, len, 0);
}

void
cp_json_write_cstr(FILE *fp, const char *s)
{
	write_str(fp, s, strlen(s), 0);
}

void
cp_json_write_str_ascii(FILE *fp, const char *s, size_t len)
{
	write_str(fp, s, len, 1);
}


void
cp_json_init(struct cp_json *w, FILE *fp)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
}

/* Before a value: a comma when it follows another element of an array. */
static void
value(struct cp_json *w)
{
	int d = w->depth - 1;

	if (d < 0 || d >= CP_JSON_DEPTH || w->obj[d])
		return;		/* at the top, or the key put the comma */
	if (w->any[d])
		putc(',', w->fp);
	w->any[d] = 1;
}

static void
open_level(struct cp_json *w, int obj)
{
	value(w);
	putc(obj ? '{' : '[', w->fp);
	if (w->depth < CP_JSON_DEPTH) {
		w->obj[w->depth] = (unsigned char)obj;
		w->any[w->depth] = 0;
	}
	w->depth++;
}

void
cp_json_obj(struct cp_json *w)
{
	open_level(w, 1);
}

void
cp_json_arr(struct cp_json *w)
{
	open_level(w, 0);
}

void
cp_json_end(struct cp_json *w)
{
	if (w->depth == 0)
		return;
	w->depth--;
	putc(w->depth < CP_JSON_DEPTH && !w->obj[w->depth] ? ']' : '}', w->fp);
}

void
cp_json_endl(struct cp_json *w)
{
	while (w->depth > 0)
		cp_json_end(w);
	putc('\n', w->fp);
}

void
cp_json_key(struct cp_json *w, const char *key)
{
	int d = w->depth - 1;

	if (d >= 0 && d < CP_JSON_DEPTH) {
		if (w->any[d])
			putc(',', w->fp);
		w->any[d] = 1;
	}
	cp_json_write_cstr(w->fp, key);
	putc(':', w->fp);
}

void
cp_json_strn(struct cp_json *w, const char *s, size_t len)
{
	value(w);
	cp_json_write_str(w->fp, s, len);
}

void
cp_json_str(struct cp_json *w, const char *s)
{
	if (s == NULL)
		cp_json_null(w);
	else
		cp_json_strn(w, s, strlen(s));
}

void
cp_json_raw(struct cp_json *w, const char *text, size_t len)
{
	value(w);
	fwrite(text, 1, len, w->fp);
}

void
cp_json_null(struct cp_json *w)
{
	cp_json_raw(w, "null", 4);
}

void
cp_json_bool(struct cp_json *w, int b)
{
	if (b)
		cp_json_raw(w, "true", 4);
	else
		cp_json_raw(w, "false", 5);
}

void
cp_json_int(struct cp_json *w, int64_t n)
{
	value(w);
	fprintf(w->fp, "%" PRId64, n);
}

void
cp_json_uint(struct cp_json *w, uint64_t n)
{
	value(w);
	fprintf(w->fp, "%" PRIu64, n);
}

void
cp_json_hex(struct cp_json *w, const unsigned char *p, size_t n)
{
	static const char digit[] = "0123456789abcdef";
	size_t i;

	value(w);
	putc('"', w->fp);
	for (i = 0; i < n; i++) {
		putc(digit[p[i] >> 4], w->fp);
		putc(digit[p[i] & 15], w->fp);
	}
	putc('"', w->fp);
}

void
cp_json_kstr(struct cp_json *w, const char *key, const char *s)
{
	cp_json_key(w, key);
	cp_json_str(w, s);
}

void
cp_json_kbool(struct cp_json *w, const char *key, int b)
{
	cp_json_key(w, key);
	cp_json_bool(w, b);
}

void
cp_json_kint(struct cp_json *w, const char *key, int64_t n)
{
	cp_json_key(w, key);
	cp_json_int(w, n);
}

void
cp_json_kuint(struct cp_json *w, const char *key, uint64_t n)
{
	cp_json_key(w, key);
	cp_json_uint(w, n);
}

void
cp_json_knull(struct cp_json *w, const char *key)
{
	cp_json_key(w, key);
	cp_json_null(w);
}
