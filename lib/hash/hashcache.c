/* hashcache: stat-keyed digest cache in a small text file that carries the user's MAC.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "hash/hashcache.h"
#include "hash/hmac.h"

/*
 * File format, one record per line:
 *   cp-hash-cache 2
 *   <dev> <ino> <size> <mtime ns> <ctime ns> <sha256 hex>
 *   ...
 *   end <records> <HMAC-SHA256 hex of every byte before this line>
 * keyed with the user's state key (hash/statekey): whoever can write the
 * plane but not read that key cannot make a record the next run trusts.
 * Version 1 ended in a plain SHA-256, which anyone could recompute.
 */
#define MAGIC "cp-hash-cache 2"
#define MAGIC_V1 "cp-hash-cache 1"
#define LINE_MAX_LEN 256
#define MAX_FILE ((off_t)1 << 30)	/* a larger cache is ignored (rebuilt) */

struct entry {
	uint64_t dev, ino, size;
	int64_t mtime, ctime;	/* nanoseconds since the epoch */
	unsigned char digest[CP_SHA256_LEN];
	int used;
};

struct cp_hashcache {
	struct entry *tab;	/* open addressing, capacity a power of two */
	size_t cap, n;
	struct entry *pending;	/* stored this run; merged by save */
	size_t npending, cappending;
	int64_t written;	/* the cache file's mtime, whole seconds, in ns */
	int foreign;		/* the file is not ours: never overwrite it */
	unsigned char key[CP_STATEKEY_LEN];
};

/* Nanoseconds since the epoch, saturated far outside any real file's times. */
static int64_t
ns(const struct timespec *ts)
{
	const int64_t lim = INT64_MAX / 1000000000 - 1;

	if (ts->tv_sec > lim)
		return INT64_MAX;
	if (ts->tv_sec < -lim)
		return INT64_MIN;
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void
from_stat(struct entry *e, const struct stat *st)
{
	e->dev = (uint64_t)st->st_dev;
	e->ino = (uint64_t)st->st_ino;
	e->size = (uint64_t)st->st_size;
	e->mtime = ns(&st->st_mtim);
	e->ctime = ns(&st->st_ctim);
	e->used = 1;
}

static size_t
slot(const struct cp_hashcache *c, uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino ^ (dev * 0x9e3779b97f4a7c15u)) * 0xff51afd7ed558ccdu;

	return (size_t)(h ^ (h >> 29)) & (c->cap - 1);
}

static void
insert(struct cp_hashcache *c, const struct entry *e)
{
	struct entry *old;
	size_t i, oldcap;

	if ((c->n + 1) * 2 > c->cap) {
		old = c->tab;
		oldcap = c->cap;
		c->cap = c->cap ? c->cap * 2 : 1024;
		c->tab = xcalloc(c->cap, sizeof(*c->tab));
		c->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].used)
				insert(c, &old[i]);
		free(old);
	}
	for (i = slot(c, e->dev, e->ino); c->tab[i].used; i = (i + 1) & (c->cap - 1))
		if (c->tab[i].dev == e->dev && c->tab[i].ino == e->ino) {
			c->tab[i] = *e;
			return;
		}
	c->tab[i] = *e;
	c->n++;
}

static void
clear(struct cp_hashcache *c)
{
	free(c->tab);
	c->tab = NULL;
	c->cap = c->n = 0;
}

