/* gzin: gzip decompression that refuses what is not exactly gzip, and bombs.
 * The inflate engine is ISA-L's when built with CP_HAVE_ISAL (issue 22: igzip
 * -dc 3 to 4 times as fast as gzip -dc), zlib's otherwise; every check is the
 * same in both.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#ifdef CP_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "base/xalloc.h"
#include "tar/gzin.h"

#define INBUF (64 * 1024)
/* One inflate call's output at most: both engines count in 32 bits. */
#define OUTCALL (1u << 30)

struct cp_gzin {
	int fd, eof, member_done, started;
	int stopfd;			/* see cp_gzin_stopfd; -1 when not set */
#ifdef CP_HAVE_ISAL
	struct inflate_state is;
#else
	z_stream zs;
#endif
	unsigned char *in, *next;	/* the input buffer; its first byte not yet consumed */
	size_t avail;			/* bytes from next on */
	uint64_t bytes_in, bytes_out, consumed;
	uint64_t max_ratio, floor;
	volatile sig_atomic_t *cancel;
	cp_gzin_tap_fn tap;	/* given every byte read (cp_gzin_hash, cp_gzin_tap), or NULL */
	void *tap_arg;
	struct cp_err err;	/* set once: every later read fails with it */
};

/* Wait until fd can be read, or fail when stopfd can: a read must not block a stop. */
static int
wait_input(struct cp_gzin *g)
{
	struct pollfd p[2] = { { g->fd, POLLIN, 0 }, { g->stopfd, POLLIN, 0 } };

	while (poll(p, 2, -1) == -1)
		if (errno != EINTR)
			return cp_err_set(&g->err, errno, "read error");
	if (p[1].revents != 0)
		return cp_err_set(&g->err, 0, "stopped");
	return 0;
}

/* Make at least want (<= INBUF) bytes available unless the input ends first.  Returns 0 or -1. */
static int
fill(struct cp_gzin *g, size_t want)
{
	ssize_t n;

	while (!g->eof && g->avail < want) {
		if (g->avail > 0 && g->next != g->in)
			memmove(g->in, g->next, g->avail);
		g->next = g->in;
		if (g->stopfd >= 0 && wait_input(g) == -1)
			return -1;
		n = read(g->fd, g->in + g->avail, INBUF - g->avail);
		if (n < 0) {
			if (errno == EINTR && (g->cancel == NULL || !*g->cancel))
				continue;
			if (errno == EINTR)
				return cp_err_set(&g->err, 0, "interrupted");
			return cp_err_set(&g->err, errno, "read error");
		}
		if (n == 0)
			g->eof = 1;
		if (n > 0 && g->tap != NULL && g->tap(g->tap_arg, g->in + g->avail, (size_t)n) == -1)
			return cp_err_set(&g->err, ENOMEM, "cannot hash the archive");
		g->avail += (size_t)n;
		g->bytes_in += (uint64_t)n;
	}
	return 0;
}

static void
consume(struct cp_gzin *g, size_t n)
{
	g->next += n;
	g->avail -= n;
	g->consumed += n;
}

static int
truncated(struct cp_gzin *g)
{
	return cp_err_set(&g->err, 0, "gzip data is truncated");
}

#ifdef CP_HAVE_ISAL
/*
 * ISA-L inflates raw deflate and checks the trailer (CRC-32 and ISIZE,
 * ISAL_GZIP_NO_HDR_VER); the header is ours.  ISA-L 2.30's own header
 * reader (ISAL_GZIP) passes reserved flag bits that zlib refuses, and
 * refuses a correct FHCRC when the header arrives in pieces (a pipe, a
 * member that starts near the end of a read).
 */
#define FHCRC 0x02
#define FEXTRA 0x04
#define FNAME 0x08
#define FCOMMENT 0x10
#define FRESERVED 0xe0

static int
engine_init(struct cp_gzin *g)
{
	isal_inflate_init(&g->is);
	return 0;
}

/* Copy n (<= INBUF) header bytes to dst, adding them to the header's CRC. */
static int
hdr_take(struct cp_gzin *g, unsigned char *dst, size_t n, uLong *crc)
{
	if (fill(g, n) == -1)
		return -1;
	if (g->avail < n)
		return truncated(g);
	memcpy(dst, g->next, n);
	*crc = crc32(*crc, g->next, (uInt)n);
	consume(g, n);
	return 0;
}

