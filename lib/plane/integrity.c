/* integrity: registry rows, the files they name, orphans, the ledger and MANIFEST.json in one pass.
 * SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/atomic.h"
#include "base/buf.h"
#include "base/cpus.h"
#include "base/err.h"
#include "base/hex.h"
#include "base/json.h"
#include "base/layout.h"
#include "base/strmap.h"
#include "base/wipe.h"
#include "base/xalloc.h"
#include "hash/hashcache.h"
#include "hash/hashpool.h"
#include "hash/merkle.h"
#include "hash/statekey.h"
#include "ledger/ledger.h"
#include "ledger/finding.h"
#include "plane/fplist.h"
#include "plane/deps.h"
#include "plane/integrity.h"
#include "plane/lcheck.h"
#include "plane/manifest.h"
#include "plane/istate.h"
#include "text/csv.h"
#include "text/sumline.h"

/* A growable array of strings. */
struct strv {
	char **v;
	size_t n, cap;
};

static void
strv_push(struct strv *s, char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = str;
}

/* Push a formatted string (a message). */
static void __attribute__((format(printf, 2, 3)))
strv_pushf(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	strv_push(s, xstrdup(buf));
}

static void
strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct cp_integrity_file *)a)->path,
	    ((const struct cp_integrity_file *)b)->path);
}

/* Sort bytewise and drop repeats. */
static void
strv_sort_unique(struct strv *s)
{
	size_t i, k = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (i = 0; i < s->n; i++) {
		if (k > 0 && strcmp(s->v[k - 1], s->v[i]) == 0)
			free(s->v[i]);
		else
			s->v[k++] = s->v[i];
	}
	s->n = k;
}

/* Tell o's warn callback the formatted message (": strerror(errnum)" after it when errnum is not 0). */
static void
warn_msg(const struct cp_integrity_opts *o, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
warn_msg(const struct cp_integrity_opts *o, int errnum, const char *fmt, ...)
{
	struct cp_err w;
	va_list ap;

	if (o->warn == NULL)
		return;
	va_start(ap, fmt);
	cp_err_vset(&w, errnum, fmt, ap);
	va_end(ap);
	o->warn(o->warn_arg, w.msg);
}

/* Threads: -j, else one per online CPU. */
static int
jobs_of(const struct cp_integrity_opts *o)
{
	return o->jobs > 0 ? o->jobs : cp_cpus_online(INT_MAX);
}

/* artifact_path "/a/b" names a/b in the plane: no empty name, no "." or ".." component. */
static int
plane_relative(const char *p)
{
	const char *c, *e;

	if (p[0] != '/' || p[1] == '\0')
		return 0;
	for (c = p + 1; *c != '\0'; c = *e ? e + 1 : e) {
		e = strchr(c, '/');
		if (e == NULL)
			e = c + strlen(c);
		if ((e - c == 1 && c[0] == '.') || (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
	}
	return 1;
}

/* The column's value of a row, or "" when the registry has no such column. */
static const char *
col(const struct cp_csv_row *row, long i)
{
	return i >= 0 && (size_t)i < row->nfields ? row->field[i] : "";
}

/* Each row of a registry: fn(arg, id, entity_type, artifact_path, content_hash). */
typedef void (*row_fn)(void *arg, const char *id, const char *type, const char *path,
    const char *hash);

/* Read registry path; returns 0, 1 when it has no artifact_path column, -1 on error (e). */
static int
read_registry(const char *path, row_fn fn, void *arg, struct cp_err *e)
{
	struct cp_csv_reader *r;
	struct cp_csv_row row;
	long cid, ctype, cpath, chash;
	FILE *fp;
	int rc, ret = 0;

	if ((fp = fopen(path, "re")) == NULL)
		return cp_err_set(e, errno, "%s", path);
	r = cp_csv_open(fp, path, NULL);
	if (cp_csv_read_header(r) == -1) {
		if (e != NULL)
			*e = *cp_csv_error(r);
		ret = -1;
		goto out;
	}
	cid = cp_csv_column(r, "id");
	ctype = cp_csv_column(r, "entity_type");
	cpath = cp_csv_column(r, "artifact_path");
	chash = cp_csv_column(r, "content_hash");
	if (cpath < 0) {
		ret = 1;
		goto out;
	}
	while ((rc = cp_csv_read_row(r, &row)) == 1)
		fn(arg, col(&row, cid), col(&row, ctype), col(&row, cpath), col(&row, chash));
	if (rc == -1) {
		if (e != NULL)
			*e = *cp_csv_error(r);
		ret = -1;
	}
out:
	cp_csv_close(r);
	fclose(fp);
	return ret;
}

/* What one run works with. */
struct run {
	const struct cp_integrity_opts *o;
	struct cp_integrity *r;
	int rootfd;
	struct strv files;		/* plane-relative regular files to hash */
	struct strv dirs;		/* plane-relative registered directories */
	struct strv children;		/* plane-relative child registries */
	struct strv stored;		/* every row's content_hash, when not empty */
	struct cp_strmap *named;	/* plane-relative paths some row names */
	struct cp_fplist fps;		/* every input's lstat, for the state file */
	unsigned char *tree;		/* the cp2 tree of the root (scheme cp2), for the state file */
	size_t nleaves;
	struct cp_err *e;		/* why the run failed */
	int failed;
	unsigned char key[CP_STATEKEY_LEN];	/* the user's state key: the cache's and state's MAC */
};

static void
on_row(void *arg, const char *id, const char *type, const char *path, const char *hash)
{
	struct run *u = arg;
	struct cp_integrity *r = u->r;
	struct cp_integrity_row *row;
	const char *rel;
	size_t n;

	if (*hash != '\0')
		strv_push(&u->stored, xstrdup(hash));
	if (*path == '\0')
		return;
	if (r->nrows % 64 == 0)
		r->rows = xreallocarray(r->rows, r->nrows + 64, sizeof(*r->rows));
	row = &r->rows[r->nrows++];
	row->id = xstrdup(id);
	row->path = xstrdup(path);
	row->expected = xstrdup(hash);
	row->actual[0] = '\0';
	row->type = 0;
	row->status = CP_INTEGRITY_MISSING;
	rel = path + (path[0] == '/');
	if ((n = strlen(rel)) > 0)
		cp_strmap_add(u->named, rel, n, 0, NULL);
	if (!plane_relative(path)) {
		warn_msg(u->o, 0, "%s: artifact_path %s is not plane-relative: counted as missing",
		    id, path);
		return;
	}
	if (strcmp(type, "registry") == 0 && n >= 12 && strcmp(rel + n - 12, "registry.csv") == 0)
		strv_push(&u->children, xstrdup(rel));
}

/*
 * Python's Path.suffix, lowered (integrity_check.py's test): from the last
 * '.', which must be neither the first nor the last character (".md" and
 * "a." have none), compared whole with each word.
 */
static int
has_suffix(const char *name, const struct strv *suffixes)
{
	const char *dot = strrchr(name, '.');
	size_t n, k;

	if (dot == NULL || dot == name || dot[1] == '\0')
		return 0;
	n = strlen(dot);
	for (size_t i = 0; i < suffixes->n; i++) {
		if (strlen(suffixes->v[i]) != n)
			continue;
		for (k = 0; k < n; k++)
			if ((dot[k] >= 'A' && dot[k] <= 'Z' ? dot[k] - 'A' + 'a' : dot[k]) !=
			    suffixes->v[i][k])
				break;
		if (k == n)
			return 1;
	}
	return 0;
}

static int
in_words(const char *name, const struct strv *words)
{
	for (size_t i = 0; words != NULL && i < words->n; i++)
		if (strcmp(name, words->v[i]) == 0)
			return 1;
	return 0;
}

/*
 * Every regular file under the plane-relative directory top (symbolic links
 * not followed), pushed to out; with suffixes, only names ending in one;
 * names in excl (files, and directories with all they hold) left out.
 * A stack of paths, not of open directories: depth costs no descriptors.
 */
static int
walk(int rootfd, const char *top, const struct strv *suffixes, const struct strv *excl,
    struct strv *out, struct cp_fplist *fps, struct cp_err *e)
{
	struct strv todo = { 0 };
	struct dirent *de;
	struct stat st;
	char *dir;
	DIR *d;
	int fd, isdir, isreg, ret = 0;

	strv_push(&todo, xstrdup(top));
	while (todo.n > 0) {
		dir = todo.v[--todo.n];
		fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 || (d = fdopendir(fd)) == NULL) {
			cp_err_set(e, errno, "%s", dir);
			if (fd != -1)
				close(fd);
			free(dir);
			ret = -1;
			break;
		}
		/* A directory's times change when a name in it comes or goes. */
		if (fstat(fd, &st) == 0)
			cp_fplist_add(fps, dir, &st, 'X');
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			    in_words(de->d_name, excl))
				continue;
			isdir = de->d_type == DT_DIR;
			isreg = de->d_type == DT_REG;
			if (de->d_type == DT_UNKNOWN &&
			    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
				isdir = S_ISDIR(st.st_mode);
				isreg = S_ISREG(st.st_mode);
			}
			if (isdir)
				strv_push(&todo, xpathjoin(dir, de->d_name));
			else if (isreg && (suffixes == NULL || has_suffix(de->d_name, suffixes)))
				strv_push(out, xpathjoin(dir, de->d_name));
		}
		closedir(d);
		free(dir);
	}
	strv_free(&todo);
	return ret;
}

