/* beneath_test: base/beneath through openat2 and through the walk, which must answer alike; nothing outside reached.
 * SPDX-License-Identifier: ISC */
#define _GNU_SOURCE	/* O_PATH */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/beneath.h"
#include "unit.h"

static const char *mode_name;

/* "MODE: what", in one of a few rotating buffers (CHECK keeps no copy past its line). */
static const char *
w(const char *what)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s: %s", mode_name, what);
	return buf[i];
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF) {
		perror(path);
		exit(1);
	}
}

/* The whole (short) content of fd, or of path; "" when unreadable. */
static const char *
slurp_fd(int fd)
{
	static char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static const char *
slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	const char *s;

	if (fd == -1)
		return "";
	s = slurp_fd(fd);
	close(fd);
	return s;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* How many entries a directory holds (the outside one must not gain any). */
static int
entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n;
}

/* Open refused with errnum want (and errno the same); nothing left open. */
static void
open_refused(int root, const char *rel, int flags, int want, const char *what)
{
	struct cp_err e;
	int fd;

	cp_err_clear(&e);
	errno = 0;
	fd = cp_beneath_open(root, rel, flags, 0644, &e);
	CHECK(fd == -1, w(what));
	if (fd != -1)
		close(fd);
	CHECK(e.errnum == want, w(what));
	CHECK(errno == (want != 0 ? want : EINVAL), w(what));
	if (e.errnum != want)
		printf("#   errnum %d (%s), want %d\n", e.errnum, e.msg, want);
}

/*
 * One tree per code path, in the current directory:
 *   D/root/dir/file ("in"), D/root/dir/sub/, D/root/linkfile -> dir/file,
 *   D/root/linkdir -> dir, D/root/esc -> ../out, D/root/escfile -> ../out/secret,
 *   D/root/dangle -> ../out/made, D/out/secret ("secret")
 */
