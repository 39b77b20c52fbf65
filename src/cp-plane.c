/* cp-plane: the plane's steps (pack, install, update, remove, manifest, recover), one transaction each, over lib/plane/gate; init and the read-only queries.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <getopt.h>
#include <locale.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "cli/prog.h"
#include "cli/progress.h"
#include "plane/depinstall.h"
#include "plane/gate.h"
#include "plane/init.h"
#include "plane/query.h"
#include "plane/journal.h"
#include "plane/versions.h"

static const char help[] =
"usage: cp-plane [-C DIR] [--json] [-q] [--force] [--token T | --token-file FILE]\n"
"                [--secrets-file PATH] COMMAND [ARG...]\n"
"\n"
"  pack SRC ID     pack SRC (inside the plane) into packages_store/ID.tar.gz\n"
"                  (without operands: $SRC and $ID; install, update, remove: $PKG)\n"
"  install ID      install package ID as its registry row routes it\n"
"  update ID       install the row's new digest over the receipt\n"
"  remove ID       remove exactly the files of ID's receipt\n"
"  manifest        regenerate MANIFEST.json (needs hash_update: admin)\n"
"  recover         finish or roll back a crashed step (no token needed)\n"
"  init            make the directory a plane: registries, roles.csv naming\n"
"                  --admin USER (default: $ADMIN, else you), plane.conf pinning\n"
"                  hmac, the ledger's first entry (no token needed)\n"
"  list            the installed packages: id, version, digest, destination, files\n"
"  show ID         the row, install state, files, dependencies and dependents\n"
"  owns FILE       which installed package put FILE there (1: none)\n"
"  verify [ID]     installed files against their receipts (1: missing, changed)\n"
"  search [TEXT]   packages whose id, name or category holds TEXT\n"
"                  (operands from $PKG, $FILE, $Q when not given)\n"
"  checkpoint [LABEL]  snapshot the registries and the Merkle root into\n"
"                  versions/VER-<UTC time>.json (+ the registries' copies)\n"
"  versions        list the checkpoints (no token needed)\n"
"  rollback VER    put back VER's registries, then remove, install or update\n"
"                  each package to what VER held ($VER; LABEL for checkpoint)\n"
"  adopt           take over a plane the Python tools built: pin hmac, write\n"
"                  roles.csv (--admin USER, whose token you give; --user\n"
"                  USER:ROLE[,ROLE]...), index the Python install receipts\n"
"\n"
"  -C DIR                the plane (default: $CONTROL_PLANE_ROOT, else .)\n"
"      --token T         the token (else $CONTROL_PLANE_TOKEN); visible in ps\n"
"      --token-file FILE read the token from FILE's first line (- = stdin)\n"
"      --secrets-file PATH  the hmac secret's file (see cp-authz(1))\n"
"      --admin USER      adopt: the admin (default: $ADMIN)\n"
"      --user USER:ROLES adopt: another user and roles (also $USERS, space-separated)\n"
"      --force           install: reinstall over missing or changed files, replace\n"
"                        files in the way; update, remove: also changed files\n"
"      --dry-run         pack, install, update, remove: print the plan (packages\n"
"                        in order, files, destination, what would be replaced)\n"
"                        and change nothing, not even the ledger ($DRY_RUN=1)\n"
"      --json            print the result as one JSON object\n"
"      --progress        pack, install, update: show progress on standard error\n"
"                        even when it is not a terminal\n"
"  -q, --quiet           print nothing but errors, no progress\n"
"  -h, --help            print this help\n"
"      --version         print the version\n"
"\n"
"Every step authorizes first, runs under the plane's lock as one transaction\n"
"(a crash is finished or rolled back by the next run) and is ledgered, refusals\n"
"too.  Exit status: 0 done or nothing to do, 1 refused or denied, 2 an error\n"
"(bad usage, hostile or broken input, I/O).\n";

enum { OPT_TOKEN = 256, OPT_TOKEN_FILE, OPT_SECRETS_FILE, OPT_JSON, OPT_FORCE, OPT_VERSION,
	OPT_ADMIN, OPT_USER, OPT_DRY_RUN, OPT_PROGRESS };

static const struct option longopts[] = {
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "secrets-file", required_argument, NULL, OPT_SECRETS_FILE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "admin", required_argument, NULL, OPT_ADMIN },
	{ "user", required_argument, NULL, OPT_USER },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	const char *root;
	struct cp_gate_opts g;
	char *token;
	int json, quiet, progress;
	const char *admin;
	char **users;		/* adopt's --user values, then $USERS's words */
	size_t nusers;
	char *users_env;	/* a copy of $USERS, split in place */
};

/* pack, install, update's meter on standard error (when wanted). */
static struct cp_progress meter;

/*
 * The gate's total for the archive or files to come.  An install may read
 * several archives (its dependencies first): each adds its bytes to what
 * is already done, so the percentage runs once to 100 over them all.
 */
static void
meter_total(void *arg, uint64_t total)
{
	struct cp_progress *p = arg;

	cp_progress_total(p, atomic_load(&p->done) + total);
}