static void
split_words(const char *s, struct strv *out)
{
	const char *e;

	for (;;) {
		s += strspn(s, " \t\n");
		if (*s == '\0')
			return;
		e = s + strcspn(s, " \t\n");
		strv_push(out, xstrndup(s, (size_t)(e - s)));
		s = e;
	}
}

/* --- hashing ------------------------------------------------------------ */

/*
 * Two passes through one pool, lstat and hashing on every core: first the
 * registered paths (each row learns whether it names a file, a directory,
 * something else or nothing), then the regular files under the registered
 * directories.  Every file is statted once; the cache spares the reading.
 */
struct feed {
	struct run *u;
	int rows;		/* 1: the registered paths; 0: the files the walk found */
	size_t next;
	struct strv found;	/* plane-relative files hashed (into u->files) */
	struct cp_buf digests;	/* their digests and sizes, in the same order */
};

struct hashed {
	unsigned char digest[CP_SHA256_LEN];
	uint64_t size;
};

static int
feed_next(void *arg, char **path, void **user)
{
	struct feed *f = arg;
	struct cp_integrity *r = f->u->r;

	if (f->rows) {
		while (f->next < r->nrows && !plane_relative(r->rows[f->next].path))
			f->next++;
		if (f->next == r->nrows)
			return 0;
		*path = xpathjoin(f->u->o->root, r->rows[f->next].path + 1);
	} else {
		if (f->next == f->u->files.n)
			return 0;
		*path = xpathjoin(f->u->o->root, f->u->files.v[f->next]);
	}
	*user = (void *)f->next++;
	return 1;
}

static void
feed_done(void *arg, struct cp_hashjob *job)
{
	struct feed *f = arg;
	struct run *u = f->u;
	size_t i = (size_t)job->user;
	struct cp_integrity_row *row = f->rows ? &u->r->rows[i] : NULL;
	const char *rel = row ? row->path + 1 : u->files.v[i];
	struct hashed h;

	switch (job->err) {
	case 0:
	case EISDIR:
	case EINVAL:
		cp_fplist_add(&u->fps, rel, &job->st, job->err == 0 ? 'F' : 'X');
		break;
	case ENOENT:
	case ENOTDIR:
		cp_fplist_add(&u->fps, rel, NULL, 'X');
		break;
	}
	switch (job->err) {
	case 0:
		if (row != NULL)
			row->type = 'f';
		memcpy(h.digest, job->digest, sizeof(h.digest));
		h.size = job->size;
		cp_buf_add(&f->digests, &h, sizeof(h));
		strv_push(&f->found, xstrdup(rel));
		if (job->cached)
			u->r->cached++;
		else
			u->r->hashed++;
		return;
	case EISDIR:
		if (row != NULL) {
			row->type = 'd';
			strv_push(&u->dirs, xstrdup(rel));
		}
		return;
	case EINVAL:
		if (row != NULL)
			row->type = 'o';
		return;
	case ENOENT:
	case ENOTDIR:
		return;		/* missing (or gone since the walk) */
	}
	if (!u->failed)
		cp_err_set(u->e, job->err, "%s", rel);
	u->failed = 1;
}

static int
hash_files(struct run *u, struct cp_hashcache *cache)
{
	const struct cp_integrity_opts *o = u->o;
	struct cp_hashpool_opts po = { 0 };
	struct feed f = { 0 };
	struct cp_integrity *r = u->r;
	const struct hashed *h;
	size_t i, k;

	po.jobs = jobs_of(o);
	po.cache = cache;
	po.full = o->full;
	po.nofollow = 1;
	f.u = u;
	f.rows = 1;
	cp_hashpool_run(&po, feed_next, feed_done, &f);
	for (i = 0; i < u->dirs.n && !u->failed; i++)
		if (walk(u->rootfd, u->dirs.v[i], NULL, NULL, &u->files, &u->fps, u->e) == -1)
			u->failed = 1;
	if (!u->failed) {
		strv_sort_unique(&u->files);	/* nested registered directories */
		f.rows = 0;
		f.next = 0;
		cp_hashpool_run(&po, feed_next, feed_done, &f);
	}
	if (cache != NULL && !u->failed && cp_hashcache_save(cache, o->cache) == -1)
		warn_msg(o, errno, "%s: cannot save", o->cache);
	/* The files in bytewise path order, each once. */
	r->files = xcalloc(f.found.n ? f.found.n : 1, sizeof(*r->files));
	h = (const struct hashed *)f.digests.data;
	for (i = 0; i < f.found.n; i++) {
		r->files[i].path = f.found.v[i];
		memcpy(r->files[i].digest, h[i].digest, CP_SHA256_LEN);
		r->files[i].size = h[i].size;
	}
	r->nfiles = f.found.n;
	free(f.found.v);
	cp_buf_free(&f.digests);
	qsort(r->files, r->nfiles, sizeof(*r->files), cmp_file);
	for (i = k = 0; i < r->nfiles; i++) {
		if (k > 0 && strcmp(r->files[k - 1].path, r->files[i].path) == 0)
			free(r->files[i].path);
		else
			r->files[k++] = r->files[i];
	}
	r->nfiles = k;
	return u->failed ? -1 : 0;
}

