/* fuzz_manifest: a plane's MANIFEST.json read back and merged (plane/manifest) as hostile input.
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include <jansson.h>
#include <sys/stat.h>

#include "plane/manifest.h"
#include "plane/report.h"

static const char root[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/*
 * The input is MANIFEST.json in a scratch plane that holds two files, "a"
 * and "b/c"; the report governs "a" and "z".  The manifest written must
 * parse as one JSON object without a repeated key, with the fields of its
 * own, the report's files in its checksums,
 * and every key of the old object kept.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int planefd = -1;
	static char pa[] = "a", pz[] = "z";
	struct cp_integrity_file files[2] = { { pa, 1, { 0 } }, { pz, 2, { 1 } } };
	struct cp_integrity r;
	struct cp_err e;
	json_error_t je;
	json_t *out, *old, *sums, *v;
	const char *key;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int rc;

	if (planefd == -1) {
		const char *dir = fuzz_tmpdir();
		char path[4200];

		fuzz_file("a", "a\n", 2);
		snprintf(path, sizeof(path), "%s/b", dir);
		FUZZ_ASSERT(mkdir(path, 0755) == 0);
		fuzz_file("b/c", "c\n", 2);
		FUZZ_ASSERT((planefd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1);
	}
	fuzz_file("MANIFEST.json", data, size);
	memset(&r, 0, sizeof(r));
	r.files = files;
	r.nfiles = 2;
	cp_err_clear(&e);
	FUZZ_ASSERT((fp = open_memstream(&buf, &len)) != NULL);
	rc = cp_manifest_write(fp, planefd, &r, root, "2026-01-31T22:00:11.074330+00:00",
	    "fuzz", &e);
	FUZZ_ASSERT(fclose(fp) == 0);
	FUZZ_ASSERT(rc == 0);
	out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (out == NULL) {
		fprintf(stderr, "%s\n%.*s\n", je.text, (int)len, buf);
		FUZZ_ASSERT(!"the manifest written does not parse");
	}
	FUZZ_ASSERT(json_is_object(out));
	FUZZ_ASSERT(json_is_string(json_object_get(out, "version")));
	FUZZ_ASSERT(strcmp(json_string_value(json_object_get(out, "merkle_root")), root) == 0);
	sums = json_object_get(out, "checksums");
	FUZZ_ASSERT(json_is_object(sums) && json_object_get(sums, "a") != NULL &&
	    json_object_get(sums, "z") != NULL);
	old = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (json_is_object(old)) {
		json_object_foreach(old, key, v)
			FUZZ_ASSERT(json_object_get(out, key) != NULL);
	}
	json_decref(old);
	json_decref(out);
	free(buf);
	return 0;
}
