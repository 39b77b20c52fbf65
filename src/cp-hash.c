/* cp-hash: SHA-256 of data and files, as sha256sum prints it; parallel, cached, and -c to verify.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cpus.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/json.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "cli/names.h"
#include "cli/prog.h"
#include "cli/progress.h"
#include "hash/hashcache.h"
#include "hash/hashpool.h"
#include "text/sumline.h"

static const char help[] =
"usage: cp-hash [-0q] [--json] [-j N] [--cache FILE [--full]] [--stats]\n"
"               [--progress] [-T LIST] [FILE ...]\n"
"       cp-hash -c [-q] [--quiet | --status] [--json] [-j N] [--progress]\n"
"               [FILE ...]\n"
"\n"
"Print the SHA-256 of each FILE (standard input when none, or for -) as\n"
"sha256sum does: \"<hex>  <name>\".\n"
"\n"
"  -T, --files-from LIST  also hash the files named in LIST, one per line (- = stdin)\n"
"  -0, --null             names in LIST end with NUL instead of newline\n"
"  -j, --jobs N           hash N files at a time (default: the number of CPUs)\n"
"      --cache FILE       skip files whose stat is unchanged since FILE recorded them\n"
"      --full             rehash every file even when cached (still refresh the cache)\n"
"      --stats            print \"cp-hash: N files, H hashed, C cached\" to stderr\n"
"      --json             JSON Lines: {\"path\",\"sha256\",\"size\",\"cached\"}\n"
"  -c, --check            verify sha256sum lines (or a bare 64-hex .sha256 sidecar)\n"
"      --quiet            with -c, do not print OK lines\n"
"      --status           with -c, print nothing; the exit status tells\n"
"      --progress         show progress on standard error even when it is not\n"
"                         a terminal (by default: only on a terminal)\n"
"  -q                     no progress (with -c, also --quiet)\n"
"  -h, --help             print this help\n"
"      --version          print the version\n"
"\n"
"Exit status: 0 success (with -c: every file matches), 1 with -c a mismatch or\n"
"a missing file, 2 an error (unreadable file, malformed line, bad usage);\n"
"SIGINT kills it (a shell shows 130); it writes nothing but the --cache file,\n"
"which it replaces whole.\n";

enum {
	OPT_CACHE = 256, OPT_FULL, OPT_STATS, OPT_JSON, OPT_QUIET, OPT_STATUS, OPT_VERSION,
	OPT_PROGRESS
};

static const struct option longopts[] = {
	{ "files-from", required_argument, NULL, 'T' },
	{ "null", no_argument, NULL, '0' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "check", no_argument, NULL, 'c' },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	int check, json, null, jobs, full, stats, quiet, status, progress, noprogress;
	const char *cache, *files_from;
	char **args;
	int nargs;
};

/* What a run has seen so far; the exit status is the worst of it. */
struct run {
	const struct opts *o;
	int i;			/* next operand */
	int stdin_used;
	FILE *in;		/* the list (hash mode) or checksum file (check mode) being read */
	const char *in_name;
	struct cp_names names;	/* hash mode: the names in the list in */
	size_t lineno;		/* check mode: of the checksum file */
	int in_good;		/* well-formed lines read from the current checksum file */
	char *rec;
	size_t cap;
	struct cp_json json;
	struct cp_progress meter;
	int out_tty;		/* the meter must make way for lines on the same terminal */
	int status;
	unsigned long files, cached, mismatched, unreadable, malformed;
};

static void
worse(struct run *r, int status)
{
	if (status > r->status)
		r->status = status;
}

/* Open "-" as standard input at most once. */
static FILE *
open_input(struct run *r, const char *name)
{
	FILE *fp;

	if (strcmp(name, "-") == 0) {
		if (r->stdin_used) {
			warnx("standard input is used twice");
			worse(r, CP_EXIT_ERR);
			return NULL;
		}
		r->stdin_used = 1;
		return stdin;
	}
	if ((fp = fopen(name, "re")) == NULL) {
		warn("%s", name);
		worse(r, CP_EXIT_ERR);
	}
	return fp;
}

static void
close_input(struct run *r)
{
	if (r->in != NULL && r->in != stdin)
		fclose(r->in);
	r->in = NULL;
}

