/* finding: a ledger finding (ledger.h) as the one line cp-ledger verify and the integrity report print for it.
 * SPDX-License-Identifier: ISC */
#ifndef CP_FINDING_H
#define CP_FINDING_H

#include "base/buf.h"
#include "ledger/ledger.h"

/*
 * Append to b the text of f without a newline, "<segment>:<line>: what"
 * ("tampered entry LED-…: entry_hash …, but its content hashes to …",
 * "chain break at …", "torn tail: …", "warning: legacy entry …"...).  When
 * strip is not NULL and a segment path starts with strip + "/", that prefix
 * is left out (plane-relative paths).
 */
void cp_finding_text(struct cp_buf *b, const struct cp_ledger_finding *f,
    const char *strip);

#endif
