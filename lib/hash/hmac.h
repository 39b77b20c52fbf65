/* hmac: HMAC-SHA256 through OpenSSL's EVP_MAC, and a constant-time comparison.
 * SPDX-License-Identifier: ISC */
#ifndef CP_HMAC_H
#define CP_HMAC_H

#include <stddef.h>

#define CP_HMAC_LEN 32		/* bytes of an HMAC-SHA256 */
#define CP_HMAC_HEXLEN 64	/* characters of its lowercase hex form, without the NUL */

struct evp_mac_ctx_st;

/* A caller-allocated context (zero it first); one per thread. */
struct cp_hmac {
	struct evp_mac_ctx_st *ctx;
};

/*
 * Start a MAC keyed with key[0..keylen) (any bytes, any length; an empty
 * key is allowed, as HMAC allows it).  OpenSSL keeps its own copy of the
 * key and wipes it in cp_hmac_free; the caller wipes its own.
 * Returns 0, or -1 if OpenSSL fails (out of memory, no HMAC provider).
 */
int cp_hmac_init(struct cp_hmac *h, const void *key, size_t keylen);

/* MAC more bytes.  Returns 0 or -1. */
int cp_hmac_update(struct cp_hmac *h, const void *data, size_t len);

/* Write the MAC; h must then be initialised again before more use.  Returns 0 or -1. */
int cp_hmac_final(struct cp_hmac *h, unsigned char out[CP_HMAC_LEN]);

/* Release the context and the key copy inside it (safe on a zeroed or freed context). */
void cp_hmac_free(struct cp_hmac *h);

/* One-shot HMAC-SHA256(key, msg).  Returns 0 or -1 (OpenSSL failure). */
int cp_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[CP_HMAC_LEN]);

/*
 * 1 if a[0..n) equals b[0..n), else 0, in time that depends only on n
 * (CRYPTO_memcmp): a MAC compared with memcmp leaks how much of it matched.
 */
int cp_hmac_equal(const void *a, const void *b, size_t n);


#endif
