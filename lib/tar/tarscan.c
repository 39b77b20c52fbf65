/* tarscan: block-by-block validation of ustar, pax and GNU headers (POSIX.1-2001 pax, GNU tar's formats).
 * SPDX-License-Identifier: ISC */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "tar/tarerr.h"
#include "tar/tarscan.h"

#define BLOCK 512
#define EXT_MAX (1024 * 1024)		/* one pax or GNU long-name header */
#define SIZE_MAX_SANE ((uint64_t)1 << 62)
#define NAME_SHOWN 512

enum { S_HEADER, S_EXT, S_SKIP, S_END };

struct cp_tarscan {
	int state;
	uint64_t pos;			/* bytes scanned */
	unsigned char hdr[BLOCK];
	size_t hdrlen;
	/* The extension header being collected. */
	char ext_type;
	unsigned char *ext;
	size_t extlen, extneed, extcap;
	uint64_t skip;			/* data and padding still to pass */
	/* The entry whose headers are being read. */
	int in_entry;
	uint64_t entry_start, entries;
	int has_size;
	uint64_t pax_size;
	char name[NAME_SHOWN];		/* the entry's name, for messages */
	size_t namelen;
	char last[NAME_SHOWN];		/* the last complete entry's, for errors in its data */
	size_t lastlen;
	int ext_named;			/* name came from a pax path or GNU long name */
	char *pax_path, *pax_link;	/* the entry's pax path and linkpath, byte for byte */
	int gnu_name, gnu_link;		/* the entry had a GNU long name, long link name */
	int whole;			/* the error is about the archive, not an entry */
	/* Entry starts not yet popped, with their pax names. */
	struct start {
		uint64_t off;
		char *path, *link;
	} *starts;
	size_t nstarts, headstart, capstarts;
	struct cp_err err;		/* the first error; it sticks */
};

static int fail(struct cp_tarscan *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct cp_tarscan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cp_tarerr_vset(&s->err, s->whole ? 0 : s->entries + 1, s->namelen > 0 ? s->name : NULL,
	    s->namelen, fmt, ap);
	va_end(ap);
	return -1;
}

struct cp_tarscan *
cp_tarscan_new(void)
{
	return xcalloc(1, sizeof(struct cp_tarscan));
}

void
cp_tarscan_free(struct cp_tarscan *s)
{
	if (s == NULL)
		return;
	free(s->ext);
	for (size_t i = s->headstart; i < s->nstarts; i++) {
		free(s->starts[i].path);
		free(s->starts[i].link);
	}
	free(s->starts);
	free(s->pax_path);
	free(s->pax_link);
	free(s);
}

const struct cp_err *
cp_tarscan_error(const struct cp_tarscan *s)
{
	return &s->err;
}

int
cp_tarscan_pop_names(struct cp_tarscan *s, uint64_t *off, char **path, char **link)
{
	struct start *t;

	*path = *link = NULL;
	if (s->headstart == s->nstarts)
		return 0;
	t = &s->starts[s->headstart++];
	*off = t->off;
	*path = t->path;
	*link = t->link;
	if (s->headstart == s->nstarts)
		s->headstart = s->nstarts = 0;
	return 1;
}

int
cp_tarscan_pop(struct cp_tarscan *s, uint64_t *off)
{
	char *path, *link;
	int rc = cp_tarscan_pop_names(s, off, &path, &link);

	free(path);
	free(link);
	return rc;
}

static void
set_name(struct cp_tarscan *s, const void *p, size_t n, int from_ext)
{
	s->ext_named = from_ext;
	s->namelen = n < sizeof(s->name) ? n : sizeof(s->name);
	memcpy(s->name, p, s->namelen);
}

/* An octal field: optional leading spaces, digits, then only NULs and spaces.  -1 if malformed. */
static int
octal(const unsigned char *f, size_t len, uint64_t *v)
{
	size_t i = 0;

	*v = 0;
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (*v > (UINT64_MAX >> 3))
			return -1;
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return -1;
	return 0;
}

