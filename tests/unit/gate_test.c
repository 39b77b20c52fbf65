/*
 * gate_test: plane/gate, the plane engine's public API, from C.  Each round
 * copies the repository's example plane ($CP_TOP, else the argument, else
 * the current directory) into a scratch directory made in the current
 * directory (removed at the end), acts as its users through the hmac
 * provider (a secret of the test's own in CONTROL_PLANE_SHARED_SECRET) and
 * calls the operations directly: remove and install, denials (a reader, a
 * forged token, none), bad ids, refusals (not installed, a forged receipt,
 * changed, missing and unowned files, symlinked plane directories), an
 * external package, pack and update, MANIFEST.json's follow-ups, and a
 * crash at every point of an install's commit, recovered by cp_gate_open.
 * Expected answers come from outside the gate: GNU tar, sha256sum,
 * openssl, python3's csv, the ledger's lines read with jansson.  The whole
 * runs twice: with openat2 where the kernel has it, then with
 * base/beneath's O_NOFOLLOW walk forced.
 * SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "auth/auth.h"
#include "base/beneath.h"
#include "base/err.h"
#include "plane/gate.h"
#include "plane/journal.h"
#include "unit.h"

#define SECRET "gate-test-secret-0123456789abcdef"
#define PKG "PKG-FMWK-300"
#define FILE_REL "frameworks/FMWK-300_package_standard.md"
#define ARCHIVE "packages_store/PKG-FMWK-300.tar.gz"
#define INFO "installed/PKG-FMWK-300.info"
#define SUMS "installed/PKG-FMWK-300.sha256"

static char top[PATH_MAX], base[PATH_MAX], plane[PATH_MAX + 64];
static const char *mode = "";		/* "" or "walk: ", before every check's name */
static int round_no;

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void
die(const char *what)
{
	perror(what);
	exit(2);
}

/* A check whose name is formatted, after the round's mode. */
static int __attribute__((format(printf, 3, 4)))
ck(int ok, int line, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	int n = snprintf(what, sizeof(what), "%s", mode);

	va_start(ap, fmt);
	vsnprintf(what + n, sizeof(what) - (size_t)n, fmt, ap);
	va_end(ap);
	return unit_check(ok, what, __FILE__, line);
}
#define CK(cond, ...) ck((cond) != 0, __LINE__, __VA_ARGS__)

