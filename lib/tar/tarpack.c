/* tarpack: collect, sort and write entries with normalised metadata; libarchive writes, gzout compresses.
 * SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/quote.h"
#include "base/strmap.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "tar/gzout.h"
#include "tar/tarcheck.h"
#include "tar/tarpack.h"

#define READBUF (256 * 1024)

enum { T_DIR, T_FILE, T_SYMLINK };

struct item {
	const char *path;	/* owned by the map */
	int type;
};

struct cp_tarpack {
	struct cp_tarpack_opts o;
	struct cp_tarlimits lim;
	struct cp_strmap *seen;
	struct item *items;
	size_t n, cap;
	unsigned long problems;
};

static void problem(struct cp_tarpack *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct cp_tarpack *p, const char *path, const char *fmt, ...)
{
	struct cp_err e;
	char q[600];
	va_list ap;

	va_start(ap, fmt);
	cp_err_vset(&e, 0, fmt, ap);
	va_end(ap);
	cp_err_prefix(&e, "%s", cp_quote_cstr(q, sizeof(q), path));
	p->problems++;
	if (p->o.problem != NULL)
		p->o.problem(p->o.arg, e.msg);
}

struct cp_tarpack *
cp_tarpack_new(const struct cp_tarpack_opts *o)
{
	struct cp_tarpack *p = xcalloc(1, sizeof(*p));

	p->o = *o;
	cp_tarcheck_limits(&p->lim);
	p->seen = cp_strmap_new();
	return p;
}

void
cp_tarpack_free(struct cp_tarpack *p)
{
	if (p == NULL)
		return;
	cp_strmap_free(p->seen);
	free(p->items);
	free(p);
}

size_t
cp_tarpack_count(const struct cp_tarpack *p)
{
	return p->n;
}

static void
push(struct cp_tarpack *p, const char *path, int type)
{
	const char *stored;
	int added;

	if (type == T_DIR && p->o.files_only)
		return;
	cp_strmap_put(p->seen, path, strlen(path), &added, &stored);
	if (!added)
		return;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->items = xreallocarray(p->items, p->cap, sizeof(*p->items));
	}
	p->items[p->n].path = stored;
	p->items[p->n].type = type;
	p->n++;
}

/* Classify what lstat found at path; directories are walked by the caller. */
static int
classify(struct cp_tarpack *p, const char *path, const struct stat *st, int dfd,
    const char *name)
{
	char target[PATH_MAX];
	struct cp_err e;
	ssize_t n;

	if (S_ISREG(st->st_mode))
		return T_FILE;
	if (S_ISDIR(st->st_mode))
		return T_DIR;
	if (S_ISLNK(st->st_mode)) {
		if (!p->o.allow_symlinks) {
			problem(p, path, "symbolic link (refused without --allow-symlinks)");
			return -1;
		}
		n = readlinkat(dfd, name, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target)) {
			problem(p, path, "%s", n < 0 ? strerror(errno) : "symlink target too long");
			return -1;
		}
		target[n] = '\0';
		if (cp_tarcheck_symlink(path, target, &p->lim, &e) == -1) {
			problem(p, path, "%s", e.msg);
			return -1;
		}
		return T_SYMLINK;
	}
	problem(p, path, "%s", S_ISFIFO(st->st_mode) ? "FIFO" : S_ISSOCK(st->st_mode) ?
	    "socket" : S_ISCHR(st->st_mode) ? "character device" :
	    S_ISBLK(st->st_mode) ? "block device" : "unknown file type");
	return -1;
}

/* A name extraction would accept, in UTF-8 (pax stores names in UTF-8; anything else is not portable). */
static int
name_ok(struct cp_tarpack *p, const char *path)
{
	struct cp_err e;
	char *norm;
	size_t bad;

	if (!cp_utf8_valid(path, strlen(path), &bad)) {
		problem(p, path, "name is not valid UTF-8");
		return 0;
	}
	if (cp_tarcheck_path(path, &p->lim, &norm, &e) == -1) {
		problem(p, path, "%s", e.msg);
		return 0;
	}
	free(norm);
	return 1;
}

static void walk(struct cp_tarpack *p, int dfd, const char *dirpath);

