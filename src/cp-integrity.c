/* cp-integrity: prove a plane's registry against its files, in one pass; the report of integrity_check.py. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/layout.h"
#include "base/xalloc.h"
#include "cli/prog.h"
#include "plane/integrity.h"

static const char help[] =
"usage: cp-integrity [-C DIR] [--registry FILE] [--cache FILE] [--state FILE]\n"
"                    [--full] [-j N] [--governed DIRS] [--suffixes LIST] [--no-ledger]\n"
"                    [--strict] [--json]\n"
"       cp-integrity [-C DIR] [--registry FILE] [--cache FILE] [--full] [-j N]\n"
"                    --write-manifest\n"
"\n"
"Check every artifact_path of the plane's control-plane registry against its\n"
"content_hash (a directory hashes as the cp2 root of its files), find orphans\n"
"under the governed directories, verify the ledger, and compare the Merkle\n"
"root with MANIFEST.json's.\n"
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
"      --suffixes LIST  what an orphan's name ends with, space-separated\n"
"                     (default: " CP_INTEGRITY_SUFFIXES ")\n"
"      --no-ledger    do not verify DIR/ledger\n"
"      --strict       orphans make the plane unhealthy\n"
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
	OPT_STRICT, OPT_JSON, OPT_WRITE_MANIFEST, OPT_STATE, OPT_VERSION
};

static const struct option longopts[] = {
	{ "registry", required_argument, NULL, OPT_REGISTRY },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "jobs", required_argument, NULL, 'j' },
	{ "governed", required_argument, NULL, OPT_GOVERNED },
	{ "suffixes", required_argument, NULL, OPT_SUFFIXES },
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

/* A JSON array of the ids of the rows in status. */
static void
ids_json(const struct cp_integrity *r, int status)
{
	size_t i, n = 0;

	putchar('[');
	for (i = 0; i < r->nrows; i++)
		if (r->rows[i].status == status) {
			if (n++)
				putchar(',');
			cp_json_write_cstr(stdout, r->rows[i].id);
		}
	putchar(']');
}

static void
strings_json(char *const *v, size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			putchar(',');
		cp_json_write_cstr(stdout, v[i]);
	}
	putchar(']');
}

static void
report_json(const struct opts *o, const struct cp_integrity *r, const char *root, int healthy)
{
	const char *matches = r->manifest_root == NULL ? "null" :
	    strcmp(r->manifest_root, root) == 0 ? "true" : "false";
	struct cp_integrity_row *row;
	char ts[32];
	size_t i, n;

	now(ts);
	fputs("{\"timestamp\":", stdout);
	cp_json_write_cstr(stdout, ts);
	printf(",\"healthy\":%s,\"merkle_root\":", healthy ? "true" : "false");
	cp_json_write_cstr(stdout, root);
	printf(",\"verified_count\":%zu,\"valid\":", count(r, CP_INTEGRITY_VALID));
	ids_json(r, CP_INTEGRITY_VALID);
	fputs(",\"invalid\":[", stdout);
	for (i = n = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (row->status != CP_INTEGRITY_INVALID)
			continue;
		fputs(n++ ? ",{\"id\":" : "{\"id\":", stdout);
		cp_json_write_cstr(stdout, row->id);
		fputs(",\"expected\":", stdout);
		cp_json_write_cstr(stdout, row->expected);
		fputs(",\"actual\":", stdout);
		cp_json_write_cstr(stdout, row->actual);
		putchar('}');
	}
	fputs("],\"missing\":[", stdout);
	for (i = n = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (row->status != CP_INTEGRITY_MISSING)
			continue;
		fputs(n++ ? ",{\"id\":" : "{\"id\":", stdout);
		cp_json_write_cstr(stdout, row->id);
		fputs(",\"path\":", stdout);
		cp_json_write_cstr(stdout, row->path);
		putchar('}');
	}
	fputs("],\"no_hash\":", stdout);
	ids_json(r, CP_INTEGRITY_NO_HASH);
	fputs(",\"chain_errors\":", stdout);
	strings_json(r->chain, r->nchain);
	printf(",\"chain_error_count\":%zu,\"orphans\":", r->nchain);
	strings_json(r->orphans, r->norphans);
	printf(",\"orphan_count\":%zu,\"merkle_scheme\":", r->norphans);
	cp_json_write_cstr(stdout, r->scheme);
	fputs(",\"manifest_root\":", stdout);
	if (r->manifest_root != NULL)
		cp_json_write_cstr(stdout, r->manifest_root);
	else
		fputs("null", stdout);
	printf(",\"merkle_root_matches\":%s,\"strict\":%s,\"hashed\":%llu,\"cached\":%llu}\n",
	    matches, o->strict ? "true" : "false", (unsigned long long)r->hashed,
	    (unsigned long long)r->cached);
}