/* The size field: octal, or GNU's base-256 (high bit set; 0xff starts a negative number). */
static int
header_size(struct cp_tarscan *s, uint64_t *size)
{
	const unsigned char *f = s->hdr + 124;
	size_t i;

	if (f[0] & 0x80) {
		if (f[0] == 0xff)
			return fail(s, "negative size in the header");
		*size = f[0] & 0x7f;
		for (i = 1; i < 12; i++) {
			if (*size > (UINT64_MAX >> 8))
				return fail(s, "absurd size in the header");
			*size = *size << 8 | f[i];
		}
	} else if (octal(f, 12, size) == -1)
		return fail(s, "malformed size field");
	if (*size > SIZE_MAX_SANE)
		return fail(s, "absurd size in the header");
	return 0;
}

/* POSIX sums the header as unsigned bytes with the checksum field as spaces; old tars summed signed. */
static int
checksum_ok(const unsigned char *h)
{
	uint64_t stored;
	long usum = 0, ssum = 0;
	int i;

	if (octal(h + 148, 8, &stored) == -1)
		return 0;
	for (i = 0; i < BLOCK; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];

		usum += c;
		ssum += (signed char)c;
	}
	return (long)stored == usum || (long)stored == ssum;
}

static int
is_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Parse pax records "LEN key=value\n" (POSIX.1-2001 pax, "extended header"). */
static int
pax_records(struct cp_tarscan *s)
{
	const unsigned char *p = s->ext, *end = s->ext + s->extlen;
	const unsigned char *sp, *eq, *val, *recend;
	uint64_t len, v;
	size_t keylen, vlen, i;

	while (p < end) {
		if (*p == '\0') {
			if (!is_zero(p, (size_t)(end - p)))
				return fail(s, "malformed pax header (data after a NUL)");
			break;
		}
		len = 0;
		for (sp = p; sp < end && *sp >= '0' && *sp <= '9'; sp++) {
			if (len > EXT_MAX)
				return fail(s, "malformed pax header (record length)");
			len = len * 10 + (uint64_t)(*sp - '0');
		}
		if (sp == p || sp == end || *sp != ' ' || len > (uint64_t)(end - p) ||
		    len < (uint64_t)(sp - p) + 4)
			return fail(s, "malformed pax header (record length)");
		recend = p + len;
		if (recend[-1] != '\n')
			return fail(s, "malformed pax header (record not ended by a newline)");
		eq = memchr(sp + 1, '=', (size_t)(recend - sp - 1));
		keylen = eq ? (size_t)(eq - sp - 1) : 0;
		if (eq == NULL || keylen == 0)
			return fail(s, "malformed pax header (record without a key)");
		val = eq + 1;
		vlen = (size_t)(recend - 1 - val);
		if (memchr(sp + 1, '\0', keylen) != NULL)
			return fail(s, "malformed pax header (NUL in a key)");
#define KEY(k) (keylen == sizeof(k) - 1 && memcmp(sp + 1, k, keylen) == 0)
		if ((KEY("path") || KEY("linkpath")) && s->ext_type == 'g')
			/* GNU tar and Python apply it to every entry that follows, libarchive
			 * ignores it: a checked archive must mean one set of names to all. */
			return fail(s, "pax global header with a %s (not supported)",
			    KEY("path") ? "path" : "linkpath");
		if (KEY("path") || KEY("linkpath")) {
			if (KEY("path") && s->ext_type == 'x')
				set_name(s, val, vlen, 1);
			if (memchr(val, '\0', vlen) != NULL)
				return fail(s, "NUL byte in the pax %s", KEY("path") ? "path" : "linkpath");
			/* Kept as they are: libarchive hands them over normalised to NFC. */
			if (KEY("path")) {
				free(s->pax_path);
				s->pax_path = xstrndup((const char *)val, vlen);
			} else {
				free(s->pax_link);
				s->pax_link = xstrndup((const char *)val, vlen);
			}
		} else if (KEY("size") && s->ext_type == 'x') {
			v = 0;
			for (i = 0; i < vlen; i++) {
				if (val[i] < '0' || val[i] > '9' || v > SIZE_MAX_SANE)
					return fail(s, "malformed pax size");
				v = v * 10 + (uint64_t)(val[i] - '0');
			}
			if (vlen == 0 || v > SIZE_MAX_SANE)
				return fail(s, "malformed pax size");
			s->has_size = 1;
			s->pax_size = v;
		} else if (keylen > 11 && memcmp(sp + 1, "GNU.sparse.", 11) == 0)
			return fail(s, "sparse file (not supported)");
#undef KEY
		p = recend;
	}
	return 0;
}