/* Skip n header bytes (FEXTRA), or through a NUL when nul is set (FNAME, FCOMMENT). */
static int
hdr_skip(struct cp_gzin *g, size_t n, int nul, uLong *crc)
{
	const unsigned char *end;
	size_t k;

	while (nul || n > 0) {
		if (g->avail == 0 && fill(g, 1) == -1)
			return -1;
		if (g->avail == 0)
			return truncated(g);
		k = nul ? g->avail : (n < g->avail ? n : g->avail);
		if (nul && (end = memchr(g->next, '\0', g->avail)) != NULL) {
			k = (size_t)(end - g->next) + 1;
			nul = 0;
		}
		*crc = crc32(*crc, g->next, (uInt)k);
		consume(g, k);
		if (n > 0)
			n -= k;
	}
	return 0;
}

/* The member's header (RFC 1952 2.3), its magic already seen, as zlib checks it. */
static int
engine_member(struct cp_gzin *g)
{
	unsigned char h[10], x[2];
	uLong crc = crc32(0, Z_NULL, 0);

	if (hdr_take(g, h, sizeof(h), &crc) == -1)
		return -1;
	if (h[2] != 8)
		return cp_err_set(&g->err, 0, "gzip data is corrupt (unknown compression method)");
	if (h[3] & FRESERVED)
		return cp_err_set(&g->err, 0, "gzip data is corrupt (unknown header flags set)");
	if ((h[3] & FEXTRA) && (hdr_take(g, x, 2, &crc) == -1 ||
	    hdr_skip(g, (size_t)x[0] | (size_t)x[1] << 8, 0, &crc) == -1))
		return -1;
	if ((h[3] & FNAME) && hdr_skip(g, 0, 1, &crc) == -1)
		return -1;
	if ((h[3] & FCOMMENT) && hdr_skip(g, 0, 1, &crc) == -1)
		return -1;
	if (h[3] & FHCRC) {
		uLong want = crc & 0xffff;

		if (hdr_take(g, x, 2, &crc) == -1)
			return -1;
		if (((uLong)x[0] | (uLong)x[1] << 8) != want)
			return cp_err_set(&g->err, 0, "gzip data is corrupt (header crc mismatch)");
	}
	isal_inflate_reset(&g->is);
	g->is.crc_flag = ISAL_GZIP_NO_HDR_VER;
	return 0;
}

static const char *
isal_why(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK:
		return "invalid block";
	case ISAL_INVALID_SYMBOL:
		return "invalid code";
	case ISAL_INVALID_LOOKBACK:
		return "invalid distance too far back";
	case ISAL_INCORRECT_CHECKSUM:
		return "incorrect data check or length";
	default:
		return "isa-l failure";
	}
}

/* One inflate call into *out (*left bytes free); both move on by what came out. */
static int
engine_inflate(struct cp_gzin *g, unsigned char **out, size_t *left)
{
	int rc;

	g->is.next_in = g->next;
	g->is.avail_in = (uint32_t)g->avail;
	g->is.next_out = *out;
	g->is.avail_out = (uint32_t)(*left > OUTCALL ? OUTCALL : *left);
	rc = isal_inflate(&g->is);
	/* After an error ISA-L's avail_in can be anything (below zero, wrapped): trust it only after success. */
	if (rc < 0)
		return cp_err_set(&g->err, 0, "gzip data is corrupt (%s)", isal_why(rc));
	if (g->is.avail_in > g->avail || g->is.next_in != g->next + (g->avail - g->is.avail_in))
		return cp_err_set(&g->err, 0, "isa-l failure (its input went backwards)");
	consume(g, g->avail - g->is.avail_in);
	*left -= (size_t)(g->is.next_out - *out);
	*out = g->is.next_out;
	if (g->is.block_state == ISAL_BLOCK_FINISH)
		g->member_done = 1;
	return 0;
}

static void
engine_end(struct cp_gzin *g)
{
	(void)g;
}

#else

static int
engine_init(struct cp_gzin *g)
{
	/* 16 + 15: a gzip wrapper only, no zlib or raw stream passes. */
	return inflateInit2(&g->zs, 16 + 15) == Z_OK ? 0 : -1;
}

static int
engine_member(struct cp_gzin *g)
{
	if (inflateReset(&g->zs) != Z_OK)
		return cp_err_set(&g->err, 0, "zlib failure");
	return 0;
}

