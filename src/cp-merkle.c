/* cp-merkle: RFC 9162 Merkle roots of lines, inclusion and consistency proofs, and the cp2 legacy root.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/io.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "cli/num.h"
#include "cli/prog.h"
#include "hash/merkle.h"
#include "hash/proof.h"
#include "hash/sha256.h"
#include "text/sumline.h"

static const char help[] =
"usage: cp-merkle [--scheme rfc6962|cp2] [--hex | --text] [--json] [FILE ...]\n"
"       cp-merkle proof [--hex] INDEX ...\n"
"       cp-merkle verify-proof [--leaf DATA [--hex] | --leaf-hash HEX] [--root HEX]\n"
"                              [-q] [--json] [FILE ...]\n"
"       cp-merkle consistency [--hex] OLD_SIZE ...\n"
"       cp-merkle verify-consistency [--old-root HEX] [--new-root HEX] [-q] [--json]\n"
"                                    [FILE ...]\n"
"\n"
"Print the Merkle root of the lines of the FILEs (standard input when none, or\n"
"for -), one leaf per line; print inclusion proofs of leaves and consistency\n"
"proofs of prefixes of the lines on standard input, as JSON; or verify them.\n"
"\n"
"  --scheme rfc6962  leaf SHA-256(0x00 || line), node SHA-256(0x01 || left || right)\n"
"                    (RFC 9162 section 2.1; the default)\n"
"  --scheme cp2      the Python tools' legacy root over digests (sha256sum lines\n"
"                    or bare hex digests); weak, for reading old planes only\n"
"  --hex             each line is hex, decoded into the leaf's data (rfc6962);\n"
"                    with --leaf, DATA is hex\n"
"  --text            with cp2, each line is taken as an element verbatim\n"
"  --json            the root as {\"scheme\",\"tree_size\",\"root\"}; with a verify\n"
"                    command, one object per proof with \"verified\"\n"
"  --leaf DATA       verify-proof: the proof must be for this leaf data\n"
"  --leaf-hash HEX   verify-proof: the proof must be for this leaf hash\n"
"  --root HEX        verify-proof: the proof must lead to this root\n"
"  --old-root HEX    verify-consistency: the old tree's root must be this\n"
"  --new-root HEX    verify-consistency: the new tree's root must be this\n"
"  -q, --quiet       with a verify command, print nothing; the status tells\n"
"  -h, --help        print this help\n"
"      --version     print the version\n"
"\n"
"Exit status: 0 success (every proof verifies), 1 a proof does not prove,\n"
"2 an error (malformed input or proof, bad usage, unreadable file).\n";

enum mode { ROOT, PROOF, VERIFY_PROOF, CONSISTENCY, VERIFY_CONSISTENCY };
enum scheme { RFC6962, CP2 };
enum {
	OPT_SCHEME = 256, OPT_HEX, OPT_TEXT, OPT_JSON, OPT_LEAF, OPT_LEAF_HASH, OPT_ROOT,
	OPT_OLD_ROOT, OPT_NEW_ROOT, OPT_VERSION
};

static const struct option longopts[] = {
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ "hex", no_argument, NULL, OPT_HEX },
	{ "text", no_argument, NULL, OPT_TEXT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "leaf", required_argument, NULL, OPT_LEAF },
	{ "leaf-hash", required_argument, NULL, OPT_LEAF_HASH },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "old-root", required_argument, NULL, OPT_OLD_ROOT },
	{ "new-root", required_argument, NULL, OPT_NEW_ROOT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static const char *const mode_names[] = {
	"", "proof", "verify-proof", "consistency", "verify-consistency"
};

#define HL CP_MERKLE_HASHLEN
#define LEAF_MAX (1 << 20)	/* longest leaf line, in bytes */

struct opts {
	enum mode mode;
	enum scheme scheme;
	int hex, text, json, quiet;
	const char *leaf, *leaf_hash, *root, *old_root, *new_root;
	char **args;
	int nargs;
};

