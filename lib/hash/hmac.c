/* hmac: HMAC-SHA256 through OpenSSL's EVP_MAC, fetched once per process.
 * SPDX-License-Identifier: ISC */
#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "hash/hmac.h"

static pthread_once_t mac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *mac;

static void
fetch_mac(void)
{
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

int
cp_hmac_init(struct cp_hmac *h, const void *key, size_t keylen)
{
	static char digest[] = "SHA256";
	static const unsigned char nokey[1];
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end()
	};

	pthread_once(&mac_once, fetch_mac);
	if (mac == NULL)
		return -1;
	if (h->ctx == NULL && (h->ctx = EVP_MAC_CTX_new(mac)) == NULL)
		return -1;
	/* OpenSSL wants a non-NULL pointer even for an empty key. */
	return EVP_MAC_init(h->ctx, keylen > 0 ? key : nokey, keylen, params) == 1 ? 0 : -1;
}

int
cp_hmac_update(struct cp_hmac *h, const void *data, size_t len)
{
	return EVP_MAC_update(h->ctx, data, len) == 1 ? 0 : -1;
}

int
cp_hmac_final(struct cp_hmac *h, unsigned char out[CP_HMAC_LEN])
{
	size_t n = 0;

	if (EVP_MAC_final(h->ctx, out, &n, CP_HMAC_LEN) != 1 || n != CP_HMAC_LEN)
		return -1;
	return 0;
}

void
cp_hmac_free(struct cp_hmac *h)
{
	EVP_MAC_CTX_free(h->ctx);
	h->ctx = NULL;
}

int
cp_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[CP_HMAC_LEN])
{
	struct cp_hmac h = { NULL };
	int rc;

	rc = cp_hmac_init(&h, key, keylen) == 0 && cp_hmac_update(&h, msg, len) == 0 &&
	    cp_hmac_final(&h, out) == 0 ? 0 : -1;
	cp_hmac_free(&h);
	return rc;
}

int
cp_hmac_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