/* Producer of hash mode: the operands, then the names in the -T list. */
static int
next_file(void *arg, char **path, void **user)
{
	struct run *r = arg;
	const struct opts *o = r->o;
	const char *name;
	int rc;

	*user = NULL;
	while (r->i < o->nargs) {
		const char *a = o->args[r->i++];

		if (strcmp(a, "-") == 0 && r->stdin_used++) {
			warnx("standard input is used twice");
			worse(r, CP_EXIT_ERR);
			continue;
		}
		*path = xstrdup(a);
		return 1;
	}
	while (r->in != NULL) {
		rc = cp_names_next(&r->names, &name);
		if (rc == 0 || rc == -2) {
			if (rc == -2)
				worse(r, CP_EXIT_ERR);
			close_input(r);
			break;
		}
		if (rc == -1 || (strcmp(name, "-") == 0 && r->stdin_used++)) {
			if (rc == 1)
				warnx("%s:%zu: standard input is used twice", r->in_name,
				    r->names.lineno);
			worse(r, CP_EXIT_ERR);
			continue;
		}
		*path = xstrdup(name);
		return 1;
	}
	return 0;
}

static void
hashed(void *arg, struct cp_hashjob *j)
{
	struct run *r = arg;
	char hex[CP_SHA256_HEXLEN + 1];

	if (j->err != 0) {
		warnx("%s: %s", j->path, strerror(j->err));
		worse(r, CP_EXIT_ERR);
		return;
	}
	r->files++;
	r->cached += j->cached != 0;
	if (j->cached)
		cp_progress_add(&r->meter, j->size);
	if (r->out_tty)
		cp_progress_clear(&r->meter);
	cp_hex_encode(j->digest, CP_SHA256_LEN, hex);
	if (!r->o->json) {
		cp_sumline_write(stdout, hex, j->path);
		return;
	}
	cp_json_obj(&r->json);
	cp_json_kstr(&r->json, "path", j->path);
	cp_json_kstr(&r->json, "sha256", hex);
	cp_json_kuint(&r->json, "size", j->size);
	cp_json_kbool(&r->json, "cached", j->cached);
	cp_json_endl(&r->json);
}

/* The bytes of the operands when every one is a regular file, else 0 (unknown). */
static uint64_t
operands_size(const struct opts *o)
{
	struct stat st;
	uint64_t sum = 0;
	int i;

	for (i = 0; i < o->nargs; i++) {
		if (strcmp(o->args[i], "-") == 0)
			return 0;
		if (stat(o->args[i], &st) == -1 || !S_ISREG(st.st_mode))
			return 0;
		sum += (uint64_t)st.st_size;
	}
	return sum;
}

static int
hash_mode(struct run *r)
{
	const struct opts *o = r->o;
	struct cp_hashcache *cache = NULL;
	struct cp_hashpool_opts po = { .jobs = o->jobs, .full = o->full,
	    .progress = cp_progress_add, .progress_arg = &r->meter };
	const char *why;
	unsigned char key[CP_STATEKEY_LEN];
	struct cp_err e;
	static char stdin_name[] = "-";
	static char *dash[] = { stdin_name };
	struct opts with_stdin;

	if (o->nargs == 0 && o->files_from == NULL) {
		with_stdin = *o;
		with_stdin.args = dash;
		with_stdin.nargs = 1;
		r->o = &with_stdin;
	}
	if (o->files_from != NULL) {
		r->in_name = o->files_from;
		r->in = open_input(r, o->files_from);
		cp_names_init(&r->names, r->in, o->files_from, o->null);
	}
	if (o->cache != NULL) {
		/* No key, no cache: a record that nothing vouches for is never trusted. */
		if (cp_statekey_load(key, &e) == -1)
			warnx("cache %s not used: %s", o->cache, e.msg);
		else {
			cache = cp_hashcache_load(o->cache, key, &why);
			if (why != NULL)
				warnx("cache %s %s; hashing without it", o->cache, why);
		}
		cp_wipe(key, sizeof(key));
		po.cache = cache;
	}
	if (r->meter.on && o->files_from == NULL)
		cp_progress_total(&r->meter, operands_size(r->o));
	cp_hashpool_run(&po, next_file, hashed, r);
	cp_progress_end(&r->meter, 0);
	close_input(r);
	cp_names_free(&r->names);
	cp_prog_hold_signals();	/* the cache is replaced whole or not at all */
	if (cache != NULL && cp_hashcache_save(cache, o->cache) == -1) {
		warn("%s: cannot write cache", o->cache);
		worse(r, CP_EXIT_ERR);
	}
	cp_prog_release_signals();
	cp_hashcache_free(cache);
	if (o->stats)
		fprintf(stderr, "%s: %lu %s, %lu hashed, %lu cached\n", cp_prog_name(),
		    r->files, cp_prog_plural(r->files, "file", "files"), r->files - r->cached,
		    r->cached);
	r->o = o;
	return r->status;
}

