/* names: one reader of name lists for every program that takes one.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"
#include "cli/names.h"

void
cp_names_init(struct cp_names *n, FILE *fp, const char *label, int nul)
{
	memset(n, 0, sizeof(*n));
	n->fp = fp;
	n->label = label;
	n->delim = nul ? '\0' : '\n';
}

int
cp_names_next(struct cp_names *n, const char **name)
{
	size_t len;
	int ended, rc;

	for (;;) {
		rc = cp_io_getrec(n->fp, n->delim, PATH_MAX, &n->rec, &n->cap, &len, &ended);
		n->lineno++;
		if (rc == 0)
			return 0;
		if (rc == -1) {
			warn("%s", n->label);
			return -2;
		}
		if (rc == -2) {
			warnx("%s:%zu: name too long", n->label, n->lineno);
			return -1;
		}
		if (len == 0)
			continue;
		if (strlen(n->rec) != len) {
			warnx("%s:%zu: name holds a NUL byte (use -0)", n->label, n->lineno);
			return -1;
		}
		*name = n->rec;
		return 1;
	}
}

void
cp_names_free(struct cp_names *n)
{
	free(n->rec);
	n->rec = NULL;
	n->cap = 0;
}