/* The lines of a list of files read one after the other ("-" is standard input). */
struct lines {
	char **names;
	int nnames, next;
	int fd;			/* -1 between files */
	struct cp_io_reader rd;
	const char *name;
	uint64_t lineno;
	int stdin_used;
};

static char stdin_name[] = "-";
static char *stdin_only[] = { stdin_name };

static void
lines_open(struct lines *l, char **names, int n)
{
	memset(l, 0, sizeof(*l));
	l->names = n > 0 ? names : stdin_only;
	l->nnames = n > 0 ? n : 1;
	l->fd = -1;
	cp_io_reader_init(&l->rd, -1);
}

static void
lines_close(struct lines *l)
{
	if (l->fd > 0)
		close(l->fd);
	l->fd = -1;
}

/* Open the next file; 1, or 0 after the last; exits 2 when one cannot be opened. */
static int
lines_next_file(struct lines *l)
{
	if (l->next >= l->nnames)
		return 0;
	l->name = l->names[l->next++];
	l->lineno = 0;
	if (strcmp(l->name, "-") == 0) {
		if (l->stdin_used++)
			errx(CP_EXIT_ERR, "standard input is used twice");
		l->fd = STDIN_FILENO;
	} else if ((l->fd = open(l->name, O_RDONLY | O_CLOEXEC)) == -1) {
		err(CP_EXIT_ERR, "%s", l->name);
	}
	l->rd.fd = l->fd;
	l->rd.start = l->rd.end = 0;
	l->rd.eof = 0;
	return 1;
}

/*
 * The next line (without its newline; a last line without one counts) into
 * *line and *len: 1, or 0 when every file is read.  A file that cannot be
 * read, or a line over the cap, is an error (exit 2): a root over part of
 * the input would be a wrong root.
 */
static int
lines_get(struct lines *l, const char **line, size_t *len)
{
	char *rec;
	int ended, rc;

	for (;;) {
		if (l->fd == -1 && !lines_next_file(l))
			return 0;
		rc = cp_io_reader_getrec(&l->rd, '\n', LEAF_MAX, &rec, len, &ended);
		if (rc == 1) {
			l->lineno++;
			*line = rec;
			return 1;
		}
		if (rc == -1)
			err(CP_EXIT_ERR, "%s", l->name);
		if (rc == -2)
			errx(CP_EXIT_ERR, "%s:%" PRIu64 ": line longer than %d bytes", l->name,
			    l->lineno + 1, LEAF_MAX);
		lines_close(l);
	}
}

static void
lines_free(struct lines *l)
{
	lines_close(l);
	cp_io_reader_free(&l->rd);
}

/* The rfc6962 leaf hash of one line: its bytes, or with --hex the bytes its hex decodes to. */
static void
leaf_of_line(const struct opts *o, const struct lines *l, const char *line, size_t len,
    unsigned char out[HL])
{
	static unsigned char *buf;
	static size_t cap;

	if (!o->hex) {
		if (cp_merkle_leaf_hash(line, len, out) == -1)
			err(CP_EXIT_ERR, "merkle");
		return;
	}
	if (len / 2 + 1 > cap) {
		cap = len / 2 + 1;
		buf = xrealloc(buf, cap);
	}
	if (cp_hex_decode(line, len, buf) == -1)
		errx(CP_EXIT_ERR, "%s:%" PRIu64 ": not hex", l->name, l->lineno);
	if (cp_merkle_leaf_hash(buf, len / 2, out) == -1)
		err(CP_EXIT_ERR, "merkle");
}

/* The cp2 element of one line: the line itself (--text), or the lowercase hex of its digest. */
static const char *
cp2_element(const struct opts *o, const struct lines *l, const char *line, size_t *len)
{
	static char hex[CP_SHA256_HEXLEN + 1];
	unsigned char d[CP_SHA256_LEN];
	char *name;

	if (o->text) {
		if (*len > CP_MERKLE_CP2_ELEMMAX)
			errx(CP_EXIT_ERR, "%s:%" PRIu64 ": element longer than %d bytes",
			    l->name, l->lineno, CP_MERKLE_CP2_ELEMMAX);
		return line;
	}
	/* The Python tools joined hexdigest() strings: always lowercase. */
	if (*len == CP_SHA256_HEXLEN && cp_hex_decode(line, *len, d) == 0) {
		cp_hex_encode(d, CP_SHA256_LEN, hex);
	} else if (cp_sumline_parse(line, *len, hex, &name) == 0) {
		free(name);
	} else {
		errx(CP_EXIT_ERR, "%s:%" PRIu64 ": not a SHA-256 digest or sha256sum line",
		    l->name, l->lineno);
	}
	*len = CP_SHA256_HEXLEN;
	return hex;
}

