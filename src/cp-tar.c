/* cp-tar: byte-identical tar.gz packing, listing, and extraction that no archive can escape.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/cpus.h"
#include "base/hex.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "cli/names.h"
#include "cli/num.h"
#include "cli/prog.h"
#include "cli/progress.h"
#include "hash/sha256.h"
#include "tar/extract.h"
#include "tar/tarcheck.h"
#include "tar/tarpack.h"
#include "tar/tarread.h"
#include "text/sumline.h"

static const char help[] =
"usage: cp-tar -c [-0qv] [-C DIR] [-f ARCHIVE] [-l LEVEL] [-j N] [--progress]\n"
"              [--allow-symlinks] [PATH ...]\n"
"       cp-tar -t [-q] [--json] [--check] [-f ARCHIVE] [--progress]\n"
"              [--allow-symlinks] [caps]\n"
"       cp-tar -x [-q] [--force] [--json] [--no-sync] [--sha256 HEX] [-f ARCHIVE]\n"
"              [--progress] [--allow-symlinks] [caps] DIR | -C DIR\n"
"\n"
"Pack paths into a tar.gz that is byte-identical on any machine, list one,\n"
"or extract one into DIR all or nothing, never outside DIR.\n"
"\n"
"  -c, --create          pack the PATHs, or the paths listed on standard input,\n"
"                        relative to DIR; write the tar.gz to standard output\n"
"  -t, --list            list the archive on standard input: type, mode, size,\n"
"                        SHA-256 and path of every entry; nothing is written\n"
"  -x, --extract         extract the archive on standard input into DIR and\n"
"                        print the receipt (sha256sum lines of the files written)\n"
"  -f, --file ARCHIVE    read ARCHIVE, or with -c write it atomically, instead\n"
"                        of standard input or output\n"
"  -C, --directory DIR   with -c, paths are relative to DIR (default .);\n"
"                        with -x, DIR is where to extract (as tar's -C)\n"
"  -0, --null            with -c, listed paths end with NUL, not newline\n"
"  -l, --level N         gzip level 0-9 (default 6)\n"
"  -j, --jobs N          compression threads (default: the number of CPUs);\n"
"                        the output does not depend on it\n"
"      --allow-symlinks  pack and extract symlinks whose relative target stays\n"
"                        inside the tree\n"
"      --check           with -t, refuse what -x would refuse (exit 2)\n"
"      --force           with -x, replace existing regular files, by rename\n"
"      --no-sync         with -x, do not flush the extracted files to disk\n"
"      --sha256 HEX      with -x, extract only if the archive's SHA-256 is HEX\n"
"                        (hashed in the same read as it is extracted)\n"
"      --json            JSON Lines: {\"path\",\"type\",\"size\",\"mode\",\"sha256\"...}\n"
"      --progress        show progress on standard error even when it is not a\n"
"                        terminal (by default: only on a terminal)\n"
"  -q, --quiet           no progress\n"
"  -v, --verbose         with -c, name each entry packed on standard error\n"
"                        (-t and -x list every entry already)\n"
"  -z, --gzip            accepted and ignored: archives are always gzip\n"
"caps (K, M, G, T suffixes; 0 removes a cap):\n"
"      --max-bytes N       total bytes of file data (default 8G)\n"
"      --max-entries N     entries (default 50000)\n"
"      --max-entry-size N  bytes of one file (default 4G)\n"
"      --max-ratio N       unpacked bytes per compressed byte (default 200)\n"
"      --max-path N        bytes in a name or link target (default 4095)\n"
"      --max-depth N       directories in a path (default 64)\n"
"  -h, --help            print this help\n"
"      --version         print the version\n"
"\n"
"Exit status: 0 success, 2 an error: bad usage, unreadable input, a refused\n"
"path while packing, a malformed or refused archive (nothing is extracted);\n"
"interrupted by SIGINT, SIGTERM or SIGHUP: rolled back, then killed by that\n"
"signal (a shell shows 130 for SIGINT).\n";

enum {
	OPT_SYMLINKS = 256, OPT_CHECK, OPT_FORCE, OPT_NOSYNC, OPT_JSON, OPT_VERSION,
	OPT_MAX_BYTES, OPT_MAX_ENTRIES, OPT_MAX_ENTRY, OPT_MAX_RATIO, OPT_MAX_PATH,
	OPT_MAX_DEPTH, OPT_PROGRESS, OPT_SHA256
};

static const struct option longopts[] = {
	{ "create", no_argument, NULL, 'c' },
	{ "list", no_argument, NULL, 't' },
	{ "extract", no_argument, NULL, 'x' },
	{ "file", required_argument, NULL, 'f' },
	{ "directory", required_argument, NULL, 'C' },
	{ "null", no_argument, NULL, '0' },
	{ "level", required_argument, NULL, 'l' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "allow-symlinks", no_argument, NULL, OPT_SYMLINKS },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "no-sync", no_argument, NULL, OPT_NOSYNC },
	{ "sha256", required_argument, NULL, OPT_SHA256 },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "gzip", no_argument, NULL, 'z' },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
	{ "max-entry-size", required_argument, NULL, OPT_MAX_ENTRY },
	{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
	{ "max-path", required_argument, NULL, OPT_MAX_PATH },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	int mode;		/* 'c', 't' or 'x' */
	int null, level, jobs, symlinks, check, force, sync, json;
	int progress, quiet, verbose;
	const char *file, *dir;
	const char *sha256;	/* --sha256: the archive's digest, lowercase hex, or NULL */
	struct cp_tarlimits lim;
	char **args;
	int nargs;
};

