/* cp-ledger: append to, verify, checkpoint, list and repair the hash-chained ledger.
 * SPDX-License-Identifier: ISC */
#include <err.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/abspath.h"
#include "base/buf.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "cli/num.h"
#include "cli/prog.h"
#include "hash/merkle.h"
#include "hash/note.h"
#include "hash/signify.h"
#include "ledger/checkpoint.h"
#include "ledger/event.h"
#include "ledger/append.h"
#include "ledger/finding.h"
#include "ledger/ledger.h"
#include "ledger/repair.h"
#include "plane/lcheck.h"
#include "text/canon.h"
#include "text/jtree.h"

static const char help[] =
"usage: cp-ledger [-C DIR] [-f PATH] append [-q] [--batch] [--rotate-bytes N]\n"
"                 [--event-type T --submission-id S --decision D --reason R\n"
"                 [--prompt ID]... [--metadata JSON]] [--id ID] [--timestamp TIME]\n"
"       cp-ledger [-C DIR] [-f PATH] [--base NAME] verify [--json] [--strict]\n"
"                 [--since CHECKPOINT [-p PUBKEY] [--origin NAME]]\n"
"       cp-ledger [-C DIR] verify --checkpoint [--json] [--strict]\n"
"       cp-ledger [-C DIR] [-f PATH] [--base NAME] head [--json] [--origin NAME]\n"
"                 [--sign SECKEY]\n"
"       cp-ledger vkey -p PUBKEY [--origin NAME]\n"
"       cp-ledger [-C DIR] [-f PATH] [--base NAME] cat [--canonical]\n"
"       cp-ledger [-C DIR] [-f PATH] repair [--json]\n"
"\n"
"The ledger is PATH (a ledger directory or one segment file), else the\n"
"ledger/ directory of the plane (-C DIR, else $CONTROL_PLANE_ROOT, else .).\n"
"\n"
"  append           append the event read on standard input (a JSON object),\n"
"                   or the one the field options give; print the entry\n"
"    --batch        append every event of standard input (JSON Lines), all or none\n"
"    --rotate-bytes N  start a new segment when the last would pass N bytes\n"
"    --event-type, --submission-id, --decision, --reason STRING\n"
"    --prompt ID    add ID to prompts_used (repeatable)\n"
"    --metadata JSON  the metadata object\n"
"    --id ID, --timestamp TIME  fixed values, for tests only\n"
"    -q, --quiet    do not print the entries appended\n"
"  --base NAME      read the segments NAME.jsonl and NAME-*.jsonl of a ledger\n"
"                   directory (default governance): packages, kernel\n"
"  verify           recompute every entry_hash and check every link\n"
"    --strict       blank lines, and legacy entries after the chain began, fail\n"
"    --since FILE   also prove the ledger extends the checkpoint in FILE\n"
"    -p PUBKEY      first check FILE's note signature by this signify key\n"
"    --origin NAME  the checkpoint must be NAME's (with -p: the key name)\n"
"    --checkpoint   also prove the plane's ledger extends the plane's own\n"
"                   checkpoint, ledger/checkpoint (when there is one), signed\n"
"                   by a key of registries/keys/ when signed or required\n"
"  head             print a checkpoint: C2SP tlog-checkpoint text, or --json\n"
"    --origin NAME  the checkpoint's origin line (default localhost/cp-ledger)\n"
"    --sign SECKEY  sign it as a C2SP signed note (key name: the origin) with\n"
"                   an unencrypted signify secret key kept outside the plane\n"
"  vkey             print the C2SP verifier key of PUBKEY named NAME (the origin)\n"
"  cat              print every entry in chain order (JSON Lines)\n"
"    --canonical    print the canonical text each entry_hash is computed over\n"
"  repair           move a torn or malformed last line aside so that appends\n"
"                   can resume\n"
"  --json           machine-readable report\n"
"  -h, --help       print this help\n"
"      --version    print the version\n"
"\n"
"Exit status: 0 success (verify: intact), 1 verify found a problem, the\n"
"checkpoint is not a prefix or its note is not signed by PUBKEY, 2 an error\n"
"(unreadable ledger, malformed checkpoint or note, bad input, usage).\n";

enum {
	OPT_BATCH = 256, OPT_ROTATE, OPT_EVENT_TYPE, OPT_SUBMISSION_ID, OPT_DECISION,
	OPT_REASON, OPT_PROMPT, OPT_METADATA, OPT_ID, OPT_TIMESTAMP, OPT_JSON, OPT_SINCE,
	OPT_ORIGIN, OPT_CANONICAL, OPT_VERSION, OPT_JANSSON, OPT_SIGN, OPT_BASE, OPT_STRICT,
	OPT_CHECKPOINT
};

enum verb { APPEND, VERIFY, HEAD, CAT, REPAIR, VKEY };

static const struct {
	const char *name;
	enum verb verb;
	int json;		/* takes --json */
} verbs[] = {
	{ "append", APPEND, 0 },
	{ "verify", VERIFY, 1 },
	{ "head", HEAD, 1 },
	{ "cat", CAT, 0 },
	{ "repair", REPAIR, 1 },
	{ "vkey", VKEY, 0 },
};