static int
root_mode(const struct opts *o)
{
	struct lines l;
	const char *line;
	size_t len;
	uint64_t n;
	char hex[CP_MERKLE_CP2_ELEMMAX + 1];
	size_t hexlen;
	struct cp_json w;

	lines_open(&l, o->args, o->nargs);
	if (o->scheme == RFC6962) {
		struct cp_merkle m;
		unsigned char h[HL];

		cp_merkle_init(&m);
		while (lines_get(&l, &line, &len)) {
			leaf_of_line(o, &l, line, len, h);
			cp_merkle_add(&m, h);
		}
		if (cp_merkle_root(&m, h) == -1)
			err(CP_EXIT_ERR, "merkle");
		cp_hex_encode(h, HL, hex);
		hexlen = 2 * HL;
		n = cp_merkle_size(&m);
	} else {
		static struct cp_merkle_cp2 m;

		cp_merkle_cp2_init(&m);
		while (lines_get(&l, &line, &len)) {
			line = cp2_element(o, &l, line, &len);
			cp_merkle_cp2_add(&m, line, len);
		}
		if (cp_merkle_cp2_final(&m, hex, &hexlen) == -1)
			err(CP_EXIT_ERR, "merkle");
		n = m.size;
	}
	lines_free(&l);
	if (!o->json) {
		fwrite(hex, 1, hexlen, stdout);
		putchar('\n');
		return CP_EXIT_YES;
	}
	cp_json_init(&w, stdout);
	cp_json_obj(&w);
	cp_json_kstr(&w, "scheme", o->scheme == RFC6962 ? "rfc6962" : "cp2");
	cp_json_kuint(&w, "tree_size", n);
	cp_json_key(&w, "root");
	cp_json_strn(&w, hex, hexlen);
	cp_json_endl(&w);
	return CP_EXIT_YES;
}

/* Every leaf hash of standard input, n*32 bytes (caller frees). */
static unsigned char *
read_leaves(const struct opts *o, uint64_t *n)
{
	struct lines l;
	unsigned char *leaves = NULL;
	size_t cap = 0;
	const char *line;
	size_t len;

	*n = 0;
	lines_open(&l, NULL, 0);
	while (lines_get(&l, &line, &len)) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			leaves = xreallocarray(leaves, cap, HL);
		}
		leaf_of_line(o, &l, line, len, leaves + *n * HL);
		++*n;
	}
	lines_free(&l);
	return leaves;
}

/* proof and consistency: one proof per operand (a leaf index, an old size) over the leaves on standard input. */
static int
prove_mode(const struct opts *o)
{
	enum cp_proof_kind kind = o->mode == PROOF ? CP_PROOF_INCLUSION : CP_PROOF_CONSISTENCY;
	const char *what = o->mode == PROOF ? "leaf index" : "old size";
	unsigned char *leaves, root[HL];
	struct cp_proof p;
	struct cp_json w;
	struct cp_err e;
	uint64_t n;
	int i;

	for (i = 1; i < o->nargs; i++)
		xnum(o->args[i], 0, UINT64_MAX, what);
	leaves = read_leaves(o, &n);
	if (cp_merkle_root_of(leaves, n, root) == -1)
		err(CP_EXIT_ERR, "merkle");
	cp_json_init(&w, stdout);
	for (i = 1; i < o->nargs; i++) {
		if (cp_proof_make(&p, kind, leaves, n, root, xnum(o->args[i], 0, UINT64_MAX, what),
		    &e) == -1)
			errx(CP_EXIT_ERR, "%s", e.msg);
		cp_proof_write(&w, &p);
		cp_proof_free(&p);
	}
	free(leaves);
	return CP_EXIT_YES;
}

