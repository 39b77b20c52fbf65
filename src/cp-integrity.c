/* cp-integrity: prove a plane's registry against its files, in one pass; the report of integrity_check.py.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/layout.h"
#include "cli/prog.h"
#include "plane/advice.h"
#include "plane/integrity.h"

static const char help[] =
"usage: cp-integrity [-C DIR] [--registry FILE] [--cache FILE] [--state FILE]\n"
"                    [--full] [-j N] [--governed DIRS] [--suffixes LIST]\n"
"                    [--exclude NAMES] [--no-ledger] [--strict] [--json]\n"
"       cp-integrity [-C DIR] [--registry FILE] [--cache FILE] [--full] [-j N]\n"
"                    --write-manifest\n"
"\n"
"Check every artifact_path of the plane's control-plane registry against its\n"
"content_hash (a directory hashes as the cp2 root of its files), find orphans\n"
"under the governed directories, check the registry links (chain_errors),\n"
"verify the ledger, and compare the Merkle root with MANIFEST.json's.\n"
"\n"
"  -C DIR             the plane (default: $CONTROL_PLANE_ROOT, else .); work\n"
"                     there, as if started in DIR: relative FILEs are in DIR\n"
"      --registry FILE  the control-plane registry (default:\n"
"                     DIR/registries/control_plane_registry.csv)\n"
"      --cache FILE   keep file digests in FILE, keyed by stat: unchanged\n"
"                     files are not read again\n"
"      --full         read every file (an audit); the cache is refreshed\n"
"      --state FILE   remember the run in FILE: when no input's lstat changed\n"
"                     since, the report comes from it; when only some files'\n"
"                     did, just those are read\n"
"  -j, --jobs N       hash on N threads (default: one per CPU)\n"
"      --governed DIRS  directories scanned for orphans, space-separated\n"
"                     (default: " CP_INTEGRITY_GOVERNED ")\n"
"      --suffixes LIST  an orphan's suffix (Python's Path.suffix, lowered),\n"
"                     space-separated (default: " CP_INTEGRITY_SUFFIXES ")\n"
"      --exclude NAMES  names the orphan scan skips and strings that leave a\n"
"                     file out of its directory's hash, space-separated\n"
"                     (default: " CP_INTEGRITY_EXCLUDE ")\n"
"      --no-ledger    do not verify DIR/ledger\n"
"      --strict       orphans and missing dependencies make the plane unhealthy\n"
"      --json         print the report as one JSON object\n"
"      --write-manifest  write DIR/MANIFEST.json (checksums, rfc6962 root)\n"
"                     unless it already states the plane\n"
"  -h, --help         print this help\n"
"      --version      print the version\n"
"\n"
"Exit status: 0 healthy (or the manifest written or up to date), 1 unhealthy,\n"
"2 an error (unreadable registry, file or MANIFEST.json; usage).\n";

enum {
	OPT_REGISTRY = 256, OPT_CACHE, OPT_FULL, OPT_GOVERNED, OPT_SUFFIXES, OPT_NO_LEDGER,
	OPT_STRICT, OPT_JSON, OPT_WRITE_MANIFEST, OPT_STATE, OPT_VERSION, OPT_EXCLUDE
};

static const struct option longopts[] = {
	{ "registry", required_argument, NULL, OPT_REGISTRY },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "jobs", required_argument, NULL, 'j' },
	{ "governed", required_argument, NULL, OPT_GOVERNED },
	{ "suffixes", required_argument, NULL, OPT_SUFFIXES },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "no-ledger", no_argument, NULL, OPT_NO_LEDGER },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "write-manifest", no_argument, NULL, OPT_WRITE_MANIFEST },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	struct cp_integrity_opts run;
	int strict, json, write_manifest;
};

static void
on_warning(void *arg, const char *msg)
{
	(void)arg;
	warnx("%s", msg);
}

static void
now(char ts[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, 32, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

static size_t
count(const struct cp_integrity *r, int status)
{
	size_t i, n = 0;

	for (i = 0; i < r->nrows; i++)
		n += r->rows[i].status == status;
	return n;
}

/*
 * The rows in status, as the member key: an array of their ids (fields
 * NULL), or of objects {"id", fields[0]: the row's expected hash or path,
 * fields[1]: its actual hash}.
 */
static void
rows_json(struct cp_json *w, const char *key, const struct cp_integrity *r, int status,
    const char *const fields[2])
{
	const struct cp_integrity_row *row;

	cp_json_key(w, key);
	cp_json_arr(w);
	for (size_t i = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (row->status != status)
			continue;
		if (fields == NULL) {
			cp_json_str(w, row->id);
			continue;
		}
		cp_json_obj(w);
		cp_json_kstr(w, "id", row->id);
		if (status == CP_INTEGRITY_MISSING) {
			cp_json_kstr(w, fields[0], row->path);
		} else {
			cp_json_kstr(w, fields[0], row->expected);
			cp_json_kstr(w, fields[1], row->actual);
		}
		cp_json_end(w);
	}
	cp_json_end(w);
}