static const struct option longopts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "batch", no_argument, NULL, OPT_BATCH },
	{ "rotate-bytes", required_argument, NULL, OPT_ROTATE },
	{ "event-type", required_argument, NULL, OPT_EVENT_TYPE },
	{ "submission-id", required_argument, NULL, OPT_SUBMISSION_ID },
	{ "decision", required_argument, NULL, OPT_DECISION },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "prompt", required_argument, NULL, OPT_PROMPT },
	{ "metadata", required_argument, NULL, OPT_METADATA },
	{ "id", required_argument, NULL, OPT_ID },
	{ "timestamp", required_argument, NULL, OPT_TIMESTAMP },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "origin", required_argument, NULL, OPT_ORIGIN },
	{ "sign", required_argument, NULL, OPT_SIGN },
	{ "canonical", no_argument, NULL, OPT_CANONICAL },
	{ "base", required_argument, NULL, OPT_BASE },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "checkpoint", no_argument, NULL, OPT_CHECKPOINT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	/* Tests only, not in the help: parse with jansson alone, the reference reader. */
	{ "jansson", no_argument, NULL, OPT_JANSSON },
	{ NULL, 0, NULL, 0 }
};

/* The event the field options give (--event-type ... --metadata), built when append runs. */
struct fields {
	int given;		/* 1 when any field option was */
	const char *event_type, *submission_id, *decision, *reason;	/* NULL when not given */
	const char **prompt;
	size_t nprompt;
	const char *metadata;	/* JSON text jansson accepted, or NULL */
};

struct opts {
	const char *path;
	int batch, quiet, json, canonical, strict, checkpoint;
	unsigned reader;	/* CP_LEDGER_REFERENCE with --jansson */
	struct cp_append_opts ledger;
	struct fields fields;
	const char *since, *origin;
	int origin_given;	/* --origin was */
	const char *sign, *pub;	/* --sign SECKEY, -p PUBKEY */
	const char *root;	/* -C DIR, or NULL */
	int path_given;		/* -f PATH was */
	const char *base;	/* --base: the segments' family, NULL for governance */
};

#define EVENT_MAX (2 * CP_LEDGER_LINE_MAX)	/* one event read whole from standard input */

static json_t *
parse_json(const char *text, size_t len, const char *where)
{
	json_error_t e;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);

	if (v == NULL)
		errx(CP_EXIT_ERR, "%s: invalid JSON at line %d, column %d: %s", where, e.line,
		    e.column, e.text);
	return v;
}

/* Events: one, the whole of standard input (or the field options'), or a batch of JSON Lines. */
struct batch {
	unsigned reader;
	struct cp_jtree tree;		/* the event last read */
	struct cp_io_reader rd;		/* standard input, in batch mode */
	uint64_t lineno;
	const struct cp_jnode *single;
};

/* Parse text[0..len) into b's tree; NULL with *e as jansson fills it when the text is not JSON. */
static const struct cp_jnode *
load(struct batch *b, const char *text, size_t len, json_error_t *e)
{
	return cp_jtree_load(&b->tree, text, len,
	    b->reader & CP_LEDGER_REFERENCE ? CP_JTREE_REFERENCE : 0, e);
}

static const struct cp_jnode *
read_event(struct batch *b)
{
	struct cp_buf in = CP_BUF_INIT;
	const struct cp_jnode *v;
	json_error_t e;
	size_t n;

	do {
		cp_buf_grow(&in, 65536);
		n = fread(in.data + in.len, 1, 65536, stdin);
		in.len += n;
		if (in.len > EVENT_MAX)
			errx(CP_EXIT_ERR, "standard input: event longer than %d bytes", EVENT_MAX);
	} while (n > 0);
	if (ferror(stdin))
		err(CP_EXIT_ERR, "standard input");
	if (in.len == 0)
		errx(CP_EXIT_ERR, "standard input: no event (a JSON object) to append");
	if ((v = load(b, in.data, in.len, &e)) == NULL)
		errx(CP_EXIT_ERR, "standard input: invalid JSON at line %d, column %d: %s", e.line,
		    e.column, e.text);
	cp_buf_free(&in);
	return v;
}

static int
next_event(void *arg, const struct cp_jnode **event, struct cp_err *e)
{
	struct batch *b = arg;
	json_error_t je;
	char *rec;
	size_t len, i;
	int ended, rc;

	if (b->single != NULL) {
		*event = b->single;
		b->single = NULL;
		return 1;
	}
	for (;;) {
		rc = cp_io_reader_getrec(&b->rd, '\n', CP_LEDGER_LINE_MAX, &rec, &len, &ended);
		b->lineno++;
		if (rc == 0)
			return 0;
		if (rc == -1) {
			return cp_err_set(e, errno, "standard input");
		}
		if (rc == -2) {
			return cp_err_set(e, 0, "standard input:%llu: event longer than %d bytes",
			    (unsigned long long)b->lineno, CP_LEDGER_LINE_MAX);
		}
		for (i = 0; i < len && strchr(" \t\r", rec[i]) != NULL; i++)
			;
		if (i < len)
			break;
	}
	if ((*event = load(b, rec, len, &je)) == NULL)
		return cp_err_set(e, 0, "standard input:%llu: invalid JSON at column %d: %s",
		    (unsigned long long)b->lineno, je.column, je.text);
	if (cp_append_check(*event, e) == -1)
		return cp_err_prefix(e, "standard input:%llu", (unsigned long long)b->lineno);
	return 1;
}

/*
 * The event of the field options, through the event builder.  Each piece
 * is JSON already (--metadata was parsed when given), so the text can only
 * fail to load by nesting: metadata sits one level deeper in the event.
 */
