/* versions: checkpoints of a plane (versions/VER-*.json, as cp_version_checkpoint.py writes them), listed and rolled back to.
 * SPDX-License-Identifier: ISC */
#ifndef CP_VERSIONS_H
#define CP_VERSIONS_H

#include <stddef.h>

#include "base/err.h"
#include "plane/gate.h"

/*
 * A version is versions/VER-<UTC %Y%m%d%H%M%S>.json, the shape the Python
 * tools' cp_version_checkpoint.py writes (json.dumps, indent 2, ASCII):
 * version_id, label, timestamp, merkle_root (the legacy cp2 root over the
 * control-plane registry's content hashes, as integrity_check.py computes
 * it), registry_hash and manifest_hash (SHA-256 of the registry snapshot
 * and of MANIFEST.json, "" without one), packages (each packages-registry
 * row's id, source, source_type, digest, version, status, selected),
 * registry_snapshot ("versions/VER-..._registry.csv", a copy of
 * registries/control_plane_registry.csv), ledger_entry_id and actor.  This
 * toolkit adds members Python ignores: each package's "installed" (a
 * receipt was there), and packages_snapshot ("versions/VER-..._packages.csv",
 * a copy of the packages registry) with packages_hash.
 *
 * Every file of versions/ is hostile input: VER is [A-Za-z0-9._-] after
 * "VER-" (at most 64 bytes, so no path), every file is read beneath the
 * plane without following a symlink, capped (a version file 16 MiB, a
 * snapshot 256 MiB), a snapshot path must be versions/NAME with NAME
 * [A-Za-z0-9._-], a snapshot whose SHA-256 is not the recorded hash is
 * refused, and every package id passes cp_receipt_id_ok.  The file is bound
 * to the ledger entry that recorded it (version_checkpoint, RECORDED,
 * submission_id VER, id the file's ledger_entry_id, its entry_hash sound):
 * this toolkit's entry records version_sha256, the SHA-256 of the whole
 * file (and packages_hash); a Python entry records registry_hash and the
 * packages' ids, which must match, and a file bound only by those may hold
 * no "installed", packages_snapshot or packages_hash.
 */

#define CP_VERSIONS_DIR "versions"
#define CP_VERSIONS_META_MAX ((size_t)16 * 1024 * 1024)
#define CP_VERSIONS_SNAPSHOT_MAX ((size_t)256 * 1024 * 1024)

/* 1 when ver is a version id this toolkit reads (else e says why). */
int cp_versions_id_ok(const char *ver, struct cp_err *e);

/*
 * Checkpoint the plane (authz action checkpoint): the plane must be
 * healthy (cp_integrity_run: nothing invalid or missing, the ledger
 * intact), then one transaction writes the version file and its snapshots,
 * committed by the ledger entry version_checkpoint (decision RECORDED,
 * submission_id the VER id, the id written into the file as
 * ledger_entry_id).  label may be NULL.  r->package is the VER id,
 * r->files the files written.  Returns r->exit.
 */
int cp_versions_checkpoint(struct cp_gate *g, const char *label, struct cp_gate_result *r);

/*
 * Roll the plane back to version ver (authz action rollback): the version
 * file and its snapshots checked (see above; a file its ledger entry does
 * not vouch for, or with no entry: refused, exit 1, ledgered), then one transaction puts
 * the registries back (the control-plane registry from registry_snapshot;
 * the packages registry from packages_snapshot when the version has one),
 * ledgered version_rollback, decision RESTORE; then, each its own ledgered
 * operation, packages installed now that the version did not hold are
 * removed (dependents first), and the ones it held are installed or
 * updated to the restored rows (dependencies first; a Python version, with
 * no "installed" member, held every package it lists, as
 * cp_version_rollback.py reinstalled them all); the steps' results are in
 * r->deps.  Last, the integrity check, and an entry version_rollback with
 * decision ROLLED_BACK (exit 0) or ROLLBACK_FAILED (exit 1: a step failed,
 * a listed package's row now has another digest than the version's, or the
 * plane is not healthy), its metadata as Python's (target_registry,
 * packages, integrity_passed).  Returns r->exit.
 */
int cp_versions_rollback(struct cp_gate *g, const char *ver, struct cp_gate_result *r);

/* One version as cp_version_list.py lists it. */
struct cp_version {
	char *version_id, *timestamp, *label, *registry_hash, *manifest_hash, *snapshot;
	char *file;		/* its file name under versions/ */
	char *error;		/* why it could not be read, or NULL (the rest then NULL) */
};

/*
 * The versions of the plane at root: versions/VER-*.json in byte order of
 * their names (a missing versions/ is none).  A file that cannot be read or
 * parsed is listed with its error.  Returns 0 (*v, *n; free with
 * cp_versions_free), or -1 with e (the plane or versions/ unreadable).
 */
int cp_versions_list(const char *root, struct cp_version **v, size_t *n, struct cp_err *e);
void cp_versions_free(struct cp_version *v, size_t n);

#endif
