/* gzin: gzip decompression that refuses what is not exactly gzip, and bombs.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "base/xalloc.h"
#include "tar/gzin.h"

#define INBUF (64 * 1024)

struct cp_gzin {
	int fd, eof, member_done, started;
	z_stream zs;
	unsigned char *in;
	uint64_t bytes_in, bytes_out, consumed;
	uint64_t max_ratio, floor;
	volatile sig_atomic_t *cancel;
	struct cp_sha256 *hash;	/* fed every byte read, or NULL */
	struct cp_err err;	/* set once: every later read fails with it */
};

struct cp_gzin *
cp_gzin_new(int fd, uint64_t max_ratio, uint64_t floor, volatile sig_atomic_t *cancel)
{
	struct cp_gzin *g = xcalloc(1, sizeof(*g));

	g->fd = fd;
	g->max_ratio = max_ratio;
	g->floor = floor;
	g->cancel = cancel;
	g->in = xmalloc(INBUF);
	/* 16 + 15: a gzip wrapper only, no zlib or raw stream passes. */
	if (inflateInit2(&g->zs, 16 + 15) != Z_OK) {
		free(g->in);
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	return g;
}

/* Make at least want bytes available unless the input ends first.  Returns 0 or -1. */
static int
fill(struct cp_gzin *g, size_t want)
{
	ssize_t n;

	while (!g->eof && g->zs.avail_in < want) {
		if (g->zs.avail_in > 0 && g->zs.next_in != g->in)
			memmove(g->in, g->zs.next_in, g->zs.avail_in);
		g->zs.next_in = g->in;
		n = read(g->fd, g->in + g->zs.avail_in, INBUF - g->zs.avail_in);
		if (n < 0) {
			if (errno == EINTR && (g->cancel == NULL || !*g->cancel))
				continue;
			if (errno == EINTR)
				return cp_err_set(&g->err, 0, "interrupted");
			return cp_err_set(&g->err, errno, "read error");
		}
		if (n == 0)
			g->eof = 1;
		if (n > 0 && g->hash != NULL &&
		    cp_sha256_update(g->hash, g->in + g->zs.avail_in, (size_t)n) == -1)
			return cp_err_set(&g->err, ENOMEM, "cannot hash the archive");
		g->zs.avail_in += (uInt)n;
		g->bytes_in += (uint64_t)n;
	}
	return 0;
}

/* At a member boundary: the end, another member, or garbage. */
static int
next_member(struct cp_gzin *g, int first)
{
	if (fill(g, 2) == -1)
		return -1;
	if (g->zs.avail_in == 0) {
		if (first)
			return cp_err_set(&g->err, 0, "empty input, not gzip data");
		return 0;
	}
	if (g->zs.avail_in < 2 || g->zs.next_in[0] != 0x1f || g->zs.next_in[1] != 0x8b) {
		if (first)
			return cp_err_set(&g->err, 0, "not gzip data");
		return cp_err_set(&g->err, 0, "trailing garbage after the gzip data");
	}
	if (!first && inflateReset(&g->zs) != Z_OK)
		return cp_err_set(&g->err, 0, "zlib failure");
	g->member_done = 0;
	return 1;
}

void
cp_gzin_hash(struct cp_gzin *g, struct cp_sha256 *h)
{
	g->hash = h;
}

ssize_t
cp_gzin_read(struct cp_gzin *g, void *buf, size_t n)
{
	uInt before;
	int rc;

	if (g->err.msg[0] != '\0')
		return -1;
	if (!g->started) {
		g->started = 1;
		if (next_member(g, 1) == -1)
			return -1;
	}
	g->zs.next_out = buf;
	g->zs.avail_out = (uInt)(n > (1u << 30) ? 1u << 30 : n);
	while (g->zs.avail_out > 0) {
		if (g->member_done) {
			rc = next_member(g, 0);
			if (rc == -1)
				return -1;
			if (rc == 0)
				break;
		}
		if (g->zs.avail_in == 0 && fill(g, 1) == -1)
			return -1;
		if (g->zs.avail_in == 0 && g->eof)
			return cp_err_set(&g->err, 0, "gzip data is truncated");
		before = g->zs.avail_in;
		rc = inflate(&g->zs, Z_NO_FLUSH);
		g->consumed += before - g->zs.avail_in;
		if (rc == Z_STREAM_END)
			g->member_done = 1;
		else if (rc == Z_DATA_ERROR)
			return cp_err_set(&g->err, 0, "gzip data is corrupt (%s)",
			    g->zs.msg ? g->zs.msg : "bad data");
		else if (rc == Z_MEM_ERROR)
			return cp_err_set(&g->err, 0, "out of memory in zlib");
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return cp_err_set(&g->err, 0, "zlib failure");
		if ((size_t)(n - g->zs.avail_out) > 0 && !g->member_done)
			break;
	}
	n = (size_t)((unsigned char *)g->zs.next_out - (unsigned char *)buf);
	g->bytes_out += n;
	if (g->max_ratio > 0 && g->bytes_out > g->floor &&
	    g->bytes_out / (g->consumed ? g->consumed : 1) > g->max_ratio)
		return cp_err_set(&g->err, 0, "compression ratio over %llu:1 (a decompression bomb?)",
		    (unsigned long long)g->max_ratio);
	return (ssize_t)n;
}

const struct cp_err *
cp_gzin_error(const struct cp_gzin *g)
{
	return &g->err;
}

uint64_t
cp_gzin_bytes_in(const struct cp_gzin *g)
{
	return g->bytes_in;
}

uint64_t
cp_gzin_bytes_out(const struct cp_gzin *g)
{
	return g->bytes_out;
}

void
cp_gzin_free(struct cp_gzin *g)
{
	if (g == NULL)
		return;
	inflateEnd(&g->zs);
	free(g->in);
	free(g);
}