/* A GNU long name or link: the name, then NULs only. */
static int
gnu_long(struct cp_tarscan *s)
{
	const unsigned char *nul = memchr(s->ext, '\0', s->extlen);
	size_t n = nul ? (size_t)(nul - s->ext) : s->extlen;

	if (s->ext_type == 'L')
		set_name(s, s->ext, n, 1);
	if (s->ext_type == 'L')
		s->gnu_name = 1;
	else
		s->gnu_link = 1;
	if (nul != NULL && !is_zero(nul, s->extlen - n))
		return fail(s, "NUL byte in a GNU long %s", s->ext_type == 'L' ? "name" : "link name");
	return 0;
}

static int
ext_done(struct cp_tarscan *s)
{
	int rc = s->ext_type == 'x' || s->ext_type == 'g' ? pax_records(s) : gnu_long(s);

	s->state = S_HEADER;
	return rc;
}

/* The display name of a plain header, when no extension header gave one. */
static void
header_name(struct cp_tarscan *s)
{
	const unsigned char *h = s->hdr;
	char buf[256 + 1 + 100];
	size_t np = 0, nn;

	if (s->ext_named)
		return;
	/* Only POSIX ustar has a prefix field; GNU's header keeps times there. */
	if (memcmp(h + 257, "ustar\0" "00", 8) == 0 && h[345] != '\0') {
		np = strnlen((const char *)h + 345, 155);
		memcpy(buf, h + 345, np);
		buf[np++] = '/';
	}
	nn = strnlen((const char *)h, 100);
	memcpy(buf + np, h, nn);
	set_name(s, buf, np + nn, 0);
}

