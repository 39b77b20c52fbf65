/* conf: the env-style file parser shared by secrets.env and the plane's configuration. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "text/conf.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_keychar(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (!first && c >= '0' && c <= '9');
}

/* Where a malformed file went wrong, for the caller's error buffer. */
struct where {
	const char *path;
	unsigned long line;
	char *errbuf;
	size_t errlen;
};

static int
bad(const struct where *w, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(w->errbuf, w->errlen, "%s:%lu: %s", w->path, w->line, what);
	return -2;
}

static struct cp_conf_item *
find(const struct cp_conf *c, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strncmp(c->item[i].key, key, klen) == 0 && c->item[i].key[klen] == '\0')
			return &c->item[i];
	return NULL;
}

static void
set(struct cp_conf *c, const char *key, size_t klen, const char *val, size_t vlen,
    unsigned long line)
{
	struct cp_conf_item *it = find(c, key, klen);

	if (it == NULL) {
		c->item = xreallocarray(c->item, c->n + 1, sizeof(*c->item));
		it = &c->item[c->n++];
		it->key = xstrndup(key, klen);
	} else {
		cp_wipe(it->value, it->vlen);
		free(it->value);
	}
	it->value = xstrndup(val, vlen);
	it->vlen = vlen;
	it->line = line;
}

/* Parse one line (its newline removed) into c.  Returns 0 or -2 (errbuf set). */
static int
parse_line(struct cp_conf *c, const char *p, size_t len, const struct where *w)
{
	size_t klen;
	const char *key;
	char q;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	while (len > 0 && is_blank(p[len - 1]))
		len--;
	while (len > 0 && is_blank(*p))
		p++, len--;
	if (len == 0 || *p == '#')
		return 0;
	if (len > 7 && strncmp(p, "export", 6) == 0 && is_blank(p[6])) {
		for (klen = 7; klen < len && is_blank(p[klen]); klen++)
			;
		if (klen < len && is_keychar(p[klen], 1))	/* not a key named "export" */
			p += klen, len -= klen;
	}
	key = p;
	for (klen = 0; klen < len && is_keychar(p[klen], klen == 0); klen++)
		;
	p += klen, len -= klen;
	while (len > 0 && is_blank(*p))
		p++, len--;
	if (klen == 0 || len == 0 || *p != '=')
		return bad(w, "expected KEY=value");
	p++, len--;
	while (len > 0 && is_blank(*p))
		p++, len--;
	if (len > 0 && (*p == '"' || *p == '\'')) {
		q = *p;
		if (len < 2 || p[len - 1] != q)
			return bad(w, "unterminated %c quote", q);
		p++, len -= 2;
	}
	if (c->n >= CP_CONF_KEYS_MAX && find(c, key, klen) == NULL)
		return bad(w, "more than %d keys", CP_CONF_KEYS_MAX);
	set(c, key, klen, p, len, w->line);
	return 0;
}

int
cp_conf_load(struct cp_conf *c, const char *path, char *errbuf, size_t errlen)
{
	/* Sized so that neither stdio nor cp_io_getrec ever allocates: both are wiped below. */
	size_t cap = CP_CONF_LINE_MAX + 2, len;
	char *buf = xmalloc(cap), *iobuf = xmalloc(BUFSIZ);
	struct where w = { path, 0, errbuf, errlen };
	int ended, rc = 0, e = 0;
	FILE *fp;

	c->item = NULL;
	c->n = 0;
	if ((fp = fopen(path, "re")) == NULL) {
		e = errno;
		rc = -1;
		goto out;
	}
	setvbuf(fp, iobuf, _IOFBF, BUFSIZ);
	while (rc == 0) {
		int r = cp_io_getrec(fp, '\n', CP_CONF_LINE_MAX, &buf, &cap, &len, &ended);

		w.line++;
		if (r == 0)
			break;
		if (r == -1) {
			e = errno;
			rc = -1;
		} else if (r == -2)
			rc = bad(&w, "line too long (over %d bytes)",
			    CP_CONF_LINE_MAX);
		else if (strlen(buf) != len)
			rc = bad(&w, "NUL byte");
		else
			rc = parse_line(c, buf, len, &w);
	}
	fclose(fp);
out:
	cp_wipe(buf, cap);
	cp_wipe(iobuf, BUFSIZ);
	free(buf);
	free(iobuf);
	if (rc != 0)
		cp_conf_free(c);
	errno = e;
	return rc;
}

const char *
cp_conf_get(const struct cp_conf *c, const char *key, unsigned long *line)
{
	const struct cp_conf_item *it = find(c, key, strlen(key));

	if (it != NULL && line != NULL)
		*line = it->line;
	return it != NULL ? it->value : NULL;
}

void
cp_conf_free(struct cp_conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		cp_wipe(c->item[i].value, c->item[i].vlen);
		free(c->item[i].value);
		free(c->item[i].key);
	}
	free(c->item);
	c->item = NULL;
	c->n = 0;
}
