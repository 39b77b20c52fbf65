/* gate: the plane's operations (pack, install, update, remove, manifest) for a caller with a token, one transaction each.
 * SPDX-License-Identifier: ISC */
#ifndef CP_GATE_H
#define CP_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "hash/sha256.h"
#include "plane/journal.h"

/*
 * The public API of the plane engine: what cp-plane(1) is a thin program
 * over, and what another program links to act on a plane (the Python
 * original's GateOperations(control_plane_root, token)).  cp_gate(3) is
 * its manual.
 *
 *	struct cp_gate *g;
 *	struct cp_gate_result r;
 *	struct cp_gate_opts o = { .token = tok };
 *	if (cp_gate_open(&g, "/srv/plane", &o, NULL, &e) == -1) ... e.msg
 *	cp_gate_install(g, "PKG-X", &r);	r.exit, r.status, r.reason, r.files...
 *	cp_gate_result_free(&r);
 *	cp_gate_close(g);
 *
 * Every operation, in this order (cp-plane(1) says it for users):
 *  1. its arguments checked (an id: cp_receipt_id_ok; a usage error is
 *     exit 2 and writes nothing, not even the ledger);
 *  2. authorization: the identity proved at cp_gate_open may do the
 *     operation's action (lib/auth's roles: pack, install, update, remove;
 *     manifest needs hash_update).  A denial is one ledger entry
 *     (authz_denied, as cp-authz writes it) and exit 1;
 *  3. the transaction (plane/journal): the plane's lock, the registry row
 *     read through lib/registry's CSV reader, the receipt read as hostile
 *     input, the archive opened once and hashed in the same read that
 *     stages its entries, every check, then new content staged in
 *     .cp/stage/, the ledger entry (the commit point), the renames.  A
 *     refusal at any step (exit 1 for a negative answer: no such package,
 *     digest mismatch, changed files without force; exit 2 for hostile or
 *     broken input: a forged receipt, a symlinked plane directory, an
 *     unreadable archive) leaves the plane as it was and is one ledger
 *     entry with decision REFUSED.
 * Every path is resolved beneath the plane's root (or the one external
 * destination) without following a symlink (base/beneath).
 *
 * A gate holds the plane's root open and the caller's identity; it is not
 * thread-safe, and the plane's lock serializes gates of other processes.
 */

struct cp_gate;

struct cp_gate_opts {
	const char *token;		/* the token; NULL: token_file, else $CONTROL_PLANE_TOKEN */
	const char *token_file;		/* read the token from this file ("-": standard input) */
	const char *secrets_file;	/* the hmac secret's file; NULL: the default */
	int force;			/* install/update/remove: replace or remove changed files;
					 * and go on against deps and conflicts, saying what breaks */
	int dry_run;			/* pack/install/update/remove: plan only (see below) */
	/*
	 * A progress meter (cli/progress's shape; NULL: none): total is told
	 * the bytes to come (pack: the files' sizes; install, update: the
	 * archive's size), progress the bytes read since its last call.
	 */
	void (*progress_total)(void *progress_arg, uint64_t total);
	void (*progress)(void *progress_arg, uint64_t n);
	void *progress_arg;
};

/* One file of a result: a path relative to the destination and its SHA-256. */
struct cp_gate_file {
	char *path;
	char sha256[CP_SHA256_HEXLEN + 1];
};

/*
 * What an operation did or why not.  Strings are the result's own (NULL
 * when not known); free with cp_gate_result_free.
 */