static int
header(struct cp_tarscan *s)
{
	uint64_t size = 0;
	char t = (char)s->hdr[156];

	if (is_zero(s->hdr, BLOCK)) {
		if (s->in_entry)
			return fail(s, "end-of-archive marker right after an extension header");
		s->state = S_END;
		return 0;
	}
	header_name(s);
	if (!checksum_ok(s->hdr))
		return fail(s, "bad header checksum");
	if (header_size(s, &size) == -1)
		return -1;
	if (!s->in_entry) {
		s->in_entry = 1;
		s->entry_start = s->pos - BLOCK;
	}
	switch (t) {
	case 'x': case 'g': case 'L': case 'K':
		if (size > EXT_MAX)
			return fail(s, "extension header over %d bytes", EXT_MAX);
		s->ext_type = t;
		s->extneed = (size_t)size;
		s->extlen = 0;
		if (s->extcap < s->extneed) {
			s->extcap = s->extneed;
			s->ext = xrealloc(s->ext, s->extcap);
		}
		s->skip = (BLOCK - size % BLOCK) % BLOCK;
		s->state = S_EXT;
		if (size == 0)
			return ext_done(s);
		return 0;
	case '0': case '\0': case '7':
		if (s->has_size)
			size = s->pax_size;
		break;
	case '1': case '2': case '3': case '4': case '5': case '6':
		if (s->has_size)
			size = s->pax_size;
		if (size != 0)
			return fail(s, "%s entry with data", t == '1' ? "hard link" :
			    t == '2' ? "symlink" : t == '5' ? "directory" : "special file");
		break;
	case 'S':
		return fail(s, "sparse file (not supported)");
	default:
		if (t > ' ' && t < 0x7f)
			return fail(s, "unknown entry type '%c'", t);
		return fail(s, "unknown entry type \\%03o", (unsigned char)t);
	}
	/* Two names, in an order each reader takes its own way: which one is meant? */
	if ((s->gnu_name && s->pax_path != NULL) || (s->gnu_link && s->pax_link != NULL))
		return fail(s, "both a GNU long %s and a pax %s", s->gnu_name && s->pax_path ?
		    "name" : "link name", s->gnu_name && s->pax_path ? "path" : "linkpath");
	/* A complete entry: remember where its headers began, for the cross-check. */
	if (s->nstarts == s->capstarts) {
		s->capstarts = s->capstarts ? s->capstarts * 2 : 64;
		s->starts = xreallocarray(s->starts, s->capstarts, sizeof(*s->starts));
	}
	s->starts[s->nstarts].off = s->entry_start;
	s->starts[s->nstarts].path = s->pax_path;
	s->starts[s->nstarts++].link = s->pax_link;
	s->pax_path = s->pax_link = NULL;
	s->gnu_name = s->gnu_link = 0;
	memcpy(s->last, s->name, s->namelen);
	s->lastlen = s->namelen;
	s->entries++;
	s->in_entry = 0;
	s->has_size = 0;
	s->namelen = 0;
	s->ext_named = 0;
	s->skip = size + (BLOCK - size % BLOCK) % BLOCK;
	s->state = s->skip > 0 ? S_SKIP : S_HEADER;
	return 0;
}

int
cp_tarscan_feed(struct cp_tarscan *s, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t take;

	if (s->err.msg[0] != '\0')
		return -1;
	while (n > 0) {
		switch (s->state) {
		case S_HEADER:
			take = BLOCK - s->hdrlen;
			if (take > n)
				take = n;
			memcpy(s->hdr + s->hdrlen, p, take);
			s->hdrlen += take;
			s->pos += take;
			p += take;
			n -= take;
			if (s->hdrlen == BLOCK) {
				s->hdrlen = 0;
				if (header(s) == -1)
					return -1;
			}
			break;
		case S_EXT:
			take = s->extneed - s->extlen;
			if (take > n)
				take = n;
			memcpy(s->ext + s->extlen, p, take);
			s->extlen += take;
			s->pos += take;
			p += take;
			n -= take;
			if (s->extlen == s->extneed && ext_done(s) == -1)
				return -1;
			if (s->state == S_HEADER && s->skip > 0)
				s->state = S_SKIP;
			break;
		case S_SKIP:
			take = s->skip < n ? (size_t)s->skip : n;
			s->skip -= take;
			s->pos += take;
			p += take;
			n -= take;
			if (s->skip == 0)
				s->state = S_HEADER;
			break;
		case S_END:
			if (!is_zero(p, n)) {
				s->whole = 1;
				return fail(s, "data after the end-of-archive marker");
			}
			s->pos += n;
			n = 0;
			break;
		}
	}
	return 0;
}

int
cp_tarscan_end(struct cp_tarscan *s)
{
	if (s->err.msg[0] != '\0')
		return -1;
	if (s->state == S_END)
		return 0;
	if (s->state == S_HEADER && s->hdrlen == 0 && !s->in_entry) {
		s->whole = 1;
		return fail(s, "the archive ends without an end-of-archive marker (truncated?)");
	}
	if (s->state == S_SKIP) {
		/* Inside the data of the entry last read. */
		s->entries--;
		set_name(s, s->last, s->lastlen, 0);
		return fail(s, "the archive is truncated (inside the data)");
	}
	return fail(s, "the archive is truncated");
}