/* The plane's path of rel (one of four static buffers, in turn: two at once are fine). */
static const char *
P(const char *rel)
{
	static char buf[4][2 * PATH_MAX];
	static int next;
	char *b = buf[next++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", plane, rel);
	return b;
}

/* Run a shell command, formatted; its exit status (-1 when it did not exit). */
static int __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole output of a shell command (caller frees; NUL-terminated, *len its bytes), or NULL. */
static char * __attribute__((format(printf, 2, 3)))
capture(size_t *len, const char *fmt, ...)
{
	char cmd[8192], *buf = NULL;
	size_t n = 0, cap = 0, got;
	va_list ap;
	FILE *fp;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	if ((fp = popen(cmd, "r")) == NULL)
		return NULL;
	do {
		if (n + 65536 + 1 > cap)
			if ((buf = realloc(buf, cap = 2 * cap + 65536 + 1)) == NULL)
				die("realloc");
		got = fread(buf + n, 1, 65536, fp);
		n += got;
	} while (got > 0);
	buf[n] = '\0';
	if (pclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return buf;
}

/* The whole of a file (caller frees; NUL-terminated), or NULL when it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
	char *buf;
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(1 << 20)) == NULL)
		die("malloc");
	n = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static void
spit(const char *path, const char *s)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(s, fp) == EOF || fclose(fp) != 0)
		die(path);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Lines of the plane's ledger. */
static long
ledger_lines(void)
{
	size_t n = 0;
	char *s = slurp(P("ledger/governance.jsonl"), &n);
	long lines = 0;

	for (size_t i = 0; s != NULL && i < n; i++)
		lines += s[i] == '\n';
	free(s);
	return lines;
}

/* The last ledger entry's member key, into out (size bytes); "" when there is none. */
static const char *
last_entry(const char *key, char *out, size_t size)
{
	char *s = slurp(P("ledger/governance.jsonl"), NULL), *line;
	const char *v = NULL;
	size_t n;
	json_t *o = NULL;

	out[0] = '\0';
	if (s == NULL || (n = strlen(s)) < 2)
		goto out;
	s[n - 1] = '\0';
	line = strrchr(s, '\n');
	line = line != NULL ? line + 1 : s;
	if ((o = json_loads(line, 0, NULL)) != NULL && (v = json_string_value(json_object_get(o,
	    key))) != NULL)
		snprintf(out, size, "%s", v);
out:
	json_decref(o);
	free(s);
	return out;
}

/* The plane's state: every file outside ledger/ and .cp/, hashed (sha256sum of the listing). */
static void
tree_state(char out[65])
{
	char *s = capture(NULL, "cd '%s' && find . -path ./ledger -prune -o -path ./.cp -prune -o "
	    "\\( -type f -o -type l \\) -print | LC_ALL=C sort | xargs -d '\\n' sha256sum | "
	    "sha256sum", plane);

	if (s == NULL || strlen(s) < 64)
		die("listing the plane");
	snprintf(out, 65, "%.64s", s);
	free(s);
}

/* The SHA-256 of a file by sha256sum, into out; "" when it cannot be read. */
static void
sha256_of(const char *path, char out[65])
{
	char *s = capture(NULL, "sha256sum < '%s'", path);

	snprintf(out, 65, "%.64s", s != NULL ? s : "");
	free(s);
}

/*
 * The control-plane registry's column col of the row whose artifact_path is
 * apath, read by python3's csv (caller frees); NULL when there is none.
 */
static char *
cp_row(const char *apath, const char *col)
{
	char *s = capture(NULL, "python3 -c 'import csv, sys\n"
	    "for r in csv.DictReader(open(sys.argv[1], newline=\"\", encoding=\"utf-8\")):\n"
	    "    if r[\"artifact_path\"] == sys.argv[2]: print(r[sys.argv[3]])' "
	    "'%s' '%s' '%s'", P("registries/control_plane_registry.csv"), apath, col);
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0) {
		free(s);
		return NULL;
	}
	s[n - 1] = '\0';
	return s;
}

/* A fresh copy of the example plane, as tests/plane.bats's setup makes it. */
static void
new_plane(void)
{
	snprintf(plane, sizeof(plane), "%s/plane%d", base, ++round_no);
	if (mkdir(plane, 0755) == -1)
		die(plane);
	if (sh("cd '%s' && cp -R registries packages_store installed ledger frameworks modules '%s'/ "
	    "&& rm -f '%s'/registries/*.lock '%s'/ledger/.cp-ledger.lock", top, plane, plane,
	    plane) != 0)
		die("copying the example plane");
}

/* A gate for user (NULL: no token at all; "!": a token that does not authenticate), force or not. */
static struct cp_gate *
gate_open(const char *user, int force, struct cp_journal_report *rec, struct cp_err *e)
{
	char tok[CP_AUTH_TOKEN_MAX + 1];
	struct cp_gate_opts o = { .force = force };
	struct cp_gate *g = NULL;

	/* The provider takes the secret from the environment and unsets it: set it for each gate. */
	setenv("CONTROL_PLANE_SHARED_SECRET", SECRET, 1);
	unsetenv("CONTROL_PLANE_TOKEN");
	if (user != NULL && strcmp(user, "!") == 0)
		o.token = "alice:0000000000000000000000000000000000000000000000000000000000000000";
	else if (user != NULL) {
		if (cp_auth_token_make(SECRET, strlen(SECRET), user, tok) == -1)
			die("cp_auth_token_make");
		o.token = tok;
	}
	if (cp_gate_open(&g, plane, &o, rec, e) == -1)
		return NULL;
	return g;
}

static struct cp_gate *
gate_as(const char *user, struct cp_journal_report *rec, struct cp_err *e)
{
	return gate_open(user, 0, rec, e);
}

static int
report_zero(const struct cp_journal_report *r)
{
	return !r->journal && !r->forward && !r->back && r->steps == 0 && r->redone == 0 &&
	    r->stale == 0 && r->txid[0] == '\0' && r->ledger_id[0] == '\0';
}

/* 1 if PKG is installed as its archive says: the file as tar gives it, the receipt there. */
static int
installed_ok(void)
{
	size_t nt = 0, nf = 0;
	char *t = capture(&nt, "tar -xzOf '%s'", P(ARCHIVE)), *f = slurp(P(FILE_REL), &nf);
	int ok = t != NULL && f != NULL && nt > 0 && nt == nf && memcmp(t, f, nt) == 0 &&
	    exists(P(INFO)) && exists(P(SUMS));

	free(t);
	free(f);
	return ok;
}

static int
removed_ok(void)
{
	return !exists(P(FILE_REL)) && !exists(P(INFO)) && !exists(P(SUMS));
}

/* --- the cases ------------------------------------------------------------------ */

static void
test_token(void)
{
	char tok[CP_AUTH_TOKEN_MAX + 1], want[CP_AUTH_TOKEN_MAX + 8];
	char *mac = capture(NULL, "printf %%s alice | openssl dgst -sha256 -hmac '%s' | "
	    "sed 's/.*= //'", SECRET);

	snprintf(want, sizeof(want), "alice:%.64s", mac != NULL ? mac : "");
	CK(cp_auth_token_make(SECRET, strlen(SECRET), "alice", tok) == 0 && strcmp(tok, want) == 0,
	    "alice's token is openssl's HMAC");
	free(mac);
}

static void
test_open_recover(void)
{
	struct cp_journal_report rec;
	struct cp_gate *g;
	struct cp_err e;

	memset(&rec, 0x55, sizeof(rec));
	CK(cp_gate_recover(plane, &rec, &e) == 0 && report_zero(&rec),
	    "cp_gate_recover on a clean plane: nothing done, a report of zeros");
	CK(!exists(P(".cp/journal")), "and no journal made");
	memset(&rec, 0x55, sizeof(rec));
	g = gate_as("alice", &rec, &e);
	if (!CK(g != NULL, "cp_gate_open as alice"))
		printf("#   %s\n", e.msg);
	CK(report_zero(&rec), "cp_gate_open on a clean plane recovers nothing");
	CK(getenv("CONTROL_PLANE_SHARED_SECRET") == NULL, "the secret's variable is unset after use");
	cp_gate_close(g);
	CK(cp_gate_open(&g, P("nope"), &(struct cp_gate_opts){ 0 }, NULL, &e) == -1 && g == NULL,
	    "cp_gate_open of a missing directory fails");
	CK(cp_gate_open(&g, P("frameworks"), &(struct cp_gate_opts){ 0 }, NULL, &e) == -1 &&
	    strstr(e.msg, "not a plane") != NULL, "cp_gate_open of a directory without registries/");
}

static void
test_remove_install(void)
{
	struct cp_gate_result r = { 0 };
	struct cp_gate *g;
	struct cp_err e;
	char hex[65], dig[65], buf[256], *s;
	long n;

	if ((g = gate_as("alice", NULL, &e)) == NULL) {
		CK(0, "open as alice: %s", e.msg);
		return;
	}
	CK(installed_ok(), "the example plane has %s installed", PKG);
	/* remove refuses while an installed package depends on PKG (issue 20): its one dependent goes first */
	CK(cp_gate_remove(g, PKG, &r) == 1 && strstr(r.reason, "PKG-MOD-DOC-LINT") != NULL,
	    "remove: refused while PKG-MOD-DOC-LINT depends on it, naming it");
	cp_gate_result_free(&r);
	CK(cp_gate_remove(g, "PKG-MOD-DOC-LINT", &r) == 0, "remove the dependent PKG-MOD-DOC-LINT");
	cp_gate_result_free(&r);
	n = ledger_lines();
	CK(cp_gate_remove(g, PKG, &r) == 0 && r.exit == 0, "remove: exit 0");
	if (r.exit != 0)
		printf("#   %s: %s\n", r.status, r.reason);
	CK(r.status != NULL && strcmp(r.status, "removed") == 0 && r.changed == 1,
	    "remove: status removed, changed");
	CK(strcmp(r.operation, "remove") == 0 && r.package != NULL && strcmp(r.package, PKG) == 0 &&
	    r.user != NULL && strcmp(r.user, "alice") == 0 && strcmp(r.provider, "hmac") == 0,
	    "remove: operation, package, user alice, provider hmac");
	CK(r.nfiles == 1 && strcmp(r.files[0].path, FILE_REL) == 0, "remove: files[0] is %s", FILE_REL);
	CK(strncmp(r.ledger_id, "LED-", 4) == 0 && strlen(r.ledger_id) == 12 &&
	    strcmp(last_entry("id", buf, sizeof(buf)), r.ledger_id) == 0,
	    "remove: ledger_id LED-…, the ledger's last entry");
	CK(strcmp(last_entry("event_type", buf, sizeof(buf)), "package_remove") == 0 &&
	    strcmp(last_entry("decision", buf, sizeof(buf)), "REMOVE") == 0 && ledger_lines() == n + 1,
	    "remove: one entry, package_remove REMOVE");
	CK(removed_ok(), "remove: the file and the receipt are gone");
	s = cp_row("/" FILE_REL, "id");
	CK(s == NULL, "remove: the control-plane registry's row is gone");
	free(s);
	CK(exists(P("frameworks/FMWK-100_agent_development_standard.md")),
	    "remove: the other frameworks stay");
	cp_gate_result_free(&r);
	CK(r.reason == NULL && r.files == NULL && r.nfiles == 0, "cp_gate_result_free zeroes");

	n = ledger_lines();
	CK(cp_gate_remove(g, PKG, &r) == 1 && strcmp(r.status, "refused") == 0 && r.changed == 0 &&
	    ledger_lines() == n + 1, "remove again: refused (not installed), exit 1, ledgered");
	cp_gate_result_free(&r);

	n = ledger_lines();
	CK(cp_gate_install(g, PKG, &r) == 0 && r.exit == 0, "install: exit 0");
	if (r.exit != 0)
		printf("#   %s: %s\n", r.status, r.reason);
	CK(r.status != NULL && strcmp(r.status, "installed") == 0 && r.changed == 1,
	    "install: status installed, changed");
	CK(r.nfiles == 1 && strcmp(r.files[0].path, FILE_REL) == 0, "install: files[0] is %s",
	    FILE_REL);
	sha256_of(P(FILE_REL), hex);
	CK(r.nfiles == 1 && strcmp(r.files[0].sha256, hex) == 0,
	    "install: files[0]'s SHA-256 is sha256sum's");
	sha256_of(P(ARCHIVE), dig);
	CK(strcmp(r.digest, dig) == 0, "install: digest is the archive's sha256sum");
	CK(r.destination != NULL && strcmp(r.destination, plane) == 0, "install: destination is the plane");
	CK(strncmp(r.ledger_id, "LED-", 4) == 0 &&
	    strcmp(last_entry("id", buf, sizeof(buf)), r.ledger_id) == 0 && ledger_lines() == n + 1,
	    "install: ledger_id LED-…, one entry, the ledger's last");
	CK(strcmp(last_entry("event_type", buf, sizeof(buf)), "package_install") == 0 &&
	    strcmp(last_entry("decision", buf, sizeof(buf)), "INSTALL") == 0,
	    "install: the entry is package_install INSTALL");
	CK(installed_ok(), "install: the file holds what tar -xzOf gives, the receipt is there");
	s = slurp(P(INFO), NULL);
	snprintf(buf, sizeof(buf), "package=%s\ndigest=%s\ndestination=.\noutput_type=extension\n",
	    PKG, dig);
	CK(s != NULL && strcmp(s, buf) == 0, "install: %s names the digest and destination .", INFO);
	free(s);
	s = slurp(P(SUMS), NULL);
	snprintf(buf, sizeof(buf), "%s  %s\n", hex, FILE_REL);
	CK(s != NULL && strcmp(s, buf) == 0, "install: %s is the file's sha256sum line", SUMS);
	free(s);
	s = cp_row("/" FILE_REL, "content_hash");
	CK(s != NULL && strcmp(s, hex) == 0,
	    "install: the control-plane row is back, content_hash the file's");
	free(s);
	s = cp_row("/" FILE_REL, "id");
	CK(s != NULL && strcmp(s, "FMWK-300") == 0, "install: the row's id is FMWK-300");
	free(s);
	cp_gate_result_free(&r);

	n = ledger_lines();
	CK(cp_gate_install(g, PKG, &r) == 0 && r.exit == 0 && strcmp(r.status, "already-installed") == 0 &&
	    r.changed == 0, "install again: exit 0, already-installed, changed 0");
	CK(ledger_lines() == n && r.ledger_id[0] == '\0', "install again: nothing ledgered");
	cp_gate_result_free(&r);

	n = ledger_lines();
	CK(cp_gate_update(g, PKG, &r) == 0 && strcmp(r.status, "up-to-date") == 0 && r.changed == 0 &&
	    ledger_lines() == n, "update at the row's digest: up-to-date, nothing ledgered");
	cp_gate_result_free(&r);
	cp_gate_close(g);
}

/* Who may not: a reader, a token that does not authenticate, no token. */
static void
test_denied(void)
{
	static const char *const who[] = { "guest", "!", NULL };
	static const char *const name[] = { "a reader (guest)", "a forged token", "no token" };
	struct cp_gate_result r = { 0 };
	char before[65], after[65], buf[256];
	struct cp_gate *g;
	struct cp_err e;
	long n;

	for (int i = 0; i < 3; i++) {
		if ((g = gate_as(who[i], NULL, &e)) == NULL) {
			CK(0, "open as %s: %s", name[i], e.msg);
			continue;
		}
		tree_state(before);
		n = ledger_lines();
		CK(cp_gate_install(g, PKG, &r) == 1 && r.exit == 1 && strcmp(r.status, "denied") == 0 &&
		    r.changed == 0, "%s: install denied, exit 1", name[i]);
		CK(ledger_lines() == n + 1 &&
		    strcmp(last_entry("event_type", buf, sizeof(buf)), "authz_denied") == 0 &&
		    strcmp(last_entry("decision", buf, sizeof(buf)), "DENIED") == 0 &&
		    strcmp(last_entry("id", buf, sizeof(buf)), r.ledger_id) == 0,
		    "%s: one authz_denied entry, its id in the result", name[i]);
		cp_gate_result_free(&r);
		CK(cp_gate_remove(g, PKG, &r) == 1 && strcmp(r.status, "denied") == 0 &&
		    ledger_lines() == n + 2, "%s: remove denied and ledgered", name[i]);
		cp_gate_result_free(&r);
		CK(cp_gate_update(g, PKG, &r) == 1 && strcmp(r.status, "denied") == 0 &&
		    ledger_lines() == n + 3, "%s: update denied and ledgered", name[i]);
		cp_gate_result_free(&r);
		CK(cp_gate_manifest(g, &r) == 1 && strcmp(r.status, "denied") == 0 &&
		    ledger_lines() == n + 4, "%s: manifest denied and ledgered", name[i]);
		cp_gate_result_free(&r);
		tree_state(after);
		CK(strcmp(before, after) == 0 && installed_ok(),
		    "%s: the plane unchanged", name[i]);
		{
			/* Never the token or the secret in the ledger. */
			char *l = slurp(P("ledger/governance.jsonl"), NULL);
			CK(l != NULL && strstr(l, SECRET) == NULL &&
			    strstr(l, "0000000000000000000000000000000000000000") == NULL,
			    "%s: the ledger holds neither token nor secret", name[i]);
			free(l);
		}
		cp_gate_close(g);
	}
}

/* A bad id is a usage error: exit 2, nothing written, not even the ledger; also for a reader. */
static void
test_bad_ids(void)
{
	static const char *const bad[] = { "-x", "../x", "a b", "", "x/y", "PKG\n", NULL };
	static const char *const user[] = { "alice", "guest" };
	struct cp_gate_result r = { 0 };
	char before[65], after[65];
	struct cp_gate *g;
	struct cp_err e;
	long n;

	for (int u = 0; u < 2; u++) {
		if ((g = gate_as(user[u], NULL, &e)) == NULL) {
			CK(0, "open as %s: %s", user[u], e.msg);
			continue;
		}
		tree_state(before);
		n = ledger_lines();
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			const char *id = bad[i], *shown = id == NULL ? "(NULL)" : id[0] == '\0' ? "\"\"" :
			    strchr(id, '\n') != NULL ? "PKG\\n" : id;

			CK(cp_gate_install(g, id, &r) == 2 && r.exit == 2 &&
			    strcmp(r.status, "error") == 0 && r.changed == 0 && r.ledger_id[0] == '\0',
			    "%s: install %s: exit 2, status error, no entry", user[u], shown);
			cp_gate_result_free(&r);
			CK(cp_gate_remove(g, id, &r) == 2 && r.ledger_id[0] == '\0',
			    "%s: remove %s: exit 2", user[u], shown);
			cp_gate_result_free(&r);
			CK(cp_gate_update(g, id, &r) == 2 && r.ledger_id[0] == '\0',
			    "%s: update %s: exit 2", user[u], shown);
			cp_gate_result_free(&r);
		}
		tree_state(after);
		CK(ledger_lines() == n, "%s: bad ids: the ledger's line count unchanged", user[u]);
		CK(strcmp(before, after) == 0 && !exists(P("x")) && !exists(P("../x")),
		    "%s: bad ids: the plane unchanged", user[u]);
		cp_gate_close(g);
	}
}

