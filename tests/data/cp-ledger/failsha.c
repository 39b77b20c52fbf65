/*
 * failsha.c: an LD_PRELOAD shim that makes OpenSSL's digest calls fail, so
 * that the tests can see what the tools do when hashing fails.  Calls
 * number FAIL_AFTER + 1 to FAIL_AFTER + FAIL_COUNT (default: all after) of
 * EVP_DigestInit_ex, EVP_DigestInit_ex2 and EVP_Digest return 0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

#include <openssl/evp.h>

static long seen;

static int
fail_now(void)
{
	const char *after = getenv("FAIL_AFTER"), *count = getenv("FAIL_COUNT");
	long a = after != NULL ? atol(after) : 0;
	long c = count != NULL ? atol(count) : 1L << 40;

	seen++;
	return seen > a && seen <= a + c;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int
EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *md, ENGINE *impl)
{
	return fail_now() ? 0 : NEXT(EVP_DigestInit_ex)(ctx, md, impl);
}

int
EVP_DigestInit_ex2(EVP_MD_CTX *ctx, const EVP_MD *md, const OSSL_PARAM params[])
{
	return fail_now() ? 0 : NEXT(EVP_DigestInit_ex2)(ctx, md, params);
}

int
EVP_Digest(const void *data, size_t n, unsigned char *out, unsigned int *outn,
    const EVP_MD *md, ENGINE *impl)
{
	return fail_now() ? 0 : NEXT(EVP_Digest)(data, n, out, outn, md, impl);
}
