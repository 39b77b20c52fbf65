/* gzin_test: the strict gzip reader against zlib's deflate as the writer: members, header flags, bad trailers, every truncation, garbage, bombs; fed whole and in pieces.
 * SPDX-License-Identifier: ISC */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "tar/gzin.h"
#include "unit.h"
#include "zgzip.h"

#define CAP (4u << 20)

static unsigned char plain[1u << 20];	/* made-up text, compressible and not */
static unsigned char out[CAP];
static size_t outlen;
static char why[sizeof(((struct cp_err *)0)->msg)];
static int digest_ok;	/* the last accepted run hashed exactly the input */

/*
 * Read d through gzin, handed over step bytes per read(2) (a SOCK_SEQPACKET
 * pair: each write is one read), rd bytes asked per cp_gzin_read.  Returns
 * 0 with out/outlen the data, or -1 with why the message.
 */
static int
run(const unsigned char *d, size_t n, size_t step, size_t rd, uint64_t ratio)
{
	struct cp_sha256 h = { 0 };
	unsigned char got[CP_SHA256_LEN], want[CP_SHA256_LEN];
	struct cp_gzin *g;
	int sv[2], status;
	ssize_t k = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == -1 || (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(sv[0]);
		/* A packet is capped by the socket's buffer: "whole" is 64 KiB at a time. */
		for (size_t at = 0, len; at < n; at += len) {
			len = n - at < step ? n - at : step;
			len = len > 65536 ? 65536 : len;
			if (write(sv[1], d + at, len) == -1)
				_exit(1);
		}
		_exit(0);
	}
	close(sv[1]);
	g = cp_gzin_new(sv[0], ratio, 65536, NULL);
	cp_sha256_init(&h);
	cp_gzin_hash(g, &h);
	outlen = 0;
	while (outlen < CAP && (k = cp_gzin_read(g, out + outlen, CAP - outlen < rd ? CAP - outlen : rd)) > 0)
		outlen += (size_t)k;
	snprintf(why, sizeof(why), "%s", k < 0 ? cp_gzin_error(g)->msg : "");
	cp_sha256_final(&h, got);
	cp_sha256(d, n, want);
	digest_ok = k == 0 && cp_gzin_bytes_in(g) == n && cp_gzin_bytes_out(g) == outlen &&
	    memcmp(got, want, sizeof(got)) == 0;
	cp_sha256_free(&h);
	cp_gzin_free(g);
	close(sv[0]);
	waitpid(pid, &status, 0);
	return k < 0 ? -1 : 0;
}

/* Accepted, fed whole and a byte at a time (97 for big ones), read a byte at a time (100) and more, inflating to want. */
static void
accepts(const unsigned char *d, size_t n, const void *want, size_t wlen, const char *what)
{
	int small = n < 100000;
	size_t steps[][2] = { { CAP, CAP }, { small ? 1 : 97, CAP }, { small ? 7 : 1021, small ? 1 : 100 },
	    { 4096, 1000 } };
	char label[300];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc = run(d, n, steps[i][0], steps[i][1], 0);

		snprintf(label, sizeof(label), "%s (in %zu, out %zu)", what, steps[i][0], steps[i][1]);
		CHECK(rc == 0 && outlen == wlen && memcmp(out, want, wlen) == 0 && digest_ok, label);
		if (rc == -1)
			printf("#   refused: %s\n", why);
	}
}

/* Refused with exactly msg, fed whole and a byte at a time. */
static void
refuses(const unsigned char *d, size_t n, uint64_t ratio, const char *msg, const char *what)
{
	char label[300];

	snprintf(label, sizeof(label), "%s (whole)", what);
	CHECK(run(d, n, CAP, CAP, ratio) == -1, label);
	CHECK_STR(why, msg, label);
	snprintf(label, sizeof(label), "%s (a byte at a time)", what);
	CHECK(run(d, n, 1, CAP, ratio) == -1, label);
	CHECK_STR(why, msg, label);
}

