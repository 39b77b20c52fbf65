/*
 * journal_test: plane/journal from C.  Each case builds a small plane
 * (and an external directory) under a mkdtemp directory in /tmp, removed
 * at the end: a transaction committed, aborted, stopped at every point and
 * recovered, stale staging, forged journals, a symlinked .cp, an external
 * root and paths that would leave a root.
 * SPDX-License-Identifier: ISC
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "ledger/event.h"
#include "ledger/ledger.h"
#include "plane/journal.h"
#include "unit.h"

static char tmp[] = "/tmp/journal_test.XXXXXX";
static int ncase;

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

/* path := s, making its directories. */
static void
write_file(const char *path, const char *s)
{
	char d[4096], *slash;
	FILE *fp;

	snprintf(d, sizeof(d), "%s", path);
	for (slash = strchr(d + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(d, 0755) == -1 && errno != EEXIST)
			die(d);
		*slash = '/';
	}
	if ((fp = fopen(path, "w")) == NULL)
		die(path);
	fputs(s, fp);
	fclose(fp);
}

/* 1 if path holds exactly s (NULL: path is missing). */
static int
holds(const char *path, const char *s)
{
	char buf[4096];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return s == NULL && errno == ENOENT;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return s != NULL && strcmp(buf, s) == 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Entries in the ledger, -1 when it does not verify (0 when it is missing). */
static long
entries(const char *ledger)
{
	struct cp_ledger_summary s = { 0 };
	struct cp_err e;
	long n;
	int rc;

	if (!exists(ledger))
		return 0;
	rc = cp_ledger_verify(ledger, CP_LEDGER_NO_TREE, NULL, NULL, &s, &e);
	n = rc == 0 ? (long)s.entries : -1;
	cp_ledger_summary_free(&s);
	return n;
}

/* Entries in .cp/stage (-1 when it is missing). */
static int
staged_dirs(const char *plane)
{
	char p[4096];
	int n = 0;
	struct dirent *d;
	DIR *dir;

	snprintf(p, sizeof(p), "%s/.cp/stage", plane);
	if ((dir = opendir(p)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL)
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* A fresh plane: keep, old/gone.txt, old/sub/also.txt, dir/a.txt (to be replaced); and ext/. */
struct plane {
	char root[1024], ext[1024], ledger[1100], p[4096];
	int fd;
};

static const char *
P(struct plane *pl, const char *rel)
{
	snprintf(pl->p, sizeof(pl->p), "%s/%s", pl->root, rel);
	return pl->p;
}

static void
plane_new(struct plane *pl)
{
	char p[4096];

	snprintf(pl->root, sizeof(pl->root), "%s/plane%d", tmp, ++ncase);
	snprintf(pl->ext, sizeof(pl->ext), "%s/ext%d", tmp, ncase);
	snprintf(pl->ledger, sizeof(pl->ledger), "%s/ledger", pl->root);
	write_file(P(pl, "keep"), "keep\n");
	write_file(P(pl, "old/gone.txt"), "gone\n");
	write_file(P(pl, "old/sub/also.txt"), "also\n");
	write_file(P(pl, "dir/a.txt"), "old a\n");
	snprintf(p, sizeof(p), "%s/x", pl->ext);
	write_file(p, "x\n");
	if ((pl->fd = open(pl->root, O_RDONLY | O_DIRECTORY)) == -1)
		die(pl->root);
}

static int tx_ext = 1;	/* 0: tx() leaves the external root out (new/b then goes in the plane) */

/* 1 if the plane is as plane_new made it (the ledger aside). */
static int
unchanged(struct plane *pl)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/new/b", tx_ext ? pl->ext : pl->root);
	return holds(P(pl, "keep"), "keep\n") && holds(P(pl, "old/gone.txt"), "gone\n") &&
	    holds(P(pl, "old/sub/also.txt"), "also\n") && holds(P(pl, "dir/a.txt"), "old a\n") &&
	    holds(P(pl, "dir/n\\ew\nline"), NULL) && holds(p, NULL);
}

/* 1 if the plane is as the transaction of tx() leaves it. */
static int
changed(struct plane *pl)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/new/b", tx_ext ? pl->ext : pl->root);
	return holds(P(pl, "keep"), "keep\n") && !exists(P(pl, "old")) &&
	    holds(P(pl, "dir/a.txt"), "new a\n") && holds(P(pl, "dir/n\\ew\nline"), "odd\n") &&
	    holds(p, "b\n");
}

static int
stage(struct cp_journal *j, const char *s, char name[32])
{
	struct cp_err e;
	int fd = cp_journal_stage(j, name, &e);

	if (fd == -1 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		return -1;
	return close(fd);
}

/*
 * The transaction: dir/a.txt replaced, a name with '\' and a newline put,
 * ext/new/b put (external root), old/gone.txt and old/sub/also.txt deleted
 * (old/ goes with them).  Returns commit's answer (-9 when setting up failed).
 */
static int
tx(struct plane *pl, struct cp_err *e)
{
	struct cp_journal *j;
	struct cp_event ev;
	char n1[32], n2[32], n3[32], *line = NULL;
	int rc, root;

	if (cp_journal_begin(pl->fd, &j, e) == -1)
		return -9;
	if (stage(j, "new a\n", n1) == -1 || stage(j, "b\n", n2) == -1 ||
	    stage(j, "odd\n", n3) == -1 ||
	    (tx_ext && (root = cp_journal_root(j, pl->ext, e)) != 1) ||
	    cp_journal_put(j, 0, "dir/a.txt", n1, e) == -1 ||
	    cp_journal_put(j, 0, "dir/n\\ew\nline", n3, e) == -1 ||
	    cp_journal_del(j, 0, "old/gone.txt", e) == -1 ||
	    (tx_ext ? cp_journal_put(j, root, "new/b", n2, e) :
	    cp_journal_put(j, 0, "new/b", n2, e)) == -1 ||
	    cp_journal_del(j, 0, "old/sub/also.txt", e) == -1) {
		cp_journal_abort(j);
		return -9;
	}
	cp_event_begin(&ev, "package_install", "PKG-1", "APPROVED", "journal test", e);
	cp_json_kstr(cp_event_metadata(&ev), "package", "PKG-1");
	rc = cp_journal_commit(j, pl->ledger, &ev, &line, e);
	if (rc >= 0 && (line == NULL || strstr(line, "\"journal\": \"") == NULL))
		rc = -8;
	free(line);
	cp_event_free(&ev);
	return rc;
}
#define NSTEPS 5

static void
test_commit(void)
{
	struct cp_journal_report r;
	struct plane pl;
	struct cp_err e;
	int rc;

	plane_new(&pl);
	rc = tx(&pl, &e);
	if (!CHECK(rc == 0, "a transaction commits"))
		printf("#   %d %s\n", rc, e.msg);
	CHECK(changed(&pl), "every step done: files put, deleted, empty directory removed");
	CHECK(entries(pl.ledger) == 1, "one ledger entry, and the ledger verifies");
	CHECK(!exists(P(&pl, ".cp/journal")), "no journal left");
	CHECK(staged_dirs(pl.root) == 0, "no staging left");
	CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == 0 && !r.journal && !r.stale,
	    "recovery after it has nothing to do");
	close(pl.fd);
}

static void
test_abort(void)
{
	struct cp_journal *j;
	struct plane pl;
	struct cp_err e;
	char n[32];

	plane_new(&pl);
	CHECK(cp_journal_begin(pl.fd, &j, &e) == 0, "begin");
	CHECK(stage(j, "new a\n", n) == 0 && cp_journal_put(j, 0, "dir/a.txt", n, &e) == 0 &&
	    cp_journal_del(j, 0, "keep", &e) == 0, "steps recorded");
	cp_journal_abort(j);
	CHECK(unchanged(&pl) && entries(pl.ledger) == 0 && staged_dirs(pl.root) == 0 &&
	    !exists(P(&pl, ".cp/journal")), "abort changes nothing and leaves no staging");
	close(pl.fd);
}

/*
 * A committed transaction with an external root, crashed after its entry:
 * recovery does not act outside the plane on the journal's word (a plane
 * writer can forge a journal and an entry naming each other); it says so,
 * names the staged files, and changes nothing.
 */
static void
test_crash_external(void)
{
	struct cp_journal_report r;
	struct plane pl;
	struct cp_err e;
	char p[4096];

	plane_new(&pl);
	cp_journal_test_stop_after(2);
	CHECK(tx(&pl, &e) == -1, "an external transaction stopped after its entry");
	cp_journal_test_stop_after(-1);
	CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == -1 &&
	    strstr(e.msg, "would write outside the plane") != NULL &&
	    strstr(e.msg, pl.ext) != NULL, "recovery refuses to write outside the plane, naming it");
	snprintf(p, sizeof(p), "%s/new/b", pl.ext);
	CHECK(!exists(p) && exists(P(&pl, ".cp/journal")), "nothing written outside; the journal kept");
	close(pl.fd);
}

