/* cp-plane: the plane's steps (pack, install, update, remove, manifest, recover), one transaction each, over lib/plane/gate. */
#include <err.h>
#include <getopt.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "cli/prog.h"
#include "plane/depinstall.h"
#include "plane/gate.h"
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
"  -q, --quiet           print nothing but errors\n"
"  -h, --help            print this help\n"
"      --version         print the version\n"
"\n"
"Every step authorizes first, runs under the plane's lock as one transaction\n"
"(a crash is finished or rolled back by the next run) and is ledgered, refusals\n"
"too.  Exit status: 0 done or nothing to do, 1 refused or denied, 2 an error\n"
"(bad usage, hostile or broken input, I/O).\n";

enum { OPT_TOKEN = 256, OPT_TOKEN_FILE, OPT_SECRETS_FILE, OPT_JSON, OPT_FORCE, OPT_VERSION,
	OPT_ADMIN, OPT_USER, OPT_DRY_RUN };

static const struct option longopts[] = {
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "secrets-file", required_argument, NULL, OPT_SECRETS_FILE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
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
	int json, quiet;
	const char *admin;
	char **users;		/* adopt's --user values, then $USERS's words */
	size_t nusers;
	char *users_env;	/* a copy of $USERS, split in place */
};

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
	const char *who = r->package != NULL ? r->package : r->operation;

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
		warnx("%s: %s (%zu files)", who, r->reason, r->nfiles);
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
				/* a tab or newline in a value would break the table: shown escaped */
				for (const char *c = f[k]; *c; c++)
					if (*c == '\t' || *c == '\n' || *c == '\r' || *c == '\\')
						printf("\\%c", *c == '\t' ? 't' : *c == '\n' ? 'n' :
						    *c == '\r' ? 'r' : '\\');
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
	want = strcmp(cmd, "pack") == 0 ? 3 :
	    strcmp(cmd, "install") == 0 || strcmp(cmd, "update") == 0 ||
	    strcmp(cmd, "remove") == 0 ? 2 :
	    strcmp(cmd, "rollback") == 0 ? 2 :
	    strcmp(cmd, "manifest") == 0 || strcmp(cmd, "recover") == 0 ||
	    strcmp(cmd, "adopt") == 0 || strcmp(cmd, "versions") == 0 ? 1 :
	    strcmp(cmd, "checkpoint") == 0 ? (nargs == 2 ? 2 : 1) : -1;
	if (want == -1)
		errx(CP_EXIT_ERR, "unknown command '%s' (pack, install, update, remove, manifest, "
		    "recover, adopt, checkpoint, versions, rollback)", cmd);
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
	if (o.json)
		print_json(&r);
	else
		print_text(&o, &r);
	cp_gate_result_free(&r);
	cp_gate_close(g);
	free(o.token);
	cp_prog_exit(status);
}