/* Index of the first file whose path is >= key (bytewise). */
static size_t
lower_bound(const struct cp_integrity *r, const char *key)
{
	size_t lo = 0, hi = r->nfiles, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(r->files[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Room for a directory's files, reused from row to row. */
struct digests {
	struct cp_integrity_dirfile *v;
	size_t cap;
	const char *exclude;
};

/*
 * The actual hash of one row: its file's digest, or its directory's cp2
 * root; then its status.  0, or -1 when the hashing failed.
 */
static int
classify_row(struct cp_integrity *r, struct cp_integrity_row *row, struct digests *d)
{
	const char *rel = row->path + 1;
	size_t j, n, plen;
	char *prefix;

	if (row->type == 0)
		return 0;
	if (row->type == 'f') {
		j = lower_bound(r, rel);
		if (j < r->nfiles && strcmp(r->files[j].path, rel) == 0)
			cp_hex_encode(r->files[j].digest, CP_SHA256_LEN, row->actual);
	} else if (row->type == 'd') {
		prefix = xpathjoin(rel, "");
		plen = strlen(prefix);
		n = 0;
		for (j = lower_bound(r, prefix);
		    j < r->nfiles && strncmp(r->files[j].path, prefix, plen) == 0; j++) {
			if (n == d->cap) {
				d->cap = d->cap ? 2 * d->cap : 256;
				d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
			}
			d->v[n].path = r->files[j].path;
			memcpy(d->v[n++].digest, r->files[j].digest, CP_SHA256_LEN);
		}
		free(prefix);
		if (cp_integrity_dir_root(d->v, n, d->exclude, row->actual) == -1)
			return -1;
	}
	if (*row->expected == '\0')
		row->status = CP_INTEGRITY_NO_HASH;
	else
		row->status = strcmp(row->actual, row->expected) == 0 ?
		    CP_INTEGRITY_VALID : CP_INTEGRITY_INVALID;
	return 0;
}

/* Every row's actual hash and status: 0, or -1 (u->e) when the hashing failed. */
static int
classify(struct run *u)
{
	struct digests d = { NULL, 0, u->o->exclude };
	int rc = 0;

	for (size_t i = 0; i < u->r->nrows && rc == 0; i++)
		rc = classify_row(u->r, &u->r->rows[i], &d);
	free(d.v);
	if (rc == -1)
		cp_err_set(u->e, errno, "merkle");
	return rc;
}

/*
 * Only the rows over the files at fps indexes changed[0..n): the file
 * itself, or a directory above it.  Their indexes go to rows (nrows
 * entries), *nrows of them.  0, or -1 when the hashing failed.
 */
static int
reclassify(struct run *u, const size_t *changed, size_t n, size_t *rows, size_t *nrows)
{
	struct cp_integrity *r = u->r;
	struct digests d = { NULL, 0, u->o->exclude };
	const char *p, *rel;
	size_t i, k, len;
	int rc = 0;

	*nrows = 0;
	for (i = 0; i < r->nrows && rc == 0; i++) {
		rel = r->rows[i].path + 1;
		len = strlen(rel);
		for (k = 0; k < n; k++) {
			p = u->fps.v[changed[k]].path;
			if (strncmp(p, rel, len) == 0 && (p[len] == '\0' ||
			    (p[len] == '/' && r->rows[i].type == 'd'))) {
				rc = classify_row(r, &r->rows[i], &d);
				rows[(*nrows)++] = i;
				break;
			}
		}
	}
	free(d.v);
	return rc;
}

/* --- orphans ------------------------------------------------------------ */

static void
on_child_row(void *arg, const char *id, const char *type, const char *path, const char *hash)
{
	struct run *u = arg;
	const char *rel = path + (path[0] == '/');

	(void)id, (void)type, (void)hash;
	if (*rel != '\0')
		cp_strmap_add(u->named, rel, strlen(rel), 0, NULL);
}

/* Is path, or a directory above it, named by a row? */
static int
named(const struct run *u, const char *path)
{
	size_t n = strlen(path), v;

	while (n > 0) {
		if (cp_strmap_get(u->named, path, n, &v))
			return 1;
		while (n > 0 && path[n - 1] != '/')
			n--;
		if (n > 0)
			n--;
	}
	return 0;
}

/*
 * The orphan candidates: files under the governed directories with an
 * orphan suffix.  Walked on a thread of its own while the registry is read.
 */
struct scan {
	int rootfd;
	struct strv governed, suffixes, exclude, found;
	struct cp_fplist fps;
	struct cp_err err;
	int rc;
};

static void *
scan_run(void *arg)
{
	struct scan *sc = arg;
	struct stat st;

	for (size_t i = 0; i < sc->governed.n && sc->rc == 0; i++) {
		if (fstatat(sc->rootfd, sc->governed.v[i], &st, AT_SYMLINK_NOFOLLOW) == -1) {
			cp_fplist_add(&sc->fps, sc->governed.v[i], NULL, 'X');
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			cp_fplist_add(&sc->fps, sc->governed.v[i], &st, 'X');
			continue;
		}
		sc->rc = walk(sc->rootfd, sc->governed.v[i], &sc->suffixes, &sc->exclude,
		    &sc->found, &sc->fps, &sc->err);
	}
	return NULL;
}

/* A governed directory that is not plane-relative leaves sc->rc -1 and sc->err. */
static void
scan_init(struct scan *sc, const struct cp_integrity_opts *o, int rootfd)
{
	struct strv words = { 0 };
	char *slashed;

	memset(sc, 0, sizeof(*sc));
	sc->rootfd = rootfd;
	split_words(o->governed ? o->governed : CP_INTEGRITY_GOVERNED, &words);
	for (size_t i = 0; i < words.n; i++) {
		slashed = xpathjoin("", words.v[i]);
		if (plane_relative(slashed))
			strv_push(&sc->governed, words.v[i]);
		else {
			if (sc->rc == 0)
				cp_err_set(&sc->err, 0, "governed directory %s is not plane-relative",
				    words.v[i]);
			sc->rc = -1;
			free(words.v[i]);
		}
		free(slashed);
	}
	free(words.v);
	split_words(o->suffixes ? o->suffixes : CP_INTEGRITY_SUFFIXES, &sc->suffixes);
	split_words(o->exclude ? o->exclude : CP_INTEGRITY_EXCLUDE, &sc->exclude);
}

static void
scan_free(struct scan *sc)
{
	strv_free(&sc->governed);
	strv_free(&sc->suffixes);
	strv_free(&sc->exclude);
	strv_free(&sc->found);
	cp_fplist_free(&sc->fps);
}

/*
 * An input read by name (a registry, a ledger segment, MANIFEST.json): its
 * lstat, and when it is a symbolic link also what it leads to, since the
 * reading follows it.
 */
static void
fingerprint_input(struct run *u, const char *rel)
{
	struct stat st;

	if (fstatat(u->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		cp_fplist_add(&u->fps, rel, NULL, 'X');
		return;
	}
	cp_fplist_add(&u->fps, rel, &st, 'X');
	if (S_ISLNK(st.st_mode))
		cp_fplist_add(&u->fps, rel, fstatat(u->rootfd, rel, &st, 0) == 0 ? &st : NULL, 'L');
}

/* The candidates no row names (child registries' rows included) are the orphans. */
static int
orphans(struct run *u, const char *registry, struct scan *sc)
{
	const struct cp_integrity_opts *o = u->o;
	struct strv out = { 0 };
	struct stat st, self;
	struct cp_err err;
	char *p;
	size_t i;
	int rc;

	if (sc->rc != 0)
		return cp_err_set(u->e, 0, "%s", sc->err.msg);
	if (stat(registry, &self) == -1)
		memset(&self, 0, sizeof(self));
	for (i = 0; i < u->children.n; i++) {
		if (fstatat(u->rootfd, u->children.v[i], &st, 0) == -1 || !S_ISREG(st.st_mode) ||
		    (st.st_dev == self.st_dev && st.st_ino == self.st_ino))
			continue;
		fingerprint_input(u, u->children.v[i]);	/* its rows name files */
		p = xpathjoin(o->root, u->children.v[i]);
		rc = read_registry(p, on_child_row, u, &err);
		if (rc == 1)
			warn_msg(o, 0, "%s: a child registry without artifact_path: its rows name nothing",
			    u->children.v[i]);
		else if (rc == -1)
			warn_msg(o, 0, "%s", err.msg);
		free(p);
	}
	for (i = 0; i < sc->found.n; i++) {
		if (named(u, sc->found.v[i]))
			free(sc->found.v[i]);
		else
			strv_push(&out, sc->found.v[i]);
	}
	sc->found.n = 0;
	cp_fplist_take(&u->fps, &sc->fps);
	strv_sort_unique(&out);
	u->r->orphans = out.v;
	u->r->norphans = out.n;
	return 0;
}

/* --- the ledger and MANIFEST.json -------------------------------------- */

struct chain {
	struct strv lines;
	const char *root;
};

static void
on_finding(void *arg, const struct cp_ledger_finding *f)
{
	struct chain *c = arg;
	struct cp_buf b = CP_BUF_INIT;

	if (f->warning)
		return;
	cp_finding_text(&b, f, c->root);
	strv_push(&c->lines, b.data ? b.data : xstrdup(""));
}

/* The lstat of a directory and of every name in it (the ledger's segments). */
static void
fingerprint_dir(struct run *u, const char *dir, const struct stat *dst)
{
	struct dirent *de;
	char *p;
	DIR *d;
	int fd;

	cp_fplist_add(&u->fps, dir, dst, 'X');
	if (!S_ISDIR(dst->st_mode) ||
	    (fd = openat(u->rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = xpathjoin(dir, de->d_name);
		fingerprint_input(u, p);
		free(p);
	}
	closedir(d);
}

static void
ledger(struct run *u)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_LEDGER), *keys = cp_layout_rel(CP_LAYOUT_KEYS);
	struct cp_ledger_summary s;
	struct chain c = { { 0 }, u->o->root };
	struct cp_lcheck k;
	struct stat st;
	struct cp_err err;
	char *path;
	int has, x;

	if (fstatat(u->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		cp_fplist_add(&u->fps, rel, NULL, 'X');
		return;
	}
	fingerprint_dir(u, rel, &st);
	/* The checkpoint's signature policy and trusted keys are inputs too. */
	fingerprint_input(u, cp_layout_rel(CP_LAYOUT_CONF));
	if (fstatat(u->rootfd, keys, &st, AT_SYMLINK_NOFOLLOW) == 0)
		fingerprint_dir(u, keys, &st);
	else
		cp_fplist_add(&u->fps, keys, NULL, 'X');
	path = xpathjoin(u->o->root, rel);
	memset(&s, 0, sizeof(s));
	/* The plane's own checkpoint (plane/lcheck): the ledger must extend it. */
	if ((has = cp_lcheck_load(u->rootfd, u->o->root, &k, &err)) == -1) {
		strv_pushf(&c.lines, "ledger/%s unreadable: %s", CP_LCHECK_FILE, err.msg);
		has = 0;
	} else if (has && k.refused) {
		strv_pushf(&c.lines, "ledger/%s: %s", CP_LCHECK_FILE, k.why);
		has = 0;
	}
	if (cp_ledger_verify(path, has ? CP_LEDGER_KEEP_LEAVES : CP_LEDGER_NO_TREE, on_finding,
	    &c, &s, &err) == -1)
		strv_pushf(&c.lines, "ledger unreadable: %s", err.msg);
	else if (has && (x = cp_lcheck_extends(&k.c, &s, &err)) != 1) {
		if (x == -1)
			strv_pushf(&c.lines, "ledger/%s: %s", CP_LCHECK_FILE, err.msg);
		else if (k.c.size > s.entries)
			strv_pushf(&c.lines, "ledger/%s: it holds %llu entries, the ledger %llu "
			    "(entries were removed)", CP_LCHECK_FILE, (unsigned long long)k.c.size,
			    (unsigned long long)s.entries);
		else
			strv_pushf(&c.lines, "ledger/%s: the ledger does not extend it: entries "
			    "among its first %llu were removed, altered or reordered", CP_LCHECK_FILE,
			    (unsigned long long)k.c.size);
	}
	cp_ledger_summary_free(&s);
	free(path);
	u->r->ledger = c.lines.v;
	u->r->nledger = c.lines.n;
}

static void
manifest(struct run *u)
{
	const char *rel = cp_layout_rel(CP_LAYOUT_MANIFEST);
	struct cp_integrity *r = u->r;
	struct cp_err why;
	json_error_t e;
	json_t *m, *v;
	struct stat st;
	char *path;

	cp_err_clear(&why);
	fingerprint_input(u, rel);
	if (fstatat(u->rootfd, rel, &st, 0) == -1)
		return;
	r->manifest = 1;
	path = xpathjoin(u->o->root, rel);
	if ((m = json_load_file(path, JSON_REJECT_DUPLICATES, &e)) == NULL)
		cp_err_set(&why, 0, "%s:%d: %s", rel, e.line, e.text);
	else if (!json_is_object(m))
		cp_err_set(&why, 0, "%s: not a JSON object", rel);
	else if ((v = json_object_get(m, "merkle_scheme")) != NULL && !json_is_null(v)) {
		if (json_is_string(v) && (strcmp(json_string_value(v), "rfc6962") == 0 ||
		    strcmp(json_string_value(v), "cp2") == 0))
			strcpy(r->scheme, json_string_value(v));
		else
			cp_err_set(&why, 0, "%s: unknown merkle_scheme", rel);
	}
	v = json_object_get(m, "merkle_root");
	if (*why.msg == '\0' && json_is_string(v) && *json_string_value(v) != '\0')
		r->manifest_root = xstrdup(json_string_value(v));
	if (*why.msg != '\0')
		r->manifest_error = xstrdup(why.msg);
	json_decref(m);
	free(path);
}

/* --- the whole run ------------------------------------------------------ */

/* The hash cache, loaded on a thread of its own while the registry is read. */
struct cacheload {
	const char *path;
	const unsigned char *key;
	struct cp_hashcache *cache;
	const char *warning;
};

static void *
cacheload_run(void *arg)
{
	struct cacheload *cl = arg;

	cl->cache = cp_hashcache_load(cl->path, cl->key, &cl->warning);
	return NULL;
}

/* Run fn(arg) on a new thread (*started = 1), or right here if none can be made. */
static void
start(pthread_t *t, int *started, void *(*fn)(void *), void *arg)
{
	*started = pthread_create(t, NULL, fn, arg) == 0;
	if (!*started)
		fn(arg);
}

/* --- the cp2 root's tree ---------------------------------------------- */

static int
cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, CP_SHA256_LEN);
}

/*
 * A row's actual hash as a cp2 leaf, its digest at d; 0 when it is not one.
 * integrity_check.py counts every row that has an actual hash, a stored one
 * or not (REG-CP, which cannot hold its own).
 */
static int
leaf_text(const char *expected, const char *actual, unsigned char d[CP_SHA256_LEN])
{
	(void)expected;
	return strlen(actual) == CP_SHA256_HEXLEN &&
	    cp_hex_decode(actual, CP_SHA256_HEXLEN, d) == 0;
}

static int
leaf_of(const struct cp_integrity_row *row, unsigned char d[CP_SHA256_LEN])
{
	return leaf_text(row->expected, row->actual, d);
}

struct leafkey {
	uint64_t key;	/* the first 8 bytes of the digest, as a number */
	size_t row;	/* the leaf's place in row order */
};

/*
 * The cp2 leaves of r, sorted as bytes (the order of their lowercase hex):
 * *np digests, with room for the tree above them; caller frees.  A radix
 * sort on the first 8 bytes (qsort's callbacks cost as much as the
 * hashing), then runs of equal first bytes by their whole digest.
 */
static unsigned char *
cp2_leaves(const struct cp_integrity *r, size_t *np)
{
	size_t nr = r->nrows ? r->nrows : 1, n = 0, i, j, pass, count[256];
	struct leafkey *a = xcalloc(nr, sizeof(*a)), *b = xcalloc(nr, sizeof(*b)), *tmp;
	unsigned char *raw = xcalloc(nr, CP_SHA256_LEN), *sorted, *d;

	/* In row order first: gathering from the rows in sorted order would miss the cache at each. */
	for (i = 0; i < r->nrows; i++) {
		d = raw + n * CP_SHA256_LEN;
		if (leaf_of(&r->rows[i], d)) {
			a[n].key = 0;
			for (j = 0; j < 8; j++)
				a[n].key = a[n].key << 8 | d[j];
			a[n].row = n;
			n++;
		}
	}
	for (pass = 0; pass < 8; pass++) {
		unsigned shift = 8 * (unsigned)pass;
		size_t sum = 0;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[a[i].key >> shift & 0xff]++;
		for (j = 0; j < 256; j++) {
			size_t c = count[j];

			count[j] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[count[a[i].key >> shift & 0xff]++] = a[i];
		tmp = a, a = b, b = tmp;
	}
	sorted = xcalloc(cp_merkle_cp2_nodes(nr), CP_SHA256_LEN);	/* room for the tree above */
	for (i = 0; i < n; i++)
		memcpy(sorted + i * CP_SHA256_LEN, raw + a[i].row * CP_SHA256_LEN, CP_SHA256_LEN);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && a[j].key == a[i].key; j++)
			;
		if (j - i > 1)
			qsort(sorted + i * CP_SHA256_LEN, j - i, CP_SHA256_LEN, cmp_digest);
	}
	free(a);
	free(b);
	free(raw);
	*np = n;
	return sorted;
}

/*
 * The cp2 tree over r's leaves (*np of them) into *tree (caller frees) and
 * its root in hex.  0, or -1 with errno when the hashing failed (*tree NULL).
 */
static int
cp2_tree_of(const struct cp_integrity *r, int jobs, unsigned char **tree, size_t *np,
    char hex[CP_SHA256_HEXLEN + 1])
{
	*tree = cp2_leaves(r, np);
	if (cp_merkle_cp2_tree(*tree, *np, jobs, hex) == 0)
		return 0;
	free(*tree);
	*tree = NULL;
	*np = 0;
	errno = ENOMEM;
	return -1;
}

/*
 * The plane's root in its scheme into u->r->root; for cp2, with its tree
 * kept for the state file.  0, or -1 (u->e; the root as it was) when the
 * hashing failed.
 */
static int
plane_root(struct run *u)
{
	char hex[CP_SHA256_HEXLEN + 1];
	int rc;

	free(u->tree);
	u->tree = NULL;
	u->nleaves = 0;
	if (strcmp(u->r->scheme, "cp2") == 0)
		rc = cp2_tree_of(u->r, jobs_of(u->o), &u->tree, &u->nleaves, hex);
	else
		rc = cp_integrity_root(u->r, u->r->scheme, jobs_of(u->o), hex, u->e);
	if (rc == -1)
		return cp_err_set(u->e, ENOMEM, "merkle");
	memcpy(u->r->root, hex, sizeof(hex));
	return 0;
}

static int links(struct run *u, const char *registry);
static char *stored_root(struct strv *h);

/* The whole run: registry, hashing through the cache, orphans, links, ledger, MANIFEST.json. */
static int
full(struct run *u, const char *registry)
{
	const struct cp_integrity_opts *o = u->o;
	struct cacheload cl = { o->cache, u->key, NULL, NULL };
	struct scan sc;
	pthread_t tcache, tscan;
	int rc = -1, cstarted = 0, sstarted = 0, reg;
	char *path = NULL;

	strcpy(u->r->scheme, "cp2");	/* unless MANIFEST.json names one */
	scan_init(&sc, o, u->rootfd);
	if (sc.rc != 0) {
		cp_err_set(u->e, 0, "%s", sc.err.msg);
		scan_free(&sc);
		return -1;
	}
	start(&tscan, &sstarted, scan_run, &sc);
	if (o->cache != NULL)
		start(&tcache, &cstarted, cacheload_run, &cl);
	/* Inputs are looked at before they are read: a change while reading shows next time. */
	fingerprint_input(u, registry);
	path = registry[0] == '/' ? xstrdup(registry) : xpathjoin(o->root, registry);
	reg = read_registry(path, on_row, u, u->e);
	if (cstarted)
		pthread_join(tcache, NULL);
	if (sstarted)
		pthread_join(tscan, NULL);
	if (cl.warning != NULL)
		warn_msg(o, 0, "%s %s", o->cache, cl.warning);
	if (reg == 1)
		cp_err_set(u->e, 0, "%s: no artifact_path column", registry);
	if (reg != 0 || hash_files(u, cl.cache) == -1 || classify(u) == -1 ||
	    orphans(u, path, &sc) == -1 || links(u, path) == -1)
		goto out;
	if ((u->r->stored_root = stored_root(&u->stored)) == NULL) {
		cp_err_set(u->e, ENOMEM, "merkle");
		goto out;
	}
	if (o->ledger)
		ledger(u);
	manifest(u);
	if (plane_root(u) == -1)
		goto out;
	rc = 0;
out:
	free(path);
	if (cl.cache != NULL)
		cp_hashcache_free(cl.cache);
	scan_free(&sc);
	return rc;
}

/*
 * The cp2 root once the rows at rows[0..nrows) were recomputed, from the
 * state's tree: the leaves that changed taken out, their new values put
 * in.  Returns 1 (r->root and *p set: the tree's nodes that changed), or 0
 * when it cannot be so (another scheme, a row that gained or lost its leaf,
 * a tree that is not the root's): the caller builds it whole.
 */
static int
retree(struct run *u, const struct cp_istate *m, const size_t *rows, size_t nrows,
    struct cp_merkle_cp2_patch *p)
{
	struct cp_integrity *r = u->r;
	unsigned char *out, *in;
	char top[CP_SHA256_HEXLEN + 1];
	size_t i, k = 0;
	int ok = 0;

	memset(p, 0, sizeof(*p));
	if (strcmp(r->scheme, "cp2") != 0 || m->tree_leaves == 0)
		return 0;
	cp_hex_encode(m->tree + (cp_merkle_cp2_nodes(m->tree_leaves) - 1) * CP_SHA256_LEN,
	    CP_SHA256_LEN, top);
	if (strcmp(top, r->root) != 0)
		return 0;
	out = xcalloc(nrows ? nrows : 1, CP_SHA256_LEN);
	in = xcalloc(nrows ? nrows : 1, CP_SHA256_LEN);
	for (i = 0; i < nrows; i++) {
		const struct cp_integrity_row *row = &r->rows[rows[i]];
		int was = leaf_text(row->expected, cp_istate_actual(m, row), out + k * CP_SHA256_LEN);

		if (was != leaf_of(row, in + k * CP_SHA256_LEN))
			goto out;
		if (was && memcmp(out + k * CP_SHA256_LEN, in + k * CP_SHA256_LEN, CP_SHA256_LEN) != 0)
			k++;
	}
	if (k == 0) {		/* no leaf changed (nor, then, the root) */
		p->leaves = m->tree_leaves;
		ok = 1;
		goto out;
	}
	qsort(out, k, CP_SHA256_LEN, cmp_digest);
	qsort(in, k, CP_SHA256_LEN, cmp_digest);
	ok = cp_merkle_cp2_retree(m->tree, m->tree_leaves, out, in, k, jobs_of(u->o), p,
	    r->root) == 0;
out:
	free(out);
	free(in);
	return ok;
}

/* The whole of u's tree as one change (none for another scheme). */
static void
whole_tree(const struct run *u, struct cp_merkle_cp2_patch *p)
{
	memset(p, 0, sizeof(*p));
	p->leaves = u->nleaves;
	if (u->tree != NULL && u->nleaves > 0) {
		p->nspans = 1;
		p->span[0].to = cp_merkle_cp2_nodes(u->nleaves);
		p->nodes = u->tree;
	}
}

/* Rehashing the files the state says changed: fps indexes in, files' digests out. */
struct refeed {
	struct run *u;
	const size_t *changed;
	size_t n, next;
	int failed;
};

static int
refeed_next(void *arg, char **path, void **user)
{
	struct refeed *f = arg;
	const char *rel;

	if (f->next == f->n)
		return 0;
	rel = f->u->fps.v[f->changed[f->next]].path;
	*path = xpathjoin(f->u->o->root, rel);
	*user = (void *)f->next++;
	return 1;
}

static void
refeed_done(void *arg, struct cp_hashjob *job)
{
	struct refeed *f = arg;
	struct cp_integrity *r = f->u->r;
	const char *rel = f->u->fps.v[f->changed[(size_t)job->user]].path;
	size_t j = lower_bound(r, rel);

	if (job->err != 0 || j == r->nfiles || strcmp(r->files[j].path, rel) != 0) {
		f->failed = 1;	/* gone, or no longer a file since the check: a whole run */
		return;
	}
	memcpy(r->files[j].digest, job->digest, CP_SHA256_LEN);
	r->files[j].size = job->size;
}

/*
 * The report from the state file, when no input changed but the content of
 * some files (those are read again, and the rows over them recomputed).
 * Returns 1 done, 0 when a whole run is needed (r and fps then empty).
 */
/* The report read (and the state's checksum verified) while the inputs are checked. */
struct finish {
	struct cp_istate *m;
	struct cp_integrity *r;
	int ok;
};

static void *
finish_run(void *arg)
{
	struct finish *f = arg;

	f->ok = cp_istate_finish(f->m, f->r);
	/* OpenSSL sets itself up on first use (a millisecond): here, while the inputs are checked. */
	cp_sha256_prepare();
	return NULL;
}

static int
fast(struct run *u, const struct stat *plane, const char *opts)
{
	const struct cp_integrity_opts *o = u->o;
	struct cp_integrity *r = u->r;
	struct cp_hashpool_opts po = { 0 };
	struct cp_istate m;
	struct finish fin = { &m, r, 0 };
	struct refeed f = { 0 };
	struct cp_merkle_cp2_patch patch;
	size_t *changed = NULL, nchanged = 0, *rows, nrows;
	pthread_t t;
	int started, same, rc, patched = 0;

	if (!cp_istate_map(o->state, u->key, plane, opts, &m, &u->fps))
		return 0;
	start(&t, &started, finish_run, &fin);
	same = cp_istate_check(u->rootfd, &u->fps, m.written, jobs_of(o), &changed, &nchanged);
	if (started)
		pthread_join(t, NULL);
	if (m.forged)
		warn_msg(o, 0, "%s fails its MAC check (forged, written under another user's key, "
		    "or torn by a crash): ignored, every file hashed", o->state);
	if (!fin.ok || !same)
		goto whole;
	r->cached = r->nfiles;
	if (nchanged > 0) {
		f.u = u;
		f.changed = changed;
		f.n = nchanged;
		/* A thread per file at most: one changed file is read in this thread. */
		po.jobs = (size_t)jobs_of(o) < nchanged ? jobs_of(o) : (int)nchanged;
		po.nofollow = 1;
		cp_hashpool_run(&po, refeed_next, refeed_done, &f);
		if (f.failed)
			goto whole;
		r->hashed = nchanged;
		r->cached = r->nfiles > nchanged ? r->nfiles - nchanged : 0;
		/* A hashing that fails here fails the whole run too, which says so. */
		if (nchanged <= 64) {
			rows = xcalloc(r->nrows ? r->nrows : 1, sizeof(*rows));
			rc = reclassify(u, changed, nchanged, rows, &nrows);
			if (rc == 0)
				patched = retree(u, &m, rows, nrows, &patch);
			free(rows);
		} else
			rc = classify(u);
		if (rc == -1 || (!patched && plane_root(u) == -1))
			goto whole;
		if (!patched)
			whole_tree(u, &patch);
		/* In place when it can be; a new file when a field changed its size. */
		if ((rc = cp_istate_update(&m, r, &u->fps, &patch)) == 1) {
			if (patched && plane_root(u) == -1)
				rc = -1;
			else
				rc = cp_istate_save(o->state, u->key, plane, opts, r, &u->fps, u->tree,
				    u->nleaves);
		}
		if (rc == -1)
			warn_msg(o, errno, "%s: cannot save", o->state);
		if (patched)
			free(patch.nodes);
	}
	free(changed);
	cp_istate_close(&m);
	return 1;
whole:
	free(changed);
	cp_fplist_free(&u->fps);	/* before r and m: its paths are in the mapping */
	if (fin.ok)
		cp_integrity_free(r);
	cp_istate_close(&m);
	memset(r, 0, sizeof(*r));
	return 0;
}

/*
 * Installed packages whose dependencies are not installed (plane/deps), a
 * finding of every run, from the state file or not: read fresh each time
 * (the packages registry and installed/ are not the state's inputs).  A
 * plane without a readable packages registry has none.
 */
static void
missing_deps(int rootfd, struct cp_integrity *r)
{
	struct cp_deps *d;
	struct cp_err e;
	const char **pairs;
	size_t n;

	if (rootfd < 0 || cp_deps_load(rootfd, &d, &e) == -1)
		return;
	n = cp_deps_broken(d, &pairs);
	r->deps = xreallocarray(NULL, 2 * n + 1, sizeof(*r->deps));
	for (size_t i = 0; i < 2 * n; i++)
		r->deps[i] = xstrdup(pairs[i]);
	r->ndeps = n;
	free(pairs);
	cp_deps_free(d);
}

int
cp_integrity_run(const struct cp_integrity_opts *o, struct cp_integrity *r, struct cp_err *e)
{
	struct run u = { 0 };
	struct cp_integrity_opts keyless;
	struct cp_buf opts = CP_BUF_INIT;
	struct stat plane;
	struct cp_err ke;
	char *registry;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	strcpy(r->scheme, "cp2");
	/* The cache and the state are trusted only under the user's key: without one, neither is used. */
	if ((o->cache != NULL || o->state != NULL) && cp_statekey_load(u.key, &ke) == -1) {
		warn_msg(o, 0, "%s%s%s not used: %s", o->cache ? o->cache : "",
		    o->cache && o->state ? " and " : "", o->state ? o->state : "", ke.msg);
		keyless = *o;
		keyless.cache = keyless.state = NULL;
		o = &keyless;
	}
	u.o = o;
	u.r = r;
	u.e = e;
	u.named = cp_strmap_new();
	/* The registry as the state file names it: plane-relative, or absolute. */
	if (o->registry == NULL)
		registry = xstrdup(cp_layout_rel(CP_LAYOUT_CPREG));
	else if (o->registry[0] == '/' || (registry = realpath(o->registry, NULL)) == NULL)
		registry = xstrdup(o->registry);
	if ((u.rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(u.rootfd, &plane) == -1) {
		cp_err_set(e, errno, "%s", o->root);
		goto out;
	}
	cp_buf_adds(&opts, "registry=");
	cp_buf_adds(&opts, registry);
	cp_buf_adds(&opts, "\ngoverned=");
	cp_buf_adds(&opts, o->governed ? o->governed : CP_INTEGRITY_GOVERNED);
	cp_buf_adds(&opts, "\nsuffixes=");
	cp_buf_adds(&opts, o->suffixes ? o->suffixes : CP_INTEGRITY_SUFFIXES);
	cp_buf_adds(&opts, "\nexclude=");
	cp_buf_adds(&opts, o->exclude ? o->exclude : CP_INTEGRITY_EXCLUDE);
	cp_buf_adds(&opts, o->ledger ? "\nledger=1\n" : "\nledger=0\n");
	if (o->state != NULL && !o->full && fast(&u, &plane, opts.data)) {
		rc = 0;
		goto out;
	}
	if ((rc = full(&u, registry)) == 0 && o->state != NULL &&
	    cp_istate_save(o->state, u.key, &plane, opts.data, r, &u.fps, u.tree, u.nleaves) == -1)
		warn_msg(o, errno, "%s: cannot save", o->state);
out:
	if (rc == 0)
		missing_deps(u.rootfd, r);
	if (u.rootfd >= 0)
		close(u.rootfd);
	cp_buf_free(&opts);
	cp_fplist_free(&u.fps);
	strv_free(&u.files);
	strv_free(&u.dirs);
	strv_free(&u.children);
	strv_free(&u.stored);
	cp_strmap_free(u.named);
	free(u.tree);
	free(registry);
	cp_wipe(u.key, sizeof(u.key));
	return rc;
}

/* --- roots, health, MANIFEST.json -------------------------------------- */

int
cp_integrity_root(const struct cp_integrity *r, const char *scheme, int jobs,
    char hex[CP_SHA256_HEXLEN + 1], struct cp_err *e)
{
	struct cp_buf line = CP_BUF_INIT;
	unsigned char leaf[32], root[32], *tree;
	struct cp_merkle m;
	size_t i, n = 0;

	if (strcmp(scheme, "rfc6962") == 0) {
		cp_merkle_init(&m);
		for (i = 0; i < r->nfiles; i++) {
			char dhex[CP_SHA256_HEXLEN + 1];

			cp_buf_reset(&line);
			cp_hex_encode(r->files[i].digest, CP_SHA256_LEN, dhex);
			cp_sumline_format(&line, dhex, r->files[i].path);
			if (cp_merkle_leaf_hash(line.data, line.len, leaf) == -1 ||
			    cp_merkle_add(&m, leaf) == -1) {
				cp_buf_free(&line);
				return cp_err_set(e, ENOMEM, "merkle");
			}
		}
		cp_buf_free(&line);
		if (cp_merkle_root(&m, root) == -1)
			return cp_err_set(e, ENOMEM, "merkle");
		cp_hex_encode(root, sizeof(root), hex);
		return 0;
	}
	if (strcmp(scheme, "cp2") != 0)
		return cp_err_set(e, 0, "unknown merkle scheme: %s", scheme);
	if (cp2_tree_of(r, jobs, &tree, &n, hex) == -1)
		return cp_err_set(e, ENOMEM, "merkle");
	free(tree);
	return 0;
}

int
cp_integrity_healthy(const struct cp_integrity *r, const char *root_hex, int strict)
{
	size_t i;

	for (i = 0; i < r->nrows; i++)
		if (r->rows[i].status == CP_INTEGRITY_INVALID || r->rows[i].status == CP_INTEGRITY_MISSING)
			return 0;
	if (r->nledger > 0 || r->nlinks > 0 || (strict && (r->norphans > 0 || r->ndeps > 0)))
		return 0;
	return cp_integrity_manifest_matches(r, root_hex) != 0;
}

int
cp_integrity_manifest_matches(const struct cp_integrity *r, const char *root_hex)
{
	const char *want = root_hex;

	if (r->manifest_root == NULL)
		return -1;
	if (strcmp(r->scheme, "cp2") == 0)
		want = r->stored_root != NULL ? r->stored_root : "";
	return strcmp(r->manifest_root, want) == 0;
}

int
cp_integrity_write_manifest(const struct cp_integrity *r, int planefd, const char *path,
    const char *root, const char *timestamp, const char *generator, struct cp_err *e)
{
	struct cp_atomic a;

	if (cp_atomic_open(&a, path, 0644) == -1)
		return cp_err_set(e, errno, "%s", path);
	if (cp_manifest_write(a.fp, planefd, r, root, timestamp, generator, e) == -1) {
		cp_atomic_abort(&a);
		return -1;
	}
	if (cp_atomic_commit(&a) == -1)
		return cp_err_set(e, errno, "%s", path);
	return 0;
}

/* Strings read from a state file live in its buffer, freed once. */
static void
sfree(const struct cp_integrity *r, char *p)
{
	if (p == NULL || (r->blob != NULL && p >= r->blob && p < r->blob + r->bloblen))
		return;
	free(p);
}

void
cp_integrity_free(struct cp_integrity *r)
{
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		sfree(r, r->rows[i].id);
		sfree(r, r->rows[i].path);
		sfree(r, r->rows[i].expected);
	}
	free(r->rows);
	for (i = 0; i < r->nfiles; i++)
		sfree(r, r->files[i].path);
	free(r->files);
	for (i = 0; i < r->norphans; i++)
		sfree(r, r->orphans[i]);
	free(r->orphans);
	for (i = 0; i < r->nledger; i++)
		sfree(r, r->ledger[i]);
	free(r->ledger);
	for (i = 0; i < 3 * r->nlinks; i++)
		sfree(r, r->links[i]);
	free(r->links);
	for (i = 0; i < 2 * r->ndeps; i++)
		free(r->deps[i]);
	free(r->deps);
	sfree(r, r->stored_root);
	sfree(r, r->manifest_root);
	sfree(r, r->manifest_error);
	if (r->blob != NULL)
		munmap(r->blob, r->bloblen);
	memset(r, 0, sizeof(*r));
}

/* --- Python's rules: directories, stored roots, registry links ---------- */

int
cp_integrity_path_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

	/* A component ends before any byte of a longer one: '/' weighs least. */
	for (; *p != '\0' && *p == *q; p++, q++)
		;
	if (*p == *q)
		return 0;
	if (*p == '/' || *q == '/')
		return *p == '/' ? (*q == '\0' ? 1 : -1) : (*p == '\0' ? -1 : 1);
	return *p < *q ? -1 : 1;
}

static int
cmp_dirfile(const void *a, const void *b)
{
	return cp_integrity_path_cmp(((const struct cp_integrity_dirfile *)a)->path,
	    ((const struct cp_integrity_dirfile *)b)->path);
}

int
cp_integrity_dir_root(struct cp_integrity_dirfile *v, size_t n, const char *exclude,
    char hex[CP_SHA256_HEXLEN + 1])
{
	struct strv words = { 0 };
	unsigned char *d;
	size_t i, k, w;
	int rc;

	split_words(exclude != NULL ? exclude : CP_INTEGRITY_EXCLUDE, &words);
	/* integrity_check.py: `ex in str(file_path)`, a substring anywhere in the path. */
	for (i = k = 0; i < n; i++) {
		for (w = 0; w < words.n && strstr(v[i].path, words.v[w]) == NULL; w++)
			;
		if (w == words.n)
			v[k++] = v[i];
	}
	strv_free(&words);
	qsort(v, k, sizeof(*v), cmp_dirfile);
	d = xreallocarray(NULL, k ? k : 1, CP_SHA256_LEN);
	for (i = 0; i < k; i++)
		memcpy(d + i * CP_SHA256_LEN, v[i].digest, CP_SHA256_LEN);
	rc = cp_merkle_cp2_root(d, k, hex);
	free(d);
	return rc;
}

/*
 * lib/integrity.py's root: cp2 over the stored content_hash strings as they
 * are (sorted, each pair joined as text and hashed), "" for none.  Caller
 * frees.  NULL when hashing failed.
 */
static char *
stored_root(struct strv *h)
{
	unsigned char d[CP_SHA256_LEN];
	char *joined, *hx;
	size_t i, n;

	if (h->n == 0)
		return xstrdup("");
	qsort(h->v, h->n, sizeof(*h->v), cmp_str);
	while (h->n > 1) {
		for (i = n = 0; i < h->n; i += 2) {
			const char *right = h->v[i + 1 < h->n ? i + 1 : i];

			joined = xmalloc(strlen(h->v[i]) + strlen(right) + 1);
			strcpy(joined, h->v[i]);
			strcat(joined, right);
			if (cp_sha256(joined, strlen(joined), d) == -1) {
				free(joined);
				return NULL;
			}
			free(joined);
			hx = xmalloc(CP_SHA256_HEXLEN + 1);
			cp_hex_encode(d, CP_SHA256_LEN, hx);
			free(h->v[i]);
			if (i + 1 < h->n)
				free(h->v[i + 1]);
			h->v[n++] = hx;
		}
		h->n = n;
	}
	return xstrdup(h->v[0]);
}

/* A registry read whole, the columns asked for (NULL names none: "" values). */
struct table {
	char **cell;		/* nrows * ncols */
	size_t nrows, ncols;
	size_t caprows;		/* rows cell has room for */
};

static const char *
cell(const struct table *t, size_t row, size_t c)
{
	return t->cell[row * t->ncols + c];
}

/* 0, 1 when there is no such file (an empty table), -1 with e. */
static int
read_table(const char *path, const char *const *cols, size_t ncols, struct table *t,
    struct cp_err *e)
{
	struct cp_csv_reader *r;
	struct cp_csv_row row;
	long idx[8];
	FILE *fp;
	size_t c;
	int rc, ret = 0;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	if ((fp = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 1 : cp_err_set(e, errno, "%s", path);
	r = cp_csv_open(fp, path, NULL);
	if (cp_csv_read_header(r) == -1) {
		*e = *cp_csv_error(r);
		ret = -1;
		goto out;
	}
	for (c = 0; c < ncols; c++)
		idx[c] = cp_csv_column(r, cols[c]);
	while ((rc = cp_csv_read_row(r, &row)) == 1) {
		if (t->nrows == t->caprows) {	/* doubled: a row at a time was quadratic */
			t->caprows = t->caprows ? 2 * t->caprows : 64;
			t->cell = xreallocarray(t->cell, t->caprows * ncols, sizeof(*t->cell));
		}
		for (c = 0; c < ncols; c++)
			t->cell[t->nrows * ncols + c] = xstrdup(col(&row, idx[c]));
		t->nrows++;
	}
	if (rc == -1) {
		*e = *cp_csv_error(r);
		ret = -1;
	}
out:
	cp_csv_close(r);
	fclose(fp);
	return ret;
}

static void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cell[i]);
	free(t->cell);
	memset(t, 0, sizeof(*t));
}

/* s without Python's str.strip() white space at either end (chars), as a new string. */
static char *
strip(const char *s, size_t n, const char *chars)
{
	while (n > 0 && strchr(chars, *s) != NULL)
		s++, n--;
	while (n > 0 && strchr(chars, s[n - 1]) != NULL)
		n--;
	return xstrndup(s, n);
}

#define PYSPACE " \t\n\r\v\f\x1c\x1d\x1e\x1f"

static void
link_error(struct strv *out, const char *id, const char *type, char *target)
{
	strv_push(out, xstrdup(id));
	strv_push(out, xstrdup(type));
	strv_push(out, target);
}

/*
 * CONTROL_PLANE / artifact_path.lstrip('/') as pathlib writes it (empty and
 * "." components gone): *rel the part under the plane ("." for the plane),
 * returns the absolute path Python prints.  Both caller frees.
 */
static char *
plane_path(const char *abs, const char *artifact, char **rel)
{
	struct cp_buf b = CP_BUF_INIT;
	const char *c, *e;

	for (c = artifact; *c != '\0'; c = *e ? e + 1 : e) {
		e = strchr(c, '/');
		if (e == NULL)
			e = c + strlen(c);
		if (e == c || (e - c == 1 && *c == '.'))
			continue;
		if (b.len > 0)
			cp_buf_add(&b, "/", 1);
		cp_buf_add(&b, c, (size_t)(e - c));
	}
	*rel = b.len > 0 ? xstrndup(b.data, b.len) : xstrdup(".");
	cp_buf_free(&b);
	return strcmp(*rel, ".") == 0 ? xstrdup(abs) : xpathjoin(abs, *rel);
}

/* Path.exists(): follows symbolic links; the lstat is kept for the state file. */
static int
exists(struct run *u, const char *rel)
{
	struct stat st;

	fingerprint_input(u, rel);
	return fstatat(u->rootfd, rel, &st, 0) == 0;
}

/* "a, b" split at commas, each stripped (and of '"' too when quotes): fn on each non-empty. */
static void
each_item(const char *list, int quotes, void (*fn)(void *, const char *), void *arg)
{
	const char *c = list, *e;
	char *item, *q;

	for (;;) {
		e = strchr(c, ',');
		if (e == NULL)
			e = c + strlen(c);
		item = strip(c, (size_t)(e - c), PYSPACE);
		if (quotes) {
			q = strip(item, strlen(item), "\"");
			free(item);
			item = q;
		}
		if (*item != '\0')
			fn(arg, item);
		free(item);
		if (*e == '\0')
			break;
		c = e + 1;
	}
}

struct linkrun {
	struct run *u;
	const char *abs, *id;
	struct table *cp, *specs;
	struct cp_strmap *cpid, *specid;
	struct strv out;
	int pass;		/* 0 complies_with, 1 artifacts_created, 2 dependencies */
};

static void
on_item(void *arg, const char *item)
{
	struct linkrun *l = arg;
	char *rel, *abs;
	size_t i;

	if (l->pass == 2) {
		if (strncmp(item, "FMWK-", 5) == 0 && !cp_strmap_get(l->cpid, item, strlen(item), &i))
			link_error(&l->out, l->id, "dependency", xstrdup(item));
		return;
	}
	if (!cp_strmap_get(l->cpid, item, strlen(item), &i)) {
		link_error(&l->out, l->id, l->pass == 0 ? "complies_with" : "artifacts_created",
		    xstrdup(item));
		return;
	}
	if (l->pass == 1)
		return;
	abs = plane_path(l->abs, cell(l->cp, i, 2), &rel);
	if (!exists(l->u, rel))
		link_error(&l->out, l->id, "framework_path", abs);
	else
		free(abs);
	free(rel);
}

/*
 * integrity_check.py's third pass, in its order: each row's source_spec_id
 * names a spec of registries/specs_registry.csv whose path exists; each
 * spec's complies_with names rows whose paths exist, its artifacts_created
 * names rows; each framework's FMWK- dependencies name rows.
 */
static int
links(struct run *u, const char *registry)
{
	static const char *const cpcols[] = { "id", "entity_type", "artifact_path",
		"source_spec_id", "dependencies" };
	static const char *const speccols[] = { "id", "artifact_path", "complies_with",
		"artifacts_created" };
	struct table cp, specs;
	struct linkrun l = { 0 };
	char *abs = NULL, *specpath, *s, *rel, *p;
	size_t i, j;
	int rc = -1, added;

	specpath = xpathjoin(u->o->root, "registries/specs_registry.csv");
	fingerprint_input(u, "registries/specs_registry.csv");
	if (read_table(registry, cpcols, 5, &cp, u->e) == -1) {
		free(specpath);
		return -1;
	}
	if (read_table(specpath, speccols, 4, &specs, u->e) == -1)
		goto out;
	if ((abs = realpath(u->o->root, NULL)) == NULL) {
		cp_err_set(u->e, errno, "%s", u->o->root);
		goto out;
	}
	l.u = u;
	l.abs = abs;
	l.cp = &cp;
	l.specs = &specs;
	l.cpid = cp_strmap_new();
	l.specid = cp_strmap_new();
	/* dicts by id: the last row of an id wins */
	for (i = 0; i < cp.nrows; i++)
		*cp_strmap_put(l.cpid, cell(&cp, i, 0), strlen(cell(&cp, i, 0)), &added, NULL) = i;
	for (i = 0; i < specs.nrows; i++)
		*cp_strmap_put(l.specid, cell(&specs, i, 0), strlen(cell(&specs, i, 0)), &added,
		    NULL) = i;
	for (i = 0; i < cp.nrows; i++) {
		s = strip(cell(&cp, i, 3), strlen(cell(&cp, i, 3)), PYSPACE);
		if (*s == '\0')
			;
		else if (!cp_strmap_get(l.specid, s, strlen(s), &j))
			link_error(&l.out, cell(&cp, i, 0), "source_spec_id", xstrdup(s));
		else {
			p = plane_path(abs, cell(&specs, j, 1), &rel);
			if (!exists(u, rel))
				link_error(&l.out, cell(&cp, i, 0), "source_spec_path", p);
			else
				free(p);
			free(rel);
		}
		free(s);
	}
	for (i = 0; i < specs.nrows; i++) {
		l.id = cell(&specs, i, 0);
		l.pass = 0;
		each_item(cell(&specs, i, 2), 0, on_item, &l);
		l.pass = 1;
		each_item(cell(&specs, i, 3), 0, on_item, &l);
	}
	l.pass = 2;
	for (i = 0; i < cp.nrows; i++) {
		if (strcmp(cell(&cp, i, 1), "framework") != 0)
			continue;
		l.id = cell(&cp, i, 0);
		each_item(cell(&cp, i, 4), 1, on_item, &l);
	}
	u->r->links = l.out.v;
	u->r->nlinks = l.out.n / 3;
	rc = 0;
out:
	cp_strmap_free(l.cpid);
	cp_strmap_free(l.specid);
	table_free(&cp);
	table_free(&specs);
	free(specpath);
	free(abs);
	return rc;
}