/* The signal that asked to stop, or 0. */
static volatile sig_atomic_t cancel;

static void
on_signal(int sig)
{
	cancel = sig;
}

static struct cp_progress meter;

/* The work failed with msg: if a signal stopped it (everything is rolled back), say where and die of that signal. */
static void
check_cancel(const char *msg)
{
	if (cancel != 0) {
		cp_progress_end(&meter, 1);
		warnx("%s", msg);
		cp_prog_signal_exit(cancel);
	}
}

static void
print_entry(void *arg, const char *path)
{
	(void)arg;
	cp_progress_clear(&meter);
	fprintf(stderr, "%s\n", path);
}

/* The size of an archive read from fd, if it is a regular file, for the meter's percentage. */
static uint64_t
archive_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* SIGINT, SIGTERM, SIGHUP stop the work cleanly (rollback, temporary files removed) instead of killing it. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a read blocked on a pipe must return EINTR to notice. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* A count with an optional binary suffix K, M, G or T. */
static uint64_t
parse_size(const char *opt, const char *s, uint64_t max)
{
	static const char suffix[] = "KMGT";
	const char *p;
	size_t n = strlen(s);
	uint64_t v, mul = 1;
	char *digits;
	int rc;

	if (n > 0 && (p = strchr(suffix, s[n - 1])) != NULL) {
		mul = (uint64_t)1 << (10 * (p - suffix + 1));
		n--;
	}
	digits = xstrndup(s, n);
	rc = cp_num_parse(digits, 0, UINT64_MAX, &v);
	free(digits);
	if (rc == -1)
		errx(CP_EXIT_ERR, errno == ERANGE ? "--%s: number too large: %s" :
		    "--%s: not a number: %s", opt, s);
	if (v > max / mul)
		errx(CP_EXIT_ERR, "--%s: at most %" PRIu64 ": %s", opt, max, s);
	return v * mul;
}

/* SOURCE_DATE_EPOCH (reproducible-builds.org): whole seconds since the epoch (to 9999), else 0. */
static int64_t
source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (s == NULL || *s == '\0')
		return 0;
	if (cp_num_parse(s, 0, 253402300799ULL, &v) == -1)
		errx(CP_EXIT_ERR, "SOURCE_DATE_EPOCH is not a number of seconds: %s", s);
	return (int64_t)v;
}

static void
problem(void *arg, const char *msg)
{
	(void)arg;
	warnx("%s", msg);
}

/* Add the paths named on standard input, one per line (or NUL-terminated with -0). */
static int
read_list(struct cp_tarpack *p, const struct opts *o)
{
	struct cp_names n;
	const char *name;
	int rc, status = CP_EXIT_YES;

	cp_names_init(&n, stdin, "-", o->null);
	while ((rc = cp_names_next(&n, &name)) != 0 && rc != -2) {
		if (rc == -1 || cp_tarpack_add(p, name) == -1)
			status = CP_EXIT_ERR;
	}
	if (rc == -2)
		status = CP_EXIT_ERR;
	cp_names_free(&n);
	return status;
}

