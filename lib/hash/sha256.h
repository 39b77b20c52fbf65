/* sha256: SHA-256 through OpenSSL EVP (SHA-NI where the CPU has it).
 * SPDX-License-Identifier: ISC */
#ifndef CP_SHA256_H
#define CP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CP_SHA256_LEN 32	/* bytes of a digest */
#define CP_SHA256_HEXLEN 64	/* characters of its hex form, without the NUL */

struct evp_md_ctx_st;

/* A caller-allocated context; one per thread. */
struct cp_sha256 {
	struct evp_md_ctx_st *ctx;
};

/* Load and set up OpenSSL's SHA-256 now rather than at the first digest (any thread, any number of times). */
void cp_sha256_prepare(void);

/* Prepare ctx for a new digest.  Returns 0, or -1 if OpenSSL fails (out of memory). */
int cp_sha256_init(struct cp_sha256 *c);

/* Hash more bytes.  Returns 0 or -1. */
int cp_sha256_update(struct cp_sha256 *c, const void *data, size_t len);

/* Write the digest; c may then be reused with cp_sha256_init.  Returns 0 or -1. */
int cp_sha256_final(struct cp_sha256 *c, unsigned char out[CP_SHA256_LEN]);

/* Release the context's OpenSSL state (safe on a zeroed or already freed context). */
void cp_sha256_free(struct cp_sha256 *c);

/* One-shot digest of a buffer.  Returns 0, or -1 with errno ENOMEM if OpenSSL fails. */
int cp_sha256(const void *data, size_t len, unsigned char out[CP_SHA256_LEN]);

/*
 * Digest everything readable from fd (to end of file), in constant memory,
 * with the caller's context c and read buffer buf (bufsize bytes).  *size
 * receives the byte count.  Returns 0, or -1 with errno set (read error, or
 * ENOMEM when OpenSSL fails).
 */
int cp_sha256_fd(struct cp_sha256 *c, int fd, void *buf, size_t bufsize,
    unsigned char out[CP_SHA256_LEN], uint64_t *size);

/* The same, telling progress (when not NULL) the byte count of each piece read. */
int cp_sha256_fd_progress(struct cp_sha256 *c, int fd, void *buf, size_t bufsize,
    unsigned char out[CP_SHA256_LEN], uint64_t *size,
    void (*progress)(void *progress_arg, uint64_t n), void *progress_arg);

#endif