static void
report_text(const struct cp_integrity *r, const char *root, int healthy)
{
	const struct cp_integrity_row *row;
	size_t i;

	printf("integrity: %s\n", healthy ? "HEALTHY" : "UNHEALTHY");
	printf("  valid %zu, invalid %zu, missing %zu, no hash %zu, orphans %zu, chain errors %zu\n",
	    count(r, CP_INTEGRITY_VALID), count(r, CP_INTEGRITY_INVALID),
	    count(r, CP_INTEGRITY_MISSING), count(r, CP_INTEGRITY_NO_HASH), r->norphans, r->nchain);
	for (i = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (row->status == CP_INTEGRITY_INVALID)
			printf("  invalid  %s: expected %s, actual %s\n", row->id, row->expected,
			    *row->actual ? row->actual : "(not a file)");
	}
	for (i = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (row->status == CP_INTEGRITY_MISSING)
			printf("  missing  %s: %s\n", row->id, row->path);
	}
	for (i = 0; i < r->norphans; i++)
		printf("  orphan   %s\n", r->orphans[i]);
	for (i = 0; i < r->nchain; i++)
		printf("  ledger   %s\n", r->chain[i]);
	printf("  merkle root (%s): %s", r->scheme, *root ? root : "(empty)");
	if (r->manifest_root != NULL && strcmp(r->manifest_root, root) == 0)
		fputs(", MANIFEST.json matches", stdout);
	else if (r->manifest_root != NULL)
		printf(", MANIFEST.json DIFFERS (%s)", r->manifest_root);
	else if (r->manifest)
		fputs(", MANIFEST.json holds no root", stdout);
	printf("\n  files hashed %llu, from cache %llu\n", (unsigned long long)r->hashed,
	    (unsigned long long)r->cached);
}

static int
check(const struct opts *o, const struct cp_integrity *r)
{
	char root[CP_SHA256_HEXLEN + 1];
	int healthy;

	if (r->manifest_error != NULL)
		errx(CP_EXIT_ERR, "%s", r->manifest_error);
	strcpy(root, r->root);
	healthy = cp_integrity_healthy(r, root, o->strict);
	if (o->json)
		report_json(o, r, root, healthy);
	else
		report_text(r, root, healthy);
	return healthy ? CP_EXIT_YES : CP_EXIT_NO;
}

static int
write_manifest(const struct opts *o, const struct cp_integrity *r)
{
	char root[CP_SHA256_HEXLEN + 1], ts[32], *path;

	if (strcmp(r->scheme, "rfc6962") == 0)
		strcpy(root, r->root);
	else
		cp_integrity_root(r, "rfc6962", o->run.jobs, root);
	if (r->manifest_error == NULL && r->manifest_root != NULL &&
	    strcmp(r->manifest_root, root) == 0 && strcmp(r->scheme, "rfc6962") == 0) {
		warnx("MANIFEST.json: up to date (%s)", root);
		return CP_EXIT_YES;
	}
	path = xpathjoin(o->run.root, "MANIFEST.json");
	now(ts);
	if (cp_integrity_write_manifest(r, path, root, ts, "cp-integrity " CP_VERSION) == -1)
		err(CP_EXIT_ERR, "%s", path);
	warnx("MANIFEST.json: %zu files, root %s", r->nfiles, root);
	free(path);
	return CP_EXIT_YES;
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct cp_integrity r;
	const char *dir = NULL;
	char errbuf[1024];
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
	if (cp_integrity_run(&o.run, &r, errbuf, sizeof(errbuf)) == -1)
		errx(CP_EXIT_ERR, "%s", errbuf);
	status = o.write_manifest ? write_manifest(&o, &r) : check(&o, &r);
	cp_integrity_free(&r);
	cp_prog_exit(status);
}
