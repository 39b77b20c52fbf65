/* manifest: MANIFEST.json written as a shared file: the keys and checksum paths others put there are kept.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/beneath.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/json.h"
#include "base/relpath.h"
#include "base/xalloc.h"
#include "hash/sha256.h"
#include "plane/manifest.h"

static const char *const owned[] = {
	"version", "generated", "generator", "checksums", "merkle_root", "merkle_scheme"
};

/* One checksum line to write: a path and either its digest and size, or an old value kept. */
struct sum {
	const char *path;
	char hex[CP_SHA256_HEXLEN + 1];
	unsigned long long size;
	json_t *kept;		/* the old value, written as it was */
};

static int
cmp_sum(const void *a, const void *b)
{
	return strcmp(((const struct sum *)a)->path, ((const struct sum *)b)->path);
}

static int
is_owned(const char *key)
{
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strcmp(key, owned[i]) == 0)
			return 1;
	return 0;
}

/* The old MANIFEST.json of the plane, as an object, or NULL (none, or not one). */
static json_t *
read_old(int planefd)
{
	size_t len;
	char *buf = cp_beneath_read(planefd, "MANIFEST.json", CP_MANIFEST_MAX, &len, NULL);
	json_t *j = buf != NULL ? json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL) : NULL;

	free(buf);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/* Hash the regular file rel beneath planefd into s.  Returns 1 hashed, 0 no such file there, -1 (e). */
static int
rehash(int planefd, const char *rel, struct sum *s, struct cp_err *e)
{
	struct cp_sha256 c = { 0 };
	unsigned char d[CP_SHA256_LEN], buf[65536];
	struct stat st;
	uint64_t size;
	int fd, rc = 0;

	if (!cp_relpath_ok(rel, strlen(rel), NULL))
		return 0;
	if ((fd = cp_beneath_open(planefd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, NULL)) == -1)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (cp_sha256_init(&c) == -1 || cp_sha256_fd(&c, fd, buf, sizeof(buf), d, &size) == -1)
			rc = cp_err_set(e, errno, "%s", rel);
		else {
			cp_hex_encode(d, sizeof(d), s->hex);
			s->size = (unsigned long long)size;
			rc = 1;
		}
	}
	cp_sha256_free(&c);
	close(fd);
	return rc;
}

static void
write_value(FILE *fp, json_t *v)
{
	char *t = json_dumps(v, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	fputs(t != NULL ? t : "null", fp);
	free(t);
}

int
cp_manifest_write(FILE *fp, int planefd, const struct cp_integrity *r, const char *root,
    const char *timestamp, const char *generator, struct cp_err *e)
{
	json_t *old = planefd >= 0 ? read_old(planefd) : NULL;
	json_t *sums = old != NULL ? json_object_get(old, "checksums") : NULL, *v;
	const char *version = old != NULL ? json_string_value(json_object_get(old, "version")) : NULL;
	struct sum *s = xreallocarray(NULL, r->nfiles + (sums ? json_object_size(sums) : 0) + 1,
	    sizeof(*s));
	size_t n = 0, i;
	const char *key;
	int rc = 0, k;

	for (i = 0; i < r->nfiles; i++) {
		memset(&s[n], 0, sizeof(s[n]));
		s[n].path = r->files[i].path;
		cp_hex_encode(r->files[i].digest, CP_SHA256_LEN, s[n].hex);
		s[n].size = (unsigned long long)r->files[i].size;
		n++;
	}
	qsort(s, n, sizeof(*s), cmp_sum);
	if (json_is_object(sums)) {
		size_t governed = n;

		json_object_foreach(sums, key, v) {
			struct sum probe = { .path = key };

			if (bsearch(&probe, s, governed, sizeof(*s), cmp_sum) != NULL)
				continue;
			memset(&s[n], 0, sizeof(s[n]));
			s[n].path = key;
			/* its own entry cannot state the file it is in: kept as it was */
			if (strcmp(key, "MANIFEST.json") == 0) {
				s[n++].kept = v;
				continue;
			}
			if ((k = rehash(planefd, key, &s[n], e)) == -1) {
				rc = -1;
				goto out;
			}
			n += (size_t)k;	/* a file gone (a package removed it) goes from the list */
		}
		qsort(s, n, sizeof(*s), cmp_sum);
	}
	fputs("{\n  \"version\": ", fp);
	cp_json_write_cstr(fp, version != NULL ? version : "1");
	fputs(",\n  \"generated\": ", fp);
	cp_json_write_cstr(fp, timestamp);
	fputs(",\n  \"generator\": ", fp);
	cp_json_write_cstr(fp, generator);
	fputs(",\n  \"checksums\": {", fp);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n    " : "\n    ", fp);
		cp_json_write_cstr(fp, s[i].path);
		fputs(": ", fp);
		if (s[i].kept != NULL)
			write_value(fp, s[i].kept);
		else
			fprintf(fp, "{\"sha256\": \"%s\", \"size\": %llu}", s[i].hex, s[i].size);
	}
	fprintf(fp, "%s},\n  \"merkle_root\": \"%s\",\n  \"merkle_scheme\": \"rfc6962\"",
	    n ? "\n  " : "", root);
	if (old != NULL)
		json_object_foreach(old, key, v) {
			if (is_owned(key))
				continue;
			fputs(",\n  ", fp);
			cp_json_write_cstr(fp, key);
			fputs(": ", fp);
			write_value(fp, v);
		}
	fputs("\n}\n", fp);
out:
	free(s);
	json_decref(old);
	return rc;
}
