/* journal: a plane operation staged, journaled, ledgered and renamed into place; recovery after a crash.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic.h"
#include "base/beneath.h"
#include "base/buf.h"
#include "base/hex.h"
#include "base/io.h"
#include "base/lock.h"
#include "base/relpath.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "hash/sha256.h"
#include "ledger/append.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "ledger/seg.h"
#include "plane/journal.h"
#include "plane/lcheck.h"
#include "text/sumline.h"

#define STATE ".cp"
#define STAGE "stage"
#define JOURNAL "journal"
#define LOCKNAME "plane.lock"
#define TMP_PREFIX ".journal."		/* base/atomic's temporary files of JOURNAL */
#define JOURNAL_MAX ((off_t)512 * 1024 * 1024)
#define RM_DEPTH_MAX 512

static const char zeros[CP_SHA256_HEXLEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

enum { PUT, DEL };

struct step {
	int kind;
	int root;
	char hex[CP_SHA256_HEXLEN + 1];	/* PUT: the staged file's SHA-256 */
	char *staged;			/* PUT: beneath the staging directory */
	char *rel;
};

struct cp_journal {
	int planefd;
	int cpfd;		/* .cp */
	int stagesfd;		/* .cp/stage, or -1 */
	int stagefd;		/* .cp/stage/TXID, or -1 */
	int lockfd;
	char txid[CP_JOURNAL_TXIDLEN + 1];
	char id[16];		/* the ledger entry's */
	char *root;		/* the external root, or NULL */
	int rootfd[2];
	struct step *step;
	size_t n, cap;
	struct cp_strmap *paths;	/* "R:rel" (1 a step's path, 2 a directory of one), "S:staged" */
	unsigned long nstaged;
	int dry;		/* cp_journal_begin_dry: staged outside the plane, never committed */
};

static int stop_after = -1;

void
cp_journal_test_stop_after(int k)
{
	stop_after = k;
}

static int
random_hex(char *out, size_t nbytes, struct cp_err *e)
{
	unsigned char b[32];
	size_t got = 0;
	ssize_t n;

	while (got < nbytes) {
		if ((n = getrandom(b + got, nbytes - got, 0)) < 0) {
			if (errno == EINTR)
				continue;
			return cp_err_set(e, errno, "getrandom");
		}
		got += (size_t)n;
	}
	cp_hex_encode(b, nbytes, out);
	out[2 * nbytes] = '\0';
	return 0;
}

/* Append name escaped as sumline does, with a leading '\' when escaped (the form of a journal line). */
static void
esc(struct cp_buf *b, const char *name)
{
	struct cp_buf t = CP_BUF_INIT;

	cp_sumline_format(&t, zeros, name);
	if (t.data[0] == '\\') {
		cp_buf_addc(b, '\\');
		cp_buf_add(b, t.data + 1 + CP_SHA256_HEXLEN + 2, t.len - 1 - CP_SHA256_HEXLEN - 2);
	} else
		cp_buf_add(b, t.data + CP_SHA256_HEXLEN + 2, t.len - CP_SHA256_HEXLEN - 2);
	free(t.data);
}

/* The name s[0..len) stands for in a journal line, only when esc() gives back exactly s.  Caller frees. */
static char *
unesc(const char *s, size_t len)
{
	struct cp_buf t = CP_BUF_INIT, back = CP_BUF_INIT;
	char hex[65], *name = NULL;

	if (len == 0 || memchr(s, '\0', len) != NULL)
		return NULL;
	if (s[0] == '\\') {
		cp_buf_addc(&t, '\\');
		cp_buf_adds(&t, zeros);
		cp_buf_adds(&t, "  ");
		cp_buf_add(&t, s + 1, len - 1);
		if (cp_sumline_parse(t.data, t.len, hex, &name) == -1)
			name = NULL;
	} else
		name = xstrndup(s, len);
	if (name != NULL) {
		esc(&back, name);
		if (back.len != len || memcmp(back.data, s, len) != 0) {
			free(name);
			name = NULL;
		}
	}
	free(t.data);
	free(back.data);
	return name;
}

/* The external root's rule: absolute, canonical in form (no ., .., //, trailing /), not "/". */
static int
root_ok(const char *abs, struct cp_err *e)
{
	if (abs[0] != '/')
		return cp_err_set(e, 0, "root %s: not an absolute path", abs);
	if (!cp_relpath_ok(abs + 1, strlen(abs + 1), e))
		return cp_err_prefix(e, "root %s", abs);
	return 0;
}

/* Open the external root beneath "/" without following a symlink. */
static int
open_root(const char *abs, struct cp_err *e)
{
	int slash, fd;

	if ((slash = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return cp_err_set(e, errno, "/");
	fd = cp_beneath_open(slash, abs + 1, O_RDONLY | O_DIRECTORY, 0, e);
	close(slash);
	return fd;
}

static struct cp_journal *
handle_new(int planefd)
{
	struct cp_journal *j = xcalloc(1, sizeof(*j));

	j->planefd = planefd;
	j->cpfd = j->stagesfd = j->stagefd = j->lockfd = -1;
	j->rootfd[0] = planefd;
	j->rootfd[1] = -1;
	j->paths = cp_strmap_new();
	return j;
}

static void
handle_free(struct cp_journal *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->n; i++) {
		free(j->step[i].staged);
		free(j->step[i].rel);
	}
	free(j->step);
	free(j->root);
	cp_strmap_free(j->paths);
	if (j->rootfd[1] >= 0)
		close(j->rootfd[1]);
	if (j->stagefd >= 0)
		close(j->stagefd);
	if (j->stagesfd >= 0)
		close(j->stagesfd);
	cp_lock_release(j->lockfd);
	if (j->cpfd >= 0)
		close(j->cpfd);
	if (j->planefd >= 0)
		close(j->planefd);
	free(j);
}

/* Remove name beneath dirfd, a directory with everything in it, never following a symlink. */
static int
rm_tree(int at, const char *name, int depth, struct cp_err *e)
{
	struct dirent *d;
	DIR *dir;
	int fd, rc = 0;

	if (unlinkat(at, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return cp_err_set(e, errno, "%s", name);
	if (depth >= RM_DEPTH_MAX)
		return cp_err_set(e, 0, "%s: staging nested deeper than %d", name, RM_DEPTH_MAX);
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return cp_err_set(e, errno, "%s", name);
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return cp_err_set(e, errno, "%s", name);
	}
	while (rc == 0 && (errno = 0, d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (rm_tree(dirfd(dir), d->d_name, depth + 1, e) == -1)
			rc = cp_err_prefix(e, "%s", name);
	}
	if (rc == 0 && errno != 0)
		rc = cp_err_set(e, errno, "%s", name);
	closedir(dir);
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rc = cp_err_set(e, errno, "%s", name);
	return rc;
}

/* Lock the plane: .cp made (or opened) beneath the root, never through a symlink. */
static int
lock_plane(struct cp_journal *j, int create, struct cp_err *e)
{
	if (create)
		j->cpfd = cp_beneath_mkdirs(j->planefd, STATE, 0755, e);
	else
		j->cpfd = cp_beneath_open(j->planefd, STATE, O_RDONLY | O_DIRECTORY, 0, e);
	if (j->cpfd == -1)
		return -1;
	if ((j->lockfd = cp_lock_acquire_at(j->cpfd, LOCKNAME)) == -1)
		return cp_err_set(e, errno, "%s/%s", STATE, LOCKNAME);
	return 0;
}

int
cp_journal_begin(int plane_fd, struct cp_journal **jp, struct cp_err *e)
{
	struct cp_journal *j;
	struct stat st;
	int fd;

	*jp = NULL;
	if ((fd = fcntl(plane_fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return cp_err_set(e, errno, "the plane's directory");
	j = handle_new(fd);
	if (lock_plane(j, 1, e) == -1)
		goto fail;
	if (fstatat(j->cpfd, JOURNAL, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
		cp_err_set(e, 0, "%s/%s: an unfinished transaction: run recovery first", STATE, JOURNAL);
		goto fail;
	}
	if ((j->stagesfd = cp_beneath_mkdirs(j->cpfd, STAGE, 0755, e)) == -1 ||
	    random_hex(j->txid, CP_JOURNAL_TXIDLEN / 2, e) == -1 ||
	    random_hex(j->id, 4, e) == -1)
		goto fail;
	memmove(j->id + 4, j->id, 9);
	memcpy(j->id, "LED-", 4);
	if (mkdirat(j->stagesfd, j->txid, 0700) == -1) {
		cp_err_set(e, errno, "%s/%s/%s", STATE, STAGE, j->txid);
		goto fail;
	}
	if ((j->stagefd = cp_beneath_open(j->stagesfd, j->txid, O_RDONLY | O_DIRECTORY, 0, e)) == -1) {
		unlinkat(j->stagesfd, j->txid, AT_REMOVEDIR);
		goto fail;
	}
	*jp = j;
	return 0;
fail:
	handle_free(j);
	return -1;
}

int
cp_journal_begin_dry(int plane_fd, struct cp_journal **jp, struct cp_err *e)
{
	struct cp_journal *j;
	const char *tmp = getenv("TMPDIR");
	struct stat st;
	int fd, cpfd;

	*jp = NULL;
	if (tmp == NULL || *tmp != '/')
		tmp = "/tmp";
	if ((fd = fcntl(plane_fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return cp_err_set(e, errno, "the plane's directory");
	j = handle_new(fd);
	j->dry = 1;
	/* an unfinished transaction makes any plan a guess: refused as begin refuses it */
	if ((cpfd = cp_beneath_open(plane_fd, STATE, O_RDONLY | O_DIRECTORY, 0, e)) >= 0) {
		int there = fstatat(cpfd, JOURNAL, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;

		close(cpfd);
		if (there) {
			cp_err_set(e, 0, "%s/%s: an unfinished transaction: run recovery first", STATE,
			    JOURNAL);
			goto fail;
		}
	} else if (e->errnum != ENOENT)
		goto fail;
	if ((j->stagesfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		cp_err_set(e, errno, "%s", tmp);
		goto fail;
	}
	if (random_hex(j->txid, CP_JOURNAL_TXIDLEN / 2, e) == -1)
		goto fail;
	snprintf(j->id, sizeof(j->id), "LED-dryrun");
	if (mkdirat(j->stagesfd, j->txid, 0700) == -1) {
		cp_err_set(e, errno, "%s/%s", tmp, j->txid);
		goto fail;
	}
	if ((j->stagefd = cp_beneath_open(j->stagesfd, j->txid, O_RDONLY | O_DIRECTORY, 0, e)) == -1) {
		unlinkat(j->stagesfd, j->txid, AT_REMOVEDIR);
		goto fail;
	}
	*jp = j;
	return 0;
fail:
	handle_free(j);
	return -1;
}

int
cp_journal_dry(const struct cp_journal *j)
{
	return j->dry;
}

const char *
cp_journal_ledger_id(const struct cp_journal *j)
{
	return j->id;
}

int
cp_journal_stage_fd(const struct cp_journal *j)
{
	return j->stagefd;
}

const char *
cp_journal_txid(const struct cp_journal *j)
{
	return j->txid;
}

int
cp_journal_stage(struct cp_journal *j, char name[32], struct cp_err *e)
{
	int fd;

	snprintf(name, 32, "f%lu", ++j->nstaged);
	if ((fd = cp_beneath_open(j->stagefd, name, O_WRONLY | O_CREAT | O_EXCL, 0644, e)) == -1)
		return cp_err_prefix(e, "staging");
	return fd;
}

int
cp_journal_root(struct cp_journal *j, const char *abs, struct cp_err *e)
{
	if (j->root != NULL)
		return cp_err_set(e, 0, "root %s: a transaction has one external root (%s)", abs,
		    j->root);
	if (root_ok(abs, e) == -1 || (j->rootfd[1] = open_root(abs, e)) == -1)
		return -1;
	j->root = xstrdup(abs);
	return 1;
}

/* "R:rel" */
static void
path_key(struct cp_buf *b, int root, const char *rel, size_t len)
{
	b->len = 0;
	cp_buf_addc(b, root ? '1' : '0');
	cp_buf_addc(b, ':');
	cp_buf_add(b, rel, len);
}

/*
 * Note rel as a step's path: refused when a step names it already, or it
 * is a directory of one, or one of its directories is a step's path.
 */
static int
claim_path(struct cp_journal *j, int root, const char *rel, struct cp_err *e)
{
	struct cp_buf k = CP_BUF_INIT;
	size_t v, len = strlen(rel);
	int rc = 0, added;

	path_key(&k, root, rel, len);
	if (cp_strmap_get(j->paths, k.data, k.len, &v))
		rc = cp_err_set(e, 0, "%s: %s", rel, v == 1 ? "named by two steps" :
		    "a directory of another step's path");
	for (size_t i = len; rc == 0 && i-- > 0;)
		if (rel[i] == '/') {
			path_key(&k, root, rel, i);
			if (cp_strmap_get(j->paths, k.data, k.len, &v) && v == 1)
				rc = cp_err_set(e, 0, "%s: its directory %.*s is another step's path",
				    rel, (int)i, rel);
		}
	if (rc == 0) {
		path_key(&k, root, rel, len);
		*cp_strmap_put(j->paths, k.data, k.len, &added, NULL) = 1;
		for (size_t i = len; i-- > 0;)
			if (rel[i] == '/') {
				path_key(&k, root, rel, i);
				*cp_strmap_put(j->paths, k.data, k.len, &added, NULL) = 2;
			}
	}
	free(k.data);
	return rc;
}

/* Check and add a step (from the API or a journal); takes staged and rel (freed on failure). */
static int
add_step(struct cp_journal *j, int kind, int root, const char *hex, char *staged, char *rel,
    struct cp_err *e)
{
	struct step *s;
	int added;

	if (j->n >= CP_JOURNAL_MAX_STEPS)
		cp_err_set(e, 0, "more than %d steps", CP_JOURNAL_MAX_STEPS);
	else if (root != 0 && (root != 1 || j->root == NULL))
		cp_err_set(e, 0, "root %d: no such root", root);
	else if (!cp_relpath_ok(rel, strlen(rel), e))
		cp_err_prefix(e, "%s", rel);
	else if (kind == PUT && !cp_relpath_ok(staged, strlen(staged), e))
		cp_err_prefix(e, "staged %s", staged);
	else if (claim_path(j, root, rel, e) == 0) {
		if (kind == PUT) {
			struct cp_buf k = CP_BUF_INIT;

			cp_buf_adds(&k, "S:");
			cp_buf_adds(&k, staged);
			cp_strmap_put(j->paths, k.data, k.len, &added, NULL);
			free(k.data);
			if (!added) {
				cp_err_set(e, 0, "staged %s: put twice", staged);
				goto fail;
			}
		}
		if (j->n == j->cap) {
			j->cap = j->cap ? 2 * j->cap : 16;
			j->step = xreallocarray(j->step, j->cap, sizeof(*j->step));
		}
		s = &j->step[j->n++];
		s->kind = kind;
		s->root = root;
		snprintf(s->hex, sizeof(s->hex), "%s", hex ? hex : zeros);
		s->staged = staged;
		s->rel = rel;
		return 0;
	}
fail:
	free(staged);
	free(rel);
	return -1;
}

/* SHA-256 of the regular file open as fd, in hex. */
static int
hash_fd(int fd, char hex[CP_SHA256_HEXLEN + 1], struct cp_err *e)
{
	struct cp_sha256 c = { 0 };
	unsigned char buf[65536], out[CP_SHA256_LEN];
	struct stat st;
	uint64_t size;
	int rc;

	if (fstat(fd, &st) == -1)
		return cp_err_set(e, errno, "fstat");
	if (!S_ISREG(st.st_mode))
		return cp_err_set(e, 0, "not a regular file");
	rc = cp_sha256_fd(&c, fd, buf, sizeof(buf), out, &size);
	cp_sha256_free(&c);
	if (rc == -1)
		return cp_err_set(e, errno, "read");
	cp_hex_encode(out, sizeof(out), hex);
	hex[CP_SHA256_HEXLEN] = '\0';
	return 0;
}

/* Hash rel beneath dirfd (no symlink anywhere): 0, or -1 with e (errnum ENOENT when missing). */
static int
hash_at(int dirfd, const char *rel, char hex[CP_SHA256_HEXLEN + 1], struct cp_err *e)
{
	int fd, rc;

	if ((fd = cp_beneath_open(dirfd, rel, O_RDONLY, 0, e)) == -1)
		return -1;
	if ((rc = hash_fd(fd, hex, e)) == -1)
		cp_err_prefix(e, "%s", rel);
	close(fd);
	return rc;
}

/*
 * Refuse now a path that its step could not take (a symlink or a file on
 * the way beneath its root), rather than after the commit point.  A
 * directory not there yet is fine.
 */
static int
reachable(struct cp_journal *j, int root, const char *rel, struct cp_err *e)
{
	const char *base;
	struct cp_err le;
	int fd;

	if (root != 0 && (root != 1 || j->root == NULL))
		return cp_err_set(e, 0, "root %d: no such root", root);
	if (!cp_relpath_ok(rel, strlen(rel), e))
		return cp_err_prefix(e, "%s", rel);
	cp_err_clear(&le);
	if ((fd = cp_beneath_parent(j->rootfd[root], rel, 0, &base, &le)) >= 0)
		close(fd);
	else if (le.errnum != ENOENT) {
		if (e != NULL)
			*e = le;
		return -1;
	}
	return 0;
}

int
cp_journal_put(struct cp_journal *j, int root, const char *rel, const char *staged,
    struct cp_err *e)
{
	char hex[CP_SHA256_HEXLEN + 1];

	if (reachable(j, root, rel, e) == -1)
		return -1;
	if (!cp_relpath_ok(staged, strlen(staged), e))
		return cp_err_prefix(e, "staged %s", staged);
	if (hash_at(j->stagefd, staged, hex, e) == -1)
		return cp_err_prefix(e, "staged");
	return add_step(j, PUT, root, hex, xstrdup(staged), xstrdup(rel), e);
}

int
cp_journal_del(struct cp_journal *j, int root, const char *rel, struct cp_err *e)
{
	if (reachable(j, root, rel, e) == -1)
		return -1;
	return add_step(j, DEL, root, NULL, NULL, xstrdup(rel), e);
}

/* The journal's text. */
static void
journal_text(const struct cp_journal *j, struct cp_buf *b)
{
	char num[32];

	cp_buf_adds(b, "cp-journal 1\ntxid ");
	cp_buf_adds(b, j->txid);
	cp_buf_adds(b, "\nledger ");
	cp_buf_adds(b, j->id);
	cp_buf_addc(b, '\n');
	if (j->root != NULL) {
		cp_buf_adds(b, "root ");
		esc(b, j->root);
		cp_buf_addc(b, '\n');
	}
	for (size_t i = 0; i < j->n; i++) {
		const struct step *s = &j->step[i];

		if (s->kind == PUT) {
			cp_buf_adds(b, s->root ? "put 1 " : "put 0 ");
			cp_buf_adds(b, s->hex);
			cp_buf_addc(b, ' ');
			esc(b, s->staged);
			cp_buf_adds(b, "\nto ");
		} else
			cp_buf_adds(b, s->root ? "del 1 " : "del 0 ");
		esc(b, s->rel);
		cp_buf_addc(b, '\n');
	}
	snprintf(num, sizeof(num), "end %zu\n", j->n);
	cp_buf_adds(b, num);
}

/* Take the line at *p (before end), without its newline; NULL when none is left or it is unended. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nl;

	if (s >= end || (nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return NULL;
	*len = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

/* 1 if line[0..len) starts with word and a space; *rest and *rlen get what follows. */
static int
word(const char *line, size_t len, const char *w, const char **rest, size_t *rlen)
{
	size_t n = strlen(w);

	if (len <= n || memcmp(line, w, n) != 0 || line[n] != ' ')
		return 0;
	*rest = line + n + 1;
	*rlen = len - n - 1;
	return 1;
}

/* Parse a journal's text strictly into j (txid, id, root, steps); -1 (e) on anything else. */
static int
journal_parse(struct cp_journal *j, const char *text, size_t size, struct cp_err *e)
{
	const char *p = text, *end = text + size, *l, *r;
	size_t len, rlen, lineno = 0;
	unsigned long long count;
	char *endp;

#define NEXT() (lineno++, (l = next_line(&p, end, &len)) != NULL)
#define BAD(what) do { cp_err_set(e, 0, "line %zu: %s", lineno, (what)); return -1; } while (0)
	if (memchr(text, '\0', size) != NULL)
		return cp_err_set(e, 0, "a NUL byte");
	if (!NEXT() || len != 12 || memcmp(l, "cp-journal 1", 12) != 0)
		BAD("not \"cp-journal 1\"");
	if (!NEXT() || !word(l, len, "txid", &r, &rlen) || rlen != CP_JOURNAL_TXIDLEN ||
	    !cp_hex_is_lower(r, rlen))
		BAD("not \"txid\" and 32 lowercase hex digits");
	memcpy(j->txid, r, rlen);
	if (!NEXT() || !word(l, len, "ledger", &r, &rlen) || rlen != 12)
		BAD("not \"ledger\" and an entry id");
	memcpy(j->id, r, rlen);
	j->id[rlen] = '\0';
	if (!cp_entry_id_ok(j->id))
		BAD("not \"ledger\" and an entry id");
	if (!NEXT())
		BAD("unended");
	if (word(l, len, "root", &r, &rlen)) {
		if ((j->root = unesc(r, rlen)) == NULL)
			BAD("a badly escaped root");
		if (root_ok(j->root, e) == -1)
			return cp_err_prefix(e, "line %zu", lineno);
		if (!NEXT())
			BAD("unended");
	}
	for (;;) {
		char *staged = NULL, *rel;
		const char *hex = NULL;
		int kind, root;

		if (word(l, len, "end", &r, &rlen)) {
			if (rlen == 0 || rlen > 20 || r[0] < '1' - (rlen == 1) || r[0] > '9' ||
			    strspn(r, "0123456789") < rlen)
				BAD("a bad step count");
			count = strtoull(r, &endp, 10);
			if (count != j->n)
				BAD("the step count is not the number of steps");
			if (p != end)
				BAD("text after the end");
			return 0;
		}
		if (word(l, len, "put", &r, &rlen))
			kind = PUT;
		else if (word(l, len, "del", &r, &rlen))
			kind = DEL;
		else
			BAD("not a step");
		if (rlen < 3 || (r[0] != '0' && r[0] != '1') || r[1] != ' ')
			BAD("a bad root number");
		root = r[0] - '0';
		r += 2;
		rlen -= 2;
		if (kind == PUT) {
			if (rlen < CP_SHA256_HEXLEN + 2 || r[CP_SHA256_HEXLEN] != ' ' ||
			    !cp_hex_is_sha256(r, CP_SHA256_HEXLEN) ||
			    !cp_hex_is_lower(r, CP_SHA256_HEXLEN))
				BAD("a bad SHA-256");
			hex = r;
			if ((staged = unesc(r + CP_SHA256_HEXLEN + 1, rlen - CP_SHA256_HEXLEN - 1)) ==
			    NULL)
				BAD("a badly escaped staged name");
			if (!NEXT() || !word(l, len, "to", &r, &rlen)) {
				free(staged);
				BAD("a put without its \"to\" line");
			}
		}
		if ((rel = unesc(r, rlen)) == NULL) {
			free(staged);
			BAD("a badly escaped path");
		}
		{
			char h[CP_SHA256_HEXLEN + 1];

			if (hex != NULL) {
				memcpy(h, hex, CP_SHA256_HEXLEN);
				h[CP_SHA256_HEXLEN] = '\0';
			}
			if (add_step(j, kind, root, hex ? h : NULL, staged, rel, e) == -1)
				return cp_err_prefix(e, "line %zu", lineno);
		}
		if (!NEXT())
			BAD("unended: no \"end\" line");
	}
#undef NEXT
#undef BAD
}

/* Point k of a commit reached: 1 when the test hook says to stop here. */
static int
stop_here(int k, struct cp_err *e)
{
	if (stop_after < 0 || k != stop_after)
		return 0;
	cp_err_set(e, 0, "stopped by the test hook after point %d", k);
	return 1;
}

/* Do a put; *did is 1 when it was not done yet.  verify: check the staged file's SHA-256 first. */
static int
do_put(struct cp_journal *j, const struct step *s, int verify, int *did, struct cp_err *e)
{
	char hex[CP_SHA256_HEXLEN + 1];
	const char *sbase, *tbase;
	struct cp_err le;
	int sfd = -1, tfd = -1, rc = -1;

	*did = 0;
	cp_err_clear(&le);
	if (j->stagefd >= 0)
		sfd = cp_beneath_parent(j->stagefd, s->staged, 0, &sbase, &le);
	if (sfd >= 0 && verify) {
		if (hash_at(sfd, sbase, hex, &le) == 0) {
			if (strcmp(hex, s->hex) != 0) {
				cp_err_set(e, 0, "staged %s: its SHA-256 is not the journal's", s->staged);
				goto out;
			}
		} else if (le.errnum != ENOENT) {
			cp_err_set(e, 0, "staged %s", le.msg);
			goto out;
		} else {
			close(sfd);
			sfd = -1;
		}
	}
	if ((tfd = cp_beneath_parent(j->rootfd[s->root], s->rel, 1, &tbase, e)) == -1)
		goto out;
	if (sfd >= 0 && renameat(sfd, sbase, tfd, tbase) == 0) {
		if (fsync(tfd) == -1) {
			cp_err_set(e, errno, "%s: fsync of its directory", s->rel);
			goto out;
		}
		*did = 1;
		rc = 0;
	} else if (sfd >= 0 && errno != ENOENT) {
		cp_err_set(e, errno, "%s", s->rel);
	} else {
		/* The staged file is gone: done only if the target holds its bytes. */
		if (hash_at(tfd, tbase, hex, &le) == -1)
			cp_err_set(e, le.errnum, "%s: staged %s is gone, and the file cannot be read",
			    s->rel, s->staged);
		else if (strcmp(hex, s->hex) != 0)
			cp_err_set(e, 0, "%s: staged %s is gone and the file is not what was staged",
			    s->rel, s->staged);
		else
			rc = 0;
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return rc;
}

/*
 * Remove the directories of rel left empty, deepest first, up to the root.
 * One already gone is passed over (a crash may have come between two of
 * them, and recovery must finish as the uncut run would); the first that
 * is not empty, or cannot go, ends it.
 */
static void
prune_dirs(int root, const char *rel)
{
	char *dir = xstrdup(rel);
	const char *base;
	struct cp_err le;
	int pfd;

	for (size_t n = strlen(dir); n-- > 0;) {
		if (dir[n] != '/')
			continue;
		dir[n] = '\0';
		cp_err_clear(&le);
		if ((pfd = cp_beneath_parent(root, dir, 0, &base, &le)) == -1) {
			if (le.errnum == ENOENT)
				continue;
			break;
		}
		if (unlinkat(pfd, base, AT_REMOVEDIR) == 0)
			fsync(pfd);
		else if (errno != ENOENT) {
			close(pfd);
			break;
		}
		close(pfd);
	}
	free(dir);
}

/* Do a del: unlink, then remove the directories left empty up to the root. */
static int
do_del(struct cp_journal *j, const struct step *s, int *did, struct cp_err *e)
{
	int root = j->rootfd[s->root], pfd;
	const char *base;
	struct cp_err le;

	*did = 0;
	cp_err_clear(&le);
	if ((pfd = cp_beneath_parent(root, s->rel, 0, &base, &le)) == -1) {
		if (le.errnum != ENOENT) {
			if (e != NULL)
				*e = le;
			return -1;
		}
		/* its directory is gone, so is it; the empty ones above may not be */
		prune_dirs(root, s->rel);
		return 0;
	}
	if (unlinkat(pfd, base, 0) == 0)
		*did = 1;
	else if (errno != ENOENT) {
		cp_err_set(e, errno, "%s", s->rel);
		close(pfd);
		return -1;
	}
	if (*did && fsync(pfd) == -1) {
		cp_err_set(e, errno, "%s: fsync of its directory", s->rel);
		close(pfd);
		return -1;
	}
	close(pfd);
	prune_dirs(root, s->rel);
	return 0;
}

/* Perform steps from first on; *redone counts those not done before.  k: the hook's point of step 0. */
static int
do_steps(struct cp_journal *j, int verify, size_t *redone, int k, struct cp_err *e)
{
	int did;

	for (size_t i = 0; i < j->n; i++) {
		const struct step *s = &j->step[i];

		if ((s->kind == PUT ? do_put(j, s, verify, &did, e) :
		    do_del(j, s, &did, e)) == -1)
			return -1;
		*redone += (size_t)did;
		if (k >= 0 && stop_here(k + (int)i, e))
			return -2;
	}
	return 0;
}

/* Remove the staging directory and then the journal. */
static int
finish(struct cp_journal *j, int k, struct cp_err *e)
{
	if (j->stagefd >= 0) {
		close(j->stagefd);
		j->stagefd = -1;
	}
	if (j->stagesfd >= 0 && rm_tree(j->stagesfd, j->txid, 0, e) == -1)
		return cp_err_prefix(e, "%s/%s", STATE, STAGE);
	if (k >= 0 && stop_here(k, e))
		return -2;
	if (unlinkat(j->cpfd, JOURNAL, 0) == -1 && errno != ENOENT)
		return cp_err_set(e, errno, "%s/%s", STATE, JOURNAL);
	if (fsync(j->cpfd) == -1)
		return cp_err_set(e, errno, "%s", STATE);
	return 0;
}

/*
 * The plane's checkpoint brought up to its ledger, ledger_path being
 * ROOT/ledger, once the entry is durable: never ahead of the ledger, at
 * worst one entry behind after a crash (recovery catches up).  Its failure
 * (a ledger that no longer extends the checkpoint: tampering) undoes
 * nothing committed; the checkpoint is left as it was, for cp-ledger
 * verify --checkpoint and cp-integrity to report.
 */
static void
keep_checkpoint(struct cp_journal *j, const char *ledger_path)
{
	const char *slash = strrchr(ledger_path, '/');
	struct cp_err e;
	char *root;

	if (slash == NULL)
		return;
	root = slash == ledger_path ? xstrdup("/") : xstrndup(ledger_path, (size_t)(slash - ledger_path));
	(void)cp_lcheck_update(j->planefd, root, &e);
	free(root);
}

/* 1 if a sound entry with id whose metadata names digest is in the ledger, 0 if not, -1 (e). */
static int
find_entry(const char *ledger, const char *id, const char *digest, struct cp_err *e)
{
	struct cp_entry_parser ep = { 0 };
	struct cp_ledger_line ln;
	struct cp_seg_reader r;
	struct cp_ledger *l;
	struct cp_err le;
	char needle[24];
	const char *line;
	size_t len;
	int found = 0, ended, rc;

	cp_err_clear(&le);
	if (cp_ledger_open(&l, ledger, 0, &le) == -1) {
		if (le.errnum == ENOENT)
			return 0;
		if (e != NULL)
			*e = le;
		return -1;
	}
	snprintf(needle, sizeof(needle), "\"%s\"", id);
	/* The entry is at the tail, unless others appended since: the last segment first. */
	for (size_t i = cp_ledger_nsegments(l); !found && i-- > 0;) {
		const char *path = cp_ledger_segment(l, i);
		struct stat st;
		int fd;

		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
		    fstat(fd, &st) == -1) {
			found = cp_err_set(e, errno, "%s", path);
			if (fd >= 0)
				close(fd);
			break;
		}
		cp_seg_reader_init(&r, fd, st.st_size);
		while (!found && (rc = cp_seg_reader_next(&r, &line, &len, &ended)) != 0) {
			const struct cp_jnode *m, *d;

			if (rc == -1) {
				found = cp_err_set(e, errno, "%s", path);
				break;
			}
			if (rc != 1 || memmem(line, len, needle, strlen(needle)) == NULL)
				continue;
			/* A sound entry even without its newline: repair completes such a line. */
			if (cp_entry_parse(&ep, line, len, 1, &ln) != CP_LEDGER_ENTRY ||
			    ln.id == NULL || strcmp(ln.id, id) != 0 ||
			    strcmp(ln.entry_hash, ln.hash_hex) != 0)
				continue;
			if ((m = cp_jtree_get(ln.entry, "metadata")) != NULL && m->type == CP_JOBJECT &&
			    (d = cp_jtree_get(m, "journal")) != NULL && d->type == CP_JSTRING &&
			    d->len == CP_SHA256_HEXLEN && memcmp(d->u.s, digest, d->len) == 0)
				found = 1;
		}
		cp_seg_reader_free(&r);
		close(fd);
	}
	cp_entry_parser_free(&ep);
	cp_ledger_close(l);
	return found;
}

/* Write the journal; digest gets the SHA-256 of its bytes. */
static int
journal_write(struct cp_journal *j, char digest[CP_SHA256_HEXLEN + 1], struct cp_err *e)
{
	struct cp_buf b = CP_BUF_INIT;
	unsigned char d[CP_SHA256_LEN];
	struct cp_atomic a;
	int rc = 0;

	journal_text(j, &b);
	if (cp_sha256(b.data, b.len, d) == -1)
		rc = cp_err_set(e, errno, "sha256");
	else if (cp_atomic_openat(&a, j->cpfd, JOURNAL, 0644) == -1)
		rc = cp_err_set(e, errno, "%s/%s", STATE, JOURNAL);
	else if (fwrite(b.data, 1, b.len, a.fp) != b.len) {
		rc = cp_err_set(e, errno, "%s/%s", STATE, JOURNAL);
		cp_atomic_abort(&a);
	} else if (cp_atomic_commit(&a) == -1)
		rc = cp_err_set(e, errno, "%s/%s", STATE, JOURNAL);
	cp_hex_encode(d, sizeof(d), digest);
	digest[CP_SHA256_HEXLEN] = '\0';
	free(b.data);
	return rc;
}

int
cp_journal_commit(struct cp_journal *j, const char *ledger_path, struct cp_event *ev,
    char **line, struct cp_err *e)
{
	struct cp_append_opts o = { 0 };
	char digest[CP_SHA256_HEXLEN + 1];
	struct cp_err ae;
	struct cp_json *w;
	size_t done = 0;
	int rc;

	if (line != NULL)
		*line = NULL;
	if (j->dry) {
		cp_err_set(e, 0, "a dry run's transaction is never committed");
		cp_journal_abort(j);
		return -1;
	}
	if (stop_here(0, e))
		goto halt;
	if (ev->stage == 2 || ev->fp == NULL) {
		cp_err_set(e, 0, "the event is ended already: the journal cannot add to it");
		goto back;
	}
	w = cp_event_metadata(ev);
	if (w->depth != 2) {
		cp_err_set(e, 0, "the event's metadata is not open at its top level");
		goto back;
	}
	if (journal_write(j, digest, e) == -1)
		goto back;
	if (stop_here(1, e))
		goto halt;
	cp_json_kstr(w, "journal", digest);
	o.id = j->id;
	cp_err_clear(&ae);
	if (cp_event_end(ev, &ae) == -1 ||
	    cp_append_with(ledger_path, &o, ev->text, ev->len, line, &ae) == -1) {
		/* Appended or not, the ledger says (an error reading the line back comes after it). */
		if ((rc = find_entry(ledger_path, j->id, digest, e)) == 0) {
			if (e != NULL)
				*e = ae;
			goto back;
		}
		if (rc == -1) {
			/* Undecided: the journal stays, and recovery reads the ledger again. */
			cp_err_prefix(e, "%s: %s; then reading it back", ledger_path, ae.msg);
			goto halt;
		}
	}
	if (stop_here(2, e))
		goto halt;
	keep_checkpoint(j, ledger_path);
	if ((rc = do_steps(j, 0, &done, 3, e)) == 0)
		rc = finish(j, 3 + (int)j->n, e);
	if (rc == -2)
		goto halt;
	handle_free(j);
	if (rc == -1) {
		cp_err_prefix(e, "committed as ledger entry %s, but not finished (recovery will)",
		    o.id);
		return 1;
	}
	return 0;
back:
	/* Nothing committed: the staging and the journal go (recovery would roll back too). */
	cp_journal_abort(j);
	return -1;
halt:
	handle_free(j);
	return -1;
}

void
cp_journal_abort(struct cp_journal *j)
{
	if (j == NULL)
		return;
	if (j->stagefd >= 0) {
		close(j->stagefd);
		j->stagefd = -1;
	}
	if (j->stagesfd >= 0)
		rm_tree(j->stagesfd, j->txid, 0, NULL);
	if (j->cpfd >= 0 && unlinkat(j->cpfd, JOURNAL, 0) == 0)
		fsync(j->cpfd);
	handle_free(j);
}

/* Read the journal open as fd, capped; caller frees. */
static char *
read_journal(int fd, size_t *size, struct cp_err *e)
{
	struct stat st;
	size_t got;
	char *buf;

	if (fstat(fd, &st) == -1)
		return cp_err_set(e, errno, "%s/%s", STATE, JOURNAL), NULL;
	if (!S_ISREG(st.st_mode))
		return cp_err_set(e, 0, "%s/%s: not a regular file", STATE, JOURNAL), NULL;
	if (st.st_size > JOURNAL_MAX)
		return cp_err_set(e, 0, "%s/%s: over %lld bytes", STATE, JOURNAL,
		    (long long)JOURNAL_MAX), NULL;
	buf = xmalloc((size_t)st.st_size + 1);
	if (cp_io_read_full(fd, buf, (size_t)st.st_size + 1, &got) == -1) {
		free(buf);
		return cp_err_set(e, errno, "%s/%s", STATE, JOURNAL), NULL;
	}
	if (got != (size_t)st.st_size) {
		free(buf);
		return cp_err_set(e, 0, "%s/%s: changed while read", STATE, JOURNAL), NULL;
	}
	*size = got;
	return buf;
}

/*
 * Remove every staging directory, temporary journal and temporary file
 * (the hash cache's, the integrity state's: base/atomic) left in .cp (the
 * lock is held).
 */
static int
remove_stale(struct cp_journal *j, struct cp_journal_report *r, struct cp_err *e)
{
	struct dirent *d;
	DIR *dir;
	int fd, rc = 0;

	if ((fd = openat(j->cpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cp_err_set(e, errno, "%s", STATE);
	}
	while ((d = readdir(dir)) != NULL)
		if (strncmp(d->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
		    unlinkat(j->cpfd, d->d_name, 0) == 0)
			r->stale++;
	closedir(dir);
	cp_atomic_sweep(j->cpfd);
	if (j->stagesfd < 0)
		return 0;
	if ((fd = openat(j->stagesfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cp_err_set(e, errno, "%s/%s", STATE, STAGE);
	}
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (rm_tree(j->stagesfd, d->d_name, 0, e) == -1)
			rc = cp_err_prefix(e, "%s/%s", STATE, STAGE);
		else
			r->stale++;
	}
	closedir(dir);
	return rc;
}

int
cp_journal_recover(int plane_fd, const char *ledger_path, struct cp_journal_report *r,
    struct cp_err *e)
{
	struct cp_journal *j;
	struct cp_err le;
	unsigned char d[CP_SHA256_LEN];
	char digest[CP_SHA256_HEXLEN + 1], *text = NULL;
	size_t size;
	int fd, rc = -1, found;

	memset(r, 0, sizeof(*r));
	if ((fd = fcntl(plane_fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return cp_err_set(e, errno, "the plane's directory");
	j = handle_new(fd);
	cp_err_clear(&le);
	if (lock_plane(j, 0, &le) == -1) {
		handle_free(j);
		if (le.errnum == ENOENT)	/* no .cp: nothing was ever staged */
			return 0;
		if (e != NULL)
			*e = le;
		return -1;
	}
	if ((j->stagesfd = cp_beneath_open(j->cpfd, STAGE, O_RDONLY | O_DIRECTORY, 0, &le)) == -1 &&
	    le.errnum != ENOENT) {
		if (e != NULL)
			*e = le;
		goto out;
	}
	if ((fd = cp_beneath_open(j->cpfd, JOURNAL, O_RDONLY | O_NONBLOCK, 0, &le)) == -1) {
		if (le.errnum != ENOENT) {
			if (e != NULL)
				*e = le;
			goto out;
		}
	} else {
		text = read_journal(fd, &size, e);
		close(fd);
		if (text == NULL)
			goto out;
		if (journal_parse(j, text, size, e) == -1) {
			cp_err_prefix(e, "%s/%s: refused, nothing done (look, then remove it)", STATE,
			    JOURNAL);
			goto out;
		}
		if (cp_sha256(text, size, d) == -1) {
			cp_err_set(e, errno, "sha256");
			goto out;
		}
		cp_hex_encode(d, sizeof(d), digest);
		digest[CP_SHA256_HEXLEN] = '\0';
		r->journal = 1;
		memcpy(r->txid, j->txid, sizeof(r->txid));
		memcpy(r->ledger_id, j->id, sizeof(r->ledger_id));
		if ((found = find_entry(ledger_path, j->id, digest, e)) == -1)
			goto out;
		if (found && j->root != NULL) {
			/*
			 * Anyone who can write .cp/ and append to the ledger can make a
			 * journal and an entry that name each other: its word is enough
			 * for the plane's own files, which that writer could change
			 * anyway, never for a directory outside the plane.
			 */
			cp_err_set(e, 0, "%s/%s: transaction %s (ledger entry %s) would write outside "
			    "the plane, in %s: recovery does not act outside the plane on a journal's "
			    "word; if it is your interrupted install, finish it by hand from %s/%s/%s, "
			    "then remove %s/%s", STATE, JOURNAL, j->txid, j->id, j->root, STATE, STAGE,
			    j->txid, STATE, JOURNAL);
			goto out;
		}
		if (found) {
			if (j->stagesfd >= 0 &&
			    (j->stagefd = cp_beneath_open(j->stagesfd, j->txid, O_RDONLY | O_DIRECTORY,
			    0, &le)) == -1 && le.errnum != ENOENT) {
				if (e != NULL)
					*e = le;
				goto out;
			}
			if (j->root != NULL && (j->rootfd[1] = open_root(j->root, e)) == -1)
				goto out;
			r->steps = j->n;
			if (do_steps(j, 1, &r->redone, -1, e) == -1) {
				cp_err_prefix(e, "recovering transaction %s (ledger entry %s)", j->txid,
				    j->id);
				goto out;
			}
			r->forward = 1;
			keep_checkpoint(j, ledger_path);
		} else
			r->back = 1;
		if (finish(j, -1, e) == -1)
			goto out;
	}
	rc = remove_stale(j, r, e);
out:
	free(text);
	handle_free(j);
	return rc;
}
