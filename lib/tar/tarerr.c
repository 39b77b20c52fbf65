/* tarerr: "entry N 'name': what", for the scanner, the reader and the extraction alike.
 * SPDX-License-Identifier: ISC */
#include "base/quote.h"
#include "tar/tarerr.h"

int
cp_tarerr_entry(struct cp_err *e, uint64_t index, const char *name, size_t len)
{
	char q[600];

	if (index == 0)
		return -1;
	if (name == NULL)
		return cp_err_prefix(e, "entry %llu", (unsigned long long)index);
	return cp_err_prefix(e, "entry %llu %s", (unsigned long long)index,
	    cp_quote(q, sizeof(q), name, len));
}

int
cp_tarerr_vset(struct cp_err *e, uint64_t index, const char *name, size_t len,
    const char *fmt, va_list ap)
{
	if (e->msg[0] != '\0')
		return -1;
	cp_err_vset(e, 0, fmt, ap);
	return cp_tarerr_entry(e, index, name, len);
}
