/* extract: stage every entry, check the destination, then rename into place (undone on any failure).
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/io.h"
#include "base/quote.h"
#include "base/strmap.h"
#include "base/xalloc.h"
#include "tar/extract.h"
#include "tar/tarerr.h"
#include "tar/tarread.h"

/*
 * A chain of open directories from a root fd down to the current one, each
 * opened with O_NOFOLLOW: a symlink on the way is an error (ELOOP or
 * ENOTDIR), never a detour.  Entries come in path order, so consecutive
 * ones share most of the chain.
 */
struct walker {
	int root, create, sync;
	char *path;		/* the current directory, "" for the root */
	char *bad;		/* after a failure: the component that failed */
	int *fds;		/* fds[0] is root; fds[i] the i-th component */
	size_t *ends;		/* ends[i]: length of path up to component i */
	unsigned char *dirty;	/* something was created or renamed in fds[i] */
	size_t depth, maxdepth;
	int sync_err;
	void (*created)(void *arg, const char *path);
	void *arg;
};

static void
walker_init(struct walker *w, int root, size_t maxdepth, int create, int sync)
{
	memset(w, 0, sizeof(*w));
	w->root = root;
	w->create = create;
	w->sync = sync;
	w->maxdepth = maxdepth;
	w->path = xcalloc(1, PATH_MAX + 1);
	w->bad = xcalloc(1, PATH_MAX + 1);
	w->fds = xcalloc(maxdepth + 2, sizeof(*w->fds));
	w->ends = xcalloc(maxdepth + 2, sizeof(*w->ends));
	w->dirty = xcalloc(maxdepth + 2, 1);
	w->fds[0] = root;
}

/* Close the chain down to depth k, fsyncing changed directories first when asked to. */
static void
walker_pop(struct walker *w, size_t k)
{
	while (w->depth > k) {
		if (w->sync && w->dirty[w->depth] && fsync(w->fds[w->depth]) == -1 && !w->sync_err)
			w->sync_err = errno;
		close(w->fds[w->depth]);
		w->depth--;
	}
	w->path[w->ends[k]] = '\0';
}

static void
walker_free(struct walker *w)
{
	if (w->path == NULL)
		return;
	walker_pop(w, 0);
	if (w->sync && w->dirty[0] && fsync(w->root) == -1 && !w->sync_err)
		w->sync_err = errno;
	free(w->path);
	free(w->bad);
	free(w->fds);
	free(w->ends);
	free(w->dirty);
	w->path = NULL;
}

/*
 * The fd of directory dir[0..len) (normalised; empty for the root), owned
 * by the walker until its next call.  Missing directories are created
 * (mode 0755) when the walker creates.  Returns -1 with errno set and
 * w->bad naming the component on failure.
 */