static void
make_plain(void)
{
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(plain); i++) {
		x = x * 1103515245 + 12345;
		/* Runs of text with stretches of noise: matches near and far, literals. */
		plain[i] = (i / 4096) % 3 == 0 ? (unsigned char)(x >> 16) : (unsigned char)("tar gzip isal "[(x >> 16) % 14]);
	}
}

static void
test_members(void)
{
	static unsigned char d[3u << 20];
	size_t n;

	n = gz(plain, sizeof(plain), NULL, d, sizeof(d));
	accepts(d, n, plain, sizeof(plain), "one member of 1 MiB");
	/* Three members, the middle one empty: one stream. */
	n = gz(plain, 1000, NULL, d, sizeof(d));
	n += gz(plain, 0, NULL, d + n, sizeof(d) - n);
	n += gz(plain + 1000, sizeof(plain) - 1000, NULL, d + n, sizeof(d) - n);
	accepts(d, n, plain, sizeof(plain), "three members, one of them empty");
}

static void
test_header_flags(void)
{
	static unsigned char extra[70000 - 4], d[1u << 16];
	static const struct {
		int extra, name, comment, hcrc;
		const char *what;
	} c[] = {
		{ 1, 0, 0, 0, "FEXTRA" }, { 0, 1, 0, 0, "FNAME" }, { 0, 0, 1, 0, "FCOMMENT" },
		{ 0, 0, 0, 1, "FHCRC" }, { 1, 1, 1, 1, "every header flag" },
	};
	gz_header hd;
	size_t n;

	memset(extra, 'x', sizeof(extra));
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&hd, 0, sizeof(hd));
		hd.os = 3;
		if (c[i].extra) {
			hd.extra = extra;
			hd.extra_len = 300;
		}
		hd.name = c[i].name ? (Bytef *)(uintptr_t)"name.tar" : NULL;
		hd.comment = c[i].comment ? (Bytef *)(uintptr_t)"a comment" : NULL;
		hd.hcrc = c[i].hcrc;
		n = gz(plain, 5000, &hd, d, sizeof(d));
		accepts(d, n, plain, 5000, c[i].what);
	}
	/* An extra field of 65535 bytes is longer than gzin's input buffer. */
	memset(&hd, 0, sizeof(hd));
	hd.extra = extra;
	hd.extra_len = 65535;
	hd.hcrc = 1;
	{
		static unsigned char big[1u << 17];

		n = gz(plain, 5000, &hd, big, sizeof(big));
		accepts(big, n, plain, 5000, "FEXTRA of 65535 bytes with FHCRC");
	}
	hd.extra_len = 10;
	n = gz(plain, 5000, &hd, d, sizeof(d));
	d[22] ^= 1;
	refuses(d, n, 0, "gzip data is corrupt (header crc mismatch)", "a wrong header CRC");
}

static void
test_bad_headers(void)
{
	static const char zip[] = "PK\x03\x04 not gzip";
	unsigned char d[4096];
	size_t n = gz(plain, 2000, NULL, d, sizeof(d));

	d[3] |= 0x20;
	refuses(d, n, 0, "gzip data is corrupt (unknown header flags set)", "a reserved flag bit");
	d[3] &= (unsigned char)~0x20;
	d[2] = 7;
	refuses(d, n, 0, "gzip data is corrupt (unknown compression method)", "compression method 7");
	refuses((const unsigned char *)"", 0, 0, "empty input, not gzip data", "empty input");
	refuses((const unsigned char *)"\x1f", 1, 0, "not gzip data", "one byte");
	refuses((const unsigned char *)zip, sizeof(zip) - 1, 0, "not gzip data", "a zip file");
}