/* Refusals: update of a package not installed, a forged receipt destination. */
static void
test_refused(void)
{
	struct cp_gate_result r = { 0 };
	char before[65], after[65], buf[256], dig[65], *info, *file, *now, *fnow;
	struct cp_gate *g;
	struct cp_err e;
	long n;

	if ((g = gate_as("alice", NULL, &e)) == NULL) {
		CK(0, "open as alice: %s", e.msg);
		return;
	}
	sha256_of(P(ARCHIVE), dig);
	/* PKG-EXT-HELLO: external, under $HOME, never installed here. */
	tree_state(before);
	n = ledger_lines();
	CK(cp_gate_update(g, "PKG-EXT-HELLO", &r) == 1 && r.exit == 1 &&
	    strcmp(r.status, "refused") == 0 && r.changed == 0,
	    "update of a package not installed: refused, exit 1");
	CK(ledger_lines() == n + 1 && strcmp(last_entry("decision", buf, sizeof(buf)), "REFUSED") == 0 &&
	    strcmp(last_entry("event_type", buf, sizeof(buf)), "package_update") == 0,
	    "update not installed: one package_update REFUSED entry");
	cp_gate_result_free(&r);
	CK(cp_gate_update(g, "PKG-NO-SUCH", &r) == 1 && strcmp(r.status, "refused") == 0,
	    "update of a package with no row: refused, exit 1");
	cp_gate_result_free(&r);
	tree_state(after);
	CK(strcmp(before, after) == 0, "refused updates: the plane unchanged");

	/* A receipt naming another destination than the row routes to. */
	info = slurp(P(INFO), NULL);
	file = slurp(P(FILE_REL), NULL);
	for (int k = 0; k < 3; k++) {
		static const char *const dest[] = { "modules", "/tmp", "../.." };
		char forged[512];

		snprintf(forged, sizeof(forged), "package=%s\ndigest=%s\ndestination=%s\n"
		    "output_type=extension\n", PKG, dig, dest[k]);
		spit(P(INFO), forged);
		tree_state(before);
		n = ledger_lines();
		CK(cp_gate_install(g, PKG, &r) == 2 && r.exit == 2 && r.changed == 0,
		    "a receipt forged to destination=%s: install refused, exit 2", dest[k]);
		CK(ledger_lines() == n + 1 && strcmp(last_entry("decision", buf, sizeof(buf)),
		    "REFUSED") == 0, "destination=%s: install: one REFUSED entry", dest[k]);
		cp_gate_result_free(&r);
		CK(cp_gate_remove(g, PKG, &r) == 2 && r.changed == 0,
		    "destination=%s: remove refused, exit 2", dest[k]);
		cp_gate_result_free(&r);
		CK(cp_gate_update(g, PKG, &r) == 2 && r.changed == 0,
		    "destination=%s: update refused, exit 2", dest[k]);
		cp_gate_result_free(&r);
		tree_state(after);
		now = slurp(P(INFO), NULL);
		fnow = slurp(P(FILE_REL), NULL);
		CK(strcmp(before, after) == 0 && now != NULL && strcmp(now, forged) == 0 &&
		    fnow != NULL && file != NULL && strcmp(fnow, file) == 0,
		    "destination=%s: the receipt and the file untouched", dest[k]);
		free(now);
		free(fnow);
	}
	if (info != NULL)
		spit(P(INFO), info);
	free(info);
	free(file);
	CK(cp_gate_install(g, PKG, &r) == 0 && strcmp(r.status, "already-installed") == 0,
	    "the receipt restored: already-installed");
	cp_gate_result_free(&r);

	/* A force gate: the forged receipt is still refused (force is about changed files). */
	{
		char forged[512];
		struct cp_gate *fg;

		snprintf(forged, sizeof(forged), "package=%s\ndigest=%s\ndestination=modules\n"
		    "output_type=extension\n", PKG, dig);
		info = slurp(P(INFO), NULL);
		spit(P(INFO), forged);
		if ((fg = gate_open("alice", 1, NULL, &e)) != NULL) {
			CK(cp_gate_remove(fg, PKG, &r) == 2 && exists(P(FILE_REL)),
			    "forced remove over a forged destination: refused, exit 2, the file stays");
			cp_gate_result_free(&r);
			CK(cp_gate_install(fg, PKG, &r) == 2,
			    "forced install over a forged destination: exit 2");
			cp_gate_result_free(&r);
		} else
			CK(0, "open with force: %s", e.msg);
		cp_gate_close(fg);
		if (info != NULL)
			spit(P(INFO), info);
		free(info);
	}
	cp_gate_close(g);
}