/*
 * A crash inside a del's pruning: the file and its directory gone, the
 * empty directory above it not yet.  Recovery finishes the prune, as the
 * uncut transaction would have (found by the kill trials: the plane kept
 * an empty modules/).
 */
static void
test_crash_midprune(void)
{
	struct cp_journal_report r;
	struct cp_journal *j;
	struct cp_event ev;
	struct plane pl;
	struct cp_err e;
	char *line = NULL;
	int rc;

	plane_new(&pl);
	write_file(P(&pl, "m/d/f1"), "1\n");
	write_file(P(&pl, "m/d/f2"), "2\n");
	CHECK(cp_journal_begin(pl.fd, &j, &e) == 0 && cp_journal_del(j, 0, "m/d/f1", &e) == 0 &&
	    cp_journal_del(j, 0, "m/d/f2", &e) == 0, "two dels in one directory");
	cp_event_begin(&ev, "package_remove", "PKG-1", "REMOVE", "journal test", &e);
	cp_journal_test_stop_after(3);	/* the first del done, the second not */
	rc = cp_journal_commit(j, pl.ledger, &ev, &line, &e);
	cp_journal_test_stop_after(-1);
	free(line);
	cp_event_free(&ev);
	CHECK(rc == -1 && strstr(e.msg, "test hook") != NULL && !exists(P(&pl, "m/d/f1")) &&
	    exists(P(&pl, "m/d/f2")), "stopped between the two dels");
	/* the crash came inside the second: after its unlink and the rmdir of m/d, before m's */
	CHECK(unlink(P(&pl, "m/d/f2")) == 0 && rmdir(P(&pl, "m/d")) == 0, "m/ left empty");
	CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == 0 && r.forward, "recovered forward");
	CHECK(!exists(P(&pl, "m")) && exists(P(&pl, "keep")) && entries(pl.ledger) == 1,
	    "m/ pruned, as the uncut transaction does");
	close(pl.fd);
}