/* What a bad trailer or body is called starts so in either engine; the rest is the engine's. */
static void
refuses_corrupt(const unsigned char *d, size_t n, const char *what)
{
	static const char prefix[] = "gzip data is corrupt (";
	char label[300];

	snprintf(label, sizeof(label), "%s is refused as corrupt", what);
	CHECK(run(d, n, CAP, CAP, 0) == -1 && strncmp(why, prefix, sizeof(prefix) - 1) == 0, label);
	printf("#   %s\n", why);
	snprintf(label, sizeof(label), "%s is refused as corrupt (a byte at a time)", what);
	CHECK(run(d, n, 1, CAP, 0) == -1 && strncmp(why, prefix, sizeof(prefix) - 1) == 0, label);
}

static void
test_trailers(void)
{
	unsigned char d[8192], two[16384];
	size_t n = gz(plain, 3000, NULL, d, sizeof(d)), m;

	memcpy(two, d, n);
	m = n + gz(plain, 3000, NULL, two + n, sizeof(two) - n);
	for (int i = 8; i >= 1; i--) {
		char what[64];

		snprintf(what, sizeof(what), "a flipped bit in trailer byte %d", 8 - i);
		d[n - (size_t)i] ^= 0x10;
		refuses_corrupt(d, n, what);
		d[n - (size_t)i] ^= 0x10;
		/* In the first of two members too: checked per member. */
		two[n - (size_t)i] ^= 0x10;
		refuses_corrupt(two, m, what);
		two[n - (size_t)i] ^= 0x10;
	}
	d[n / 2] ^= 0xff;
	CHECK(run(d, n, CAP, CAP, 0) == -1, "a flipped byte in the data is refused");
}

static void
test_truncation(void)
{
	unsigned char d[2048];
	size_t one = gz(plain, 600, NULL, d, sizeof(d)), n;
	int all = 1, whole = 1;

	n = one + gz(plain + 600, 600, NULL, d + one, sizeof(d) - one);
	for (size_t cut = 2; cut < n; cut++) {
		const char *want = cut == one + 1 ? "trailing garbage after the gzip data" : "gzip data is truncated";

		if (cut == one) {
			whole &= run(d, cut, CAP, CAP, 0) == 0 && outlen == 600 && digest_ok;
			continue;
		}
		for (int step = 1; step <= 2; step++) {
			int rc = run(d, cut, step == 1 ? 1 : CAP, CAP, 0);

			if (rc != -1 || strcmp(why, want) != 0) {
				printf("#   cut at %zu of %zu, %s: %s\n", cut, n, step == 1 ? "a byte at a time" : "whole",
				    rc ? why : "accepted");
				all = 0;
			}
		}
	}
	CHECK(all, "two members cut at every offset: truncated (half a magic: garbage), whole and a byte at a time");
	CHECK(whole, "cut at the end of the first member: that member");
}

static void
test_garbage_and_bombs(void)
{
	static unsigned char d[1u << 16], zeros[20u << 20];
	size_t n = gz(plain, 1000, NULL, d, sizeof(d));

	memcpy(d + n, "x", 1);
	refuses(d, n + 1, 0, "trailing garbage after the gzip data", "a byte after the member");
	memcpy(d + n, "\x1f", 1);
	refuses(d, n + 1, 0, "trailing garbage after the gzip data", "half a magic after the member");
	memset(d + n, 0, 512);
	refuses(d, n + 512, 0, "trailing garbage after the gzip data", "zeros after the member");
	n = gz(zeros, sizeof(zeros), NULL, d, sizeof(d));
	CHECK(run(d, n, CAP, 1u << 16, 200) == -1, "20 MiB of zeros under a 200:1 cap");
	CHECK_STR(why, "compression ratio over 200:1 (a decompression bomb?)", "the bomb's message");
	CHECK(outlen < (200u + 1) * (n + 65536) + 65536, "the bomb stops early");
	CHECK(run(d, n, CAP, 1u << 16, 0) == 0 && outlen == CAP, "without a cap, it inflates (up to the test's buffer)");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	make_plain();
	test_members();
	test_header_flags();
	test_bad_headers();
	test_trailers();
	test_truncation();
	test_garbage_and_bombs();
	return UNIT_END();
}
