/* manifest: MANIFEST.json written as a shared file: the keys and checksum paths others put there are kept.
 * SPDX-License-Identifier: ISC */
#ifndef CP_MANIFEST_H
#define CP_MANIFEST_H

#include <stdio.h>

#include "base/err.h"
#include "plane/report.h"

/* Largest MANIFEST.json read back to be merged. */
#define CP_MANIFEST_MAX ((size_t)64 << 20)

/*
 * Write the manifest of report r to fp: "version", "generated" (timestamp),
 * "generator", "checksums" {path: {"sha256", "size"}} in bytewise path
 * order, "merkle_root" (root, the rfc6962 root over r's files) and
 * "merkle_scheme" "rfc6962", two-space indented.
 *
 * MANIFEST.json is also the Python tools' file (design.md section 5): when
 * planefd is not -1 and the plane open there holds a MANIFEST.json that
 * parses as an object (a regular file, no symlink, at most
 * CP_MANIFEST_MAX bytes), its "version" is kept (else "1"), every key this
 * does not own is kept after ours, in its order, and every checksum path it
 * lists that r does not is kept, rehashed, while it names a regular file
 * beneath the plane (no symlink on the way); one whose file is gone goes
 * (a remove took it).  MANIFEST.json's own entry, which cannot state the
 * file it is in, is kept as it was.  A MANIFEST.json that does not parse is
 * replaced (the report already said so).  Returns 0, or -1 with e (a listed file that cannot be read).
 * Write errors stay in fp for the caller's checked close.
 */
int cp_manifest_write(FILE *fp, int planefd, const struct cp_integrity *r, const char *root,
    const char *timestamp, const char *generator, struct cp_err *e);

#endif