static int
walker_to(struct walker *w, const char *dir, size_t len)
{
	size_t k = w->depth, pos, end, start;
	int fd, made;

	while (k > 0 && !(w->ends[k] <= len && memcmp(w->path, dir, w->ends[k]) == 0 &&
	    (w->ends[k] == len || dir[w->ends[k]] == '/')))
		k--;
	walker_pop(w, k);
	pos = w->ends[k] + (k > 0);
	while (pos < len) {
		for (end = pos; end < len && dir[end] != '/'; end++)
			;
		start = w->ends[k] + (k > 0);
		if (k > 0)
			w->path[w->ends[k]] = '/';
		memcpy(w->path + start, dir + pos, end - pos);
		w->path[start + end - pos] = '\0';
		made = 0;
		if (k + 1 > w->maxdepth + 1) {
			errno = ENAMETOOLONG;
			fd = -1;
		} else if ((fd = openat(w->fds[k], w->path + start,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 &&
		    errno == ENOENT && w->create) {
			if (mkdirat(w->fds[k], w->path + start, 0700) == 0)
				made = 1;
			if ((made || errno == EEXIST) && (fd = openat(w->fds[k], w->path + start,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1 &&
			    made && fchmod(fd, 0755) == -1) {
				close(fd);
				fd = -1;
			}
		}
		if (fd == -1) {
			int e = errno;

			memcpy(w->bad, w->path, start + end - pos + 1);
			w->path[w->ends[k]] = '\0';
			w->depth = k;
			errno = e;
			return -1;
		}
		if (made) {
			w->dirty[k] = 1;
			if (w->created != NULL)
				w->created(w->arg, w->path);
		}
		k++;
		w->fds[k] = fd;
		w->ends[k] = start + end - pos;
		w->dirty[k] = 0;
		w->depth = k;
		pos = end + 1;
	}
	w->depth = k;
	return w->fds[k];
}

/*
 * Remove the tree at name in parent, without following symlinks; its
 * top-level entry last, if not NULL, goes after everything else.  A
 * staging directory's mark goes last, so that a kill in the middle leaves
 * a directory still marked, which the next extraction sweeps (ours).
 */
static int
remove_tree_last(int parent, const char *name, const char *last)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (last != NULL && strcmp(de->d_name, last) == 0))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			continue;
		/* Linux says EISDIR for a directory; POSIX allows EPERM. */
		if ((errno != EISDIR && errno != EPERM) ||
		    remove_tree_last(dirfd(d), de->d_name, NULL) == -1)
			rc = -1;
	}
	if (last != NULL && unlinkat(dirfd(d), last, 0) == -1 && errno != ENOENT)
		rc = -1;
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) == -1)
		rc = -1;
	return rc;
}

/* A staging directory removed, its mark last. */
static int
remove_stage(int parent, const char *name)
{
	return remove_tree_last(parent, name, CP_TAR_STAGE_MARK);
}

/* One accepted entry, staged. */
struct rec {
	const char *path;	/* owned by the checker */
	int type;
	unsigned mode;
	uint64_t size, index;
	unsigned char sha256[CP_SHA256_LEN];
	char *target;
	int existed;
};

enum { A_MKDIR, A_PLACED, A_EXCHANGED, A_REPLACED };

/* What the commit did in the destination, to undo it in reverse. */
struct action {
	int what;
	size_t rec;
	char *path;		/* A_MKDIR */
	char backup[32];	/* A_REPLACED: the old file's name in the staging directory */
};

struct cp_extract {
	const struct cp_extract_opts *o;
	int dirfd, stagefd;
	char stagename[32];
	size_t maxdepth;
	struct cp_tarcheck *check;
	struct rec *recs;
	size_t n, cap;
	size_t *byindex;	/* entry index -> record number + 1 */
	size_t nbyindex;
	struct action *log;
	size_t nlog, caplog;
	struct cp_strmap *mkdirs;	/* directories the commit will create, no entry naming them */
	const char **implicit;
	size_t nimplicit, capimplicit;
	struct cp_err err;		/* why it failed; the first reason sticks */
};