/* Files changed, missing, or in the way: refused without force (exit 1), done with it. */
static void
test_changed(void)
{
	struct cp_gate_result r = { 0 };
	struct cp_gate *g, *fg;
	struct cp_err e;
	char buf[256], *s, *t;
	long n;

	g = gate_as("alice", NULL, &e);
	fg = gate_open("alice", 1, NULL, &e);
	if (g == NULL || fg == NULL) {
		CK(0, "open as alice, with and without force: %s", e.msg);
		cp_gate_close(g);
		cp_gate_close(fg);
		return;
	}
	t = capture(NULL, "tar -xzOf '%s'", P(ARCHIVE));

	/* Changed since install. */
	spit(P(FILE_REL), "changed by hand\n");
	n = ledger_lines();
	CK(cp_gate_install(g, PKG, &r) == 1 && strcmp(r.status, "refused") == 0 &&
	    r.nmodified == 1 && strcmp(r.modified[0], FILE_REL) == 0 && r.nmissing == 0,
	    "a changed file: install refused, exit 1, the file named in modified");
	CK(ledger_lines() == n + 1 && strcmp(last_entry("decision", buf, sizeof(buf)), "REFUSED") == 0,
	    "a changed file: install's refusal ledgered");
	cp_gate_result_free(&r);
	CK(cp_gate_update(g, PKG, &r) == 1 && strcmp(r.status, "refused") == 0,
	    "a changed file: update at the same digest refused, exit 1");
	cp_gate_result_free(&r);
	CK(cp_gate_remove(g, PKG, &r) == 1 && strcmp(r.status, "refused") == 0 &&
	    r.nmodified == 1, "a changed file: remove refused, exit 1");
	cp_gate_result_free(&r);
	s = slurp(P(FILE_REL), NULL);
	CK(s != NULL && strcmp(s, "changed by hand\n") == 0 && exists(P(INFO)),
	    "a changed file: refusals leave it and the receipt");
	free(s);
	CK(cp_gate_install(fg, PKG, &r) == 0 && strcmp(r.status, "installed") == 0 && r.changed == 1,
	    "a changed file: forced install reinstalls");
	cp_gate_result_free(&r);
	CK(installed_ok(), "a changed file: forced install restores the archive's bytes");
	spit(P(FILE_REL), "changed again\n");
	CK(cp_gate_remove(fg, PKG, &r) == 0 && strcmp(r.status, "removed") == 0 &&
	    r.nmodified == 1 && removed_ok(), "a changed file: forced remove removes it");
	cp_gate_result_free(&r);

	/* In the way, not owned. */
	spit(P(FILE_REL), "in the way\n");
	n = ledger_lines();
	CK(cp_gate_install(g, PKG, &r) == 1 && strcmp(r.status, "refused") == 0 &&
	    r.nmodified == 1 && strcmp(r.modified[0], FILE_REL) == 0 && ledger_lines() == n + 1,
	    "a file in the way: install refused, exit 1, named, ledgered");
	cp_gate_result_free(&r);
	s = slurp(P(FILE_REL), NULL);
	CK(s != NULL && strcmp(s, "in the way\n") == 0 && !exists(P(INFO)) && !exists(P(SUMS)),
	    "a file in the way: left as it was, no receipt");
	free(s);
	if (t != NULL)
		spit(P(FILE_REL), t);
	CK(cp_gate_install(g, PKG, &r) == 0 && strcmp(r.status, "installed") == 0 && installed_ok(),
	    "a file in the way holding the archive's bytes already: installed");
	cp_gate_result_free(&r);

	/* Missing. */
	unlink(P(FILE_REL));
	CK(cp_gate_install(g, PKG, &r) == 1 && r.nmissing == 1 && strcmp(r.missing[0], FILE_REL) == 0,
	    "a missing file: install refused, exit 1, named in missing");
	cp_gate_result_free(&r);
	n = ledger_lines();
	CK(cp_gate_remove(g, PKG, &r) == 0 && strcmp(r.status, "removed") == 0 && r.nfiles == 0 &&
	    r.nmissing == 1 && strcmp(r.missing[0], FILE_REL) == 0 && ledger_lines() == n + 1,
	    "a missing file: remove done, the file named in missing");
	CK(removed_ok(), "a missing file: the receipt removed");
	cp_gate_result_free(&r);
	CK(cp_gate_install(g, PKG, &r) == 0 && installed_ok(), "installed again");
	cp_gate_result_free(&r);
	unlink(P(FILE_REL));
	CK(cp_gate_install(fg, PKG, &r) == 0 && strcmp(r.status, "installed") == 0 && installed_ok(),
	    "a missing file: forced install puts it back");
	cp_gate_result_free(&r);
	free(t);
	cp_gate_close(g);
	cp_gate_close(fg);
}

