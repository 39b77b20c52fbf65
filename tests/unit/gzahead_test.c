/* gzahead_test: inflating on a thread ahead gives the same pieces, end, errors and digest as reading gzin directly; it stops, and it is interrupted.
 * SPDX-License-Identifier: ISC */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "tar/gzahead.h"
#include "tar/gzin.h"
#include "unit.h"
#include "zgzip.h"

#define PLAIN (3u << 20)

static unsigned char plain[PLAIN];
static unsigned char gzbuf[2 * PLAIN];

/* One way of reading a stream: every piece's length and a digest of all of them, its end, its error. */
struct trace {
	size_t pieces;
	uint64_t lens_sum, lens_hash;	/* the lengths, summed and mixed in order */
	unsigned char data[CP_SHA256_LEN];	/* SHA-256 of the bytes that came out */
	unsigned char in[CP_SHA256_LEN];	/* gzin's digest of the compressed bytes */
	uint64_t bytes_in;
	ssize_t last;			/* 0 or -1 */
	char why[sizeof(((struct cp_err *)0)->msg)];
};

/* A file holding d, opened for reading at its start. */
static int
file_of(const unsigned char *d, size_t n)
{
	char path[] = "/tmp/gzahead_test.XXXXXX";
	int fd = mkstemp(path);

	if (fd == -1 || write(fd, d, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	unlink(path);
	return fd;
}

static void
mix(struct trace *t, size_t len)
{
	t->pieces++;
	t->lens_sum += len;
	t->lens_hash = t->lens_hash * 1000003u + len;
}

/* Read d through gzin directly, chunk bytes asked each time. */
static void
direct(const unsigned char *d, size_t n, size_t chunk, uint64_t ratio, struct trace *t)
{
	struct cp_sha256 h = { 0 }, hd = { 0 };
	unsigned char *buf = malloc(chunk);
	int fd = file_of(d, n);
	struct cp_gzin *g = cp_gzin_new(fd, ratio, 65536, NULL);
	ssize_t k;

	memset(t, 0, sizeof(*t));
	cp_sha256_init(&h);
	cp_sha256_init(&hd);
	cp_gzin_hash(g, &h);
	while ((k = cp_gzin_read(g, buf, chunk)) > 0) {
		mix(t, (size_t)k);
		cp_sha256_update(&hd, buf, (size_t)k);
	}
	t->last = k;
	snprintf(t->why, sizeof(t->why), "%s", k < 0 ? cp_gzin_error(g)->msg : "");
	t->bytes_in = cp_gzin_bytes_in(g);
	cp_sha256_final(&h, t->in);
	cp_sha256_final(&hd, t->data);
	cp_sha256_free(&h);
	cp_sha256_free(&hd);
	cp_gzin_free(g);
	close(fd);
	free(buf);
}

/* The same through gzahead with slots slots; slow makes the reader dawdle, so that the ring fills. */
static void
ahead(const unsigned char *d, size_t n, size_t chunk, unsigned slots, int slow, uint64_t ratio,
    struct trace *t)
{
	struct cp_sha256 h = { 0 }, hd = { 0 };
	int fd = file_of(d, n);
	struct cp_gzin *g = cp_gzin_new(fd, ratio, 65536, NULL);
	struct cp_gzahead *a;
	const void *buf;
	uint64_t in = 0, was = 0;
	ssize_t k;
	int monotonic = 1;

	memset(t, 0, sizeof(*t));
	cp_sha256_init(&h);
	cp_sha256_init(&hd);
	if ((a = cp_gzahead_new(g, chunk, slots, &h, NULL)) == NULL)
		abort();
	while ((k = cp_gzahead_next(a, &buf, &in)) > 0) {
		mix(t, (size_t)k);
		cp_sha256_update(&hd, buf, (size_t)k);
		monotonic &= in >= was;
		was = in;
		if (slow && t->pieces % 8 == 0)
			usleep(2000);
	}
	t->last = k;
	snprintf(t->why, sizeof(t->why), "%s", k < 0 ? cp_gzahead_error(a)->msg : "");
	t->bytes_in = monotonic ? in : UINT64_MAX;
	CHECK(cp_gzahead_next(a, &buf, NULL) == k && cp_gzahead_next(a, &buf, NULL) == k,
	    "the end, or the error, is sticky");
	/* After the end the digest is whole; the hash is the thread's until free, whatever the end. */
	if (k == 0)
		cp_sha256_final(&h, t->in);
	cp_gzahead_free(a);
	if (k != 0)
		cp_sha256_final(&h, t->in);
	cp_sha256_final(&hd, t->data);
	cp_sha256_free(&h);
	cp_sha256_free(&hd);
	cp_gzin_free(g);
	close(fd);
}

static void
same(const unsigned char *d, size_t n, size_t chunk, unsigned slots, int slow, uint64_t ratio,
    const char *what)
{
	struct trace x, y;
	char label[300];

	direct(d, n, chunk, ratio, &x);
	ahead(d, n, chunk, slots, slow, ratio, &y);
	snprintf(label, sizeof(label), "%s: the same pieces (chunk %zu, %u slots%s)", what, chunk,
	    slots, slow ? ", a slow reader" : "");
	CHECK(x.pieces == y.pieces && x.lens_sum == y.lens_sum && x.lens_hash == y.lens_hash &&
	    memcmp(x.data, y.data, sizeof(x.data)) == 0, label);
	snprintf(label, sizeof(label), "%s: the same end (%zd), message and digest", what, x.last);
	CHECK(x.last == y.last &&
	    (x.last < 0 || (memcmp(x.in, y.in, sizeof(x.in)) == 0 && y.bytes_in == x.bytes_in)), label);
	if (x.last == 0) {
		unsigned char want[CP_SHA256_LEN];

		cp_sha256(d, n, want);
		snprintf(label, sizeof(label), "%s: the digest is sha256 of the whole input", what);
		CHECK(memcmp(y.in, want, sizeof(want)) == 0, label);
	}
	CHECK_STR(y.why, x.why, label);
}

/*
 * Stop after pieces pieces (or at an error), free the thread, then hash the
 * rest of the file as cp-plane's gate does to name a broken archive's
 * digest: the digest must be that of the whole file, so the thread's hash
 * covered exactly what it had read once it was freed.
 */
static void
stop_early(const unsigned char *d, size_t n, size_t pieces, const char *what)
{
	struct cp_sha256 h = { 0 };
	unsigned char got[CP_SHA256_LEN], want[CP_SHA256_LEN], buf[4096];
	int fd = file_of(d, n);
	struct cp_gzin *g = cp_gzin_new(fd, 0, 0, NULL);
	struct cp_gzahead *a;
	const void *piece;
	char label[200];
	ssize_t k;
	size_t i = 0;

	cp_sha256_init(&h);
	if ((a = cp_gzahead_new(g, 128 * 1024, 16, &h, NULL)) == NULL)
		abort();
	while (i++ < pieces && cp_gzahead_next(a, &piece, NULL) > 0)
		;
	cp_gzahead_free(a);
	while ((k = read(fd, buf, sizeof(buf))) > 0)
		cp_sha256_update(&h, buf, (size_t)k);
	cp_sha256_final(&h, got);
	cp_sha256(d, n, want);
	snprintf(label, sizeof(label), "%s: after free, the digest covers what was read (the rest hashed after)", what);
	CHECK(k == 0 && memcmp(got, want, sizeof(got)) == 0, label);
	cp_sha256_free(&h);
	cp_gzin_free(g);
	close(fd);
}

static volatile sig_atomic_t cancel;

static void
on_signal(int sig)
{
	(void)sig;
	cancel = 1;
}

/*
 * A pipe that never delivers: the reader is interrupted by a signal (SIGUSR1
 * from a timer, 100 ms on), and free stops the blocked thread.  alarm(3)'s
 * SIGALRM, left to kill the test, turns a hang into a failure.
 */
static void
stuck(void)
{
	struct itimerspec it = { { 0, 0 }, { 0, 100 * 1000 * 1000 } };
	struct sigevent ev;
	struct sigaction sa;
	timer_t timer;
	struct cp_gzahead *a;
	struct cp_gzin *g;
	const void *buf;
	uint64_t in;
	int p[2];

	if (pipe(p) == -1)
		abort();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer) == -1)
		abort();
	alarm(10);
	g = cp_gzin_new(p[0], 0, 0, &cancel);
	a = cp_gzahead_new(g, 65536, 4, NULL, &cancel);
	CHECK(a != NULL, "the thread starts");
	timer_settime(timer, 0, &it, NULL);
	in = 12345;
	CHECK(cp_gzahead_next(a, &buf, &in) == -1, "a signal's cancel ends the wait for a piece");
	CHECK(in == 0, "and says how much was read: nothing");
	CHECK_STR(cp_gzahead_error(a)->msg, "interrupted", "and says so");
	/* The thread is still blocked on the pipe: free must stop it. */
	cp_gzahead_free(a);
	alarm(0);
	CHECK(1, "free returns while the thread waits on a read that never comes");
	timer_delete(timer);
	cp_gzin_free(g);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	uint32_t x = 2463534242u;
	size_t n, m;
	unsigned char *bad;

	for (size_t i = 0; i < PLAIN; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		plain[i] = (i / 8192) % 2 ? (unsigned char)x : (unsigned char)("ahead of the reader "[x % 20]);
	}
	/* Members as concatenated gzip files are read; the last one all zeros, where every piece is a whole chunk. */
	n = gz(plain, PLAIN / 3, NULL, gzbuf, sizeof(gzbuf));
	n += gz(plain + PLAIN / 3, PLAIN - PLAIN / 3, NULL, gzbuf + n, sizeof(gzbuf) - n);
	memset(plain, 0, PLAIN / 3);
	n += gz(plain, PLAIN / 3, NULL, gzbuf + n, sizeof(gzbuf) - n);

	same(gzbuf, n, 128 * 1024, 16, 0, 0, "three members");
	same(gzbuf, n, 128 * 1024, 2, 1, 0, "three members");
	same(gzbuf, n, 1000, 3, 0, 0, "three members");
	same(gzbuf, 0, 4096, 4, 0, 0, "empty input");
	same((const unsigned char *)"plain text", 10, 4096, 4, 0, 0, "not gzip");

	/*
	 * 12 MiB that does not compress: more compressed bytes than the 4 MiB
	 * queue of bytes to hash holds, so with a slow reader the thread hashes
	 * them itself, with a fast one the reader does.
	 */
	{
		size_t rn = 12u << 20, rz;
		unsigned char *r = malloc(rn), *rg = malloc(rn + (rn >> 6) + 1024);

		for (size_t i = 0; i < rn; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			r[i] = (unsigned char)x;
		}
		rz = gz(r, rn, NULL, rg, rn + (rn >> 6) + 1024);
		same(rg, rz, 128 * 1024, 16, 0, 0, "12 MiB of noise");
		same(rg, rz, 128 * 1024, 2, 1, 0, "12 MiB of noise");
		for (size_t p = 1; p <= 5; p += 2)
			stop_early(rg, rz, p, "12 MiB of noise, left after a few pieces");
		/* corrupt in the middle: the reader stops at the error, the thread had read on */
		rg[rz / 2] ^= 0x20;
		stop_early(rg, rz, SIZE_MAX, "12 MiB of noise, corrupt in the middle");
		free(r);
		free(rg);
	}
	/* A 24 MiB header comment: read with no piece to show, faster than it can be hashed. */
	{
		size_t cn = 24u << 20, rz;
		char *comment = malloc(cn + 1);
		unsigned char *rg = malloc(cn + 4096);
		gz_header hd;

		memset(comment, 'c', cn);
		comment[cn] = '\0';
		memset(&hd, 0, sizeof(hd));
		hd.comment = (Bytef *)comment;
		hd.os = 3;
		rz = gz((const unsigned char *)"after the comment", 17, &hd, rg, cn + 4096);
		same(rg, rz, 128 * 1024, 16, 0, 0, "a 24 MiB comment");
		free(comment);
		free(rg);
	}

	/* Truncated, corrupt in the middle, garbage after: the error comes after the same pieces. */
	same(gzbuf, n - 5, 128 * 1024, 4, 1, 0, "truncated");
	bad = malloc(n + 3);
	memcpy(bad, gzbuf, n);
	m = n / 2;
	bad[m] ^= 0x55;
	same(bad, n, 128 * 1024, 4, 0, 0, "a flipped byte");
	memcpy(bad, gzbuf, n);
	memcpy(bad + n, "xyz", 3);
	same(bad, n + 3, 128 * 1024, 4, 0, 0, "trailing garbage");
	free(bad);
	/* A ratio cap the text alone breaks. */
	same(gzbuf, n, 128 * 1024, 4, 0, 2, "over the ratio cap");

	stuck();
	return UNIT_END();
}