static void
json_names(struct cp_json *w, const char *key, char **v, size_t n)
{
	cp_json_key(w, key);
	cp_json_arr(w);
	for (size_t i = 0; i < n; i++)
		cp_json_str(w, v[i]);
	cp_json_end(w);
}

/* The members of a result, in an object left open for the caller to end. */
static void
json_result(struct cp_json *w, const struct cp_gate_result *r);

static void
print_json(const struct cp_gate_result *r)
{
	struct cp_json w;

	cp_json_init(&w, stdout);
	json_result(&w, r);
	cp_json_endl(&w);
}

static void
json_result(struct cp_json *w, const struct cp_gate_result *r)
{
	cp_json_obj(w);
	cp_json_kstr(w, "operation", r->operation);
	cp_json_kstr(w, "package", r->package);
	cp_json_kstr(w, "status", r->status);
	cp_json_kbool(w, "changed", r->changed);
	cp_json_kint(w, "exit", r->exit);
	cp_json_kstr(w, "user", r->user);
	cp_json_kstr(w, "provider", r->provider);
	cp_json_kstr(w, "reason", r->reason);
	cp_json_kstr(w, "hint", r->hint);
	cp_json_kstr(w, "digest", r->digest[0] ? r->digest : NULL);
	cp_json_kstr(w, "before_digest", r->before[0] ? r->before : NULL);
	cp_json_kstr(w, "destination", r->destination);
	cp_json_key(w, "files");
	cp_json_arr(w);
	for (size_t i = 0; i < r->nfiles; i++) {
		cp_json_obj(w);
		cp_json_kstr(w, "path", r->files[i].path);
		cp_json_kstr(w, "sha256", r->files[i].sha256);
		cp_json_end(w);
	}
	cp_json_end(w);
	json_names(w, "missing", r->missing, r->nmissing);
	json_names(w, "changed_files", r->modified, r->nmodified);
	cp_json_kstr(w, "ledger_id", r->ledger_id[0] ? r->ledger_id : NULL);
	cp_json_kstr(w, "entry_hash", r->entry_hash[0] ? r->entry_hash : NULL);
	cp_json_kstr(w, "warning", r->warning);
	if (r->dry_run) {
		cp_json_kbool(w, "dry_run", 1);
		json_names(w, "replaced", r->replaced, r->nreplaced);
		json_names(w, "dropped", r->dropped, r->ndropped);
	}
	if (r->ndeps > 0) {
		cp_json_key(w, strcmp(r->operation, "rollback") == 0 ? "steps" : "dependencies");
		cp_json_arr(w);
		for (size_t i = 0; i < r->ndeps; i++) {
			json_result(w, &r->deps[i]);
			cp_json_end(w);
		}
		cp_json_end(w);
	}
}

/* Up to a few names of a list, for a one-line message. */
static void
print_names(const char *what, char **v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	fprintf(stderr, "%s: %s:", cp_prog_name(), what);
	for (i = 0; i < n && i < 10; i++)
		fprintf(stderr, " %s", v[i]);
	if (n > 10)
		fprintf(stderr, " (and %zu more)", n - 10);
	fputc('\n', stderr);
}

/* A dry run's plan on stdout: one line per file, "ACTION PATH" (what would go where). */
static void
print_plan(const struct cp_gate_result *r)
{
	const char *verb = strcmp(r->operation, "remove") == 0 ? "remove" : "put";
	size_t i, k;

	printf("plan %s %s -> %s\n", r->operation, r->package != NULL ? r->package : "",
	    r->destination != NULL ? r->destination : "");
	for (i = 0; i < r->nfiles; i++) {
		int rep = 0;

		for (k = 0; k < r->nreplaced; k++)
			rep |= strcmp(r->replaced[k], r->files[i].path) == 0;
		printf("  %s %s%s\n", rep ? "replace" : verb, r->files[i].path, "");
	}
	for (i = 0; i < r->ndropped; i++)
		printf("  drop %s\n", r->dropped[i]);
	if (strcmp(r->operation, "pack") == 0)
		for (i = 0; i < r->nreplaced; i++)
			printf("  replace %s\n", r->replaced[i]);
}

static void
print_text(const struct opts *o, const struct cp_gate_result *r)
{
	const char *who = r->package != NULL ? r->package : r->operation != NULL ? r->operation :
	    "cp-plane";

	for (size_t i = 0; i < r->ndeps; i++)
		if (r->deps[i].exit == 0 || strcmp(r->operation, "rollback") == 0)
			print_text(o, &r->deps[i]);

	if (r->warning != NULL)
		warnx("warning: %s", r->warning);
	if (strcmp(r->status, "denied") == 0) {
		warnx("denied: %s", r->reason);
		if (r->hint != NULL)
			warnx("%s", r->hint);
		return;
	}
	if (r->exit != 0) {
		warnx("%s: %s", who, r->reason);
		print_names("missing", r->missing, r->nmissing);
		print_names("changed", r->modified, r->nmodified);
		if (r->hint != NULL)
			warnx("%s", r->hint);
		return;
	}
	if (o->quiet)
		return;
	if (r->dry_run && strcmp(r->status, "planned") == 0) {
		warnx("%s: %s (dry run: nothing changed)", who, r->reason);
		print_plan(r);
		return;
	}
	if (strcmp(r->status, "installed") == 0 || strcmp(r->status, "updated") == 0 ||
	    strcmp(r->status, "removed") == 0)
		warnx("%s: %s (%zu file%s)", who, r->reason, r->nfiles, r->nfiles == 1 ? "" : "s");
	else
		warnx("%s: %s", who, r->reason);
	if (strcmp(r->status, "removed") == 0)
		print_names("already missing", r->missing, r->nmissing);
	if (strcmp(r->operation, "pack") == 0 && r->digest[0] != '\0')
		printf("%s  packages_store/%s.tar.gz\n", r->digest, r->package);
}