/* Plane directories swapped for symlinks: refused, nothing written through them. */
static void
test_symlinks(void)
{
	struct cp_gate_result r = { 0 };
	char out[PATH_MAX + 64], p[PATH_MAX + 128], buf[256];
	struct cp_gate *g, *rg;
	struct cp_err e;
	long n;

	if ((g = gate_as("alice", NULL, &e)) == NULL) {
		CK(0, "open as alice: %s", e.msg);
		return;
	}
	snprintf(out, sizeof(out), "%s/outside%d", base, round_no);
	if (mkdir(out, 0755) == -1)
		die(out);
	CK(cp_gate_remove(g, PKG, &r) == 0, "symlinks: removed first");
	cp_gate_result_free(&r);

	/* frameworks/ -> outside */
	CK(rename(P("frameworks"), P("frameworks.real")) == 0 && symlink(out, P("frameworks")) == 0,
	    "frameworks/ made a symlink out of the plane");
	n = ledger_lines();
	CK(cp_gate_install(g, PKG, &r) == 2 && r.changed == 0,
	    "install through a symlinked frameworks/: refused, exit 2");
	CK(ledger_lines() == n + 1 && strcmp(last_entry("decision", buf, sizeof(buf)), "REFUSED") == 0,
	    "install through a symlinked frameworks/: ledgered");
	cp_gate_result_free(&r);
	snprintf(p, sizeof(p), "%s/FMWK-300_package_standard.md", out);
	CK(!exists(p) && !exists(P(INFO)), "nothing written through the symlink, no receipt");
	unlink(P("frameworks"));
	CK(rename(P("frameworks.real"), P("frameworks")) == 0, "frameworks/ restored");

	/* installed/ -> installed.real (inside the plane, still a symlink) */
	CK(cp_gate_install(g, PKG, &r) == 0 && installed_ok(), "installed again");
	cp_gate_result_free(&r);
	CK(rename(P("installed"), P("installed.real")) == 0 &&
	    symlink("installed.real", P("installed")) == 0, "installed/ made a symlink");
	CK(cp_gate_remove(g, PKG, &r) == 2 && exists(P(FILE_REL)),
	    "remove with a symlinked installed/: refused, exit 2, the file stays");
	cp_gate_result_free(&r);
	CK(cp_gate_install(g, PKG, &r) == 2, "install with a symlinked installed/: refused, exit 2");
	cp_gate_result_free(&r);
	unlink(P("installed"));
	CK(rename(P("installed.real"), P("installed")) == 0, "installed/ restored");

	/*
	 * ledger/ -> outside: begin refuses it as a symlink; the refusal (and a
	 * denial) must not be appended through it either.
	 */
	snprintf(p, sizeof(p), "%s/ledger", out);
	CK(rename(P("ledger"), p) == 0 && symlink(p, P("ledger")) == 0,
	    "ledger/ made a symlink out of the plane");
	n = ledger_lines();
	CK(cp_gate_remove(g, PKG, &r) == 2 && r.changed == 0 && exists(P(FILE_REL)) &&
	    exists(P(INFO)), "remove with a symlinked ledger/: refused, exit 2, nothing removed");
	if (!CK(ledger_lines() == n, "remove with a symlinked ledger/: its refusal not appended "
	    "through the symlink"))
		printf("#   %ld entry appended to %s/ledger/governance.jsonl: %s\n#   reason: %s\n",
		    ledger_lines() - n, out, last_entry("reason", buf, sizeof(buf)),
		    r.reason != NULL ? r.reason : "");
	cp_gate_result_free(&r);
	if ((rg = gate_as("guest", NULL, &e)) != NULL) {
		n = ledger_lines();
		CK(cp_gate_install(rg, PKG, &r) != 0 && exists(P(FILE_REL)),
		    "a reader with a symlinked ledger/: not allowed");
		if (!CK(ledger_lines() == n, "a reader with a symlinked ledger/: the denial not "
		    "appended through the symlink"))
			printf("#   %ld entry (%s) appended to %s/ledger/governance.jsonl\n",
			    ledger_lines() - n, last_entry("event_type", buf, sizeof(buf)), out);
		cp_gate_result_free(&r);
		cp_gate_close(rg);
	}
	unlink(P("ledger"));
	snprintf(p, sizeof(p), "%s/ledger", out);
	CK(rename(p, P("ledger")) == 0, "ledger/ restored");
	cp_gate_close(g);
}