/* The expected digest of one check job, with where it was read. */
struct expect {
	char hex[CP_SHA256_HEXLEN + 1];
};

static int
next_checksum_file(struct run *r)
{
	const struct opts *o = r->o;

	while (r->i < o->nargs || (o->nargs == 0 && r->i == 0)) {
		r->in_name = o->nargs == 0 ? "-" : o->args[r->i];
		r->i++;
		r->lineno = 0;
		r->in_good = 0;
		if ((r->in = open_input(r, r->in_name)) != NULL)
			return 1;
	}
	return 0;
}

static void
malformed(struct run *r)
{
	warnx("%s:%zu: malformed checksum line", r->in_name, r->lineno);
	r->malformed++;
	worse(r, CP_EXIT_ERR);
}

/* A sidecar holding only a digest names the file beside it: "x.tar.gz.sha256" checks "x.tar.gz". */
static char *
bare_target(struct run *r)
{
	size_t n = strlen(r->in_name);

	if (strcmp(r->in_name, "-") == 0 || n <= 7 ||
	    strcmp(r->in_name + n - 7, ".sha256") != 0) {
		warnx("%s: a bare digest names no file (the name must end in .sha256)", r->in_name);
		worse(r, CP_EXIT_ERR);
		return NULL;
	}
	return xstrndup(r->in_name, n - 7);
}

/* Producer of check mode: one job per well-formed line of the checksum files. */
static int
next_check(void *arg, char **path, void **user)
{
	struct run *r = arg;
	struct expect *x;
	char hex[CP_SHA256_HEXLEN + 1];
	size_t len;
	int ended, rc;

	for (;;) {
		if (r->in == NULL && !next_checksum_file(r))
			return 0;
		rc = cp_io_getrec(r->in, '\n', PATH_MAX + 128, &r->rec, &r->cap, &len, &ended);
		r->lineno++;
		if (rc == 0 || rc == -1) {
			if (rc == -1) {
				warn("%s", r->in_name);
				worse(r, CP_EXIT_ERR);
			} else if (r->in_good == 0 && r->malformed == 0) {
				warnx("%s: no checksum lines found", r->in_name);
				worse(r, CP_EXIT_ERR);
			}
			close_input(r);
			continue;
		}
		if (rc == -2) {
			malformed(r);
			continue;
		}
		if (r->lineno == 1 && cp_sumline_is_bare(r->rec, len)) {
			memcpy(hex, r->rec, CP_SHA256_HEXLEN);
			/* Bare only if nothing follows; otherwise an ordinary malformed line. */
			rc = cp_io_getrec(r->in, '\n', 1, &r->rec, &r->cap, &len, &ended);
			if (rc != 0) {
				malformed(r);
				close_input(r);
				continue;
			}
			r->in_good++;
			close_input(r);
			if ((*path = bare_target(r)) == NULL)
				continue;
		} else if (cp_sumline_parse(r->rec, len, hex, path) == -1) {
			malformed(r);
			continue;
		} else
			r->in_good++;
		x = xmalloc(sizeof(*x));
		for (int k = 0; k < CP_SHA256_HEXLEN; k++)
			x->hex[k] = (char)(hex[k] >= 'A' && hex[k] <= 'F' ? hex[k] + 32 : hex[k]);
		x->hex[CP_SHA256_HEXLEN] = '\0';
		*user = x;
		return 1;
	}
}

/* As sha256sum -c prints it: escaped (with a leading '\\') only when the name holds a newline. */
static void
print_check(const char *path, const char *verdict)
{
	if (strchr(path, '\n') != NULL) {
		putc('\\', stdout);
		cp_sumline_write_name(stdout, path);
	} else
		fputs(path, stdout);
	printf(": %s\n", verdict);
}