/* One verdict: the proof's sizes and hashes with "verified" (--json), or a line. */
static void
print_verdict(const struct opts *o, struct cp_json *w, const struct cp_proof *p, int ok)
{
	if (o->json) {
		cp_json_obj(w);
		cp_proof_members(w, p);
		cp_json_kbool(w, "verified", ok);
		cp_json_endl(w);
	} else if (!o->quiet && p->kind == CP_PROOF_INCLUSION) {
		printf("leaf %" PRIu64 " of %" PRIu64 ": %s\n", p->size[1], p->size[0],
		    ok ? "OK" : "FAILED");
	} else if (!o->quiet) {
		printf("size %" PRIu64 " to %" PRIu64 ": %s\n", p->size[0], p->size[1],
		    ok ? "OK" : "FAILED");
	}
}

/* Check every proof object in fp: the worst status of them (a malformed one is warned about, and the next checked). */
static int
verify_stream(const struct opts *o, const struct cp_proof_trust *t, FILE *fp, const char *name,
    int *found)
{
	enum cp_proof_kind kind = o->mode == VERIFY_PROOF ? CP_PROOF_INCLUSION :
	    CP_PROOF_CONSISTENCY;
	struct cp_proof_reader rd;
	struct cp_proof p;
	struct cp_json w;
	struct cp_err e;
	int status = CP_EXIT_YES, rc, ok;

	cp_json_init(&w, stdout);
	cp_proof_reader_init(&rd, fp, name);
	while ((rc = cp_proof_read(&rd, kind, t, &p, &e)) != 0) {
		if (rc == -2) {
			warnx("%s", e.msg);
			return CP_EXIT_ERR;
		}
		++*found;
		if (rc == -1) {
			warnx("%s", e.msg);
			status = CP_EXIT_ERR;
			continue;
		}
		ok = cp_proof_verify(&p, &e);
		if (ok == -1)
			errx(CP_EXIT_ERR, "%s", e.msg);
		print_verdict(o, &w, &p, ok);
		cp_proof_free(&p);
		if (!ok && status == CP_EXIT_YES)
			status = CP_EXIT_NO;
	}
	return status;
}

static void
trusted_hash(const char *arg, const char *opt, struct cp_proof_trust *t, int i)
{
	if (arg == NULL)
		return;
	if (cp_proof_hash(arg, strlen(arg), t->hash[i]) == -1)
		errx(CP_EXIT_ERR, "%s: not a SHA-256 hash in hex: %s", opt, arg);
	t->set[i] = 1;
}

/* --leaf: the leaf hash of DATA (hex with --hex). */
static void
trusted_leaf(const struct opts *o, struct cp_proof_trust *t)
{
	size_t len;
	unsigned char *data;

	if (o->leaf == NULL)
		return;
	len = strlen(o->leaf);
	if (!o->hex) {
		if (cp_merkle_leaf_hash(o->leaf, len, t->hash[0]) == -1)
			err(CP_EXIT_ERR, "merkle");
	} else {
		data = xmalloc(len / 2 + 1);
		if (cp_hex_decode(o->leaf, len, data) == -1) {
			free(data);
			errx(CP_EXIT_ERR, "--leaf: not hex: %s", o->leaf);
		}
		if (cp_merkle_leaf_hash(data, len / 2, t->hash[0]) == -1)
			err(CP_EXIT_ERR, "merkle");
		free(data);
	}
	t->set[0] = 1;
}

