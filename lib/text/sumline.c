/* sumline: sha256sum lines, written and parsed as GNU coreutils does.
 * SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "text/sumline.h"

/* How a sum line writes byte c of a name: an escape, or NULL for c itself. */
static const char *
escape(char c)
{
	switch (c) {
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	}
	return NULL;
}

void
cp_sumline_write_name(FILE *fp, const char *name)
{
	const char *p, *esc;

	for (p = name; *p != '\0'; p++) {
		if ((esc = escape(*p)) != NULL)
			fputs(esc, fp);
		else
			putc(*p, fp);
	}
}

void
cp_sumline_format(struct cp_buf *b, const char *hex, const char *name)
{
	const char *p, *esc;

	if (strpbrk(name, "\\\n\r") != NULL)
		cp_buf_addc(b, '\\');
	cp_buf_adds(b, hex);
	cp_buf_adds(b, "  ");
	for (p = name; *p != '\0'; p++) {
		if ((esc = escape(*p)) != NULL)
			cp_buf_adds(b, esc);
		else
			cp_buf_addc(b, *p);
	}
}

void
cp_sumline_write(FILE *fp, const char *hex, const char *name)
{
	struct cp_buf b = CP_BUF_INIT;

	cp_sumline_format(&b, hex, name);
	cp_buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, fp);
	cp_buf_free(&b);
}

static int
ishex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
take_hex(const char *s, char hex[65])
{
	int i;

	for (i = 0; i < 64; i++) {
		if (!ishex(s[i]))
			return -1;
		hex[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	}
	hex[64] = '\0';
	return 0;
}

/* Undo the \\ \n \r escaping of a name; NULL if an escape is not one of those. */
static char *
unescape(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (++i == len)
			goto bad;
		switch (s[i]) {
		case '\\': *o++ = '\\'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		default: goto bad;
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

int
cp_sumline_parse(const char *line, size_t len, char hex[65], char **name)
{
	int escaped = 0;
	const char *n;
	size_t nlen;

	if (memchr(line, '\0', len) != NULL)
		return -1;
	if (len > 0 && line[0] == '\\') {
		escaped = 1;
		line++;
		len--;
	}
	/* BSD form: SHA256 (name) = hex */
	if (len > 7 + 4 + 64 && memcmp(line, "SHA256 (", 8) == 0 &&
	    memcmp(line + len - 64 - 4, ") = ", 4) == 0) {
		if (take_hex(line + len - 64, hex) == -1)
			return -1;
		n = line + 8;
		nlen = len - 8 - 4 - 64;
	} else {
		if (len < 64 + 2 + 1 || take_hex(line, hex) == -1)
			return -1;
		if (line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
			return -1;
		n = line + 66;
		nlen = len - 66;
	}
	if (nlen == 0)
		return -1;
	if (escaped)
		*name = unescape(n, nlen);
	else
		*name = xstrndup(n, nlen);
	return *name == NULL ? -1 : 0;
}

int
cp_sumline_is_bare(const char *buf, size_t len)
{
	char hex[65];

	if (len == 65 && buf[64] == '\n')
		len = 64;
	return len == 64 && take_hex(buf, hex) == 0;
}