/* Add one thing found at name in directory dfd, whose full path is path. */
static void
add_at(struct cp_tarpack *p, int dfd, const char *name, const char *path)
{
	struct stat st;
	int type, fd;

	if (!name_ok(p, path))
		return;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		problem(p, path, "%s", strerror(errno));
		return;
	}
	if ((type = classify(p, path, &st, dfd, name)) == -1)
		return;
	push(p, path, type);
	if (type != T_DIR)
		return;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		problem(p, path, "%s", strerror(errno));
		return;
	}
	walk(p, fd, path);
}

/* Everything under the directory open at dfd (which walk closes). */
static void
walk(struct cp_tarpack *p, int dfd, const char *dirpath)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	size_t dlen = strlen(dirpath), nlen;
	char *child;

	if (d == NULL) {
		problem(p, *dirpath ? dirpath : ".", "%s", strerror(errno));
		close(dfd);
		return;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		nlen = strlen(de->d_name);
		child = xmalloc(dlen + nlen + 2);
		if (dlen > 0) {
			memcpy(child, dirpath, dlen);
			child[dlen] = '/';
			memcpy(child + dlen + 1, de->d_name, nlen + 1);
		} else
			memcpy(child, de->d_name, nlen + 1);
		add_at(p, dirfd(d), de->d_name, child);
		free(child);
	}
	if (errno != 0)
		problem(p, *dirpath ? dirpath : ".", "%s", strerror(errno));
	closedir(d);
}