static void
strings_json(struct cp_json *w, const char *key, char *const *v, size_t n)
{
	cp_json_key(w, key);
	cp_json_arr(w);
	for (size_t i = 0; i < n; i++)
		cp_json_str(w, v[i]);
	cp_json_end(w);
}

/* The advice on row i, or NULL. */
static const struct cp_advice *
advice_of(const struct cp_advice_list *adv, size_t i)
{
	for (size_t k = 0; k < adv->n; k++)
		if (adv->v[k].row == i)
			return &adv->v[k];
	return NULL;
}

/* "findings": each invalid or missing row, where, who installed it, what differs, the fix. */
static void
findings_json(struct cp_json *w, const struct cp_integrity *r, const struct cp_advice_list *adv,
    const char *root)
{
	cp_json_key(w, "findings");
	cp_json_arr(w);
	for (size_t k = 0; k < adv->n; k++) {
		const struct cp_advice *a = &adv->v[k];
		const struct cp_integrity_row *row = &r->rows[a->row];

		cp_json_obj(w);
		cp_json_kstr(w, "id", row->id);
		cp_json_kstr(w, "status", row->status == CP_INTEGRITY_MISSING ? "missing" : "invalid");
		cp_json_kstr(w, "path", row->path[0] == '/' ? row->path + 1 : row->path);
		cp_json_kstr(w, "type", row->type == 'd' ? "directory" : row->type == 'f' ? "file" :
		    row->type == 0 ? NULL : "other");
		cp_json_kstr(w, "package", a->package);
		cp_json_kbool(w, "installed", a->installed);
		cp_json_key(w, "files");
		cp_json_arr(w);
		for (size_t j = 0; j < a->nfiles; j++) {
			cp_json_obj(w);
			cp_json_kstr(w, "path", a->files[j].path);
			cp_json_kstr(w, "state", a->files[j].state);
			cp_json_end(w);
		}
		cp_json_end(w);
		cp_json_kstr(w, "fix", a->fix);
		cp_json_end(w);
	}
	if (cp_integrity_manifest_matches(r, root) == 0) {
		cp_json_obj(w);
		cp_json_kstr(w, "status", "manifest-differs");
		cp_json_kstr(w, "path", cp_layout_rel(CP_LAYOUT_MANIFEST));
		cp_json_kstr(w, "fix", "make manifest");
		cp_json_end(w);
	}
	cp_json_end(w);
}

static void
report_json(const struct opts *o, const struct cp_integrity *r, const char *root, int healthy,
    const struct cp_advice_list *adv)
{
	static const char *const invalid[2] = { "expected", "actual" }, *const missing[2] = { "path" };
	struct cp_json w;
	char ts[32];

	now(ts);
	cp_json_init(&w, stdout);
	cp_json_obj(&w);
	cp_json_kstr(&w, "timestamp", ts);
	cp_json_kbool(&w, "healthy", healthy);
	cp_json_kstr(&w, "merkle_root", root);
	cp_json_kuint(&w, "verified_count", count(r, CP_INTEGRITY_VALID));
	rows_json(&w, "valid", r, CP_INTEGRITY_VALID, NULL);
	rows_json(&w, "invalid", r, CP_INTEGRITY_INVALID, invalid);
	rows_json(&w, "missing", r, CP_INTEGRITY_MISSING, missing);
	rows_json(&w, "no_hash", r, CP_INTEGRITY_NO_HASH, NULL);
	cp_json_key(&w, "chain_errors");
	cp_json_arr(&w);
	for (size_t i = 0; i < r->nlinks; i++) {
		cp_json_obj(&w);
		cp_json_kstr(&w, "id", r->links[3 * i]);
		cp_json_kstr(&w, "link_type", r->links[3 * i + 1]);
		cp_json_kstr(&w, "target", r->links[3 * i + 2]);
		cp_json_end(&w);
	}
	cp_json_end(&w);
	cp_json_kuint(&w, "chain_error_count", r->nlinks);
	strings_json(&w, "orphans", r->orphans, r->norphans);
	cp_json_kuint(&w, "orphan_count", r->norphans);
	cp_json_key(&w, "missing_dependencies");
	cp_json_arr(&w);
	for (size_t i = 0; i < r->ndeps; i++) {
		cp_json_obj(&w);
		cp_json_kstr(&w, "package", r->deps[2 * i]);
		cp_json_kstr(&w, "dependency", r->deps[2 * i + 1]);
		cp_json_end(&w);
	}
	cp_json_end(&w);
	cp_json_kuint(&w, "missing_dependency_count", r->ndeps);
	strings_json(&w, "ledger_errors", r->ledger, r->nledger);
	cp_json_kuint(&w, "ledger_error_count", r->nledger);
	cp_json_kstr(&w, "stored_root", r->stored_root);
	cp_json_kstr(&w, "merkle_scheme", r->scheme);
	cp_json_kstr(&w, "manifest_root", r->manifest_root);	/* null when none */
	if (cp_integrity_manifest_matches(r, root) == -1)
		cp_json_knull(&w, "merkle_root_matches");
	else
		cp_json_kbool(&w, "merkle_root_matches", cp_integrity_manifest_matches(r, root));
	cp_json_kbool(&w, "strict", o->strict);
	cp_json_kuint(&w, "hashed", r->hashed);
	cp_json_kuint(&w, "cached", r->cached);
	findings_json(&w, r, adv, root);
	cp_json_endl(&w);
}

