/* conf: the env-style file parser shared by secrets.env and the plane's configuration.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
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

/*
 * Parse line (its newline removed) into c.  Returns 0, or -2 with e saying
 * what is wrong (the caller puts "PATH:N: " before it).
 */
static int
parse_line(struct cp_conf *c, const char *p, size_t len, unsigned long line,
    struct cp_err *e)
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
	if (klen == 0 || len == 0 || *p != '=') {
		cp_err_set(e, 0, "expected KEY=value");
		return -2;
	}
	p++, len--;
	while (len > 0 && is_blank(*p))
		p++, len--;
	if (len > 0 && (*p == '"' || *p == '\'')) {
		q = *p;
		if (len < 2 || p[len - 1] != q) {
			cp_err_set(e, 0, "unterminated %c quote", q);
			return -2;
		}
		p++, len -= 2;
	}
	if (c->n >= CP_CONF_KEYS_MAX && find(c, key, klen) == NULL) {
		cp_err_set(e, 0, "more than %d keys", CP_CONF_KEYS_MAX);
		return -2;
	}
	set(c, key, klen, p, len, line);
	return 0;
}

/* Read fp (NULL: it could not be opened, errno says why) into c; see cp_conf_load. */
static int
load(struct cp_conf *c, FILE *fp, const char *path, struct cp_err *e)
{
	/* Sized so that neither stdio nor cp_io_getrec ever allocates: both are wiped below. */
	size_t cap = CP_CONF_LINE_MAX + 2, len;
	char *buf = xmalloc(cap), *iobuf = xmalloc(BUFSIZ);
	unsigned long line = 0;
	int ended, rc = 0, errnum = 0;

	c->item = NULL;
	c->n = 0;
	if (fp == NULL) {
		errnum = errno;
		rc = -1;
		goto out;
	}
	setvbuf(fp, iobuf, _IOFBF, BUFSIZ);
	while (rc == 0) {
		int r = cp_io_getrec(fp, '\n', CP_CONF_LINE_MAX, &buf, &cap, &len, &ended);

		line++;
		if (r == 0)
			break;
		if (r == -1) {
			errnum = errno;
			rc = -1;
		} else if (r == -2) {
			cp_err_set(e, 0, "line too long (over %d bytes)", CP_CONF_LINE_MAX);
			rc = -2;
		} else if (strlen(buf) != len) {
			cp_err_set(e, 0, "NUL byte");
			rc = -2;
		} else
			rc = parse_line(c, buf, len, line, e);
	}
	fclose(fp);
out:
	if (rc == -1)
		cp_err_set(e, errnum, "%s", path);
	else if (rc == -2)
		cp_err_prefix(e, "%s:%lu", path, line);
	cp_wipe(buf, cap);
	cp_wipe(iobuf, BUFSIZ);
	free(buf);
	free(iobuf);
	if (rc != 0)
		cp_conf_free(c);
	errno = errnum;
	return rc;
}

int
cp_conf_load(struct cp_conf *c, const char *path, struct cp_err *e)
{
	return load(c, fopen(path, "re"), path, e);
}

int
cp_conf_load_fd(struct cp_conf *c, int fd, const char *path, struct cp_err *e)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	FILE *fp = NULL;

	if (d != -1 && (fp = fdopen(d, "r")) == NULL) {
		int saved = errno;

		close(d);
		errno = saved;
	}
	return load(c, fp, path, e);
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