static void
run_all(const char *d)
{
	char path[512], out[512];
	struct cp_err e;
	struct stat st;
	const char *base;
	int root, fd, pfd;

#define P(rel) (snprintf(path, sizeof path, "%s/%s", d, rel), path)
	if (mkdir(d, 0755) == -1 || mkdir(P("root"), 0755) == -1 ||
	    mkdir(P("root/dir"), 0755) == -1 || mkdir(P("root/dir/sub"), 0755) == -1 ||
	    mkdir(P("out"), 0755) == -1 ||
	    symlink("dir/file", P("root/linkfile")) == -1 ||
	    symlink("dir", P("root/linkdir")) == -1 ||
	    symlink("../out", P("root/esc")) == -1 ||
	    symlink("../out/secret", P("root/escfile")) == -1 ||
	    symlink("../out/made", P("root/dangle")) == -1) {
		perror(d);
		exit(1);
	}
	put(P("root/dir/file"), "in");
	put(P("out/secret"), "secret");
	snprintf(out, sizeof out, "%s/out", d);
	root = open(P("root"), O_RDONLY | O_DIRECTORY);

	/* Found: a file, a directory. */
	fd = cp_beneath_open(root, "dir/file", O_RDONLY, 0, &e);
	CHECK(fd >= 0, w("a plain file opens"));
	CHECK_STR(slurp_fd(fd), "in", w("and reads what is there"));
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, w("O_CLOEXEC always"));
	close(fd);
	fd = cp_beneath_open(root, "dir", O_RDONLY | O_DIRECTORY, 0, &e);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode), w("a directory opens"));
	close(fd);
	fd = cp_beneath_open(root, "dir/sub", O_PATH | O_DIRECTORY, 0, &e);
	CHECK(fd >= 0, w("O_PATH of a directory"));
	close(fd);

	/* Symlinks: last, middle, the directory itself. */
	open_refused(root, "linkfile", O_RDONLY, ELOOP, "a symlink as the last component");
	open_refused(root, "linkfile", O_PATH | O_NOFOLLOW, ELOOP, "not even O_PATH | O_NOFOLLOW opens a symlink");
	open_refused(root, "linkdir/file", O_RDONLY, ELOOP, "a symlink in the middle");
	open_refused(root, "linkdir", O_RDONLY | O_DIRECTORY, ELOOP, "a symlinked directory itself");
	open_refused(root, "linkdir/sub/x", O_WRONLY | O_CREAT, ELOOP, "no file made through a symlinked directory");
	CHECK(!exists(P("root/dir/sub/x")), w("and none there"));
	cp_err_clear(&e);
	cp_beneath_open(root, "linkdir/file", O_RDONLY, 0, &e);
	CHECK(strstr(e.msg, "'linkdir/file': a symlink on the way") == e.msg, w("the message names the path"));

	/* Paths the rule refuses. */
	open_refused(root, "..", O_RDONLY, 0, "..");
	open_refused(root, "dir/../dir/file", O_RDONLY, 0, "a .. inside");
	open_refused(root, "/etc/passwd", O_RDONLY, 0, "absolute");
	open_refused(root, "", O_RDONLY, 0, "empty");
	open_refused(root, "dir//file", O_RDONLY, 0, "an empty component");
	open_refused(root, NULL, O_RDONLY, 0, "NULL");
	cp_err_clear(&e);
	cp_beneath_open(root, "../x", O_RDONLY, 0, &e);
	CHECK_STR(e.msg, "'../x': a '..' component", w("the rule's message, after the path"));

	/* Missing, not a directory, created, O_EXCL. */
	open_refused(root, "dir/nope", O_RDONLY, ENOENT, "a missing file");
	open_refused(root, "dir/file/x", O_RDONLY, ENOTDIR, "a file as a directory");
	open_refused(root, "dir/file", O_RDONLY | O_DIRECTORY, ENOTDIR, "a file opened as a directory");
	open_refused(root, "dir/file", O_WRONLY | O_CREAT | O_EXCL, EEXIST, "O_EXCL on a file");
	fd = cp_beneath_open(root, "dir/new", O_WRONLY | O_CREAT | O_EXCL, 0600, &e);
	CHECK(fd >= 0, w("O_CREAT makes a file"));
	CHECK(fd >= 0 && write(fd, "n", 1) == 1 && fstat(fd, &st) == 0 &&
	    (st.st_mode & 07777) == 0600, w("with the mode asked"));
	close(fd);
	CHECK_STR(slurp(P("root/dir/new")), "n", w("where it was asked"));

	/* A symlink to outside never reaches a file there. */
	open_refused(root, "esc/secret", O_RDONLY, ELOOP, "read through a link to outside");
	open_refused(root, "escfile", O_WRONLY | O_TRUNC, ELOOP, "truncate through a link to outside");
	open_refused(root, "escfile", O_WRONLY | O_CREAT | O_EXCL, ELOOP, "O_EXCL on a link to outside");
	open_refused(root, "esc/new", O_WRONLY | O_CREAT, ELOOP, "create through a link to outside");
	open_refused(root, "dangle", O_WRONLY | O_CREAT, ELOOP, "create through a dangling link");
	CHECK(!exists(P("out/made")) && !exists(P("out/new")), w("nothing made outside"));

	/* mkdirs. */
	fd = cp_beneath_mkdirs(root, "m/a/b", 0755, &e);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode), w("mkdirs makes nested directories"));
	CHECK(is_dir(P("root/m/a/b")), w("there"));
	CHECK(fd >= 0 && fsync(fd) == 0, w("its descriptor can be fsynced"));
	close(fd);
	fd = cp_beneath_mkdirs(root, "m/a/b", 0755, &e);
	CHECK(fd >= 0, w("mkdirs again: nothing to do, no error"));
	close(fd);
	fd = cp_beneath_mkdirs(root, "m/a/c", 0700, &e);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0700, w("mkdirs with a mode"));
	close(fd);
	cp_err_clear(&e);
	CHECK(cp_beneath_mkdirs(root, "esc/x/y", 0755, &e) == -1 && e.errnum == ELOOP,
	    w("mkdirs through a link to outside"));
	CHECK(strstr(e.msg, "'esc': a symlink on the way") == e.msg, w("names the component"));
	CHECK(!exists(P("out/x")), w("made nothing outside"));
	CHECK(cp_beneath_mkdirs(root, "linkdir/y", 0755, &e) == -1 && e.errnum == ELOOP,
	    w("mkdirs through a symlinked directory"));
	CHECK(!exists(P("root/dir/y")), w("made nothing through it"));
	CHECK(cp_beneath_mkdirs(root, "linkdir", 0755, &e) == -1 && e.errnum == ELOOP,
	    w("mkdirs of a symlinked directory itself"));
	CHECK(cp_beneath_mkdirs(root, "dir/file/z", 0755, &e) == -1 && e.errnum == ENOTDIR,
	    w("mkdirs through a file"));
	CHECK(cp_beneath_mkdirs(root, "a/../b", 0755, &e) == -1 && e.errnum == 0 && errno == EINVAL,
	    w("mkdirs refuses .."));

	/* parent. */
	put(P("root/dir/sub/gone"), "x");
	put(P("root/dir/sub/stays"), "y");
	pfd = cp_beneath_parent(root, "dir/sub/gone", 0, &base, &e);
	CHECK(pfd >= 0, w("the parent of a file"));
	CHECK_STR(base, "gone", w("and its last component"));
	CHECK(pfd >= 0 && unlinkat(pfd, base, 0) == 0, w("unlinkat on it"));
	close(pfd);
	CHECK(!exists(P("root/dir/sub/gone")) && exists(P("root/dir/sub/stays")) &&
	    exists(P("root/dir/file")), w("removes exactly the file"));
	pfd = cp_beneath_parent(root, "top", 0, &base, &e);
	CHECK(pfd >= 0 && fstat(pfd, &st) == 0 && S_ISDIR(st.st_mode), w("the parent of one component"));
	CHECK_STR(base, "top", w("is the directory itself, base the name"));
	CHECK(pfd != root, w("a new descriptor"));
	close(pfd);
	pfd = cp_beneath_parent(root, "p/q/r", 1, &base, &e);
	CHECK(pfd >= 0 && is_dir(P("root/p/q")) && !exists(P("root/p/q/r")),
	    w("create makes the parent, not the last component"));
	close(pfd);
	pfd = cp_beneath_parent(root, "dir/sub/x", 0, &base, &e);
	CHECK(pfd >= 0 && mkdirat(pfd, base, 0755) == 0 && is_dir(P("root/dir/sub/x")),
	    w("mkdirat on it"));
	close(pfd);
	CHECK(cp_beneath_parent(root, "nope/x", 0, &base, &e) == -1 && e.errnum == ENOENT,
	    w("a missing parent without create"));
	CHECK(cp_beneath_parent(root, "esc/secret", 0, &base, &e) == -1 && e.errnum == ELOOP,
	    w("the parent through a link to outside"));
	CHECK(cp_beneath_parent(root, "esc/z/f", 1, &base, &e) == -1 && e.errnum == ELOOP,
	    w("create through a link to outside"));
	CHECK(cp_beneath_parent(root, "linkdir/file", 0, &base, &e) == -1 && e.errnum == ELOOP,
	    w("the parent through a symlinked directory"));
	CHECK(cp_beneath_parent(root, "../x", 0, &base, &e) == -1 && e.errnum == 0,
	    w("the parent of a refused path"));
	pfd = cp_beneath_parent(root, "escfile", 0, &base, &e);
	CHECK(pfd >= 0 && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode),
	    w("fstatat on the parent sees the link, not its target"));
	CHECK(pfd >= 0 && unlinkat(pfd, base, 0) == 0, w("unlinkat of a link to outside"));
	close(pfd);
	CHECK(!exists(P("root/escfile")), w("removes the link"));

	/* An O_PATH root works as well. */
	close(root);
	root = open(P("root"), O_PATH | O_DIRECTORY);
	fd = cp_beneath_open(root, "dir/file", O_RDONLY, 0, &e);
	CHECK(fd >= 0, w("beneath an O_PATH descriptor"));
	close(fd);
	pfd = cp_beneath_parent(root, "file", 0, &base, &e);
	CHECK(pfd >= 0 && fsync(pfd) == 0, w("the parent of one component beneath O_PATH: readable"));
	close(pfd);
	close(root);

	/* The outside tree: as it was. */
	CHECK_STR(slurp(P("out/secret")), "secret", w("the outside file is unchanged"));
	CHECK(entries(out) == 1, w("and the outside directory holds only it"));
#undef P
}

int
main(void)
{
	umask(022);
	mode_name = "openat2";
	cp_beneath_force_walk(0);
	run_all("kernel");
	mode_name = "walk";
	cp_beneath_force_walk(1);
	run_all("walk");
	cp_beneath_force_walk(0);
	return UNIT_END();
}