/* pack a changed file, then install (refused: another digest) and update. */
static void
test_pack_update(void)
{
	struct cp_gate_result r = { 0 };
	char old[65], dig[65], buf[256], hex[65], *s;
	struct cp_gate *g, *rg;
	struct cp_err e;
	size_t len;
	long n;

	if ((g = gate_as("alice", NULL, &e)) == NULL) {
		CK(0, "open as alice: %s", e.msg);
		return;
	}
	sha256_of(P(ARCHIVE), old);
	CK(cp_gate_pack(g, P(FILE_REL), PKG, &r) == 0 && strcmp(r.status, "up-to-date") == 0 &&
	    r.changed == 0, "pack of the installed file: up-to-date (the same bytes)");
	if (strcmp(r.status, "up-to-date") != 0)
		printf("#   %s: %s\n", r.status, r.reason);
	cp_gate_result_free(&r);
	spit(P(FILE_REL), "# FMWK-300, version two\n");
	n = ledger_lines();
	CK(cp_gate_pack(g, P(FILE_REL), PKG, &r) == 0 && strcmp(r.status, "packed") == 0 &&
	    r.changed == 1 && ledger_lines() == n + 1, "pack of the changed file: packed, ledgered");
	if (r.status == NULL || strcmp(r.status, "packed") != 0)
		printf("#   %s: %s\n", r.status, r.reason);
	sha256_of(P(ARCHIVE), dig);
	CK(strcmp(r.digest, dig) == 0 && strcmp(r.before, old) == 0 && strcmp(dig, old) != 0,
	    "pack: digest the new archive's sha256sum, before the old one's");
	CK(strcmp(last_entry("event_type", buf, sizeof(buf)), "package_pack") == 0 &&
	    strcmp(last_entry("id", buf, sizeof(buf)), r.ledger_id) == 0, "pack: a package_pack entry");
	cp_gate_result_free(&r);
	s = slurp(P(ARCHIVE ".sha256"), NULL);
	snprintf(buf, sizeof(buf), "%s  PKG-FMWK-300.tar.gz\n", dig);
	CK(s != NULL && strcmp(s, buf) == 0, "pack: the sidecar is a sha256sum line");
	free(s);
	CK(sh("cd '%s' && sha256sum -c --quiet '%s.sha256'", P("packages_store"), ARCHIVE + 15) == 0,
	    "pack: sha256sum -c accepts the sidecar");
	s = capture(NULL, "tar -tzf '%s'", P(ARCHIVE));
	CK(s != NULL && strstr(s, FILE_REL "\n") != NULL && strstr(s, "..") == NULL && s[0] != '/',
	    "pack: tar lists %s", FILE_REL);
	free(s);
	s = capture(&len, "tar -xzOf '%s'", P(ARCHIVE));
	CK(s != NULL && strcmp(s, "# FMWK-300, version two\n") == 0, "pack: tar gives the new bytes");
	free(s);
	s = capture(NULL, "python3 -c 'import csv, sys\n"
	    "for r in csv.DictReader(open(sys.argv[1], newline=\"\", encoding=\"utf-8\")):\n"
	    "    if r[\"id\"] == \"" PKG "\":\n"
	    "        print(r[\"digest\"], r[\"source\"], r[\"source_type\"])' '%s'",
	    P("registries/packages_registry.csv"));
	snprintf(buf, sizeof(buf), "%s packages_store/PKG-FMWK-300.tar.gz tar\n", dig);
	CK(s != NULL && strcmp(s, buf) == 0, "pack: the row's digest, source, source_type (python3's csv)");
	free(s);

	n = ledger_lines();
	CK(cp_gate_install(g, PKG, &r) == 1 && strcmp(r.status, "refused") == 0 &&
	    ledger_lines() == n + 1, "install over another digest: refused, exit 1 (update it)");
	cp_gate_result_free(&r);
	if ((rg = gate_as("guest", NULL, &e)) != NULL) {
		CK(cp_gate_update(rg, PKG, &r) == 1 && strcmp(r.status, "denied") == 0,
		    "update by a reader: denied");
		cp_gate_result_free(&r);
		CK(cp_gate_pack(rg, P(FILE_REL), PKG, &r) == 1 && strcmp(r.status, "denied") == 0,
		    "pack by a reader: denied");
		cp_gate_result_free(&r);
		cp_gate_close(rg);
	}
	n = ledger_lines();
	CK(cp_gate_update(g, PKG, &r) == 0 && strcmp(r.status, "updated") == 0 && r.changed == 1 &&
	    strcmp(r.before, old) == 0 && strcmp(r.digest, dig) == 0 && ledger_lines() == n + 1,
	    "update: updated, before the old digest, digest the new, one entry");
	if (r.status == NULL || strcmp(r.status, "updated") != 0)
		printf("#   %s: %s\n", r.status, r.reason);
	CK(strcmp(last_entry("event_type", buf, sizeof(buf)), "package_update") == 0 &&
	    strcmp(last_entry("decision", buf, sizeof(buf)), "UPDATE") == 0,
	    "update: package_update UPDATE");
	cp_gate_result_free(&r);
	CK(installed_ok(), "update: the file as the new archive has it, the receipt there");
	s = slurp(P(INFO), NULL);
	CK(s != NULL && strstr(s, dig) != NULL, "update: the receipt names the new digest");
	free(s);
	sha256_of(P(FILE_REL), hex);
	s = cp_row("/" FILE_REL, "content_hash");
	CK(s != NULL && strcmp(s, hex) == 0, "update: the control-plane row's content_hash the new file's");
	free(s);
	CK(cp_gate_update(g, PKG, &r) == 0 && strcmp(r.status, "up-to-date") == 0 && r.changed == 0,
	    "update again: up-to-date");
	cp_gate_result_free(&r);

	/* SRC outside the plane, through .., or .cp/ */
	n = ledger_lines();
	CK(cp_gate_pack(g, top, PKG, &r) == 2 && r.changed == 0, "pack of a SRC outside the plane: exit 2");
	cp_gate_result_free(&r);
	CK(cp_gate_pack(g, P("frameworks/../frameworks"), PKG, &r) == 2, "pack of a SRC with ..: exit 2");
	cp_gate_result_free(&r);
	CK(cp_gate_pack(g, P(".cp"), PKG, &r) == 2, "pack of .cp/: exit 2");
	cp_gate_result_free(&r);
	CK(cp_gate_pack(g, NULL, PKG, &r) == 2 && ledger_lines() == n + 3,
	    "pack with no SRC: exit 2, not ledgered (the others are)");
	cp_gate_result_free(&r);
	sha256_of(P(ARCHIVE), buf);
	CK(strcmp(buf, dig) == 0, "refused packs leave the archive");
	cp_gate_close(g);
}

