/* fuzz_hashcache: the stat-keyed digest cache file (hash/hashcache) as hostile input.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include <sys/stat.h>

#include "base/hex.h"
#include "hash/hashcache.h"
#include "hash/hmac.h"

/* The harness's state key: the trailer is the HMAC-SHA256 under it, as a user's cache carries. */
static const unsigned char key[CP_STATEKEY_LEN] = { 0x5a, 0x17, 0xc3 };

/*
 * The first byte picks the form: odd, the rest is the whole file; even,
 * the rest is the records, framed here by the magic line and a trailer
 * with the right count and MAC under the harness's key, so that the record parser is reached.
 * Then: lookups, a store and a save, which must leave a file that is not a
 * cache as it was, and write one that loads back without a warning.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *warning = NULL, *w2 = NULL, *path;
	struct cp_hashcache *c;
	unsigned char d[CP_SHA256_LEN], got[CP_SHA256_LEN];
	struct stat st, before, after;
	char *buf;
	size_t len;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		path = fuzz_file("cache", data + 1, size - 1);
	} else {
		size_t lines = 0, cap = size + 200;
		char hex[CP_SHA256_HEXLEN + 1];

		buf = malloc(cap);
		len = (size_t)snprintf(buf, cap, "cp-hash-cache 2\n");
		memcpy(buf + len, data + 1, size - 1);
		len += size - 1;
		for (size_t i = 16; i < len; i++)
			lines += buf[i] == '\n';
		FUZZ_ASSERT(cp_hmac_sha256(key, sizeof(key), buf, len, d) == 0);
		cp_hex_encode(d, sizeof(d), hex);
		len += (size_t)snprintf(buf + len, cap - len, "end %zu %s\n", lines, hex);
		path = fuzz_file("cache", buf, len);
		free(buf);
	}
	FUZZ_ASSERT(stat(path, &before) == 0);
	c = cp_hashcache_load(path, key, &warning);
	memset(&st, 0, sizeof(st));
	for (int i = 0; i < 4; i++) {
		st.st_dev = (dev_t)i;
		st.st_ino = (ino_t)(i * 7);
		st.st_size = i;
		cp_hashcache_lookup(c, &st, got);
	}
	/* A new record, saved: it loads back without a warning (or the file was left alone). */
	memset(d, 0xab, sizeof(d));
	st.st_dev = 1;
	st.st_ino = 2;
	st.st_size = 3;
	st.st_mtim.tv_sec = 1;
	st.st_ctim.tv_sec = 1;
	cp_hashcache_store(c, &st, d);
	FUZZ_ASSERT(cp_hashcache_save(c, path) == 0);
	cp_hashcache_free(c);
	FUZZ_ASSERT(stat(path, &after) == 0);
	if (warning != NULL && strstr(warning, "left alone") != NULL) {
		FUZZ_ASSERT(after.st_ino == before.st_ino && after.st_size == before.st_size);
	} else {
		c = cp_hashcache_load(path, key, &w2);
		if (w2 != NULL)
			fprintf(stderr, "after saving: %s (first load: %s)\n", w2, warning ? warning : "-");
		FUZZ_ASSERT(w2 == NULL);
		FUZZ_ASSERT(cp_hashcache_lookup(c, &st, got) == 1 && memcmp(got, d, sizeof(d)) == 0);
		cp_hashcache_free(c);
	}
	return 0;
}