static int
verify_mode(const struct opts *o)
{
	struct cp_proof_trust t = { 0 };
	const char *name;
	FILE *fp;
	int status = CP_EXIT_YES, rc, found = 0, i, stdin_used = 0;

	trusted_leaf(o, &t);
	trusted_hash(o->leaf_hash, "--leaf-hash", &t, 0);
	trusted_hash(o->root, "--root", &t, 1);
	trusted_hash(o->old_root, "--old-root", &t, 0);
	trusted_hash(o->new_root, "--new-root", &t, 1);
	/* A file that cannot be read is warned about and the others are still checked. */
	for (i = 1; i < o->nargs || i == 1; i++) {
		name = i < o->nargs ? o->args[i] : "-";
		rc = CP_EXIT_ERR;
		if (strcmp(name, "-") == 0) {
			if (stdin_used++)
				warnx("standard input is used twice");
			else
				rc = verify_stream(o, &t, stdin, name, &found);
		} else if ((fp = fopen(name, "re")) == NULL) {
			warn("%s", name);
		} else {
			rc = verify_stream(o, &t, fp, name, &found);
			fclose(fp);
		}
		if (rc > status)
			status = rc;
	}
	if (found == 0 && status == CP_EXIT_YES) {
		warnx("no proof found");
		status = CP_EXIT_ERR;
	}
	return status;
}

/* Options that only some commands take: a usage error elsewhere. */
static void
check_opts(const struct opts *o)
{
	const char *m = mode_names[o->mode];

	if (o->mode != ROOT && o->scheme != RFC6962)
		errx(CP_EXIT_ERR, "%s: proofs are for the rfc6962 scheme only", m);
	if (o->text && o->scheme != CP2)
		errx(CP_EXIT_ERR, "--text needs --scheme cp2");
	if (o->hex && (o->scheme == CP2 || o->mode == VERIFY_CONSISTENCY ||
	    (o->mode == VERIFY_PROOF && o->leaf == NULL)))
		errx(CP_EXIT_ERR, "--hex applies to rfc6962 leaves and to --leaf only");
	if (o->mode != VERIFY_PROOF && (o->leaf || o->leaf_hash || o->root))
		errx(CP_EXIT_ERR, "--leaf, --leaf-hash and --root need verify-proof");
	if (o->leaf && o->leaf_hash)
		errx(CP_EXIT_ERR, "--leaf and --leaf-hash exclude each other");
	if (o->mode != VERIFY_CONSISTENCY && (o->old_root || o->new_root))
		errx(CP_EXIT_ERR, "--old-root and --new-root need verify-consistency");
	if (o->quiet && o->mode != VERIFY_PROOF && o->mode != VERIFY_CONSISTENCY)
		errx(CP_EXIT_ERR, "-q needs verify-proof or verify-consistency");
	if ((o->mode == PROOF || o->mode == CONSISTENCY) && o->nargs < 2)
		errx(CP_EXIT_ERR, "%s: %s needed", m, o->mode == PROOF ? "INDEX" : "OLD_SIZE");
}

int
main(int argc, char *argv[])
{
	struct opts o = { 0 };
	int c, m;

	cp_prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SCHEME:
			if (strcmp(optarg, "rfc6962") == 0)
				o.scheme = RFC6962;
			else if (strcmp(optarg, "cp2") == 0)
				o.scheme = CP2;
			else
				errx(CP_EXIT_ERR, "unknown scheme: %s (rfc6962 or cp2)", optarg);
			break;
		case OPT_HEX: o.hex = 1; break;
		case OPT_TEXT: o.text = 1; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_LEAF: o.leaf = optarg; break;
		case OPT_LEAF_HASH: o.leaf_hash = optarg; break;
		case OPT_ROOT: o.root = optarg; break;
		case OPT_OLD_ROOT: o.old_root = optarg; break;
		case OPT_NEW_ROOT: o.new_root = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	o.args = argv + optind;
	o.nargs = argc - optind;
	for (m = PROOF; o.nargs > 0 && m <= VERIFY_CONSISTENCY; m++)
		if (strcmp(o.args[0], mode_names[m]) == 0)
			o.mode = (enum mode)m;
	check_opts(&o);
	switch (o.mode) {
	case ROOT: cp_prog_exit(root_mode(&o));
	case PROOF:
	case CONSISTENCY: cp_prog_exit(prove_mode(&o));
	default: cp_prog_exit(verify_mode(&o));
	}
}