/* MANIFEST.json: made by cp_gate_manifest, then refreshed after each change as a follow-up entry. */
static void
test_manifest(void)
{
	struct cp_gate_result r = { 0 };
	char buf[256], dig[65], hex[65], rem[64], *s;
	struct cp_gate *g;
	struct cp_err e;
	long n;

	if ((g = gate_as("alice", NULL, &e)) == NULL) {
		CK(0, "open as alice: %s", e.msg);
		return;
	}
	n = ledger_lines();
	CK(cp_gate_manifest(g, &r) == 0 && strcmp(r.status, "manifest") == 0 && r.changed == 1 &&
	    ledger_lines() == n + 1 && exists(P("MANIFEST.json")),
	    "manifest: MANIFEST.json written, one entry");
	CK(strcmp(last_entry("event_type", buf, sizeof(buf)), "manifest_update") == 0 &&
	    strcmp(last_entry("id", buf, sizeof(buf)), r.ledger_id) == 0,
	    "manifest: a manifest_update entry");
	cp_gate_result_free(&r);
	n = ledger_lines();
	CK(cp_gate_manifest(g, &r) == 0 && strcmp(r.status, "up-to-date") == 0 && r.changed == 0 &&
	    ledger_lines() == n, "manifest again: up-to-date, nothing ledgered");
	cp_gate_result_free(&r);

	n = ledger_lines();
	CK(cp_gate_remove(g, PKG, &r) == 0 && strcmp(r.status, "removed") == 0 && r.changed == 1 &&
	    ledger_lines() == n + 2,
	    "remove with a MANIFEST.json: removed, two entries (the manifest's follows)");
	CK(strcmp(last_entry("event_type", buf, sizeof(buf)), "manifest_update") == 0,
	    "remove with a MANIFEST.json: the last entry is manifest_update");
	CK(strcmp(last_entry("id", rem, sizeof(rem)), r.ledger_id) != 0 &&
	    strncmp(r.ledger_id, "LED-", 4) == 0,
	    "remove with a MANIFEST.json: ledger_id is the remove's, not the manifest's");
	CK(r.warning == NULL, "remove with a MANIFEST.json: no warning");
	cp_gate_result_free(&r);
	s = slurp(P("MANIFEST.json"), NULL);
	CK(s != NULL && strstr(s, FILE_REL) == NULL, "remove: MANIFEST.json no longer lists %s", FILE_REL);
	free(s);

	n = ledger_lines();
	sha256_of(P(ARCHIVE), dig);
	CK(cp_gate_install(g, PKG, &r) == 0 && strcmp(r.status, "installed") == 0 && r.changed == 1 &&
	    ledger_lines() == n + 2, "install with a MANIFEST.json: installed, two entries");
	if (!CK(strcmp(r.digest, dig) == 0,
	    "install with a MANIFEST.json: digest is still the archive's, not the manifest root"))
		printf("#   got %s, want %s (the archive's sha256sum)\n", r.digest, dig);
	CK(r.nfiles == 1 && strcmp(r.files[0].path, FILE_REL) == 0, "install with a MANIFEST.json: files");
	cp_gate_result_free(&r);
	sha256_of(P(FILE_REL), hex);
	s = slurp(P("MANIFEST.json"), NULL);
	CK(s != NULL && strstr(s, FILE_REL) != NULL && strstr(s, hex) != NULL,
	    "install: MANIFEST.json lists %s with its sha256sum", FILE_REL);
	free(s);
	n = ledger_lines();
	CK(cp_gate_manifest(g, &r) == 0 && strcmp(r.status, "up-to-date") == 0 && ledger_lines() == n,
	    "after the follow-ups the manifest is up to date");
	cp_gate_result_free(&r);
	cp_gate_close(g);
}