static int
create_mode(const struct opts *o)
{
	struct cp_tarpack_opts po = { 0 };
	struct cp_atomic at;
	struct cp_tarpack *p;
	struct cp_err e;
	int status = CP_EXIT_YES, fd = STDOUT_FILENO, i;

	po.dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (po.dirfd == -1)
		err(CP_EXIT_ERR, "%s", o->dir);
	po.level = o->level;
	po.jobs = o->jobs;
	po.mtime = source_date_epoch();
	po.allow_symlinks = o->symlinks;
	po.cancel = &cancel;
	po.problem = problem;
	po.progress = cp_progress_add;
	po.progress_arg = &meter;
	if (o->verbose)
		po.entry = print_entry;
	p = cp_tarpack_new(&po);
	for (i = 0; i < o->nargs; i++)
		if (cp_tarpack_add(p, o->args[i]) == -1)
			status = CP_EXIT_ERR;
	if (o->nargs == 0)
		status = read_list(p, o);
	if (status != CP_EXIT_YES)
		errx(CP_EXIT_ERR, "nothing written: refused paths");
	if (o->file == NULL && isatty(STDOUT_FILENO))
		errx(CP_EXIT_ERR, "refusing to write an archive to a terminal");
	if (o->file != NULL) {
		catch_signals();
		if (cp_atomic_open(&at, o->file, 0644) == -1)
			err(CP_EXIT_ERR, "%s", o->file);
		fd = fileno(at.fp);
	}
	if (meter.on)
		cp_progress_total(&meter, cp_tarpack_bytes(p));
	if (cp_tarpack_write(p, fd, &e) == -1) {
		if (o->file != NULL)
			cp_atomic_abort(&at);
		check_cancel(e.msg);
		cp_progress_end(&meter, 1);
		errx(CP_EXIT_ERR, "%s", e.msg);
	}
	cp_progress_end(&meter, 0);
	if (o->file != NULL && cp_atomic_commit(&at) == -1)
		err(CP_EXIT_ERR, "%s", o->file);
	cp_tarpack_free(p);
	close(po.dirfd);
	return CP_EXIT_YES;
}

static int
open_archive(const struct opts *o)
{
	int fd;

	if (o->file == NULL || strcmp(o->file, "-") == 0) {
		/* Nobody types gzip: a terminal here is a forgotten "< ARCHIVE". */
		if (isatty(STDIN_FILENO))
			errx(CP_EXIT_ERR, "refusing to read an archive from a terminal: "
			    "give one with -f ARCHIVE or \"< ARCHIVE\"");
		fd = STDIN_FILENO;
	} else if ((fd = open(o->file, O_RDONLY | O_CLOEXEC)) == -1)
		err(CP_EXIT_ERR, "%s", o->file);
	if (meter.on)
		cp_progress_total(&meter, archive_size(fd));
	return fd;
}

/* One JSON object of a listing or a receipt; existed < 0 leaves that key out. */
static void
print_json(const char *path, int type, uint64_t size, unsigned mode,
    const unsigned char *sha, const char *target, int existed)
{
	struct cp_json w;
	char octal[16];

	snprintf(octal, sizeof(octal), "%04o", mode);
	cp_json_init(&w, stdout);
	cp_json_obj(&w);
	cp_json_kstr(&w, "path", path);
	cp_json_kstr(&w, "type", cp_tarread_typename(type));
	cp_json_kuint(&w, "size", size);
	cp_json_kstr(&w, "mode", octal);
	cp_json_key(&w, "sha256");
	if (sha != NULL)
		cp_json_hex(&w, sha, CP_SHA256_LEN);
	else
		cp_json_null(&w);
	if (target != NULL)
		cp_json_kstr(&w, "target", target);
	if (existed >= 0)
		cp_json_kbool(&w, "existed", existed);
	cp_json_endl(&w);
}

/* A file's digest and size, kept by entry index for the hard links that follow it. */
struct digest {
	unsigned char sha[CP_SHA256_LEN];
	uint64_t size;
};