/* A decimal field ending at a space: strict digits (a '-' first when sign), no overflow. */
static int
field(const char **pp, int sign, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0, lim = sign ? (uint64_t)INT64_MAX + 1 : UINT64_MAX;
	int neg = 0;

	if (sign && *p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (lim - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != ' ' || (sign && !neg && v > (uint64_t)INT64_MAX))
		return -1;
	*out = neg ? (uint64_t)0 - v : v;
	*pp = p + 1;
	return 0;
}

/* "dev ino size mtime_ns ctime_ns hex": decimal fields, the times signed. */
static int
parse_record(const char *line, struct entry *e)
{
	uint64_t mt, ct;

	if (field(&line, 0, &e->dev) == -1 || field(&line, 0, &e->ino) == -1 ||
	    field(&line, 0, &e->size) == -1 || field(&line, 1, &mt) == -1 ||
	    field(&line, 1, &ct) == -1 || strlen(line) != CP_SHA256_HEXLEN ||
	    !cp_hex_is_sha256(line, CP_SHA256_HEXLEN))
		return -1;
	e->mtime = (int64_t)mt;
	e->ctime = (int64_t)ct;
	cp_hex_decode(line, CP_SHA256_HEXLEN, e->digest);
	e->used = 1;
	return 0;
}

/* Room for about n entries without growing: capacity a power of two, at most half full. */
static void
presize(struct cp_hashcache *c, size_t n)
{
	size_t cap = 1024;

	while (cap < 2 * n && cap < ((size_t)1 << 40))
		cap *= 2;
	c->tab = xreallocarray(NULL, cap, sizeof(*c->tab));
	memset(c->tab, 0, cap * sizeof(*c->tab));	/* touched once, not faulted in twice */
	c->cap = cap;
}

/*
 * Returns NULL when buf[0..len) is a valid cache, else why it is not: the
 * magic line, records, then "end <count> <sha256 of every byte before it>".
 */
static const char *
load(struct cp_hashcache *c, char *buf, size_t len)
{
	unsigned char d[CP_HMAC_LEN], w[CP_HMAC_LEN];
	char want[CP_HMAC_HEXLEN + 1];
	char *line = buf, *nl, *end = buf + len;
	size_t count = 0, records = 0;
	struct entry e;
	int n = 0;

	if ((nl = memchr(line, '\n', len)) == NULL)
		return "is corrupt";
	/* An unkeyed cache of an earlier version: as if absent, and replaced. */
	if ((size_t)(nl - line) == strlen(MAGIC_V1) && memcmp(line, MAGIC_V1, strlen(MAGIC_V1)) == 0)
		return "";
	if ((size_t)(nl - line) != strlen(MAGIC) || memcmp(line, MAGIC, strlen(MAGIC)) != 0) {
		c->foreign = 1;
		return "is not a cp-hash cache (left alone)";
	}
	presize(c, len / 100);
	for (line = nl + 1; line < end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL ||
		    (size_t)(nl - line) > LINE_MAX_LEN)
			break;
		*nl = '\0';
		if (strncmp(line, "end ", 4) == 0) {
			/* The trailer, last: its count and MAC cover everything before it. */
			if (sscanf(line, "end %zu %64[0-9a-f]%n", &records, want, &n) != 2 ||
			    line[n] != '\0' || records != count || nl + 1 != end ||
			    strlen(want) != CP_HMAC_HEXLEN || cp_hex_decode(want, CP_HMAC_HEXLEN, w) == -1)
				break;
			if (cp_hmac_sha256(c->key, sizeof(c->key), buf, (size_t)(line - buf), d) == -1)
				return "cannot be checked (out of memory)";
			return cp_hmac_equal(d, w, sizeof(d)) ? NULL :
			    "fails its MAC check (forged, corrupt, or written under another user's key)";
		}
		n = parse_record(line, &e);
		*nl = '\n';	/* the bytes stay as read: the trailer's MAC covers them */
		if (n == -1)
			break;
		insert(c, &e);
		count++;
	}
	return "is corrupt";
}

struct cp_hashcache *
cp_hashcache_load(const char *path, const unsigned char key[CP_STATEKEY_LEN],
    const char **warning)
{
	struct cp_hashcache *c = xcalloc(1, sizeof(*c));
	struct stat st;
	char *buf;
	size_t len;
	int fd;

	*warning = NULL;
	memcpy(c->key, key, sizeof(c->key));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			*warning = "is unreadable";
		return c;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*warning = "is not a regular file (left alone)";
		c->foreign = 1;
	} else if (st.st_size > MAX_FILE) {
		*warning = "is too large: ignored";
	} else if (st.st_size > 0) {
		st.st_mtim.tv_nsec = 0;
		c->written = ns(&st.st_mtim);
		buf = xmalloc((size_t)st.st_size + 1);
		if (cp_io_read_full(fd, buf, (size_t)st.st_size, &len) == -1)
			*warning = "is unreadable";
		else if ((*warning = load(c, buf, len)) != NULL) {
			clear(c);	/* never trust part of a bad cache */
			if (**warning == '\0')
				*warning = NULL;
		}
		free(buf);
	}
	close(fd);
	return c;
}