/* SGR colours on a terminal, none when NO_COLOR is set (no-color.org) or output is not one. */
struct paint {
	const char *red, *yellow, *off;
};

static void
text_advice(const struct cp_advice *a, const struct paint *c)
{
	size_t j;

	if (a == NULL)
		return;
	if (a->package != NULL)
		printf("           %s %s\n", a->installed ? "installed by" : "provided by",
		    a->package);
	for (j = 0; j < a->nfiles && j < 20; j++)
		printf("           %s%s%s %s\n", strcmp(a->files[j].state, "added") == 0 ? c->yellow :
		    c->red, a->files[j].state, c->off, a->files[j].path);
	if (a->nfiles > 20)
		printf("           (and %zu more)\n", a->nfiles - 20);
	if (a->fix != NULL)
		printf("           fix: %s\n", a->fix);
}

static void
report_text(const struct cp_integrity *r, const char *root, int healthy,
    const struct cp_advice_list *adv, const struct paint *c)
{
	const char *manifest = cp_layout_rel(CP_LAYOUT_MANIFEST);
	const struct cp_integrity_row *row;
	size_t i;

	printf("integrity: %s%s%s\n", healthy ? "" : c->red, healthy ? "HEALTHY" : "UNHEALTHY",
	    healthy ? "" : c->off);
	printf("  valid %zu, invalid %zu, missing %zu, no hash %zu, orphans %zu, chain errors %zu,"
	    " ledger errors %zu\n",
	    count(r, CP_INTEGRITY_VALID), count(r, CP_INTEGRITY_INVALID),
	    count(r, CP_INTEGRITY_MISSING), count(r, CP_INTEGRITY_NO_HASH), r->norphans, r->nlinks,
	    r->nledger);
	for (i = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (row->status != CP_INTEGRITY_INVALID)
			continue;
		printf("  %sinvalid%s  %s: expected %s, actual %s\n", c->red, c->off, row->id,
		    row->expected, *row->actual ? row->actual : "(not a file)");
		printf("           %s %s\n", row->type == 'd' ? "directory" : "path",
		    row->path[0] == '/' ? row->path + 1 : row->path);
		text_advice(advice_of(adv, i), c);
	}
	for (i = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (row->status != CP_INTEGRITY_MISSING)
			continue;
		printf("  %smissing%s  %s: %s\n", c->red, c->off, row->id, row->path);
		text_advice(advice_of(adv, i), c);
	}
	for (i = 0; i < r->norphans; i++)
		printf("  %sorphan%s   %s\n", c->yellow, c->off, r->orphans[i]);
	if (r->norphans > 0)
		printf("           (no registry row names %s: register %s in "
		    "registries/control_plane_registry.csv, or remove %s)\n",
		    r->norphans == 1 ? "it" : "them", r->norphans == 1 ? "it" : "them",
		    r->norphans == 1 ? "it" : "them");
	for (i = 0; i < r->nlinks; i++)
		printf("  link     %s: %s -> %s\n", r->links[3 * i], r->links[3 * i + 1],
		    r->links[3 * i + 2]);
	for (i = 0; i < r->ndeps; i++)
		printf("  depends  %s needs %s, which is not installed (make install PKG=%s)\n",
		    r->deps[2 * i], r->deps[2 * i + 1], r->deps[2 * i + 1]);
	for (i = 0; i < r->nledger; i++)
		printf("  ledger   %s\n", r->ledger[i]);
	printf("  merkle root (%s): %s", r->scheme, *root ? root : "(empty)");
	if (cp_integrity_manifest_matches(r, root) == 1)
		printf(", %s matches", manifest);
	else if (r->manifest_root != NULL)
		printf(", %s%s DIFFERS%s (%s); fix: make manifest", c->red, manifest, c->off,
		    r->manifest_root);
	else if (r->manifest)
		printf(", %s holds no root", manifest);
	printf("\n  files hashed %llu, from cache %llu\n", (unsigned long long)r->hashed,
	    (unsigned long long)r->cached);
}