static int
hash_data(struct cp_tarread *r, unsigned char sha[CP_SHA256_LEN])
{
	struct cp_sha256 c = { 0 };
	const void *buf;
	ssize_t n;
	int rc = 0;

	if (cp_sha256_init(&c) == -1)
		errx(CP_EXIT_ERR, "openssl failure");
	while ((n = cp_tarread_data(r, &buf)) > 0)
		if (cp_sha256_update(&c, buf, (size_t)n) == -1)
			errx(CP_EXIT_ERR, "openssl failure");
	if (n < 0 || cp_sha256_final(&c, sha) == -1)
		rc = -1;
	cp_sha256_free(&c);
	return rc;
}

static int
list_mode(const struct opts *o)
{
	struct cp_tarread_opts ro = { o->lim.max_ratio, NULL, NULL, cp_progress_add, &meter };
	struct cp_tarcheck *chk;
	struct cp_tarread *r;
	struct cp_tarentry e;
	struct digest *dig = NULL, *d;
	size_t ndig = 0;
	unsigned char *sha;
	const char *path;
	struct cp_err why;
	char hex[CP_SHA256_HEXLEN + 1];
	uint64_t size, li;
	int rc, fd = open_archive(o), out_tty = meter.on && isatty(STDOUT_FILENO);

	if ((r = cp_tarread_open(fd, &ro)) == NULL)
		err(CP_EXIT_ERR, "cannot read the archive");
	chk = cp_tarcheck_new(&o->lim, (o->check ? 0 : CP_TARCHECK_LENIENT) |
	    (o->symlinks ? CP_TARCHECK_SYMLINKS : 0));
	while ((rc = cp_tarread_next(r, &e)) == 1) {
		if (cp_tarcheck_entry(chk, &e, &path, &why) == -1) {
			cp_tarread_fail(r, "%s", why.msg);
			rc = -1;
			break;
		}
		if (e.index >= ndig) {
			dig = xreallocarray(dig, (size_t)e.index * 2 + 16, sizeof(*dig));
			memset(dig + ndig, 0, ((size_t)e.index * 2 + 16 - ndig) * sizeof(*dig));
			ndig = (size_t)e.index * 2 + 16;
		}
		sha = NULL;
		size = e.size;
		if (e.type == CP_TAR_FILE) {
			if (hash_data(r, dig[e.index].sha) == -1) {
				rc = -1;
				break;
			}
			dig[e.index].size = e.size;
			sha = dig[e.index].sha;
		} else if (e.type == CP_TAR_HARDLINK && (li = cp_tarcheck_link_index(chk, &e)) != 0) {
			d = &dig[li];
			sha = d->sha;
			size = d->size;
		}
		if (path == NULL)
			path = e.name;
		if (out_tty)
			cp_progress_clear(&meter);
		if (o->json) {
			print_json(path, e.type, size, e.mode, sha, e.link, -1);
			continue;
		}
		if (sha != NULL)
			cp_hex_encode(sha, CP_SHA256_LEN, hex);
		printf("%s %04o %" PRIu64 " %s ", cp_tarread_typename(e.type), e.mode, size,
		    sha != NULL ? hex : "-");
		cp_sumline_write_name(stdout, path);
		if (e.link != NULL) {
			fputs(" -> ", stdout);
			cp_sumline_write_name(stdout, e.link);
		}
		putchar('\n');
	}
	cp_progress_end(&meter, rc == -1);
	if (rc == -1)
		warnx("%s", cp_tarread_error(r)->msg);
	cp_tarread_close(r);
	cp_tarcheck_free(chk);
	free(dig);
	return rc == -1 ? CP_EXIT_ERR : CP_EXIT_YES;
}

/* The receipt goes out, flushed, before anything is committed: exit 0 means both happened.  Returns 0 or an errno. */
static int
print_receipt(const struct opts *o, const struct cp_extract_receipt *rc)
{
	const struct cp_placed *p;
	char hex[CP_SHA256_HEXLEN + 1];
	size_t i;

	for (i = 0; i < rc->n; i++) {
		p = &rc->v[i];
		if (o->json)
			print_json(p->path, p->type, p->size, p->mode,
			    p->type == CP_TAR_FILE || p->type == CP_TAR_HARDLINK ? p->sha256 : NULL,
			    p->target, p->existed);
		else if (p->type == CP_TAR_FILE || p->type == CP_TAR_HARDLINK) {
			cp_hex_encode(p->sha256, CP_SHA256_LEN, hex);
			cp_sumline_write(stdout, hex, p->path);
		}
	}
	errno = 0;
	if (fflush(stdout) == EOF || ferror(stdout))
		return errno != 0 ? errno : EIO;
	return 0;
}