struct cp_gate_result {
	int exit;		/* 0 done or nothing to do, 1 refused or denied, 2 an error */
	const char *operation;	/* "pack", "install", "update", "remove", "manifest" */
	const char *status;	/* "packed", "installed", "updated", "removed", "manifest",
				 * "up-to-date", "already-installed", "denied", "refused", "error" */
	int changed;		/* 1: the plane changed, and its ledger entry is ledger_id */
	char *package;		/* the package id, or NULL (manifest) */
	char *user;		/* who asked (the proved user, or NULL) */
	const char *provider;	/* the auth provider */
	char *reason;		/* why not (refused, denied, error), or what was done */
	char *hint;		/* what to do next, or NULL */
	char digest[CP_SHA256_HEXLEN + 1];	/* the archive (or manifest root) now, or "" */
	char before[CP_SHA256_HEXLEN + 1];	/* update, pack: the digest before, or "" */
	char *destination;	/* where the files are: absolute */
	struct cp_gate_file *files;	/* installed, updated, removed or packed */
	size_t nfiles;
	char **missing;		/* receipt files found missing */
	size_t nmissing;
	char **modified;	/* receipt files found changed */
	size_t nmodified;
	char ledger_id[16];	/* the entry written (the change's, or the refusal's), or "" */
	char entry_hash[CP_SHA256_HEXLEN + 1];
	char *warning;		/* something the caller should print, or NULL */
	int dry_run;		/* 1: a plan (status "planned" when it would go ahead) */
	char **replaced;	/* dry run: existing files the new ones would replace */
	size_t nreplaced;
	char **dropped;		/* dry run of update: files of the old version that would go */
	size_t ndropped;
	struct cp_gate_result *deps;	/* cp_depinstall_install, _update: the results of the
					 * dependencies installed (or planned) first, in that
					 * order; cp_versions_rollback: each package step */
	size_t ndeps;
};

/*
 * Open a gate on the plane root (a directory holding registries/): the
 * root opened, a crashed transaction finished or rolled back
 * (cp_journal_recover; rec, when not NULL, says what was done), the auth
 * provider opened as the plane configures it and the token authenticated.
 * A token that does not authenticate is no error here: every operation is
 * then denied (and ledgered).  Returns 0 and *gp, or -1 with e: not a
 * plane, a journal that cannot be recovered, the provider misconfigured
 * (no secret...), an unreadable token file.
 */
int cp_gate_open(struct cp_gate **gp, const char *root, const struct cp_gate_opts *o,
    struct cp_journal_report *rec, struct cp_err *e);

/* The warning the auth provider gave (passthrough is loud), or "". */
const char *cp_gate_warning(const struct cp_gate *g);

/*
 * Pack src (a file or directory inside the plane, relative to the current
 * directory or absolute; no symlink on the way or inside; not under .cp/;
 * not the secrets file) into packages_store/ID.tar.gz, deterministic
 * (cp-tar's format, mtime 0), with its sidecar ID.tar.gz.sha256 and the
 * row's source, source_type and digest set; entries are stored relative to
 * where install puts them back (the plane root, modules/ or output_path;
 * an external package's directory).  Nothing changes when the archive
 * would be the same bytes (status "up-to-date").
 */
int cp_gate_pack(struct cp_gate *g, const char *src, const char *id, struct cp_gate_result *r);

/*
 * Dependencies, as apt weighs them (plane/deps): under the plane's lock,
 * install and update refuse a dependency that is not installed, an
 * installed dependency whose version the constraint does not accept, and
 * a conflict either way (id's conflicts names an installed package, or an
 * installed package's names id); remove refuses while installed packages
 * depend on id, naming them.  force overrides these, and r->warning and
 * the ledger entry ("breaks") say what it breaks.  cp_depinstall_install
 * (plane/depinstall) installs the missing dependencies first.
 *
 * Dry runs (o->dry_run): the operation runs every check a real one does,
 * stages in a private directory under $TMPDIR, and stops before its commit:
 * r says what it would do (status "planned": r->files, r->destination,
 * r->replaced, r->dropped; a refusal as usual), and nothing of the plane
 * changes, not its ledger (no refusal or denial is ledgered), not .cp/
 * (no recovery, no lock, no staging there).  An install's dependencies are
 * planned in order by cp_depinstall_install, each counted as installed for
 * the next.
 */

/*
 * Install package id as its registry row says: the archive's SHA-256
 * (computed over the bytes extracted) must be the row's digest and the
 * sidecar's; files go to the destination output_type routes to; the
 * receipt installed/ID.sha256 + ID.info is written and the artifact's row
 * of the control-plane registry set.  Installed at the same digest with
 * every file intact: "already-installed", exit 0; with files missing or
 * changed: refused (exit 1, naming them) unless force, which reinstalls
 * from the archive.  An existing file the package does not own is refused
 * unless force or it already holds the new bytes.
 */
int cp_gate_install(struct cp_gate *g, const char *id, struct cp_gate_result *r);

/* A plan's packages before this one count as installed (id NULL: none again). */
void cp_gate_assume(struct cp_gate *g, const char *id);

