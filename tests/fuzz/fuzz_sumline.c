/* fuzz_sumline: sha256sum lines as `cp-hash -c` and receipts read them (text/sumline).
 * SPDX-License-Identifier: ISC */
#include "fuzz.h"

#include "text/sumline.h"

/*
 * The input is one line.  What parses writes back (cp_sumline_format, with
 * coreutils' escaping) as a line that parses to the same digest and name.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hex[65], hex2[65], *name = NULL, *name2 = NULL;
	struct cp_buf b = { 0 };

	cp_sumline_is_bare((const char *)data, size);
	if (cp_sumline_parse((const char *)data, size, hex, &name) == -1)
		return 0;
	FUZZ_ASSERT(strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64);
	FUZZ_ASSERT(name != NULL && name[0] != '\0');
	cp_sumline_format(&b, hex, name);
	FUZZ_ASSERT(memchr(b.data, '\n', b.len) == NULL);
	FUZZ_ASSERT(cp_sumline_parse(b.data, b.len, hex2, &name2) == 0);
	FUZZ_ASSERT(strcmp(hex, hex2) == 0 && strcmp(name, name2) == 0);
	free(name);
	free(name2);
	cp_buf_free(&b);
	return 0;
}