/* With --sha256: the archive read to its end must be the one asked for. Returns 0 or -1 (why). */
static int
archive_digest_ok(const struct opts *o, struct cp_sha256 *h, struct cp_err *why)
{
	unsigned char d[CP_SHA256_LEN];
	char hex[CP_SHA256_HEXLEN + 1];

	if (cp_sha256_final(h, d) == -1)
		return cp_err_set(why, 0, "openssl failure");
	cp_hex_encode(d, sizeof(d), hex);
	if (strcmp(hex, o->sha256) != 0)
		return cp_err_set(why, 0, "archive digest mismatch: expected %s, got %s (nothing extracted)",
		    o->sha256, hex);
	return 0;
}

static int
extract_mode(const struct opts *o)
{
	struct cp_extract_opts xo = { 0 };
	struct cp_sha256 h = { 0 };
	struct cp_extract *x;
	struct cp_extract_receipt rc;
	struct cp_err why;
	int fd = open_archive(o), e;

	xo.lim = o->lim;
	xo.force = o->force;
	xo.allow_symlinks = o->symlinks;
	xo.sync = o->sync;
	xo.cancel = &cancel;
	xo.progress = cp_progress_add;
	xo.progress_arg = &meter;
	if (o->sha256 != NULL) {
		if (cp_sha256_init(&h) == -1)
			errx(CP_EXIT_ERR, "openssl failure");
		xo.hash = &h;
	}
	catch_signals();
	/* A closed standard output is an error to report and roll back from, not a death. */
	signal(SIGPIPE, SIG_IGN);
	if (cp_extract_stage(fd, o->dir, &xo, &x, &rc, &why) == -1) {
		check_cancel(why.msg);
		cp_progress_end(&meter, 1);
		errx(CP_EXIT_ERR, "%s", why.msg);
	}
	cp_progress_end(&meter, 0);
	/* Staged means read to the end of the stream: the digest covers every byte that was extracted. */
	if (o->sha256 != NULL && archive_digest_ok(o, &h, &why) == -1) {
		cp_extract_abort(x);
		cp_extract_receipt_free(&rc);
		errx(CP_EXIT_ERR, "%s", why.msg);
	}
	cp_sha256_free(&h);
	if ((e = print_receipt(o, &rc)) != 0) {
		cp_extract_abort(x);
		check_cancel("interrupted (nothing extracted)");
		errx(CP_EXIT_ERR, "write error: %s (nothing extracted)", strerror(e));
	}
	cp_extract_receipt_free(&rc);
	if (cp_extract_commit(x, &why) == -1) {
		check_cancel(why.msg);
		errx(CP_EXIT_ERR, "%s", why.msg);
	}
	return CP_EXIT_YES;
}

static void
set_mode(struct opts *o, int m)
{
	if (o->mode != 0 && o->mode != m)
		errx(CP_EXIT_ERR, "-c, -t and -x exclude each other");
	o->mode = m;
}

static int
parse_int(const char *opt, const char *s, int lo, int hi)
{
	uint64_t v;

	if (cp_num_parse(s, (uint64_t)lo, (uint64_t)hi, &v) == -1)
		errx(CP_EXIT_ERR, "--%s: not a number from %d to %d: %s", opt, lo, hi, s);
	return (int)v;
}

/* --sha256's digest: 64 hex digits, either case; returned in lowercase, as it is compared. */
static const char *
sha256_arg(const char *s)
{
	static char hex[CP_SHA256_HEXLEN + 1];
	unsigned char d[CP_SHA256_LEN];

	if (strlen(s) != CP_SHA256_HEXLEN || cp_hex_decode(s, CP_SHA256_HEXLEN, d) == -1)
		errx(CP_EXIT_ERR, "--sha256: not a SHA-256 digest (64 hex digits): %s", s);
	cp_hex_encode(d, sizeof(d), hex);
	return hex;
}