static void
checked(void *arg, struct cp_hashjob *j)
{
	struct run *r = arg;
	struct expect *x = j->user;
	char hex[CP_SHA256_HEXLEN + 1] = "";
	const char *status = "ok";

	if (j->err != 0) {
		warnx("%s: %s", j->path, strerror(j->err));
		status = j->err == ENOENT ? "missing" : "unreadable";
		worse(r, j->err == ENOENT ? CP_EXIT_NO : CP_EXIT_ERR);
		r->unreadable++;
	} else {
		cp_hex_encode(j->digest, CP_SHA256_LEN, hex);
		if (strcmp(hex, x->hex) != 0) {
			status = "mismatch";
			worse(r, CP_EXIT_NO);
			r->mismatched++;
		}
	}
	r->files++;
	if (r->out_tty)
		cp_progress_clear(&r->meter);
	if (r->o->json) {
		cp_json_obj(&r->json);
		cp_json_kstr(&r->json, "path", j->path);
		cp_json_kstr(&r->json, "expected", x->hex);
		cp_json_kstr(&r->json, "actual", j->err == 0 ? hex : NULL);
		cp_json_kstr(&r->json, "status", status);
		cp_json_endl(&r->json);
	} else if (!r->o->status) {
		if (j->err != 0)
			print_check(j->path, "FAILED open or read");
		else if (strcmp(status, "ok") != 0)
			print_check(j->path, "FAILED");
		else if (!r->o->quiet)
			print_check(j->path, "OK");
	}
	free(x);
}

static int
check_mode(struct run *r)
{
	struct cp_hashpool_opts po = { .jobs = r->o->jobs,
	    .progress = cp_progress_add, .progress_arg = &r->meter };

	cp_hashpool_run(&po, next_check, checked, r);
	cp_progress_end(&r->meter, 0);
	if (!r->o->status) {
		if (r->malformed)
			warnx("WARNING: %lu line%s improperly formatted", r->malformed,
			    r->malformed == 1 ? " is" : "s are");
		if (r->unreadable)
			warnx("WARNING: %lu listed file%s could not be read", r->unreadable,
			    r->unreadable == 1 ? "" : "s");
		if (r->mismatched)
			warnx("WARNING: %lu computed checksum%s did NOT match", r->mismatched,
			    r->mismatched == 1 ? "" : "s");
	}
	return r->status;
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	struct run r = { 0 };
	int c;

	cp_prog_init(argc, argv);
	o.jobs = cp_cpus_online(64);
	while ((c = getopt_long(argc, argv, "0T:cj:qh", longopts, NULL)) != -1) {
		switch (c) {
		case '0': o.null = 1; break;
		case 'T': o.files_from = optarg; break;
		case 'c': o.check = 1; break;
		case 'j': o.jobs = cp_prog_jobs(optarg); break;
		case OPT_CACHE: o.cache = optarg; break;
		case OPT_FULL: o.full = 1; break;
		case OPT_STATS: o.stats = 1; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_QUIET: o.quiet = 1; break;
		case OPT_STATUS: o.status = 1; break;
		case OPT_PROGRESS: o.progress = 1; break;
		case 'q': o.noprogress = 1; break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	o.args = argv + optind;
	o.nargs = argc - optind;
	if (o.check && (o.files_from || o.cache || o.full || o.null || o.stats))
		errx(CP_EXIT_ERR, "-c takes no -T, -0, --cache, --full or --stats");
	if (!o.check && (o.quiet || o.status))
		errx(CP_EXIT_ERR, "--quiet and --status need -c");
	if (o.full && !o.cache)
		errx(CP_EXIT_ERR, "--full needs --cache");
	if (o.progress && o.noprogress)
		errx(CP_EXIT_ERR, "--progress and -q exclude each other");
	if (o.check && o.noprogress)
		o.quiet = 1;
	cp_progress_init(&r.meter, cp_progress_wanted(o.progress, o.noprogress), 0);
	r.out_tty = r.meter.on && isatty(STDOUT_FILENO);
	r.o = &o;
	cp_json_init(&r.json, stdout);
	cp_prog_exit(o.check ? check_mode(&r) : hash_mode(&r));
}
