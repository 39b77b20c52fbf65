/* integrity: a plane's control-plane registry proved against its files (design.md section 5).
 * SPDX-License-Identifier: ISC */
#ifndef CP_INTEGRITY_H
#define CP_INTEGRITY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "plane/report.h"

/* Defaults of the orphan scan (design.md section 5), space-separated. */
#define CP_INTEGRITY_GOVERNED "frameworks scripts lib prompts modules specs"
#define CP_INTEGRITY_SUFFIXES ".py .md .csv .json .yaml .yml"
/* What integrity_check.py leaves out of a directory's hash and of the orphan scan. */
#define CP_INTEGRITY_EXCLUDE "__pycache__ .git .pytest_cache node_modules __init__.py"

struct cp_integrity_opts {
	const char *root;	/* the plane */
	const char *registry;	/* NULL: <root>/registries/control_plane_registry.csv */
	const char *cache;	/* stat-keyed hash cache (lib/hashcache), or NULL for none */
	int full;		/* 1: rehash every file (the cache is still refreshed) */
	int jobs;		/* hashing threads; <= 0: one per online CPU */
	const char *governed;	/* directories scanned for orphans; NULL: the default */
	const char *suffixes;	/* suffixes an orphan has; NULL: the default */
	const char *exclude;	/* names left out of directory hashes and the orphan scan,
				 * space-separated; NULL: CP_INTEGRITY_EXCLUDE */
	int ledger;		/* 1: verify <root>/ledger when it exists */
	const char *state;	/* NULL, or a file remembering the run (lib/istate): when no
				 * input's lstat changed since, the report is taken from it;
				 * when only files' did, just those are read again */
	/* Told each thing worth a warning (a path leaving the plane...); may be NULL. */
	void (*warn)(void *arg, const char *msg);
	void *warn_arg;
};

/*
 * Check the plane o->root: read the control-plane registry; for each row with
 * an artifact_path (plane-relative, starting with "/"), lstat it and hash it
 * (a directory hashes as the cp2 root of its regular files' digests in
 * bytewise path order; symbolic links are never followed); scan the governed
 * directories for files with an orphan suffix that no row names (a row of a
 * child registry, entity_type "registry" with a path ending "registry.csv",
 * names its artifact_paths too; a named directory names what it holds);
 * verify the ledger; read MANIFEST.json's scheme and root (a MANIFEST.json
 * that cannot be read is said in r->manifest_error, not a failure, so that
 * it can be rewritten).  Files hash on
 * o->jobs threads through the cache, which is saved when it changed.
 * Returns 0, or -1 with e (unreadable registry or file, a hashing that
 * failed: the check could not be completed).  Free r with cp_integrity_free
 * in every case.
 */
int cp_integrity_run(const struct cp_integrity_opts *o, struct cp_integrity *r,
    struct cp_err *e);

/*
 * The plane's Merkle root in scheme ("rfc6962": RFC 9162 over the
 * sha256sum lines "<hex>  <path>" of r->files, without newlines; "cp2": the
 * legacy root over the sorted actual hashes of the rows that have a
 * content_hash and an actual hash) as 64 lowercase hex, or "" (cp2 of
 * nothing); cp2 on up to jobs threads (<= 0: one per online CPU).  Returns
 * 0, or -1 with e (an unknown scheme, a hashing that failed).
 */
int cp_integrity_root(const struct cp_integrity *r, const char *scheme, int jobs,
    char hex[CP_SHA256_HEXLEN + 1], struct cp_err *e);

/* 1 when the report is healthy: nothing invalid or missing, no chain error,
 * no MANIFEST.json root that differs, and (strict) no orphan. */
int cp_integrity_healthy(const struct cp_integrity *r, const char *root_hex, int strict);

/*
 * Write path (MANIFEST.json, or a staged copy of it) atomically, as
 * plane/manifest's cp_manifest_write writes it: merged with the
 * MANIFEST.json of the plane open as planefd (-1: none), whose other keys
 * and checksum paths are kept.  root: the rfc6962 root from
 * cp_integrity_root, which the caller has already needed.  Returns 0, or
 * -1 with e.
 */
int cp_integrity_write_manifest(const struct cp_integrity *r, int planefd, const char *path,
    const char *root, const char *timestamp, const char *generator, struct cp_err *e);

void cp_integrity_free(struct cp_integrity *r);

/* One file of a registered directory: its plane-relative path and digest. */
struct cp_integrity_dirfile {
	const char *path;
	unsigned char digest[CP_SHA256_LEN];
};

/*
 * A registered directory's content hash, integrity_check.py's rule (the one
 * definition, for the check and for cp_gate's installs): the files whose
 * path contains one of the space-separated words of exclude (NULL:
 * CP_INTEGRITY_EXCLUDE) anywhere, as Python tests str(path), are left out;
 * the others, in the order of sorted(Path.rglob('*')) (by path components,
 * cp_integrity_path_cmp), give the cp2 root of their digests; no file gives
 * "".  v is reordered.  Returns 0, or -1 with errno when hashing failed.
 */
int cp_integrity_dir_root(struct cp_integrity_dirfile *v, size_t n, const char *exclude,
    char hex[CP_SHA256_HEXLEN + 1]);

/* Paths compared as Python compares Paths: component by component ("a/x" before "a-b/y"). */
int cp_integrity_path_cmp(const char *a, const char *b);

/* 1 when the MANIFEST.json root r read matches: rfc6962 against root_hex, a
 * Python-era one (cp2) against r->stored_root as lib/integrity.py compared it;
 * 0 when it differs; -1 when there is none. */
int cp_integrity_manifest_matches(const struct cp_integrity *r, const char *root_hex);

#endif