static void
check_opts(struct opts *o)
{
	if (o->mode == 0)
		errx(CP_EXIT_ERR, "one of -c, -t or -x is required");
	if (o->dir != NULL && o->mode == 't')
		errx(CP_EXIT_ERR, "-C needs -c or -x");
	if (o->mode == 'x') {
		/* tar's habit "-xf A -C D" is taken as it means: D is where to extract. */
		if (o->dir != NULL && o->nargs > 0)
			errx(CP_EXIT_ERR, "-x: give the directory once, as DIR or -C DIR");
		if (o->dir == NULL && o->nargs != 1)
			errx(CP_EXIT_ERR, o->nargs == 0 ? "-x needs a directory: cp-tar -x DIR < ARCHIVE" :
			    "-x takes one directory, not archive members: cp-tar -x DIR < ARCHIVE");
		if (o->dir == NULL)
			o->dir = o->args[0];
	} else if (o->mode == 't' && o->nargs > 0)
		errx(CP_EXIT_ERR, "-t takes no operands (the archive is -f or standard input)");
	if (o->check && o->mode != 't')
		errx(CP_EXIT_ERR, "--check needs -t");
	if ((o->force || !o->sync || o->sha256 != NULL) && o->mode != 'x')
		errx(CP_EXIT_ERR, "--force, --no-sync and --sha256 need -x");
	if (o->json && o->mode == 'c')
		errx(CP_EXIT_ERR, "--json needs -t or -x");
	if (o->null && o->mode != 'c')
		errx(CP_EXIT_ERR, "-0 needs -c");
	if (o->progress && o->quiet)
		errx(CP_EXIT_ERR, "--progress and -q exclude each other");
	if (o->mode == 'c' && o->file != NULL && strcmp(o->file, "-") == 0)
		o->file = NULL;
	if (o->mode == 'c' && o->dir == NULL)
		o->dir = ".";
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	int c;

	cp_prog_init(argc, argv);
	/* Fixed, not the user's: names convert the same way (UTF-8) on every machine. */
	setlocale(LC_CTYPE, "C.UTF-8");
	cp_tarcheck_limits(&o.lim);
	o.level = 6;
	o.jobs = cp_cpus_online(64);
	o.sync = 1;
	while ((c = getopt_long(argc, argv, "ctxf:C:0l:j:qvzh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': case 't': case 'x': set_mode(&o, c); break;
		case 'f': o.file = optarg; break;
		case 'C': o.dir = optarg; break;
		case '0': o.null = 1; break;
		case 'l': o.level = parse_int("level", optarg, 0, 9); break;
		case 'j': o.jobs = cp_prog_jobs(optarg); break;
		case OPT_SYMLINKS: o.symlinks = 1; break;
		case OPT_CHECK: o.check = 1; break;
		case OPT_FORCE: o.force = 1; break;
		case OPT_NOSYNC: o.sync = 0; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_PROGRESS: o.progress = 1; break;
		case OPT_SHA256: o.sha256 = sha256_arg(optarg); break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'z': break;
		case OPT_MAX_BYTES: o.lim.max_bytes = parse_size("max-bytes", optarg, UINT64_MAX); break;
		case OPT_MAX_ENTRIES: o.lim.max_entries = parse_size("max-entries", optarg, UINT64_MAX); break;
		case OPT_MAX_ENTRY: o.lim.max_entry_size = parse_size("max-entry-size", optarg, UINT64_MAX); break;
		case OPT_MAX_RATIO: o.lim.max_ratio = parse_size("max-ratio", optarg, UINT64_MAX); break;
		case OPT_MAX_PATH: o.lim.max_path = parse_int("max-path", optarg, 1, PATH_MAX - 1); break;
		case OPT_MAX_DEPTH: o.lim.max_depth = parse_int("max-depth", optarg, 1, PATH_MAX / 2); break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	o.args = argv + optind;
	o.nargs = argc - optind;
	check_opts(&o);
	cp_progress_init(&meter, cp_progress_wanted(o.progress, o.quiet), 0);
	cp_prog_exit(o.mode == 'c' ? create_mode(&o) : o.mode == 't' ? list_mode(&o) :
	    extract_mode(&o));
}
