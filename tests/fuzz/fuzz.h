/* fuzz.h: what every libFuzzer harness of tests/fuzz/ shares: the entry point, memory files, a scratch directory.
 * SPDX-License-Identifier: ISC */
#ifndef CP_FUZZ_H
#define CP_FUZZ_H

#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A harness's own check failed: a finding, reported as a crash so that libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: finding: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* data[0..size) in a memory file (no disk), at offset 0.  The caller closes it. */
static inline int
fuzz_memfd(const void *data, size_t size)
{
	int fd = memfd_create("cp-fuzz", MFD_CLOEXEC);
	const char *p = data;

	if (fd == -1) {
		perror("memfd_create");
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n <= 0) {
			perror("memfd write");
			abort();
		}
		p += n;
		size -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) == -1)
		abort();
	return fd;
}

/* The harness's scratch directory: made once under $TMPDIR (or /tmp), removed at exit. */
static char fuzz_dir[4096];

static int
fuzz_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) == -1 && errno != ENOENT ? -1 : 0;
}

static void
fuzz_dir_remove(void)
{
	if (fuzz_dir[0] != '\0')
		nftw(fuzz_dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static inline const char *
fuzz_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	if (fuzz_dir[0] != '\0')
		return fuzz_dir;
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/cp-fuzz.XXXXXX", t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		abort();
	}
	atexit(fuzz_dir_remove);
	return fuzz_dir;
}

/* Write data[0..size) to the file name in the scratch directory (replaced); returns its path (static). */
static inline const char *
fuzz_file(const char *name, const void *data, size_t size)
{
	static char path[4200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", fuzz_tmpdir(), name);
	if ((fp = fopen(path, "wb")) == NULL || (size > 0 && fwrite(data, 1, size, fp) != size) ||
	    fclose(fp) != 0) {
		perror(path);
		abort();
	}
	return path;
}

/* A NUL-terminated copy of data[0..size) (the caller frees). */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