static int fail(struct cp_extract *j, const struct rec *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record why extraction failed (the first reason sticks), naming the entry if there is one. */
static int
fail(struct cp_extract *j, const struct rec *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (r != NULL)
		cp_tarerr_vset(&j->err, r->index, r->path, strlen(r->path), fmt, ap);
	else
		cp_tarerr_vset(&j->err, 0, NULL, 0, fmt, ap);
	va_end(ap);
	return -1;
}

static int
cancelled(const struct cp_extract *j)
{
	return j->o->cancel != NULL && *j->o->cancel;
}

static void
split(const char *path, size_t *dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');

	*dirlen = slash ? (size_t)(slash - path) : 0;
	*base = slash ? slash + 1 : path;
}

#define STAGE_PREFIX CP_TAR_STAGE_PREFIX
#define STAGE_HEX CP_TAR_STAGE_HEX

/* Is name a staging directory's: the prefix and exactly STAGE_HEX lowercase hex digits? */
static int
stage_name(const char *name)
{
	return cp_tarcheck_stagename(name, strlen(name));
}

/* Mark the staging directory open as fd as this tool's (see stale_stages). */
static int
mark_stage(int fd)
{
	const char *text = CP_TAR_STAGE_TEXT;
	int m = openat(fd, CP_TAR_STAGE_MARK, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	ssize_t n;

	if (m == -1)
		return -1;
	n = write(m, text, strlen(text));
	if (close(m) == -1 || n != (ssize_t)strlen(text)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * The staging directory, held by an exclusive flock on its descriptor from
 * just after it is made until it is removed: an extraction that finds it
 * unlocked (stale_stages) knows that its owner is dead.  A sweeper may take
 * the lock in the instant between mkdir and flock and remove the directory:
 * then the name no longer leads to the directory locked, and another name
 * is tried.
 */
static int
make_stage(struct cp_extract *j)
{
	unsigned char rnd[STAGE_HEX / 2];
	struct stat a, b;
	int tries, fd;

	for (tries = 0; tries < 16; tries++) {
		if (getentropy(rnd, sizeof(rnd)) == -1)
			return fail(j, NULL, "getentropy: %s", strerror(errno));
		memcpy(j->stagename, STAGE_PREFIX, strlen(STAGE_PREFIX));
		cp_hex_encode(rnd, sizeof(rnd), j->stagename + strlen(STAGE_PREFIX));
		if (mkdirat(j->dirfd, j->stagename, 0700) == -1) {
			if (errno != EEXIST)
				return fail(j, NULL, "cannot create a staging directory: %s", strerror(errno));
			continue;
		}
		fd = openat(j->dirfd, j->stagename, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1) {
			if (errno == ENOENT)
				continue;	/* swept already */
			fail(j, NULL, "cannot open the staging directory: %s", strerror(errno));
			unlinkat(j->dirfd, j->stagename, AT_REMOVEDIR);
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
		    fstatat(j->dirfd, j->stagename, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			j->stagefd = fd;
			if (mark_stage(fd) == 0)
				return 0;
			fail(j, NULL, "cannot mark the staging directory: %s", strerror(errno));
			remove_stage(j->dirfd, j->stagename);
			close(fd);
			j->stagefd = -1;
			return -1;
		}
		close(fd);	/* a sweeper has it: it will be gone */
	}
	return fail(j, NULL, "cannot create a staging directory: %s", strerror(EEXIST));
}

/*
 * Whether the directory open as fd is a staging directory this tool made and
 * its owner left: ours (our uid), and either marked (CP_TAR_STAGE_MARK, a
 * regular file of ours holding exactly CP_TAR_STAGE_TEXT) or left before
 * the mark was whole, holding nothing or nothing but an empty marker (then
 * removing it loses nothing).  Anything else is somebody's data.
 */
static int
ours(int fd)
{
	const char *text = CP_TAR_STAGE_TEXT;
	char buf[64];
	struct dirent *de;
	struct stat st;
	size_t others = 0;
	ssize_t n;
	DIR *d;
	int m;

	if (fstat(fd, &st) == -1 || st.st_uid != geteuid())
		return 0;
	m = openat(fd, CP_TAR_STAGE_MARK, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (m >= 0) {
		n = fstat(m, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() ?
		    read(m, buf, sizeof(buf)) : -1;
		close(m);
		if (n == (ssize_t)strlen(text) && memcmp(buf, text, (size_t)n) == 0)
			return 1;
		if (n != 0)
			return 0;
	} else if (errno != ENOENT)
		return 0;
	/* no mark, or an empty one: only when there is nothing else */
	if ((m = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(m)) == NULL) {
		close(m);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, CP_TAR_STAGE_MARK) != 0)
			others++;
	closedir(d);
	return others == 0;
}

/*
 * Remove the staging directories in dir that no extraction holds (their
 * owner was killed): each one this tool made (ours) whose lock can be
 * taken.  Best effort: one that cannot be removed is left for the next run.
 */
static void
stale_stages(struct cp_extract *j)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(j->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!stage_name(de->d_name) || strcmp(de->d_name, j->stagename) == 0)
			continue;
		fd = openat(j->dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;
		/* Held until it is gone: its name cannot be taken by a new one meanwhile (mkdir fails). */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && ours(fd))
			remove_stage(j->dirfd, de->d_name);
		close(fd);
	}
	closedir(d);
}

static struct rec *
new_rec(struct cp_extract *j, const struct cp_tarentry *e, const char *path)
{
	struct rec *r;

	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 256;
		j->recs = xreallocarray(j->recs, j->cap, sizeof(*j->recs));
	}
	if (e->index >= j->nbyindex) {
		size_t old = j->nbyindex;

		j->nbyindex = (size_t)e->index * 2 + 16;
		j->byindex = xreallocarray(j->byindex, j->nbyindex, sizeof(*j->byindex));
		memset(j->byindex + old, 0, (j->nbyindex - old) * sizeof(*j->byindex));
	}
	j->byindex[e->index] = j->n + 1;
	r = &j->recs[j->n++];
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->type = e->type;
	r->index = e->index;
	return r;
}

/* Write one file's data into the staging directory, hashing it on the way. */
static int
stage_file(struct cp_extract *j, struct cp_tarread *tr, int pfd, const char *base,
    const struct cp_tarentry *e, struct rec *r)
{
	struct cp_sha256 sha = { 0 };
	const void *buf;
	ssize_t n;
	int fd, rc = 0;

	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return cp_tarread_fail(tr, "cannot create in the staging directory: %s", strerror(errno));
	if (cp_sha256_init(&sha) == -1)
		rc = cp_tarread_fail(tr, "openssl failure");
	while (rc == 0 && (n = cp_tarread_data(tr, &buf)) != 0) {
		if (n < 0 || cancelled(j)) {
			rc = n < 0 ? -1 : cp_tarread_fail(tr, "interrupted");
			break;
		}
		if (cp_sha256_update(&sha, buf, (size_t)n) == -1)
			rc = cp_tarread_fail(tr, "openssl failure");
		else if (cp_io_write_all(fd, buf, (size_t)n) == -1)
			rc = cp_tarread_fail(tr, "cannot write in the staging directory: %s", strerror(errno));
		r->size += (uint64_t)n;
	}
	r->mode = e->mode & 0100 ? 0755 : 0644;
	if (rc == 0 && fchmod(fd, r->mode) == -1)
		rc = cp_tarread_fail(tr, "chmod: %s", strerror(errno));
	if (close(fd) == -1 && rc == 0)
		rc = cp_tarread_fail(tr, "cannot write in the staging directory: %s", strerror(errno));
	if (rc == 0 && cp_sha256_final(&sha, r->sha256) == -1)
		rc = cp_tarread_fail(tr, "openssl failure");
	cp_sha256_free(&sha);
	return rc;
}

static int
stage_entry(struct cp_extract *j, struct cp_tarread *tr, struct walker *w, struct walker *aux,
    const struct cp_tarentry *e, const char *path)
{
	const char *base, *tbase;
	size_t dirlen, tdirlen, ti;
	struct rec *r, *t;
	int pfd, tfd;

	r = new_rec(j, e, path);
	if (e->type == CP_TAR_DIR) {
		r->mode = 0755;
		if (walker_to(w, path, strlen(path)) == -1)
			return cp_tarread_fail(tr, "cannot create in the staging directory: %s", strerror(errno));
		return 0;
	}
	split(path, &dirlen, &base);
	if ((pfd = walker_to(w, path, dirlen)) == -1)
		return cp_tarread_fail(tr, "cannot create in the staging directory: %s", strerror(errno));
	switch (e->type) {
	case CP_TAR_FILE:
		return stage_file(j, tr, pfd, base, e, r);
	case CP_TAR_HARDLINK:
		ti = j->byindex[cp_tarcheck_link_index(j->check, e)];
		t = &j->recs[ti - 1];
		r = &j->recs[j->n - 1];		/* new_rec may have moved the array */
		split(t->path, &tdirlen, &tbase);
		if ((tfd = walker_to(aux, t->path, tdirlen)) == -1 ||
		    linkat(tfd, tbase, pfd, base, 0) == -1)
			return cp_tarread_fail(tr, "cannot link in the staging directory: %s", strerror(errno));
		r->mode = t->mode;
		r->size = t->size;
		memcpy(r->sha256, t->sha256, sizeof(r->sha256));
		r->target = xstrdup(t->path);
		return 0;
	case CP_TAR_SYMLINK:
		r->mode = 0777;
		r->target = xstrdup(e->link);
		if (symlinkat(e->link, pfd, base) == -1)
			return cp_tarread_fail(tr, "cannot create a symlink in the staging directory: %s", strerror(errno));
		return 0;
	}
	return cp_tarread_fail(tr, "unexpected entry type");
}

/* Read, check and stage the whole archive. */
static int
stage_all(struct cp_extract *j, int fd)
{
	struct cp_tarread_opts ro = { j->o->lim.max_ratio, j->o->cancel, j->o->hash,
	    j->o->progress, j->o->progress_arg };
	struct walker w, aux;
	struct cp_tarentry e;
	struct cp_tarread *tr;
	const char *path;
	struct cp_err why;
	int rc;

	if ((tr = cp_tarread_open(fd, &ro)) == NULL)
		return fail(j, NULL, "cannot read the archive: %s", strerror(errno));
	walker_init(&w, j->stagefd, j->maxdepth, 1, 0);
	walker_init(&aux, j->stagefd, j->maxdepth, 0, 0);
	while ((rc = cp_tarread_next(tr, &e)) == 1) {
		if (cancelled(j)) {
			rc = cp_tarread_fail(tr, "interrupted");
			break;
		}
		if (cp_tarcheck_entry(j->check, &e, &path, &why) == -1) {
			rc = cp_tarread_fail(tr, "%s", why.msg);
			break;
		}
		if (path != NULL && stage_entry(j, tr, &w, &aux, &e, path) == -1) {
			rc = -1;
			break;
		}
	}
	if (rc == -1 && j->err.msg[0] == '\0')
		j->err = *cp_tarread_error(tr);
	walker_free(&w);
	walker_free(&aux);
	cp_tarread_close(tr);
	return rc;
}

/* Why a directory on the way could not be opened without following anything. */
static int
way_blocked(struct cp_extract *j, const struct rec *r, const struct walker *w, int err)
{
	char q[600];
	struct stat st;

	cp_quote_cstr(q, sizeof(q), w->bad);
	if (fstatat(j->dirfd, w->bad, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return fail(j, r, "%s in the destination is a symlink (never followed)", q);
		if (!S_ISDIR(st.st_mode))
			return fail(j, r, "%s in the destination is not a directory", q);
	}
	return fail(j, r, "%s in the destination: %s", q, strerror(err));
}

static int
cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->path, ((const struct rec *)b)->path);
}

/* From the first missing component on, every directory on the way to an entry will be created. */
static void
will_create(struct cp_extract *j, const char *path, size_t from, size_t to)
{
	struct rec key;
	const char *stored;
	char *dir;
	size_t len;
	int added;

	for (len = from; len <= to; len++) {
		if (path[len] != '/')
			continue;
		dir = xstrndup(path, len);
		key.path = dir;
		if (bsearch(&key, j->recs, j->n, sizeof(*j->recs), cmp_rec) == NULL) {
			cp_strmap_put(j->mkdirs, dir, len, &added, &stored);
			if (added) {
				if (j->nimplicit == j->capimplicit) {
					j->capimplicit = j->capimplicit ? j->capimplicit * 2 : 64;
					j->implicit = xreallocarray(j->implicit, j->capimplicit,
					    sizeof(*j->implicit));
				}
				j->implicit[j->nimplicit++] = stored;
			}
		}
		free(dir);
	}
}

/* Nothing has changed yet: may every entry go where it should? */
static int
precheck(struct cp_extract *j)
{
	struct walker w;
	struct stat st;
	const char *base;
	size_t i, dirlen;
	struct rec *r;
	int pfd, rc = 0;

	if (j->n > 0)	/* qsort's base may not be NULL */
		qsort(j->recs, j->n, sizeof(*j->recs), cmp_rec);
	walker_init(&w, j->dirfd, j->maxdepth, 0, 0);
	for (i = 0; i < j->n && rc == 0; i++) {
		r = &j->recs[i];
		split(r->path, &dirlen, &base);
		if ((pfd = walker_to(&w, r->path, dirlen)) == -1) {
			if (errno != ENOENT)
				rc = way_blocked(j, r, &w, errno);
			else
				will_create(j, r->path, strlen(w.bad), dirlen);
			continue;
		}
		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				rc = fail(j, r, "in the destination: %s", strerror(errno));
			continue;
		}
		if (r->type == CP_TAR_DIR) {
			if (S_ISDIR(st.st_mode))
				r->existed = 1;
			else if (S_ISLNK(st.st_mode))
				rc = fail(j, r, "a symlink in the destination (never followed)");
			else
				rc = fail(j, r, "exists in the destination and is not a directory");
		} else if (S_ISLNK(st.st_mode))
			rc = fail(j, r, "a symlink in the destination (never replaced or followed)");
		else if (S_ISDIR(st.st_mode))
			rc = fail(j, r, "exists in the destination as a directory");
		else if (!S_ISREG(st.st_mode))
			rc = fail(j, r, "exists in the destination and is not a regular file");
		else if (!j->o->force)
			rc = fail(j, r, "already exists in the destination (--force replaces it)");
		else
			r->existed = 1;
	}
	walker_free(&w);
	return rc;
}

static struct action *
log_action(struct cp_extract *j, int what, size_t rec)
{
	struct action *a;

	if (j->nlog == j->caplog) {
		j->caplog = j->caplog ? j->caplog * 2 : 256;
		j->log = xreallocarray(j->log, j->caplog, sizeof(*j->log));
	}
	a = &j->log[j->nlog++];
	memset(a, 0, sizeof(*a));
	a->what = what;
	a->rec = rec;
	return a;
}

static void
created_dir(void *arg, const char *path)
{
	struct cp_extract *j = arg;

	log_action(j, A_MKDIR, 0)->path = xstrdup(path);
}

/* Undo the commit, newest first.  Returns 0, or -1 if something could not be undone. */
static int
rollback(struct cp_extract *j)
{
	struct walker w, s;
	const char *path, *base;
	size_t dirlen, i;
	struct action *a;
	int pfd, spfd = -1, rc = 0, ok;

	walker_init(&w, j->dirfd, j->maxdepth, 0, j->o->sync);
	walker_init(&s, j->stagefd, j->maxdepth, 0, 0);
	for (i = j->nlog; i-- > 0;) {
		a = &j->log[i];
		path = a->what == A_MKDIR ? a->path : j->recs[a->rec].path;
		split(path, &dirlen, &base);
		if ((pfd = walker_to(&w, path, dirlen)) == -1 ||
		    (a->what == A_EXCHANGED && (spfd = walker_to(&s, path, dirlen)) == -1)) {
			rc = -1;
			continue;
		}
		switch (a->what) {
		case A_MKDIR: ok = unlinkat(pfd, base, AT_REMOVEDIR) == 0; break;
		case A_PLACED: ok = unlinkat(pfd, base, 0) == 0; break;
		case A_EXCHANGED: ok = renameat2(spfd, base, pfd, base, RENAME_EXCHANGE) == 0; break;
		default: ok = renameat(j->stagefd, a->backup, pfd, base) == 0; break;
		}
		if (!ok)
			rc = -1;
		w.dirty[w.depth] = 1;
	}
	walker_free(&w);
	walker_free(&s);
	return rc;
}

/* Replace an existing regular file atomically; the old one goes to the staging directory. */
static int
replace(struct cp_extract *j, size_t i, int spfd, int pfd, const char *base)
{
	struct action *a;

	if (renameat2(spfd, base, pfd, base, RENAME_EXCHANGE) == 0) {
		log_action(j, A_EXCHANGED, i);
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A filesystem without exchange: keep a hard link to the old file to undo with. */
	a = log_action(j, A_REPLACED, i);
	snprintf(a->backup, sizeof(a->backup), "old.%zu", i);
	if (linkat(pfd, base, j->stagefd, a->backup, 0) == -1) {
		j->nlog--;
		return -1;
	}
	if (renameat(spfd, base, pfd, base) == -1) {
		j->nlog--;
		unlinkat(j->stagefd, a->backup, 0);
		return -1;
	}
	return 0;
}

static int
place(struct cp_extract *j, size_t i, int spfd, int pfd, const char *base)
{
	if (renameat2(spfd, base, pfd, base, RENAME_NOREPLACE) == 0) {
		log_action(j, A_PLACED, i);
		return 0;
	}
	/* Without RENAME_NOREPLACE support, link(2) also refuses to replace. */
	if ((errno == EINVAL || errno == ENOSYS) && linkat(spfd, base, pfd, base, 0) == 0) {
		log_action(j, A_PLACED, i);
		return 0;
	}
	return -1;
}

static int
commit(struct cp_extract *j)
{
	struct walker w, s;
	const char *base;
	size_t i, dirlen;
	struct rec *r;
	int pfd, spfd, rc = 0;

	walker_init(&w, j->dirfd, j->maxdepth, 1, j->o->sync);
	walker_init(&s, j->stagefd, j->maxdepth, 0, 0);
	w.created = created_dir;
	w.arg = j;
	for (i = 0; i < j->n && rc == 0; i++) {
		r = &j->recs[i];
		if (cancelled(j)) {
			rc = fail(j, NULL, "interrupted");
			break;
		}
		if (r->type == CP_TAR_DIR) {
			if (walker_to(&w, r->path, strlen(r->path)) == -1)
				rc = errno == ELOOP || errno == ENOTDIR ? way_blocked(j, r, &w, errno) :
				    fail(j, r, "cannot create a directory: %s", strerror(errno));
			continue;
		}
		split(r->path, &dirlen, &base);
		if ((pfd = walker_to(&w, r->path, dirlen)) == -1) {
			rc = errno == ELOOP || errno == ENOTDIR ? way_blocked(j, r, &w, errno) :
			    fail(j, r, "cannot create a directory: %s", strerror(errno));
			continue;
		}
		if ((spfd = walker_to(&s, r->path, dirlen)) == -1) {
			rc = fail(j, r, "staging directory: %s", strerror(errno));
			continue;
		}
		if ((r->existed ? replace(j, i, spfd, pfd, base) : place(j, i, spfd, pfd, base)) == -1)
			rc = fail(j, r, "%s", errno == EEXIST ?
			    "appeared in the destination during extraction" : strerror(errno));
		w.dirty[w.depth] = 1;
	}
	walker_free(&s);
	walker_free(&w);
	if (rc == 0 && w.sync_err != 0)
		rc = fail(j, NULL, "fsync: %s", strerror(w.sync_err));
	if (rc == -1 && rollback(j) == -1) {
		size_t len = strlen(j->err.msg);

		snprintf(j->err.msg + len, sizeof(j->err.msg) - len,
		    "; rolling back failed, the destination may hold part of the archive");
	}
	return rc;
}

static int
cmp_placed(const void *a, const void *b)
{
	return strcmp(((const struct cp_placed *)a)->path, ((const struct cp_placed *)b)->path);
}

/* The receipt: every record, and the directories the commit will have to create. */
static void
receipt(struct cp_extract *j, struct cp_extract_receipt *out)
{
	struct cp_placed *p;
	size_t i;

	out->v = xcalloc(j->n + j->nimplicit + 1, sizeof(*out->v));
	for (i = 0; i < j->n; i++) {
		p = &out->v[out->n++];
		p->path = xstrdup(j->recs[i].path);
		p->type = j->recs[i].type;
		p->mode = j->recs[i].mode;
		p->size = j->recs[i].size;
		memcpy(p->sha256, j->recs[i].sha256, sizeof(p->sha256));
		if (j->recs[i].target != NULL)
			p->target = xstrdup(j->recs[i].target);
		p->existed = j->recs[i].existed;
	}
	for (i = 0; i < j->nimplicit; i++) {
		p = &out->v[out->n++];
		p->path = xstrdup(j->implicit[i]);
		p->type = CP_TAR_DIR;
		p->mode = 0755;
	}
	qsort(out->v, out->n, sizeof(*out->v), cmp_placed);
}

static void
release(struct cp_extract *j)
{
	size_t i;

	if (j->stagefd >= 0) {
		remove_stage(j->dirfd, j->stagename);	/* still locked: no sweeper races it */
		close(j->stagefd);
	}
	for (i = 0; i < j->n; i++)
		free(j->recs[i].target);
	for (i = 0; i < j->nlog; i++)
		free(j->log[i].path);
	free(j->recs);
	free(j->byindex);
	free(j->log);
	free(j->implicit);
	cp_strmap_free(j->mkdirs);
	cp_tarcheck_free(j->check);
	if (j->dirfd >= 0)
		close(j->dirfd);
	free(j);
}

/* Hand the reason over to the caller and release j.  Returns -1. */
static int
give_up(struct cp_extract *j, struct cp_err *e)
{
	if (e != NULL)
		*e = j->err;
	release(j);
	return -1;
}

int
cp_extract_stage(int fd, const char *dir, const struct cp_extract_opts *o,
    struct cp_extract **x, struct cp_extract_receipt *out, struct cp_err *e)
{
	struct cp_extract *j = xcalloc(1, sizeof(*j));
	int rc;

	*x = NULL;
	memset(out, 0, sizeof(*out));
	j->o = o;
	j->stagefd = -1;
	j->maxdepth = o->lim.max_depth > 0 && o->lim.max_depth < PATH_MAX / 2 ?
	    (size_t)o->lim.max_depth : PATH_MAX / 2;
	j->check = cp_tarcheck_new(&o->lim, o->allow_symlinks ? CP_TARCHECK_SYMLINKS : 0);
	j->mkdirs = cp_strmap_new();
	j->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dirfd == -1) {
		char q[600];

		fail(j, NULL, "%s: %s", cp_quote_cstr(q, sizeof(q), dir), strerror(errno));
		return give_up(j, e);
	}
	rc = make_stage(j);
	if (rc == 0) {
		stale_stages(j);
		rc = stage_all(j, fd);
	}
	if (rc == 0)
		rc = precheck(j);
	if (rc == 0 && o->sync && syncfs(j->stagefd) == -1)
		rc = fail(j, NULL, "syncfs: %s", strerror(errno));
	if (rc == -1)
		return give_up(j, e);
	receipt(j, out);
	*x = j;
	return 0;
}

int
cp_extract_commit(struct cp_extract *j, struct cp_err *e)
{
	int rc;

	rc = commit(j);
	if (remove_stage(j->dirfd, j->stagename) == -1 && rc == 0)
		rc = fail(j, NULL, "cannot remove the staging directory %s: %s",
		    j->stagename, strerror(errno));
	close(j->stagefd);	/* the lock held to the end */
	j->stagefd = -1;
	if (j->o->sync && fsync(j->dirfd) == -1 && rc == 0)
		rc = fail(j, NULL, "fsync: %s", strerror(errno));
	if (rc == -1)
		return give_up(j, e);
	release(j);
	return 0;
}

void
cp_extract_abort(struct cp_extract *j)
{
	if (j != NULL)
		release(j);
}

void
cp_extract_receipt_free(struct cp_extract_receipt *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].target);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
