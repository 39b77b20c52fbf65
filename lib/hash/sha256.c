/* sha256: SHA-256 through OpenSSL EVP, with the algorithm fetched once per process.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "hash/sha256.h"

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md;

/* OpenSSL 3 looks an algorithm up on every implicit use; fetching it once saves that per digest. */
static void
fetch_md(void)
{
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256_md(void)
{
	pthread_once(&md_once, fetch_md);
	return md != NULL ? md : EVP_sha256();
}

void
cp_sha256_prepare(void)
{
	(void)sha256_md();
}

int
cp_sha256_init(struct cp_sha256 *c)
{
	if (c->ctx == NULL && (c->ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	return EVP_DigestInit_ex2(c->ctx, sha256_md(), NULL) == 1 ? 0 : -1;
}

int
cp_sha256_update(struct cp_sha256 *c, const void *data, size_t len)
{
	return EVP_DigestUpdate(c->ctx, data, len) == 1 ? 0 : -1;
}

int
cp_sha256_final(struct cp_sha256 *c, unsigned char out[CP_SHA256_LEN])
{
	return EVP_DigestFinal_ex(c->ctx, out, NULL) == 1 ? 0 : -1;
}

void
cp_sha256_free(struct cp_sha256 *c)
{
	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
}

int
cp_sha256(const void *data, size_t len, unsigned char out[CP_SHA256_LEN])
{
	if (EVP_Digest(data, len, out, NULL, sha256_md(), NULL) != 1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
cp_sha256_fd(struct cp_sha256 *c, int fd, void *buf, size_t bufsize,
    unsigned char out[CP_SHA256_LEN], uint64_t *size)
{
	return cp_sha256_fd_progress(c, fd, buf, bufsize, out, size, NULL, NULL);
}

int
cp_sha256_fd_progress(struct cp_sha256 *c, int fd, void *buf, size_t bufsize,
    unsigned char out[CP_SHA256_LEN], uint64_t *size,
    void (*progress)(void *progress_arg, uint64_t n), void *progress_arg)
{
	uint64_t total = 0;
	ssize_t n;

	if (cp_sha256_init(c) == -1)
		goto nomem;
	for (;;) {
		n = read(fd, buf, bufsize);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (cp_sha256_update(c, buf, (size_t)n) == -1)
			goto nomem;
		total += (uint64_t)n;
		if (progress != NULL)
			progress(progress_arg, (uint64_t)n);
	}
	if (cp_sha256_final(c, out) == -1)
		goto nomem;
	*size = total;
	return 0;
nomem:
	errno = ENOMEM;
	return -1;
}
