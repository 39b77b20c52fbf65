/* fuzz_gzin: the strict gzip reader (tar/gzin) over hostile bytes.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include <zlib.h>

#include "tar/gzin.h"

/* zlib's own gzip decoder over every member in turn: the SHA-256 and length of what it inflates, or -1. */
static int
reference(const uint8_t *data, size_t size, unsigned char d[CP_SHA256_LEN], uint64_t *len)
{
	static unsigned char buf[65536];
	struct cp_sha256 h = { 0 };
	size_t at = 0;
	int rc = 0;

	*len = 0;
	FUZZ_ASSERT(cp_sha256_init(&h) == 0);
	while (at < size && rc == 0) {
		z_stream z;
		int zr;

		memset(&z, 0, sizeof(z));
		FUZZ_ASSERT(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
		z.next_in = (Bytef *)(uintptr_t)(data + at);
		z.avail_in = (uInt)(size - at);
		do {
			z.next_out = buf;
			z.avail_out = sizeof(buf);
			zr = inflate(&z, Z_NO_FLUSH);
			cp_sha256_update(&h, buf, sizeof(buf) - z.avail_out);
			*len += sizeof(buf) - z.avail_out;
		} while (zr == Z_OK);
		if (zr != Z_STREAM_END)
			rc = -1;
		at = size - z.avail_in;
		inflateEnd(&z);
	}
	FUZZ_ASSERT(cp_sha256_final(&h, d) == 0);
	cp_sha256_free(&h);
	return rc;
}

/*
 * The input is the gzip file, read through a memory file, with a ratio cap
 * of 200:1 above 64 KiB (cp-tar's default).  A differential: what gzin
 * accepts, zlib must inflate to the same bytes, and what gzin refuses, zlib
 * must refuse too, but for the ratio cap and empty input (gzin's own rules).
 * Built with ISA-L, this is ISA-L's inflate (and gzin's header reader)
 * against zlib's.  The digest gzin feeds as it reads is the input's.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[65536];
	int fd = fuzz_memfd(data, size);
	struct cp_gzin *g = cp_gzin_new(fd, 200, 65536, NULL);
	struct cp_sha256 h = { 0 }, ho = { 0 };
	unsigned char d1[CP_SHA256_LEN], d2[CP_SHA256_LEN];
	uint64_t len = 0, rlen;
	ssize_t n;

	FUZZ_ASSERT(g != NULL);
	FUZZ_ASSERT(cp_sha256_init(&h) == 0 && cp_sha256_init(&ho) == 0);
	cp_gzin_hash(g, &h);
	while ((n = cp_gzin_read(g, buf, sizeof(buf))) > 0) {
		cp_sha256_update(&ho, buf, (size_t)n);
		len += (uint64_t)n;
	}
	if (n == -1) {
		const char *msg = cp_gzin_error(g)->msg;

		FUZZ_ASSERT(msg[0] != '\0');
		FUZZ_ASSERT(strncmp(msg, "compression ratio over", 22) == 0 || size == 0 ||
		    reference(data, size, d2, &rlen) == -1);
	} else {
		FUZZ_ASSERT(cp_gzin_bytes_in(g) == size && cp_gzin_bytes_out(g) == len);
		FUZZ_ASSERT(reference(data, size, d2, &rlen) == 0);
		FUZZ_ASSERT(cp_sha256_final(&ho, d1) == 0);
		FUZZ_ASSERT(rlen == len && memcmp(d1, d2, sizeof(d1)) == 0);
		FUZZ_ASSERT(cp_sha256_final(&h, d1) == 0 && cp_sha256(data, size, d2) == 0);
		FUZZ_ASSERT(memcmp(d1, d2, sizeof(d1)) == 0);
	}
	cp_sha256_free(&h);
	cp_sha256_free(&ho);
	cp_gzin_free(g);
	close(fd);
	return 0;
}
