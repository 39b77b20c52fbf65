/* report: what an integrity run found, the type that the run (plane/integrity) fills and its state (plane/istate) keeps.
 * SPDX-License-Identifier: ISC */
#ifndef CP_REPORT_H
#define CP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "hash/sha256.h"

/* What became of one registry row that names an artifact_path. */
enum cp_integrity_status {
	CP_INTEGRITY_VALID,	/* its content hashes to content_hash */
	CP_INTEGRITY_INVALID,	/* it does not (or it is neither a file nor a directory) */
	CP_INTEGRITY_MISSING,	/* nothing at the path, or the path leaves the plane */
	CP_INTEGRITY_NO_HASH	/* it exists; content_hash is empty */
};

struct cp_integrity_row {
	char *id;
	char *path;		/* artifact_path as the registry holds it ("/frameworks/x.md") */
	char *expected;		/* content_hash, "" when empty */
	char actual[CP_SHA256_HEXLEN + 1];	/* its hash now; "" when not a file or a directory */
	int type;		/* what is there: 'f' file, 'd' directory, 'o' other, 0 nothing */
	int status;		/* enum cp_integrity_status */
};

/* A regular file hashed: registered, or under a registered directory. */
struct cp_integrity_file {
	char *path;		/* plane-relative ("frameworks/x.md") */
	uint64_t size;
	unsigned char digest[CP_SHA256_LEN];
};

/*
 * The answer.  Arrays in registry order (rows), bytewise path order (files,
 * orphans).  Freed with cp_integrity_free (plane/integrity.h).
 */
struct cp_integrity {
	struct cp_integrity_row *rows;
	size_t nrows;
	struct cp_integrity_file *files;
	size_t nfiles;
	char **orphans;
	size_t norphans;
	char **ledger;		/* the ledger's problems, one line each */
	size_t nledger;
	char **links;		/* registry link errors as integrity_check.py finds them:
				 * 3 strings each (id, link_type, target) */
	size_t nlinks;		/* errors, 3 * nlinks strings */
	char **deps;		/* installed packages whose dependencies are not installed:
				 * pairs (package, dependency), 2 * ndeps strings, registry
				 * order; unhealthy only when strict (plane/deps) */
	size_t ndeps;
	char *stored_root;	/* cp2 root over the rows' stored content_hash values, sorted
				 * (lib/integrity.py's, which Python-era roots hold); "" for none */
	uint64_t hashed, cached;	/* files read, files whose digest the cache gave */
	int manifest;		/* 1 when <root>/MANIFEST.json exists */
	char scheme[8];		/* the scheme it names: "rfc6962", or "cp2" (none named) */
	char *manifest_root;	/* its merkle_root, or NULL */
	char *manifest_error;	/* why MANIFEST.json could not be read, or NULL */
	char root[CP_SHA256_HEXLEN + 1];	/* the plane's root in scheme (cp_integrity_root) */
	char *blob;		/* internal: a state file's read-only mapping, which the
				 * strings above may point into (never write through them) */
	size_t bloblen;
};

#endif
