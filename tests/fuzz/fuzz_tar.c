/* fuzz_tar: a tar stream through tarscan + libarchive + tarcheck (tar/tarread, tarscan, tarcheck), under gzip.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include <locale.h>
#include <zlib.h>

#include "tar/tarcheck.h"
#include "tar/tarread.h"

/* The tar bytes gzipped (level 1: the fuzzer's bytes are the tar, not the gzip). */
static unsigned char *
gzip(const uint8_t *data, size_t size, size_t *outlen)
{
	z_stream z;
	uLong cap = compressBound((uLong)size) + 64;
	unsigned char *out = malloc(cap);

	memset(&z, 0, sizeof(z));
	FUZZ_ASSERT(out != NULL && deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)size;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	FUZZ_ASSERT(deflate(&z, Z_FINISH) == Z_STREAM_END);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/*
 * The first byte picks the checker's flags (symlinks allowed, lenient,
 * repeats); the rest is the tar, gzipped here and read from a memory file
 * as cp-tar -t --check reads an archive: every entry checked, its data
 * read to the end.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	struct cp_tarread_opts o = { .max_ratio = 200 };
	struct cp_tarlimits lim;
	struct cp_tarread *r;
	struct cp_tarcheck *chk;
	struct cp_tarentry ent;
	struct cp_err why;
	unsigned char *gz;
	const void *buf;
	const char *path;
	size_t gzlen;
	ssize_t n = 0;
	int fd, rc;

	if (!once) {
		setlocale(LC_CTYPE, "C.UTF-8");	/* as cp-tar: pax names convert losslessly */
		once = 1;
	}
	if (size < 1)
		return 0;
	gz = gzip(data + 1, size - 1, &gzlen);
	fd = fuzz_memfd(gz, gzlen);
	free(gz);
	cp_tarcheck_limits(&lim);
	lim.max_entries = 1000;
	FUZZ_ASSERT((r = cp_tarread_open(fd, &o)) != NULL);
	chk = cp_tarcheck_new(&lim, data[0] & 7);
	while ((rc = cp_tarread_next(r, &ent)) == 1) {
		uint64_t got = 0;

		FUZZ_ASSERT(ent.name != NULL && ent.index >= 1);
		FUZZ_ASSERT((ent.mode & ~07777u) == 0);
		cp_err_clear(&why);
		if ((rc = cp_tarcheck_entry(chk, &ent, &path, &why)) == -1) {
			FUZZ_ASSERT(why.msg[0] != '\0');
			cp_tarread_fail(r, "%s", why.msg);
			break;
		}
		if (path != NULL && !(data[0] & CP_TARCHECK_LENIENT)) {
			/* A checked name is relative and normalised. */
			FUZZ_ASSERT(path[0] != '/' && strstr(path, "//") == NULL);
			FUZZ_ASSERT(strcmp(path, "..") != 0 && strncmp(path, "../", 3) != 0 &&
			    strstr(path, "/../") == NULL);
		}
		if (ent.type == CP_TAR_HARDLINK)
			cp_tarcheck_link_index(chk, &ent);
		while ((n = cp_tarread_data(r, &buf)) > 0)
			got += (uint64_t)n;
		if (n == 0 && ent.type == CP_TAR_FILE)
			FUZZ_ASSERT(got == ent.size);
		if (n == -1)
			break;
	}
	if (rc == -1 || n == -1)
		FUZZ_ASSERT(cp_tarread_error(r)->msg[0] != '\0');
	cp_tarread_close(r);
	cp_tarcheck_free(chk);
	close(fd);
	return 0;
}