/*
 * For the plane's other verbs (plane/versions, plane/query): authorize action for the
 * gate's identity as every operation does (r filled from zero; a denial is
 * ledgered, exit 1), and a refusal ledgered as an operation's (event,
 * decision REFUSED).  Both return r->exit (0 allowed).
 */
int cp_gate_authorize(struct cp_gate *g, const char *operation, const char *action,
    const char *subject, struct cp_gate_result *r);
int cp_gate_refusal(struct cp_gate *g, struct cp_gate_result *r, const char *operation,
    const char *event, const char *subject, int exit, const char *hint, const char *reason);

/*
 * Where a row with output_type and output_path routes its package now, as a
 * receipt's destination= names it (".", "modules", "/abs/path"): the check a
 * step makes of a receipt (plane/query makes it too).  Caller frees; NULL
 * with e when the row routes nowhere a package may go.
 */
char *cp_gate_route(struct cp_gate *g, const char *output_type, const char *output_path,
    struct cp_err *e);

/* The plane's canonical root, its ledger, the proved user (NULL: none) and the auth provider's name. */
const char *cp_gate_root(const struct cp_gate *g);
const char *cp_gate_ledger(const struct cp_gate *g);
const char *cp_gate_user(const struct cp_gate *g);
const char *cp_gate_provider(const struct cp_gate *g);

/* The gate's settings and the plane's root descriptor (the gate's: do not close it). */
int cp_gate_dry_run(const struct cp_gate *g);
int cp_gate_forced(const struct cp_gate *g);
int cp_gate_root_fd(const struct cp_gate *g);

/*
 * Update installed package id to its row's digest: the receipt's
 * destination must be the one the row routes to now; files changed since
 * install are refused unless force (or they already hold the new bytes);
 * files of the old version the new one lacks are removed.
 */
int cp_gate_update(struct cp_gate *g, const char *id, struct cp_gate_result *r);

/*
 * Remove installed package id: exactly its receipt's files (those changed
 * since install only with force; those already gone are named in
 * r->missing), then its receipt and its artifact's control-plane row.
 */
int cp_gate_remove(struct cp_gate *g, const char *id, struct cp_gate_result *r);

/*
 * Regenerate MANIFEST.json (checksums of every registered file, rfc6962
 * root), authorized as hash_update; "up-to-date" when it already states
 * the plane.
 */
int cp_gate_manifest(struct cp_gate *g, struct cp_gate_result *r);

/*
 * What cp_gate_adopt is told: the admin (whose token the caller holds), and
 * other users as "USER:ROLE[,ROLE...]".
 */
struct cp_gate_adopt {
	const char *admin;
	const char *const *users;
	size_t nusers;
};

/*
 * Take over a plane the Python tools built, in one ledgered transaction
 * (event plane_adopt, decision ADOPT): registries/plane.conf pins hmac
 * (the file made, or its other lines kept), registries/roles.csv names
 * a->admin admin and the other users as given, each Python install receipt
 * installed/ID/receipt.json (as genesis_bootstrap.py writes it) is indexed
 * as installed/ID.sha256 + ID.info where the registry row routes the
 * package to a directory holding every file it lists (r->missing names the
 * ones that could not be, with why), and the entry's metadata records the
 * ledger as it was found (entries, head, RFC 9162 root, intact or not).
 * Nothing else changes; receipt.json files stay.  The caller proves to hold
 * the hmac secret with a token of a->admin (the Python tools trusted every
 * valid token as admin).  root is the plane; o as for cp_gate_open.
 * Adopting an adopted plane again changes nothing (status "up-to-date",
 * exit 0); a plane that has a roles file it did not get from adoption is
 * refused (exit 1: it is governed already).
 */
int cp_gate_adopt(const char *root, const struct cp_gate_opts *o, const struct cp_gate_adopt *a,
    struct cp_gate_result *r);

/*
 * Recover the plane root without a gate (no token needed): finish or roll
 * back a crashed transaction, remove stale staging.  Returns 0 or -1 (e).
 */
int cp_gate_recover(const char *root, struct cp_journal_report *rec, struct cp_err *e);

/* Release what r holds and zero it; safe on a zeroed result. */
void cp_gate_result_free(struct cp_gate_result *r);

/* Close the gate: the identity and the secret wiped, the root closed.  Safe on NULL. */
void cp_gate_close(struct cp_gate *g);

#endif
