/* finding: the words for a ledger finding, shared by cp-ledger verify and the integrity report.
 * SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ledger/finding.h"

static const char *
shown(const char *path, const char *strip)
{
	size_t n;

	if (path == NULL)
		return "?";
	if (strip == NULL || (n = strlen(strip)) == 0 || strncmp(path, strip, n) != 0 ||
	    path[n] != '/')
		return path;
	return path + n + 1;
}

static void
addf_u64(struct cp_buf *b, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	cp_buf_adds(b, num);
}

void
cp_finding_text(struct cp_buf *b, const struct cp_ledger_finding *f, const char *strip)
{
	const char *id = f->id ? f->id : "?";

	cp_buf_adds(b, shown(f->segment, strip));
	cp_buf_addc(b, ':');
	addf_u64(b, f->lineno);
	cp_buf_adds(b, ": ");
	switch (f->kind) {
	case CP_LEDGER_TAMPERED:
		cp_buf_adds(b, "tampered entry ");
		cp_buf_adds(b, id);
		cp_buf_adds(b, ": entry_hash ");
		cp_buf_adds(b, f->actual);
		cp_buf_adds(b, ", but its content hashes to ");
		cp_buf_adds(b, f->expected);
		return;
	case CP_LEDGER_CHAIN_BREAK:
		cp_buf_adds(b, "chain break at ");
		cp_buf_adds(b, id);
		cp_buf_adds(b, ": previous_hash \"");
		cp_buf_adds(b, f->actual);
		cp_buf_adds(b, "\", expected \"");
		cp_buf_adds(b, f->expected);
		cp_buf_addc(b, '"');
		if (f->names_segment != NULL) {
			cp_buf_adds(b, " (it names the entry at ");
			cp_buf_adds(b, shown(f->names_segment, strip));
			cp_buf_addc(b, ':');
			addf_u64(b, f->names_lineno);
			cp_buf_adds(b, ": out of order)");
		} else if (*f->expected != '\0')
			cp_buf_adds(b, " (entries missing or inserted before it)");
		return;
	case CP_LEDGER_DUPLICATE:
		cp_buf_adds(b, "duplicate entry ");
		cp_buf_adds(b, id);
		cp_buf_adds(b, ": a copy of the entry before it");
		return;
	case CP_LEDGER_BAD_LINE:
		cp_buf_adds(b, "malformed line: ");
		cp_buf_adds(b, f->detail);
		return;
	case CP_LEDGER_TORN:
		cp_buf_adds(b, "torn tail: ");
		cp_buf_adds(b, f->detail);
		cp_buf_adds(b, " (an append cut short? see cp-ledger repair)");
		return;
	case CP_LEDGER_LEGACY_WARN:
		cp_buf_adds(b, f->warning ? "warning: legacy entry " : "strict: legacy entry ");
		cp_buf_adds(b, id);
		cp_buf_adds(b, " without entry_hash; the chain restarts after it");
		if (!f->warning)
			cp_buf_adds(b, " (after the chain began)");
		return;
	case CP_LEDGER_BLANK_WARN:
		cp_buf_adds(b, f->warning ? "warning: blank line" : "strict: blank line");
		return;
	}
}