/* The size the plane's ledger/checkpoint holds, -1 when there is none (or it cannot be read). */
static long
checkpoint_size(struct plane *pl)
{
	char line[256];
	long size = -1;
	FILE *fp;

	if ((fp = fopen(P(pl, "ledger/checkpoint"), "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), fp) != NULL && fgets(line, sizeof(line), fp) != NULL)
		size = strtol(line, NULL, 10);
	fclose(fp);
	return size;
}

/* A crash after every point, then recovery: all or nothing, and a second recovery does nothing. */
static void
test_crash(void)
{
	struct cp_journal_report r;
	char what[128];
	struct cp_err e;
	int last = 3 + NSTEPS;

	tx_ext = 0;	/* in the plane: the external case is test_crash_external's */

	for (int k = 0; k <= last + 1; k++) {
		struct plane pl;
		int rc, ok;

		plane_new(&pl);
		cp_journal_test_stop_after(k);
		rc = tx(&pl, &e);
		cp_journal_test_stop_after(-1);
		snprintf(what, sizeof(what), "stopped after point %d: commit says so", k);
		CHECK(k <= last ? rc == -1 && strstr(e.msg, "test hook") != NULL : rc == 0, what);
		/* The checkpoint follows the entry: never ahead of the ledger, at worst one behind. */
		snprintf(what, sizeof(what), "stopped after point %d: checkpoint never ahead", k);
		CHECK(checkpoint_size(&pl) == (k <= 2 ? -1 : 1), what);
		rc = cp_journal_recover(pl.fd, pl.ledger, &r, &e);
		snprintf(what, sizeof(what), "stopped after point %d: recovered", k);
		if (!CHECK(rc == 0, what))
			printf("#   %s\n", e.msg);
		if (k < 2)
			ok = unchanged(&pl) && entries(pl.ledger) == 0 &&
			    (k == 0 ? r.stale == 1 && !r.journal : r.back && !r.forward);
		else
			ok = changed(&pl) && entries(pl.ledger) == 1 &&
			    (k > last || (r.forward && r.steps == NSTEPS &&
			    r.redone == (size_t)(k <= last - 1 ? last - 1 - k : 0)));
		snprintf(what, sizeof(what), "stopped after point %d: %s", k,
		    k < 2 ? "nothing changed, no entry" : "everything changed, one entry");
		if (!CHECK(ok, what))
			printf("#   journal %d forward %d back %d steps %zu redone %zu stale %zu\n",
			    r.journal, r.forward, r.back, r.steps, r.redone, r.stale);
		snprintf(what, sizeof(what), "stopped after point %d: recovery caught the checkpoint up", k);
		CHECK(checkpoint_size(&pl) == (k < 2 ? -1 : 1), what);
		snprintf(what, sizeof(what), "stopped after point %d: no journal, no staging", k);
		CHECK(!exists(P(&pl, ".cp/journal")) && staged_dirs(pl.root) == 0, what);
		rc = cp_journal_recover(pl.fd, pl.ledger, &r, &e);
		snprintf(what, sizeof(what), "stopped after point %d: recovering again does nothing", k);
		CHECK(rc == 0 && !r.journal && !r.stale &&
		    (k < 2 ? unchanged(&pl) : changed(&pl)) &&
		    entries(pl.ledger) == (k < 2 ? 0 : 1), what);
		close(pl.fd);
	}
	tx_ext = 1;
}

static void
test_stale(void)
{
	struct cp_journal_report r;
	struct plane pl;
	struct cp_err e;

	plane_new(&pl);
	CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == 0 && !r.journal && !r.stale &&
	    !exists(P(&pl, ".cp")), "recovery of a plane without .cp writes nothing");
	write_file(P(&pl, ".cp/stage/0123456789abcdef0123456789abcdef/f1"), "x");
	write_file(P(&pl, ".cp/stage/0123456789abcdef0123456789abcdef/d/e/f"), "x");
	write_file(P(&pl, ".cp/stage/other/f1"), "x");
	write_file(P(&pl, ".cp/.journal.AbC123"), "half");
	CHECK(symlink(pl.root, P(&pl, ".cp/stage/other/link")) == 0, "a symlink in staging");
	CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == 0 && r.stale == 3 && !r.journal,
	    "stale staging and a temporary journal removed");
	CHECK(staged_dirs(pl.root) == 0 && !exists(P(&pl, ".cp/.journal.AbC123")) &&
	    unchanged(&pl), "only they: the plane (the symlink's target) is intact");
	close(pl.fd);
}

/* .cp/journal := text; recovery must refuse it and touch nothing. */
static void
forged(const char *text, const char *what, const char *msg)
{
	struct cp_journal_report r;
	struct plane pl;
	struct cp_err e;
	char w[256];

	plane_new(&pl);
	write_file(P(&pl, ".cp/stage/0123456789abcdef0123456789abcdef/f1"), "new a\n");
	write_file(P(&pl, ".cp/journal"), text);
	snprintf(w, sizeof(w), "forged journal refused: %s", what);
	if (CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == -1 && strstr(e.msg, msg) != NULL,
	    w) == 0)
		printf("#   %s\n", e.msg);
	snprintf(w, sizeof(w), "forged journal: %s: nothing touched", what);
	CHECK(unchanged(&pl) && exists(P(&pl, ".cp/journal")) && staged_dirs(pl.root) == 1 &&
	    !r.forward && !r.back, w);
	close(pl.fd);
}