static int
engine_inflate(struct cp_gzin *g, unsigned char **out, size_t *left)
{
	int rc;

	g->zs.next_in = g->next;
	g->zs.avail_in = (uInt)g->avail;
	g->zs.next_out = *out;
	g->zs.avail_out = (uInt)(*left > OUTCALL ? OUTCALL : *left);
	rc = inflate(&g->zs, Z_NO_FLUSH);
	consume(g, g->avail - g->zs.avail_in);
	*left -= (size_t)(g->zs.next_out - *out);
	*out = g->zs.next_out;
	if (rc == Z_STREAM_END)
		g->member_done = 1;
	else if (rc == Z_DATA_ERROR)
		return cp_err_set(&g->err, 0, "gzip data is corrupt (%s)",
		    g->zs.msg ? g->zs.msg : "bad data");
	else if (rc == Z_MEM_ERROR)
		return cp_err_set(&g->err, 0, "out of memory in zlib");
	else if (rc != Z_OK && rc != Z_BUF_ERROR)
		return cp_err_set(&g->err, 0, "zlib failure");
	return 0;
}

static void
engine_end(struct cp_gzin *g)
{
	inflateEnd(&g->zs);
}
#endif

struct cp_gzin *
cp_gzin_new(int fd, uint64_t max_ratio, uint64_t floor, volatile sig_atomic_t *cancel)
{
	struct cp_gzin *g = xcalloc(1, sizeof(*g));

	g->fd = fd;
	g->stopfd = -1;
	g->max_ratio = max_ratio;
	g->floor = floor;
	g->cancel = cancel;
	g->in = g->next = xmalloc(INBUF);
	if (engine_init(g) == -1) {
		free(g->in);
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	return g;
}

/* At a member boundary: the end, another member, or garbage. */
static int
next_member(struct cp_gzin *g, int first)
{
	if (fill(g, 2) == -1)
		return -1;
	if (g->avail == 0) {
		if (first)
			return cp_err_set(&g->err, 0, "empty input, not gzip data");
		return 0;
	}
	if (g->avail < 2 || g->next[0] != 0x1f || g->next[1] != 0x8b) {
		if (first)
			return cp_err_set(&g->err, 0, "not gzip data");
		return cp_err_set(&g->err, 0, "trailing garbage after the gzip data");
	}
	if (engine_member(g) == -1)
		return -1;
	g->member_done = 0;
	return 1;
}

static int
hash_tap(void *h, const void *buf, size_t n)
{
	return cp_sha256_update(h, buf, n);
}

void
cp_gzin_hash(struct cp_gzin *g, struct cp_sha256 *h)
{
	cp_gzin_tap(g, h != NULL ? hash_tap : NULL, h);
}

void
cp_gzin_tap(struct cp_gzin *g, cp_gzin_tap_fn fn, void *arg)
{
	g->tap = fn;
	g->tap_arg = arg;
}

void
cp_gzin_stopfd(struct cp_gzin *g, int stopfd)
{
	g->stopfd = stopfd;
}

ssize_t
cp_gzin_read(struct cp_gzin *g, void *buf, size_t n)
{
	unsigned char *out = buf;
	size_t left = n, was_left, was_avail;
	int rc;

	if (g->err.msg[0] != '\0')
		return -1;
	if (!g->started) {
		g->started = 1;
		if (next_member(g, 1) == -1)
			return -1;
	}
	while (left > 0) {
		if (g->member_done) {
			rc = next_member(g, 0);
			if (rc == -1)
				return -1;
			if (rc == 0)
				break;
		}
		if (g->avail == 0 && fill(g, 1) == -1)
			return -1;
		was_left = left;
		was_avail = g->avail;
		if (engine_inflate(g, &out, &left) == -1)
			return -1;
		/*
		 * Neither engine stalls with input and room to spare, so no
		 * progress means the input ended inside the member.  (ISA-L
		 * may hold the last input bytes and output to come: the end
		 * of the input alone does not tell.)
		 */
		if (!g->member_done && left == was_left && g->avail == was_avail)
			return g->eof ? truncated(g) :
			    cp_err_set(&g->err, 0, "gzip data is corrupt (inflate made no progress)");
		if (left < n && !g->member_done)
			break;
	}
	n -= left;
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
	engine_end(g);
	free(g->in);
	free(g);
}
