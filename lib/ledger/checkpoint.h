/* checkpoint: the C2SP tlog-checkpoint note text (origin, tree size, base64 root hash).
 * SPDX-License-Identifier: ISC */
#ifndef CP_CHECKPOINT_H
#define CP_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CP_CHECKPOINT_ORIGIN_MAX 255	/* longest origin accepted */

/* A tree head: the log's origin, its size, and its RFC 9162 root. */
struct cp_checkpoint {
	char origin[CP_CHECKPOINT_ORIGIN_MAX + 1];
	uint64_t size;
	unsigned char root[32];
};

/* 1 if origin can be a checkpoint's first line: not empty, no white space, no '+', no control characters. */
int cp_checkpoint_origin_ok(const char *origin);

/*
 * The note text "<origin>\n<size>\n<base64 root>\n" (size in decimal, root
 * in standard padded base64, RFC 4648 section 4).  Returns the text
 * (caller frees), or NULL if the origin is not acceptable.
 */
char *cp_checkpoint_format(const struct cp_checkpoint *c);

/*
 * Parse a checkpoint's note text: at least three non-empty lines, each
 * ending in a newline; extension lines after the root, and a signed
 * note's blank line and signature lines, are accepted and ignored.  The
 * size must be decimal without leading zeros, the root exactly 32 bytes in
 * canonical base64.  Returns 0, or -1 with the reason in e.
 */
int cp_checkpoint_parse(const char *text, size_t len, struct cp_checkpoint *c,
    struct cp_err *e);

/* Standard padded base64 of 32 bytes (44 characters and a NUL). */
void cp_checkpoint_b64(const unsigned char in[32], char out[45]);

#endif