int
cp_tarpack_add(struct cp_tarpack *p, const char *path)
{
	struct cp_err e;
	char *norm, *slash;
	struct stat st;
	unsigned long before = p->problems;
	int fd;

	if (cp_tarcheck_path(*path ? path : ".", &p->lim, &norm, &e) == -1) {
		problem(p, path, "%s", e.msg);
		goto out;
	}
	if (*norm == '\0') {
		fd = openat(p->o.dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd == -1)
			problem(p, ".", "%s", strerror(errno));
		else
			walk(p, fd, "");
		goto out;
	}
	/* Each parent must be a real directory, and is stored as one. */
	for (slash = strchr(norm, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (fstatat(p->o.dirfd, norm, &st, AT_SYMLINK_NOFOLLOW) == -1)
			problem(p, norm, "%s", strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			problem(p, norm, "not a directory (a parent of a listed path)");
		else if (name_ok(p, norm))
			push(p, norm, T_DIR);
		*slash = '/';
		if (p->problems > before)
			goto out;
	}
	add_at(p, p->o.dirfd, norm, norm);
out:
	free(norm);
	return p->problems > before ? -1 : 0;
}

static int
cmp_item(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->path, ((const struct item *)b)->path);
}

struct writer {
	struct cp_gzout *gz;
	int err;
};

static la_ssize_t
write_cb(struct archive *a, void *arg, const void *buf, size_t n)
{
	struct writer *w = arg;

	if (cp_gzout_write(w->gz, buf, n) == -1) {
		w->err = errno;
		archive_set_error(a, errno, "write error");
		return -1;
	}
	return (la_ssize_t)n;
}

static int fail(struct cp_err *e, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Why the archive could not be written, naming the file when one is to blame. */
static int
fail(struct cp_err *e, const char *path, const char *fmt, ...)
{
	char q[600];
	va_list ap;

	va_start(ap, fmt);
	cp_err_vset(e, 0, fmt, ap);
	va_end(ap);
	if (path != NULL)
		cp_err_prefix(e, "%s", cp_quote_cstr(q, sizeof(q), path));
	return -1;
}

/* The data of one file, exactly as many bytes as its header said. */
static int
copy_file(const struct cp_tarpack_opts *o, struct archive *a, int fd, const char *path,
    uint64_t size, char *buf, struct cp_err *e)
{
	volatile sig_atomic_t *cancel = o->cancel;
	uint64_t left = size;
	ssize_t n;

	while (left > 0) {
		if (cancel != NULL && *cancel)
			return fail(e, NULL, "interrupted");
		n = read(fd, buf, left < READBUF ? (size_t)left : READBUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(e, path, "%s", strerror(errno));
		if (n == 0)
			return fail(e, path, "file shrank while it was read");
		if (archive_write_data(a, buf, (size_t)n) != n)
			return fail(e, NULL, "write error: %s", archive_error_string(a));
		left -= (uint64_t)n;
		if (o->progress != NULL)
			o->progress(o->progress_arg, (uint64_t)n);
	}
	while ((n = read(fd, buf, 1)) < 0 && errno == EINTR)
		;
	if (n != 0)
		return fail(e, path, "file grew while it was read");
	return 0;
}

static int
write_entry(struct cp_tarpack *p, struct archive *a, struct archive_entry *ae,
    const struct item *it, char *buf, struct cp_err *e)
{
	char target[PATH_MAX], q[600];
	struct stat st;
	ssize_t n;
	int fd = -1, rc = 0;

	archive_entry_clear(ae);
	archive_entry_copy_pathname(ae, it->path);
	archive_entry_set_mtime(ae, p->o.mtime, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_copy_uname(ae, "");
	archive_entry_copy_gname(ae, "");
	switch (it->type) {
	case T_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_perm(ae, 0755);
		archive_entry_set_size(ae, 0);
		break;
	case T_SYMLINK:
		n = readlinkat(p->o.dirfd, it->path, target, sizeof(target) - 1);
		if (n < 0)
			return fail(e, it->path, "%s", strerror(errno));
		target[n] = '\0';
		if (cp_tarcheck_symlink(it->path, target, &p->lim, e) == -1)
			return cp_err_prefix(e, "%s", cp_quote_cstr(q, sizeof(q), it->path));
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_perm(ae, 0777);
		archive_entry_set_size(ae, 0);
		archive_entry_copy_symlink(ae, target);
		break;
	case T_FILE:
		fd = openat(p->o.dirfd, it->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 || fstat(fd, &st) == -1)
			rc = fail(e, it->path, "%s", strerror(errno));
		else if (!S_ISREG(st.st_mode))
			rc = fail(e, it->path, "no longer a regular file");
		if (rc == -1)
			goto out;
		/* git's rule: only the owner's execute bit counts, so a chmod g+w or a umask changes nothing. */
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, st.st_mode & S_IXUSR ? 0755 : 0644);
		archive_entry_set_size(ae, st.st_size);
		break;
	}
	if (archive_write_header(a, ae) != ARCHIVE_OK) {
		rc = fail(e, it->path, "%s", archive_error_string(a));
		goto out;
	}
	if (p->o.entry != NULL)
		p->o.entry(p->o.progress_arg, it->path);
	if (fd != -1)
		rc = copy_file(&p->o, a, fd, it->path, (uint64_t)st.st_size, buf, e);
out:
	if (fd != -1)
		close(fd);
	return rc;
}

uint64_t
cp_tarpack_bytes(const struct cp_tarpack *p)
{
	struct stat st;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->items[i].type == T_FILE &&
		    fstatat(p->o.dirfd, p->items[i].path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	return sum;
}

int
cp_tarpack_write(struct cp_tarpack *p, int fd, struct cp_err *e)
{
	struct writer w = { NULL, 0 };
	struct archive *a;
	struct archive_entry *ae;
	struct cp_err local;
	char *buf;
	size_t i;
	int rc = 0;

	if (e == NULL)
		e = &local;
	if (p->n > 0)	/* qsort's base may not be NULL, even for no items */
		qsort(p->items, p->n, sizeof(*p->items), cmp_item);
	if ((w.gz = cp_gzout_new(fd, p->o.level, p->o.jobs)) == NULL)
		return fail(e, NULL, "cannot start compression: %s", strerror(errno));
	a = archive_write_new();
	ae = archive_entry_new();
	buf = xmalloc(READBUF);
	if (a == NULL || ae == NULL ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open2(a, &w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		rc = fail(e, NULL, "cannot start the archive: %s",
		    a ? archive_error_string(a) : "out of memory");
		goto out;
	}
	for (i = 0; i < p->n && rc == 0; i++) {
		if (p->o.cancel != NULL && *p->o.cancel)
			rc = fail(e, NULL, "interrupted");
		else
			rc = write_entry(p, a, ae, &p->items[i], buf, e);
	}
	if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
		rc = fail(e, NULL, "write error: %s", strerror(w.err ? w.err : EIO));
	if (rc == 0 && cp_gzout_finish(w.gz) == -1)
		rc = fail(e, NULL, "write error: %s", strerror(errno));
out:
	if (rc == -1 && w.err != 0 && strstr(e->msg, "write error") != NULL)
		fail(e, NULL, "write error: %s", strerror(w.err));
	archive_entry_free(ae);
	if (a != NULL)
		archive_write_free(a);
	cp_gzout_free(w.gz);
	free(buf);
	return rc;
}
