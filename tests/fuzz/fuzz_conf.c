/* fuzz_conf: the env-file reader (text/conf) that reads secrets.env and plane.conf.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "text/conf.h"

/*
 * The input is the file.  A load either fails with a message and leaves
 * the settings empty, or every key it gives is a valid name, unique, and
 * cp_conf_get finds its last value.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_conf c = { 0 };
	struct cp_err e;
	const char *path = fuzz_file("secrets.env", data, size);
	int rc;

	cp_err_clear(&e);
	rc = cp_conf_load(&c, path, &e);
	if (rc != 0) {
		FUZZ_ASSERT(rc == -2 && e.msg[0] != '\0' && c.n == 0);
		return 0;
	}
	for (size_t i = 0; i < c.n; i++) {
		const struct cp_conf_item *it = &c.item[i];
		unsigned long line = 0;

		FUZZ_ASSERT(it->key[0] != '\0' && strspn(it->key,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
		    strlen(it->key) && !(it->key[0] >= '0' && it->key[0] <= '9'));
		FUZZ_ASSERT(strlen(it->value) == it->vlen);
		FUZZ_ASSERT(cp_conf_get(&c, it->key, &line) == it->value && line == it->line);
	}
	cp_conf_free(&c);
	return 0;
}