#define HEAD "cp-journal 1\ntxid 0123456789abcdef0123456789abcdef\nledger LED-0000abcd\n"
#define H_NEWA "0e6c6c7c3fb7a2cac5a8e0e4f8d1d3b3b1c4c3e2e1f0a9b8c7d6e5f4a3b2c1d0"

static void
test_forged(void)
{
	forged("", "empty", "not \"cp-journal 1\"");
	forged("garbage\n", "garbage", "line 1");
	forged(HEAD "del 0 ../keep\nend 1\n", "a .. path", "..");
	forged(HEAD "del 0 /etc/passwd\nend 1\n", "an absolute path", "line 4");
	forged(HEAD "root tmp\ndel 1 keep\nend 1\n", "a relative root", "not an absolute path");
	forged(HEAD "root /tmp/../etc\ndel 1 keep\nend 1\n", "a root not canonical", "root");
	forged(HEAD "del 1 keep\nend 1\n", "root 1 not named", "no such root");
	forged(HEAD "del 0 keep\nend 2\n", "a wrong step count", "step count");
	forged(HEAD "del 0 keep\n", "no end", "unended");
	forged(HEAD "del 0 keep\nend 1\ndel 0 dir/a.txt\n", "text after the end", "after");
	forged(HEAD "put 0 " H_NEWA " f1\ndel 0 keep\nend 1\n", "a put without to", "\"to\"");
	forged(HEAD "del 0 keep\ndel 0 keep\nend 2\n", "a path twice", "two steps");
	forged(HEAD "del 0 dir\ndel 0 dir/a.txt\nend 2\n", "a path inside another", "directory");
	forged(HEAD "del 0 a\\b\nend 1\n", "a backslash not escaped", "escaped");
	forged(HEAD "del 0 \\a\\qb\nend 1\n", "a bad escape", "escaped");
	forged("cp-journal 1\ntxid ../../../../etc/xxxxxxxxxxxxxxxxxx\nledger LED-0000abcd\nend 0\n",
	    "a txid that is a path", "txid");
}

