/* fuzz_receipt: a package's install receipt, installed/ID.sha256 and ID.info (plane/receipt), as hostile input.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include <sys/stat.h>

#include "plane/receipt.h"

/*
 * The input: two bytes (little-endian) giving the length of ID.sha256, its
 * bytes, then ID.info's, for the package P in a scratch installed/.  A
 * receipt read is written back (cp_receipt_format), reads again as the
 * same receipt, and is checked against a scratch destination holding the
 * file "a" (never a path outside it).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int dirfd = -1, destfd = -1;
	struct cp_receipt r, r2;
	struct cp_err e;
	enum cp_receipt_state *state;
	char *sums = NULL, *info = NULL;
	size_t slen = 0, ilen = 0, n;
	FILE *fs, *fi;
	long changed;

	if (dirfd == -1) {
		char path[4200];

		snprintf(path, sizeof(path), "%s/dest", fuzz_tmpdir());
		FUZZ_ASSERT(mkdir(path, 0755) == 0);
		fuzz_file("dest/a", "a\n", 2);
		FUZZ_ASSERT((destfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1);
		FUZZ_ASSERT((dirfd = open(fuzz_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1);
	}
	if (size < 2)
		return 0;
	n = (size_t)data[0] | (size_t)data[1] << 8;
	if (n > size - 2)
		n = size - 2;
	fuzz_file("P.sha256", data + 2, n);
	fuzz_file("P.info", data + 2 + n, size - 2 - n);
	cp_err_clear(&e);
	if (cp_receipt_read(dirfd, "P", &r, &e) == -1) {
		FUZZ_ASSERT(e.msg[0] != '\0' && r.n == 0 && r.package == NULL);
		return 0;
	}
	FUZZ_ASSERT(strcmp(r.package, "P") == 0 && r.destination[0] != '\0');
	/* Written back, read again: the same receipt. */
	FUZZ_ASSERT((fs = open_memstream(&sums, &slen)) != NULL);
	FUZZ_ASSERT((fi = open_memstream(&info, &ilen)) != NULL);
	FUZZ_ASSERT(cp_receipt_format(&r, fs, fi, &e) == 0);
	FUZZ_ASSERT(fclose(fs) == 0 && fclose(fi) == 0);
	fuzz_file("P.sha256", sums, slen);
	fuzz_file("P.info", info, ilen);
	FUZZ_ASSERT(cp_receipt_read(dirfd, "P", &r2, &e) == 0);
	FUZZ_ASSERT(r2.n == r.n && strcmp(r2.digest, r.digest) == 0 &&
	    strcmp(r2.destination, r.destination) == 0 && r2.output_type == r.output_type);
	for (size_t i = 0; i < r.n; i++)
		FUZZ_ASSERT(strcmp(r.v[i].path, r2.v[i].path) == 0 &&
		    strcmp(r.v[i].sha256, r2.v[i].sha256) == 0);
	cp_receipt_free(&r2);
	free(sums);
	free(info);
	/* Its files under the scratch destination. */
	state = calloc(r.n + 1, sizeof(*state));
	changed = cp_receipt_check(destfd, &r, state, &e);
	FUZZ_ASSERT(changed >= 0 && (size_t)changed <= r.n);
	free(state);
	cp_receipt_free(&r);
	return 0;
}
