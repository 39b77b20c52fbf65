/* checkpoint: C2SP tlog-checkpoint note text, written and read strictly.
 * SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/xalloc.h"
#include "ledger/checkpoint.h"

int
cp_checkpoint_origin_ok(const char *origin)
{
	const unsigned char *p = (const unsigned char *)origin;

	if (*p == '\0' || strlen(origin) > CP_CHECKPOINT_ORIGIN_MAX)
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == '+' || *p == 0x7f)
			return 0;
	return 1;
}

void
cp_checkpoint_b64(const unsigned char in[32], char out[45])
{
	EVP_EncodeBlock((unsigned char *)out, in, 32);
}

char *
cp_checkpoint_format(const struct cp_checkpoint *c)
{
	char b64[45], *out;
	size_t n;

	if (!cp_checkpoint_origin_ok(c->origin))
		return NULL;
	cp_checkpoint_b64(c->root, b64);
	n = strlen(c->origin) + 21 + 45 + 3;
	out = xmalloc(n);
	snprintf(out, n, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, b64);
	return out;
}

static int
bad(struct cp_err *e, const char *why)
{
	return cp_err_set(e, 0, "%s", why);
}

int
cp_checkpoint_parse(const char *text, size_t len, struct cp_checkpoint *c,
    struct cp_err *e)
{
	const char *line[3], *nl, *p = text, *end = text + len;
	size_t n[3];
	unsigned char raw[36];
	char again[45];
	unsigned long long size = 0;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 3; i++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return bad(e, "not a checkpoint: fewer than three lines");
		line[i] = p;
		n[i] = (size_t)(nl - p);
		if (n[i] == 0 || memchr(p, '\0', n[i]) != NULL)
			return bad(e, "not a checkpoint: an empty line among the first three");
		p = nl + 1;
	}
	if (n[0] > CP_CHECKPOINT_ORIGIN_MAX)
		return bad(e, "checkpoint origin too long");
	memcpy(c->origin, line[0], n[0]);
	if (!cp_checkpoint_origin_ok(c->origin))
		return bad(e, "checkpoint origin holds white space, '+' or control characters");
	if (n[1] > 20 || (n[1] > 1 && line[1][0] == '0'))
		return bad(e, "checkpoint tree size is not a decimal number");
	for (size_t i = 0; i < n[1]; i++) {
		if (line[1][i] < '0' || line[1][i] > '9' ||
		    size > (~0ULL - (unsigned)(line[1][i] - '0')) / 10)
			return bad(e, "checkpoint tree size is not a decimal number");
		size = size * 10 + (unsigned)(line[1][i] - '0');
	}
	c->size = size;
	/* 32 bytes are 44 characters with one '='; re-encoding rejects any other spelling. */
	if (n[2] != 44 || EVP_DecodeBlock(raw, (const unsigned char *)line[2], 44) != 33)
		return bad(e, "checkpoint root is not the base64 of 32 bytes");
	memcpy(c->root, raw, 32);
	cp_checkpoint_b64(c->root, again);
	if (memcmp(again, line[2], 44) != 0)
		return bad(e, "checkpoint root is not the base64 of 32 bytes");
	return 0;
}