/* A journal that parses but whose entry is not in the ledger, or names another journal, rolls back. */
static void
test_unbound(void)
{
	struct cp_journal_report r;
	struct plane pl;
	struct cp_err e;
	char text[1024];
	FILE *fp;

	plane_new(&pl);
	CHECK(tx(&pl, &e) == 0, "a transaction for an entry to forge against");
	write_file(P(&pl, "dir/a.txt"), "old a\n");
	/* Take the real entry's id: the forged journal is not the one it names. */
	{
		char line[8192], *id;

		if ((fp = fopen(P(&pl, "ledger/governance.jsonl"), "r")) == NULL ||
		    fgets(line, sizeof(line), fp) == NULL || (id = strstr(line, "\"LED-")) == NULL)
			die("ledger");
		fclose(fp);
		snprintf(text, sizeof(text), "cp-journal 1\ntxid 0123456789abcdef0123456789abcdef\n"
		    "ledger %.12s\ndel 0 keep\nend 1\n", id + 1);
	}
	write_file(P(&pl, ".cp/journal"), text);
	CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == 0 && r.back && !r.forward,
	    "a journal its ledger entry does not name is rolled back");
	CHECK(holds(P(&pl, "keep"), "keep\n") && !exists(P(&pl, ".cp/journal")) &&
	    entries(pl.ledger) == 1, "and its step is not done");
	close(pl.fd);
}

