/* fuzz_istate: the integrity state file (plane/istate) as hostile input.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include <sys/stat.h>

#include "plane/integrity.h"
#include "plane/istate.h"
#include "hash/hmac.h"
#include "hash/sha256.h"

/* The harness's state key: the state's MAC is under it, as a user's state carries. */
static const unsigned char key[CP_STATEKEY_LEN] = { 0x5a, 0x17, 0xc3 };

#define MAGIC "cp-integrity-state 5\n"
#define BLOCK 4096
#define OPTS "fuzz"

static void
add(unsigned char **b, size_t *len, const void *p, size_t n)
{
	*b = realloc(*b, *len + n);
	FUZZ_ASSERT(*b != NULL);
	memcpy(*b + *len, p, n);
	*len += n;
}

/*
 * The first byte picks the form: odd, the rest is the whole file; even,
 * the rest is what follows the key, framed here (magic, generation, the
 * scratch plane's key, options) and closed by the right block digests and MAC, so that the
 * report's reader is reached.  A state read is checked against the scratch
 * plane (lstat only) and freed.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int rootfd = -1;
	static struct stat plane;
	struct cp_istate m;
	struct cp_fplist fps;
	struct cp_integrity r;
	unsigned char *b = NULL;
	size_t len = 0, *changed = NULL, nchanged = 0;
	const char *path;

	if (rootfd == -1) {
		FUZZ_ASSERT((rootfd = open(fuzz_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1);
		FUZZ_ASSERT(fstat(rootfd, &plane) == 0);
	}
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		add(&b, &len, data + 1, size - 1);
	} else {
		uint64_t v[3] = { 0, (uint64_t)plane.st_dev, (uint64_t)plane.st_ino }, n = strlen(OPTS);
		unsigned char *sums, mac[CP_HMAC_LEN];
		struct cp_hmac h = { 0 };
		size_t nb;

		add(&b, &len, MAGIC, strlen(MAGIC));
		add(&b, &len, v, sizeof(v));
		add(&b, &len, &n, 8);
		add(&b, &len, OPTS, n + 1);
		add(&b, &len, data + 1, size - 1);
		nb = (len + BLOCK - 1) / BLOCK;
		sums = calloc(nb + 1, CP_SHA256_LEN);
		FUZZ_ASSERT(sums != NULL);
		for (size_t k = 0; k < nb; k++) {
			size_t bl = len - k * BLOCK < BLOCK ? len - k * BLOCK : BLOCK;

			FUZZ_ASSERT(cp_sha256(b + k * BLOCK, bl, sums + k * CP_SHA256_LEN) == 0);
		}
		n = len;
		FUZZ_ASSERT(cp_hmac_init(&h, key, sizeof(key)) == 0 &&
		    cp_hmac_update(&h, sums, nb * CP_SHA256_LEN) == 0 &&
		    cp_hmac_update(&h, &n, 8) == 0 && cp_hmac_final(&h, mac) == 0);
		cp_hmac_free(&h);
		add(&b, &len, sums, nb * CP_SHA256_LEN);
		add(&b, &len, &n, 8);
		add(&b, &len, mac, sizeof(mac));
		free(sums);
	}
	path = fuzz_file("state", b, len);
	free(b);
	if (cp_istate_map(path, key, &plane, OPTS, &m, &fps) != 1)
		return 0;
	cp_istate_check(rootfd, &fps, m.written, 1, &changed, &nchanged);
	free(changed);
	if (cp_istate_finish(&m, &r) == 1) {
		for (size_t i = 0; i < r.nrows; i++)
			FUZZ_ASSERT(cp_istate_actual(&m, &r.rows[i]) != NULL);
		cp_fplist_free(&fps);
		cp_integrity_free(&r);
	} else {
		cp_fplist_free(&fps);
	}
	cp_istate_close(&m);
	return 0;
}