/* An external package: installed under $HOME (outside the plane), its receipt absolute, removed. */
static void
test_external(void)
{
	struct cp_gate_result r = { 0 };
	char dest[PATH_MAX + 64], p[PATH_MAX + 128], buf[PATH_MAX + 256], *s, *t;
	struct cp_gate *g;
	struct cp_err e;
	struct stat st;
	size_t ls, lt;
	long n;

	if ((g = gate_as("alice", NULL, &e)) == NULL) {
		CK(0, "open as alice: %s", e.msg);
		return;
	}
	snprintf(dest, sizeof(dest), "%s/.local/share/cp-example/ext-hello", getenv("HOME"));
	n = ledger_lines();
	CK(cp_gate_install(g, "PKG-EXT-HELLO", &r) == 0 && strcmp(r.status, "installed") == 0 &&
	    r.changed == 1 && ledger_lines() == n + 1, "external: installed, one entry");
	if (r.status == NULL || strcmp(r.status, "installed") != 0)
		printf("#   %s: %s\n", r.status, r.reason);
	CK(r.destination != NULL && strcmp(r.destination, dest) == 0,
	    "external: destination ${HOME}/... expanded");
	CK(r.nfiles == 2 && strcmp(r.files[0].path, "README.md") == 0 &&
	    strcmp(r.files[1].path, "bin/cp-hello") == 0, "external: files README.md, bin/cp-hello");
	cp_gate_result_free(&r);
	for (int i = 0; i < 2; i++) {
		static const char *const f[] = { "README.md", "bin/cp-hello" };

		snprintf(p, sizeof(p), "%s/%s", dest, f[i]);
		s = slurp(p, &ls);
		t = capture(&lt, "tar -xzOf '%s' '%s'", P("packages_store/PKG-EXT-HELLO.tar.gz"), f[i]);
		CK(s != NULL && t != NULL && ls == lt && memcmp(s, t, ls) == 0,
		    "external: %s holds what tar -xzOf gives", f[i]);
		free(s);
		free(t);
	}
	snprintf(p, sizeof(p), "%s/bin/cp-hello", dest);
	CK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0755, "external: bin/cp-hello is mode 0755");
	s = slurp(P("installed/PKG-EXT-HELLO.info"), NULL);
	snprintf(buf, sizeof(buf), "destination=%s\noutput_type=external\n", dest);
	CK(s != NULL && strstr(s, buf) != NULL, "external: the receipt names the absolute destination");
	free(s);
	s = cp_row("", "id");
	CK(s == NULL, "external: no control-plane row without an artifact_path");
	free(s);
	CK(cp_gate_install(g, "PKG-EXT-HELLO", &r) == 0 && strcmp(r.status, "already-installed") == 0,
	    "external: install again: already-installed");
	cp_gate_result_free(&r);
	CK(cp_gate_remove(g, "PKG-EXT-HELLO", &r) == 0 && strcmp(r.status, "removed") == 0 &&
	    r.nfiles == 2, "external: removed");
	cp_gate_result_free(&r);
	snprintf(p, sizeof(p), "%s/README.md", dest);
	CK(!exists(p) && !exists(P("installed/PKG-EXT-HELLO.info")), "external: files and receipt gone");
	cp_gate_close(g);
}

/* Files of the install: the file, its receipt (2), the control-plane registry. */
#define INSTALL_STEPS 4

/* A crash at every point of an install's commit; the next cp_gate_open finishes or rolls it back. */
static void
test_crash(void)
{
	struct cp_gate_result r = { 0 };
	struct cp_journal_report rec;
	char before[65], after[65], id[64], hex[65], *s;
	struct cp_gate *g;
	struct cp_err e;
	int last = 3 + INSTALL_STEPS;
	long n;

	for (int k = 0; k <= last; k++) {
		if ((g = gate_as("alice", NULL, &e)) == NULL) {
			CK(0, "open as alice: %s", e.msg);
			return;
		}
		if (exists(P(INFO))) {
			CK(cp_gate_remove(g, PKG, &r) == 0, "crash %d: removed first", k);
			cp_gate_result_free(&r);
		}
		tree_state(before);
		n = ledger_lines();
		cp_journal_test_stop_after(k);
		cp_gate_install(g, PKG, &r);
		cp_journal_test_stop_after(-1);
		CK(r.exit == 2 && r.changed == 0, "crash after point %d: install stopped, exit 2", k);
		cp_gate_result_free(&r);
		cp_gate_close(g);
		CK(ledger_lines() == n + (k >= 2), "crash after point %d: %s", k,
		    k >= 2 ? "the entry is in the ledger" : "no entry");
		last_entry("id", id, sizeof(id));

		memset(&rec, 0x55, sizeof(rec));
		g = gate_as("alice", &rec, &e);
		if (!CK(g != NULL, "crash after point %d: cp_gate_open recovers", k)) {
			printf("#   %s\n", e.msg);
			return;
		}
		if (k < 2) {
			tree_state(after);
			CK(removed_ok() && strcmp(before, after) == 0 && ledger_lines() == n,
			    "crash after point %d: rolled back, the plane as before", k);
			CK(k == 0 ? !rec.journal && rec.stale == 1 :
			    rec.journal && rec.back && !rec.forward,
			    "crash after point %d: the report says %s", k, k == 0 ? "stale staging" :
			    "rolled back");
		} else {
			CK(installed_ok(),
			    "crash after point %d: finished: the file and the receipt there", k);
			sha256_of(P(FILE_REL), hex);
			s = cp_row("/" FILE_REL, "content_hash");
			CK(s != NULL && strcmp(s, hex) == 0,
			    "crash after point %d: the control-plane row there", k);
			free(s);
			CK(rec.journal && rec.forward && !rec.back && rec.steps == INSTALL_STEPS &&
			    rec.redone == (size_t)(k < last ? last - 1 - k : 0) &&
			    strcmp(rec.ledger_id, id) == 0,
			    "crash after point %d: rolled forward, %d steps redone, the entry's id", k,
			    k < last ? last - 1 - k : 0);
			if (!rec.forward || rec.redone != (size_t)(k < last ? last - 1 - k : 0))
				printf("#   journal %d forward %d back %d steps %zu redone %zu stale %zu\n",
				    rec.journal, rec.forward, rec.back, rec.steps, rec.redone, rec.stale);
			CK(ledger_lines() == n + 1, "crash after point %d: recovery adds no entry", k);
		}
		CK(!exists(P(".cp/journal")), "crash after point %d: no journal left", k);
		CK(cp_gate_install(g, PKG, &r) == 0 && strcmp(r.status, k < 2 ? "installed" :
		    "already-installed") == 0, "crash after point %d: then install says %s", k,
		    k < 2 ? "installed" : "already-installed");
		cp_gate_result_free(&r);
		cp_gate_close(g);
		memset(&rec, 0x55, sizeof(rec));
		CK(cp_gate_recover(plane, &rec, &e) == 0 && report_zero(&rec),
		    "crash after point %d: recovering again does nothing", k);
	}
}

static void
round_all(void)
{
	new_plane();
	test_token();
	test_open_recover();
	test_remove_install();
	test_denied();
	test_bad_ids();
	test_refused();
	test_changed();
	test_symlinks();
	test_crash();
	test_external();
	test_pack_update();
	test_manifest();
}

int
main(int argc, char **argv)
{
	const char *t = argc > 1 ? argv[1] : getenv("CP_TOP");
	char tmpl[] = "gate_test.XXXXXX";

	umask(022);
	if (realpath(t != NULL ? t : ".", top) == NULL)
		die("CP_TOP");
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL)
		die("mkdtemp");
	/* Nothing of the caller's environment chooses for the gate. */
	unsetenv("CONTROL_PLANE_AUTH_PROVIDER");
	unsetenv("CONTROL_PLANE_SECRETS_FILE");
	unsetenv("CONTROL_PLANE_ALLOW_PASSTHROUGH");
	unsetenv("CONTROL_PLANE_ROOT");
	{
		char home[PATH_MAX + 8];

		snprintf(home, sizeof(home), "%s/home", base);
		if (mkdir(home, 0700) == -1)
			die(home);
		setenv("HOME", home, 1);
	}
	round_all();
	mode = "walk: ";
	cp_beneath_force_walk(1);
	round_all();
	cp_beneath_force_walk(0);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_END();
}