static int
check(const struct opts *o, const struct cp_integrity *r)
{
	char root[CP_SHA256_HEXLEN + 1];
	struct paint c = { "", "", "" };
	struct cp_advice_list adv;
	const char *nc = getenv("NO_COLOR");
	struct cp_err e;
	int healthy, planefd;

	if (r->manifest_error != NULL)
		errx(CP_EXIT_ERR, "%s", r->manifest_error);
	strcpy(root, r->root);
	healthy = cp_integrity_healthy(r, root, o->strict);
	/* the findings explained: which package, which files, the fix (the plane is ".") */
	if ((planefd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(CP_EXIT_ERR, "%s", o->run.root);
	if (cp_advice_build(r, planefd, &adv, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	close(planefd);
	if (isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0'))
		c = (struct paint){ "\033[31m", "\033[33m", "\033[0m" };
	if (o->json)
		report_json(o, r, root, healthy, &adv);
	else
		report_text(r, root, healthy, &adv, &c);
	cp_advice_free(&adv);
	return healthy ? CP_EXIT_YES : CP_EXIT_NO;
}

static int
write_manifest(const struct opts *o, const struct cp_integrity *r)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_MANIFEST);
	char root[CP_SHA256_HEXLEN + 1], ts[32], *path;
	struct cp_err e;
	int planefd;

	if (strcmp(r->scheme, "rfc6962") == 0)
		strcpy(root, r->root);
	else if (cp_integrity_root(r, "rfc6962", o->run.jobs, root, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (r->manifest_error == NULL && r->manifest_root != NULL &&
	    strcmp(r->manifest_root, root) == 0 && strcmp(r->scheme, "rfc6962") == 0) {
		warnx("%s: up to date (%s)", rel, root);
		return CP_EXIT_YES;
	}
	path = cp_layout_path(o->run.root, CP_LAYOUT_MANIFEST);
	now(ts);
	/* the plane's own MANIFEST.json is merged: its other keys and paths are someone's */
	if ((planefd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(CP_EXIT_ERR, "%s", o->run.root);
	if (cp_integrity_write_manifest(r, planefd, path, root, ts, "cp-integrity " CP_VERSION,
	    &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	close(planefd);
	warnx("%s: %zu %s, root %s", rel, r->nfiles, cp_prog_plural(r->nfiles, "file", "files"),
	    root);
	free(path);
	return CP_EXIT_YES;
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct cp_integrity r;
	const char *dir = NULL;
	struct cp_err e;
	int c, status;

	cp_prog_init(argc, argv);
	o.run.ledger = 1;
	o.run.warn = on_warning;
	while ((c = getopt_long(argc, argv, "C:hj:", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': dir = optarg; break;
		case 'j': o.run.jobs = cp_prog_jobs(optarg); break;
		case OPT_REGISTRY: o.run.registry = optarg; break;
		case OPT_CACHE: o.run.cache = optarg; break;
		case OPT_STATE: o.run.state = optarg; break;
		case OPT_FULL: o.run.full = 1; break;
		case OPT_GOVERNED: o.run.governed = optarg; break;
		case OPT_SUFFIXES: o.run.suffixes = optarg; break;
		case OPT_EXCLUDE: o.run.exclude = optarg; break;
		case OPT_NO_LEDGER: o.run.ledger = 0; break;
		case OPT_STRICT: o.strict = 1; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_WRITE_MANIFEST: o.write_manifest = 1; break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	if (optind != argc || (o.write_manifest && (o.json || o.strict)))
		cp_prog_usage(help);
	/* As if started in the plane (git -C, make -C): shorter paths to look up. */
	dir = cp_layout_root(dir);
	if (chdir(dir) == -1)
		err(CP_EXIT_ERR, "plane %s", dir);
	o.run.root = ".";
	if (o.write_manifest) {
		o.run.ledger = 0;
		o.run.state = NULL;	/* a run of other options: it would only displace the state */
	}
	if (cp_integrity_run(&o.run, &r, &e) == -1) {
		/* a registry that is not there: say what makes one */
		if (e.errnum == ENOENT && strstr(e.msg, "registries/") != NULL)
			errx(CP_EXIT_ERR, "%s (cp-plane init, or make init, makes a plane's registries)",
			    e.msg);
		errx(CP_EXIT_ERR, "%s", e.msg);
	}
	status = o.write_manifest ? write_manifest(&o, &r) : check(&o, &r);
	cp_integrity_free(&r);
	cp_prog_exit(status);
}