static int
recover(const struct opts *o)
{
	struct cp_journal_report rep;
	struct cp_err e;
	struct cp_json w;

	if (cp_gate_recover(o->root, &rep, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_kstr(&w, "operation", "recover");
		cp_json_kbool(&w, "journal", rep.journal);
		cp_json_kstr(&w, "outcome", rep.forward ? "rolled-forward" : rep.back ?
		    "rolled-back" : "nothing");
		cp_json_kstr(&w, "txid", rep.txid[0] ? rep.txid : NULL);
		cp_json_kstr(&w, "ledger_id", rep.ledger_id[0] ? rep.ledger_id : NULL);
		cp_json_kuint(&w, "steps", rep.steps);
		cp_json_kuint(&w, "redone", rep.redone);
		cp_json_kuint(&w, "stale", rep.stale);
		cp_json_endl(&w);
	} else if (!o->quiet) {
		if (rep.forward)
			warnx("recover: finished transaction %s (%s): %zu of %zu steps redone",
			    rep.txid, rep.ledger_id, rep.redone, rep.steps);
		else if (rep.back)
			warnx("recover: rolled back transaction %s (it had not been ledgered)",
			    rep.txid);
		if (rep.stale > 0)
			warnx("recover: removed %zu stale staging directories", rep.stale);
		if (!rep.journal && rep.stale == 0)
			warnx("recover: nothing to do");
	}
	return CP_EXIT_YES;
}

/* adopt: --admin (else $ADMIN), --user and $USERS's words. */
static int
adopt(struct opts *o)
{
	struct cp_gate_adopt a = { 0 };
	struct cp_gate_result r;
	const char *env = getenv("USERS");
	char *w, *save = NULL;
	int status;

	a.admin = o->admin != NULL ? o->admin : getenv("ADMIN");
	if (env != NULL) {
		o->users_env = xstrdup(env);
		for (w = strtok_r(o->users_env, " \t\n", &save); w != NULL;
		    w = strtok_r(NULL, " \t\n", &save)) {
			o->users = xreallocarray(o->users, o->nusers + 1, sizeof(*o->users));
			o->users[o->nusers++] = w;
		}
	}
	a.users = (const char *const *)o->users;
	a.nusers = o->nusers;
	status = cp_gate_adopt(o->root, &o->g, &a, &r);
	if (o->json)
		print_json(&r);
	else {
		print_text(o, &r);
		print_names("receipts skipped", r.missing, r.nmissing);
	}
	cp_gate_result_free(&r);
	free(o->users);
	free(o->users_env);
	return status;
}

/* versions: cp_version_list.py's table (tab-separated, a header), or a JSON array. */
static int
versions(const struct opts *o)
{
	static const char *const col[] = { "version_id", "timestamp", "label", "registry_hash",
		"manifest_hash", "snapshot" };
	struct cp_version *v;
	struct cp_json w;
	struct cp_err e;
	size_t n, i, k;
	int bad = 0;

	if (cp_versions_list(o->root, &v, &n, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_arr(&w);
		for (i = 0; i < n; i++) {
			const char *f[6] = { v[i].version_id, v[i].timestamp, v[i].label,
				v[i].registry_hash, v[i].manifest_hash, v[i].snapshot };

			cp_json_obj(&w);
			cp_json_kstr(&w, "file", v[i].file);
			for (k = 0; k < 6; k++)
				cp_json_kstr(&w, col[k], f[k]);
			cp_json_kstr(&w, "error", v[i].error);
			cp_json_end(&w);
		}
		cp_json_endl(&w);
	} else if (n == 0)
		printf("No checkpoints found.\n");
	else {
		printf("version_id\ttimestamp\tlabel\tregistry_hash\tmanifest_hash\tsnapshot\n");
		for (i = 0; i < n; i++) {
			const char *f[6] = { v[i].version_id, v[i].timestamp, v[i].label,
				v[i].registry_hash, v[i].manifest_hash, v[i].snapshot };

			if (v[i].error != NULL) {
				warnx("versions/%s: %s", v[i].file, v[i].error);
				continue;
			}
			for (k = 0; k < 6; k++) {
				/*
				 * a tab or newline would break the table, an escape
				 * sequence would reach the terminal: shown escaped
				 */
				for (const char *c = f[k]; *c; c++)
					if (*c == '\t' || *c == '\n' || *c == '\r' || *c == '\\')
						printf("\\%c", *c == '\t' ? 't' : *c == '\n' ? 'n' :
						    *c == '\r' ? 'r' : '\\');
					else if ((unsigned char)*c < 0x20 || *c == 0x7f)
						printf("\\x%02x", (unsigned)(unsigned char)*c);
					else
						putchar(*c);
				putchar(k < 5 ? '\t' : '\n');
			}
		}
	}
	for (i = 0; i < n; i++)
		bad |= v[i].error != NULL;
	cp_versions_free(v, n);
	return bad ? CP_EXIT_ERR : CP_EXIT_YES;
}

static void
say_recovered(const struct opts *o, const struct cp_journal_report *rep)
{
	if (o->quiet || o->json)
		return;
	if (rep->forward)
		warnx("recovered: finished the crashed transaction %s (%s)", rep->txid,
		    rep->ledger_id);
	else if (rep->back)
		warnx("recovered: rolled back the crashed transaction %s", rep->txid);
}

/* --- init and the read-only queries (plane/init, plane/query) ------------------ */

static const char *const query_cmds[] = { "list", "show", "owns", "verify", "search" };

static int
is_query(const char *cmd)
{
	for (size_t i = 0; i < sizeof(query_cmds) / sizeof(query_cmds[0]); i++)
		if (strcmp(cmd, query_cmds[i]) == 0)
			return 1;
	return 0;
}

/* The path of entry j of p's receipt, absolute (or as recorded when it cannot be). */
static char *
entry_path(const struct cp_query_pkg *p, size_t j)
{
	if (p->dest_abs == NULL)
		return xpathjoin(p->rc.destination, p->rc.v[j].path);
	return xpathjoin(strcmp(p->dest_abs, "/") == 0 ? "" : p->dest_abs, p->rc.v[j].path);
}

static void
json_paths(struct cp_json *w, const char *key, const struct cp_query_pkg *p, const size_t *ix,
    size_t n)
{
	cp_json_key(w, key);
	cp_json_arr(w);
	for (size_t i = 0; i < n; i++) {
		char *s = entry_path(p, ix[i]);

		cp_json_str(w, s);
		free(s);
	}
	cp_json_end(w);
}

static void
json_pkg_head(struct cp_json *w, const struct cp_query_pkg *p)
{
	cp_json_kstr(w, "id", p->id);
	cp_json_kstr(w, "name", p->name);
	cp_json_kstr(w, "version", p->version);
	cp_json_kstr(w, "category", p->category);
	cp_json_kstr(w, "state", p->state);
	cp_json_kbool(w, "installed", p->installed);
	cp_json_kstr(w, "digest", p->installed ? p->rc.digest : NULL);
	cp_json_kstr(w, "registry_digest", p->row_digest);
	cp_json_kstr(w, "destination", p->installed ? p->rc.destination : NULL);
	cp_json_kstr(w, "output_type", p->installed ? cp_receipt_type_name(p->rc.output_type) : NULL);
	cp_json_kstr(w, "problem", p->problem);
}

static void
json_deps(struct cp_json *w, const char *key, const struct cp_query_dep *d, size_t n)
{
	cp_json_key(w, key);
	cp_json_arr(w);
	for (size_t i = 0; i < n; i++) {
		cp_json_obj(w);
		cp_json_kstr(w, "id", d[i].id);
		cp_json_kstr(w, "constraint", d[i].constraint);
		cp_json_kbool(w, "known", d[i].known);
		cp_json_kbool(w, "installed", d[i].installed);
		cp_json_kstr(w, "version", d[i].version);
		cp_json_end(w);
	}
	cp_json_end(w);
}

static void
text_deps(const char *what, const struct cp_query_dep *d, size_t n)
{
	printf("%s:", what);
	for (size_t i = 0; i < n; i++)
		printf("%s %s%s%s%s (%s)", i ? "," : "", d[i].id, d[i].constraint ? " " : "",
		    d[i].constraint ? d[i].constraint : "", "",
		    !d[i].known ? "not in the registry" : d[i].installed ? "installed" :
		    "not installed");
	if (n == 0)
		printf(" none");
	putchar('\n');
}

/* Say the problems of broken receipts on standard error. */
static void
warn_problems(const struct cp_query *q)
{
	for (size_t i = 0; i < q->npkg; i++)
		if (q->pkg[i].problem != NULL)
			warnx("%s: %s", q->pkg[i].id, q->pkg[i].problem);
}

static int
q_list(struct cp_query *q, const struct opts *o, struct cp_json *w)
{
	struct cp_err e;
	size_t i;

	if (cp_query_list(q, &e) == -1)
		errx(CP_EXIT_ERR, "list: %s", e.msg);
	if (o->json) {
		cp_json_kuint(w, "count", q->npkg);
		cp_json_key(w, "packages");
		cp_json_arr(w);
		for (i = 0; i < q->npkg; i++) {
			cp_json_obj(w);
			json_pkg_head(w, &q->pkg[i]);
			cp_json_kuint(w, "files", q->pkg[i].rc.n);
			cp_json_end(w);
		}
		cp_json_end(w);
		return CP_EXIT_YES;
	}
	for (i = 0; i < q->npkg; i++) {
		const struct cp_query_pkg *p = &q->pkg[i];

		if (!p->installed)
			continue;
		printf("%s\t%s\t%s\t%s\t%zu\n", p->id, p->version != NULL && *p->version ?
		    p->version : "-", p->rc.digest, p->rc.destination, p->rc.n);
	}
	warn_problems(q);
	if (!o->quiet && q->npkg == 0)
		warnx("list: no package is installed");
	return CP_EXIT_YES;
}

static int
q_show(struct cp_query *q, const struct opts *o, struct cp_json *w, const char *id)
{
	const struct cp_query_pkg *p;
	struct cp_err e;
	size_t i;
	int rc;

	if ((rc = cp_query_show(q, id, &e)) == -1)
		errx(CP_EXIT_ERR, "show: %s", e.msg);
	if (rc == 1) {
		if (o->json) {
			cp_json_kstr(w, "id", id);
			cp_json_kstr(w, "state", "unknown");
		} else
			warnx("show: no package %s: no registry row, no receipt", id);
		return CP_EXIT_NO;
	}
	p = &q->pkg[0];
	if (o->json) {
		json_pkg_head(w, p);
		cp_json_key(w, "row");
		if (q->ncol == 0)
			cp_json_null(w);
		else {
			cp_json_obj(w);
			for (i = 0; i < q->ncol; i++)
				cp_json_kstr(w, q->col[i], q->val[i]);
			cp_json_end(w);
		}
		cp_json_key(w, "files");
		cp_json_arr(w);
		for (i = 0; i < p->rc.n; i++) {
			char *s = entry_path(p, i);

			cp_json_obj(w);
			cp_json_kstr(w, "path", p->rc.v[i].path);
			cp_json_kstr(w, "absolute", s);
			cp_json_kstr(w, "sha256", p->rc.v[i].sha256);
			cp_json_end(w);
			free(s);
		}
		cp_json_end(w);
		json_deps(w, "dependencies", q->deps, q->ndeps);
		json_deps(w, "dependents", q->rdeps, q->nrdeps);
		return CP_EXIT_YES;
	}
	printf("Package: %s\n", p->id);
	for (i = 0; i < q->ncol; i++)
		if (strcmp(q->col[i], "id") != 0 && q->val[i][0] != '\0')
			printf("%s: %s\n", q->col[i], q->val[i]);
	if (q->ncol == 0)
		printf("Registry: no row (installed, but no longer in the registry)\n");
	printf("State: %s\n", p->state);
	if (p->installed) {
		printf("Installed-Digest: %s\n", p->rc.digest);
		printf("Destination: %s\n", p->rc.destination);
		printf("Files: %zu\n", p->rc.n);
		for (i = 0; i < p->rc.n; i++)
			printf(" %s\n", p->rc.v[i].path);
	}
	text_deps("Depends", q->deps, q->ndeps);
	text_deps("Dependents", q->rdeps, q->nrdeps);
	warn_problems(q);
	return CP_EXIT_YES;
}

static int
q_owns(struct cp_query *q, const struct opts *o, struct cp_json *w, const char *file)
{
	struct cp_err e;
	size_t i, j;
	int rc;

	if ((rc = cp_query_owns(q, file, &e)) == -1)
		errx(CP_EXIT_ERR, "owns: %s", e.msg);
	if (o->json) {
		cp_json_kstr(w, "path", q->path);
		cp_json_key(w, "owners");
		cp_json_arr(w);
		for (i = 0; i < q->npkg; i++) {
			cp_json_obj(w);
			cp_json_kstr(w, "id", q->pkg[i].id);
			cp_json_kstr(w, "version", q->pkg[i].version);
			json_paths(w, "files", &q->pkg[i], q->pkg[i].hit, q->pkg[i].nhit);
			cp_json_end(w);
		}
		cp_json_end(w);
	} else {
		for (i = 0; i < q->npkg; i++)
			for (j = 0; j < q->pkg[i].nhit; j++) {
				char *s = entry_path(&q->pkg[i], q->pkg[i].hit[j]);

				printf("%s: %s\n", q->pkg[i].id, s);
				free(s);
			}
		if (rc == 1)
			warnx("no installed package owns %s", q->path);
	}
	return rc == 0 ? CP_EXIT_YES : CP_EXIT_NO;
}

static int
q_verify(struct cp_query *q, const struct opts *o, struct cp_json *w, const char *id)
{
	struct cp_err e;
	size_t i, j, bad = 0;
	int rc;

	if ((rc = cp_query_verify(q, id, &e)) == -1)
		errx(CP_EXIT_ERR, "verify: %s", e.msg);
	if (rc == 2) {
		if (!o->json)
			warnx("verify: %s", e.msg);
		else {
			cp_json_kbool(w, "ok", 0);
			cp_json_kstr(w, "reason", e.msg);
		}
		return CP_EXIT_NO;
	}
	if (o->json) {
		cp_json_kbool(w, "ok", rc == 0);
		cp_json_key(w, "packages");
		cp_json_arr(w);
		for (i = 0; i < q->npkg; i++) {
			const struct cp_query_pkg *p = &q->pkg[i];

			cp_json_obj(w);
			json_pkg_head(w, p);
			cp_json_kuint(w, "files", p->rc.n);
			json_paths(w, "missing", p, p->missing, p->nmissing);
			json_paths(w, "changed", p, p->changed, p->nchanged);
			cp_json_end(w);
		}
		cp_json_end(w);
		return rc == 0 ? CP_EXIT_YES : CP_EXIT_NO;
	}
	for (i = 0; i < q->npkg; i++) {
		const struct cp_query_pkg *p = &q->pkg[i];

		for (j = 0; j < p->nmissing; j++) {
			char *s = entry_path(p, p->missing[j]);

			printf("missing  %s  (%s)\n", s, p->id);
			free(s);
		}
		for (j = 0; j < p->nchanged; j++) {
			char *s = entry_path(p, p->changed[j]);

			printf("changed  %s  (%s)\n", s, p->id);
			free(s);
		}
		if (p->nmissing + p->nchanged > 0 || p->problem != NULL) {
			bad++;
			warnx("%s: %zu missing, %zu changed of %zu files%s%s; make install PKG=%s "
			    "FORCE=1 puts them back", p->id, p->nmissing, p->nchanged, p->rc.n,
			    p->problem ? ": " : "", p->problem ? p->problem : "", p->id);
		}
	}
	if (!o->quiet && rc == 0)
		warnx("verify: %zu package%s intact", q->npkg, q->npkg == 1 ? "" : "s");
	return rc == 0 ? CP_EXIT_YES : CP_EXIT_NO;
}

static int
q_search(struct cp_query *q, const struct opts *o, struct cp_json *w, const char *needle)
{
	struct cp_err e;
	size_t i;
	int rc;

	if ((rc = cp_query_search(q, needle, &e)) == -1)
		errx(CP_EXIT_ERR, "search: %s", e.msg);
	if (o->json) {
		cp_json_kstr(w, "query", needle);
		cp_json_key(w, "packages");
		cp_json_arr(w);
		for (i = 0; i < q->npkg; i++) {
			cp_json_obj(w);
			json_pkg_head(w, &q->pkg[i]);
			cp_json_end(w);
		}
		cp_json_end(w);
	} else {
		for (i = 0; i < q->npkg; i++)
			printf("%s\t%s\t%s\t%s\t%s\n", q->pkg[i].id,
			    q->pkg[i].version && *q->pkg[i].version ? q->pkg[i].version : "-",
			    q->pkg[i].category && *q->pkg[i].category ? q->pkg[i].category : "-",
			    q->pkg[i].name && *q->pkg[i].name ? q->pkg[i].name : "-", q->pkg[i].state);
		if (rc == 1)
			warnx("search: no package matches '%s'", needle);
	}
	return rc == 0 ? CP_EXIT_YES : CP_EXIT_NO;
}

/* The operand of a query: args[1], else the environment's name (make passes it so). */
static const char *
operand(const char *cmd, char **args, int nargs, const char *env, int required)
{
	const char *v;

	if (nargs > 2)
		errx(CP_EXIT_ERR, "usage: cp-plane %s%s", cmd, required ? " ARG" : " [ARG]");
	if (nargs == 2)
		return args[1];
	if (env == NULL)
		return NULL;
	v = getenv(env);
	if (v != NULL && *v == '\0')
		v = NULL;
	if (v == NULL && required)
		errx(CP_EXIT_ERR, "usage: cp-plane %s %s (or %s in the environment; make %s %s=...)",
		    cmd, env, env, cmd, env);
	return v;
}

static int
init_plane(const struct opts *o, int nargs)
{
	struct cp_gate_result r;
	const char *admin = o->admin != NULL ? o->admin : getenv("ADMIN"), *osu = NULL;
	struct passwd *pw = getpwuid(getuid());
	int status;

	if (nargs != 1)
		errx(CP_EXIT_ERR, "usage: cp-plane [-C DIR] init [--admin USER]");
	if (pw != NULL)
		osu = pw->pw_name;
	if (admin == NULL || *admin == '\0')
		admin = osu;
	status = cp_init_plane(o->root, admin, osu, &r);
	if (o->json)
		print_json(&r);
	else if (r.exit != 0) {
		warnx("init: %s", r.reason);
		if (r.hint != NULL)
			warnx("%s", r.hint);
	} else if (!o->quiet) {
		warnx("init: %s in %s (ledger %s)", r.reason, r.destination, r.ledger_id);
		fprintf(stderr, "Next steps:\n"
		    "  cp-authz init %s        make the hmac secret (outside the plane) and %s's token\n"
		    "  export CONTROL_PLANE_TOKEN=...   the token it prints\n"
		    "  make pack SRC=path ID=PKG-...    pack an artifact (its registry row first)\n"
		    "  make install PKG=PKG-...         install it\n"
		    "  make integrity                   check the plane\n", r.user, r.user);
	}
	cp_gate_result_free(&r);
	return status;
}

/* init, list, show, owns, verify, search: checks and output of their own. */
static int
extra(struct opts *o, const char *cmd, char **args, int nargs)
{
	struct cp_gate_result r;
	struct cp_journal_report rep;
	struct cp_query q;
	struct cp_gate *g;
	struct cp_json w;
	struct cp_err e;
	const char *arg = NULL;
	int status;

	if (o->token != NULL && o->g.token_file != NULL)
		errx(CP_EXIT_ERR, "--token and --token-file exclude each other");
	if (o->json && o->quiet)
		errx(CP_EXIT_ERR, "--json and -q exclude each other");
	o->g.token = o->token;
	o->root = cp_layout_root(o->root);
	if (strcmp(cmd, "init") == 0)
		return init_plane(o, nargs);
	if (strcmp(cmd, "list") == 0) {
		if (nargs != 1)
			errx(CP_EXIT_ERR, "usage: cp-plane list");
	} else if (strcmp(cmd, "show") == 0)
		arg = operand(cmd, args, nargs, "PKG", 1);
	else if (strcmp(cmd, "owns") == 0)
		arg = operand(cmd, args, nargs, "FILE", 1);
	else if (strcmp(cmd, "verify") == 0)
		arg = operand(cmd, args, nargs, "PKG", 0);
	else if ((arg = operand(cmd, args, nargs, "Q", 0)) == NULL)
		arg = "";	/* no text (or Q empty, as make passes it): every row */
	if (cp_gate_open(&g, o->root, &o->g, &rep, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (o->token != NULL)
		cp_wipe(o->token, strlen(o->token));
	say_recovered(o, &rep);
	if (cp_gate_warning(g)[0] != '\0')
		warnx("warning: %s", cp_gate_warning(g));
	if ((status = cp_query_begin(&q, g, cmd, strcmp(cmd, "owns") == 0 ||
	    strcmp(cmd, "search") == 0 ? NULL : arg, &r)) != 0) {
		if (o->json)
			print_json(&r);
		else
			print_text(o, &r);
	} else {
		if (o->json) {
			cp_json_init(&w, stdout);
			cp_json_obj(&w);
			cp_json_kstr(&w, "operation", cmd);
			cp_json_kstr(&w, "user", r.user);
		}
		if (strcmp(cmd, "list") == 0)
			status = q_list(&q, o, &w);
		else if (strcmp(cmd, "show") == 0)
			status = q_show(&q, o, &w, arg);
		else if (strcmp(cmd, "owns") == 0)
			status = q_owns(&q, o, &w, arg);
		else if (strcmp(cmd, "verify") == 0)
			status = q_verify(&q, o, &w, arg);
		else
			status = q_search(&q, o, &w, arg);
		if (o->json) {
			cp_json_kint(&w, "exit", status);
			cp_json_endl(&w);
		}
	}
	cp_query_free(&q);
	cp_gate_result_free(&r);
	cp_gate_close(g);
	free(o->token);
	return status;
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct cp_gate_result r;
	struct cp_journal_report rep;
	struct cp_gate *g;
	struct cp_err e;
	const char *cmd;
	char **args, *envargs[3];
	int c, nargs, want, status;

	cp_prog_init(argc, argv);
	/* pax names convert losslessly only in a UTF-8 locale (tar/tarread, tarpack) */
	setlocale(LC_CTYPE, "C.UTF-8");
	while ((c = getopt_long(argc, argv, "C:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': o.root = optarg; break;
		case OPT_TOKEN:
			free(o.token);
			o.token = xstrdup(optarg);
			cp_wipe(optarg, strlen(optarg));
			break;
		case OPT_TOKEN_FILE: o.g.token_file = optarg; break;
		case OPT_SECRETS_FILE: o.g.secrets_file = optarg; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_FORCE: o.g.force = 1; break;
		case OPT_DRY_RUN: o.g.dry_run = 1; break;
		case OPT_PROGRESS: o.progress = 1; break;
		case 'q': o.quiet = 1; break;
		case OPT_ADMIN: o.admin = optarg; break;
		case OPT_USER:
			o.users = xreallocarray(o.users, o.nusers + 1, sizeof(*o.users));
			o.users[o.nusers++] = optarg;
			break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	if (nargs < 1)
		cp_prog_usage(help);
	cmd = args[0];
	if (strcmp(cmd, "init") == 0 || is_query(cmd))
		cp_prog_exit(extra(&o, cmd, args, nargs));
	want = strcmp(cmd, "pack") == 0 ? 3 :
	    strcmp(cmd, "install") == 0 || strcmp(cmd, "update") == 0 ||
	    strcmp(cmd, "remove") == 0 ? 2 :
	    strcmp(cmd, "rollback") == 0 ? 2 :
	    strcmp(cmd, "manifest") == 0 || strcmp(cmd, "recover") == 0 ||
	    strcmp(cmd, "adopt") == 0 || strcmp(cmd, "versions") == 0 ? 1 :
	    strcmp(cmd, "checkpoint") == 0 ? (nargs == 2 ? 2 : 1) : -1;
	if (want == -1)
		errx(CP_EXIT_ERR, "unknown command '%s' (pack, install, update, remove, manifest, "
		    "recover, adopt, init, list, show, owns, verify, search, checkpoint, versions, "
		    "rollback)", cmd);
	/*
	 * The operands may come from the environment instead ($PKG; $SRC and
	 * $ID for pack), as make passes them: a recipe then needs no shell
	 * quoting, so make runs cp-plane itself, and no value is ever shell text.
	 */
	if (strcmp(cmd, "checkpoint") == 0 && nargs == 1 && getenv("LABEL") != NULL &&
	    *getenv("LABEL") != '\0') {
		envargs[0] = args[0];
		envargs[1] = getenv("LABEL");
		args = envargs;
		nargs = want = 2;
	}
	if (nargs == 1 && want > 1) {
		const char *pkg = getenv(want == 3 ? "ID" : strcmp(cmd, "rollback") == 0 ? "VER" :
		    "PKG"), *src = getenv("SRC");

		if (pkg == NULL || (want == 3 && src == NULL))
			errx(CP_EXIT_ERR, "usage: cp-plane %s%s (or %s in the environment)", cmd,
			    want == 3 ? " SRC ID" : strcmp(cmd, "rollback") == 0 ? " VER" : " ID",
			    want == 3 ? "SRC and ID" : strcmp(cmd, "rollback") == 0 ? "VER" : "PKG");
		envargs[0] = args[0];
		envargs[1] = (char *)(uintptr_t)(want == 3 ? src : pkg);
		envargs[2] = (char *)(uintptr_t)pkg;
		args = envargs;
		nargs = want;
	}
	if (nargs != want)
		errx(CP_EXIT_ERR, "usage: cp-plane %s%s", cmd, want == 3 ? " SRC ID" : want == 2 ? " ID" : "");
	if (o.token != NULL && o.g.token_file != NULL)
		errx(CP_EXIT_ERR, "--token and --token-file exclude each other");
	if (o.json && o.quiet)
		errx(CP_EXIT_ERR, "--json and -q exclude each other");
	if (o.progress && o.quiet)
		errx(CP_EXIT_ERR, "--progress and -q exclude each other");
	if (getenv("DRY_RUN") != NULL && strcmp(getenv("DRY_RUN"), "1") == 0)
		o.g.dry_run = 1;
	if (o.g.dry_run && strcmp(cmd, "pack") != 0 && strcmp(cmd, "install") != 0 &&
	    strcmp(cmd, "update") != 0 && strcmp(cmd, "remove") != 0)
		errx(CP_EXIT_ERR, "--dry-run is for pack, install, update and remove");
	o.g.token = o.token;
	o.root = cp_layout_root(o.root);
	if (strcmp(cmd, "recover") == 0)
		cp_prog_exit(recover(&o));
	if (strcmp(cmd, "adopt") == 0)
		cp_prog_exit(adopt(&o));
	if (strcmp(cmd, "versions") == 0)
		cp_prog_exit(versions(&o));

	/* A meter for the bytes packed or extracted; a dry run reads no archive. */
	if (!o.g.dry_run && (strcmp(cmd, "pack") == 0 || strcmp(cmd, "install") == 0 ||
	    strcmp(cmd, "update") == 0) && cp_progress_wanted(o.progress, o.quiet)) {
		cp_progress_init(&meter, 1, 0);
		o.g.progress = cp_progress_add;
		o.g.progress_total = meter_total;
		o.g.progress_arg = &meter;
	}
	if (cp_gate_open(&g, o.root, &o.g, &rep, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (o.token != NULL)
		cp_wipe(o.token, strlen(o.token));
	say_recovered(&o, &rep);
	if (cp_gate_warning(g)[0] != '\0')
		warnx("warning: %s", cp_gate_warning(g));
	if (strcmp(cmd, "pack") == 0)
		status = cp_gate_pack(g, args[1], args[2], &r);
	else if (strcmp(cmd, "install") == 0)
		status = cp_depinstall_install(g, args[1], &r);
	else if (strcmp(cmd, "update") == 0)
		status = cp_depinstall_update(g, args[1], &r);
	else if (strcmp(cmd, "remove") == 0)
		status = cp_gate_remove(g, args[1], &r);
	else if (strcmp(cmd, "checkpoint") == 0)
		status = cp_versions_checkpoint(g, nargs == 2 ? args[1] : NULL, &r);
	else if (strcmp(cmd, "rollback") == 0)
		status = cp_versions_rollback(g, args[1], &r);
	else
		status = cp_gate_manifest(g, &r);
	cp_progress_end(&meter, status != 0);
	if (o.json)
		print_json(&r);
	else
		print_text(&o, &r);
	cp_gate_result_free(&r);
	cp_gate_close(g);
	free(o.token);
	cp_prog_exit(status);
}