static void
test_symlinks(void)
{
	struct cp_journal_report r;
	struct cp_journal *j;
	struct plane pl;
	struct cp_err e;
	char p[4096], n[32];

	plane_new(&pl);
	snprintf(p, sizeof(p), "%s/elsewhere", tmp);
	mkdir(p, 0755);
	CHECK(symlink(p, P(&pl, ".cp")) == 0, "a symlinked .cp");
	CHECK(cp_journal_begin(pl.fd, &j, &e) == -1 && e.errnum == ELOOP,
	    "begin refuses a symlinked .cp");
	CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == -1 && e.errnum == ELOOP,
	    "recovery refuses a symlinked .cp");
	snprintf(p, sizeof(p), "%s/elsewhere/plane.lock", tmp);
	CHECK(!exists(p), "nothing made through it");
	close(pl.fd);

	plane_new(&pl);
	snprintf(p, sizeof(p), "%s/elsewhere", tmp);
	mkdir(P(&pl, ".cp"), 0755);
	CHECK(symlink(p, P(&pl, ".cp/stage")) == 0, "a symlinked .cp/stage");
	CHECK(cp_journal_begin(pl.fd, &j, &e) == -1 && e.errnum == ELOOP,
	    "begin refuses a symlinked .cp/stage");
	close(pl.fd);

	/* A journal left there: begin refuses until recovery. */
	plane_new(&pl);
	write_file(P(&pl, ".cp/journal"), "x");
	CHECK(cp_journal_begin(pl.fd, &j, &e) == -1 && strstr(e.msg, "recovery") != NULL,
	    "begin refuses while a journal is there");
	close(pl.fd);

	/* The external root and paths beneath the roots. */
	plane_new(&pl);
	CHECK(cp_journal_begin(pl.fd, &j, &e) == 0 && stage(j, "s\n", n) == 0, "begin, stage");
	CHECK(cp_journal_root(j, "rel/ext", &e) == -1, "a relative root refused");
	snprintf(p, sizeof(p), "%s/../%s", pl.ext, strrchr(pl.ext, '/') + 1);
	CHECK(cp_journal_root(j, p, &e) == -1, "a root with .. refused");
	snprintf(p, sizeof(p), "%s/link", tmp);
	symlink(pl.ext, p);
	CHECK(cp_journal_root(j, p, &e) == -1 && e.errnum == ELOOP, "a root through a symlink refused");
	CHECK(cp_journal_root(j, "/", &e) == -1, "/ refused as a root");
	CHECK(cp_journal_put(j, 1, "x", n, &e) == -1, "root 1 before it is named refused");
	CHECK(cp_journal_root(j, pl.ext, &e) == 1, "the external root named");
	CHECK(cp_journal_root(j, pl.ext, &e) == -1, "a second one refused");
	CHECK(cp_journal_put(j, 1, "../keep", n, &e) == -1, "a .. path refused");
	CHECK(cp_journal_put(j, 1, "/etc/x", n, &e) == -1, "an absolute path refused");
	snprintf(p, sizeof(p), "%s/out", pl.ext);
	CHECK(symlink(pl.root, p) == 0, "ext/out: a symlink to the plane");
	CHECK(cp_journal_put(j, 1, "out/keep", n, &e) == -1 && e.errnum == ELOOP,
	    "a path through a symlink refused (put)");
	CHECK(cp_journal_del(j, 1, "out/keep", &e) == -1 && e.errnum == ELOOP,
	    "a path through a symlink refused (del)");
	CHECK(cp_journal_put(j, 0, "keep/x", n, &e) == -1, "a path through a file refused");
	CHECK(cp_journal_put(j, 0, "x", "../keep", &e) == -1, "a staged name with .. refused");
	CHECK(cp_journal_put(j, 0, "x", "nothere", &e) == -1, "a missing staged file refused");
	CHECK(cp_journal_put(j, 1, "deep/er/x", n, &e) == 0, "a put beneath the external root");
	CHECK(cp_journal_put(j, 1, "deep/er/x", n, &e) == -1, "the same path twice refused");
	CHECK(cp_journal_del(j, 1, "deep/er", &e) == -1, "a directory of a step's path refused");
	CHECK(cp_journal_del(j, 1, "deep/er/x/y", &e) == -1, "a path beneath a step's path refused");
	{
		struct cp_event ev;

		cp_event_begin(&ev, "package_install", "PKG-2", "APPROVED", "ext", &e);
		CHECK(cp_journal_commit(j, pl.ledger, &ev, NULL, &e) == 0,
		    "a transaction with an external root commits");
		cp_event_free(&ev);
	}
	snprintf(p, sizeof(p), "%s/deep/er/x", pl.ext);
	CHECK(holds(p, "s\n") && holds(P(&pl, "keep"), "keep\n") && entries(pl.ledger) == 1,
	    "its file is there, the plane's untouched");
	close(pl.fd);
}

/* A staged file changed after the commit point is never renamed into place. */
static void
test_tampered_stage(void)
{
	struct cp_journal_report r;
	struct plane pl;
	struct cp_err e;
	char p[4096], *slash;
	struct dirent *d;
	DIR *dir;

	plane_new(&pl);
	tx_ext = 0;	/* in the plane: an external root is refused before the staged files are looked at */
	cp_journal_test_stop_after(2);
	CHECK(tx(&pl, &e) == -1, "stopped after the entry");
	cp_journal_test_stop_after(-1);
	tx_ext = 1;
	snprintf(p, sizeof(p), "%s/.cp/stage", pl.root);
	if ((dir = opendir(p)) == NULL)
		die(p);
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			break;
	slash = p + strlen(p);
	snprintf(slash, sizeof(p) - strlen(p), "/%s/f1", d->d_name);
	closedir(dir);
	write_file(p, "evil\n");
	CHECK(cp_journal_recover(pl.fd, pl.ledger, &r, &e) == -1 &&
	    strstr(e.msg, "not the journal's") != NULL, "recovery refuses a changed staged file");
	CHECK(holds(P(&pl, "dir/a.txt"), "old a\n") && exists(P(&pl, ".cp/journal")),
	    "it is not put, and the journal stays");
	close(pl.fd);
}

int
main(void)
{
	umask(022);
	if (mkdtemp(tmp) == NULL)
		die("mkdtemp");
	test_commit();
	test_abort();
	test_crash();
	test_crash_external();
	test_crash_midprune();
	test_stale();
	test_forged();
	test_unbound();
	test_symlinks();
	test_tampered_stage();
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_END();
}