int
cp_hashcache_lookup(const struct cp_hashcache *c, const struct stat *st,
    unsigned char out[CP_SHA256_LEN])
{
	const struct entry *t;
	struct entry e;
	size_t i;

	if (c->cap == 0)
		return 0;
	from_stat(&e, st);
	for (i = slot(c, e.dev, e.ino); c->tab[i].used; i = (i + 1) & (c->cap - 1)) {
		t = &c->tab[i];
		if (t->dev != e.dev || t->ino != e.ino)
			continue;
		if (t->size != e.size || t->mtime != e.mtime || t->ctime != e.ctime)
			return 0;
		/* Racy: changed within the second the cache was written? Rehash. */
		if (t->mtime >= c->written || t->ctime >= c->written)
			return 0;
		memcpy(out, t->digest, CP_SHA256_LEN);
		return 1;
	}
	return 0;
}

void
cp_hashcache_store(struct cp_hashcache *c, const struct stat *st,
    const unsigned char digest[CP_SHA256_LEN])
{
	struct entry *e;

	if (c->npending == c->cappending) {
		c->cappending = c->cappending ? c->cappending * 2 : 256;
		c->pending = xreallocarray(c->pending, c->cappending, sizeof(*c->pending));
	}
	e = &c->pending[c->npending++];
	from_stat(e, st);
	memcpy(e->digest, digest, CP_SHA256_LEN);
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

int
cp_hashcache_save(struct cp_hashcache *c, const char *path)
{
	struct cp_hmac sum = { 0 };
	struct cp_atomic a;
	struct entry *all;
	unsigned char d[CP_HMAC_LEN];
	char hex[CP_SHA256_HEXLEN + 1], line[LINE_MAX_LEN];
	size_t i, n = 0;
	int len;

	if (c->npending == 0 || c->foreign)
		return 0;
	for (i = 0; i < c->npending; i++)
		insert(c, &c->pending[i]);
	c->npending = 0;

	all = xreallocarray(NULL, c->n, sizeof(*all));
	for (i = 0; i < c->cap; i++)
		if (c->tab[i].used)
			all[n++] = c->tab[i];
	qsort(all, n, sizeof(*all), cmp_entry);

	if (cp_hmac_init(&sum, c->key, sizeof(c->key)) == -1 ||
	    cp_atomic_open(&a, path, 0644) == -1) {
		cp_hmac_free(&sum);
		free(all);
		return -1;
	}
	/* A cache costs only time to lose, and its trailer's MAC catches a torn one. */
	a.nosync = 1;
	fprintf(a.fp, "%s\n", MAGIC);
	cp_hmac_update(&sum, MAGIC "\n", strlen(MAGIC) + 1);
	for (i = 0; i < n; i++) {
		cp_hex_encode(all[i].digest, CP_SHA256_LEN, hex);
		len = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 " %" PRIu64
		    " %" PRId64 " %" PRId64 " %s\n", all[i].dev, all[i].ino,
		    all[i].size, all[i].mtime, all[i].ctime, hex);
		fwrite(line, 1, (size_t)len, a.fp);
		cp_hmac_update(&sum, line, (size_t)len);
	}
	if (cp_hmac_final(&sum, d) == -1) {
		cp_hmac_free(&sum);
		free(all);
		cp_atomic_abort(&a);
		errno = ENOMEM;
		return -1;
	}
	cp_hmac_free(&sum);
	cp_hex_encode(d, sizeof(d), hex);
	fprintf(a.fp, "end %zu %s\n", n, hex);
	free(all);
	return cp_atomic_commit(&a);
}

void
cp_hashcache_free(struct cp_hashcache *c)
{
	if (c == NULL)
		return;
	free(c->tab);
	free(c->pending);
	cp_wipe(c->key, sizeof(c->key));
	free(c);
}