static const struct cp_jnode *
fields_event(struct batch *b, const struct fields *f)
{
	const struct cp_jnode *v;
	struct cp_event ev;
	struct cp_err e;
	json_error_t je;

	if (cp_event_begin(&ev, f->event_type, f->submission_id, f->decision, f->reason, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	for (size_t i = 0; i < f->nprompt; i++)
		cp_event_prompt(&ev, f->prompt[i]);
	if (f->metadata != NULL)
		cp_event_metadata_raw(&ev, f->metadata, strlen(f->metadata));
	if (cp_event_end(&ev, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if ((v = load(b, ev.text, ev.len, &je)) == NULL)
		errx(CP_EXIT_ERR, "--metadata: nested deeper than %d levels", CP_JTREE_DEPTH_MAX);
	cp_event_free(&ev);
	return v;
}

static void
print_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	fwrite(line, 1, len, stdout);
	putchar('\n');
}

static int
mode_append(const struct opts *o)
{
	struct batch b = { .reader = o->reader };
	struct cp_err e;
	int rc;

	cp_io_reader_init(&b.rd, STDIN_FILENO);

	if (!o->batch) {
		b.single = o->fields.given ? fields_event(&b, &o->fields) : read_event(&b);
		if (cp_append_check(b.single, &e) == -1)
			errx(CP_EXIT_ERR, "%s: %s", o->fields.given ? "event" : "standard input", e.msg);
	}
	rc = cp_append_batch(o->path, &o->ledger, next_event, &b,
	    o->quiet ? NULL : print_line, NULL, NULL, &e);
	cp_io_reader_free(&b.rd);
	cp_jtree_free(&b.tree);
	if (rc == -1)
		errx(CP_EXIT_ERR, "%s; nothing appended", e.msg);
	return CP_EXIT_YES;
}

static const char *const kind_name[] = {
	[CP_LEDGER_TAMPERED] = "tampered",
	[CP_LEDGER_CHAIN_BREAK] = "chain_break",
	[CP_LEDGER_DUPLICATE] = "duplicate",
	[CP_LEDGER_BAD_LINE] = "malformed",
	[CP_LEDGER_TORN] = "torn_tail",
	[CP_LEDGER_LEGACY_WARN] = "legacy",
	[CP_LEDGER_BLANK_WARN] = "blank"
};

struct report {
	const struct opts *o;
	int nfindings;
};

/* A finding of verify --json: each on a line of its own, written as it is found. */
static void
finding_json(struct report *r, const struct cp_ledger_finding *f)
{
	struct cp_json w;

	fputs(r->nfindings++ ? ",\n" : "\n", stdout);
	cp_json_init(&w, stdout);
	cp_json_obj(&w);
	cp_json_kstr(&w, "kind", kind_name[f->kind]);
	cp_json_kstr(&w, "severity", f->warning ? "warning" : "error");
	cp_json_kstr(&w, "segment", f->segment);
	cp_json_kuint(&w, "line", f->lineno);
	cp_json_kstr(&w, "id", f->id);
	if (f->expected != NULL || f->actual != NULL) {
		cp_json_kstr(&w, "expected", f->expected);
		cp_json_kstr(&w, "actual", f->actual);
	}
	if (f->names_segment != NULL) {
		cp_json_kstr(&w, "names_segment", f->names_segment);
		cp_json_kuint(&w, "names_line", f->names_lineno);
	}
	if (f->detail != NULL)
		cp_json_kstr(&w, "detail", f->detail);
	cp_json_end(&w);
}

static void
finding_text(const struct cp_ledger_finding *f)
{
	struct cp_buf b = CP_BUF_INIT;

	cp_finding_text(&b, f, NULL);
	cp_buf_addc(&b, '\n');
	fwrite(b.data, 1, b.len, stdout);
	cp_buf_free(&b);
}

static void
on_finding(void *arg, const struct cp_ledger_finding *f)
{
	struct report *r = arg;

	if (r->o->json)
		finding_json(r, f);
	else
		finding_text(f);
}

/* What -p and --origin found of the checkpoint, before any proof. */
enum since_verdict { SINCE_OK, SINCE_ORIGIN, SINCE_UNSIGNED, SINCE_BADSIG };

struct since {
	struct cp_checkpoint c;
	enum since_verdict verdict;
	int signed_checked;		/* -p was given: key and key_id are set */
	const char *key;		/* the key name: --origin, else the checkpoint's origin */
	char key_id[2 * CP_NOTE_KEYIDLEN + 1];
};

/* Read the checkpoint file path whole (at most CP_NOTE_MAX bytes) into b. */
static void
read_checkpoint(const char *path, struct cp_buf *b)
{
	FILE *fp;
	size_t n;

	if ((fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "re")) == NULL)
		err(CP_EXIT_ERR, "%s", path);
	do {
		cp_buf_grow(b, 4096);
		n = fread(b->data + b->len, 1, 4096, fp);
		b->len += n;
		if (b->len > CP_NOTE_MAX)
			errx(CP_EXIT_ERR, "%s: too long for a checkpoint", path);
	} while (n > 0);
	if (ferror(fp))
		err(CP_EXIT_ERR, "%s", path);
	if (fp != stdin)
		fclose(fp);
	cp_buf_grow(b, 1);
	b->data[b->len] = '\0';
}

/*
 * With -p: the file is a signed note; its text is the checkpoint, signed by
 * PUBKEY under the key name (the origin).  The spec says a note's text is
 * to be ignored until a trusted key's signature verifies, so the verdict
 * comes before anything is proved.
 */
static void
check_note(const struct opts *o, const char *path, const char *text, size_t len,
    struct since *sn)
{
	struct cp_signify_pub pub;
	struct cp_note *n = xmalloc(sizeof(*n));
	unsigned char id[CP_NOTE_KEYIDLEN];
	struct cp_err e;
	int rc;

	if (cp_note_parse(text, len, n, &e) == -1 ||
	    cp_checkpoint_parse(n->text, n->textlen, &sn->c, &e) == -1)
		errx(CP_EXIT_ERR, "%s: %s", path, e.msg);
	if (cp_signify_load_pub(o->pub, &pub, NULL, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	sn->signed_checked = 1;
	sn->key = o->origin_given ? o->origin : sn->c.origin;
	if (cp_note_keyid(sn->key, pub.key, id, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	cp_hex_encode(id, sizeof(id), sn->key_id);
	/* The origin is read before the signature is known good: only compared, never trusted. */
	if (o->origin_given && strcmp(sn->c.origin, o->origin) != 0)
		sn->verdict = SINCE_ORIGIN;
	else {
		if ((rc = cp_note_verify(n, sn->key, &pub, &e)) == -1)
			errx(CP_EXIT_ERR, "%s", e.msg);
		sn->verdict = rc == CP_NOTE_VERIFIED ? SINCE_OK :
		    rc == CP_NOTE_UNSIGNED ? SINCE_UNSIGNED : SINCE_BADSIG;
	}
	free(n);
}

/*
 * Read the checkpoint saved in path: C2SP note text (signature lines
 * ignored), or the JSON that head --json prints; with -p a signed note.
 */
static void
load_checkpoint(const struct opts *o, const char *path, struct since *sn)
{
	struct cp_buf b = CP_BUF_INIT;
	struct cp_err e;
	const char *text;
	size_t n;
	json_t *v, *jo, *s, *r;

	read_checkpoint(path, &b);
	text = b.data;
	if (b.len > 0 && text[strspn(text, " \t\r\n")] == '{') {
		if (o->pub != NULL)
			errx(CP_EXIT_ERR, "%s: -p checks a signed note (head --sign), not head "
			    "--json's object", path);
		v = parse_json(text, b.len, path);
		jo = json_object_get(v, "origin");
		s = json_object_get(v, "size");
		r = json_object_get(v, "root");
		if (!json_is_string(jo) || !json_is_integer(s) || json_integer_value(s) < 0 ||
		    !json_is_string(r))
			errx(CP_EXIT_ERR, "%s: a checkpoint object needs origin, size and root", path);
		cp_buf_reset(&b);
		cp_buf_adds(&b, json_string_value(jo));
		cp_buf_addc(&b, '\n');
		n = b.len;
		cp_buf_grow(&b, 24);
		b.len += (size_t)snprintf(b.data + n, 24, "%lld\n", (long long)json_integer_value(s));
		cp_buf_adds(&b, json_string_value(r));
		cp_buf_addc(&b, '\n');
		json_decref(v);
	}
	sn->verdict = SINCE_OK;
	if (o->pub != NULL)
		check_note(o, path, b.data, b.len, sn);
	else {
		if (cp_checkpoint_parse(b.data, b.len, &sn->c, &e) == -1)
			errx(CP_EXIT_ERR, "%s: %s", path, e.msg);
		if (o->origin_given && strcmp(sn->c.origin, o->origin) != 0)
			sn->verdict = SINCE_ORIGIN;
	}
	cp_buf_free(&b);
}

/* The verdict of -p and --origin when it is not SINCE_OK: printed, and verify ends with 1. */
static int
since_refused(const struct opts *o, const struct since *sn)
{
	static const char *const word[] = {
		[SINCE_ORIGIN] = "another_origin", [SINCE_UNSIGNED] = "missing",
		[SINCE_BADSIG] = "bad"
	};
	struct cp_json w;
	char b64[45];

	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_key(&w, "since");
		cp_json_obj(&w);
		cp_json_kstr(&w, "origin", sn->c.origin);
		cp_json_kuint(&w, "size", sn->c.size);
		cp_checkpoint_b64(sn->c.root, b64);
		cp_json_kstr(&w, "root", b64);
		if (o->origin_given)
			cp_json_kstr(&w, "expected_origin", o->origin);
		if (sn->signed_checked) {
			cp_json_kstr(&w, "key_name", sn->key);
			cp_json_kstr(&w, "key_id", sn->key_id);
		}
		cp_json_kstr(&w, "signature", word[sn->verdict]);
		cp_json_end(&w);
		cp_json_kbool(&w, "intact", 0);
		cp_json_endl(&w);
	} else if (sn->verdict == SINCE_ORIGIN)
		printf("NOT the checkpoint of %s: its origin is %s\n", o->origin, sn->c.origin);
	else
		printf("NOT signed by %s+%s (%s): %s\n", sn->key, sn->key_id, o->pub,
		    sn->verdict == SINCE_UNSIGNED ? "the note holds no signature of this key" :
		    "the signature does not verify (the note was altered, or signed by another key)");
	return CP_EXIT_NO;
}

/* Does the ledger (its leaf hashes) extend the checkpoint c?  Prints the answer; returns 1 if not. */
static int
check_since(const struct opts *o, const struct since *sn, const struct cp_ledger_summary *s,
    struct cp_json *w)
{
	const struct cp_checkpoint *c = &sn->c;
	unsigned char root[32], *proof = NULL, old[32];
	char b64[45];
	size_t len = 0;
	int ok;

	if (cp_merkle_root(&s->tree, root) == -1)
		err(CP_EXIT_ERR, "merkle");
	if (c->size > s->entries)
		ok = 0;
	else if (c->size == 0) {
		if (cp_merkle_root_of(NULL, 0, old) == -1)
			err(CP_EXIT_ERR, "merkle");
		ok = memcmp(old, c->root, 32) == 0;
	} else {
		struct cp_err e;

		if (cp_merkle_consistency_proof(s->leaves, s->entries, c->size, &proof, &len, &e) == -1 ||
		    (ok = cp_merkle_verify_consistency(c->size, s->entries, c->root, root, proof, len,
		    &e)) == -1)
			errx(CP_EXIT_ERR, "%s", e.msg);
	}
	if (o->json) {
		cp_json_key(w, "since");
		cp_json_obj(w);
		cp_json_kstr(w, "origin", c->origin);
		cp_json_kuint(w, "size", c->size);
		cp_checkpoint_b64(c->root, b64);
		cp_json_kstr(w, "root", b64);
		if (sn->signed_checked) {
			cp_json_kstr(w, "key_name", sn->key);
			cp_json_kstr(w, "key_id", sn->key_id);
			cp_json_kstr(w, "signature", "verified");
		}
		cp_json_kbool(w, "consistent", ok);
		cp_json_key(w, "proof");
		cp_json_arr(w);
		for (size_t i = 0; ok && i < len; i++) {
			cp_checkpoint_b64(proof + 32 * i, b64);
			cp_json_str(w, b64);
		}
		cp_json_end(w);
		cp_json_end(w);
	} else if (ok)
		printf("consistent with the checkpoint of %llu entries: the ledger only grew\n",
		    (unsigned long long)c->size);
	else if (c->size > s->entries)
		printf("NOT consistent with the checkpoint: it holds %llu entries, the ledger %llu "
		    "(entries were removed)\n", (unsigned long long)c->size,
		    (unsigned long long)s->entries);
	else
		printf("NOT consistent with the checkpoint of %llu entries: entries before it were "
		    "removed, altered or reordered\n", (unsigned long long)c->size);
	free(proof);
	return !ok;
}

/*
 * --checkpoint: the plane's own checkpoint (plane/lcheck: its policy and
 * trusted keys).  Returns 1 with sn set, 0 when the plane has none, or
 * prints the refusal and returns -1.
 */
static int
plane_checkpoint(const struct opts *o, struct since *sn)
{
	const char *dir = cp_layout_root(o->root);
	struct cp_lcheck k;
	struct cp_json w;
	struct cp_err e;
	char *root;
	int fd, rc;

	if ((root = cp_abspath_resolve(dir)) == NULL)
		err(CP_EXIT_ERR, "%s", dir);
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(CP_EXIT_ERR, "%s", root);
	rc = cp_lcheck_load(fd, root, &k, &e);
	close(fd);
	free(root);
	if (rc == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (rc == 0) {
		if (!o->json)
			printf("no checkpoint in the plane (ledger/%s): the chain alone is verified\n",
			    CP_LCHECK_FILE);
		return 0;
	}
	if (k.refused) {
		if (o->json) {
			cp_json_init(&w, stdout);
			cp_json_obj(&w);
			cp_json_key(&w, "checkpoint");
			cp_json_obj(&w);
			cp_json_kstr(&w, "file", "ledger/" CP_LCHECK_FILE);
			cp_json_kstr(&w, "refused", k.why);
			cp_json_end(&w);
			cp_json_kbool(&w, "intact", 0);
			cp_json_endl(&w);
		} else
			printf("NOT the plane's checkpoint: ledger/%s: %s\n", CP_LCHECK_FILE, k.why);
		return -1;
	}
	memset(sn, 0, sizeof(*sn));
	sn->c = k.c;
	sn->verdict = SINCE_OK;
	if (strcmp(k.signature, "verified") == 0) {
		sn->signed_checked = 1;
		sn->key = sn->c.origin;
		memcpy(sn->key_id, k.key_id, sizeof(sn->key_id));
		if (!o->json)
			printf("ledger/%s signed by %s+%s (registries/keys/%s.pub): the signature "
			    "verifies\n", CP_LCHECK_FILE, sn->key, sn->key_id, k.key);
	} else if (!o->json)
		printf("ledger/%s is not signed by a trusted key\n", CP_LCHECK_FILE);
	return 1;
}

static int
mode_verify(const struct opts *o)
{
	struct report r = { o, 0 };
	struct cp_json w;
	struct cp_ledger_summary s;
	struct since sn;
	unsigned char root[32];
	struct cp_err e;
	char b64[45];
	int rc, since_bad = 0, since_on = o->since != NULL;

	if (o->checkpoint) {
		if ((rc = plane_checkpoint(o, &sn)) == -1)
			return CP_EXIT_NO;
		since_on = rc == 1;
	}
	if (o->since != NULL) {
		load_checkpoint(o, o->since, &sn);
		if (sn.verdict != SINCE_OK)
			return since_refused(o, &sn);
		if (sn.signed_checked && !o->json)
			printf("signed by %s+%s: the signature verifies\n", sn.key, sn.key_id);
	}
	cp_json_init(&w, stdout);
	if (o->json) {
		cp_json_obj(&w);
		cp_json_key(&w, "findings");
		cp_json_arr(&w);
	}
	/* Only --json prints the root, and --since proves with the leaves. */
	rc = cp_ledger_verify_family(o->path, o->base, o->reader |
	    (o->strict ? CP_LEDGER_STRICT : 0) |
	    (since_on ? CP_LEDGER_KEEP_LEAVES : 0) | (o->json || since_on ? 0 : CP_LEDGER_NO_TREE),
	    on_finding, &r, &s, &e);
	if (rc == -1) {
		cp_ledger_summary_free(&s);
		errx(CP_EXIT_ERR, "%s", e.msg);
	}
	/* A directory without one segment of the family is not an empty ledger but none. */
	if (s.segments == 0) {
		cp_ledger_summary_free(&s);
		errx(CP_EXIT_ERR, "no ledger in %s (no %s.jsonl or %s-*.jsonl)", o->path,
		    o->base ? o->base : "governance", o->base ? o->base : "governance");
	}
	if (cp_merkle_root(&s.tree, root) == -1)
		err(CP_EXIT_ERR, "merkle");
	cp_checkpoint_b64(root, b64);
	if (o->json) {
		cp_json_end(&w);
		cp_json_key(&w, "segments");
		cp_json_arr(&w);
		for (size_t i = 0; i < s.segments; i++)
			cp_json_str(&w, s.segment[i]);
		cp_json_end(&w);
		cp_json_kuint(&w, "entries", s.entries);
		cp_json_kuint(&w, "legacy", s.legacy);
		cp_json_kuint(&w, "problems", s.problems);
		cp_json_kuint(&w, "warnings", s.warnings);
		/* As stored: a tampered last entry's hash may hold anything. */
		cp_json_kstr(&w, "head", s.head);
		cp_json_kuint(&w, "size", s.entries);
		cp_json_kstr(&w, "root", b64);
	}
	if (since_on)
		since_bad = check_since(o, &sn, &s, &w);
	if (o->json) {
		cp_json_kbool(&w, "intact", rc == 0 && !since_bad);
		cp_json_endl(&w);
	}
	else if (rc == 0 && since_bad)
		printf("NOT intact: the chain of its %llu entries holds, but it does not extend the "
		    "checkpoint\n", (unsigned long long)s.entries);
	else if (rc == 0)
		printf("intact: %llu entries in %zu segment%s, head %s\n",
		    (unsigned long long)s.entries, s.segments, s.segments == 1 ? "" : "s",
		    *s.head ? s.head : "(none)");
	else
		printf("NOT intact: %llu problem%s in %llu entries (%zu segment%s)\n",
		    (unsigned long long)s.problems, s.problems == 1 ? "" : "s",
		    (unsigned long long)s.entries, s.segments, s.segments == 1 ? "" : "s");
	cp_ledger_summary_free(&s);
	return rc == 0 && !since_bad ? CP_EXIT_YES : CP_EXIT_NO;
}

/* A secret key must not lie in dir (what names it); errx if it does. */
static void
key_outside(const char *dir, const char *what, const char *key)
{
	char *d, *k;

	if ((d = cp_abspath_resolve(dir)) == NULL)
		err(CP_EXIT_ERR, "%s", dir);
	if ((k = cp_abspath_resolve(key)) == NULL)
		err(CP_EXIT_ERR, "%s", key);
	if (cp_abspath_within(d, k))
		errx(CP_EXIT_ERR, "secret key %s is inside the %s %s: keep signing keys out of it",
		    k, what, d);
	free(d);
	free(k);
}

/*
 * Load --sign's key: never from inside the plane (-C DIR or
 * $CONTROL_PLANE_ROOT, else, when the ledger is the plane's, the current
 * directory) nor the ledger's directory, never readable by others.
 */
static void
load_signing_key(const struct opts *o, struct cp_signify_sec *sec)
{
	const char *env = getenv("CONTROL_PLANE_ROOT");
	struct cp_err e;
	struct stat st;
	char *dir, *slash;

	if (strcmp(o->sign, "-") == 0)
		errx(CP_EXIT_ERR, "--sign: give the secret key's file, not standard input");
	if (!o->path_given || o->root != NULL || (env != NULL && *env != '\0'))
		key_outside(cp_layout_root(o->root), "plane", o->sign);
	/* The ledger's directory: PATH itself, or the directory of a segment file. */
	dir = xstrdup(o->path);
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		if ((slash = strrchr(dir, '/')) == NULL)
			strcpy(dir, ".");
		else if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	key_outside(dir, "ledger directory", o->sign);
	free(dir);
	if (cp_signify_load_sec_private(o->sign, sec, NULL, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
}

static int
mode_head(const struct opts *o)
{
	struct cp_ledger_summary s;
	struct cp_checkpoint c = { 0 };
	struct cp_signify_sec sec;
	struct cp_err e;
	struct cp_json w;
	char b64[45], *text, *note = NULL, *vkey = NULL;
	size_t len;
	int rc;

	if (o->sign != NULL)
		load_signing_key(o, &sec);
	rc = cp_ledger_verify_family(o->path, o->base, o->reader, NULL, NULL, &s, &e);
	if ((rc == -1 || rc == 1) && o->sign != NULL)
		cp_signify_sec_wipe(&sec);
	if (rc == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (rc == 1) {
		warnx("%s: %llu problem%s: no checkpoint of a ledger that does not verify "
		    "(see cp-ledger verify)", o->path, (unsigned long long)s.problems,
		    s.problems == 1 ? "" : "s");
		cp_ledger_summary_free(&s);
		return CP_EXIT_NO;
	}
	snprintf(c.origin, sizeof(c.origin), "%s", o->origin);
	c.size = s.entries;
	if (cp_merkle_root(&s.tree, c.root) == -1)
		err(CP_EXIT_ERR, "merkle");
	if (o->sign != NULL) {
		/* The key name is the origin, as tlog-checkpoint recommends. */
		text = cp_checkpoint_format(&c);
		note = cp_note_sign(text, strlen(text), c.origin, &sec, &len, &e);
		if (note != NULL)
			vkey = cp_note_vkey(c.origin, sec.seckey + CP_SIGNIFY_SEEDLEN, &e);
		cp_signify_sec_wipe(&sec);
		free(text);
		if (note == NULL || vkey == NULL)
			errx(CP_EXIT_ERR, "%s", e.msg);
	}
	if (o->json) {
		cp_checkpoint_b64(c.root, b64);
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_kstr(&w, "origin", c.origin);
		cp_json_kuint(&w, "size", c.size);
		cp_json_kstr(&w, "root", b64);
		cp_json_key(&w, "root_hex");
		cp_json_hex(&w, c.root, 32);
		cp_json_kstr(&w, "head", s.head);
		cp_json_kuint(&w, "segments", s.segments);
		if (note != NULL) {
			cp_json_kstr(&w, "note", note);
			cp_json_kstr(&w, "vkey", vkey);
		}
		cp_json_endl(&w);
	} else if (note != NULL)
		fputs(note, stdout);
	else {
		text = cp_checkpoint_format(&c);
		fputs(text, stdout);
		free(text);
	}
	free(note);
	free(vkey);
	cp_ledger_summary_free(&s);
	return CP_EXIT_YES;
}

/* The C2SP verifier key of -p's public key under the key name --origin. */
static int
mode_vkey(const struct opts *o)
{
	struct cp_signify_pub pub;
	struct cp_err e;
	char *vkey;

	if (cp_signify_load_pub(o->pub, &pub, NULL, &e) == -1 ||
	    (vkey = cp_note_vkey(o->origin, pub.key, &e)) == NULL)
		errx(CP_EXIT_ERR, "%s", e.msg);
	puts(vkey);
	free(vkey);
	return CP_EXIT_YES;
}

static int
mode_cat(const struct opts *o)
{
	struct cp_ledger *l;
	const struct cp_ledger_line *ln;
	struct cp_buf b = CP_BUF_INIT;
	struct cp_err e;
	int rc, status = CP_EXIT_YES;

	if (cp_ledger_open_family(&l, o->path, o->base, o->reader, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	while ((rc = cp_ledger_read(l, &ln, &e)) == 1) {
		if (ln->kind == CP_LEDGER_BLANK)
			continue;
		if (ln->kind == CP_LEDGER_MALFORMED) {
			warnx("%s:%llu: %s%s", ln->segment, (unsigned long long)ln->lineno,
			    ln->last && !ln->ended ? "torn tail: " : "malformed line: ", ln->detail);
			status = CP_EXIT_ERR;
			continue;
		}
		if (o->canonical) {
			cp_buf_reset(&b);
			cp_canon_dump(&b, ln->entry, CP_CANON_SORT_KEYS, "entry_hash");
			fwrite(b.data, 1, b.len, stdout);
		} else
			fwrite(ln->text, 1, ln->len, stdout);
		putchar('\n');
	}
	cp_buf_free(&b);
	cp_ledger_close(l);
	if (rc == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	return status;
}

static int
mode_repair(const struct opts *o)
{
	struct cp_repair r;
	struct cp_json w;
	struct cp_err e;

	if (cp_repair(o->path, &r, &e) == -1)
		errx(CP_EXIT_ERR, "%s", e.msg);
	if (o->json) {
		cp_json_init(&w, stdout);
		cp_json_obj(&w);
		cp_json_kbool(&w, "repaired", r.repaired);
		cp_json_kbool(&w, "completed", r.completed);
		cp_json_kbool(&w, "malformed", r.malformed);
		if (r.repaired) {
			cp_json_kstr(&w, "segment", r.segment);
			cp_json_kuint(&w, "offset", r.offset);
			cp_json_kuint(&w, "bytes", r.bytes);
			cp_json_kstr(&w, "sidefile", r.sidefile[0] ? r.sidefile : NULL);
		}
		cp_json_endl(&w);
	} else if (!r.repaired)
		puts("nothing to repair: the last line is whole");
	else if (r.completed)
		printf("%s: the last entry was whole but for its newline, now added\n", r.segment);
	else
		printf("%s: %llu %s bytes from byte %llu moved to %s\n", r.segment,
		    (unsigned long long)r.bytes, r.malformed ? "malformed" : "torn",
		    (unsigned long long)r.offset, r.sidefile);
	return CP_EXIT_YES;
}

/* A field option's string (name as the event spells it) into *slot. */
static void
set_field(struct fields *f, const char **slot, const char *name, const char *value)
{
	if (!cp_utf8_valid(value, strlen(value), NULL))
		errx(CP_EXIT_ERR, "--%s: not valid UTF-8", name);
	*slot = value;
	f->given = 1;
}

static void
add_prompt(struct fields *f, const char *id)
{
	f->prompt = xreallocarray(f->prompt, f->nprompt + 1, sizeof(*f->prompt));
	set_field(f, &f->prompt[f->nprompt++], "prompt", id);
}

/* The plane's ledger, named as found: "ledger/..." for the current directory. */
static char *
default_path(const char *root)
{
	if (strcmp(root, ".") == 0)
		return xstrdup(cp_layout_rel(CP_LAYOUT_LEDGER));
	return cp_layout_path(root, CP_LAYOUT_LEDGER);
}

int
main(int argc, char *argv[])
{
	struct opts o = { .origin = "localhost/cp-ledger" };
	struct fields *f = &o.fields;
	const char *root = NULL;
	char *path = NULL;
	enum verb verb;
	size_t v;
	int c, rc = CP_EXIT_ERR;

	cp_prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "C:f:p:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': root = o.root = optarg; break;
		case 'f': o.path = optarg; o.path_given = 1; break;
		case 'p': o.pub = optarg; break;
		case OPT_SIGN: o.sign = optarg; break;
		case 'q': o.quiet = 1; break;
		case OPT_BATCH: o.batch = 1; break;
		case OPT_ROTATE: o.ledger.rotate_bytes = xnum(optarg, 1, UINT64_MAX, "byte count"); break;
		case OPT_EVENT_TYPE: set_field(f, &f->event_type, "event_type", optarg); break;
		case OPT_SUBMISSION_ID: set_field(f, &f->submission_id, "submission_id", optarg); break;
		case OPT_DECISION: set_field(f, &f->decision, "decision", optarg); break;
		case OPT_REASON: set_field(f, &f->reason, "reason", optarg); break;
		case OPT_PROMPT: add_prompt(f, optarg); break;
		case OPT_METADATA:
			json_decref(parse_json(optarg, strlen(optarg), "--metadata"));
			f->metadata = optarg;
			f->given = 1;
			break;
		case OPT_ID: o.ledger.id = optarg; break;
		case OPT_TIMESTAMP: o.ledger.timestamp = optarg; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_SINCE: o.since = optarg; break;
		case OPT_ORIGIN: o.origin = optarg; o.origin_given = 1; break;
		case OPT_CANONICAL: o.canonical = 1; break;
		case OPT_JANSSON: o.reader = CP_LEDGER_REFERENCE; break;
		case OPT_BASE: o.base = optarg; break;
		case OPT_STRICT: o.strict = 1; break;
		case OPT_CHECKPOINT: o.checkpoint = 1; break;
		case 'h': cp_prog_help(help);
		case OPT_VERSION: cp_prog_version();
		default: cp_prog_usage(help);
		}
	}
	if (optind != argc - 1)
		cp_prog_usage(help);
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
		if (strcmp(argv[optind], verbs[v].name) == 0)
			break;
	if (v == sizeof(verbs) / sizeof(verbs[0])) {
		warnx("unknown command: %s", argv[optind]);
		cp_prog_usage(help);
	}
	verb = verbs[v].verb;
	if (verb != APPEND && (o.batch || o.quiet || o.ledger.rotate_bytes || f->given ||
	    o.ledger.id || o.ledger.timestamp))
		errx(CP_EXIT_ERR, "append's options are for append only");
	if (o.batch && f->given)
		errx(CP_EXIT_ERR, "--batch reads events on standard input, not from field options");
	if ((o.json && !verbs[v].json) || (o.since && verb != VERIFY) || (o.canonical && verb != CAT))
		errx(CP_EXIT_ERR, "--json, --since and --canonical go with verify, head, repair and cat");
	if (o.strict && verb != VERIFY)
		errx(CP_EXIT_ERR, "--strict goes with verify");
	if (o.checkpoint && (verb != VERIFY || o.since || o.path_given || o.base || o.pub ||
	    o.origin_given))
		errx(CP_EXIT_ERR, "--checkpoint goes with verify, and the plane's ledger alone "
		    "(no -f, --base, --since, -p or --origin)");
	if (o.sign != NULL && verb != HEAD)
		errx(CP_EXIT_ERR, "--sign goes with head");
	if (o.pub != NULL ? !(verb == VKEY || (verb == VERIFY && o.since)) : verb == VKEY)
		errx(CP_EXIT_ERR, "-p goes with vkey, and with verify --since");
	if (o.origin_given && !(verb == HEAD || verb == VKEY || (verb == VERIFY && o.since)))
		errx(CP_EXIT_ERR, "--origin goes with head, vkey and verify --since");
	if (o.base && (verb == APPEND || verb == REPAIR || verb == VKEY))
		errx(CP_EXIT_ERR, "--base goes with verify, head and cat");
	if (o.base && (*o.base == '\0' || *o.base == '.' || strchr(o.base, '/') != NULL))
		errx(CP_EXIT_ERR, "--base takes a file name without .jsonl, not %s", o.base);
	if (!cp_checkpoint_origin_ok(o.origin) || !cp_note_name_ok(o.origin, strlen(o.origin)))
		errx(CP_EXIT_ERR, "invalid origin (no white space, '+' or control characters): %s",
		    o.origin);
	if (o.path == NULL)
		o.path = path = default_path(cp_layout_root(root));
	switch (verb) {
	case APPEND: rc = mode_append(&o); break;
	case VERIFY: rc = mode_verify(&o); break;
	case HEAD: rc = mode_head(&o); break;
	case CAT: rc = mode_cat(&o); break;
	case REPAIR: rc = mode_repair(&o); break;
	case VKEY: rc = mode_vkey(&o); break;
	}
	free(f->prompt);
	free(path);
	cp_prog_exit(rc);
}
